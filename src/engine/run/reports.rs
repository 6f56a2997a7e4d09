//! What the workers say: their reports (hello, a chunk taken, tasks started and finished, an
//! orphan to adopt) and what they print, turned into events.

use super::{Engine, Proc, Slot};
use crate::engine::child::WorkerProcess;
use crate::event::{Event, Stream};
use crate::observe::outbox::ItemRun;
use crate::protocol::report::{ItemRecord, Report};

impl Engine<'_> {
    /// Handles every whole report read so far from `process`.
    pub(super) fn handle_reports(&mut self, process: usize) {
        loop {
            match self.procs[process].worker.reports.next_report() {
                Ok(Some(report)) => self.handle_report(process, report),
                Ok(None) => return,
                Err(_) => {
                    let pid = self.procs[process].worker.pid;
                    self.notice(format!(
                        "worker PID {pid} sent a malformed report: proclab reads no more of its reports"
                    ));
                    return;
                }
            }
        }
    }

    pub(super) fn handle_output(&mut self, process: usize, stream: Stream, lines: Vec<String>) {
        let proc = &self.procs[process];
        let (worker, pid) = (proc.slots.first().copied(), proc.worker.pid);
        for text in lines {
            let event = Event::Output {
                t_ms: self.now_ms(),
                worker,
                pid,
                stream,
                text,
            };
            self.emit(event);
        }
    }

    pub(super) fn slot_of_task(&self, process: usize, task: usize) -> usize {
        let proc = &self.procs[process];
        let offset = task.saturating_sub(proc.first_task);
        if proc.slots.len() > 1 {
            proc.slots[offset.min(proc.slots.len() - 1)]
        } else {
            proc.slots[0]
        }
    }

    fn handle_report(&mut self, process: usize, report: Report) {
        match report {
            Report::Hello { cpu, t_ns } => self.hello(process, cpu, t_ns),
            Report::ThreadStarted {
                thread,
                tid,
                t_ns,
                spawn_ns,
            } => self.thread_started(process, thread as usize, tid, t_ns, spawn_ns),
            Report::Adopt { pid } => self.adopt(process, pid),
            Report::Took { first, len } => {
                let first = first as usize;
                let end = first.saturating_add(len as usize).min(self.results.len());
                let in_flight = &mut self.procs[process].in_flight;
                in_flight.clear();
                in_flight.extend(first..end);
            }
            Report::Started { task, cpu, t_ns } => self.started(process, task as usize, cpu, t_ns),
            Report::Items {
                first,
                start_ns,
                start_cpu,
                items,
            } => self.finished(process, first as usize, start_ns, start_cpu, items),
        }
    }

    /// A worker process runs: its `spawned` event (a process of threads has one per thread).
    fn hello(&mut self, process: usize, cpu: Option<u32>, t_ns: u64) {
        let proc = &mut self.procs[process];
        proc.hello = true;
        let spawn_us = t_ns.saturating_sub(proc.worker.requested_ns) as f64 / 1e3;
        let (pid, stage, slots, pinned) =
            (proc.worker.pid, proc.stage, proc.slots.clone(), proc.pinned);
        if let [slot] = slots[..] {
            self.slots[slot].reported.cpu = cpu;
            self.slots[slot].announced = true;
            self.emit(Event::Spawned {
                t_ms: self.t_ms(t_ns),
                worker: slot,
                pid,
                ppid: self.parent_pid,
                stage,
                tid: None,
                spawn_us,
                pinned,
                adopted: false,
            });
        }
    }

    /// Thread `thread` of a threads process runs: its `spawned` event.
    fn thread_started(
        &mut self,
        process: usize,
        thread: usize,
        tid: u32,
        t_ns: u64,
        spawn_ns: u64,
    ) {
        let proc = &self.procs[process];
        let Some(&slot) = proc.slots.get(thread) else {
            return;
        };
        let (pid, stage) = (proc.worker.pid, proc.stage);
        self.slots[slot].tid = Some(tid);
        self.slots[slot].announced = true;
        self.emit(Event::Spawned {
            t_ms: self.t_ms(t_ns),
            worker: slot,
            pid,
            ppid: self.parent_pid,
            stage,
            tid: Some(tid),
            spawn_us: spawn_ns as f64 / 1e3,
            pinned: None,
            adopted: false,
        });
    }

    /// A task that takes time began: its `task_started` event, at once.
    fn started(&mut self, process: usize, task: usize, cpu: Option<u32>, t_ns: u64) {
        let Some(label) = self.plan.label(task) else {
            return;
        };
        let worker = self.slot_of_task(process, task);
        if cpu.is_some() {
            self.slots[worker].reported.cpu = cpu;
        }
        let announced = &mut self.procs[process].started;
        if !announced.contains(&task) {
            announced.push(task);
        }
        let pid = self.procs[process].worker.pid;
        self.emit(Event::TaskStarted {
            t_ms: self.t_ms(t_ns),
            task,
            label,
            worker,
            pid,
            cpu,
        });
    }

    /// Takes in tasks a worker finished, from `first` on, and hands them to the reader.
    fn finished(
        &mut self,
        process: usize,
        first: usize,
        start_ns: u64,
        start_cpu: Option<u32>,
        items: Vec<ItemRecord>,
    ) {
        let tasks = first..first.saturating_add(items.len());
        if tasks.end > self.results.len() || tasks.clone().any(|t| self.results[t].is_some()) {
            let pid = self.procs[process].worker.pid;
            self.notice(format!(
                "worker PID {pid} reported tasks it was not given ({tasks:?}): ignored"
            ));
            return;
        }
        let worker = self.slot_of_task(process, first);
        if let Some(cpu) = items.last().and_then(|item| item.cpu) {
            self.slots[worker].reported.cpu = Some(cpu);
        }
        let proc = &mut self.procs[process];
        for (task, item) in tasks.zip(&items) {
            self.results[task] = Some(item.value.clone());
            self.completion.push(task);
            // A chunk finishes in order, so this is almost always the front.
            match proc.in_flight.iter().position(|&t| t == task) {
                Some(0) => drop(proc.in_flight.pop_front()),
                Some(i) => drop(proc.in_flight.remove(i)),
                None => {}
            }
        }
        let run = ItemRun {
            clock: self.out.clock,
            pid: proc.worker.pid,
            worker,
            first,
            start_ns,
            start_cpu,
            // Per task: a threads stage's threads announce theirs in any order.
            start_announced: take(&mut proc.started, first),
            items,
        };
        if self.out.emit_items(run).is_err() {
            self.end_every_worker();
        }
    }

    /// Takes in an orphan a worker is about to leave behind: proclab is a child subreaper
    /// during runs that have orphans, so the orphan becomes its child and can be watched and
    /// reaped like a worker.
    fn adopt(&mut self, parent_process: usize, pid: u32) {
        let (stage, worker_pid) = (
            self.procs[parent_process].stage,
            self.procs[parent_process].worker.pid,
        );
        let (process, slot) = (self.procs.len(), self.slots.len());
        self.slots.push(Slot::new(process, true));
        let mut adopted = Proc::new(WorkerProcess::adopted(pid), None, stage, vec![slot]);
        // Nothing to say hello: it only has to end.
        adopted.hello = true;
        self.procs.push(adopted);
        let t_ms = self.now_ms();
        self.emit(Event::Spawned {
            t_ms,
            worker: slot,
            pid,
            ppid: worker_pid,
            stage,
            tid: None,
            spawn_us: 0.0,
            pinned: None,
            adopted: true,
        });
    }
}

/// Whether `task` is in `announced`; removes it.
fn take(announced: &mut Vec<usize>, task: usize) -> bool {
    match announced.iter().position(|&t| t == task) {
        Some(i) => {
            announced.swap_remove(i);
            true
        }
        None => false,
    }
}
