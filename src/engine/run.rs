//! The run loop: runs each stage (how each kind runs is in `stages.rs`), reads every pipe with
//! one `poll` (what the workers say is in `reports.rs`), samples cores and states from `/proc`,
//! notices exits, joins, and turns all of it into events.
//!
//! One thread owns everything here, so events come out in the order proclab learned of them.
//! Whatever happens (end of the run, stop, a panic unwinding through here), every child is
//! killed if still running and reaped before this returns: see `Drop for Engine`.

use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::child::WorkerProcess;
use super::plan::{RunPlan, StagePlan};
use super::shared::SharedRegion;
use crate::event::{Event, Results, RunResult, RunSource, Stream};
use crate::lesson::model::{CounterScope, ResultOrder, StageKind};
use crate::observe::clock::{Period, RunClock, monotonic_ns};
use crate::observe::controls::{Control, Controlled, Controls, StopCause};
use crate::observe::emitter::Emitter;
use crate::observe::exit::{self, ExitStatus};
use crate::observe::outbox::Outbox;
use crate::observe::procfs::{self, Reported, SAMPLE_INTERVAL};
use crate::observe::ready;
use crate::protocol::report::TaskValue;
use crate::task::TaskFn;

mod reports;
mod stages;

/// Bytes of printed lines that may wait for the reader before proclab stops reading the
/// workers' output (they then wait on their full pipes: printed-output back-pressure).
const OUTPUT_BACKLOG_BYTES: usize = 4 * 1024 * 1024;

/// Where something a worker did shows up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Its report pipe (fd 3).
    Reports,
    /// Its stdout pipe.
    Stdout,
    /// Its stderr pipe.
    Stderr,
    /// Its pidfd: it has ended.
    Exit,
}

/// One worker slot as the run tracks it.
#[derive(Debug)]
struct Slot {
    process: usize,
    tid: Option<u32>,
    /// What its events last said about its state, parent and core.
    reported: Reported,
    /// Its `spawned` event was emitted.
    announced: bool,
}

/// One worker process as the run tracks it.
#[derive(Debug)]
struct Proc {
    worker: WorkerProcess,
    /// The core it pinned itself to.
    pinned: Option<u32>,
    stage: usize,
    /// Its slots: one, or one per thread.
    slots: Vec<usize>,
    /// First task index it was given (threads: thread i runs task `first_task + i`).
    first_task: usize,
    /// Tasks sent and not finished yet.
    in_flight: VecDeque<usize>,
    /// Tasks whose start it reported (ones that take time) and that have not finished yet: one
    /// per thread of a threads stage, at most one for a process.
    started: Vec<usize>,
    hello: bool,
    /// Its printed output waits for the reader: since when (`CLOCK_MONOTONIC` ns).
    output_held_since: Option<u64>,
    /// How long its printed output has waited for the reader in all, ns.
    output_held_ns: u64,
    /// How it ended, once known.
    status: Option<ExitStatus>,
    /// When proclab learned that it ended (`CLOCK_MONOTONIC` ns; 0 until then).
    exited_ns: u64,
    reaped: bool,
    /// It ended holding tasks it had not finished.
    dropped_work: bool,
}

impl Slot {
    fn new(process: usize, announced: bool) -> Slot {
        Slot {
            process,
            tid: None,
            reported: Reported::default(),
            announced,
        }
    }
}

impl Proc {
    /// It may still end, and no pidfd would say when (the kernel gave none).
    fn exit_unwatched(&self) -> bool {
        !self.reaped && self.status.is_none() && self.worker.ended.is_none()
    }

    fn new(worker: WorkerProcess, pinned: Option<u32>, stage: usize, slots: Vec<usize>) -> Proc {
        Proc {
            worker,
            pinned,
            stage,
            slots,
            first_task: 0,
            in_flight: VecDeque::new(),
            started: Vec::new(),
            hello: false,
            output_held_since: None,
            output_held_ns: 0,
            status: None,
            exited_ns: 0,
            reaped: false,
            dropped_work: false,
        }
    }
}

/// The run in progress.
pub struct Engine<'a> {
    plan: &'a RunPlan,
    out: Emitter,
    controls: Controls,
    deadline_ns: u64,
    sampling: Period,
    parent_pid: u32,
    procs: Vec<Proc>,
    slots: Vec<Slot>,
    results: Vec<Option<TaskValue>>,
    completion: Vec<usize>,
    lost: Vec<usize>,
    stopped: bool,
    proc_available: bool,
    /// Cores proclab may run on (its affinity mask), for pinning.
    allowed_cpus: Vec<u32>,
    /// The first worker slot of the current stage.
    stage_first_slot: usize,
    /// The current stage's shared-memory counter, if it has one.
    shared: Option<SharedRegion>,
}

impl<'a> Engine<'a> {
    /// Prepares a run of `plan` whose events go to `outbox`.
    pub fn new(
        plan: &'a RunPlan,
        outbox: Outbox,
        control: Option<Receiver<Control>>,
        interrupted: Option<Arc<AtomicBool>>,
    ) -> std::io::Result<Engine<'a>> {
        let clock = RunClock::start_now();
        let has_orphans = plan
            .stages
            .iter()
            .flat_map(|s| s.tasks.functions())
            .any(|function| matches!(function, TaskFn::Orphan { .. }));
        if has_orphans {
            // Orphans of our workers are re-parented to proclab, which watches and reaps them.
            nix::sys::prctl::set_child_subreaper(true)?;
        }
        Ok(Engine {
            plan,
            out: Emitter::new(outbox, clock),
            controls: Controls::new(control, interrupted),
            deadline_ns: clock.start_ns() + plan.time_limit.as_nanos() as u64,
            // First due one interval in: a worker's start reports its core itself, so reading
            // `/proc` right then would only slow the start down.
            sampling: Period::new(
                SAMPLE_INTERVAL,
                clock.start_ns() + SAMPLE_INTERVAL.as_nanos() as u64,
            ),
            parent_pid: std::process::id(),
            procs: Vec::new(),
            slots: Vec::new(),
            results: vec![None; plan.task_count()],
            completion: Vec::with_capacity(plan.task_count()),
            lost: Vec::new(),
            stopped: false,
            proc_available: procfs::available(),
            allowed_cpus: allowed_cpus(),
            stage_first_slot: 0,
            shared: None,
        })
    }

    fn t_ms(&self, t_ns: u64) -> f64 {
        self.out.clock.ms(t_ns)
    }

    fn now_ms(&self) -> f64 {
        self.out.clock.now_ms()
    }

    fn emit(&mut self, event: Event) {
        if self.out.emit(event).is_err() {
            self.end_every_worker();
        }
    }

    fn notice(&mut self, text: impl Into<String>) {
        if self.out.notice(text).is_err() {
            self.end_every_worker();
        }
    }

    /// Runs every stage and emits `run_finished`.
    pub fn run(mut self) {
        let first_workers = self.plan.stages.first().map_or(0, |s| s.workers);
        self.emit(Event::RunStarted {
            t_ms: 0.0,
            lesson: self.plan.lesson.clone(),
            source: RunSource::Lesson,
            parent_pid: self.parent_pid,
            cores: self.plan.cores,
            workers: first_workers,
            speed: self.plan.speed,
            stages: self.plan.stages.len(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        });
        if !self.proc_available {
            self.notice("/proc is not readable here: cores and process states are unavailable; everything else is real");
        }
        let plan = self.plan;
        for (index, stage) in plan.stages.iter().enumerate() {
            if self.stopped {
                break;
            }
            self.run_stage(index, stage);
        }
        // A signal that came as the last workers ended still counts: the run was interrupted.
        self.check_controls();
        self.finish_all();
        let (result_order, results) = self.results_in_order();
        let event = Event::RunFinished {
            t_ms: self.now_ms(),
            completion_order: std::mem::take(&mut self.completion),
            results,
            result_order,
            lost: self.lost.clone(),
            stopped: self.stopped,
        };
        self.emit(event);
    }

    /// The results in the order the parent hands them back, and the task of each: completion
    /// order when every stage is `unordered` (`imap_unordered`), else input order (`map`), in
    /// which the engine's own list of results becomes the event's where it lies (no copy).
    fn results_in_order(&mut self) -> (Vec<usize>, Results) {
        let mut results = std::mem::take(&mut self.results);
        let result = |value: Option<TaskValue>| RunResult::Task(value.unwrap_or(TaskValue::Null));
        let unordered = self
            .plan
            .stages
            .iter()
            .all(|s| s.result_order == ResultOrder::Unordered);
        if unordered {
            let order = self.completion.clone();
            let results = order.iter().map(|&t| result(results[t].take())).collect();
            (order, results)
        } else {
            let order = (0..results.len()).collect();
            (order, results.into_iter().map(result).collect())
        }
    }

    fn run_stage(&mut self, index: usize, stage: &StagePlan) {
        let stage_start = monotonic_ns();
        self.emit(Event::StageStarted {
            t_ms: self.t_ms(stage_start),
            stage: index,
            name: stage.name.clone(),
            kind: stage.kind,
            workers: stage.workers,
            chunksize: (stage.kind == StageKind::Pool).then_some(stage.chunksize),
            tasks: stage.tasks.len(),
            sweep_workers: stage.sweep.map(|point| point.workers),
            sweep_part: stage.sweep.map(|point| point.part),
        });
        self.stage_first_slot = self.slots.len();
        self.shared = None;
        if matches!(
            stage.counter,
            CounterScope::SharedMemory | CounterScope::SharedMemoryLocked
        ) {
            match SharedRegion::new("proclab-counter") {
                Ok(shared) => self.shared = Some(shared),
                Err(error) => self.notice(format!("could not make shared memory: {error}")),
            }
        }
        match stage.kind {
            StageKind::Processes => self.run_processes(index, stage),
            StageKind::Pool => self.run_pool(index, stage),
            StageKind::Threads => self.run_threads(index, stage),
            StageKind::Serial => self.run_serial(index, stage),
        }
        if let Some(shared) = self.shared.take() {
            let event = Event::SharedCounter {
                t_ms: self.now_ms(),
                stage: index,
                value: shared.counter().load(Ordering::SeqCst),
                expected: expected_count(stage),
            };
            self.emit(event);
        }
        let end = monotonic_ns();
        self.emit(Event::StageFinished {
            t_ms: self.t_ms(end),
            stage: index,
            wall_ms: (end - stage_start) as f64 / 1e6,
        });
    }

    /// Waits up to `max_wait` for anything on any pipe or any exit, handles it, samples when
    /// due, and checks controls, signals and the time limit.
    fn pump(&mut self, max_wait: Duration) {
        let until_sample = self.sampling.until(monotonic_ns());
        let mut wait = max_wait.min(until_sample).min(SAMPLE_INTERVAL);
        // A process whose exit no pidfd tells is looked for once its pipes have closed.
        if self
            .procs
            .iter()
            .any(|p| p.exit_unwatched() && p.worker.streams_closed() && !p.worker.is_adopted())
        {
            wait = wait.min(Duration::from_millis(1));
        }
        let hold_output = self.out.output_backlog() > OUTPUT_BACKLOG_BYTES;
        self.hold_output(hold_output);
        let ready = self.poll_sources(wait, hold_output);
        for (process, source) in ready {
            self.read_source(process, source);
        }
        self.check_exits(false);
        if self.sampling.due(monotonic_ns()) {
            self.sample();
            self.check_exits(true);
        }
        self.check_controls();
        self.check_time_limit();
    }

    /// Which (process, source) pairs have data, EOF or an exit; with `hold_output`, no
    /// printed output.
    fn poll_sources(&self, wait: Duration, hold_output: bool) -> Vec<(usize, Source)> {
        let mut owners = Vec::new();
        let mut fds = Vec::new();
        for (p, proc) in self.procs.iter().enumerate() {
            let worker = &proc.worker;
            let sources: [(Source, Option<BorrowedFd>); 4] = [
                (Source::Reports, worker.reports.file().map(AsFd::as_fd)),
                (Source::Exit, worker.ended.as_ref().map(AsFd::as_fd)),
                (Source::Stdout, worker.stdout.file().map(AsFd::as_fd)),
                (Source::Stderr, worker.stderr.file().map(AsFd::as_fd)),
            ];
            for (source, fd) in sources {
                let output = matches!(source, Source::Stdout | Source::Stderr);
                if let Some(fd) = fd.filter(|_| !(output && hold_output)) {
                    owners.push((p, source));
                    fds.push(fd);
                }
            }
        }
        ready::readable(&fds, wait)
            .into_iter()
            .map(|i| owners[i])
            .collect()
    }

    /// Starts or ends holding the workers' printed output back while the reader catches up,
    /// counting how long each worker's output waited.
    fn hold_output(&mut self, hold: bool) {
        let now = monotonic_ns();
        for proc in &mut self.procs {
            let prints = proc.worker.stdout.file().is_some() || proc.worker.stderr.file().is_some();
            match (hold && prints, proc.output_held_since) {
                (true, None) => proc.output_held_since = Some(now),
                (false, Some(since)) => {
                    proc.output_held_ns += now.saturating_sub(since);
                    proc.output_held_since = None;
                }
                _ => {}
            }
        }
    }

    fn read_source(&mut self, process: usize, source: Source) {
        let worker = &mut self.procs[process].worker;
        match source {
            Source::Reports => {
                worker.reports.read(false);
                self.handle_reports(process);
            }
            Source::Stdout => {
                let lines = worker.stdout.read_once().lines;
                self.handle_output(process, Stream::Stdout, lines);
            }
            Source::Stderr => {
                let lines = worker.stderr.read_once().lines;
                self.handle_output(process, Stream::Stderr, lines);
            }
            Source::Exit => {
                let pid = worker.pid;
                if self.procs[process].status.is_none()
                    && let Some(status) = exit::peek(pid)
                {
                    self.exited(process, status);
                }
            }
        }
    }

    /// Notices workers that have exited (without reaping them: a zombie stays visible until
    /// its join). `all`: check every live worker, not only those whose pipes closed and whose
    /// exit no pidfd tells.
    fn check_exits(&mut self, all: bool) {
        for process in 0..self.procs.len() {
            let proc = &self.procs[process];
            let due = all || (proc.exit_unwatched() && proc.worker.streams_closed());
            if proc.reaped || proc.status.is_some() || !due {
                continue;
            }
            if let Some(status) = exit::peek(proc.worker.pid) {
                self.exited(process, status);
            }
        }
    }

    fn exited(&mut self, process: usize, status: ExitStatus) {
        // Everything it wrote before dying comes first.
        self.procs[process].worker.reports.read(true);
        self.handle_reports(process);
        let lines = self.procs[process].worker.stdout.drain();
        self.handle_output(process, Stream::Stdout, lines);
        let lines = self.procs[process].worker.stderr.drain();
        self.handle_output(process, Stream::Stderr, lines);
        let proc = &mut self.procs[process];
        let exited_ns = monotonic_ns();
        proc.status = Some(status);
        proc.exited_ns = exited_ns;
        // Its pidfd has said all it can.
        proc.worker.ended = None;
        proc.dropped_work = !proc.in_flight.is_empty();
        let dropped = proc.worker.stdout.dropped_bytes + proc.worker.stderr.dropped_bytes;
        let held_ns = proc.output_held_ns
            + proc
                .output_held_since
                .take()
                .map_or(0, |since| monotonic_ns().saturating_sub(since));
        let (pid, slots, lost) = (
            proc.worker.pid,
            proc.slots.clone(),
            std::mem::take(&mut proc.in_flight),
        );
        if dropped > 0 {
            self.notice(format!(
                "PID {pid} printed lines longer than {} bytes; {dropped} bytes past that were cut",
                crate::limits::MAX_LINE_BYTES
            ));
        }
        let held_ms = held_ns / 1_000_000;
        if held_ms > 0 {
            self.notice(format!(
                "PID {pid} printed faster than proclab's reader took its lines: its output was held \
                 back for {held_ms} ms in all (printed-output back-pressure), and the worker may \
                 have waited that long"
            ));
        }
        let t_ms = self.t_ms(exited_ns);
        for task in lost {
            self.lost.push(task);
            let worker = self.slot_of_task(process, task);
            let label = self.plan.label(task).unwrap_or_default();
            self.emit(Event::TaskLost {
                t_ms,
                task,
                label,
                worker,
                pid,
            });
        }
        for worker in slots {
            self.emit(Event::Exited {
                t_ms,
                worker,
                pid,
                code: status.code(),
                signal: status.signal(),
            });
        }
    }

    /// Joins an exited worker: `wait` removes its zombie.
    fn reap(&mut self, process: usize) {
        let proc = &mut self.procs[process];
        if proc.reaped {
            return;
        }
        proc.worker.wait();
        proc.reaped = true;
        let (pid, slots) = (proc.worker.pid, proc.slots.clone());
        let t_ms = self.now_ms();
        for worker in slots {
            self.emit(Event::Joined { t_ms, worker, pid });
        }
    }

    fn sample(&mut self) {
        if !self.proc_available {
            return;
        }
        for slot in 0..self.slots.len() {
            let proc = &self.procs[self.slots[slot].process];
            // A slot is sampled only once its `spawned` event is out, so no sample precedes it.
            if proc.reaped || !self.slots[slot].announced {
                continue;
            }
            let pid = proc.worker.pid;
            let threads_host = proc.slots.len() > 1;
            let stat = match (threads_host, self.slots[slot].tid) {
                (true, Some(tid)) if proc.status.is_none() => procfs::read_thread(pid, tid),
                (true, _) if proc.status.is_none() => None,
                _ => procfs::read_process(pid),
            };
            let Some(stat) = stat else { continue };
            let t_ms = self.now_ms();
            for event in self.slots[slot].reported.changes(&stat, t_ms, slot, pid) {
                self.emit(event);
            }
        }
    }

    /// Stops the run once it passes its time limit.
    fn check_time_limit(&mut self) {
        if monotonic_ns() > self.deadline_ns && !self.stopped {
            let limit = self.plan.time_limit.as_secs_f64();
            self.notice(format!(
                "the run passed its time limit of {limit:.1} s: stopping every worker"
            ));
            self.end_every_worker();
        }
    }

    /// Kills every live worker (including stopped ones) and marks the run stopped.
    fn end_every_worker(&mut self) {
        self.stopped = true;
        self.signal_all(Signal::SIGKILL);
        self.signal_all(Signal::SIGCONT);
    }

    /// Reports and reaps every worker that is still around.
    fn finish_all(&mut self) {
        for process in 0..self.procs.len() {
            if self.procs[process].reaped {
                continue;
            }
            if self.procs[process].status.is_none() {
                let pid = self.procs[process].worker.pid;
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                exit::wait_ended(pid);
                self.check_exits(true);
            }
            self.reap(process);
        }
    }
}

/// The cores this process may run on, in order.
fn allowed_cpus() -> Vec<u32> {
    let Ok(set) = nix::sched::sched_getaffinity(Pid::from_raw(0)) else {
        return Vec::new();
    };
    (0..nix::sched::CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .map(|cpu| cpu as u32)
        .collect()
}

/// What a stage's `count` tasks add up to if no update is lost.
fn expected_count(stage: &StagePlan) -> u64 {
    stage
        .tasks
        .functions()
        .map(|function| match function {
            TaskFn::Count { times } => times,
            _ => 0,
        })
        .sum()
}

impl Controlled for Engine<'_> {
    fn controls(&self) -> &Controls {
        &self.controls
    }

    fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn signal_all(&mut self, signal: Signal) {
        for proc in self.procs.iter().filter(|p| p.status.is_none()) {
            let _ = kill(Pid::from_raw(proc.worker.pid as i32), signal);
        }
    }

    fn kill_slot(&mut self, slot: usize) {
        if let Some(s) = self.slots.get(slot) {
            let proc = &self.procs[s.process];
            if proc.status.is_none() {
                let _ = kill(Pid::from_raw(proc.worker.pid as i32), Signal::SIGKILL);
            }
        }
    }

    fn stop(&mut self, cause: StopCause) {
        self.notice(match cause {
            StopCause::Interrupted => "interrupted: stopping every worker",
            StopCause::Requested => "stopped: every worker killed",
        });
        self.end_every_worker();
    }
}

impl Drop for Engine<'_> {
    fn drop(&mut self) {
        for proc in &mut self.procs {
            if !proc.reaped {
                proc.worker.kill();
                proc.worker.wait();
                proc.reaped = true;
            }
        }
    }
}
