//! The worker slots of a run: what each process (or thread) was, where it ran and how it ended,
//! updated by `spawned`, `cpu`, `state`, `exited` and `joined` events.

use crate::event::Event;

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
    /// Its PID (0 until its `spawned` event: a slot named only by a later slot's event).
    pub pid: u32,
    /// Its parent's PID when it started.
    pub ppid: u32,
    /// The stage it belongs to.
    pub stage: usize,
    /// For threads: the TID.
    pub tid: Option<u32>,
    /// Microseconds from the request to start it until it was running.
    pub spawn_us: f64,
    /// When it was running, in run milliseconds.
    pub started_ms: f64,
    /// Cores it was seen on, in the order first seen.
    pub cores_seen: Vec<u32>,
    /// The core it is on now (last known).
    pub cpu: Option<u32>,
    /// Times its core changed.
    pub migrations: usize,
    /// Kernel state letter (`R`, `S`, `Z`…), last sampled.
    pub state: Option<char>,
    /// Parent PID as last sampled (1, or a subreaper, once orphaned).
    pub ppid_now: u32,
    /// Tasks it finished.
    pub tasks_done: usize,
    /// Running, exited or killed.
    pub status: WorkerStatus,
    /// When its exit was noticed.
    pub exited_ms: Option<f64>,
    /// When the parent joined (reaped) it.
    pub joined_ms: Option<f64>,
    /// The core the stage pinned it to.
    pub pinned: Option<u32>,
    /// An orphan proclab adopted, not a worker it started.
    pub adopted: bool,
    /// It ended but its exit status could not be learned (a traced process whose parent
    /// reaped it without telling proclab); `status` then says `Exited(0)`.
    pub status_unknown: bool,
}

impl WorkerInfo {
    /// A slot nothing is known about yet.
    fn unknown(slot: usize) -> WorkerInfo {
        WorkerInfo {
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
        }
    }

    /// Notes the core it was seen on, counting a change as a migration.
    pub(crate) fn saw_cpu(&mut self, cpu: u32) {
        if self.cpu.is_some_and(|now| now != cpu) {
            self.migrations += 1;
        }
        self.cpu = Some(cpu);
        if !self.cores_seen.contains(&cpu) {
            self.cores_seen.push(cpu);
        }
    }
}

/// `spawned`: the slot exists (slots before it are made too, still unknown).
pub(crate) fn spawned(workers: &mut Vec<WorkerInfo>, event: &Event) {
    let Event::Spawned {
        t_ms,
        worker,
        pid,
        ppid,
        stage,
        tid,
        spawn_us,
        pinned,
        adopted,
    } = *event
    else {
        return;
    };
    while workers.len() <= worker {
        workers.push(WorkerInfo::unknown(workers.len()));
    }
    workers[worker] = WorkerInfo {
        pid,
        ppid,
        ppid_now: ppid,
        stage,
        tid,
        spawn_us,
        started_ms: t_ms,
        pinned,
        adopted,
        ..WorkerInfo::unknown(worker)
    };
}

/// `cpu`: the sampler saw the worker on another core.
pub(crate) fn moved(workers: &mut [WorkerInfo], event: &Event) {
    if let Event::Cpu { worker, cpu, .. } = *event {
        ran_on(workers, worker, Some(cpu));
    }
}

/// A core the worker was seen on (by a sample, or at a task's start or end).
pub(crate) fn ran_on(workers: &mut [WorkerInfo], worker: usize, cpu: Option<u32>) {
    if let (Some(w), Some(cpu)) = (workers.get_mut(worker), cpu) {
        w.saw_cpu(cpu);
    }
}

/// The worker finished a task, ending on `cpu`.
pub(crate) fn finished_task(workers: &mut [WorkerInfo], worker: usize, cpu: Option<u32>) {
    if let Some(w) = workers.get_mut(worker) {
        w.tasks_done += 1;
    }
    ran_on(workers, worker, cpu);
}

/// `state`: the kernel's state letter and parent, as last sampled.
pub(crate) fn sampled(workers: &mut [WorkerInfo], event: &Event) {
    if let Event::State {
        worker,
        ref state,
        ppid,
        ..
    } = *event
        && let Some(w) = workers.get_mut(worker)
    {
        w.state = state.chars().next();
        w.ppid_now = ppid;
    }
}

/// `exited`: how it ended; neither a code nor a signal means proclab could not learn it.
pub(crate) fn exited(workers: &mut [WorkerInfo], event: &Event) {
    if let Event::Exited {
        t_ms,
        worker,
        code,
        signal,
        ..
    } = *event
        && let Some(w) = workers.get_mut(worker)
    {
        w.exited_ms = Some(t_ms);
        w.status_unknown = code.is_none() && signal.is_none();
        w.status = match (code, signal) {
            (_, Some(signal)) => WorkerStatus::Killed(signal),
            (code, None) => WorkerStatus::Exited(code.unwrap_or(0)),
        };
    }
}

/// `joined`: the parent reaped it.
pub(crate) fn joined(workers: &mut [WorkerInfo], event: &Event) {
    if let Event::Joined { t_ms, worker, .. } = *event
        && let Some(w) = workers.get_mut(worker)
    {
        w.joined_ms = Some(t_ms);
    }
}
