//! What the parent and a worker say to each other.
//!
//! Commands go to the worker's stdin as JSON lines. Reports come back on file descriptor 3 (never
//! the worker's stdout, so what a worker prints stays exactly as printed) as short text lines that
//! are cheap to write and parse, because a pool may report hundreds of thousands of tasks.
//! Times are `CLOCK_MONOTONIC` nanoseconds: that clock is shared by every process on the machine,
//! so the parent places each report on its own timeline exactly.

use serde::{Deserialize, Serialize};

use crate::lesson::model::{Buffering, CounterScope};
use crate::task::Task;

/// The hidden subcommand that turns the proclab binary into a worker.
pub const WORKER_ARG: &str = "__worker";
/// The file descriptor a worker writes its reports to.
pub const REPORT_FD: i32 = 3;

/// How a worker process is set up, passed on its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerConfig {
    /// How its prints are buffered.
    pub buffering: Buffering,
    /// Whether its threads share a counter.
    pub counter: CounterScope,
}

impl WorkerConfig {
    /// Command-line arguments after [`WORKER_ARG`].
    pub fn to_args(self) -> [&'static str; 2] {
        let buffering = match self.buffering {
            Buffering::Line => "line",
            Buffering::Block => "block",
        };
        let counter = match self.counter {
            CounterScope::Own => "own",
            CounterScope::Shared => "shared",
        };
        [buffering, counter]
    }

    /// Parses the arguments written by [`WorkerConfig::to_args`].
    pub fn from_args(args: &[String]) -> Option<WorkerConfig> {
        let buffering = match args.first()?.as_str() {
            "line" => Buffering::Line,
            "block" => Buffering::Block,
            _ => return None,
        };
        let counter = match args.get(1)?.as_str() {
            "own" => CounterScope::Own,
            "shared" => CounterScope::Shared,
            _ => return None,
        };
        Some(WorkerConfig { buffering, counter })
    }
}

/// A command from the parent, one JSON line on the worker's stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Run these tasks one after the other on the main thread.
    Run {
        /// The chunk.
        tasks: Vec<Task>,
    },
    /// Run each task on a thread of its own, all at once, then print the counter if shared.
    Threads {
        /// One per thread.
        tasks: Vec<Task>,
    },
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

/// Nanoseconds on `CLOCK_MONOTONIC`, comparable between processes.
pub fn monotonic_ns() -> u64 {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .expect("CLOCK_MONOTONIC is always available on Linux");
    now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip() {
        let reports = [
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

    #[test]
    fn worker_config_round_trips() {
        let config = WorkerConfig {
            buffering: Buffering::Block,
            counter: CounterScope::Shared,
        };
        let args: Vec<String> = config.to_args().iter().map(|s| s.to_string()).collect();
        assert_eq!(WorkerConfig::from_args(&args), Some(config));
    }
}
