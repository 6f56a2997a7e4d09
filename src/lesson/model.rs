//! The lesson file format (`lesson.toml`), as serde types.
//!
//! Every field is documented here; `proclab new` and the README's "Write a lesson" section show a
//! complete example. Unknown fields are errors, so a typo never passes in silence.

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The format version this build of proclab reads.
pub const FORMAT_VERSION: u32 = 1;

/// One lesson file, exactly as written in `lesson.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    /// Always `1` for now; a file written for a newer proclab says so instead of half-working.
    pub format_version: Spanned<u32>,
    /// Unique id, lowercase words joined by `-` (used by `proclab run <id>`).
    pub id: Spanned<String>,
    /// Title shown in the lesson list and as the heading.
    pub title: String,
    /// One line for the lesson list.
    pub summary: String,
    /// The narrative's Markdown file, relative to the lesson folder.
    #[serde(default = "default_narrative")]
    pub narrative: Spanned<String>,
    /// The lesson's Python program, relative to the lesson folder; runs on its own with `python3`.
    #[serde(default = "default_program")]
    pub program: Spanned<String>,
    /// A run that lasts longer than this (after `--speed`) is stopped and its workers killed.
    #[serde(default = "default_time_limit")]
    pub time_limit_s: Spanned<f64>,
    /// What the live run does: one or more stages, run one after the other.
    #[serde(rename = "stage")]
    pub stages: Spanned<Vec<Spanned<Stage>>>,
    /// Predict-then-run questions.
    #[serde(default, rename = "checkpoint")]
    pub checkpoints: Vec<Spanned<Checkpoint>>,
    /// Values a learner may change without editing files (`--set name=value`, keys in the TUI).
    #[serde(default, rename = "knob")]
    pub knobs: Vec<Spanned<Knob>>,
    /// Notes for an instructor, not shown to learners by default.
    #[serde(default)]
    pub instructor_notes: String,
}

fn default_narrative() -> Spanned<String> {
    Spanned::new(0..0, "narrative.md".to_string())
}
fn default_program() -> Spanned<String> {
    Spanned::new(0..0, "program.py".to_string())
}
fn default_time_limit() -> Spanned<f64> {
    Spanned::new(0..0, 120.0)
}

/// One stage of a live run: a set of workers doing tasks.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Shown above the stage's part of the report, e.g. "4 threads".
    #[serde(default)]
    pub name: String,
    /// How the work is spread over workers.
    pub kind: StageKind,
    /// Pool size (pool), number of threads (threads) or number of processes made from `each`
    /// (processes). A number, `"cores"`, `"cores+N"` or `"cores*N"`.
    #[serde(default)]
    pub workers: Option<WorkerCount>,
    /// Pool only: items per message to a worker. Default: Python's `ceil(len / (4 * workers))`.
    #[serde(default)]
    pub chunksize: Option<u64>,
    /// Pool only: `map` returns results in input order; `unordered` as they finish.
    #[serde(default)]
    pub result_order: ResultOrder,
    /// Processes only: when the parent joins its children.
    #[serde(default)]
    pub join: Join,
    /// Processes only: seconds the parent waits, after starting its children, before it joins
    /// them (a child that exits meanwhile is a zombie until its join). Ignored when
    /// `join = "skip"`.
    #[serde(default)]
    pub join_delay_s: f64,
    /// A line the parent prints after the stage (after the joins, unless `join = "skip"`).
    #[serde(default)]
    pub parent_says: Option<String>,
    /// How workers buffer what they print: `line` (as a terminal does) or `block` (as a pipe
    /// does: everything comes out when the worker exits).
    #[serde(default)]
    pub buffering: Buffering,
    /// Which counter `count` tasks add to: `own` (each worker its own), `shared` (threads: one
    /// counter in their process), `shared-memory` (processes and pools: one counter in memory
    /// mapped into every worker, no lock) or `shared-memory-locked` (the same, with a lock).
    #[serde(default)]
    pub counter: CounterScope,
    /// Processes and pools: pin workers to cores: `none`, `one-core` (all on the first available
    /// core) or `spread` (worker i on the i-th available core, round robin).
    #[serde(default)]
    pub pin: Pin,
    /// Processes with `each` only: run the stage once for every worker count from 1 to
    /// `workers`, the work of `each` divided among the copies (a fixed total, to measure speedup).
    #[serde(default)]
    pub sweep: bool,
    /// With `sweep`: seconds of CPU work one process does alone before each parallel part
    /// (Amdahl's serial part).
    #[serde(default)]
    pub serial_secs: f64,
    /// The work items, one per task, in input order.
    #[serde(default)]
    pub tasks: Vec<TaskSpec>,
    /// Processes only: one task that every process runs (their count is `workers`).
    #[serde(default)]
    pub each: Option<TaskSpec>,
    /// A generated list of tasks: `fn` applied to every integer from `from` to `to` inclusive.
    #[serde(default)]
    pub items: Option<ItemRange>,
}

/// How a stage spreads its work.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// One process per task, started in order, then joined.
    Processes,
    /// A fixed number of long-lived worker processes taking chunks of tasks.
    Pool,
    /// One thread per task, all inside a single worker process.
    Threads,
    /// All tasks one after another in a single worker process: one message, no pool.
    Serial,
}

impl StageKind {
    /// The word a lesson file and the `--json` events use for it.
    pub fn name(self) -> &'static str {
        match self {
            StageKind::Processes => "processes",
            StageKind::Pool => "pool",
            StageKind::Threads => "threads",
            StageKind::Serial => "serial",
        }
    }
}

/// A worker count: a number, or relative to the cores available to proclab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum WorkerCount {
    /// Exactly this many.
    Fixed(u32),
    /// The available cores plus this many (`"cores"` is `Cores(0)`).
    Cores(u32),
    /// The available cores times this many (`"cores*2"`).
    CoresTimes(u32),
}

impl From<WorkerCount> for String {
    fn from(count: WorkerCount) -> String {
        match count {
            WorkerCount::Fixed(n) => n.to_string(),
            WorkerCount::Cores(0) => "cores".into(),
            WorkerCount::Cores(n) => format!("cores+{n}"),
            WorkerCount::CoresTimes(n) => format!("cores*{n}"),
        }
    }
}

impl WorkerCount {
    /// The number of workers on a machine with `cores` available cores.
    pub fn resolve(&self, cores: u32) -> u32 {
        match self {
            WorkerCount::Fixed(n) => *n,
            WorkerCount::Cores(extra) => cores.saturating_add(*extra),
            WorkerCount::CoresTimes(times) => cores.saturating_mul(*times),
        }
    }

    /// Parses `"4"`, `"cores"` or `"cores+1"`.
    pub fn parse(text: &str) -> Option<WorkerCount> {
        let text = text.trim();
        if text == "cores" {
            return Some(WorkerCount::Cores(0));
        }
        if let Some(extra) = text.strip_prefix("cores+") {
            return extra.trim().parse().ok().map(WorkerCount::Cores);
        }
        if let Some(times) = text.strip_prefix("cores*") {
            return times.trim().parse().ok().map(WorkerCount::CoresTimes);
        }
        text.parse().ok().map(WorkerCount::Fixed)
    }
}

impl<'de> Deserialize<'de> for WorkerCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Accepts a whole number or a text like "cores+1"; anything else gets one message.
        struct Count;
        const EXPECTED: &str = "a whole number of workers, \"cores\", \"cores+N\" or \"cores*N\" (for example 2 or \"cores+1\")";
        impl serde::de::Visitor<'_> for Count {
            type Value = WorkerCount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<WorkerCount, E> {
                u32::try_from(n)
                    .map(WorkerCount::Fixed)
                    .map_err(|_| E::custom(format!("expected {EXPECTED}")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<WorkerCount, E> {
                u32::try_from(n)
                    .map(WorkerCount::Fixed)
                    .map_err(|_| E::custom(format!("expected {EXPECTED}")))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<WorkerCount, E> {
                WorkerCount::parse(text).ok_or_else(|| E::custom(format!("expected {EXPECTED}")))
            }
        }
        deserializer.deserialize_any(Count)
    }
}

/// The order in which a pool hands results back.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResultOrder {
    /// Like `Pool.map`: results in input order, whatever order the work finished in.
    #[default]
    Map,
    /// Like `Pool.imap_unordered`: results in completion order.
    Unordered,
}

/// When the parent of a process stage joins its children.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Join {
    /// The parent joins every child, in start order, before its own final line.
    #[default]
    All,
    /// The parent prints its final line without joining; children are reaped afterwards.
    Skip,
}

/// How a worker's prints reach proclab.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Buffering {
    /// Each line is written as soon as it is printed (a terminal, or `flush=True`).
    #[default]
    Line,
    /// Lines collect in a buffer and are written when the worker exits (a pipe, in Python).
    Block,
}

/// Whether the threads of a threads stage share their counter.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CounterScope {
    /// One counter per worker (processes always have their own).
    #[default]
    Own,
    /// All threads of the process add to the same counter.
    Shared,
    /// Every worker process adds to one counter in shared memory, without a lock.
    SharedMemory,
    /// Every worker process adds to one counter in shared memory, holding a lock.
    SharedMemoryLocked,
}

/// How workers are pinned to cores (`sched_setaffinity`).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Pin {
    /// The scheduler places them.
    #[default]
    None,
    /// All on the first available core.
    OneCore,
    /// Worker i on the i-th available core, round robin.
    Spread,
}

/// One work item: a task function from the fixed vocabulary, and its arguments.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Display name (defaults to the task's index, or the number for `items`).
    #[serde(default)]
    pub label: Option<String>,
    /// The task function: one of `sleep`, `spin`, `square`, `cube`, `print`, `count`, `exit`,
    /// `signal`, `panic`, `flood`.
    #[serde(rename = "fn")]
    pub function: String,
    /// `sleep`, `spin`: seconds (for `spin`, seconds of CPU time); `print`: seconds between lines.
    #[serde(default)]
    pub secs: Option<f64>,
    /// `square`, `cube`: the number.
    #[serde(default)]
    pub n: Option<i64>,
    /// `count`: how many times to add 1 to the counter; `print`: how many lines (default 1).
    #[serde(default)]
    pub times: Option<u64>,
    /// `exit`: the exit code, 0–255.
    #[serde(default)]
    pub code: Option<i64>,
    /// `signal`: the signal the worker sends itself (`SIGKILL`, `SIGTERM`, `SIGSEGV`, `SIGABRT`,
    /// `SIGINT`).
    #[serde(default)]
    pub signal: Option<String>,
    /// `start_children`: `fork` (a copy of the worker) or `spawn` (a fresh program: fork, then
    /// exec).
    #[serde(default)]
    pub method: Option<String>,
    /// `flood`: how many bytes to print in all.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// `flood`: bytes per line, newline included (0: one endless line with no newline).
    #[serde(default)]
    pub line_bytes: Option<u64>,
    /// `print`: the line to print (`{i}` is the line's number, from 0).
    #[serde(default)]
    pub text: Option<String>,
    /// A line printed when the task starts. `{label}`, `{secs}`, `{n}`, `{pid}` are filled in.
    #[serde(default)]
    pub before: Option<String>,
    /// A line printed when the task ends. Also `{result}`.
    #[serde(default)]
    pub after: Option<String>,
}

/// A generated list of tasks: `function` applied to each integer of `from..=to`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ItemRange {
    /// `square` or `cube`.
    #[serde(rename = "fn")]
    pub function: String,
    /// First integer.
    pub from: i64,
    /// Last integer (inclusive).
    pub to: i64,
    /// A line printed by each task when it ends (`{label}`, `{n}`, `{pid}`, `{result}`).
    #[serde(default)]
    pub after: Option<String>,
}

/// A predict-then-run question.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Short id, referenced from the narrative by a line `::: checkpoint <id>`.
    pub id: String,
    /// The question, asked before the run.
    pub question: String,
    /// The form of the answer.
    pub answer_kind: AnswerKind,
    /// For `choice`: the options, shown as a, b, c…
    #[serde(default)]
    pub choices: Vec<String>,
    /// The expected answer, when it does not depend on the machine: the choice's text, the order
    /// as labels separated by spaces (`"B C A D"`), or the number.
    #[serde(default)]
    pub answer: Option<String>,
    /// For `number`: how far from the answer still counts as right.
    #[serde(default)]
    pub tolerance: f64,
    /// What the run measured to compare with the prediction, when the machine decides.
    #[serde(default)]
    pub observe: Option<Observation>,
    /// Shown after the run: why the answer is what it is.
    pub explanation: String,
    /// Revealed one at a time before the answer.
    #[serde(default)]
    pub hints: Vec<String>,
}

/// How a learner answers a checkpoint.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// Pick one of `choices`.
    Choice,
    /// Type an order of labels, e.g. `B C A D`.
    Order,
    /// Type a number.
    Number,
}

/// A fact a run measures, for checkpoints and reports.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Observation {
    /// Task labels in the order their work finished.
    CompletionOrder,
    /// The label of the task that finished last.
    LastFinished,
    /// Seconds from the first worker's start to the last task's end (after `--speed`,
    /// multiplied back to the lesson's own seconds).
    TotalSeconds,
    /// How many different worker PIDs ran tasks.
    DistinctPids,
    /// The lines workers printed, in arrival order.
    PrintOrder,
    /// Wall time of each busy task divided by the CPU time it needed.
    SlowdownFactor,
    /// How many times the last stage's workers changed cores.
    Migrations,
    /// Updates lost in the first shared-memory stage: expected total minus the counter.
    LostUpdates,
    /// The best speedup a sweep measured: time with 1 worker over the fastest time.
    BestSpeedup,
    /// The first stage's workers' exit codes as Python reports them (a signal N is -N).
    ExitCodes,
}

/// A scenario value the learner may change.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Knob {
    /// Which value: `workers`, `chunksize`, `join_delay_s`, `join` (0 = skip, 1 = all),
    /// `secs` (scales every duration: 1 = as written) or `task.<label>.secs`.
    pub name: String,
    /// The stage it changes (0-based).
    #[serde(default)]
    pub stage: usize,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Step for the + and - keys.
    #[serde(default = "default_step")]
    pub step: f64,
    /// What the knob does, in a few words.
    #[serde(default)]
    pub help: String,
}

fn default_step() -> f64 {
    1.0
}
