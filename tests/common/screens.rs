//! Helpers for the tests that draw the UI into a buffer: the fixed run
//! (`tests/fixtures/pool-sleep.jsonl`, recorded with `proclab run pool-sleep --speed 10`), the
//! fixture lessons, keys, and a buffer as text.

use std::path::Path;
use std::time::Instant;

use proclab::event::Event;
use proclab::lesson::Catalog;
use proclab::recording::Recording;
use proclab::tui::app::App;
use proclab::tui::app::message::{Command, Message};
use proclab::tui::view;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The events of the fixed run.
pub fn fixture_events() -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pool-sleep.jsonl");
    Recording::read(&path).unwrap().events().iter().collect()
}

/// The lessons in `tests/fixtures/lessons` (`pool-demo`).
pub fn fixture_lessons() -> Catalog {
    Catalog::load(Some(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons"),
    ))
    .unwrap()
}

/// A plain key press.
pub fn key(c: char) -> Message {
    Message::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// Presses `r` on the open lesson and feeds it the first `count` events of `events`, as the
/// engine would; once all of them are in, the run ends.
pub fn play(app: &mut App, events: &[Event], count: usize) {
    let Some(Command::Start { run, .. }) = app.update(key('r')) else {
        panic!("r starts a run")
    };
    for event in &events[..count] {
        app.update(Message::Engine {
            run,
            event: event.clone(),
            at: Instant::now(),
        });
    }
    if count == events.len() {
        app.update(Message::RunEnded(run));
    }
}

/// The whole UI drawn into a buffer of the app's size.
pub fn render(app: &App) -> Buffer {
    let mut buf = Buffer::empty(app.area());
    view::render(app, app.area(), &mut buf);
    buf
}

/// The text of a buffer, one line per row, trailing spaces cut.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
