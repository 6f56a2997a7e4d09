//! The lesson file (`lesson.toml`) exactly as written: serde types that mirror it, each value
//! kept with its place in the file, so that validation ([`super::validate`]) can point at the
//! line and column of a bad one. Unknown fields are errors, so a typo never passes in silence.
//!
//! Every field is documented here; `proclab new` and the README's "Write a lesson" section show a
//! complete example.

use serde::Deserialize;
use toml::Spanned;

use super::model::{
    AnswerKind, Buffering, CounterScope, Join, Observation, Pin, ResultOrder, StageKind,
    WorkerCount,
};

/// One lesson file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLesson {
    /// Always `1` for now; a file written for a newer proclab says so instead of half-working.
    pub format_version: Spanned<u32>,
    /// Unique id, lowercase words joined by `-` (used by `proclab run <id>`).
    pub id: Spanned<String>,
    /// Title shown in the lesson list and as the heading.
    pub title: Spanned<String>,
    /// One line for the lesson list.
    pub summary: Spanned<String>,
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
    pub stages: Spanned<Vec<Spanned<RawStage>>>,
    /// Predict-then-run questions.
    #[serde(default, rename = "checkpoint")]
    pub checkpoints: Vec<Spanned<RawCheckpoint>>,
    /// Values a learner may change without editing files (`--set name=value`, keys in the TUI).
    #[serde(default, rename = "knob")]
    pub knobs: Vec<Spanned<RawKnob>>,
    /// Notes for an instructor, not shown to learners by default.
    #[serde(default)]
    pub instructor_notes: Option<Spanned<String>>,
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// Shown above the stage's part of the report, e.g. "a pool of {workers}": `{workers}` and
    /// (pools) `{chunksize}` are filled in with what the run uses.
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// How the work is spread over workers.
    pub kind: Spanned<StageKind>,
    /// Pool size (pool), number of threads (threads) or number of processes made from `each`
    /// (processes). A number, `"cores"`, `"cores+N"` or `"cores*N"`.
    #[serde(default)]
    pub workers: Option<Spanned<WorkerCount>>,
    /// Pool only: items per message to a worker. Default: Python's `ceil(len / (4 * workers))`.
    #[serde(default)]
    pub chunksize: Option<Spanned<u64>>,
    /// Pool only: `map` returns results in input order; `unordered` as they finish.
    #[serde(default)]
    pub result_order: Option<Spanned<ResultOrder>>,
    /// Processes only: when the parent joins its children (`all`, the default, or `skip`).
    #[serde(default)]
    pub join: Option<Spanned<Join>>,
    /// Processes only: seconds the parent waits, after starting its children, before it joins
    /// them (a child that exits meanwhile is a zombie until its join). Ignored when
    /// `join = "skip"`.
    #[serde(default)]
    pub join_delay_s: Option<Spanned<f64>>,
    /// A line the parent prints after the stage (after the joins, unless `join = "skip"`):
    /// one line, or `{ all = "…", skip = "…" }` for a processes stage whose `join` a knob
    /// changes. `{counter}` and `{expected}` are filled in.
    #[serde(default)]
    pub parent_says: Option<Spanned<RawParentSays>>,
    /// How workers buffer what they print: `line` (as a terminal does) or `block` (as a pipe
    /// does: everything comes out when the worker exits).
    #[serde(default)]
    pub buffering: Option<Spanned<Buffering>>,
    /// Which counter `count` tasks add to: `own` (each worker its own), `shared` (threads: one
    /// counter in their process), `shared-memory` (processes and pools: one counter in memory
    /// mapped into every worker, no lock) or `shared-memory-locked` (the same, with a lock).
    #[serde(default)]
    pub counter: Option<Spanned<CounterScope>>,
    /// Processes and pools: pin workers to cores: `none`, `one-core` (all on the first available
    /// core) or `spread` (worker i on the i-th available core, round robin).
    #[serde(default)]
    pub pin: Option<Spanned<Pin>>,
    /// Processes with `each` only: run the stage once for every worker count from 1 to
    /// `workers`, the work of `each` divided among the copies (a fixed total, to measure speedup).
    #[serde(default)]
    pub sweep: Option<Spanned<bool>>,
    /// With `sweep`: seconds of CPU work one process does alone before each parallel part
    /// (Amdahl's serial part).
    #[serde(default)]
    pub serial_secs: Option<Spanned<f64>>,
    /// The work items, one per task, in input order.
    #[serde(default)]
    pub tasks: Option<Spanned<Vec<Spanned<RawTask>>>>,
    /// Processes and threads: one task that every worker runs (their count is `workers`).
    #[serde(default)]
    pub each: Option<Spanned<RawTask>>,
    /// A generated list of tasks: `fn` applied to every integer from `from` to `to` inclusive.
    #[serde(default)]
    pub items: Option<Spanned<RawItems>>,
}

/// `parent_says`'s two forms: one line, or one per join mode.
#[derive(Debug, Clone)]
pub enum RawParentSays {
    /// `parent_says = "…"`.
    Always(String),
    /// `parent_says = { all = "…", skip = "…" }`.
    ByJoin(RawLineByJoin),
}

/// `parent_says = { all = "…", skip = "…" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLineByJoin {
    /// Printed after every child is joined.
    pub all: Spanned<String>,
    /// Printed without joining, when a knob sets `join` to 0.
    pub skip: Spanned<String>,
}

impl<'de> Deserialize<'de> for RawParentSays {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A string, or a table with `all` and `skip`.
        struct Line;
        impl<'de> serde::de::Visitor<'de> for Line {
            type Value = RawParentSays;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a line, or a table { all = \"…\", skip = \"…\" } with a line per join mode",
                )
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawParentSays, E> {
                Ok(RawParentSays::Always(text.to_string()))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<RawParentSays, M::Error> {
                let lines =
                    Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawParentSays::ByJoin(lines))
            }
        }
        deserializer.deserialize_any(Line)
    }
}

/// One work item: a task function from the fixed vocabulary, and its arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    /// Display name (defaults to the task's index, or `W` and the copy's number for `each`).
    #[serde(default)]
    pub label: Option<Spanned<String>>,
    /// The task function: one of `sleep`, `spin`, `square`, `cube`, `print`, `count`, `exit`,
    /// `signal`, `panic`, `flood`, `orphan`, `start_children`.
    #[serde(rename = "fn")]
    pub function: Spanned<String>,
    /// `sleep`, `spin`, `orphan`: seconds (for `spin`, seconds of CPU time); `print`: seconds
    /// between lines.
    #[serde(default)]
    pub secs: Option<Spanned<f64>>,
    /// `square`, `cube`: the number.
    #[serde(default)]
    pub n: Option<Spanned<i64>>,
    /// `count`: how many times to add 1 to the counter; `print`: how many lines (default 1);
    /// `start_children`: how many children.
    #[serde(default)]
    pub times: Option<Spanned<u64>>,
    /// `exit`: the exit code, 0–255.
    #[serde(default)]
    pub code: Option<Spanned<i64>>,
    /// `signal`: the signal the worker sends itself (`SIGKILL`, `SIGTERM`, `SIGSEGV`, `SIGABRT`,
    /// `SIGINT`).
    #[serde(default)]
    pub signal: Option<Spanned<String>>,
    /// `start_children`: `fork` (a copy of the worker) or `spawn` (a fresh program: fork, then
    /// exec).
    #[serde(default)]
    pub method: Option<Spanned<String>>,
    /// `flood`: how many bytes to print in all.
    #[serde(default)]
    pub bytes: Option<Spanned<u64>>,
    /// `flood`: bytes per line, newline included (0: one endless line with no newline; default
    /// 100).
    #[serde(default)]
    pub line_bytes: Option<Spanned<u64>>,
    /// `print`: the line to print (`{i}` is the line's number, from 0).
    #[serde(default)]
    pub text: Option<Spanned<String>>,
    /// A line printed when the task starts. `{label}`, `{secs}`, `{n}`, `{pid}` are filled in.
    #[serde(default)]
    pub before: Option<Spanned<String>>,
    /// A line printed when the task ends. Also `{result}`.
    #[serde(default)]
    pub after: Option<Spanned<String>>,
}

/// A generated list of tasks: `function` applied to each integer of `from..=to`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItems {
    /// `square` or `cube`.
    #[serde(rename = "fn")]
    pub function: Spanned<String>,
    /// First integer.
    pub from: Spanned<i64>,
    /// Last integer (inclusive).
    pub to: Spanned<i64>,
    /// A line printed by each task when it ends (`{label}`, `{n}`, `{pid}`, `{result}`).
    #[serde(default)]
    pub after: Option<Spanned<String>>,
}

/// A predict-then-run question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoint {
    /// Short id, referenced from the narrative by a line `::: checkpoint <id>`.
    pub id: Spanned<String>,
    /// The question, asked before the run.
    pub question: Spanned<String>,
    /// The form of the answer: `choice`, `order` or `number`.
    pub answer_kind: Spanned<AnswerKind>,
    /// For `choice`: the options, shown as a, b, c…
    #[serde(default)]
    pub choices: Option<Spanned<Vec<Spanned<String>>>>,
    /// The expected answer, when it does not depend on the machine: the choice's text, the order
    /// as labels separated by spaces (`"B C A D"`), or the number.
    #[serde(default)]
    pub answer: Option<Spanned<String>>,
    /// For `number`: how far from the answer still counts as right.
    #[serde(default)]
    pub tolerance: Option<Spanned<f64>>,
    /// What the run measured to compare with the prediction, when the machine decides.
    #[serde(default)]
    pub observe: Option<Spanned<Observation>>,
    /// Shown after the run: why the answer is what it is.
    pub explanation: Spanned<String>,
    /// Revealed one at a time before the answer.
    #[serde(default)]
    pub hints: Vec<Spanned<String>>,
}

/// A scenario value the learner may change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKnob {
    /// Which value: `workers`, `chunksize`, `join_delay_s`, `join` (0 = skip, 1 = all),
    /// `secs` (scales every duration: 1 = as written) or `task.<label>.secs`.
    pub name: Spanned<String>,
    /// The stage it changes (0-based; default 0).
    #[serde(default)]
    pub stage: Option<Spanned<usize>>,
    /// Smallest value.
    pub min: Spanned<f64>,
    /// Largest value.
    pub max: Spanned<f64>,
    /// Step for the + and - keys (default 1).
    #[serde(default)]
    pub step: Option<Spanned<f64>>,
    /// What the knob does, in a few words.
    #[serde(default)]
    pub help: Option<Spanned<String>>,
}
