//! Waiting on many descriptors at once: one `poll` over every pipe and socket of a run.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Waits up to `wait` until some of `fds` can be read (data, end of file or an error); returns
/// the positions of those that can. With no descriptors, it just waits.
pub(crate) fn readable(fds: &[BorrowedFd], wait: Duration) -> Vec<usize> {
    if fds.is_empty() {
        std::thread::sleep(wait);
        return Vec::new();
    }
    let mut polled: Vec<PollFd> = fds
        .iter()
        .map(|&fd| PollFd::new(fd, PollFlags::POLLIN))
        .collect();
    // Rounded up to whole milliseconds: rounding down would spin on a timeout of 0.
    let timeout =
        PollTimeout::try_from(wait.as_nanos().div_ceil(1_000_000)).unwrap_or(PollTimeout::MAX);
    if poll(&mut polled, timeout).unwrap_or(0) <= 0 {
        return Vec::new();
    }
    polled
        .iter()
        .enumerate()
        .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    #[test]
    fn names_the_descriptors_that_can_be_read() {
        let (quiet_read, _quiet_write) = nix::unistd::pipe().unwrap();
        let (read, write) = nix::unistd::pipe().unwrap();
        std::fs::File::from(write).write_all(b"x").unwrap();
        let fds = [quiet_read.as_fd(), read.as_fd()];
        assert_eq!(readable(&fds, Duration::from_millis(50)), [1]);
        assert_eq!(
            readable(&fds[..1], Duration::from_micros(10)),
            Vec::<usize>::new()
        );
    }
}
