//! Starting one worker process: forked by the fork server ([`super::fork_server`]), with its
//! stdin for commands, fd 3 for reports, stdout and stderr captured.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::fork_server::{self, QueueFds, WorkerFds};
use crate::limits;
use crate::observe::clock::monotonic_ns;
use crate::observe::lines::LineReader;
use crate::protocol::WorkerConfig;
use crate::protocol::report::{FrameReader, Malformed, Report};

/// Most bytes one read of a report pipe takes.
const REPORT_READ_BYTES: usize = 256 * 1024;

/// Descriptors a worker gets besides its pipes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExtraFds<'a> {
    /// A pool's shared task queue: its read end and its lock.
    pub queue: Option<QueueFds<'a>>,
    /// The stage's shared-memory counter.
    pub shared: Option<BorrowedFd<'a>>,
}

/// A started worker process and its pipes.
#[derive(Debug)]
pub struct WorkerProcess {
    /// Its PID.
    pub pid: u32,
    /// proclab adopted it (an orphan re-parented to it) rather than started it: it has no pipes.
    adopted: bool,
    /// Commands go here; `None` once closed.
    pub stdin: Option<File>,
    /// Reports from fd 3.
    pub reports: ReportPipe,
    /// What it prints on stdout.
    pub stdout: LineReader,
    /// What it prints on stderr.
    pub stderr: LineReader,
    /// `CLOCK_MONOTONIC` ns when proclab asked for it to start.
    pub requested_ns: u64,
}

/// A pipe whose both ends are close-on-exec: `(read, write)`.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(OFlag::O_CLOEXEC)?)
}

/// Starts a worker, forked by the fork server: proclab's own child, which dies with proclab
/// (`PR_SET_PDEATHSIG`, set as it is forked) and exits on EOF of its stdin.
///
/// `extra` are the pool's task queue (becomes fd 4, its lock fd 6) and the stage's shared memory
/// (fd 5).
pub fn spawn(config: WorkerConfig, extra: &ExtraFds) -> io::Result<WorkerProcess> {
    let (stdin_read, stdin_write) = pipe()?;
    let (stdout_read, stdout_write) = pipe()?;
    let (stderr_read, stderr_write) = pipe()?;
    let (report_read, report_write) = pipe()?;
    let requested_ns = monotonic_ns();
    let pid = fork_server::fork_worker(
        config,
        &WorkerFds {
            stdin: stdin_read.as_fd(),
            stdout: stdout_write.as_fd(),
            stderr: stderr_write.as_fd(),
            reports: report_write.as_fd(),
            queue: extra.queue,
            shared: extra.shared,
        },
    )?;
    Ok(WorkerProcess {
        pid,
        adopted: false,
        stdin: Some(File::from(stdin_write)),
        reports: ReportPipe::new(File::from(report_read)),
        stdout: LineReader::new(File::from(stdout_read), limits::MAX_LINE_BYTES),
        stderr: LineReader::new(File::from(stderr_read), limits::MAX_LINE_BYTES),
        requested_ns,
    })
}

impl WorkerProcess {
    /// A process proclab did not start but adopted (an orphan re-parented to it): no pipes.
    pub fn adopted(pid: u32) -> WorkerProcess {
        WorkerProcess {
            pid,
            adopted: true,
            stdin: None,
            reports: ReportPipe::closed(),
            stdout: LineReader::closed(),
            stderr: LineReader::closed(),
            requested_ns: monotonic_ns(),
        }
    }

    /// Whether proclab adopted it rather than started it.
    pub fn is_adopted(&self) -> bool {
        self.adopted
    }

    /// Reaps the process (it must have exited, or this waits for it).
    pub fn wait(&mut self) {
        let _ = nix::sys::wait::waitpid(Pid::from_raw(self.pid as i32), None);
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

/// A worker's report pipe (fd 3), read without blocking and split into reports.
#[derive(Debug)]
pub struct ReportPipe {
    file: Option<File>,
    frames: FrameReader,
    /// Where reads land (allocated at the first read).
    buffer: Vec<u8>,
}

impl ReportPipe {
    fn new(file: File) -> ReportPipe {
        let _ = nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
        ReportPipe {
            file: Some(file),
            frames: FrameReader::default(),
            buffer: Vec::new(),
        }
    }

    fn closed() -> ReportPipe {
        ReportPipe {
            file: None,
            frames: FrameReader::default(),
            buffer: Vec::new(),
        }
    }

    /// The open pipe, if it is not at its end yet.
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Reads what is there now (call when poll says the pipe is readable); `all`: until nothing
    /// is left (after the worker exited).
    pub fn read(&mut self, all: bool) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        self.buffer.resize(REPORT_READ_BYTES, 0);
        loop {
            match file.read(&mut self.buffer) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Ok(0) | Err(_) => {
                    self.file = None;
                    return;
                }
                Ok(n) => {
                    self.frames.push_bytes(&self.buffer[..n]);
                    if !all {
                        return;
                    }
                }
            }
        }
    }

    /// The next whole report read so far. After `Err` the pipe is closed: nothing more it says
    /// can be trusted.
    pub fn next_report(&mut self) -> Result<Option<Report>, Malformed> {
        let next = self.frames.next_report();
        if next.is_err() {
            self.file = None;
            self.frames = FrameReader::default();
        }
        next
    }
}
