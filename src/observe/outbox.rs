//! Between a run's observer and whoever reads its events (the text report, `--json`, the TUI):
//! a queue the observer never waits on, so that a slow reader cannot slow the workers down or
//! change what a stage measures.
//!
//! The queue is bounded by what it holds: the items of a chunk wait packed (about 8 bytes an item,
//! 19 for their chunk: see `packed`) until the reader turns them into events, so at most every task of the run is waiting; printed lines are the only
//! thing without such a bound, and for them the observer stops reading a worker's output while
//! [`Outbox::output_backlog`] is over its limit (the worker then waits on its full pipe:
//! back-pressure, which the run reports).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

use super::clock::RunClock;
use crate::event::{Event, Sink};
use crate::protocol::report::ItemRecord;

mod packed;
use packed::Packed;

/// What the queue counts for each printed line besides its text.
const LINE_OVERHEAD_BYTES: usize = 64;

/// Consecutive finished tasks of one worker, as its report gave them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemRun {
    /// The run's clock.
    pub(crate) clock: RunClock,
    /// The worker's PID.
    pub(crate) pid: u32,
    /// Its slot.
    pub(crate) worker: usize,
    /// The first task's index.
    pub(crate) first: usize,
    /// When the first task began (`CLOCK_MONOTONIC` ns), and on which core.
    pub(crate) start_ns: u64,
    /// The core the first task began on.
    pub(crate) start_cpu: Option<u32>,
    /// The first task's `task_started` event is out already (it takes time: it was reported
    /// when it began).
    pub(crate) start_announced: bool,
    /// Each task, in order: each began where the one before it ended.
    pub(crate) items: Vec<ItemRecord>,
}

impl ItemRun {
    /// Appends it to `out` as an [`ITEMS`] entry of a [`Queue`].
    fn write(&self, out: &mut Vec<u8>) {
        out.push(ITEMS);
        packed::write(self, out);
    }
}

/// Something the observer learned, waiting for the reader.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pending {
    /// An event.
    Event(Event),
    /// Tasks that finished, to be told as events.
    Items(ItemRun),
}

/// What waits for the reader, in order and compactly.
#[derive(Debug, Default)]
struct Queue {
    /// One entry after another: [`EVENT`], which stands for the next of `events`, or [`ITEMS`]
    /// and an item run ([`ItemRun::write`]).
    bytes: Vec<u8>,
    /// The events, in order.
    events: VecDeque<Event>,
}

/// A [`Queue`] entry that is the next event.
const EVENT: u8 = 0;
/// A [`Queue`] entry that is an item run.
const ITEMS: u8 = 1;

impl Queue {
    fn push(&mut self, pending: Pending) {
        match pending {
            Pending::Event(event) => {
                self.bytes.push(EVENT);
                self.events.push_back(event);
            }
            Pending::Items(run) => run.write(&mut self.bytes),
        }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Hands every entry's events to `sink`, in order; `false` as soon as `sink` refuses one.
    /// `label` names a task.
    fn deliver(self, sink: &mut dyn Sink, label: &dyn Fn(usize) -> String) -> bool {
        let Queue { bytes, mut events } = self;
        let mut rest = bytes.as_slice();
        while let Some((&kind, after)) = rest.split_first() {
            let delivered = if kind == EVENT {
                rest = after;
                events.pop_front().is_none_or(|event| sink.take(event))
            } else {
                // Only this module writes entries, so each reads back.
                let Some((run, after)) = Packed::read(after) else {
                    return true;
                };
                rest = after;
                run.events(label).all(|event| sink.take(event))
            };
            if !delivered {
                return false;
            }
        }
        true
    }
}

/// The reader is gone: the run should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListenerGone;

#[derive(Debug, Default)]
struct State {
    queue: Queue,
    /// Bytes of printed lines waiting, with [`LINE_OVERHEAD_BYTES`] each.
    output_bytes: usize,
    /// The observer is done: nothing more will come.
    closed: bool,
    /// The reader stopped reading.
    reader_gone: bool,
    /// The reader sleeps until something comes: the next push wakes it. Otherwise a push only
    /// queues (a wake-up is a system call, which would cost the observer more than the push).
    reader_asleep: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The observer's end.
#[derive(Debug)]
pub(crate) struct Outbox {
    shared: Arc<Shared>,
}

/// The reader's end.
#[derive(Debug)]
pub(crate) struct Inbox {
    shared: Arc<Shared>,
}

/// A new queue.
pub(crate) fn outbox() -> (Outbox, Inbox) {
    let shared = Arc::new(Shared::default());
    (
        Outbox {
            shared: Arc::clone(&shared),
        },
        Inbox { shared },
    )
}

impl Outbox {
    /// Queues `pending` without waiting; `Err` once the reader has gone (it is then dropped).
    pub(crate) fn push(&self, pending: Pending) -> Result<(), ListenerGone> {
        let mut state = self.shared.lock();
        if state.reader_gone {
            return Err(ListenerGone);
        }
        if let Pending::Event(Event::Output { text, .. }) = &pending {
            state.output_bytes += text.len() + LINE_OVERHEAD_BYTES;
        }
        state.queue.push(pending);
        let asleep = std::mem::take(&mut state.reader_asleep);
        drop(state);
        if asleep {
            self.shared.ready.notify_one();
        }
        Ok(())
    }

    /// Bytes of printed lines the reader has not taken yet.
    pub(crate) fn output_backlog(&self) -> usize {
        self.shared.lock().output_bytes
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
    }
}

impl Inbox {
    /// Hands every event to `sink`, in order, until the observer is done or `sink` returns
    /// `false` (the observer then learns that nobody listens). `label` names a task.
    pub(crate) fn deliver(self, sink: &mut dyn Sink, label: &dyn Fn(usize) -> String) {
        loop {
            let batch = {
                let mut state = self.shared.lock();
                while state.queue.is_empty() && !state.closed {
                    state.reader_asleep = true;
                    state = self
                        .shared
                        .ready
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                }
                state.reader_asleep = false;
                if state.queue.is_empty() {
                    return;
                }
                state.output_bytes = 0;
                std::mem::take(&mut state.queue)
            };
            let delivered = batch.deliver(sink, label) && sink.caught_up();
            if !delivered {
                self.shared.lock().reader_gone = true;
                return;
            }
            // Lets the next events gather: a reader woken for every event would cost the
            // observer a wake-up (a system call) per event.
            std::thread::sleep(READER_PAUSE);
        }
    }
}

/// How long the reader waits after taking what was queued, before it looks again: far less
/// than a frame, and enough for a stage's events to come in batches.
const READER_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

/// Runs `observer` with the queue's [`Outbox`], while `sink` takes its events as they come;
/// returns what `observer` returns. `label` names a task of an [`ItemRun`].
///
/// Each runs on a thread of its own, and the reader's thread runs at a low priority (`nice`
/// [`READER_NICE`]): turning items into events and writing them (JSON, a record, a channel to
/// the UI) neither delays the observer nor takes much CPU time from the workers whose stage is
/// being measured.
pub(crate) fn observed<T: Send>(
    sink: &mut dyn Sink,
    label: &(dyn Fn(usize) -> String + Sync),
    observer: impl FnOnce(Outbox) -> T + Send,
) -> T {
    let (outbox, inbox) = outbox();
    std::thread::scope(|scope| {
        let observing = std::thread::Builder::new()
            .name("proclab-observer".into())
            .spawn_scoped(scope, move || observer(outbox))
            .expect("a thread can be started");
        std::thread::Builder::new()
            .name("proclab-reader".into())
            .spawn_scoped(scope, move || {
                low_priority();
                inbox.deliver(sink, label);
            })
            .expect("a thread can be started");
        observing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The reader's `nice`: it gets a tenth of a core the workers want (a weight of 110 against their
/// 1024), so it never takes much from them, yet the UI keeps up even on a busy machine.
const READER_NICE: i32 = 10;

/// Gives the calling thread a low priority, [`READER_NICE`] (Linux's `nice` is per thread).
fn low_priority() {
    // SAFETY: setpriority on this thread's own TID; no memory is involved.
    unsafe {
        nix::libc::setpriority(
            nix::libc::PRIO_PROCESS,
            nix::unistd::gettid().as_raw() as nix::libc::id_t,
            READER_NICE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::report::TaskValue;

    fn notice(text: &str) -> Pending {
        Pending::Event(Event::Notice {
            t_ms: 0.0,
            text: text.into(),
        })
    }

    fn run_of_three(start_announced: bool) -> ItemRun {
        let item = |end_ns, n| ItemRecord {
            end_ns,
            cpu: Some(1),
            cpu_ns: 500_000,
            value: TaskValue::Int(n),
        };
        ItemRun {
            clock: RunClock::starting_at(1_000_000),
            pid: 9,
            worker: 2,
            first: 10,
            start_ns: 2_000_000,
            start_cpu: Some(0),
            start_announced,
            items: vec![item(3_000_000, 1), item(4_000_000, 4), item(6_000_000, 9)],
        }
    }

    /// The events `runs` become, through a queue.
    fn events_of(runs: Vec<ItemRun>, label: &dyn Fn(usize) -> String) -> Vec<Event> {
        let mut queue = Queue::default();
        for run in runs {
            queue.push(Pending::Items(run));
        }
        let mut events = Vec::new();
        let mut sink = |event| {
            events.push(event);
            true
        };
        assert!(queue.deliver(&mut sink, label));
        events
    }

    #[test]
    fn an_item_run_becomes_started_and_finished_events_each_starting_where_the_last_ended() {
        let label = |task: usize| format!("t{task}");
        let events = events_of(vec![run_of_three(false)], &label);
        let kinds: Vec<(&str, usize, f64)> = events
            .iter()
            .map(|e| match e {
                Event::TaskStarted { task, t_ms, .. } => ("started", *task, *t_ms),
                Event::TaskFinished { task, t_ms, .. } => ("finished", *task, *t_ms),
                _ => ("other", 0, 0.0),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("started", 10, 1.0),
                ("finished", 10, 2.0),
                ("started", 11, 2.0),
                ("finished", 11, 3.0),
                ("started", 12, 3.0),
                ("finished", 12, 5.0),
            ]
        );
        assert!(matches!(
            &events[2],
            Event::TaskStarted { label, worker: 2, pid: 9, cpu: Some(1), .. } if label == "t11"
        ));
        assert!(matches!(
            &events[5],
            Event::TaskFinished { result, cpu_ms, .. } if *result == 9 && *cpu_ms == 0.5
        ));
        let announced = events_of(vec![run_of_three(true)], &label);
        assert_eq!(announced.len(), 5, "the first start was told already");
        assert!(matches!(&announced[0], Event::TaskFinished { label, .. } if label == "t10"));
    }

    #[test]
    fn items_wait_compactly_and_read_back_exactly() {
        let one = |first, value| ItemRun {
            first,
            items: vec![ItemRecord {
                end_ns: 7_000_000,
                cpu: None,
                cpu_ns: 0,
                value,
            }],
            start_cpu: None,
            ..run_of_three(false)
        };
        let mut queue = Queue::default();
        queue.push(Pending::Items(one(0, TaskValue::Int(i64::MAX))));
        assert!(queue.bytes.len() <= 32, "{} bytes", queue.bytes.len());
        queue.push(notice("between"));
        queue.push(Pending::Items(one(1, TaskValue::text("é A"))));
        queue.push(Pending::Items(one(2, TaskValue::Float(2.5))));
        queue.push(Pending::Items(one(3, TaskValue::Null)));
        let mut events = Vec::new();
        assert!(queue.deliver(
            &mut |event| {
                events.push(event);
                true
            },
            &|task| task.to_string()
        ));
        let told: Vec<String> = events
            .iter()
            .map(|event| match event {
                Event::TaskStarted { task, cpu, .. } => format!("{task} started on {cpu:?}"),
                Event::TaskFinished { task, result, .. } => format!("{task} gave {result}"),
                Event::Notice { text, .. } => text.clone(),
                _ => "other".into(),
            })
            .collect();
        assert_eq!(
            told,
            [
                "0 started on None",
                "0 gave 9223372036854775807",
                "between",
                "1 started on None",
                "1 gave \"é A\"",
                "2 started on None",
                "2 gave 2.5",
                "3 started on None",
                "3 gave null",
            ]
        );
    }

    #[test]
    fn the_observer_never_waits_and_learns_when_the_reader_leaves() {
        let (outbox, inbox) = outbox();
        for i in 0..1000 {
            outbox.push(notice(&i.to_string())).unwrap();
        }
        outbox
            .push(Pending::Event(Event::Output {
                t_ms: 0.0,
                worker: None,
                pid: 1,
                stream: crate::event::Stream::Stdout,
                text: "x".repeat(100),
            }))
            .unwrap();
        assert_eq!(outbox.output_backlog(), 100 + LINE_OVERHEAD_BYTES);
        let mut seen = 0;
        let reader = std::thread::spawn(move || {
            inbox.deliver(
                &mut |_| {
                    seen += 1;
                    seen < 10
                },
                &|_| String::new(),
            );
            seen
        });
        assert_eq!(reader.join().unwrap(), 10);
        assert_eq!(outbox.push(notice("late")), Err(ListenerGone));
    }

    #[test]
    fn observed_delivers_everything_in_order_then_returns_the_observers_answer() {
        let mut seen = Vec::new();
        let answer = observed(
            &mut |event| {
                seen.push(event);
                true
            },
            &|task| format!("t{task}"),
            |outbox| {
                outbox.push(notice("first")).unwrap();
                outbox.push(Pending::Items(run_of_three(false))).unwrap();
                outbox.push(notice("last")).unwrap();
                42
            },
        );
        assert_eq!(answer, 42);
        assert_eq!(seen.len(), 8);
        assert!(matches!(&seen[7], Event::Notice { text, .. } if text == "last"));
    }
}
