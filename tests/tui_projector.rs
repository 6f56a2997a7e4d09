//! Projector mode rendered into a buffer: the list and the lesson screen (after the fixed run
//! `tests/fixtures/pool-sleep.jsonl`) compared with their expected screens
//! (`tests/fixtures/snapshots/projector_*.snap`), and its degradation in small windows.

mod common;

use common::screens::{fixture_events, fixture_lessons, key, play, render, text};
use proclab::engine::RunOptions;
use proclab::progress::Progress;
use proclab::tui::app::App;
use proclab::tui::app::message::Message;
use proclab::tui::runtime::theme::Theme;
use ratatui::crossterm::event::KeyModifiers;
use ratatui::layout::Rect;
use ratatui::style::Color;

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "fixtures/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

fn app(start: Option<&str>, theme: Theme, width: u16, height: u16) -> App {
    let catalog = fixture_lessons();
    let mut app = App::new(
        catalog.lessons,
        start,
        RunOptions::default(),
        2,
        theme,
        Rect::new(0, 0, width, height),
    );
    app.update(key('z'));
    assert!(app.projector());
    app
}

/// The pool demo lesson in projector mode after the fixture's run.
fn after_run(theme: Theme, width: u16, height: u16) -> App {
    let mut app = app(Some("pool-demo"), theme, width, height);
    let events = fixture_events();
    play(&mut app, &events, events.len());
    app
}

#[test]
fn projector_list_shows_the_position_and_only_the_essential_keys() {
    let mut app = app(None, Theme::monochrome(), 100, 30);
    let mut progress = Progress::default();
    progress.visit("pool-sleep");
    progress.answered_right("pool-sleep", "last-job");
    app.resume(progress, None);
    press_down(&mut app, 3);
    let screen = text(&render(&app));
    assert!(
        screen.lines().next().unwrap().ends_with("lesson 4/14"),
        "{screen}"
    );
    snapshot!("projector_list", screen);
}

fn press_down(app: &mut App, times: usize) {
    for _ in 0..times {
        app.update(key('j'));
    }
}

#[test]
fn projector_lesson_shows_a_big_title_and_big_pids() {
    let app = after_run(Theme::monochrome(), 120, 40);
    let screen = text(&render(&app));
    let first = screen.lines().next().unwrap();
    assert!(first.ends_with("lesson 14/14 · page 1/2"), "{first}");
    assert!(
        !screen.contains("slot     PID"),
        "the PIDs are big, not a table:\n{screen}"
    );
    snapshot!("projector_lesson", screen);
}

#[test]
fn projector_mode_degrades_to_the_usual_panels_in_a_small_window() {
    let app = after_run(Theme::monochrome(), 80, 24);
    let screen = text(&render(&app));
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("lesson 14/14 · page 1/"),
        "{screen}"
    );
    assert!(
        screen.contains("PID   PPID  state"),
        "no room for big PIDs:\n{screen}"
    );
    assert!(
        screen.lines().last().unwrap().contains("z zoom"),
        "{screen}"
    );
    let tiny = after_run(Theme::monochrome(), 60, 20);
    assert!(text(&render(&tiny)).contains("Window too small"));
}

#[test]
fn projector_colours_are_white_on_black_and_bright() {
    let app = after_run(Theme::colored(), 120, 40);
    let buf = render(&app);
    for cell in buf.content() {
        assert_ne!(cell.bg, Color::Reset, "{cell:?}");
        assert!(
            !matches!(cell.fg, Color::Reset | Color::Blue | Color::DarkGray),
            "{cell:?}"
        );
    }
    let mono = after_run(Theme::monochrome(), 120, 40);
    for cell in render(&mono).content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
}

#[test]
fn clicking_a_big_pid_selects_its_worker_and_small_windows_keep_the_usual_layout() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = after_run(Theme::monochrome(), 120, 40);
    let processes = app
        .lesson_screen()
        .unwrap()
        .view
        .areas(app.screen_areas().body, app.projector())
        .run
        .processes;
    assert!(processes.height > 8, "room for two big PIDs: {processes:?}");
    app.update(Message::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: processes.x + 4,
        row: processes.y + 1 + 4 + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.lesson_screen().unwrap().view.selected_worker, 1);

    let mut small = after_run(Theme::monochrome(), 80, 24);
    let zoomed = small
        .lesson_screen()
        .unwrap()
        .view
        .areas(small.screen_areas().body, small.projector());
    small.update(key('z'));
    assert!(!small.projector());
    let usual = small
        .lesson_screen()
        .unwrap()
        .view
        .areas(small.screen_areas().body, small.projector());
    assert_eq!(zoomed, usual, "no room for big PIDs: the usual layout");
}

#[test]
fn on_a_projector_the_notes_ask_first_and_a_trace_says_how_it_stands() {
    let mut app = app(Some("pool-demo"), Theme::monochrome(), 120, 40);
    app.update(key('i'));
    let question = app.status_line().unwrap();
    assert!(question.contains("give the answers away"), "{question}");
    assert!(question.contains("proclab notes"), "{question}");
    app.update(key('n'));
    assert_eq!(app.lesson_screen().unwrap().reader.notes, None);
    app.update(key('i'));
    app.update(key('y'));
    assert_eq!(app.lesson_screen().unwrap().reader.notes, Some(0));
    // Closing them asks nothing.
    app.update(key('i'));
    assert_eq!(app.lesson_screen().unwrap().reader.notes, None);
    assert_eq!(app.prompt(), None);

    let mut trace = App::tracing(
        fixture_lessons().lessons,
        proclab::trace::TraceSpec::new(vec!["sleep".into(), "1".into()]),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    );
    trace.update(key('z'));
    let screen = text(&render(&trace));
    let header = screen.lines().next().unwrap();
    assert!(header.contains("trace · running"), "{header}");
    assert!(!header.contains("page 1/1"), "{header}");
}
