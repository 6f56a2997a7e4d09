//! A pool's shared task queue, as in Python's `Pool`: the parent writes chunk packets into one
//! pipe that every worker of the pool reads, and a worker that is free takes the next chunk
//! itself, without waiting for the parent. Sentinels at the end tell workers to leave. A lock in
//! shared memory lets one worker read at a time, as Python's queue has a read lock.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::ops::Range;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::fcntl::{FcntlArg, OFlag, fcntl};

use super::shared::SharedRegion;
use crate::protocol::{PACKET_BYTES, Packet};

/// Most bytes written at once: at most `PIPE_BUF`, so each write is atomic and whole packets
/// are all a reader ever sees.
const WRITE_BYTES: usize = PACKET_BYTES;

/// The parent's side of the queue.
#[derive(Debug)]
pub struct TaskQueue {
    read: OwnedFd,
    /// The lock readers take (workers map it).
    lock: SharedRegion,
    write: File,
    packets: Vec<u8>,
    written: usize,
}

impl TaskQueue {
    /// A queue holding the tasks with indices `tasks` in chunks of `chunksize`, then one
    /// sentinel per worker.
    pub fn new(tasks: Range<usize>, chunksize: u64, workers: u32) -> std::io::Result<TaskQueue> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        // Only the parent's end is non-blocking: it tops the queue up between other work.
        fcntl(&write, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        let chunksize = chunksize.max(1) as usize;
        let chunks = tasks.clone().step_by(chunksize).map(|first| Packet {
            first: first as u32,
            len: (tasks.end - first).min(chunksize) as u32,
        });
        let sentinels = std::iter::repeat_n(Packet::SENTINEL, workers as usize);
        let packets = chunks.chain(sentinels).flat_map(Packet::to_bytes).collect();
        Ok(TaskQueue {
            read,
            lock: SharedRegion::new("proclab-queue-lock")?,
            write: File::from(write),
            packets,
            written: 0,
        })
    }

    /// The end workers read from (it becomes their fd 4).
    pub fn reader(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// The readers' lock (it becomes their fd 6).
    pub fn lock(&self) -> BorrowedFd<'_> {
        self.lock.fd().expect("the queue made its lock")
    }

    /// Writes as many packets as the pipe takes now.
    pub fn fill(&mut self) {
        while self.written < self.packets.len() {
            let end = (self.written + WRITE_BYTES).min(self.packets.len());
            match self.write.write(&self.packets[self.written..end]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Whether every packet is in the pipe.
    pub fn is_full(&self) -> bool {
        self.written == self.packets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn chunks_then_sentinels_in_order() {
        let mut queue = TaskQueue::new(10..15, 2, 2).unwrap();
        queue.fill();
        assert!(queue.is_full());
        let mut reader = File::from(queue.reader().try_clone_to_owned().unwrap());
        let mut read = || {
            let mut bytes = [0; PACKET_BYTES];
            reader.read_exact(&mut bytes).unwrap();
            Packet::from_bytes(bytes)
        };
        assert_eq!(read(), Packet { first: 10, len: 2 });
        assert_eq!(read(), Packet { first: 12, len: 2 });
        assert_eq!(read(), Packet { first: 14, len: 1 });
        assert_eq!(read(), Packet::SENTINEL);
        assert_eq!(read(), Packet::SENTINEL);
    }
}
