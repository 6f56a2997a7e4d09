//! What happened during a run, one event at a time: the single source of truth that the text
//! report, `--json`, recordings and the TUI all read.
//!
//! The JSON form of each event is part of proclab's contract (see DESIGN.md): fields may be
//! added, none removed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::lesson::model::StageKind;
use crate::protocol::report::TaskValue;

/// What a run was of: a lesson's live run, or a command followed by `proclab trace`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunSource {
    /// A lesson's stages, run by the engine (and a recording made before this field existed).
    #[default]
    Lesson,
    /// A command traced with `proclab trace`: one stage, its processes as workers.
    Trace,
}

/// The two parts of one point of a speedup sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepPart {
    /// One process alone (Amdahl's serial part).
    Serial,
    /// The work divided among the point's workers.
    Parallel,
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// The process's standard output (file descriptor 1).
    Stdout,
    /// The process's standard error (file descriptor 2).
    Stderr,
}

/// One thing that happened, stamped with `t_ms`: milliseconds since the run started, on the
/// parent's monotonic clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run began.
    RunStarted {
        /// Always 0: the run's clock starts here.
        t_ms: f64,
        /// The lesson's id (`trace` for a trace).
        lesson: String,
        /// Whether it was a lesson or a trace.
        #[serde(default)]
        source: RunSource,
        /// proclab's own PID: the parent of every worker.
        parent_pid: u32,
        /// Cores available to proclab.
        cores: u32,
        /// Workers of the first stage.
        workers: u32,
        /// The `--speed` divisor in force.
        speed: f64,
        /// Number of stages.
        stages: usize,
        /// The version of proclab that made the run.
        version: String,
    },
    /// A stage began (one is emitted even for single-stage lessons).
    StageStarted {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// 0-based stage index.
        stage: usize,
        /// Its display name.
        name: String,
        /// How the stage spreads its work (a trace's one stage is `processes`).
        kind: StageKind,
        /// How many workers it starts.
        workers: u32,
        /// Pool only: items per message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chunksize: Option<u64>,
        /// How many tasks it runs.
        #[serde(default)]
        tasks: usize,
        /// For a stage of a speedup sweep: the worker count of its point.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sweep_workers: Option<u32>,
        /// For a stage of a speedup sweep: which part of its point it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sweep_part: Option<SweepPart>,
    },
    /// A worker process (or thread) exists.
    Spawned {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// Worker slot, 0-based across the whole run.
        worker: usize,
        /// Its process ID.
        pid: u32,
        /// Its parent's PID.
        ppid: u32,
        /// The stage it belongs to.
        stage: usize,
        /// For a thread: its TID.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tid: Option<u32>,
        /// Microseconds from the request to start it until it was running (process: until it
        /// said hello; thread: until the thread began).
        spawn_us: f64,
        /// The core it is pinned to, if the stage pins workers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pinned: Option<u32>,
        /// A process proclab adopted (an orphan of one of its workers), not one it started.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        adopted: bool,
    },
    /// A worker began a task.
    TaskStarted {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The task's 0-based index in input order, across the run.
        task: usize,
        /// The task's display name.
        label: String,
        /// The worker's slot, 0-based across the whole run.
        worker: usize,
        /// The worker's process ID.
        pid: u32,
        /// The core it ran on, as the worker's `sched_getcpu()` said.
        cpu: Option<u32>,
    },
    /// A worker printed a line (the parent's own lines have `worker: null`).
    Output {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// Worker slot, or none for the parent.
        worker: Option<usize>,
        /// PID of the printer.
        pid: u32,
        /// Whether it was written to stdout or stderr.
        stream: Stream,
        /// The line, without its newline (cut at a stated length).
        text: String,
    },
    /// A worker's core changed, as sampled from `/proc/<pid>/stat`.
    Cpu {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The worker's slot, 0-based across the whole run.
        worker: usize,
        /// The process ID.
        pid: u32,
        /// The new core.
        cpu: u32,
    },
    /// A worker's kernel state changed (`R`, `S`, `D`, `T`, `Z`…), as sampled from `/proc`.
    State {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The worker's slot, 0-based across the whole run.
        worker: usize,
        /// The process ID.
        pid: u32,
        /// The state letter.
        state: String,
        /// Its parent PID as the kernel reports it now.
        ppid: u32,
    },
    /// A worker finished a task.
    TaskFinished {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The task's 0-based index in input order, across the run.
        task: usize,
        /// The task's display name.
        label: String,
        /// The worker's slot, 0-based across the whole run.
        worker: usize,
        /// The worker's process ID.
        pid: u32,
        /// The core it ended on.
        cpu: Option<u32>,
        /// The task's result.
        result: Value,
        /// CPU time the task used, in milliseconds (its thread's CPU clock).
        cpu_ms: f64,
    },
    /// A traced program called a pool or executor API (`proclab trace` only). Its items are
    /// the tasks that follow, numbered in the order they were queued.
    PoolCall {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The caller's worker slot.
        worker: usize,
        /// The caller's PID.
        pid: u32,
        /// `Pool.map`, `Pool.apply_async`, `Executor.submit`, …
        api: String,
        /// Items it was given, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tasks: Option<u64>,
        /// Items per chunk, for the APIs that have a chunksize.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chunksize: Option<u64>,
        /// The pool's or executor's number of workers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workers: Option<u32>,
    },
    /// A task was taken by a worker that died before finishing it.
    TaskLost {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The task's 0-based index in input order, across the run.
        task: usize,
        /// The task's display name.
        label: String,
        /// The worker that died.
        worker: usize,
        /// Its process ID.
        pid: u32,
    },
    /// A worker process ended (its status is known; it may not be reaped yet).
    Exited {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The worker's slot, 0-based across the whole run.
        worker: usize,
        /// The process ID.
        pid: u32,
        /// Exit code, if it exited.
        code: Option<i32>,
        /// Signal number, if a signal killed it.
        signal: Option<i32>,
    },
    /// The parent reaped (joined) a worker process: its PID is gone from `/proc`.
    Joined {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The worker's slot, 0-based across the whole run.
        worker: usize,
        /// The process ID.
        pid: u32,
    },
    /// The final value of a stage's shared-memory counter, read by the parent.
    SharedCounter {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The stage's 0-based index.
        stage: usize,
        /// The counter as the parent read it after the stage.
        value: u64,
        /// What it would be if no update were lost: the sum of every `count` task's `times`.
        expected: u64,
    },
    /// A note from proclab itself (a time limit hit, sampling unavailable…).
    Notice {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// What proclab has to say, as one sentence.
        text: String,
    },
    /// A stage ended.
    StageFinished {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// The stage's 0-based index.
        stage: usize,
        /// Milliseconds from the stage's start to its end.
        wall_ms: f64,
    },
    /// The run ended.
    RunFinished {
        /// When it happened: milliseconds since the run started.
        t_ms: f64,
        /// Task indices in the order they finished.
        completion_order: Vec<usize>,
        /// Results in the order the parent receives them (input order for `map`).
        results: Results,
        /// The task index of each entry of `results` (absent from older recordings).
        #[serde(default)]
        result_order: Vec<usize>,
        /// Tasks that never finished because their worker died.
        lost: Vec<usize>,
        /// Whether the run was stopped early (time limit, or stopped by the user).
        stopped: bool,
    },
}

impl Event {
    /// Milliseconds since the run started.
    pub fn t_ms(&self) -> f64 {
        match self {
            Event::RunStarted { t_ms, .. }
            | Event::StageStarted { t_ms, .. }
            | Event::Spawned { t_ms, .. }
            | Event::TaskStarted { t_ms, .. }
            | Event::Output { t_ms, .. }
            | Event::Cpu { t_ms, .. }
            | Event::State { t_ms, .. }
            | Event::TaskFinished { t_ms, .. }
            | Event::PoolCall { t_ms, .. }
            | Event::TaskLost { t_ms, .. }
            | Event::Exited { t_ms, .. }
            | Event::Joined { t_ms, .. }
            | Event::Notice { t_ms, .. }
            | Event::SharedCounter { t_ms, .. }
            | Event::StageFinished { t_ms, .. }
            | Event::RunFinished { t_ms, .. } => *t_ms,
        }
    }

    /// One JSON line (no newline), with no raw control character in it (see
    /// [`crate::text::json_visible`]).
    pub fn to_json(&self) -> String {
        crate::text::json_visible(serde_json::to_string(self).expect("events always serialize"))
    }
}

/// The results of `run_finished`, in the order the parent received them, written as a JSON
/// array. Each is held as compactly as the worker reported it (16 bytes for a number), so a run
/// of 400,000 tasks does not hold 400,000 JSON values besides its own results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Results(Vec<RunResult>);

/// One result of a run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "Value")]
pub enum RunResult {
    /// A task's value as a worker reports it (a traced task's is its Python repr, as text).
    Task(TaskValue),
    /// Any other JSON value, as a recording may hold one (`true`, a list, 2⁶⁴ − 1).
    Json(Box<Value>),
}

impl RunResult {
    /// As JSON.
    pub fn to_json(&self) -> Value {
        match self {
            RunResult::Task(value) => value.to_json(),
            RunResult::Json(value) => value.as_ref().clone(),
        }
    }
}

impl From<Value> for RunResult {
    /// `value`, held as compactly as it can be, and written back exactly as it was.
    fn from(value: Value) -> RunResult {
        let task = match value {
            Value::Null => TaskValue::Null,
            Value::String(text) => TaskValue::Text(Box::new(text)),
            Value::Number(ref n) => match (n.as_i64(), n.is_f64()) {
                (Some(n), _) => TaskValue::Int(n),
                (None, true) => TaskValue::Float(n.as_f64().unwrap_or_default()),
                (None, false) => return RunResult::Json(Box::new(value)),
            },
            other => return RunResult::Json(Box::new(other)),
        };
        RunResult::Task(task)
    }
}

impl Serialize for RunResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RunResult::Task(TaskValue::Null) => serializer.serialize_unit(),
            RunResult::Task(TaskValue::Int(n)) => serializer.serialize_i64(*n),
            // As JSON has no NaN or infinity, `Value` writes them as `null`; so does this.
            RunResult::Task(TaskValue::Float(x)) if !x.is_finite() => serializer.serialize_unit(),
            RunResult::Task(TaskValue::Float(x)) => serializer.serialize_f64(*x),
            RunResult::Task(TaskValue::Text(text)) => serializer.serialize_str(text),
            RunResult::Json(value) => value.serialize(serializer),
        }
    }
}

impl Results {
    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, RunResult> {
        self.0.iter()
    }
}

impl FromIterator<RunResult> for Results {
    fn from_iter<I: IntoIterator<Item = RunResult>>(results: I) -> Results {
        Results(results.into_iter().collect())
    }
}

impl From<Vec<Value>> for Results {
    fn from(values: Vec<Value>) -> Results {
        values.into_iter().map(RunResult::from).collect()
    }
}

/// Where a run's events go, in the order they happened.
pub trait Sink: Send {
    /// Takes one event; `false` when nobody listens any more (the run then stops).
    fn take(&mut self, event: Event) -> bool;

    /// Every event so far was taken, and the next may be a while: the moment to write out
    /// what was held back. `false` when nobody listens any more.
    fn caught_up(&mut self) -> bool {
        true
    }
}

impl<F: FnMut(Event) -> bool + Send> Sink for F {
    fn take(&mut self, event: Event) -> bool {
        self(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_the_event_first_and_matches_the_contract() {
        let event = Event::Cpu {
            t_ms: 50.2,
            worker: 0,
            pid: 101,
            cpu: 0,
        };
        assert_eq!(
            event.to_json(),
            r#"{"event":"cpu","t_ms":50.2,"worker":0,"pid":101,"cpu":0}"#
        );
        let back: Event = serde_json::from_str(&event.to_json()).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn kinds_and_parts_are_the_contract_words() {
        let event = Event::StageStarted {
            t_ms: 1.0,
            stage: 2,
            name: "a pool of 2".into(),
            kind: StageKind::Pool,
            workers: 2,
            chunksize: Some(1),
            tasks: 4,
            sweep_workers: Some(2),
            sweep_part: Some(SweepPart::Serial),
        };
        let json = event.to_json();
        assert!(json.contains(r#""kind":"pool""#), "{json}");
        assert!(json.contains(r#""sweep_part":"serial""#), "{json}");
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn a_run_started_without_a_source_is_a_lessons() {
        let old = r#"{"event":"run_started","t_ms":0.0,"lesson":"pool-sleep","parent_pid":1,"cores":2,"workers":2,"speed":1.0,"stages":1,"version":"0.1.0"}"#;
        let Event::RunStarted { source, .. } = serde_json::from_str(old).unwrap() else {
            panic!("a run_started event");
        };
        assert_eq!(source, RunSource::Lesson);
        let traced = old.replace(
            r#""lesson":"pool-sleep""#,
            r#""lesson":"trace","source":"trace""#,
        );
        let Event::RunStarted { source, .. } = serde_json::from_str(&traced).unwrap() else {
            panic!("a run_started event");
        };
        assert_eq!(source, RunSource::Trace);
    }

    #[test]
    fn results_are_small_and_written_back_exactly_as_read() {
        assert_eq!(std::mem::size_of::<RunResult>(), 16);
        let line = r#"{"event":"run_finished","t_ms":1.0,"completion_order":[0],"results":[null,-3,18446744073709551615,2.5,1.0,-0.0,1e+300,"A \"é\"",true,[1,{"a":null}]],"result_order":[0],"lost":[],"stopped":false}"#;
        let event: Event = serde_json::from_str(line).unwrap();
        assert_eq!(event.to_json(), line);
        let Event::RunFinished { results, .. } = &event else {
            panic!("run_finished");
        };
        let kinds: Vec<bool> = results
            .iter()
            .map(|r| matches!(r, RunResult::Task(_)))
            .collect();
        assert_eq!(
            kinds,
            [
                true, true, false, true, true, true, true, true, false, false
            ]
        );
        let values: Vec<Value> = results.iter().map(RunResult::to_json).collect();
        let from_values = Results::from(values);
        assert_eq!(&from_values, results);
        // What a worker reports is written as its JSON value would be.
        let reported: Results = [
            TaskValue::Int(4),
            TaskValue::Float(f64::NAN),
            TaskValue::Float(0.5),
            TaskValue::text("x"),
            TaskValue::Null,
        ]
        .into_iter()
        .map(RunResult::Task)
        .collect();
        assert_eq!(
            serde_json::to_string(&reported).unwrap(),
            r#"[4,null,0.5,"x",null]"#
        );
    }

    #[test]
    fn parent_output_has_null_worker() {
        let event = Event::Output {
            t_ms: 1.0,
            worker: None,
            pid: 7,
            stream: Stream::Stdout,
            text: "done".into(),
        };
        assert_eq!(
            event.to_json(),
            r#"{"event":"output","t_ms":1.0,"worker":null,"pid":7,"stream":"stdout","text":"done"}"#
        );
    }
}
