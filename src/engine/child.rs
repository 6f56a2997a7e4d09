//! Starting one worker process: our own binary, re-executed with the hidden worker subcommand,
//! its stdin for commands, fd 3 for reports, stdout and stderr captured.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use nix::fcntl::OFlag;
use nix::sys::signal::Signal;

use super::lines::LineReader;
use crate::limits;
use crate::protocol::{self, REPORT_FD, WorkerConfig};

/// Longest report line accepted (a result is small; anything longer is malformed).
const MAX_REPORT_LINE: usize = 64 * 1024;

/// A started worker process and its pipes.
#[derive(Debug)]
pub struct WorkerProcess {
    /// The process (reaped through `wait`).
    pub child: Child,
    /// Its PID.
    pub pid: u32,
    /// Commands go here; `None` once closed.
    pub stdin: Option<ChildStdin>,
    /// Reports from fd 3.
    pub reports: LineReader,
    /// What it prints on stdout.
    pub stdout: LineReader,
    /// What it prints on stderr.
    pub stderr: LineReader,
    /// `CLOCK_MONOTONIC` ns when proclab asked for it to start.
    pub requested_ns: u64,
}

/// Starts a worker. It dies with proclab: `PR_SET_PDEATHSIG` is set between fork and exec (so
/// there is no moment when it could miss proclab's death), and it exits on EOF of its stdin.
pub fn spawn(exe: &Path, config: WorkerConfig) -> io::Result<WorkerProcess> {
    let (report_read, report_write): (OwnedFd, OwnedFd) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let report_fd = report_write.as_raw_fd();
    let parent = nix::unistd::getpid();
    let mut command = Command::new(exe);
    command
        .arg(protocol::WORKER_ARG)
        .args(config.to_args())
        // A panicking task shows one line, as an uncaught exception would, not a backtrace.
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec and only makes
    // async-signal-safe system calls (dup2, fcntl, prctl, getppid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc_move_fd(report_fd, REPORT_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            if nix::unistd::getppid() != parent {
                return Err(io::Error::other(
                    "proclab exited while this worker was starting",
                ));
            }
            Ok(())
        });
    }
    let requested_ns = protocol::monotonic_ns();
    let mut child = command.spawn()?;
    drop(report_write);
    let pid = child.id();
    let stdout = File::from(OwnedFd::from(child.stdout.take().expect("stdout is piped")));
    let stderr = File::from(OwnedFd::from(child.stderr.take().expect("stderr is piped")));
    Ok(WorkerProcess {
        stdin: child.stdin.take(),
        child,
        pid,
        reports: LineReader::new(File::from(report_read), MAX_REPORT_LINE),
        stdout: LineReader::new(stdout, limits::MAX_LINE_BYTES),
        stderr: LineReader::new(stderr, limits::MAX_LINE_BYTES),
        requested_ns,
    })
}

/// Makes `from` available as `to` in the child, without close-on-exec.
fn libc_move_fd(from: i32, to: i32) -> i32 {
    // SAFETY: dup2/fcntl on plain descriptor numbers in the forked child; `to` (3) is free there
    // because every descriptor proclab opens is close-on-exec and std only sets up 0, 1 and 2.
    // dup2 onto itself keeps close-on-exec, so that case clears the flag instead.
    unsafe {
        if from == to {
            nix::libc::fcntl(to, nix::libc::F_SETFD, 0)
        } else {
            nix::libc::dup2(from, to)
        }
    }
}

impl WorkerProcess {
    /// Sends one command line. A closed pipe (the worker died) is not an error here: its exit
    /// is noticed and reported by the engine.
    pub fn send(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut()
            && stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .is_err()
        {
            self.stdin = None;
        }
    }

    /// Closes stdin: the worker finishes what it has and exits.
    pub fn close(&mut self) {
        self.stdin = None;
    }

    /// Whether every pipe from the worker is at EOF.
    pub fn streams_closed(&self) -> bool {
        self.reports.file().is_none()
            && self.stdout.file().is_none()
            && self.stderr.file().is_none()
    }
}
