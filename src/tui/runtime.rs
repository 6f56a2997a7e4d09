//! The UI loop and the threads that feed it: one channel of [`Message`]s from an input thread,
//! a signal thread and one forwarder thread per run; the loop blocks on it, updates the model,
//! carries out the model's [`Command`]s and redraws. Ticks are made only while a run is live, so
//! an idle screen uses no CPU.

pub(crate) mod exercise;
pub(crate) mod input;
pub mod keys;
pub(crate) mod notes;
pub(crate) mod recorder;
pub(crate) mod runs;
pub(crate) mod terminal;
pub mod theme;

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::errno::Errno;
use ratatui::DefaultTerminal;

use crate::progress::ProgressStore;
use crate::tui::app::message::{Command, Message};
use crate::tui::app::{App, Exit};
use crate::tui::view;
use input::panic_if_asked;
use runs::Runs;

pub(crate) use input::{channel, read_input, watch_signals};
pub(crate) use terminal::TerminalSession;

/// How often the "now" line moves while a run is live.
pub const TICK: Duration = Duration::from_millis(100);
/// Longest time spent taking in messages before a redraw: a burst of engine events is drawn
/// once per frame, however many there are.
const FRAME: Duration = Duration::from_millis(16);

/// Waits for the next message: blocking while idle, or until the next tick while a run is live.
fn next_message(app: &App, messages: &Receiver<Message>) -> Option<Message> {
    if let Some(wait) = app.tick_wait(TICK) {
        match messages.recv_timeout(wait) {
            Ok(message) => Some(message),
            Err(RecvTimeoutError::Timeout) => Some(Message::Tick(Instant::now())),
            Err(RecvTimeoutError::Disconnected) => None,
        }
    } else {
        messages.recv().ok()
    }
}

/// Runs the UI until the learner leaves, saving progress in `store` as it changes and taking
/// messages from `messages` (other producers may hold senders of it too); every run is stopped
/// and reaped before this returns. Returns how the UI ended.
pub(crate) fn run_loop(
    terminal: &mut DefaultTerminal,
    mut app: App,
    store: &mut ProgressStore,
    sender: SyncSender<Message>,
    messages: Receiver<Message>,
) -> Result<Exit> {
    read_input(sender.clone());
    let signals = watch_signals(sender.clone())?;
    let mut runs = Runs::default();
    if let Some(command) = app.take_startup() {
        runs.execute(command, &sender);
    }
    let result = (|| -> Result<(), Draw> {
        draw(terminal, &app)?;
        while let Some(first) = next_message(&app, &messages) {
            let mut message = Some(first);
            let frame_start = Instant::now();
            while let Some(current) = message.take() {
                if let Message::RunEnded(run) = current {
                    runs.ended(run);
                }
                panic_if_asked(&current);
                match app.update(current) {
                    Some(Command::SaveRun) => {
                        let note = app
                            .shown_run()
                            .map(|(id, record)| recorder::save(id, record));
                        app.update(Message::Notice(note.unwrap_or_default()));
                    }
                    Some(command) => runs.execute(command, &sender),
                    None => {}
                }
                if let Some(notice) = store.save(app.progress()) {
                    app.update(Message::Notice(notice));
                }
                if app.exit().is_some() || frame_start.elapsed() >= FRAME {
                    break;
                }
                message = messages.try_recv().ok();
            }
            if app.exit().is_some() {
                break;
            }
            draw(terminal, &app)?;
        }
        Ok(())
    })();
    runs.stop();
    signals.close();
    match result {
        Ok(()) => Ok(app.exit().unwrap_or(Exit::Quit)),
        Err(Draw::TerminalGone) => Ok(Exit::Interrupted),
        Err(Draw::Failed(error)) => Err(error).context("Failed to draw"),
    }
}

/// Why a frame could not be drawn.
enum Draw {
    /// The terminal is gone (its window was closed): proclab was interrupted, as by SIGHUP,
    /// which is on its way.
    TerminalGone,
    /// Anything else.
    Failed(std::io::Error),
}

/// Draws `app` on the terminal.
fn draw(terminal: &mut DefaultTerminal, app: &App) -> Result<(), Draw> {
    match terminal.draw(|frame| view::draw(frame, app)) {
        Ok(_) => Ok(()),
        Err(_) if terminal_gone() => Err(Draw::TerminalGone),
        Err(error) => Err(Draw::Failed(error)),
    }
}

/// Whether the terminal on standard output has hung up (its window was closed): the kernel
/// then answers every question about it with EIO.
fn terminal_gone() -> bool {
    matches!(
        nix::sys::termios::tcgetattr(std::io::stdout()),
        Err(Errno::EIO | Errno::ENXIO)
    )
}
