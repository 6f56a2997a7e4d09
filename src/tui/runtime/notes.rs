//! The loop of `proclab notes` in a terminal: keys, signals and the progress file's changes
//! feed the notes window, which is drawn after each.

use std::sync::mpsc::SyncSender;

use anyhow::{Context, Result};
use ratatui::layout::Rect;

use crate::lesson::Lesson;
use crate::progress::ProgressStore;
use crate::tui::app::Exit;
use crate::tui::app::message::Message;
use crate::tui::app::notes_window::NotesWindow;
use crate::tui::runtime::theme::Theme;
use crate::tui::runtime::{self, TerminalSession};
use crate::watch::{FolderWatch, watch_folder};

/// Sends what the lesson screen shows now, then again each time the progress file changes.
fn follow_progress(messages: SyncSender<Message>) -> Result<FolderWatch, String> {
    let store = ProgressStore::in_state_dir();
    let path = store
        .path()
        .ok_or("no state folder (set HOME or XDG_STATE_HOME)")?
        .to_path_buf();
    let folder = path
        .parent()
        .ok_or("the progress file has no folder")?
        .to_path_buf();
    std::fs::create_dir_all(&folder)
        .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    let shown = move || store.peek_place();
    if let Some(place) = shown() {
        let _ = messages.send(Message::Shown(place));
    }
    watch_folder(&folder, move |changed| {
        let about_progress = changed.is_empty() || changed.contains(&path);
        match shown().filter(|_| about_progress) {
            Some(place) => messages.send(Message::Shown(place)).is_ok(),
            None => true,
        }
    })
    .map_err(|error| format!("{error:#}"))
}

/// Runs the notes window until the instructor quits; the terminal is restored on every path.
pub(crate) fn run(lessons: Vec<Lesson>, id: Option<&str>, follow: bool) -> Result<Exit> {
    let theme = Theme::from_env();
    let mut session = TerminalSession::enter()?;
    let size = session
        .terminal
        .size()
        .context("Failed to read the terminal's size")?;
    let (sender, messages) = runtime::channel();
    runtime::read_input(sender.clone());
    let signals = runtime::watch_signals(sender.clone())?;
    let watching = if follow {
        follow_progress(sender.clone()).map(Some)
    } else {
        Err("--no-follow".to_string())
    };
    let mut window = NotesWindow::new(
        lessons,
        id,
        watching.as_ref().map(|_| ()).map_err(Clone::clone),
        theme,
        Rect::new(0, 0, size.width, size.height),
    );
    let result = (|| -> Result<Exit> {
        loop {
            session
                .terminal
                .draw(|frame| frame.render_widget(&window, frame.area()))
                .context("Failed to draw")?;
            let Ok(message) = messages.recv() else {
                return Ok(Exit::Quit);
            };
            window.update(message);
            if let Some(exit) = window.exit {
                return Ok(exit);
            }
        }
    })();
    drop(watching);
    signals.close();
    result
}
