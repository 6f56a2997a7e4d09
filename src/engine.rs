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

use crate::event::Sink;
use crate::observe::outbox::observed;
use crate::observe::runner::start_runner;

/// Runs `plan`, handing each event to `sink` on this thread as it happens. `sink` returns
/// `false` to stop the run. `interrupted` (set by a signal handler) stops it too. Every worker is
/// reaped before this returns.
///
/// The workers are followed on a thread of their own, which never waits for `sink`: what a
/// stage measures does not depend on who reads the events or how fast.
pub fn run(
    plan: &RunPlan,
    sink: &mut dyn Sink,
    interrupted: Option<Arc<AtomicBool>>,
) -> std::io::Result<()> {
    observed(
        sink,
        &|task| plan.label(task).unwrap_or_default(),
        |outbox| run::Engine::new(plan, outbox, None, interrupted).map(run::Engine::run),
    )
}

/// Starts `plan` in the background; its events are read from the handle.
///
/// The event channel is bounded: a reader that falls behind with a worker's printed output
/// slows that worker down (printed-output back-pressure) instead of letting memory grow; the
/// run's other events wait in a compact queue and never slow the workers.
pub fn start(plan: RunPlan) -> RunHandle {
    start_runner("proclab-engine", move |sink, control, stop| {
        observed(
            sink,
            &|task| plan.label(task).unwrap_or_default(),
            |outbox| {
                run::Engine::new(&plan, outbox, Some(control), Some(stop)).map(run::Engine::run)
            },
        )
    })
}
