//! The fixed vocabulary of task functions a worker can run.
//!
//! Lessons pick from this list by name; nothing here runs a program, opens a file or touches the
//! network, so a lesson file cannot make proclab do anything else.

use serde::{Deserialize, Serialize};
use strum::{EnumDiscriminants, EnumString, IntoStaticStr, VariantArray, VariantNames};

/// A task function with its (already validated and speed-scaled) arguments. Its variants are
/// the one list of task functions: [`TaskName`] (their names, as lessons write them) is derived
/// from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, EnumDiscriminants)]
#[serde(rename_all = "snake_case")]
#[strum_discriminants(
    name(TaskName),
    derive(EnumString, IntoStaticStr, VariantNames, VariantArray, Hash),
    strum(serialize_all = "snake_case")
)]
pub enum TaskFn {
    /// Sleep this many seconds; the result is the task's label.
    Sleep {
        /// Seconds of wall time.
        secs: f64,
    },
    /// Burn this many seconds of CPU time (the wall time is longer when cores are shared).
    Spin {
        /// Seconds of CPU time.
        secs: f64,
    },
    /// Computes n², the result the parent gets back.
    Square {
        /// The number to square.
        n: i64,
    },
    /// Computes n³, the result the parent gets back.
    Cube {
        /// The number to cube.
        n: i64,
    },
    /// Print a line `times` times, `secs` apart (`{i}` in the text is the line's number, from 0).
    Print {
        /// The line, `{i}` not yet filled in.
        text: String,
        /// How many lines.
        times: u64,
        /// Seconds between lines.
        secs: f64,
    },
    /// Add 1 to the worker's counter this many times; the result is the counter afterwards.
    Count {
        /// How many times to add 1.
        times: u64,
    },
    /// End the worker process with this exit code.
    Exit {
        /// The code the process exits with, as its parent sees it.
        code: u8,
    },
    /// The worker sends itself this signal.
    Signal {
        /// The signal it raises against itself.
        signal: TaskSignal,
    },
    /// The worker panics (Rust's equivalent of an uncaught exception).
    Panic,
    /// Print `bytes` bytes as fast as possible, in lines of `line_bytes` (0: no newline at all):
    /// the stress a runaway worker puts on whoever reads its output.
    Flood {
        /// Bytes in all.
        bytes: u64,
        /// Bytes per line, newline included; 0 for one endless line.
        line_bytes: u64,
    },
    /// Start a child of the worker's own that lives `secs` seconds, and exit at once: the child
    /// is orphaned and re-parented (to proclab, which is a child subreaper while it runs).
    Orphan {
        /// How long the orphan lives.
        secs: f64,
    },
    /// Set a variable from 0 to 42, then start `times` children by `method` and report what
    /// they saw and how long each start took.
    StartChildren {
        /// Fork, or fork then exec.
        method: StartMethod,
        /// How many children.
        times: u64,
    },
}

impl TaskName {
    /// The name a lesson file uses (`start_children`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The arguments a task of this function must be given, and those it may be given.
    pub(crate) fn arguments(self) -> (&'static [Argument], &'static [Argument]) {
        use Argument::*;
        match self {
            TaskName::Sleep | TaskName::Spin | TaskName::Orphan => (&[Secs], &[]),
            TaskName::Square | TaskName::Cube => (&[N], &[]),
            TaskName::Print => (&[Text], &[Times, Secs]),
            TaskName::Count => (&[Times], &[]),
            TaskName::Exit => (&[Code], &[]),
            TaskName::Signal => (&[Signal], &[]),
            TaskName::Panic => (&[], &[]),
            TaskName::Flood => (&[Bytes], &[LineBytes]),
            TaskName::StartChildren => (&[Method, Times], &[]),
        }
    }
}

/// An argument a task function takes, as a field of a task in a lesson file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum Argument {
    /// Seconds (`sleep`, `spin`, `orphan`; between lines for `print`).
    Secs,
    /// The number (`square`, `cube`).
    N,
    /// Iterations (`count`), lines (`print`) or children (`start_children`).
    Times,
    /// The exit code (`exit`).
    Code,
    /// The signal (`signal`).
    Signal,
    /// The start method (`start_children`).
    Method,
    /// Bytes in all (`flood`).
    Bytes,
    /// Bytes per line (`flood`).
    LineBytes,
    /// The line (`print`).
    Text,
}

impl Argument {
    /// The field's name in a lesson file.
    pub(crate) fn name(self) -> &'static str {
        self.into()
    }

    /// How to give it, for a message about a missing one.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Argument::Secs => "seconds, for example secs = 2",
            Argument::N => "a whole number, for example n = 10",
            Argument::Times => "for example times = 1000",
            Argument::Code => "for example code = 3",
            Argument::Signal => "for example signal = \"SIGKILL\"",
            Argument::Method => "for example method = \"fork\"",
            Argument::Bytes => "for example bytes = 1000000",
            Argument::LineBytes => "for example line_bytes = 100",
            Argument::Text => "for example text = \"hello\"",
        }
    }
}

/// The signals a `signal` task may raise (only these: a lesson cannot stop or hang a worker
/// in ways proclab does not show).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
)]
pub enum TaskSignal {
    /// Killed outright; Python shows exit code -9.
    #[serde(rename = "SIGKILL")]
    #[strum(serialize = "SIGKILL")]
    Kill,
    /// Asked to terminate; -15.
    #[serde(rename = "SIGTERM")]
    #[strum(serialize = "SIGTERM")]
    Term,
    /// A segmentation fault; -11.
    #[serde(rename = "SIGSEGV")]
    #[strum(serialize = "SIGSEGV")]
    Segv,
    /// An abort; -6.
    #[serde(rename = "SIGABRT")]
    #[strum(serialize = "SIGABRT")]
    Abrt,
    /// An interrupt (Ctrl-C); -2.
    #[serde(rename = "SIGINT")]
    #[strum(serialize = "SIGINT")]
    Int,
}

impl TaskSignal {
    /// The signal to raise.
    pub fn to_nix(self) -> nix::sys::signal::Signal {
        use nix::sys::signal::Signal;
        match self {
            TaskSignal::Kill => Signal::SIGKILL,
            TaskSignal::Term => Signal::SIGTERM,
            TaskSignal::Segv => Signal::SIGSEGV,
            TaskSignal::Abrt => Signal::SIGABRT,
            TaskSignal::Int => Signal::SIGINT,
        }
    }
}

/// Signal names a `signal` task may raise, as lessons write them.
pub const ALLOWED_SIGNALS: &[&str] = TaskSignal::VARIANTS;

/// How a `start_children` task starts each child.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StartMethod {
    /// A copy of the worker (`os.fork`).
    Fork,
    /// A fresh program: fork, then exec.
    Spawn,
}

impl StartMethod {
    /// Its name, as lessons write it (`fork`).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Which numeric function an `items` range applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumberFn {
    /// Each task computes n².
    Square,
    /// Each task computes n³.
    Cube,
}

impl NumberFn {
    /// The task function for `n`.
    pub fn task_fn(self, n: i64) -> TaskFn {
        match self {
            NumberFn::Square => TaskFn::Square { n },
            NumberFn::Cube => TaskFn::Cube { n },
        }
    }
}

/// Names of the task functions, as lessons write them.
pub const TASK_FUNCTIONS: &[&str] = <TaskName as VariantNames>::VARIANTS;

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
    /// Which function it is, without its arguments.
    pub fn name(&self) -> TaskName {
        self.into()
    }

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
pub(crate) fn fill_static(template: &str, label: &str, function: &TaskFn) -> String {
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
pub(crate) fn format_secs(secs: f64) -> String {
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
