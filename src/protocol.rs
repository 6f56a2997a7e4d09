//! What the parent and a worker say to each other.
//!
//! A worker is forked by the fork server ([`crate::engine::fork_server`]) with its settings, a
//! [`WorkerConfig`]. Commands go to the worker's stdin as JSON lines. Reports come back on file descriptor 3 (never
//! the worker's stdout, so what a worker prints stays exactly as printed) as short text lines that
//! are cheap to write and parse, because a pool may report hundreds of thousands of tasks.
//! Times are `CLOCK_MONOTONIC` nanoseconds: that clock is shared by every process on the machine,
//! so the parent places each report on its own timeline exactly.

use serde::{Deserialize, Serialize};

use crate::lesson::model::{Buffering, CounterScope};
use crate::task::{Task, TaskFn};

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
        /// The chunk, compactly.
        tasks: Vec<TaskRun>,
    },
    /// Run each task on a thread of its own, all at once, then print the counter if shared.
    Threads {
        /// One per thread.
        tasks: Vec<Task>,
    },
    /// Be a pool worker: these are the stage's tasks; take chunks from the queue on fd 4 until
    /// the sentinel.
    Pool {
        /// Every task of the stage, compactly.
        tasks: Vec<TaskRun>,
    },
}

/// Tasks on the wire: one task, or a run of `square`/`cube` over consecutive numbers (a pool
/// over 100,000 items sends one of these instead of 100,000 tasks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskRun {
    /// A single task.
    One(Task),
    /// `square` (or `cube`) of `from..=to`, task indices from `first_index`.
    Numbers {
        /// Index of the task for `from`.
        first_index: usize,
        /// `cube` instead of `square`.
        cube: bool,
        /// First number.
        from: i64,
        /// Last number.
        to: i64,
        /// The `after` line of each (placeholders but `{pid}` and `{result}` filled per task
        /// by the worker: `{n}` and `{label}` are the number).
        after: Option<String>,
    },
}

/// Packs tasks for the wire, turning runs of plain numeric tasks into [`TaskRun::Numbers`].
pub fn compress(tasks: impl IntoIterator<Item = Task>) -> Vec<TaskRun> {
    let mut runs: Vec<TaskRun> = Vec::new();
    for task in tasks {
        let number = match task.function {
            TaskFn::Square { n } if task.before.is_none() => Some((false, n)),
            TaskFn::Cube { n } if task.before.is_none() => Some((true, n)),
            _ => None,
        };
        let template = task.after.as_ref().map(|a| a.replace(&task.label, "{n}"));
        let extends = |run: &TaskRun| match (run, number) {
            (
                TaskRun::Numbers {
                    first_index,
                    cube,
                    from,
                    to,
                    after,
                },
                Some((c, n)),
            ) => {
                *cube == c
                    && n == to + 1
                    && task.index == first_index + (to - from + 1) as usize
                    && task.label == n.to_string()
                    && *after == template
            }
            _ => false,
        };
        match (runs.last_mut(), number) {
            (Some(last), Some((_, n))) if extends(last) => {
                if let TaskRun::Numbers { to, .. } = last {
                    *to = n;
                }
            }
            (_, Some((cube, n))) if task.label == n.to_string() => runs.push(TaskRun::Numbers {
                first_index: task.index,
                cube,
                from: n,
                to: n,
                after: template,
            }),
            _ => runs.push(TaskRun::One(task)),
        }
    }
    runs
}

/// Unpacks what [`compress`] packed (a run of numbers carries no labels: workers need a label
/// only to return it from `sleep`).
pub fn expand(runs: Vec<TaskRun>) -> Vec<Task> {
    let mut tasks = Vec::new();
    for run in runs {
        match run {
            TaskRun::One(task) => tasks.push(task),
            TaskRun::Numbers {
                first_index,
                cube,
                from,
                to,
                after,
            } => {
                tasks.extend((from..=to).enumerate().map(|(i, n)| Task {
                    index: first_index + i,
                    label: String::new(),
                    function: if cube {
                        TaskFn::Cube { n }
                    } else {
                        TaskFn::Square { n }
                    },
                    before: None,
                    after: after.as_ref().map(|a| a.replace("{n}", &n.to_string())),
                }));
            }
        }
    }
    tasks
}

/// A report from a worker, one line on fd 3.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The worker is running.
    Hello {
        /// Its PID.
        pid: u32,
        /// Its core.
        cpu: Option<u32>,
        /// When.
        t_ns: u64,
    },
    /// A thread of a threads command began.
    ThreadStarted {
        /// Its index within the command.
        thread: usize,
        /// Its TID.
        tid: u32,
        /// When.
        t_ns: u64,
        /// Nanoseconds `std::thread::spawn` took until the thread ran.
        spawn_ns: u64,
    },
    /// The worker started a process of its own that will be orphaned: proclab adopts it.
    Adopt {
        /// Its PID.
        pid: u32,
    },
    /// A pool worker took a chunk from the queue.
    Took {
        /// First task index.
        first: usize,
        /// Number of tasks.
        len: usize,
    },
    /// A task began.
    Started {
        /// Task index.
        task: usize,
        /// Core.
        cpu: Option<u32>,
        /// When.
        t_ns: u64,
    },
    /// A task ended.
    Finished {
        /// Task index.
        task: usize,
        /// Core.
        cpu: Option<u32>,
        /// When.
        t_ns: u64,
        /// CPU time of the task, nanoseconds.
        cpu_ns: u64,
        /// The result, as JSON text.
        result: String,
    },
}

fn cpu_text(cpu: Option<u32>) -> String {
    cpu.map_or_else(|| "-".into(), |c| c.to_string())
}

fn parse_cpu(text: &str) -> Option<Option<u32>> {
    if text == "-" {
        Some(None)
    } else {
        text.parse().ok().map(Some)
    }
}

impl Report {
    /// The report as one line, with its newline.
    pub fn to_line(&self) -> String {
        match self {
            Report::Hello { pid, cpu, t_ns } => format!("H {pid} {} {t_ns}\n", cpu_text(*cpu)),
            Report::ThreadStarted {
                thread,
                tid,
                t_ns,
                spawn_ns,
            } => {
                format!("T {thread} {tid} {t_ns} {spawn_ns}\n")
            }
            Report::Took { first, len } => format!("C {first} {len}\n"),
            Report::Adopt { pid } => format!("O {pid}\n"),
            Report::Started { task, cpu, t_ns } => format!("S {task} {} {t_ns}\n", cpu_text(*cpu)),
            Report::Finished {
                task,
                cpu,
                t_ns,
                cpu_ns,
                result,
            } => {
                format!("F {task} {} {t_ns} {cpu_ns} {result}\n", cpu_text(*cpu))
            }
        }
    }

    /// Parses one line (without its newline); `None` for anything malformed.
    pub fn parse(line: &str) -> Option<Report> {
        let mut fields = line.splitn(6, ' ');
        let kind = fields.next()?;
        let mut next = || fields.next();
        let report = match kind {
            "H" => Report::Hello {
                pid: next()?.parse().ok()?,
                cpu: parse_cpu(next()?)?,
                t_ns: next()?.parse().ok()?,
            },
            "T" => Report::ThreadStarted {
                thread: next()?.parse().ok()?,
                tid: next()?.parse().ok()?,
                t_ns: next()?.parse().ok()?,
                spawn_ns: next()?.parse().ok()?,
            },
            "O" => Report::Adopt {
                pid: next()?.parse().ok()?,
            },
            "C" => Report::Took {
                first: next()?.parse().ok()?,
                len: next()?.parse().ok()?,
            },
            "S" => Report::Started {
                task: next()?.parse().ok()?,
                cpu: parse_cpu(next()?)?,
                t_ns: next()?.parse().ok()?,
            },
            "F" => Report::Finished {
                task: next()?.parse().ok()?,
                cpu: parse_cpu(next()?)?,
                t_ns: next()?.parse().ok()?,
                cpu_ns: next()?.parse().ok()?,
                result: next()?.to_string(),
            },
            _ => return None,
        };
        Some(report)
    }
}

/// The running proclab binary, to start workers from: `/proc/self/exe` names the very file
/// this process runs even after it was replaced on disk (a rebuild, an upgrade), where its path
/// would then name a different program, or none.
pub fn own_binary() -> std::io::Result<std::path::PathBuf> {
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

    #[test]
    fn reports_round_trip() {
        let reports = [
            Report::Took { first: 4, len: 2 },
            Report::Hello {
                pid: 10,
                cpu: Some(1),
                t_ns: 5,
            },
            Report::ThreadStarted {
                thread: 2,
                tid: 11,
                t_ns: 6,
                spawn_ns: 40,
            },
            Report::Started {
                task: 3,
                cpu: None,
                t_ns: 7,
            },
            Report::Finished {
                task: 3,
                cpu: Some(0),
                t_ns: 9,
                cpu_ns: 2,
                result: "[1, \"a b\"]".into(),
            },
        ];
        for report in reports {
            let line = report.to_line();
            assert_eq!(Report::parse(line.trim_end_matches('\n')), Some(report));
        }
    }

    #[test]
    fn malformed_reports_are_none() {
        for line in ["", "X 1", "S one 2 3", "F 1 2", "H 1 2"] {
            assert_eq!(Report::parse(line), None, "{line}");
        }
    }

    fn numbers(from: i64, to: i64, first_index: usize) -> Vec<Task> {
        (from..=to)
            .enumerate()
            .map(|(i, n)| Task {
                index: first_index + i,
                label: n.to_string(),
                function: TaskFn::Square { n },
                before: None,
                after: Some(format!("{n} squared is {{result}}")),
            })
            .collect()
    }

    #[test]
    fn runs_of_numbers_compress_to_one_and_expand_back() {
        let mut tasks = numbers(1, 1000, 0);
        tasks.push(Task {
            index: 1000,
            label: "x".into(),
            function: TaskFn::Sleep { secs: 1.0 },
            before: None,
            after: None,
        });
        let runs = compress(tasks.clone());
        assert_eq!(runs.len(), 2);
        let back = expand(runs);
        assert_eq!(back.len(), tasks.len());
        for (got, sent) in back.iter().zip(&tasks) {
            assert_eq!(
                (got.index, &got.function, &got.after),
                (sent.index, &sent.function, &sent.after)
            );
        }
    }

    #[test]
    fn packets_round_trip() {
        let packet = Packet {
            first: 70_000,
            len: 3,
        };
        assert_eq!(Packet::from_bytes(packet.to_bytes()), packet);
    }
}
