//! The terminal in raw mode on the alternate screen with mouse capture, put back on every exit
//! path (drop, panic), even when the terminal is gone (a closed window): then putting it back
//! fails quietly instead of printing to it, which would panic.

use std::io::stdout;
use std::mem::ManuallyDrop;

use anyhow::{Context, Result};
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::prelude::CrosstermBackend;
use ratatui::{DefaultTerminal, Terminal};

/// The terminal in raw mode on the alternate screen with mouse capture; restored when dropped,
/// and by the panic hook if the UI panics.
pub(crate) struct TerminalSession {
    /// The terminal. Never dropped: its drop shows the cursor and, if the terminal is gone,
    /// prints that it could not, which panics; the session shows the cursor itself.
    pub(crate) terminal: ManuallyDrop<DefaultTerminal>,
}

impl TerminalSession {
    /// Sets the terminal up (and the panic hook that puts it back).
    pub(crate) fn enter() -> Result<TerminalSession> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = leave();
            previous(info);
        }));
        enable_raw_mode().context("Failed to set up the terminal")?;
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)
            .context("Failed to set up the terminal")?;
        let terminal = Terminal::new(CrosstermBackend::new(stdout()))
            .context("Failed to set up the terminal")?;
        Ok(TerminalSession {
            terminal: ManuallyDrop::new(terminal),
        })
    }
}

/// Puts the terminal back as it was (mouse, raw mode, main screen), saying nothing if it cannot;
/// returns whether it could.
fn leave() -> bool {
    let mouse = execute!(stdout(), DisableMouseCapture);
    let raw = disable_raw_mode();
    let screen = execute!(stdout(), LeaveAlternateScreen);
    mouse.is_ok() && raw.is_ok() && screen.is_ok()
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        if !std::thread::panicking() && !leave() {
            // The terminal is gone (hung up): a message printed on it would fail and panic, and
            // a panic here aborts proclab before it reaps its children. What is printed from
            // now on goes nowhere.
            if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
                let _ = nix::unistd::dup2_stdout(&null);
                let _ = nix::unistd::dup2_stderr(&null);
            }
        }
        // After a panic the hook has restored the terminal already and printed the message
        // below the UI; restoring again would move the cursor back above the message. Only the
        // cursor is left to show.
        let _ = execute!(stdout(), Show);
    }
}
