//! The terminal in raw mode on the alternate screen with mouse capture, put back on every exit
//! path (drop, panic).

use std::io::stdout;

use anyhow::{Context, Result};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;

/// The terminal in raw mode on the alternate screen with mouse capture; restored when dropped,
/// and by the panic hook if the UI panics.
pub struct TerminalSession {
    /// The terminal.
    pub terminal: DefaultTerminal,
}

impl TerminalSession {
    /// Sets the terminal up (and the panic hook that puts it back).
    pub fn enter() -> Result<TerminalSession> {
        let terminal = ratatui::try_init().context("Failed to set up the terminal")?;
        let ratatui_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(stdout(), DisableMouseCapture);
            ratatui_hook(info);
        }));
        let session = TerminalSession { terminal };
        execute!(stdout(), EnableMouseCapture).context("Failed to turn on the mouse")?;
        Ok(session)
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The panic hook has restored the terminal already and printed the message below
            // the UI; restoring again would move the cursor back above the message. Only the
            // cursor is left to show.
            let _ = execute!(stdout(), ratatui::crossterm::cursor::Show);
            return;
        }
        let _ = execute!(stdout(), DisableMouseCapture);
        if ratatui::try_restore().is_err() {
            // The terminal is gone (hung up): there is nothing to restore, and a message printed
            // on it would fail and panic, and a panic here aborts proclab before it reaps its
            // children. What is printed from now on goes nowhere.
            if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
                let _ = nix::unistd::dup2_stdout(&null);
                let _ = nix::unistd::dup2_stderr(&null);
            }
        }
    }
}
