//! A run (a lesson's or a trace) in a background thread, read and controlled through a
//! [`RunHandle`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TrySendError};
use std::thread::JoinHandle;

use super::controls::Control;
use crate::event::{Event, Sink};

/// Events a background run may have waiting for its reader.
const EVENT_QUEUE: usize = 4096;

/// A run going on in a background thread.
pub struct RunHandle {
    /// Events, in order; the channel closes after `run_finished`.
    pub events: Receiver<Event>,
    control: Sender<Control>,
    /// Set when the handle is stopped or dropped: the run stops even while it waits for room
    /// in the event channel.
    abandoned: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RunHandle {
    /// Asks the run to do something (pause, resume, kill a worker, stop).
    pub fn send(&self, control: Control) {
        let _ = self.control.send(control);
    }

    /// Stops the run if it is still going and waits until every process is reaped.
    pub fn stop(mut self) {
        self.stop_and_wait();
    }

    fn stop_and_wait(&mut self) {
        self.abandoned.store(true, Ordering::Relaxed);
        let _ = self.control.send(Control::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        self.stop_and_wait();
    }
}

/// Runs `body` in a background thread named `name` and returns the handle that reads its
/// events and controls it: `body` gets the event sink (it returns `false` once nobody listens or
/// the handle stopped), the control requests, and the flag set when the handle is stopped or
/// dropped. An error from `body` becomes a `notice` event.
///
/// The event channel is bounded: a reader that falls behind slows the run down instead of
/// letting memory grow.
pub(crate) fn start_runner<F>(name: &str, body: F) -> RunHandle
where
    F: FnOnce(&mut dyn Sink, Receiver<Control>, Arc<AtomicBool>) -> std::io::Result<()>
        + Send
        + 'static,
{
    let (event_tx, events) = mpsc::sync_channel(EVENT_QUEUE);
    let (control, control_rx) = mpsc::channel();
    let abandoned = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&abandoned);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let sink_tx = event_tx.clone();
            let sink_stop = Arc::clone(&stop_flag);
            let mut sink = move |mut event: Event| loop {
                match sink_tx.try_send(event) {
                    Ok(()) => return true,
                    Err(TrySendError::Disconnected(_)) => return false,
                    Err(TrySendError::Full(back)) => {
                        if sink_stop.load(Ordering::Relaxed) {
                            return false;
                        }
                        event = back;
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                }
            };
            if let Err(error) = body(&mut sink, control_rx, stop_flag) {
                let _ = event_tx.send(Event::Notice {
                    t_ms: 0.0,
                    text: format!("cannot start the run: {error}"),
                });
            }
        })
        .expect("a thread can be started");
    RunHandle {
        events,
        control,
        abandoned,
        thread: Some(thread),
    }
}
