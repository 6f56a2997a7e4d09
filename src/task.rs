//! The fixed vocabulary of task functions a worker can run.
//!
//! Lessons pick from this list by name; nothing here runs a program, opens a file or touches the
//! network, so a lesson file cannot make proclab do anything else.

use serde::{Deserialize, Serialize};

/// A task function with its (already validated and speed-scaled) arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskFn {
    /// Sleep this many seconds; the result is the task's label.
    Sleep {
        /// Seconds.
        secs: f64,
    },
    /// Burn this many seconds of CPU time (the wall time is longer when cores are shared).
    Spin {
        /// Seconds of CPU time.
        secs: f64,
    },
    /// n².
    Square {
        /// The number.
        n: i64,
    },
    /// n³.
    Cube {
        /// The number.
        n: i64,
    },
    /// Print a line `times` times, `secs` apart (`{i}` in the text is the line's number, from 0).
    Print {
        /// The line.
        text: String,
        /// How many lines.
        times: u64,
        /// Seconds between lines.
        secs: f64,
    },
    /// Add 1 to the worker's counter this many times; the result is the counter afterwards.
    Count {
        /// Iterations.
        times: u64,
    },
    /// End the worker process with this exit code.
    Exit {
        /// Exit code.
        code: u8,
    },
    /// The worker sends itself this signal.
    Signal {
        /// Signal name, one of [`ALLOWED_SIGNALS`].
        signal: String,
    },
    /// The worker panics (Rust's equivalent of an uncaught exception).
    Panic,
    /// Start a child of the worker's own that lives `secs` seconds, and exit at once: the child
    /// is orphaned and re-parented (to proclab, which is a child subreaper while it runs).
    Orphan {
        /// How long the orphan lives.
        secs: f64,
    },
    /// Set a variable from 0 to 42, then start `times` children by `method` (`fork` or `spawn`)
    /// and report what they saw and how long each start took.
    StartChildren {
        /// `fork` or `spawn`.
        method: String,
        /// How many children.
        times: u64,
    },
    /// Print `bytes` bytes as fast as possible, in lines of `line_bytes` (0: no newline at all):
    /// the stress a runaway worker puts on whoever reads its output.
    Flood {
        /// Bytes in all.
        bytes: u64,
        /// Bytes per line, newline included; 0 for one endless line.
        line_bytes: u64,
    },
}

/// Names of the task functions, as lessons write them.
pub const TASK_FUNCTIONS: &[&str] = &[
    "sleep",
    "spin",
    "square",
    "cube",
    "print",
    "count",
    "exit",
    "signal",
    "panic",
    "flood",
    "orphan",
    "start_children",
];

/// Signals a `signal` task may raise.
pub const ALLOWED_SIGNALS: &[&str] = &["SIGKILL", "SIGTERM", "SIGSEGV", "SIGABRT", "SIGINT"];

/// One work item as the engine hands it to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// 0-based index in input order, across the whole run.
    pub index: usize,
    /// Display name (a `sleep` returns it, as the lesson programs' jobs return their names).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// What to do.
    pub function: TaskFn,
    /// Printed when the task starts (placeholders already filled, but for `{pid}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Printed when the task ends (`{pid}` and `{result}` filled by the worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl TaskFn {
    /// The same function with every duration divided by `speed`.
    pub fn scaled(&self, speed: f64) -> TaskFn {
        match self {
            TaskFn::Sleep { secs } => TaskFn::Sleep { secs: secs / speed },
            TaskFn::Spin { secs } => TaskFn::Spin { secs: secs / speed },
            TaskFn::Orphan { secs } => TaskFn::Orphan { secs: secs / speed },
            TaskFn::Print { text, times, secs } => TaskFn::Print {
                text: text.clone(),
                times: *times,
                secs: secs / speed,
            },
            other => other.clone(),
        }
    }

    /// The declared duration, if the function has one.
    pub fn secs(&self) -> Option<f64> {
        match self {
            TaskFn::Sleep { secs } | TaskFn::Spin { secs } | TaskFn::Orphan { secs } => Some(*secs),
            TaskFn::Print { secs, .. } if *secs > 0.0 => Some(*secs),
            _ => None,
        }
    }
}

/// Fills `{label}`, `{secs}`, `{n}` in a line; `{pid}` and `{result}` are left for the worker.
pub fn fill_static(template: &str, label: &str, function: &TaskFn) -> String {
    let mut line = template.replace("{label}", label);
    if let Some(secs) = function.secs() {
        line = line.replace("{secs}", &format_secs(secs));
    }
    if let TaskFn::Square { n } | TaskFn::Cube { n } = function {
        line = line.replace("{n}", &n.to_string());
    }
    line
}

/// Placeholders a `before` line may use.
pub const BEFORE_PLACEHOLDERS: &[&str] = &["label", "secs", "n", "pid"];
/// Placeholders an `after` line may use.
pub const AFTER_PLACEHOLDERS: &[&str] = &["label", "secs", "n", "pid", "result"];

/// Seconds as a short human number: `5`, `0.5`, `2.25`.
pub fn format_secs(secs: f64) -> String {
    let text = format!("{secs:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_static_placeholders_and_keeps_worker_ones() {
        let f = TaskFn::Sleep { secs: 5.0 };
        assert_eq!(
            fill_static("{label} waits {secs} s in {pid}", "A", &f),
            "A waits 5 s in {pid}"
        );
        let f = TaskFn::Square { n: 3 };
        assert_eq!(fill_static("{n}² = {result}", "3", &f), "3² = {result}");
    }

    #[test]
    fn scaling_divides_only_durations() {
        assert_eq!(
            TaskFn::Sleep { secs: 5.0 }.scaled(10.0),
            TaskFn::Sleep { secs: 0.5 }
        );
        assert_eq!(
            TaskFn::Square { n: 4 }.scaled(10.0),
            TaskFn::Square { n: 4 }
        );
    }

    #[test]
    fn formats_seconds_briefly() {
        assert_eq!(format_secs(5.0), "5");
        assert_eq!(format_secs(0.25), "0.25");
    }
}
