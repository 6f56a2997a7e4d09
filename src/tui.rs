//! The terminal UI: a lesson list, lesson screens with the narrative, the program and a live
//! run panel, and predict-then-run checkpoints.
//!
//! Elm-style, in three parts: [`app`] is the model, changed only by [`app::App::update`] from
//! [`app::message::Message`]s (state and update, no drawing, no terminal); [`view`] draws it
//! with the pure [`widgets`], one per panel; [`runtime`] owns the terminal, feeds the messages
//! in (keys, signals, run events) and carries out the [`app::message::Command`]s that come
//! back. Keys mean what [`runtime::keys`] says, in one table.

pub mod app;
pub mod runtime;
pub mod view;
pub mod widgets;

use anyhow::{Context, Result};
use ratatui::layout::Rect;

use crate::engine::{self, RunOptions};
use crate::lesson::Catalog;
use crate::progress::ProgressStore;
use crate::recording::Recording;

pub use app::Exit;

/// Opens the terminal UI at the lesson list, or at `start` if given, resuming the progress
/// saved in the state folder; `projector` starts in projector mode; with `watch`, the lesson in
/// that folder is loaded again whenever its files change. Every worker is stopped and reaped,
/// and the terminal restored, before this returns (panics included).
pub fn run(
    catalog: Catalog,
    start: Option<String>,
    options: RunOptions,
    projector: bool,
    watch: Option<app::watch::Watched>,
) -> Result<Exit> {
    std::thread::spawn(widgets::highlight::warm_up);
    let theme = runtime::theme::Theme::from_env();
    let mut session = runtime::TerminalSession::enter()?;
    let area = terminal_area(&session)?;
    let mut store = ProgressStore::in_state_dir();
    let loaded = store.load();
    let mut app = app::App::new(
        catalog.lessons,
        start.as_deref(),
        options,
        engine::available_cores(),
        theme,
        area,
    );
    app.set_projector(projector);
    app.set_python(
        crate::trace::find_command("python3".as_ref()).is_ok(),
        std::env::var_os("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty()),
    );
    app.resume(loaded.progress, loaded.notice);
    let (sender, messages) = runtime::channel();
    let _watching = watch
        .map(|watch| watch.start(&mut app, sender.clone()))
        .transpose()?;
    runtime::run_loop(&mut session.terminal, app, &mut store, sender, messages)
}

/// Plays back `recording` (read from `path`) beside its lesson's pages, or beside a page that
/// describes the recording when its lesson is not loaded. A replay leaves the saved progress
/// alone.
pub fn replay(
    catalog: Catalog,
    recording: Recording,
    path: &std::path::Path,
    projector: bool,
) -> Result<Exit> {
    let text = app::replay::ReplayText::of(&recording, path, &catalog.lessons);
    run_single_screen(projector, |theme, area| {
        app::App::replaying(
            catalog.lessons,
            recording.into_events(),
            text,
            engine::available_cores(),
            theme,
            area,
        )
    })
}

/// Traces `spec` live on a screen of its own: a page that says what is shown (and the program,
/// when the command runs a Python file), beside the run panel; `r` traces it again. Saved
/// progress is left alone.
pub fn trace(catalog: Catalog, spec: crate::trace::TraceSpec, projector: bool) -> Result<Exit> {
    run_single_screen(projector, |theme, area| {
        app::App::tracing(
            catalog.lessons,
            spec,
            engine::available_cores(),
            theme,
            area,
        )
    })
}

/// Opens the terminal and runs the UI that `make` builds for its size, on one screen of its own
/// (`q` leaves proclab) and without touching the saved progress.
fn run_single_screen(
    projector: bool,
    make: impl FnOnce(runtime::theme::Theme, Rect) -> app::App,
) -> Result<Exit> {
    std::thread::spawn(widgets::highlight::warm_up);
    let theme = runtime::theme::Theme::from_env();
    let mut session = runtime::TerminalSession::enter()?;
    let mut app = make(theme, terminal_area(&session)?);
    app.set_projector(projector);
    let (sender, messages) = runtime::channel();
    runtime::run_loop(
        &mut session.terminal,
        app,
        &mut ProgressStore::at(None),
        sender,
        messages,
    )
}

/// The whole terminal, as the UI's area.
fn terminal_area(session: &runtime::TerminalSession) -> Result<Rect> {
    let size = session
        .terminal
        .size()
        .context("Failed to read the terminal's size")?;
    Ok(Rect::new(0, 0, size.width, size.height))
}
