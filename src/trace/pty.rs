//! A pseudo-terminal for the traced command, so it prints as it would in a terminal.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::pty::{Winsize, openpty};
use nix::sys::termios::{OutputFlags, SetArg, tcgetattr, tcsetattr};

/// Window size used when proclab itself has no terminal.
const DEFAULT_SIZE: (u16, u16) = (80, 24);

/// Both ends of a new pseudo-terminal.
#[derive(Debug)]
pub struct Pty {
    /// proclab's end: what the program writes is read here.
    pub master: OwnedFd,
    /// The program's end: its stdin, stdout and stderr.
    pub slave: OwnedFd,
}

/// Opens a pty the size of proclab's terminal (or 80×24). The slave does not turn `\n` into
/// `\r\n`, so proclab reads exactly the bytes the program wrote. Both ends are close-on-exec:
/// only the copies placed on the child's fds 0, 1, 2 reach it.
pub fn open() -> io::Result<Pty> {
    let (cols, rows) = terminal_size().unwrap_or(DEFAULT_SIZE);
    let size = Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pair = openpty(&size, None)?;
    for fd in [&pair.master, &pair.slave] {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    }
    let mut settings = tcgetattr(pair.slave.as_fd())?;
    settings.output_flags.remove(OutputFlags::ONLCR);
    tcsetattr(pair.slave.as_fd(), SetArg::TCSANOW, &settings)?;
    Ok(Pty {
        master: pair.master,
        slave: pair.slave,
    })
}

/// Columns and rows of the terminal on proclab's stdout, stderr or stdin, if any.
fn terminal_size() -> Option<(u16, u16)> {
    [
        io::stdout().as_fd().as_raw_fd(),
        io::stderr().as_fd().as_raw_fd(),
        io::stdin().as_fd().as_raw_fd(),
    ]
    .into_iter()
    .find_map(|fd| {
        let mut size = nix::libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct we pass; a descriptor that
        // is not a terminal makes it fail with ENOTTY and nothing is written.
        let ok = unsafe { nix::libc::ioctl(fd, nix::libc::TIOCGWINSZ, &mut size) } == 0;
        (ok && size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col, size.ws_row))
    })
}
