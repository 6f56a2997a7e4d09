//! A lesson as the rest of proclab sees it once validated: typed stages, tasks, checkpoints and
//! knobs. The file's own shape is in [`super::raw`]; [`super::validate`] turns one into the
//! other, so nothing here is a word still to be recognised.

use serde::{Deserialize, Serialize};

use crate::engine::plan::StageTasks;
use crate::limits;
use crate::task::{NumberFn, TaskFn};

/// The format version this build of proclab reads.
pub const FORMAT_VERSION: u32 = 1;

/// One stage of a live run: a set of workers doing tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The title above the stage's part of the report; `{workers}` and `{chunksize}` are filled
    /// in with what the run uses. `None`: a title made from the kind and the worker count.
    pub name: Option<String>,
    /// How the work is spread over workers.
    pub kind: StageKind,
    /// Pool size (pool), threads (threads with `each`) or copies of `each` (processes).
    pub workers: Option<WorkerCount>,
    /// Pool only: items per message; `None` is Python's default.
    pub chunksize: Option<u64>,
    /// Pool only: the order results are handed back in.
    pub result_order: ResultOrder,
    /// Processes only: when the parent joins its children.
    pub join: Join,
    /// Processes only: seconds between starting the children and joining them.
    pub join_delay_s: f64,
    /// The line the parent prints at the stage's end.
    pub parent_says: Option<ParentSays>,
    /// How workers buffer what they print.
    pub buffering: Buffering,
    /// Which counter `count` tasks add to.
    pub counter: CounterScope,
    /// How workers are pinned to cores.
    pub pin: Pin,
    /// A speedup sweep: the stage runs once per worker count from 1 to `workers`.
    pub sweep: Option<Sweep>,
    /// What the workers do.
    pub work: Work,
}

impl Stage {
    /// Whether the worker count is a choice of the run (`--workers`, a `workers` knob): a pool's
    /// size, or the copies of `each`. Otherwise it follows the tasks.
    pub(crate) fn workers_vary(&self) -> bool {
        self.kind == StageKind::Pool || matches!(self.work, Work::Each(_))
    }
}

/// A stage's work: listed tasks, one task copied for every worker, or a range of numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// The tasks in input order (`tasks`).
    Tasks(Vec<TaskDef>),
    /// One task that every worker runs (`each`).
    Each(TaskDef),
    /// A function over a range of integers (`items`).
    Items(Items),
}

/// One task as a lesson declares it: its function and arguments, before `--speed` and knobs.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDef {
    /// Its label; `None` for the default (its index, or `W` and the copy's number for `each`).
    pub label: Option<String>,
    /// The function with its arguments.
    pub function: TaskFn,
    /// The line printed when it starts, placeholders not yet filled.
    pub before: Option<String>,
    /// The line printed when it ends, placeholders not yet filled.
    pub after: Option<String>,
}

/// `items`: a function applied to every integer of `from..=to`.
#[derive(Debug, Clone, PartialEq)]
pub struct Items {
    /// Square or cube.
    pub function: NumberFn,
    /// First integer.
    pub from: i64,
    /// Last integer (inclusive).
    pub to: i64,
    /// The line each task prints when it ends, placeholders not yet filled.
    pub after: Option<String>,
}

impl Items {
    /// The stage's tasks from run-wide index `first_index` on.
    pub(crate) fn tasks(&self, first_index: usize) -> StageTasks {
        StageTasks::numbers(
            first_index,
            self.function,
            self.from,
            self.to,
            self.after.clone(),
        )
    }
}

/// A speedup sweep's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sweep {
    /// Seconds of CPU work one process does alone before each parallel part (Amdahl's serial
    /// part); 0 for none.
    pub serial_secs: f64,
}

/// The parent's line at a stage's end: the same whatever the join, or one per join mode (so
/// that with `join = skip` it does not claim to have joined anyone).
#[derive(Debug, Clone, PartialEq)]
pub enum ParentSays {
    /// One line.
    Always(String),
    /// A line for each join mode.
    ByJoin {
        /// Printed after joining every child.
        all: String,
        /// Printed without joining (the children may still run).
        skip: String,
    },
}

impl ParentSays {
    /// The line for `join`.
    pub(crate) fn for_join(&self, join: Join) -> &str {
        match (self, join) {
            (ParentSays::Always(line), _) => line,
            (ParentSays::ByJoin { all, .. }, Join::All) => all,
            (ParentSays::ByJoin { skip, .. }, Join::Skip) => skip,
        }
    }
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
    /// The number of workers on a machine with `cores` available cores. A count that follows
    /// the cores stops at [`limits::MAX_WORKERS`] (validation makes sure it is at least 1 and
    /// within that limit up to [`limits::MAX_CORES`] cores).
    pub fn resolve(&self, cores: u32) -> u32 {
        match self {
            WorkerCount::Fixed(n) => *n,
            relative => relative
                .unclamped(cores)
                .min(u64::from(limits::MAX_WORKERS)) as u32,
        }
    }

    /// The count on a machine with `cores` cores, before any limit.
    pub(crate) fn unclamped(&self, cores: u32) -> u64 {
        let cores = u64::from(cores);
        match self {
            WorkerCount::Fixed(n) => u64::from(*n),
            WorkerCount::Cores(extra) => cores + u64::from(*extra),
            WorkerCount::CoresTimes(times) => cores * u64::from(*times),
        }
    }

    /// Parses `"4"`, `"cores"` or `"cores+1"`.
    pub(crate) fn parse(text: &str) -> Option<WorkerCount> {
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

/// A predict-then-run question.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Short id, referenced from the narrative by a line `::: checkpoint <id>`.
    pub id: String,
    /// The question, asked before the run.
    pub question: String,
    /// The form of the answer.
    pub answer_kind: AnswerKind,
    /// For `choice`: the options, shown as a, b, c…
    pub choices: Vec<String>,
    /// The expected answer, when it does not depend on the machine: the choice's text, the order
    /// as labels separated by spaces (`"B C A D"`), or the number.
    pub answer: Option<String>,
    /// For `number`: how far from the answer still counts as right.
    pub tolerance: f64,
    /// What the run measured to compare with the prediction, when the machine decides.
    pub observe: Option<Observation>,
    /// Shown after the run: why the answer is what it is.
    pub explanation: String,
    /// Revealed one at a time before the answer.
    pub hints: Vec<String>,
}

/// A scenario value the learner may change (`--set name=value`, the knobs panel).
#[derive(Debug, Clone, PartialEq)]
pub struct Knob {
    /// What it changes.
    pub target: KnobTarget,
    /// The stage it changes (0-based, as declared).
    pub stage: usize,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Step for the + and - keys.
    pub step: f64,
    /// What the knob does, in a few words.
    pub help: String,
}

impl Knob {
    /// Its name, as `--set` takes it.
    pub fn name(&self) -> String {
        self.target.name()
    }
}

/// What a knob changes in its stage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KnobTarget {
    /// `workers`: the pool size or the copies of `each`.
    Workers,
    /// `chunksize`: a pool's items per message.
    Chunksize,
    /// `join_delay_s`: seconds before the parent joins.
    JoinDelay,
    /// `join`: 1 joins every child, 0 skips the joins.
    Join,
    /// `secs`: every `sleep` and `spin` duration of the stage times this (1 = as written).
    SecsScale,
    /// `task.<label>.secs`: the seconds of the `sleep` or `spin` task with this label.
    TaskSecs(String),
}

impl KnobTarget {
    /// The names of the knobs every stage may have (besides `task.<label>.secs`).
    pub const FIXED: [KnobTarget; 5] = [
        KnobTarget::Workers,
        KnobTarget::Chunksize,
        KnobTarget::JoinDelay,
        KnobTarget::Join,
        KnobTarget::SecsScale,
    ];

    /// The target a knob name names: the one place `task.<label>.secs` is taken apart.
    pub fn parse(name: &str) -> Option<KnobTarget> {
        if let Some(label) = name
            .strip_prefix("task.")
            .and_then(|rest| rest.strip_suffix(".secs"))
        {
            return Some(KnobTarget::TaskSecs(label.to_string()));
        }
        Self::FIXED.into_iter().find(|target| target.name() == name)
    }

    /// Its name, as lessons and `--set` write it.
    pub fn name(&self) -> String {
        match self {
            KnobTarget::Workers => "workers".into(),
            KnobTarget::Chunksize => "chunksize".into(),
            KnobTarget::JoinDelay => "join_delay_s".into(),
            KnobTarget::Join => "join".into(),
            KnobTarget::SecsScale => "secs".into(),
            KnobTarget::TaskSecs(label) => format!("task.{label}.secs"),
        }
    }

    /// Sets `value` in `stage` (a copy of the lesson's, before planning).
    pub(crate) fn apply(&self, stage: &mut Stage, value: f64) {
        match self {
            KnobTarget::Workers => stage.workers = Some(WorkerCount::Fixed(value as u32)),
            KnobTarget::Chunksize => stage.chunksize = Some(value as u64),
            KnobTarget::JoinDelay => stage.join_delay_s = value,
            KnobTarget::Join => stage.join = if value >= 1.0 { Join::All } else { Join::Skip },
            KnobTarget::SecsScale => scale_secs(stage, value),
            KnobTarget::TaskSecs(label) => {
                if let Work::Tasks(tasks) = &mut stage.work {
                    let labelled = tasks.iter_mut().enumerate().filter(|(i, task)| {
                        task.label.clone().unwrap_or_else(|| i.to_string()) == *label
                    });
                    for (_, task) in labelled {
                        set_secs(&mut task.function, |_| value);
                    }
                }
            }
        }
    }
}

/// Multiplies every `sleep` and `spin` duration of `stage` (and a sweep's serial part) by
/// `factor`.
fn scale_secs(stage: &mut Stage, factor: f64) {
    let scale = |secs: f64| secs * factor;
    match &mut stage.work {
        Work::Tasks(tasks) => tasks
            .iter_mut()
            .for_each(|task| set_secs(&mut task.function, scale)),
        Work::Each(task) => set_secs(&mut task.function, scale),
        Work::Items(_) => {}
    }
    if let Some(sweep) = &mut stage.sweep {
        sweep.serial_secs *= factor;
    }
}

/// Changes the seconds of a `sleep` or `spin` function; other functions keep theirs.
fn set_secs(function: &mut TaskFn, change: impl Fn(f64) -> f64) {
    if let TaskFn::Sleep { secs } | TaskFn::Spin { secs } = function {
        *secs = change(*secs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knob_names_parse_into_targets_and_back() {
        for name in [
            "workers",
            "chunksize",
            "join_delay_s",
            "join",
            "secs",
            "task.A b.secs",
        ] {
            let target = KnobTarget::parse(name).unwrap();
            assert_eq!(target.name(), name);
        }
        assert_eq!(
            KnobTarget::parse("task.A.secs"),
            Some(KnobTarget::TaskSecs("A".into()))
        );
        assert_eq!(KnobTarget::parse("colour"), None);
        assert_eq!(KnobTarget::parse("task.A"), None);
    }

    #[test]
    fn relative_worker_counts_stop_at_the_cap() {
        assert_eq!(WorkerCount::Cores(1).resolve(2), 3);
        assert_eq!(
            WorkerCount::CoresTimes(2).resolve(1000),
            limits::MAX_WORKERS
        );
        assert_eq!(WorkerCount::CoresTimes(200).unclamped(2), 400);
    }

    #[test]
    fn a_parent_line_per_join_mode_is_chosen_by_the_join() {
        let lines = ParentSays::ByJoin {
            all: "joined".into(),
            skip: "not joined".into(),
        };
        assert_eq!(lines.for_join(Join::All), "joined");
        assert_eq!(lines.for_join(Join::Skip), "not joined");
        assert_eq!(ParentSays::Always("x".into()).for_join(Join::Skip), "x");
    }
}
