//! A run as a value: the events in order, and the facts derived from them (per-worker lanes,
//! completion order, results). Built one event at a time, so a live view and a finished report
//! read the same thing.
//!
//! [`RunRecord::push`] hands each event to the handler of its kind: [`workers`] for process
//! events, [`stages`] and [`tasks`] for theirs; the run-wide ones are handled here.

pub mod observe;
mod pool_calls;
pub mod report;
mod stages;
mod tasks;
mod workers;

use std::collections::VecDeque;

use serde_json::Value;

use crate::event::{Event, RunResult, RunSource, Stream};
use crate::limits;
use crate::recording::EventLog;

pub use pool_calls::{PoolCallInfo, PoolCalls};
pub use stages::StageInfo;
pub use tasks::{Label, TaskInfo, Tasks};
pub use workers::{WorkerInfo, WorkerStatus};

/// One printed line.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputLine {
    /// When it arrived, in run milliseconds.
    pub t_ms: f64,
    /// The worker slot, or `None` for the parent.
    pub worker: Option<usize>,
    /// The printer's PID.
    pub pid: u32,
    /// Which stream.
    pub stream: Stream,
    /// The text, without its newline.
    pub text: String,
}

/// A run: its events and everything derived from them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRecord {
    /// The first events, in order and compactly, while they fit in
    /// [`limits::MAX_KEPT_EVENT_BYTES`]; the ones after are counted in `events_dropped` (the
    /// derived facts below still count everything).
    pub events: EventLog,
    /// Events received in all.
    pub events_total: u64,
    /// Events not kept in `events` because the budget was spent.
    pub events_dropped: u64,
    /// The most bytes `events` may hold.
    event_budget: usize,
    /// The lesson's id ([`crate::trace::LESSON`] for a trace).
    pub lesson: String,
    /// Whether the run was a lesson's or a trace.
    pub source: RunSource,
    /// The proclab version that ran it.
    pub version: String,
    /// proclab's PID: the parent of every worker.
    pub parent_pid: u32,
    /// Cores available to the run.
    pub cores: u32,
    /// The `--speed` divisor in force.
    pub speed: f64,
    /// Stages, in order.
    pub stages: Vec<StageInfo>,
    /// Worker slots, by slot.
    pub workers: Vec<WorkerInfo>,
    /// Tasks, by index (compact: a few dozen bytes each).
    pub tasks: Tasks,
    /// A trace's pool and executor calls, in the order they were made.
    pub pool_calls: PoolCalls,
    /// The latest printed lines, in arrival order: at most [`limits::MAX_KEPT_OUTPUT_LINES`].
    pub output: VecDeque<OutputLine>,
    /// Lines printed in all.
    pub output_total: u64,
    /// Older lines dropped from `output` to keep memory bounded.
    pub output_dropped: u64,
    /// proclab's own notes (a time limit hit, sampling unavailable…).
    pub notices: Vec<String>,
    /// Task indices in completion order.
    pub completion_order: Vec<u32>,
    /// The first [`limits::MAX_KEPT_RESULTS`] results, in the order the parent received them,
    /// once finished (`--json` and recordings keep them all).
    pub results: Option<Vec<Value>>,
    /// Results received in all.
    pub results_total: usize,
    /// Tasks lost to dead workers.
    pub lost: Vec<usize>,
    /// When the run finished.
    pub finished_ms: Option<f64>,
    /// Whether it was stopped early (time limit, or stopped by the user).
    pub stopped: bool,
    /// Time of the latest event.
    pub now_ms: f64,
}

impl RunRecord {
    /// An empty record that keeps the events it is given (up to
    /// [`limits::MAX_KEPT_EVENT_BYTES`]), so the run can be saved later.
    pub fn new() -> RunRecord {
        RunRecord {
            speed: 1.0,
            event_budget: limits::MAX_KEPT_EVENT_BYTES,
            ..RunRecord::default()
        }
    }

    /// An empty record that keeps only the facts, not the events (a headless run streams
    /// them to `--json` or a recording as they come).
    pub fn without_events() -> RunRecord {
        RunRecord {
            event_budget: 0,
            ..RunRecord::new()
        }
    }

    /// A record of these events.
    pub fn from_events(events: impl IntoIterator<Item = Event>) -> RunRecord {
        let mut record = RunRecord::new();
        for event in events {
            record.push(event);
        }
        record
    }

    /// How a result reads: a trace's results are Python reprs, shown as Python prints them
    /// (`·` where none came back); a lesson's are JSON.
    pub(crate) fn result_text(&self, result: &Value) -> String {
        match (self.source == RunSource::Trace, result) {
            (true, Value::String(repr)) => repr.clone(),
            (true, Value::Null) => "·".to_string(),
            _ => result.to_string(),
        }
    }

    /// Adds one event and updates every derived fact: each kind of event has its handler,
    /// which takes the fields it needs.
    pub fn push(&mut self, event: Event) {
        self.now_ms = self.now_ms.max(event.t_ms());
        match &event {
            Event::RunStarted { .. } => self.run_started(&event),
            Event::StageStarted { .. } => self.stage_started(&event),
            Event::SharedCounter { .. } => stages::counted(&mut self.stages, &event),
            Event::StageFinished { .. } => stages::finished(&mut self.stages, &event),
            Event::Spawned { .. } => workers::spawned(&mut self.workers, &event),
            Event::Cpu { .. } => workers::moved(&mut self.workers, &event),
            Event::State { .. } => workers::sampled(&mut self.workers, &event),
            Event::Exited { .. } => workers::exited(&mut self.workers, &event),
            Event::Joined { .. } => workers::joined(&mut self.workers, &event),
            Event::TaskStarted { .. } => self.task_started(&event),
            Event::TaskFinished { .. } => self.task_finished(&event),
            Event::TaskLost { .. } => tasks::lost(&mut self.tasks, &event),
            Event::PoolCall { .. } => self.pool_calls.called(&event),
            Event::Output { .. } => self.printed(&event),
            Event::Notice { text, .. } => self.notices.push(text.clone()),
            Event::RunFinished { .. } => self.run_finished(&event),
        }
        self.keep(&event);
    }

    /// `run_started`: what the run is of, and where.
    fn run_started(&mut self, event: &Event) {
        let Event::RunStarted {
            lesson,
            source,
            parent_pid,
            cores,
            speed,
            version,
            ..
        } = event
        else {
            return;
        };
        self.lesson = lesson.clone();
        self.source = *source;
        self.version = version.clone();
        self.parent_pid = *parent_pid;
        self.cores = *cores;
        self.speed = *speed;
    }

    /// `stage_started`: with room for the stage's tasks at once, so a 100,000-task stage does
    /// not grow (and copy) the table step by step.
    fn stage_started(&mut self, event: &Event) {
        if let Event::StageStarted { tasks, .. } = event {
            self.tasks.reserve(*tasks);
            self.completion_order.reserve_exact(*tasks);
        }
        stages::started(&mut self.stages, event);
    }

    /// `task_started`: the task, and the core its worker was on.
    fn task_started(&mut self, event: &Event) {
        tasks::started(&mut self.tasks, event);
        if let Event::TaskStarted { worker, cpu, .. } = event {
            workers::ran_on(&mut self.workers, *worker, *cpu);
        }
    }

    /// `task_finished`: the task, the completion order, and its worker's count and core.
    fn task_finished(&mut self, event: &Event) {
        tasks::finished(&mut self.tasks, event);
        if let Event::TaskFinished {
            t_ms,
            task,
            worker,
            cpu,
            ..
        } = event
        {
            // Workers report in batches, so a task may be reported after one that finished
            // later: the order is kept by the time each finished (then as reported).
            let at = self.completion_order.partition_point(|&other| {
                self.tasks
                    .get(other as usize)
                    .and_then(|t| t.end_ms)
                    .is_none_or(|end| end <= *t_ms)
            });
            self.completion_order.insert(at, *task as u32);
            workers::finished_task(&mut self.workers, *worker, *cpu);
        }
    }

    /// `output`: keeps the line, dropping the oldest once the limit is reached.
    fn printed(&mut self, event: &Event) {
        let Event::Output {
            t_ms,
            worker,
            pid,
            stream,
            text,
        } = event
        else {
            return;
        };
        self.output_total += 1;
        if self.output.len() == limits::MAX_KEPT_OUTPUT_LINES {
            self.output.pop_front();
            self.output_dropped += 1;
        }
        self.output.push_back(OutputLine {
            t_ms: *t_ms,
            worker: *worker,
            pid: *pid,
            stream: *stream,
            text: text.clone(),
        });
    }

    /// `run_finished`: the results in the order the parent received them, and how it ended.
    fn run_finished(&mut self, event: &Event) {
        let Event::RunFinished {
            t_ms,
            results,
            lost,
            stopped,
            ..
        } = event
        else {
            return;
        };
        let kept = results.iter().take(limits::MAX_KEPT_RESULTS);
        self.results = Some(kept.map(RunResult::to_json).collect());
        self.results_total = results.len();
        self.lost = lost.clone();
        self.finished_ms = Some(*t_ms);
        self.stopped = *stopped;
    }

    /// Keeps `event` in `events` while the budget lasts; from the first event that does not
    /// fit on, counts them as dropped (what is kept is always the run's beginning).
    fn keep(&mut self, event: &Event) {
        self.events_total += 1;
        let kept = self.events_dropped == 0
            && self.event_budget > 0
            && self.events.push_within(event, self.event_budget);
        if !kept {
            if self.events_dropped == 0 {
                // Nothing more will be kept: the room grown for more goes back.
                self.events.shrink_to_fit();
            }
            self.events_dropped += 1;
        }
    }

    /// The workers of one stage.
    pub(crate) fn stage_workers(&self, stage: usize) -> impl Iterator<Item = &WorkerInfo> {
        self.workers
            .iter()
            .filter(move |w| w.stage == stage && w.pid != 0)
    }

    /// The points of a speedup sweep: worker count and milliseconds (serial part included),
    /// for every point whose stages all finished.
    pub(crate) fn sweep_points(&self) -> Vec<(u32, f64)> {
        let mut points: Vec<(u32, f64)> = Vec::new();
        for stage in &self.stages {
            let (Some(workers), Some(end)) = (stage.sweep_workers, stage.end_ms) else {
                continue;
            };
            let took = end - stage.start_ms;
            match points.iter_mut().find(|(w, _)| *w == workers) {
                Some((_, ms)) => *ms += took,
                None => points.push((workers, took)),
            }
        }
        points
    }

    /// The serial part of a sweep as a fraction of the time with one worker, as measured.
    pub(crate) fn sweep_serial_fraction(&self) -> Option<f64> {
        let alone = self
            .sweep_points()
            .into_iter()
            .find(|(workers, _)| *workers == 1)?
            .1;
        let serial = self
            .stages
            .iter()
            .find(|s| s.sweep_workers == Some(1) && s.sweep_serial)
            .and_then(|s| Some(s.end_ms? - s.start_ms))
            .unwrap_or(0.0);
        Some((serial / alone).clamp(0.0, 1.0))
    }

    /// Labels in input order.
    pub(crate) fn input_labels(&self) -> impl ExactSizeIterator<Item = Label<'_>> {
        self.tasks.iter().map(|t| t.label())
    }

    /// Labels in completion order.
    pub(crate) fn completion_labels(&self) -> impl ExactSizeIterator<Item = Label<'_>> {
        self.completion_order
            .iter()
            .map(|&t| self.tasks.label(t as usize))
    }

    /// Whether the run has finished.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished_ms.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn pool_sleep_events() -> Vec<Event> {
        let started = |t_ms, task: usize, label: &str, worker, pid, cpu| Event::TaskStarted {
            t_ms,
            task,
            label: label.into(),
            worker,
            pid,
            cpu: Some(cpu),
        };
        let finished = |t_ms, task: usize, label: &str, worker, pid, cpu| Event::TaskFinished {
            t_ms,
            task,
            label: label.into(),
            worker,
            pid,
            cpu: Some(cpu),
            result: Value::Null,
            cpu_ms: 0.1,
        };
        let spawned = |worker, pid| Event::Spawned {
            t_ms: 0.5,
            worker,
            pid,
            ppid: 100,
            stage: 0,
            tid: None,
            spawn_us: 400.0,
            pinned: None,
            adopted: false,
        };
        vec![
            Event::RunStarted {
                t_ms: 0.0,
                lesson: "pool-sleep".into(),
                source: RunSource::Lesson,
                parent_pid: 100,
                cores: 2,
                workers: 2,
                speed: 10.0,
                stages: 1,
                version: "0.1.0".into(),
            },
            Event::StageStarted {
                t_ms: 0.0,
                stage: 0,
                name: "a pool of 2".into(),
                kind: crate::event::StageKind::Pool,
                workers: 2,
                chunksize: Some(1),
                tasks: 4,
                sweep_workers: None,
                sweep_part: None,
            },
            spawned(0, 101),
            spawned(1, 102),
            started(1.0, 0, "A", 0, 101, 0),
            started(1.0, 1, "B", 1, 102, 1),
            Event::Output {
                t_ms: 1.1,
                worker: Some(0),
                pid: 101,
                stream: Stream::Stdout,
                text: "A waiting 5 s".into(),
            },
            finished(201.0, 1, "B", 1, 102, 1),
            started(201.2, 2, "C", 1, 102, 1),
            Event::Cpu {
                t_ms: 250.0,
                worker: 0,
                pid: 101,
                cpu: 1,
            },
            finished(301.3, 2, "C", 1, 102, 0),
            started(301.4, 3, "D", 1, 102, 0),
            finished(501.0, 0, "A", 0, 101, 1),
            finished(601.5, 3, "D", 1, 102, 0),
            Event::Exited {
                t_ms: 602.0,
                worker: 0,
                pid: 101,
                code: Some(0),
                signal: None,
            },
            Event::Exited {
                t_ms: 602.0,
                worker: 1,
                pid: 102,
                code: Some(0),
                signal: None,
            },
            Event::StageFinished {
                t_ms: 603.0,
                stage: 0,
                wall_ms: 603.0,
            },
            Event::RunFinished {
                t_ms: 603.5,
                completion_order: vec![1, 2, 0, 3],
                results: vec![Value::Null; 4].into(),
                result_order: vec![0, 1, 2, 3],
                lost: vec![],
                stopped: false,
            },
        ]
    }

    #[test]
    fn a_task_reported_late_takes_its_place_by_the_time_it_finished() {
        let mut events = pool_sleep_events();
        // A's report (finished at 501 ms) comes after D's (601.5 ms), as a batch would bring it.
        let a = events
            .iter()
            .position(|e| matches!(e, Event::TaskFinished { task: 0, .. }))
            .unwrap();
        let a_event = events.remove(a);
        let d = events
            .iter()
            .position(|e| matches!(e, Event::TaskFinished { task: 3, .. }))
            .unwrap();
        events.insert(d + 1, a_event);
        let record = RunRecord::from_events(events);
        assert_eq!(record.completion_order, [1, 2, 0, 3]);
    }

    #[test]
    fn the_events_kept_are_the_runs_beginning_within_the_budget() {
        let events = pool_sleep_events();
        let all = RunRecord::from_events(events.clone());
        assert_eq!(all.events.iter().collect::<Vec<_>>(), events);
        assert_eq!((all.events_total, all.events_dropped), (18, 0));

        // A budget that holds the first few events: the rest are counted, even small ones.
        let budget = all.events.held_bytes() / 2;
        let mut record = RunRecord {
            event_budget: budget,
            ..RunRecord::new()
        };
        for event in events.iter().cloned() {
            record.push(event);
        }
        let kept = record.events.len();
        assert!(kept > 0 && kept < events.len(), "{kept}");
        assert!(record.events.held_bytes() <= budget);
        assert_eq!(record.events.iter().collect::<Vec<_>>(), events[..kept]);
        assert_eq!(record.events_total, 18);
        assert_eq!(record.events_dropped, 18 - kept as u64);
        // The facts still count every event.
        assert_eq!(record.completion_order, all.completion_order);

        let mut headless = RunRecord::without_events();
        for event in events {
            headless.push(event);
        }
        assert!(headless.events.is_empty());
        assert_eq!(headless.events_dropped, 18);
    }

    #[test]
    fn derives_orders_lanes_and_migrations() {
        let record = RunRecord::from_events(pool_sleep_events());
        let words = |labels: &mut dyn Iterator<Item = Label>| -> Vec<String> {
            labels.map(|label| label.to_string()).collect()
        };
        assert_eq!(words(&mut record.input_labels()), ["A", "B", "C", "D"]);
        assert_eq!(words(&mut record.completion_labels()), ["B", "C", "A", "D"]);
        let lane = words(
            &mut record
                .tasks
                .iter()
                .filter(|t| t.worker == Some(1))
                .map(|t| t.label()),
        );
        assert_eq!(lane, ["B", "C", "D"]);
        assert_eq!(record.workers[0].cores_seen, [0, 1]);
        assert_eq!(record.workers[0].migrations, 1);
        assert_eq!(record.workers[1].tasks_done, 3);
        assert_eq!(record.workers[1].status, WorkerStatus::Exited(0));
        assert!(record.is_finished());
    }
}
