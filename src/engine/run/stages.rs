//! How each kind of stage runs: processes started one per task and joined, a pool reading one
//! shared task queue, one process for everything, threads in one process.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Engine, Proc, Slot, expected_count};
use crate::engine::child::{ExtraFds, spawn};
use crate::engine::fork_server::QueueFds;
use crate::engine::plan::{StagePlan, StageTasks};
use crate::engine::queue::TaskQueue;
use crate::engine::shared::SharedRegion;
use crate::event::{Event, Stream};
use crate::lesson::model::{Join, Pin};
use crate::observe::clock::monotonic_ns;
use crate::observe::exit::ExitStatus;
use crate::observe::procfs::SAMPLE_INTERVAL;
use crate::protocol::{Command, WorkerConfig};

impl Engine<'_> {
    /// How the next worker of `stage` is set up (its pin depends on its place in the stage).
    fn config(&self, stage: &StagePlan) -> WorkerConfig {
        let place = self.slots.len() - self.stage_first_slot;
        let pin = match stage.pin {
            Pin::None => None,
            Pin::OneCore => self.allowed_cpus.first().copied(),
            Pin::Spread => self
                .allowed_cpus
                .get(place % self.allowed_cpus.len().max(1))
                .copied(),
        };
        WorkerConfig {
            buffering: stage.buffering,
            counter: stage.counter,
            pin,
        }
    }

    /// Starts a worker process with `slot_count` slots; `None` if it could not start (reported).
    fn start_process(
        &mut self,
        stage_index: usize,
        stage: &StagePlan,
        slot_count: usize,
        queue: Option<QueueFds>,
    ) -> Option<usize> {
        let config = self.config(stage);
        let extra = ExtraFds {
            queue,
            shared: self.shared.as_ref().and_then(SharedRegion::fd),
        };
        match spawn(config, &extra) {
            Ok(worker) => {
                let process = self.procs.len();
                let first = self.slots.len();
                self.slots
                    .extend((0..slot_count).map(|_| Slot::new(process, false)));
                let slots = (first..first + slot_count).collect();
                self.procs
                    .push(Proc::new(worker, config.pin, stage_index, slots));
                Some(process)
            }
            Err(error) => {
                self.notice(format!("could not start a worker process: {error}"));
                None
            }
        }
    }

    fn send(&mut self, process: usize, command: &Command, tasks: Range<usize>) {
        let proc = &mut self.procs[process];
        proc.first_task = tasks.start;
        proc.in_flight.extend(tasks);
        let line = serde_json::to_string(command).expect("commands always serialize");
        proc.worker.send(&line);
    }

    fn parent_says(&mut self, stage: &StagePlan) {
        // The parent's own counter: children run in other address spaces, so nothing they do
        // can change it. It is printed to show exactly that; in a stage with shared memory,
        // the parent reads the counter the workers shared instead.
        let parent_counter: u64 = 0;
        let counter = self.shared.as_ref().map_or(parent_counter, |shared| {
            shared.counter().load(Ordering::SeqCst)
        });
        if let Some(text) = &stage.parent_says {
            let text = text
                .replace("{counter}", &counter.to_string())
                .replace("{expected}", &expected_count(stage).to_string());
            let event = Event::Output {
                t_ms: self.now_ms(),
                worker: None,
                pid: self.parent_pid,
                stream: Stream::Stdout,
                text,
            };
            self.emit(event);
        }
    }

    pub(super) fn run_processes(&mut self, index: usize, stage: &StagePlan, stage_start: u64) {
        let first = self.procs.len();
        for task in stage.tasks.iter() {
            if self.stopped {
                break;
            }
            if let Some(process) = self.start_process(index, stage, 1, None) {
                self.send(
                    process,
                    &Command::Run {
                        tasks: StageTasks::listed(task.index, vec![task.clone()]),
                    },
                    task.index..task.index + 1,
                );
                let proc = &mut self.procs[process];
                proc.worker.close();
                proc.released = true;
            }
        }
        if stage.join == Join::Skip {
            self.parent_says(stage);
        }
        let joins_from = stage_start + stage.join_delay.as_nanos() as u64;
        let mut next_join = first;
        while !self.stopped {
            let now = monotonic_ns();
            match stage.join {
                Join::All if now >= joins_from => {
                    while next_join < self.procs.len() && self.procs[next_join].status.is_some() {
                        self.reap(next_join);
                        next_join += 1;
                    }
                }
                Join::Skip => {
                    let exited: Vec<usize> = (first..self.procs.len())
                        .filter(|&p| self.procs[p].status.is_some() && !self.procs[p].reaped)
                        .collect();
                    exited.into_iter().for_each(|p| self.reap(p));
                }
                _ => {}
            }
            if self.procs[first..].iter().all(|p| p.reaped) {
                break;
            }
            let wait = if stage.join == Join::All && now < joins_from {
                Duration::from_nanos(joins_from - now)
            } else {
                SAMPLE_INTERVAL
            };
            self.pump(wait);
        }
        if stage.join == Join::All && !self.stopped {
            self.parent_says(stage);
        }
    }

    pub(super) fn run_pool(&mut self, index: usize, stage: &StagePlan) {
        let mut queue = match TaskQueue::new(stage.tasks.indices(), stage.chunksize, stage.workers)
        {
            Ok(queue) => queue,
            Err(error) => {
                self.notice(format!("could not make the pool's task queue: {error}"));
                return;
            }
        };
        let command = Command::Pool {
            tasks: stage.tasks.clone(),
        };
        let line = serde_json::to_string(&command).expect("commands always serialize");
        let first = self.procs.len();
        for _ in 0..stage.workers {
            self.start_pool_worker(index, stage, &queue, &line);
        }
        // As with Python's `Pool()`: every worker runs before `map` queues the first task, so
        // which worker takes which item is their race, not the order they were started in.
        while !self.stopped
            && self.procs[first..]
                .iter()
                .any(|p| !p.hello && p.status.is_none())
        {
            self.pump(SAMPLE_INTERVAL);
        }
        // Each death loses at most one chunk; beyond this, workers die without taking work.
        let mut replacements_left = stage.tasks.len() + stage.workers as usize;
        while !self.stopped {
            queue.fill();
            let ended: Vec<usize> = (first..self.procs.len())
                .filter(|&p| self.procs[p].status.is_some() && !self.procs[p].reaped)
                .collect();
            for process in ended {
                self.reap(process);
                let proc = &self.procs[process];
                let died = proc.status != Some(ExitStatus::Code(0)) || proc.dropped_work;
                if !died || self.stage_done(stage) {
                    continue;
                }
                // A worker died while the pool was open: Python's Pool starts a replacement.
                if replacements_left == 0 {
                    self.notice("workers keep dying: the pool starts no more");
                    continue;
                }
                replacements_left -= 1;
                let old_pid = proc.worker.pid;
                if let Some(new) = self.start_pool_worker(index, stage, &queue, &line) {
                    let text = format!(
                        "worker PID {old_pid} died; the pool started PID {} in its place",
                        self.procs[new].worker.pid
                    );
                    self.notice(text);
                }
            }
            if self.procs[first..].iter().all(|p| p.reaped) {
                break;
            }
            let wait = if queue.is_full() {
                SAMPLE_INTERVAL
            } else {
                Duration::from_millis(1)
            };
            self.pump(wait);
        }
        if !self.stopped {
            let never_run = stage
                .tasks
                .indices()
                .filter(|&t| !self.task_settled(t))
                .count();
            if never_run > 0 {
                self.notice(format!(
                    "{never_run} tasks were never run: no worker was left to take them"
                ));
            }
            self.parent_says(stage);
        }
    }

    /// Starts one pool worker reading `queue` and hands it the stage's tasks.
    fn start_pool_worker(
        &mut self,
        index: usize,
        stage: &StagePlan,
        queue: &TaskQueue,
        line: &str,
    ) -> Option<usize> {
        let fds = QueueFds {
            packets: queue.reader(),
            lock: queue.lock(),
        };
        let process = self.start_process(index, stage, 1, Some(fds))?;
        let proc = &mut self.procs[process];
        proc.worker.send(line);
        proc.worker.close();
        proc.released = true;
        Some(process)
    }

    /// Whether a task finished or was lost.
    fn task_settled(&self, task: usize) -> bool {
        self.results[task].is_some() || self.lost.contains(&task)
    }

    /// Whether every task of the stage finished or was lost.
    fn stage_done(&self, stage: &StagePlan) -> bool {
        stage.tasks.indices().all(|t| self.task_settled(t))
    }

    /// All tasks in one worker process, sent as one message: no pool.
    pub(super) fn run_serial(&mut self, index: usize, stage: &StagePlan) {
        let Some(process) = self.start_process(index, stage, 1, None) else {
            return;
        };
        self.send(
            process,
            &Command::Run {
                tasks: stage.tasks.clone(),
            },
            stage.tasks.indices(),
        );
        self.wait_for(process);
        if !self.stopped {
            self.parent_says(stage);
        }
    }

    /// Pumps until `process` has exited, then reaps it.
    fn wait_for(&mut self, process: usize) {
        let proc = &mut self.procs[process];
        proc.worker.close();
        proc.released = true;
        while !self.stopped && !self.procs[process].reaped {
            if self.procs[process].status.is_some() {
                self.reap(process);
                break;
            }
            self.pump(SAMPLE_INTERVAL);
        }
    }

    pub(super) fn run_threads(&mut self, index: usize, stage: &StagePlan) {
        let Some(process) = self.start_process(index, stage, stage.tasks.len(), None) else {
            return;
        };
        self.send(
            process,
            &Command::Threads {
                tasks: stage.tasks.iter().collect(),
            },
            stage.tasks.indices(),
        );
        self.wait_for(process);
        if !self.stopped {
            self.parent_says(stage);
        }
    }
}
