//! `exercise.toml` exactly as written: serde types that mirror it, each value kept with its
//! place in the file so that [`super::validate`] can point at the line and column of a bad one.
//! Unknown fields are errors, so a typo never passes in silence. `/work/EXERCISES.md` (and the
//! README's "Exercises" section) show a complete file.

use serde::Deserialize;
use toml::Spanned;

use crate::lesson::model::WorkerCount;

/// One exercise file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExercise {
    /// Always `1` for now (optional).
    #[serde(default)]
    pub format_version: Option<Spanned<u32>>,
    /// Shown in the list and as the heading, at most 80 characters.
    pub title: Spanned<String>,
    /// One line under the title.
    pub summary: Spanned<String>,
    /// Markdown shown above the checks: what to change and why.
    pub task: Spanned<String>,
    /// How many traced runs one verdict takes (1 to 20); races need several.
    #[serde(default)]
    pub runs: Option<Spanned<i64>>,
    /// Seconds one traced run may take before it is killed (1 to 120).
    #[serde(default)]
    pub time_limit_s: Option<Spanned<f64>>,
    /// Shown one at a time, in order.
    #[serde(default)]
    pub hints: Vec<Spanned<String>>,
    /// What the traced runs must show.
    #[serde(rename = "check")]
    pub checks: Spanned<Vec<Spanned<RawCheck>>>,
}

/// One check, as written: `kind` names it, the other fields are its arguments (which ones a
/// kind takes is checked by [`super::validate`], so a misplaced field names its kind).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    /// Which check (the fixed vocabulary of [`super::check::CheckKind`]).
    pub kind: Spanned<String>,
    /// `false`: one run passing is enough (default: every run must pass).
    #[serde(default)]
    pub every_run: Option<Spanned<bool>>,
    /// `exit_code`: the code.
    #[serde(default)]
    pub equals: Option<Spanned<i64>>,
    /// `output_matches`: a regular expression a line must match.
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    /// `output_matches`: `"main"`, `"child"` or `"any"` (default).
    #[serde(default)]
    pub process: Option<Spanned<String>>,
    /// `output_matches`: `"stdout"`, `"stderr"` or `"any"` (default).
    #[serde(default)]
    pub stream: Option<Spanned<String>>,
    /// `output_matches`, `processes_started`, `task_pids`: the fewest allowed (a number,
    /// `"cores"`, `"cores+N"` or `"cores*N"`).
    #[serde(default)]
    pub min: Option<Spanned<WorkerCount>>,
    /// `output_matches`, `processes_started`, `task_pids`: the most allowed (as `min`).
    #[serde(default)]
    pub max: Option<Spanned<WorkerCount>>,
    /// `output_order`: these lines, in this relative order.
    #[serde(default)]
    pub lines: Option<Spanned<Vec<Spanned<String>>>>,
    /// `tasks_finished`: exactly this many tasks.
    #[serde(default)]
    pub count: Option<Spanned<i64>>,
    /// `completion_order`: task labels (strings) or task indexes (integers).
    #[serde(default)]
    pub order: Option<Spanned<Vec<Spanned<RawTask>>>>,
    /// `results`: each task's result as the trace shows it (Python's `repr`).
    #[serde(default)]
    pub values: Option<Spanned<Vec<Spanned<String>>>>,
    /// `wall_time`: seconds.
    #[serde(default)]
    pub at_most_s: Option<Spanned<f64>>,
    /// `wall_time`: the fraction added to `at_most_s` (default 0.25).
    #[serde(default)]
    pub margin: Option<Spanned<f64>>,
    /// `speedup`: how many times faster than the serial reference; `pool_chunks`: the fewest
    /// chunks; `parallel_tasks`: how many tasks at once (a number or `"cores"`).
    #[serde(default)]
    pub at_least: Option<Spanned<RawAmount>>,
    /// `pool_chunks`: the most chunks.
    #[serde(default)]
    pub at_most: Option<Spanned<i64>>,
    /// `parallel_tasks`: the fraction of the tasks' span (0 to 1).
    #[serde(default)]
    pub fraction: Option<Spanned<f64>>,
    /// `speedup`: the serial reference, a Python file in the exercise's folder.
    #[serde(default)]
    pub serial: Option<Spanned<String>>,
    /// `speedup`: the core count `at_least` is asked for (default 2).
    #[serde(default)]
    pub cores: Option<Spanned<i64>>,
    /// `start_methods`: `"fork"`, `"spawn"`, `"forkserver"`.
    #[serde(default)]
    pub methods: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A task named in `completion_order`: its label or its 0-based index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RawTask {
    /// The task's index in input order.
    Index(i64),
    /// The task's label.
    Label(String),
}

/// A number, or a word such as `"cores"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RawAmount {
    /// A number.
    Number(f64),
    /// A word (`"cores"`, `"cores+1"`).
    Word(String),
}
