//! A run as a value: the events in order, and the facts derived from them (per-worker lanes,
//! completion order, results). Built one event at a time, so a live view and a finished report
//! read the same thing.

pub mod observe;
pub mod report;

use std::collections::VecDeque;

use serde_json::Value;

use crate::event::{Event, Stream};
use crate::limits;

/// How a worker slot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerStatus {
    /// Started, running or sleeping.
    Alive,
    /// Exited with this code (may not be joined yet).
    Exited(i32),
    /// Killed by this signal number.
    Killed(i32),
}

/// What the run knows about one worker slot.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerInfo {
    /// Slot, 0-based across the run.
    pub slot: usize,
    /// Its PID.
    pub pid: u32,
    /// Its parent's PID when it started.
    pub ppid: u32,
    /// The stage it belongs to.
    pub stage: usize,
    /// For threads: the TID.
    pub tid: Option<u32>,
    /// Microseconds it took to start.
    pub spawn_us: f64,
    /// When it was running.
    pub started_ms: f64,
    /// Cores it was seen on, in the order first seen.
    pub cores_seen: Vec<u32>,
    /// Core it is on now (last known).
    pub cpu: Option<u32>,
    /// Times its core changed.
    pub migrations: usize,
    /// Kernel state letter, last sampled.
    pub state: Option<char>,
    /// Parent PID as last sampled.
    pub ppid_now: u32,
    /// Tasks it finished.
    pub tasks_done: usize,
    /// Running, exited or killed.
    pub status: WorkerStatus,
    /// When its exit was noticed.
    pub exited_ms: Option<f64>,
    /// When the parent joined it.
    pub joined_ms: Option<f64>,
    /// The core it was pinned to.
    pub pinned: Option<u32>,
    /// An orphan proclab adopted, not a worker it started.
    pub adopted: bool,
    /// It ended but its exit status could not be learned (a traced process whose parent
    /// reaped it without telling proclab); `status` then says `Exited(0)`.
    pub status_unknown: bool,
}

impl WorkerInfo {
    fn saw_cpu(&mut self, cpu: u32) {
        if self.cpu.is_some_and(|now| now != cpu) {
            self.migrations += 1;
        }
        self.cpu = Some(cpu);
        if !self.cores_seen.contains(&cpu) {
            self.cores_seen.push(cpu);
        }
    }
}

/// What the run knows about one task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// Index in input order.
    pub index: usize,
    /// Label.
    pub label: String,
    /// The worker slot that ran it.
    pub worker: Option<usize>,
    /// When it started.
    pub start_ms: Option<f64>,
    /// When it finished.
    pub end_ms: Option<f64>,
    /// Core at start.
    pub cpu_start: Option<u32>,
    /// CPU time it used, ms.
    pub cpu_ms: Option<f64>,
    /// Its worker died before it finished.
    pub lost: bool,
}

/// One printed line.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputLine {
    /// When it arrived.
    pub t_ms: f64,
    /// The worker slot, or `None` for the parent.
    pub worker: Option<usize>,
    /// The printer's PID.
    pub pid: u32,
    /// Which stream.
    pub stream: Stream,
    /// The text.
    pub text: String,
}

/// One stage's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    /// Name.
    pub name: String,
    /// `processes`, `pool` or `threads`.
    pub kind: String,
    /// Workers.
    pub workers: u32,
    /// Pool chunksize.
    pub chunksize: Option<u64>,
    /// Tasks it ran.
    pub tasks: usize,
    /// For a speedup sweep: the worker count of its point.
    pub sweep_workers: Option<u32>,
    /// For a speedup sweep: whether it is the serial part.
    pub sweep_serial: bool,
    /// Its shared-memory counter at the end and the value expected, if it had one.
    pub shared_counter: Option<(u64, u64)>,
    /// Start.
    pub start_ms: f64,
    /// End, once finished.
    pub end_ms: Option<f64>,
}

/// A run: its events and everything derived from them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRecord {
    /// The events, in order, while they fit in [`limits::MAX_KEPT_EVENT_BYTES`]; later ones are
    /// counted in `events_dropped` (the derived facts below still count everything).
    pub events: Vec<Event>,
    /// Events received in all.
    pub events_total: u64,
    /// Events not kept in `events` because the budget was spent.
    pub events_dropped: u64,
    /// Approximate bytes `events` holds.
    kept_bytes: usize,
    /// The lesson's id.
    pub lesson: String,
    /// proclab's PID.
    pub parent_pid: u32,
    /// Cores available.
    pub cores: u32,
    /// `--speed`.
    pub speed: f64,
    /// Stages.
    pub stages: Vec<StageInfo>,
    /// Worker slots.
    pub workers: Vec<WorkerInfo>,
    /// Tasks, by index.
    pub tasks: Vec<TaskInfo>,
    /// The latest printed lines, in arrival order: at most [`limits::MAX_KEPT_OUTPUT_LINES`].
    pub output: VecDeque<OutputLine>,
    /// Lines printed in all.
    pub output_total: u64,
    /// Older lines dropped from `output` to keep memory bounded.
    pub output_dropped: u64,
    /// proclab's own notes.
    pub notices: Vec<String>,
    /// Task indices in completion order.
    pub completion_order: Vec<usize>,
    /// Results as the parent received them, once finished.
    pub results: Option<Vec<Value>>,
    /// The task index of each result, once finished.
    pub result_order: Vec<usize>,
    /// Tasks lost to dead workers.
    pub lost: Vec<usize>,
    /// When the run finished.
    pub finished_ms: Option<f64>,
    /// Whether it was stopped early.
    pub stopped: bool,
    /// Time of the latest event.
    pub now_ms: f64,
}

impl RunRecord {
    /// An empty record.
    pub fn new() -> RunRecord {
        RunRecord {
            speed: 1.0,
            ..RunRecord::default()
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

    fn task_mut(&mut self, index: usize, label: &str) -> &mut TaskInfo {
        while self.tasks.len() <= index {
            let i = self.tasks.len();
            self.tasks.push(TaskInfo {
                index: i,
                label: String::new(),
                worker: None,
                start_ms: None,
                end_ms: None,
                cpu_start: None,
                cpu_ms: None,
                lost: false,
            });
        }
        let task = &mut self.tasks[index];
        if task.label.is_empty() {
            task.label = label.to_string();
        }
        task
    }

    /// How a result reads: a trace's results are Python reprs, shown as Python prints them
    /// (`·` where none came back); a lesson's are JSON.
    pub fn result_text(&self, result: &Value) -> String {
        match (self.lesson == crate::trace::LESSON, result) {
            (true, Value::String(repr)) => repr.clone(),
            (true, Value::Null) => "·".to_string(),
            _ => result.to_string(),
        }
    }

    /// Adds one event and updates every derived fact.
    pub fn push(&mut self, event: Event) {
        self.now_ms = self.now_ms.max(event.t_ms());
        match &event {
            Event::RunStarted {
                lesson,
                parent_pid,
                cores,
                speed,
                ..
            } => {
                self.lesson = lesson.clone();
                self.parent_pid = *parent_pid;
                self.cores = *cores;
                self.speed = *speed;
            }
            Event::StageStarted {
                t_ms,
                name,
                kind,
                workers,
                chunksize,
                tasks,
                sweep_workers,
                sweep_part,
                ..
            } => {
                // Room for the stage's tasks at once: a 100,000-task stage does not grow (and
                // copy) the table step by step.
                self.tasks.reserve(*tasks);
                self.stages.push(StageInfo {
                    name: name.clone(),
                    kind: kind.clone(),
                    workers: *workers,
                    chunksize: *chunksize,
                    tasks: *tasks,
                    sweep_workers: *sweep_workers,
                    sweep_serial: sweep_part.as_deref() == Some("serial"),
                    start_ms: *t_ms,
                    end_ms: None,
                    shared_counter: None,
                });
            }
            Event::SharedCounter {
                stage,
                value,
                expected,
                ..
            } => {
                if let Some(info) = self.stages.get_mut(*stage) {
                    info.shared_counter = Some((*value, *expected));
                }
            }
            Event::Spawned {
                t_ms,
                worker,
                pid,
                ppid,
                stage,
                tid,
                spawn_us,
                pinned,
                adopted,
            } => {
                while self.workers.len() <= *worker {
                    let slot = self.workers.len();
                    self.workers.push(WorkerInfo {
                        slot,
                        pid: 0,
                        ppid: 0,
                        stage: 0,
                        tid: None,
                        spawn_us: 0.0,
                        started_ms: 0.0,
                        cores_seen: Vec::new(),
                        cpu: None,
                        migrations: 0,
                        state: None,
                        ppid_now: 0,
                        tasks_done: 0,
                        status: WorkerStatus::Alive,
                        exited_ms: None,
                        joined_ms: None,
                        pinned: None,
                        adopted: false,
                        status_unknown: false,
                    });
                }
                let w = &mut self.workers[*worker];
                w.pinned = *pinned;
                w.adopted = *adopted;
                w.pid = *pid;
                w.ppid = *ppid;
                w.ppid_now = *ppid;
                w.stage = *stage;
                w.tid = *tid;
                w.spawn_us = *spawn_us;
                w.started_ms = *t_ms;
            }
            Event::TaskStarted {
                t_ms,
                task,
                label,
                worker,
                cpu,
                ..
            } => {
                let info = self.task_mut(*task, label);
                info.worker = Some(*worker);
                info.start_ms = Some(*t_ms);
                info.cpu_start = *cpu;
                if let (Some(w), Some(cpu)) = (self.workers.get_mut(*worker), cpu) {
                    w.saw_cpu(*cpu);
                }
            }
            Event::TaskFinished {
                t_ms,
                task,
                label,
                worker,
                cpu,
                cpu_ms,
                ..
            } => {
                let info = self.task_mut(*task, label);
                info.worker = Some(*worker);
                info.end_ms = Some(*t_ms);
                info.cpu_ms = Some(*cpu_ms);
                self.completion_order.push(*task);
                if let Some(w) = self.workers.get_mut(*worker) {
                    w.tasks_done += 1;
                    if let Some(cpu) = cpu {
                        w.saw_cpu(*cpu);
                    }
                }
            }
            Event::TaskLost {
                task,
                label,
                worker,
                ..
            } => {
                let info = self.task_mut(*task, label);
                info.worker = Some(*worker);
                info.lost = true;
            }
            Event::Output {
                t_ms,
                worker,
                pid,
                stream,
                text,
            } => {
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
            Event::Cpu { worker, cpu, .. } => {
                if let Some(w) = self.workers.get_mut(*worker) {
                    w.saw_cpu(*cpu);
                }
            }
            Event::State {
                worker,
                state,
                ppid,
                ..
            } => {
                if let Some(w) = self.workers.get_mut(*worker) {
                    w.state = state.chars().next();
                    w.ppid_now = *ppid;
                }
            }
            Event::Exited {
                t_ms,
                worker,
                code,
                signal,
                ..
            } => {
                if let Some(w) = self.workers.get_mut(*worker) {
                    w.exited_ms = Some(*t_ms);
                    w.status_unknown = code.is_none() && signal.is_none();
                    w.status = match (code, signal) {
                        (_, Some(signal)) => WorkerStatus::Killed(*signal),
                        (code, None) => WorkerStatus::Exited(code.unwrap_or(0)),
                    };
                }
            }
            Event::Joined { t_ms, worker, .. } => {
                if let Some(w) = self.workers.get_mut(*worker) {
                    w.joined_ms = Some(*t_ms);
                }
            }
            Event::Notice { text, .. } => self.notices.push(text.clone()),
            Event::StageFinished { t_ms, stage, .. } => {
                if let Some(s) = self.stages.get_mut(*stage) {
                    s.end_ms = Some(*t_ms);
                }
            }
            Event::RunFinished {
                t_ms,
                results,
                result_order,
                lost,
                stopped,
                ..
            } => {
                self.results = Some(results.clone());
                self.result_order = result_order.clone();
                self.lost = lost.clone();
                self.finished_ms = Some(*t_ms);
                self.stopped = *stopped;
            }
        }
        self.events_total += 1;
        let size = std::mem::size_of::<Event>()
            + match &event {
                Event::Output { text, .. } | Event::Notice { text, .. } => text.len(),
                _ => 0,
            };
        if self.kept_bytes + size <= limits::MAX_KEPT_EVENT_BYTES {
            self.kept_bytes += size;
            self.events.push(event);
        } else {
            self.events_dropped += 1;
        }
    }

    /// The workers of one stage.
    pub fn stage_workers(&self, stage: usize) -> impl Iterator<Item = &WorkerInfo> {
        self.workers
            .iter()
            .filter(move |w| w.stage == stage && w.pid != 0)
    }

    /// The tasks a worker ran, in the order it started them.
    pub fn lane(&self, worker: usize) -> Vec<&TaskInfo> {
        let mut tasks: Vec<&TaskInfo> = self
            .tasks
            .iter()
            .filter(|t| t.worker == Some(worker))
            .collect();
        tasks.sort_by(|a, b| {
            a.start_ms
                .partial_cmp(&b.start_ms)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        tasks
    }

    /// The points of a speedup sweep: worker count and milliseconds (serial part included),
    /// for every point whose stages all finished.
    pub fn sweep_points(&self) -> Vec<(u32, f64)> {
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
    pub fn sweep_serial_fraction(&self) -> Option<f64> {
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
    pub fn input_labels(&self) -> Vec<&str> {
        self.tasks.iter().map(|t| t.label.as_str()).collect()
    }

    /// Labels in completion order.
    pub fn completion_labels(&self) -> Vec<&str> {
        self.completion_order
            .iter()
            .map(|&t| self.tasks[t].label.as_str())
            .collect()
    }

    /// Whether the run has finished.
    pub fn is_finished(&self) -> bool {
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
                kind: "pool".into(),
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
                results: vec![Value::Null; 4],
                result_order: vec![0, 1, 2, 3],
                lost: vec![],
                stopped: false,
            },
        ]
    }

    #[test]
    fn derives_orders_lanes_and_migrations() {
        let record = RunRecord::from_events(pool_sleep_events());
        assert_eq!(record.input_labels(), ["A", "B", "C", "D"]);
        assert_eq!(record.completion_labels(), ["B", "C", "A", "D"]);
        let lane: Vec<&str> = record.lane(1).iter().map(|t| t.label.as_str()).collect();
        assert_eq!(lane, ["B", "C", "D"]);
        assert_eq!(record.workers[0].cores_seen, [0, 1]);
        assert_eq!(record.workers[0].migrations, 1);
        assert_eq!(record.workers[1].tasks_done, 3);
        assert_eq!(record.workers[1].status, WorkerStatus::Exited(0));
        assert!(record.is_finished());
    }
}
