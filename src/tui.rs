//! The terminal UI: a lesson list, lesson screens with the narrative, the program and a live
//! run panel, predict-then-run checkpoints, and exercises whose files are checked on every
//! save.
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
    let mut store = ProgressStore::in_state_dir();
    let (mut session, mut app) = enter(projector, |theme, area| {
        app::App::new(
            catalog.lessons,
            start.as_deref(),
            options,
            engine::available_cores(),
            theme,
            area,
        )
    })?;
    app.set_python(
        crate::trace::find_command("python3".as_ref()).is_ok(),
        std::env::var_os("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty()),
    );
    let loaded = store.load();
    app.resume(loaded.progress, loaded.notice);
    let (sender, messages) = runtime::channel();
    let _watching = watch
        .map(|watch| watch.start(&mut app, sender.clone()))
        .transpose()?;
    runtime::run_loop(&mut session.terminal, app, &mut store, sender, messages)
}

/// Opens the watch screen of exercise `id` (see [`app::exercise`]), its file in the workspace
/// folder `dir`: the starting program is written there unless the file exists, and the file is
/// checked now and on every save. A passed exercise is saved in the progress. `q` leaves
/// proclab; every check is stopped and its processes reaped before this returns. An error if
/// no exercise has that id.
pub fn exercise(
    catalog: Catalog,
    id: &str,
    dir: std::path::PathBuf,
    projector: bool,
) -> Result<Exit> {
    if !app::exercise::all_exercises(&catalog.lessons).any(|e| e.id == id) {
        anyhow::bail!("no exercise with id {id:?}: `proclab exercises` lists them");
    }
    let mut store = ProgressStore::in_state_dir();
    let (mut session, mut app) = enter(projector, |theme, area| {
        let cores = engine::available_cores();
        app::App::new(
            catalog.lessons,
            None,
            RunOptions::default(),
            cores,
            theme,
            area,
        )
    })?;
    app.set_exercise_dir(dir);
    let loaded = store.load();
    app.resume(loaded.progress, loaded.notice);
    app.startup = app.open_exercise(id, false);
    let (sender, messages) = runtime::channel();
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
    let (mut session, app) = enter(projector, make)?;
    let (sender, messages) = runtime::channel();
    runtime::run_loop(
        &mut session.terminal,
        app,
        &mut ProgressStore::at(None),
        sender,
        messages,
    )
}

/// Takes over the terminal and builds the UI with `make` for its size, in projector mode if
/// asked.
fn enter(
    projector: bool,
    make: impl FnOnce(runtime::theme::Theme, Rect) -> app::App,
) -> Result<(runtime::TerminalSession, app::App)> {
    std::thread::spawn(widgets::highlight::warm_up);
    let theme = runtime::theme::Theme::from_env();
    let session = runtime::TerminalSession::enter()?;
    let mut app = make(theme, terminal_area(&session)?);
    app.set_projector(projector);
    Ok((session, app))
}

/// The whole terminal, as the UI's area.
fn terminal_area(session: &runtime::TerminalSession) -> Result<Rect> {
    let size = session
        .terminal
        .size()
        .context("Failed to read the terminal's size")?;
    Ok(Rect::new(0, 0, size.width, size.height))
}
