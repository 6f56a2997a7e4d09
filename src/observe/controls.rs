//! What a UI (or a signal) can ask of a run in progress, and the one way both kinds of run
//! answer it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use nix::sys::signal::Signal;

/// What a UI can ask of a run (a lesson's or a trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// SIGSTOP every live process of the run.
    Pause,
    /// SIGCONT every live process of the run.
    Resume,
    /// SIGKILL the process of this worker slot.
    Kill(usize),
    /// End everything and finish the run now.
    Stop,
}

/// Why a run is stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopCause {
    /// SIGINT, SIGTERM or SIGHUP reached proclab.
    Interrupted,
    /// The UI asked ([`Control::Stop`]).
    Requested,
}

/// Where a run's requests come from: the UI's channel and the interrupt flag a signal handler
/// sets.
#[derive(Debug, Default)]
pub(crate) struct Controls {
    requests: Option<Receiver<Control>>,
    interrupted: Option<Arc<AtomicBool>>,
}

impl Controls {
    /// Requests from `requests`; `interrupted` stops the run when set.
    pub(crate) fn new(
        requests: Option<Receiver<Control>>,
        interrupted: Option<Arc<AtomicBool>>,
    ) -> Controls {
        Controls {
            requests,
            interrupted,
        }
    }

    fn interrupted(&self) -> bool {
        self.interrupted
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    fn pending(&self) -> Vec<Control> {
        self.requests
            .as_ref()
            .map_or_else(Vec::new, |requests| requests.try_iter().collect())
    }
}

/// A run that answers [`Controls`]: each client says how it signals, kills and stops.
pub(crate) trait Controlled {
    /// Its requests.
    fn controls(&self) -> &Controls;
    /// Whether it is stopping or stopped already.
    fn is_stopped(&self) -> bool;
    /// Sends `signal` to every live process of the run.
    fn signal_all(&mut self, signal: Signal);
    /// SIGKILLs the process of worker slot `slot`, if it still runs.
    fn kill_slot(&mut self, slot: usize);
    /// Stops the run, saying why in a notice.
    fn stop(&mut self, cause: StopCause);

    /// Answers the interrupt flag and every request waiting.
    fn check_controls(&mut self) {
        if !self.is_stopped() && self.controls().interrupted() {
            self.stop(StopCause::Interrupted);
        }
        for request in self.controls().pending() {
            match request {
                Control::Pause => self.signal_all(Signal::SIGSTOP),
                Control::Resume => self.signal_all(Signal::SIGCONT),
                Control::Kill(slot) => self.kill_slot(slot),
                Control::Stop if !self.is_stopped() => self.stop(StopCause::Requested),
                Control::Stop => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[derive(Default)]
    struct Fake {
        controls: Controls,
        stopped: Vec<StopCause>,
        signals: Vec<Signal>,
        killed: Vec<usize>,
    }

    impl Controlled for Fake {
        fn controls(&self) -> &Controls {
            &self.controls
        }
        fn is_stopped(&self) -> bool {
            !self.stopped.is_empty()
        }
        fn signal_all(&mut self, signal: Signal) {
            self.signals.push(signal);
        }
        fn kill_slot(&mut self, slot: usize) {
            self.killed.push(slot);
        }
        fn stop(&mut self, cause: StopCause) {
            self.stopped.push(cause);
        }
    }

    #[test]
    fn requests_are_answered_in_order_and_a_run_stops_once() {
        let (tx, rx) = mpsc::channel();
        let flag = Arc::new(AtomicBool::new(false));
        let mut run = Fake {
            controls: Controls::new(Some(rx), Some(Arc::clone(&flag))),
            ..Fake::default()
        };
        for control in [
            Control::Pause,
            Control::Kill(3),
            Control::Resume,
            Control::Stop,
            Control::Stop,
        ] {
            tx.send(control).unwrap();
        }
        run.check_controls();
        assert_eq!(run.signals, [Signal::SIGSTOP, Signal::SIGCONT]);
        assert_eq!(run.killed, [3]);
        assert_eq!(run.stopped, [StopCause::Requested]);
        flag.store(true, Ordering::Relaxed);
        run.check_controls();
        assert_eq!(run.stopped, [StopCause::Requested], "stopped already");
    }

    #[test]
    fn the_interrupt_flag_stops_a_run() {
        let flag = Arc::new(AtomicBool::new(true));
        let mut run = Fake {
            controls: Controls::new(None, Some(flag)),
            ..Fake::default()
        };
        run.check_controls();
        assert_eq!(run.stopped, [StopCause::Interrupted]);
    }
}
