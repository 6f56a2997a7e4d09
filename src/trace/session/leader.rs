//! The session leader: proclab run again as a small single-threaded process that stands
//! between proclab and the traced command as a shell stands between a terminal and the
//! programs it runs. It leads the session of the command's terminal and starts the command in
//! a process group of its own, in the terminal's foreground; it is the child subreaper of
//! everything the command starts (orphans, daemons, new sessions), reaps it all and tells
//! proclab how each ended; and when proclab ends the trace, closes the channel, or dies, it ends
//! every process left (all at once through the trace's cgroup where there is one, then by
//! killing every descendant until none is left) before it exits itself.
//!
//! So the command's exit hangs nothing up: Python's resource tracker and forkserver end as they
//! would in a terminal; and nothing the program starts survives proclab, even a SIGKILL of it.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigHandler, SigSet, Signal, kill, signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, getpid, getppid, setpgid, tcsetpgrp};

use super::cgroup::Cgroup;
use super::wire::Report;
use crate::observe::clock::monotonic_ns;
use crate::observe::exit::ExitStatus;
use crate::trace::tree;

/// The first argument that makes proclab a session leader.
pub const ARG: &str = "__trace_session";
/// The session's terminal (the pty's slave), which proclab makes the leader's controlling
/// terminal before it runs.
pub(crate) const TERMINAL_FD: RawFd = 3;
/// The leader's end of its channel to proclab.
pub(crate) const CHANNEL_FD: RawFd = 4;

/// Signals the leader takes through its signalfd: a child ended; proclab's terminal hung up
/// (proclab is gone) or someone asks the leader to end.
const WATCHED: [Signal; 3] = [Signal::SIGCHLD, Signal::SIGHUP, Signal::SIGTERM];
/// Terminal signals the leader ignores, as a shell does (the command gets them back).
const IGNORED: [Signal; 5] = [
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTSTP,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
];
/// Most rounds of killing what is left at the end (each round kills every descendant found;
/// only what was forked during a round survives it).
const END_ROUNDS: usize = 1000;

/// The leader's `main`: `args` are the program's path, then its argv (the name it was typed as
/// first). Exits 0 once every process of the session has ended.
pub fn main(args: &[OsString]) -> ExitCode {
    let [program, argv @ ..] = args else {
        return refuse("no command given");
    };
    if argv.is_empty() {
        return refuse("no argv given");
    }
    // SAFETY: the two descriptors proclab placed; checked to be a terminal and a socket before
    // anything uses them, and owned by nothing else in this process.
    let (terminal, channel) = unsafe {
        (
            OwnedFd::from_raw_fd(TERMINAL_FD),
            OwnedFd::from_raw_fd(CHANNEL_FD),
        )
    };
    if !nix::unistd::isatty(&terminal).unwrap_or(false) || !is_socket(&channel) {
        // Leave them be: they are not ours.
        std::mem::forget((terminal, channel));
        return refuse("started without its terminal and channel");
    }
    match Leader::start(Path::new(program), argv, terminal, File::from(channel)) {
        Ok(Some(mut leader)) => {
            leader.run();
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::from(1),
        Err(error) => refuse(&error.to_string()),
    }
}

fn refuse(why: &str) -> ExitCode {
    eprintln!("proclab: {ARG} is proclab trace's own helper ({why}); run proclab trace instead");
    ExitCode::from(2)
}

fn is_socket(fd: &OwnedFd) -> bool {
    nix::sys::stat::fstat(fd).is_ok_and(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFSOCK)
}

/// The running leader.
struct Leader {
    channel: File,
    signals: SignalFd,
    cgroup: Option<Cgroup>,
}

impl Leader {
    /// Sets the leader up and starts the command; `None` (after telling proclab why) if it
    /// could not be started.
    fn start(
        program: &Path,
        argv: &[OsString],
        terminal: OwnedFd,
        mut channel: File,
    ) -> io::Result<Option<Leader>> {
        for fd in [terminal.as_raw_fd(), channel.as_raw_fd()] {
            nix::fcntl::fcntl(
                // SAFETY: both are open, owned above.
                unsafe { BorrowedFd::borrow_raw(fd) },
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
            )?;
        }
        let _ = nix::sys::prctl::set_name(c"proclab");
        nix::sys::prctl::set_child_subreaper(true)?;
        for ignored in IGNORED {
            // SAFETY: SIG_IGN installs no handler.
            unsafe { signal(ignored, SigHandler::SigIgn) }?;
        }
        let mut watched = SigSet::empty();
        WATCHED.into_iter().for_each(|s| watched.add(s));
        watched.thread_block()?;
        let signals =
            SignalFd::with_flags(&watched, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        let cgroup = Cgroup::create();
        let spawned = spawn_command(program, argv, &terminal, cgroup.as_ref());
        // The leader keeps no copy of the command's terminal or output: the program's output
        // ends (proclab reads its end of file) when the program's own processes close theirs.
        drop(terminal);
        let _ = let_go_of_stdio();
        let report = match &spawned {
            Ok(command) => Report::Started {
                command: command.as_raw() as u32,
            },
            Err(error) => Report::Failed(format!("cannot start {}: {error}", program.display())),
        };
        channel.write_all(report.to_string().as_bytes())?;
        if spawned.is_err() {
            return Ok(None);
        }
        Ok(Some(Leader {
            channel,
            signals,
            cgroup,
        }))
    }

    /// Reaps and reports until proclab ends the session (or is gone), then ends it.
    fn run(&mut self) {
        loop {
            let mut fds = [
                PollFd::new(self.channel.as_fd(), PollFlags::POLLIN),
                PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
            ];
            if poll(&mut fds, PollTimeout::NONE).is_err() {
                continue; // EINTR
            }
            let proclab_done = fds[0].revents().is_some_and(|r| !r.is_empty());
            let signalled = fds[1].revents().is_some_and(|r| !r.is_empty());
            if signalled && self.take_signals() {
                break;
            }
            // proclab never writes: readable means its end closed.
            if proclab_done && self.channel.read(&mut [0u8; 64]).map_or(true, |n| n == 0) {
                break;
            }
        }
        self.end();
    }

    /// Handles the signals that came; whether the session must end.
    fn take_signals(&mut self) -> bool {
        let mut end = false;
        while let Ok(Some(info)) = self.signals.read_signal() {
            match Signal::try_from(info.ssi_signo as i32) {
                Ok(Signal::SIGCHLD) => self.reap(),
                Ok(_) => end = true,
                Err(_) => {}
            }
        }
        end
    }

    /// Reaps every child that ended and reports it. (The command's process group stays the
    /// terminal's foreground group after it ends: nothing is typed into a trace's terminal.)
    fn reap(&mut self) {
        loop {
            let (pid, status) = match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, ExitStatus::Code(code)),
                Ok(WaitStatus::Signaled(pid, signal, _)) => {
                    (pid, ExitStatus::Signal(signal as i32))
                }
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => continue,
            };
            let report = Report::Reaped {
                pid: pid.as_raw() as u32,
                status,
                t_ns: monotonic_ns(),
            };
            // proclab may be gone: the reports are only for it.
            let _ = self.channel.write_all(report.to_string().as_bytes());
        }
    }

    /// Ends every process of the session: all at once through the cgroup, where there is one,
    /// then SIGKILL to every descendant found, round after round, until none is left; each is
    /// reaped and reported.
    fn end(&mut self) {
        if let Some(cgroup) = &self.cgroup
            && cgroup.is_populated()
        {
            cgroup.kill_all();
        }
        let me = std::process::id();
        for _ in 0..END_ROUNDS {
            let left = tree::descendants_of(me);
            for &pid in &left {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            }
            self.reap();
            if left.is_empty() {
                // Nothing alive below: only zombies not reaped yet could remain.
                match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    Err(Errno::ECHILD) => break,
                    _ => self.reap(),
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Puts /dev/null on the leader's stdin, stdout and stderr (the command's, which it no
/// longer needs).
fn let_go_of_stdio() -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&null)?;
    Ok(())
}

/// Starts the command in a process group of its own, in the terminal's foreground, in the
/// cgroup if there is one, killed by the kernel if the leader dies; returns its PID.
fn spawn_command(
    program: &Path,
    argv: &[OsString],
    terminal: &OwnedFd,
    cgroup: Option<&Cgroup>,
) -> io::Result<Pid> {
    let mut command = Command::new(program);
    command.arg0(&argv[0]).args(&argv[1..]);
    let procs = cgroup.map(Cgroup::procs_file).transpose().ok().flatten();
    let procs_fd = procs.as_ref().map(AsRawFd::as_raw_fd);
    let terminal_fd = terminal.as_raw_fd();
    let leader = getpid();
    // SAFETY: runs in the child between fork and exec (this process has one thread), making
    // only async-signal-safe system calls, with nothing allocated.
    unsafe {
        command.pre_exec(move || {
            let me = getpid();
            setpgid(me, me)?;
            // SIGTTOU is still ignored here, as a shell ignores it: a background group may
            // take the terminal.
            tcsetpgrp(BorrowedFd::borrow_raw(terminal_fd), me)?;
            // The signals the leader ignores or takes through its signalfd are the command's
            // again: none ignored, none blocked.
            for ignored in IGNORED {
                signal(ignored, SigHandler::SigDfl)?;
            }
            SigSet::empty().thread_set_mask()?;
            if let Some(fd) = procs_fd {
                // Into the trace's cgroup, with everything it will start (best effort).
                let _ = nix::libc::write(fd, b"0".as_ptr().cast(), 1);
            }
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            if getppid() != leader {
                return Err(io::Error::from_raw_os_error(nix::libc::ESRCH));
            }
            Ok(())
        });
    }
    let child = command.spawn()?;
    Ok(Pid::from_raw(child.id() as i32))
}
