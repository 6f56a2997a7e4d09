//! Runs a lesson's plan with real OS processes and streams what happens as [`Event`]s; one of
//! the two clients of the observation core ([`crate::observe`]), the trace being the other.
//!
//! The engine knows nothing about terminals: the text report, `--json` and the TUI all read the
//! same events.

pub(crate) mod child;
pub mod fork_server;
pub mod plan;
pub(crate) mod queue;
pub(crate) mod run;
pub(crate) mod shared;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use crate::observe::controls::Control;
pub use crate::observe::runner::RunHandle;
pub use plan::{PlanError, RunOptions, RunPlan, StagePlan, available_cores, plan};

use crate::event::Event;
use crate::observe::runner::start_runner;

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

/// Starts `plan` in a background thread.
///
/// The event channel is bounded: a reader that falls behind (a worker flooding its output)
/// slows the engine down, and so the workers, instead of letting memory grow.
pub fn start(plan: RunPlan) -> RunHandle {
    start_runner("proclab-engine", move |sink, control, stop| {
        run::Engine::new(&plan, sink, Some(control), Some(stop))?.run();
        Ok(())
    })
}
