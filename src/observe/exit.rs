//! How a process ended, from whichever source knows: `wait`, its zombie's `stat`, or what a
//! Python parent said (`exitcode`).

use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Code(i32),
    /// This signal killed it.
    Signal(i32),
    /// It ended, but nothing that knows how it ended said so.
    Unknown,
}

impl ExitStatus {
    /// The status in a raw `waitpid` status word (as field 52 of a zombie's `stat` holds it).
    pub fn from_raw(status: i32) -> ExitStatus {
        match status & 0x7f {
            0 => ExitStatus::Code((status >> 8) & 0xff),
            signal => ExitStatus::Signal(signal),
        }
    }

    /// The status in Python's `Process.exitcode`: negative for minus the signal.
    pub fn from_python(exitcode: i32) -> ExitStatus {
        if exitcode < 0 {
            ExitStatus::Signal(-exitcode)
        } else {
            ExitStatus::Code(exitcode)
        }
    }

    fn from_wait(status: WaitStatus) -> Option<ExitStatus> {
        match status {
            WaitStatus::Exited(_, code) => Some(ExitStatus::Code(code)),
            WaitStatus::Signaled(_, signal, _) => Some(ExitStatus::Signal(signal as i32)),
            _ => None,
        }
    }

    /// The exit code, if it exited.
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Code(code) => Some(code),
            _ => None,
        }
    }

    /// The signal that killed it, if one did.
    pub fn signal(self) -> Option<i32> {
        match self {
            ExitStatus::Signal(signal) => Some(signal),
            _ => None,
        }
    }
}

/// How child `pid` ended, if it has, leaving it a zombie (so it stays visible until it is
/// reaped).
pub(crate) fn peek(pid: u32) -> Option<ExitStatus> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    ExitStatus::from_wait(waitid(Id::Pid(Pid::from_raw(pid as i32)), flags).ok()?)
}

/// Waits until child `pid` has ended, leaving it a zombie.
pub(crate) fn wait_ended(pid: u32) {
    let _ = waitid(
        Id::Pid(Pid::from_raw(pid as i32)),
        WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT,
    );
}

/// Reaps child `pid` if it has ended; how it ended.
pub(crate) fn reap_if_ended(pid: u32) -> Option<ExitStatus> {
    ExitStatus::from_wait(waitpid(Pid::from_raw(pid as i32), Some(WaitPidFlag::WNOHANG)).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_codes_and_signals() {
        assert_eq!(ExitStatus::from_raw(9), ExitStatus::Signal(9));
        assert_eq!(ExitStatus::from_raw(3 << 8), ExitStatus::Code(3));
        assert_eq!(ExitStatus::from_python(-15), ExitStatus::Signal(15));
        assert_eq!(ExitStatus::from_python(2), ExitStatus::Code(2));
        assert_eq!(ExitStatus::Signal(9).code(), None);
        assert_eq!(ExitStatus::Code(1).code(), Some(1));
        assert_eq!(ExitStatus::Unknown.signal(), None);
    }

    #[test]
    fn peeks_then_reaps_a_child() {
        // Reaped below by PID, not through the `Child`.
        #[allow(clippy::zombie_processes)]
        let child = std::process::Command::new("sh")
            .args(["-c", "exit 4"])
            .spawn()
            .unwrap();
        let pid = child.id();
        wait_ended(pid);
        assert_eq!(peek(pid), Some(ExitStatus::Code(4)));
        assert_eq!(peek(pid), Some(ExitStatus::Code(4)), "peeking leaves it");
        assert_eq!(reap_if_ended(pid), Some(ExitStatus::Code(4)));
        assert_eq!(reap_if_ended(pid), None, "reaped");
    }
}
