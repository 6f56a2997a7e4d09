//! Runs a lesson's plan with real OS processes and streams what happens as [`Event`]s.
//!
//! The engine knows nothing about terminals: the text report, `--json` and the TUI all read the
//! same events.

pub mod child;
pub mod lines;
pub mod plan;
pub mod procfs;
pub mod queue;
pub mod run;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

pub use plan::{PlanError, RunOptions, RunPlan, StagePlan, available_cores, plan};
pub use run::Control;

use crate::event::Event;

/// Runs `plan` on this thread, handing each event to `sink` as it happens. `sink` returns
/// `false` to stop the run. `interrupted` (set by a signal handler) stops it too. Every worker is
/// reaped before this returns.
pub fn run(
    plan: &RunPlan,
    sink: &mut dyn FnMut(Event) -> bool,
    interrupted: Option<Arc<AtomicBool>>,
) -> std::io::Result<()> {
    run::Engine::new(plan, sink, None, interrupted)?.run();
    Ok(())
}

/// A run going on in a background thread.
pub struct RunHandle {
    /// Events, in order; the channel closes after `run_finished`.
    pub events: Receiver<Event>,
    control: Sender<Control>,
    thread: Option<JoinHandle<()>>,
}

impl RunHandle {
    /// Asks the engine to do something (pause, resume, kill a worker, stop).
    pub fn send(&self, control: Control) {
        let _ = self.control.send(control);
    }

    /// Stops the run if it is still going and waits until every worker is reaped.
    pub fn stop(mut self) {
        self.stop_and_wait();
    }

    fn stop_and_wait(&mut self) {
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

/// Starts `plan` in a background thread. The thread that starts the workers lives until they
/// are all reaped (their `PR_SET_PDEATHSIG` is tied to it).
pub fn start(plan: RunPlan) -> RunHandle {
    let (event_tx, events) = mpsc::channel();
    let (control, control_rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("proclab-engine".into())
        .spawn(move || {
            let mut sink = |event: Event| event_tx.send(event).is_ok();
            match run::Engine::new(&plan, &mut sink, Some(control_rx), None) {
                Ok(engine) => engine.run(),
                Err(error) => {
                    let _ = event_tx.send(Event::Notice {
                        t_ms: 0.0,
                        text: format!("cannot start the run: {error}"),
                    });
                }
            }
        })
        .expect("a thread can be started");
    RunHandle {
        events,
        control,
        thread: Some(thread),
    }
}
