//! What the parent and a worker say to each other.
//!
//! A worker is forked by the fork server ([`crate::engine::fork_server`]) with its settings, a
//! [`WorkerConfig`]. Commands go to the worker's stdin as JSON lines. Reports come back on file
//! descriptor 3 (never the worker's stdout, so what a worker prints stays exactly as printed) as
//! binary frames ([`report`]). Times are `CLOCK_MONOTONIC` nanoseconds: that clock is shared by
//! every process on the machine, so the parent places each report on its own timeline exactly.

pub mod report;

use serde::{Deserialize, Serialize};

use crate::engine::plan::StageTasks;
use crate::lesson::model::{Buffering, CounterScope};
use crate::task::Task;

/// The file descriptor a worker writes its reports to.
pub const REPORT_FD: i32 = 3;
/// The file descriptor a pool worker reads chunk packets from: the pool's shared task queue.
pub const QUEUE_FD: i32 = 4;
/// The file descriptor of the shared-memory counter (a memfd), in stages that have one.
pub const SHARED_FD: i32 = 5;
/// The file descriptor of a pool's queue lock (a memfd holding a [`crate::engine::shared`] lock):
/// a worker holds it while it reads the next chunk, as Python's pool workers hold the queue's
/// read lock.
pub const QUEUE_LOCK_FD: i32 = 6;
/// Size of a shared-memory region: the counter (u64 at 0) and its lock (two u32 at 8).
pub const SHARED_BYTES: usize = 4096;
/// Size of one packet on the task queue: first task index and length, two little-endian u32.
pub const PACKET_BYTES: usize = 8;

/// One packet of the shared task queue: a chunk of `len` tasks from index `first`, or the
/// sentinel (`len == 0`) that tells one worker to leave, as Python's pool sends `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// First task index.
    pub first: u32,
    /// Number of tasks; 0 for the sentinel.
    pub len: u32,
}

impl Packet {
    /// The sentinel.
    pub const SENTINEL: Packet = Packet { first: 0, len: 0 };

    /// The packet's bytes.
    pub fn to_bytes(self) -> [u8; PACKET_BYTES] {
        let mut bytes = [0; PACKET_BYTES];
        bytes[..4].copy_from_slice(&self.first.to_le_bytes());
        bytes[4..].copy_from_slice(&self.len.to_le_bytes());
        bytes
    }

    /// The packet in `bytes`.
    pub fn from_bytes(bytes: [u8; PACKET_BYTES]) -> Packet {
        let [a, b, c, d, e, f, g, h] = bytes;
        Packet {
            first: u32::from_le_bytes([a, b, c, d]),
            len: u32::from_le_bytes([e, f, g, h]),
        }
    }
}

/// How a worker process is set up (sent to the fork server with its request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerConfig {
    /// How its prints are buffered.
    pub buffering: Buffering,
    /// Which counter its `count` tasks add to.
    pub counter: CounterScope,
    /// The core it pins itself to, if any.
    pub pin: Option<u32>,
}

/// A command from the parent, one JSON line on the worker's stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Run these tasks one after the other on the main thread.
    Run {
        /// The tasks, described (a range of numbers travels as one).
        tasks: StageTasks,
    },
    /// Run each task on a thread of its own, all at once, then print the counter if shared.
    Threads {
        /// One per thread.
        tasks: Vec<Task>,
    },
    /// Be a pool worker: these are the stage's tasks; take chunks from the queue on fd 4 until
    /// the sentinel.
    Pool {
        /// Every task of the stage, described.
        tasks: StageTasks,
    },
}

/// The proclab binary a program that uses proclab's library (its own tests) starts workers and
/// trace sessions from, set once with [`use_binary`].
static EMBEDDED_IN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Tells proclab's library, running inside another program (a test binary), where the proclab
/// binary is: workers and a trace's session leader are started from it, not from this program.
pub fn use_binary(proclab: std::path::PathBuf) {
    let _ = EMBEDDED_IN.set(proclab);
}

/// The running proclab binary, to start workers from: `/proc/self/exe` names the very file
/// this process runs even after it was replaced on disk (a rebuild, an upgrade), where its path
/// would then name a different program, or none.
pub fn own_binary() -> std::io::Result<std::path::PathBuf> {
    if let Some(proclab) = EMBEDDED_IN.get() {
        return Ok(proclab.clone());
    }
    let this = std::path::PathBuf::from("/proc/self/exe");
    if this.exists() {
        Ok(this)
    } else {
        std::env::current_exe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::NumberFn;
    use crate::task::TaskFn;

    #[test]
    fn packets_round_trip() {
        let packet = Packet {
            first: 70_000,
            len: 3,
        };
        assert_eq!(Packet::from_bytes(packet.to_bytes()), packet);
    }

    #[test]
    fn a_range_of_numbers_travels_as_one() {
        let tasks = StageTasks::numbers(0, NumberFn::Square, 1, 100_000, None);
        let line = serde_json::to_string(&Command::Pool { tasks }).unwrap();
        assert!(line.len() < 200, "{line}");
        let Command::Pool { tasks } = serde_json::from_str(&line).unwrap() else {
            panic!("a pool command");
        };
        assert_eq!(
            tasks.task(99_999).unwrap().function,
            TaskFn::Square { n: 100_000 }
        );
    }
}
