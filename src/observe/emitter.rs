//! Where a run's events go: into the [`Outbox`], stamped on the run's clock, and whether anyone
//! still listens.

use super::clock::RunClock;
use super::outbox::{ItemRun, ListenerGone, Outbox, Pending};
use crate::event::Event;

/// Hands a run's events to its reader, without ever waiting for it.
pub(crate) struct Emitter {
    outbox: Outbox,
    listening: bool,
    /// The run's clock.
    pub(crate) clock: RunClock,
}

impl Emitter {
    /// Events go to `outbox`; `clock` stamps notices.
    pub(crate) fn new(outbox: Outbox, clock: RunClock) -> Emitter {
        Emitter {
            outbox,
            listening: true,
            clock,
        }
    }

    /// Hands `event` on. `Err` the one time the reader turns out to be gone (the caller then
    /// stops the run); after that, events are dropped.
    pub(crate) fn emit(&mut self, event: Event) -> Result<(), ListenerGone> {
        self.send(Pending::Event(event))
    }

    /// Hands on finished tasks, which the reader turns into their events.
    pub(crate) fn emit_items(&mut self, run: ItemRun) -> Result<(), ListenerGone> {
        self.send(Pending::Items(run))
    }

    /// A `notice` event with `text`, stamped now.
    pub(crate) fn notice(&mut self, text: impl Into<String>) -> Result<(), ListenerGone> {
        let event = Event::Notice {
            t_ms: self.clock.now_ms(),
            text: text.into(),
        };
        self.emit(event)
    }

    /// Bytes of printed lines the reader has not taken yet.
    pub(crate) fn output_backlog(&self) -> usize {
        self.outbox.output_backlog()
    }

    fn send(&mut self, pending: Pending) -> Result<(), ListenerGone> {
        if self.listening && self.outbox.push(pending).is_err() {
            self.listening = false;
            return Err(ListenerGone);
        }
        Ok(())
    }
}
