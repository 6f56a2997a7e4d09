//! What feeds the UI channel from outside the model: the terminal's keys, mouse and resizes,
//! the signals that end proclab, and the channel itself.

use std::sync::mpsc::{self, Receiver, SyncSender};

use anyhow::{Context, Result};
use ratatui::crossterm::event::{self, KeyEventKind, MouseEventKind};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::tui::app::message::Message;
use crate::tui::runtime::keys;

/// Reads the terminal's keys, mouse and resizes into the UI channel until the UI is gone.
pub(crate) fn read_input(messages: SyncSender<Message>) {
    std::thread::spawn(move || {
        loop {
            let message = match event::read() {
                Ok(event::Event::Key(key)) if key.kind != KeyEventKind::Release => {
                    Message::Key(key)
                }
                Ok(event::Event::Mouse(mouse))
                    if !matches!(mouse.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) =>
                {
                    Message::Mouse(mouse)
                }
                Ok(event::Event::Resize(width, height)) => Message::Resize(width, height),
                Ok(_) => continue,
                Err(_) => Message::Terminate,
            };
            let last = matches!(message, Message::Terminate);
            if messages.send(message).is_err() || last {
                return;
            }
        }
    });
}

/// Turns SIGTERM, SIGHUP and SIGINT into [`Message::Terminate`], so proclab stops its workers
/// and restores the terminal before it ends.
pub(crate) fn watch_signals(
    messages: SyncSender<Message>,
) -> Result<signal_hook::iterator::Handle> {
    let mut signals =
        Signals::new([SIGTERM, SIGHUP, SIGINT]).context("Failed to install signal handlers")?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if messages.send(Message::Terminate).is_err() {
                return;
            }
        }
    });
    Ok(handle)
}

/// Messages that may wait for the UI loop.
const UI_QUEUE: usize = 4096;

/// Set to `1` to make F12 panic inside the UI: a hidden hook for the tests that prove the
/// terminal is restored and every worker reaped when the UI panics.
pub(crate) const DEBUG_PANIC_ENV: &str = "PROCLAB_DEBUG_PANIC_ON_F12";

pub(super) fn panic_if_asked(message: &Message) {
    if let Message::Key(key) = message
        && keys::action(keys::Context::Global, key) == Some(keys::Action::DebugPanic)
        && std::env::var(DEBUG_PANIC_ENV).is_ok_and(|v| v == "1")
    {
        panic!("F12 pressed with {DEBUG_PANIC_ENV}=1: a deliberate panic to test recovery");
    }
}

/// The UI's one channel. Bounded, so a run that produces events faster than they can be drawn
/// waits for the UI.
pub(crate) fn channel() -> (SyncSender<Message>, Receiver<Message>) {
    mpsc::sync_channel(UI_QUEUE)
}
