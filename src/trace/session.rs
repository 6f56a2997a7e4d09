//! The traced command's session, from proclab's side: proclab starts its session leader
//! ([`leader`]: proclab run again, leading the session of a new pty, as a shell would) with the
//! command to run, then learns from it, over a channel, the command's PID and how each process
//! it reaped ended. [`Session::end`] (or dropping it, or proclab dying, which closes the
//! channel) makes the leader end every process still running and exit.

mod cgroup;
pub mod leader;
mod wire;

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, fcntl};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::launch::RawOutput;
use super::pty;
use crate::observe::lines::LineReader;
pub(crate) use wire::Report;

/// How long the leader may take to start the command.
const START_PATIENCE: Duration = Duration::from_secs(30);
/// How long the leader may take to end everything and exit before proclab kills it.
const END_PATIENCE: Duration = Duration::from_secs(3);
/// Longest report line.
const MAX_REPORT_BYTES: usize = 4096;

/// A running session: its leader, and the channel it reports on.
#[derive(Debug)]
pub(crate) struct Session {
    leader: Child,
    channel: UnixStream,
    reader: LineReader,
    command: u32,
    /// Reports read with the first one, not handed out yet.
    pending: Vec<Report>,
    /// The channel reached its end: the session was ended, or its leader is gone.
    ended: bool,
}

impl Session {
    /// Starts `program` (argv `args`, the first being the name it sees) with extra `env`,
    /// from a session leader of its own: a new pty is the session's terminal, and the
    /// command's stdin, stdout and stderr (with `pipe`, its stdin is /dev/null and its stdout
    /// and stderr are pipes). Returns once the command runs.
    pub(crate) fn start(
        program: &Path,
        args: &[OsString],
        env: &[(OsString, OsString)],
        pipe: bool,
    ) -> io::Result<(Session, RawOutput)> {
        let pty = pty::open()?;
        let (ours, theirs) = UnixStream::pair()?;
        let mut command = Command::new(crate::protocol::own_binary()?);
        command
            .arg(leader::ARG)
            .arg(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)));
        if pipe {
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
        } else {
            command
                .stdin(Stdio::from(pty.slave.try_clone()?))
                .stdout(Stdio::from(pty.slave.try_clone()?))
                .stderr(Stdio::from(pty.slave.try_clone()?));
        }
        // Above 2 and apart, so placing them on 3 and 4 cannot overwrite one with the other.
        let terminal = high_copy(pty.slave.as_fd())?;
        let channel = high_copy(theirs.as_fd())?;
        let (terminal_fd, channel_fd) = (terminal.as_raw_fd(), channel.as_raw_fd());
        // SAFETY: runs in the child between fork and exec, making only async-signal-safe
        // system calls (dup2, setsid, ioctl) and allocating nothing.
        unsafe {
            command.pre_exec(move || {
                for (from, to) in [
                    (terminal_fd, leader::TERMINAL_FD),
                    (channel_fd, leader::CHANNEL_FD),
                ] {
                    if nix::libc::dup2(from, to) < 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                // Its own session, out of proclab's process group (a Ctrl-C in proclab's
                // terminal is proclab's to handle), with the pty as its terminal.
                nix::unistd::setsid()?;
                if nix::libc::ioctl(leader::TERMINAL_FD, nix::libc::TIOCSCTTY, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut leader = command.spawn()?;
        // Only the leader (and what it starts) holds the slave and its end of the channel now.
        drop((pty.slave, terminal, channel, theirs));
        let master = std::fs::File::from(pty.master);
        let output = if pipe {
            let take = |pipe: Option<OwnedFd>| {
                std::fs::File::from(pipe.expect("stdout and stderr are piped"))
            };
            RawOutput::Pipes {
                stdout: take(leader.stdout.take().map(OwnedFd::from)),
                stderr: take(leader.stderr.take().map(OwnedFd::from)),
                terminal: master,
            }
        } else {
            RawOutput::Pty(master)
        };
        let reader = LineReader::new(
            std::fs::File::from(OwnedFd::from(ours.try_clone()?)),
            MAX_REPORT_BYTES,
        );
        let mut session = Session {
            leader,
            channel: ours,
            reader,
            command: 0,
            pending: Vec::new(),
            ended: false,
        };
        session.command = session.wait_started()?;
        Ok((session, output))
    }

    /// Waits for the leader's first report: the command's PID, or why it could not start.
    fn wait_started(&mut self) -> io::Result<u32> {
        let deadline = Instant::now() + START_PATIENCE;
        while Instant::now() < deadline {
            let wait = deadline.saturating_duration_since(Instant::now());
            let channel = [self.channel.as_fd()];
            crate::observe::ready::readable(&channel, wait.min(Duration::from_millis(100)));
            let chunk = self.reader.read_once();
            if let Some((first, rest)) = chunk.lines.split_first() {
                // A quick command may have ended already: what follows is for later.
                self.pending = rest.iter().filter_map(|line| Report::parse(line)).collect();
                return match Report::parse(first) {
                    Some(Report::Started { command }) => Ok(command),
                    Some(Report::Failed(reason)) => Err(io::Error::other(reason)),
                    _ => Err(io::Error::other(format!(
                        "proclab's session leader said something unexpected: {first}"
                    ))),
                };
            }
            if chunk.eof {
                break;
            }
        }
        Err(io::Error::other(
            "proclab's session leader did not start the command",
        ))
    }

    /// The command's PID.
    pub(crate) fn command(&self) -> u32 {
        self.command
    }

    /// The leader's PID: the command's parent, and the parent of every orphan of the program.
    pub(crate) fn leader(&self) -> u32 {
        self.leader.id()
    }

    /// The channel, to poll for reports, while reports may come.
    pub(crate) fn fd(&self) -> Option<BorrowedFd<'_>> {
        (!self.ended).then(|| self.channel.as_fd())
    }

    /// The reports that came (without waiting).
    pub(crate) fn reports(&mut self) -> Vec<Report> {
        let mut reports = std::mem::take(&mut self.pending);
        while !self.ended {
            let chunk = self.reader.read_once();
            let empty = chunk.lines.is_empty();
            reports.extend(chunk.lines.iter().filter_map(|line| Report::parse(line)));
            // The leader died (proclab adopts what it leaves): nothing more will come.
            self.ended = chunk.eof;
            if empty {
                break;
            }
        }
        reports
    }

    /// Ends the session: the leader kills every process left and reaps it, reports each, and
    /// exits (or is killed after [`END_PATIENCE`]). Returns the last reports.
    pub(crate) fn end(&mut self) -> Vec<Report> {
        if self.ended {
            // Its end of the channel closed: it has exited, or is exiting.
            let _ = self.leader.wait();
            return std::mem::take(&mut self.pending);
        }
        self.ended = true;
        let _ = self.channel.shutdown(std::net::Shutdown::Write);
        let _ = self.channel.flush();
        let deadline = Instant::now() + END_PATIENCE;
        let mut reports = std::mem::take(&mut self.pending);
        loop {
            let chunk = self.reader.read_once();
            reports.extend(chunk.lines.iter().filter_map(|line| Report::parse(line)));
            if chunk.eof || Instant::now() >= deadline {
                break;
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            crate::observe::ready::readable(&[self.channel.as_fd()], wait);
        }
        if !matches!(self.leader.try_wait(), Ok(Some(_))) {
            // Stuck past its patience (a process it cannot kill): proclab, subreaper while it
            // traces, takes in what the leader leaves.
            if Instant::now() >= deadline {
                let _ = kill(Pid::from_raw(self.leader() as i32), Signal::SIGKILL);
            }
            let _ = self.leader.wait();
        }
        reports
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.end();
    }
}

/// A close-on-exec copy of `fd` numbered 10 or above.
fn high_copy(fd: BorrowedFd) -> io::Result<OwnedFd> {
    let copy = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(10))?;
    // SAFETY: fcntl just returned this new descriptor, owned by nothing else.
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(copy) })
}
