//! Starting one worker process: our own binary, re-executed with the hidden worker subcommand,
//! its stdin for commands, fd 3 for reports, stdout and stderr captured.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::limits;
use crate::observe::clock::monotonic_ns;
use crate::observe::lines::LineReader;
use crate::protocol::{self, QUEUE_FD, REPORT_FD, SHARED_FD, WorkerConfig};

/// Longest report line accepted (a result is small; anything longer is malformed).
const MAX_REPORT_LINE: usize = 64 * 1024;

/// Descriptors a worker gets besides its pipes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExtraFds<'a> {
    /// A pool's shared task queue (read end).
    pub queue: Option<BorrowedFd<'a>>,
    /// The stage's shared-memory counter.
    pub shared: Option<BorrowedFd<'a>>,
}

/// A started worker process and its pipes.
#[derive(Debug)]
pub struct WorkerProcess {
    /// The process, when proclab started it (an adopted orphan has none).
    child: Option<Child>,
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
///
/// `extra` are the pool's task queue (becomes fd 4) and the stage's shared memory (fd 5).
pub fn spawn(exe: &Path, config: WorkerConfig, extra: &ExtraFds) -> io::Result<WorkerProcess> {
    let (report_read, report_write): (OwnedFd, OwnedFd) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let raw = |fd: Option<BorrowedFd>| fd.map_or(-1, |fd| fd.as_raw_fd());
    let moves = [
        (report_write.as_raw_fd(), REPORT_FD),
        (raw(extra.queue), QUEUE_FD),
        (raw(extra.shared), SHARED_FD),
    ];
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
    // async-signal-safe system calls (fcntl, dup2, prctl, getppid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            place_fds(&moves)?;
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            if nix::unistd::getppid() != parent {
                return Err(io::Error::other(
                    "proclab exited while this worker was starting",
                ));
            }
            Ok(())
        });
    }
    let requested_ns = monotonic_ns();
    let mut child = command.spawn()?;
    drop(report_write);
    let pid = child.id();
    let stdout = File::from(OwnedFd::from(child.stdout.take().expect("stdout is piped")));
    let stderr = File::from(OwnedFd::from(child.stderr.take().expect("stderr is piped")));
    Ok(WorkerProcess {
        stdin: child.stdin.take(),
        child: Some(child),
        pid,
        reports: LineReader::new(File::from(report_read), MAX_REPORT_LINE),
        stdout: LineReader::new(stdout, limits::MAX_LINE_BYTES),
        stderr: LineReader::new(stderr, limits::MAX_LINE_BYTES),
        requested_ns,
    })
}

/// Makes `from` available as `to` in the child, without close-on-exec.
/// In the forked child: makes each `(from, to)` descriptor available as `to`, without
/// close-on-exec (`from < 0`: nothing to place). Sources are first copied above 9, so placing
/// one can never overwrite another.
fn place_fds(moves: &[(i32, i32); 3]) -> io::Result<()> {
    let mut high = [-1; 3];
    for (slot, &(from, _)) in high.iter_mut().zip(moves) {
        if from >= 0 {
            // SAFETY: fcntl on a descriptor number the parent opened; async-signal-safe.
            *slot = unsafe { nix::libc::fcntl(from, nix::libc::F_DUPFD_CLOEXEC, 10) };
            if *slot < 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    for (&fd, &(_, to)) in high.iter().zip(moves) {
        // SAFETY: dup2 onto 3, 4 or 5, which are free in the child (everything proclab opens is
        // close-on-exec, std sets up only 0, 1, 2); dup2 clears close-on-exec on the copy.
        if fd >= 0 && unsafe { nix::libc::dup2(fd, to) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

impl WorkerProcess {
    /// A process proclab did not start but adopted (an orphan re-parented to it): no pipes.
    pub fn adopted(pid: u32) -> WorkerProcess {
        WorkerProcess {
            child: None,
            pid,
            stdin: None,
            reports: LineReader::closed(),
            stdout: LineReader::closed(),
            stderr: LineReader::closed(),
            requested_ns: monotonic_ns(),
        }
    }

    /// Whether proclab adopted it rather than started it.
    pub fn is_adopted(&self) -> bool {
        self.child.is_none()
    }

    /// Reaps the process (it must have exited, or this waits for it).
    pub fn wait(&mut self) {
        match self.child.as_mut() {
            Some(child) => drop(child.wait()),
            None => drop(nix::sys::wait::waitpid(
                Pid::from_raw(self.pid as i32),
                None,
            )),
        }
    }

    /// Sends SIGKILL.
    pub fn kill(&self) {
        let _ = nix::sys::signal::kill(Pid::from_raw(self.pid as i32), Signal::SIGKILL);
    }

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
