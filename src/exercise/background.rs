//! A verdict in a background thread, for a screen that shows the runs live: its messages (each
//! run's start, every event, each run's end, the verdict) come through a channel, and stopping
//! or dropping the handle ends the run going on and everything it started.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Exercise;
use super::check::StartMethod;
use super::judge::{JudgeOptions, JudgeProgress, judge};
use super::run::Snapshot;
use super::verdict::{RunSummary, Verdict};
use crate::event::Event;

/// Messages waiting for a slow reader before the judging waits for it.
const QUEUE: usize = 4096;

/// What a background verdict says, in order.
#[derive(Debug, Clone)]
pub enum JudgeMessage {
    /// Run `run` (0-based) of `of` starts.
    RunStarted {
        /// Which run.
        run: usize,
        /// How many in all.
        of: usize,
        /// Its start method (`None`: Python's default).
        method: Option<StartMethod>,
        /// It is the serial reference of a `speedup` check, not the learner's program.
        reference: bool,
    },
    /// An event of the run going on (the same events as `proclab trace`'s).
    Event(Event),
    /// A run ended.
    RunFinished(RunSummary),
    /// The verdict: the last message.
    Done(Verdict),
}

/// A verdict being made in a background thread.
pub struct JudgeHandle {
    /// Its messages; the channel closes after [`JudgeMessage::Done`].
    pub messages: Receiver<JudgeMessage>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl JudgeHandle {
    /// Stops judging (the run going on is ended, with everything it started) and waits.
    pub fn stop(mut self) {
        self.stop_and_wait();
    }

    fn stop_and_wait(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for JudgeHandle {
    fn drop(&mut self) {
        self.stop_and_wait();
    }
}

/// Starts judging `program` for `exercise` in a background thread.
pub fn start(exercise: Exercise, program: Snapshot, mut options: JudgeOptions) -> JudgeHandle {
    let stop = Arc::new(AtomicBool::new(false));
    options.interrupted = Some(Arc::clone(&stop));
    let (sender, messages) = mpsc::sync_channel(QUEUE);
    let stopping = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("proclab-judge".into())
        .spawn(move || {
            // Waits for room while the reader is slow, gives up once the handle is stopped.
            let send = |mut message: JudgeMessage| loop {
                match sender.try_send(message) {
                    Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                    Err(TrySendError::Full(back)) => {
                        if stopping.load(Ordering::Relaxed) {
                            return;
                        }
                        message = back;
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            };
            let verdict = judge(&exercise, &program, &options, &mut |progress| {
                send(match progress {
                    JudgeProgress::RunStarted {
                        run,
                        of,
                        method,
                        reference,
                    } => JudgeMessage::RunStarted {
                        run,
                        of,
                        method,
                        reference,
                    },
                    JudgeProgress::Event(event) => JudgeMessage::Event(event.clone()),
                    JudgeProgress::RunFinished(facts) => {
                        JudgeMessage::RunFinished(RunSummary::of(facts))
                    }
                })
            });
            send(JudgeMessage::Done(verdict));
        })
        .expect("a thread can be started");
    JudgeHandle {
        messages,
        stop,
        thread: Some(thread),
    }
}
