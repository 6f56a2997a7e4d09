//! Starting worker processes: forked by the fork server ([`super::fork_server`]), with their
//! command on stdin, fd 3 for reports, stdout and stderr captured.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::fork_server::{self, Forked, QueueFds, WorkerFds};
use crate::limits;
use crate::observe::clock::monotonic_ns;
use crate::observe::lines::{LineReader, with_read_buffer};
use crate::protocol::WorkerConfig;
use crate::protocol::report::{FrameReader, Malformed, Report};

/// Descriptors a worker gets besides its pipes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExtraFds<'a> {
    /// A pool's shared task queue: its read end and its lock.
    pub queue: Option<QueueFds<'a>>,
    /// The stage's shared-memory counter.
    pub shared: Option<BorrowedFd<'a>>,
}

/// A worker to start: its settings, the descriptors it shares with its stage, and the one
/// command it runs (`None`: it says hello and exits).
#[derive(Debug, Clone)]
pub struct Start<'a> {
    /// How it is set up.
    pub config: WorkerConfig,
    /// The pool's task queue and the stage's shared memory, if any.
    pub extra: ExtraFds<'a>,
    /// Its command line (JSON, without the newline).
    pub command: Option<String>,
}

/// A started worker process and its pipes.
#[derive(Debug)]
pub struct WorkerProcess {
    /// Its PID.
    pub pid: u32,
    /// proclab adopted it (an orphan re-parented to it) rather than started it: it has no pipes.
    adopted: bool,
    /// Reports from fd 3.
    pub reports: ReportPipe,
    /// What it prints on stdout.
    pub stdout: LineReader,
    /// What it prints on stderr.
    pub stderr: LineReader,
    /// `CLOCK_MONOTONIC` ns when proclab asked for it to start.
    pub requested_ns: u64,
    /// Readable once the process has ended (its pidfd), so that its exit is noticed at once;
    /// `None` where the kernel gave none (no pidfds, or no descriptor left).
    pub ended: Option<OwnedFd>,
}

/// A descriptor that becomes readable when process `pid` ends (`pidfd_open`, Linux 5.3).
fn pidfd(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a PID and flags and returns a new descriptor or -1.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid as nix::libc::pid_t, 0) };
    // SAFETY: a non-negative result is a descriptor the kernel just gave this process.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// A pipe whose both ends are close-on-exec: `(read, write)`.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(OFlag::O_CLOEXEC)?)
}

/// A worker's pipes before it is asked for: the worker's ends travel to the fork server with
/// the request.
struct Pipes {
    stdin: OwnedFd,
    stdout: OwnedFd,
    stderr: OwnedFd,
    reports: OwnedFd,
    ours: Ours,
}

/// proclab's ends of a worker's pipes, and what of its command did not fit in its stdin pipe
/// before it ran.
struct Ours {
    stdout: File,
    stderr: File,
    reports: File,
    /// The stdin pipe's write end and the command's bytes still to write, if they did not all
    /// fit.
    unsent: Option<(File, Vec<u8>)>,
}

impl Pipes {
    /// Makes the pipes and puts `command` into stdin, closing it when all of it fits (a
    /// command is almost always far smaller than a pipe), so the worker finds its command
    /// the moment it runs.
    fn new(command: Option<&str>) -> io::Result<Pipes> {
        let (stdin, stdin_write) = pipe()?;
        let (stdout_read, stdout) = pipe()?;
        let (stderr_read, stderr) = pipe()?;
        let (reports_read, reports) = pipe()?;
        let mut line =
            command.map_or_else(Vec::new, |command| [command, "\n"].concat().into_bytes());
        let mut stdin_write = File::from(stdin_write);
        if !line.is_empty() {
            nix::fcntl::fcntl(
                &stdin_write,
                nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK),
            )?;
            let written = match stdin_write.write(&line) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
                written => written?,
            };
            line.drain(..written);
        }
        let unsent = if line.is_empty() {
            None
        } else {
            nix::fcntl::fcntl(&stdin_write, nix::fcntl::FcntlArg::F_SETFL(OFlag::empty()))?;
            Some((stdin_write, line))
        };
        Ok(Pipes {
            stdin,
            stdout,
            stderr,
            reports,
            ours: Ours {
                stdout: File::from(stdout_read),
                stderr: File::from(stderr_read),
                reports: File::from(reports_read),
                unsent,
            },
        })
    }

    fn fds<'a>(&'a self, extra: &ExtraFds<'a>) -> WorkerFds<'a> {
        WorkerFds {
            stdin: self.stdin.as_fd(),
            stdout: self.stdout.as_fd(),
            stderr: self.stderr.as_fd(),
            reports: self.reports.as_fd(),
            queue: extra.queue,
            shared: extra.shared,
        }
    }
}

impl Ours {
    /// The worker, forked as `pid`: the rest of its command is written (the worker reads it
    /// meanwhile) and its stdin closed.
    fn forked(self, Forked { pid, asked_ns }: Forked) -> WorkerProcess {
        if let Some((mut stdin, rest)) = self.unsent {
            // A worker that died meanwhile closed the pipe: its exit is noticed by the engine.
            let _ = stdin.write_all(&rest);
        }
        WorkerProcess {
            pid,
            adopted: false,
            reports: ReportPipe::new(self.reports),
            stdout: LineReader::new(self.stdout, limits::MAX_LINE_BYTES),
            stderr: LineReader::new(self.stderr, limits::MAX_LINE_BYTES),
            requested_ns: asked_ns,
            ended: pidfd(pid),
        }
    }
}

/// Starts workers, forked by the fork server: each is proclab's own child, dies with proclab
/// (`PR_SET_PDEATHSIG`, set as it is forked), runs its one command and exits (its stdin is
/// closed after the command). As Python's `start()` returns right after its fork, each is asked
/// for without waiting for the ones before it to run; their command is in their stdin before
/// they are asked for.
///
/// A start's extra descriptors are the pool's task queue (fd 4, its lock fd 6) and the stage's
/// shared memory (fd 5).
pub fn spawn_all(starts: &[Start]) -> Vec<io::Result<WorkerProcess>> {
    // A batch at a time, so a big stage never holds every worker's pipes twice over.
    starts
        .chunks(fork_server::REQUESTS_AHEAD)
        .flat_map(spawn_batch)
        .collect()
}

fn spawn_batch(starts: &[Start]) -> Vec<io::Result<WorkerProcess>> {
    let mut batch = fork_server::Batch::hold();
    // Each is asked for as soon as its pipes are made; the worker's ends close once asked.
    let asked: Vec<io::Result<Ours>> = starts
        .iter()
        .map(|start| {
            let pipes = Pipes::new(start.command.as_deref())?;
            batch.ask(start.config, &pipes.fds(&start.extra));
            Ok(pipes.ours)
        })
        .collect();
    let mut answers = batch.answers().into_iter();
    asked
        .into_iter()
        .map(|ours| {
            let ours = ours?;
            let forked = answers.next().expect("one answer per request")?;
            Ok(ours.forked(forked))
        })
        .collect()
}

/// Starts one worker (see [`spawn_all`]).
pub fn spawn(start: &Start) -> io::Result<WorkerProcess> {
    spawn_all(std::slice::from_ref(start))
        .pop()
        .expect("one start, one result")
}

impl WorkerProcess {
    /// A process proclab did not start but adopted (an orphan re-parented to it): no pipes.
    pub fn adopted(pid: u32) -> WorkerProcess {
        WorkerProcess {
            pid,
            adopted: true,
            reports: ReportPipe::closed(),
            stdout: LineReader::closed(),
            stderr: LineReader::closed(),
            requested_ns: monotonic_ns(),
            ended: pidfd(pid),
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
}

impl ReportPipe {
    fn new(file: File) -> ReportPipe {
        let _ = nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
        ReportPipe {
            file: Some(file),
            frames: FrameReader::default(),
        }
    }

    fn closed() -> ReportPipe {
        ReportPipe {
            file: None,
            frames: FrameReader::default(),
        }
    }

    /// The open pipe, if it is not at its end yet.
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Reads what is there now (call when poll says the pipe is readable); `all`: until nothing
    /// is left (after the worker exited).
    pub fn read(&mut self, all: bool) {
        with_read_buffer(|buffer| {
            while let Some(file) = self.file.as_mut() {
                match file.read(buffer) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                    Ok(0) | Err(_) => self.file = None,
                    Ok(n) => {
                        self.frames.push_bytes(&buffer[..n]);
                        if !all {
                            return;
                        }
                    }
                }
            }
        })
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
