//! How each kind of stage runs: processes started one per task and joined, a pool reading one
//! shared task queue, one process for everything, threads in one process.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Engine, Proc, Slot, expected_count};
use crate::engine::child::{ExtraFds, Start, spawn_all};
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
    /// How the worker at `place` in `stage` is set up (its pin depends on its place).
    fn config(&self, stage: &StagePlan, place: usize) -> WorkerConfig {
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

    /// Starts one worker process per launch, all asked for at once ([`spawn_all`]); where
    /// each one is in `self.procs`, or `None` for one that could not start (reported).
    fn start_processes(
        &mut self,
        stage_index: usize,
        stage: &StagePlan,
        launches: &[Launch],
    ) -> Vec<Option<usize>> {
        let shared = self.shared.as_ref().and_then(SharedRegion::fd);
        let mut place = self.slots.len() - self.stage_first_slot;
        let starts: Vec<Start> = launches
            .iter()
            .map(|launch| {
                let config = self.config(stage, place);
                place += launch.slots;
                Start {
                    config,
                    extra: ExtraFds {
                        queue: launch.queue,
                        shared,
                    },
                    command: Some(launch.command.clone()),
                }
            })
            .collect();
        let started = spawn_all(&starts);
        let pins: Vec<Option<u32>> = starts.iter().map(|start| start.config.pin).collect();
        drop(starts);
        let mut processes = Vec::with_capacity(launches.len());
        for ((launch, pin), worker) in launches.iter().zip(pins).zip(started) {
            match worker {
                Ok(worker) => {
                    let process = self.procs.len();
                    let first = self.slots.len();
                    self.slots
                        .extend((0..launch.slots).map(|_| Slot::new(process, false)));
                    let slots = (first..first + launch.slots).collect();
                    self.procs.push(Proc::new(worker, pin, stage_index, slots));
                    processes.push(Some(process));
                }
                Err(error) => {
                    self.notice(format!("could not start a worker process: {error}"));
                    processes.push(None);
                }
            }
        }
        processes
    }

    /// Starts one worker process and gives it `tasks` (see [`Engine::start_processes`]).
    fn start_process(
        &mut self,
        stage_index: usize,
        stage: &StagePlan,
        launch: Launch,
        tasks: Range<usize>,
    ) -> Option<usize> {
        let process = self.start_processes(stage_index, stage, &[launch])[0]?;
        self.give(process, tasks);
        Some(process)
    }

    /// Counts `tasks` as sent to `process`.
    fn give(&mut self, process: usize, tasks: Range<usize>) {
        let proc = &mut self.procs[process];
        proc.first_task = tasks.start;
        proc.in_flight.extend(tasks);
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

    pub(super) fn run_processes(&mut self, index: usize, stage: &StagePlan) {
        let first = self.procs.len();
        let tasks: Vec<_> = stage.tasks.iter().collect();
        let launches: Vec<Launch> = tasks
            .iter()
            .map(|task| Launch {
                slots: 1,
                queue: None,
                command: command_line(&Command::Run {
                    tasks: StageTasks::listed(task.index, vec![task.clone()]),
                }),
            })
            .collect();
        if !self.stopped {
            let started = self.start_processes(index, stage, &launches);
            for (task, process) in tasks.iter().zip(started) {
                if let Some(process) = process {
                    self.give(process, task.index..task.index + 1);
                }
            }
        }
        if stage.join == Join::Skip {
            self.parent_says(stage);
        }
        // As the lesson says: each child is joined `join_delay` after its exit (so it shows as
        // a zombie that long), in the order they were started, as a loop of join() calls does.
        let delay = stage.join_delay.as_nanos() as u64;
        let mut next_join = first;
        while !self.stopped {
            let now = monotonic_ns();
            match stage.join {
                Join::All => {
                    while let Some(proc) = self.procs.get(next_join)
                        && proc.status.is_some()
                        && now >= proc.exited_ns + delay
                    {
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
            }
            if self.procs[first..].iter().all(|p| p.reaped) {
                break;
            }
            let join_due = (self.procs.get(next_join))
                .filter(|p| stage.join == Join::All && p.status.is_some())
                .map(|p| Duration::from_nanos((p.exited_ns + delay).saturating_sub(now)));
            self.pump(join_due.unwrap_or(SAMPLE_INTERVAL));
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
        let command = command_line(&Command::Pool {
            tasks: stage.tasks.clone(),
        });
        let first = self.procs.len();
        let launches = vec![pool_worker(&queue, &command); stage.workers as usize];
        self.start_processes(index, stage, &launches);
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
                let launch = pool_worker(&queue, &command);
                if let Some(new) = self.start_processes(index, stage, &[launch])[0] {
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
        let launch = Launch {
            slots: 1,
            queue: None,
            command: command_line(&Command::Run {
                tasks: stage.tasks.clone(),
            }),
        };
        let Some(process) = self.start_process(index, stage, launch, stage.tasks.indices()) else {
            return;
        };
        self.wait_for(process);
        if !self.stopped {
            self.parent_says(stage);
        }
    }

    /// Pumps until `process` has exited, then reaps it.
    fn wait_for(&mut self, process: usize) {
        while !self.stopped && !self.procs[process].reaped {
            if self.procs[process].status.is_some() {
                self.reap(process);
                break;
            }
            self.pump(SAMPLE_INTERVAL);
        }
    }

    pub(super) fn run_threads(&mut self, index: usize, stage: &StagePlan) {
        let launch = Launch {
            slots: stage.tasks.len(),
            queue: None,
            command: command_line(&Command::Threads {
                tasks: stage.tasks.iter().collect(),
            }),
        };
        let Some(process) = self.start_process(index, stage, launch, stage.tasks.indices()) else {
            return;
        };
        self.wait_for(process);
        if !self.stopped {
            self.parent_says(stage);
        }
    }
}

/// One worker process to start: its slots (one, or one per thread), the pool's queue if it
/// reads one, and its command line.
#[derive(Debug, Clone)]
struct Launch<'q> {
    slots: usize,
    queue: Option<QueueFds<'q>>,
    command: String,
}

/// A pool worker: it reads `queue` and runs the pool's `command`.
fn pool_worker<'q>(queue: &'q TaskQueue, command: &str) -> Launch<'q> {
    Launch {
        slots: 1,
        queue: Some(QueueFds {
            packets: queue.reader(),
            lock: queue.lock(),
        }),
        command: command.to_string(),
    }
}

/// A command as the line a worker reads.
fn command_line(command: &Command) -> String {
    serde_json::to_string(command).expect("commands always serialize")
}
