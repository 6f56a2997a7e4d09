//! Where a run's events go: the sink, and whether anyone still listens.

use super::clock::RunClock;
use crate::event::Event;

/// Where events go; returns `false` when nobody listens any more.
pub(crate) type Sink<'a> = dyn FnMut(Event) -> bool + 'a;

/// The listener went away: the run should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListenerGone;

/// Hands a run's events to its sink, stamped on the run's clock.
pub(crate) struct Emitter<'a> {
    sink: &'a mut Sink<'a>,
    listening: bool,
    /// The run's clock.
    pub(crate) clock: RunClock,
}

impl<'a> Emitter<'a> {
    /// Events go to `sink`; `clock` stamps notices.
    pub(crate) fn new(sink: &'a mut Sink<'a>, clock: RunClock) -> Emitter<'a> {
        Emitter {
            sink,
            listening: true,
            clock,
        }
    }

    /// Hands `event` on. `Err` the one time the listener turns out to be gone (the caller then
    /// stops the run); after that, events are dropped.
    pub(crate) fn emit(&mut self, event: Event) -> Result<(), ListenerGone> {
        if self.listening && !(self.sink)(event) {
            self.listening = false;
            return Err(ListenerGone);
        }
        Ok(())
    }

    /// A `notice` event with `text`, stamped now.
    pub(crate) fn notice(&mut self, text: impl Into<String>) -> Result<(), ListenerGone> {
        let event = Event::Notice {
            t_ms: self.clock.now_ms(),
            text: text.into(),
        };
        self.emit(event)
    }
}
