//! Saved progress, resets, jumps by number and projector mode, through the TUI's update logic:
//! messages in, model out. No terminal and no files (the store has tests of its own).

use std::path::Path;

use proclab::engine::RunOptions;
use proclab::lesson::Catalog;
use proclab::progress::{Place, Progress};
use proclab::tui::app::{App, Prompt, ResetScope, Screen};
use proclab::tui::runtime::theme::Theme;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use proclab::tui::app::message::Message;

fn app(start: Option<&str>) -> App {
    let catalog = Catalog::load(Some(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons"),
    ))
    .unwrap();
    App::new(
        catalog.lessons,
        start,
        RunOptions::default(),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    )
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.update(Message::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
}

fn code(app: &mut App, code: KeyCode) {
    app.update(Message::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn number_of(app: &App, id: &str) -> usize {
    app.lessons().iter().position(|l| l.id == id).unwrap() + 1
}

fn page(app: &App) -> usize {
    app.lesson_screen().expect("a lesson is open").reader.page
}

#[test]
fn x_asks_before_resetting_a_lesson_and_only_y_resets() {
    let mut app = app(None);
    let mut progress = Progress::default();
    progress.answered_right("pool-sleep", "last-job");
    progress.visit("four-prints");
    app.resume(progress, None);
    let pool_sleep = number_of(&app, "pool-sleep") - 1;
    for _ in 0..pool_sleep {
        code(&mut app, KeyCode::Down);
    }

    press(&mut app, "x");
    assert_eq!(
        app.prompt(),
        Some(&Prompt::Reset(ResetScope::Lesson(pool_sleep)))
    );
    assert_eq!(
        app.status_line().as_deref(),
        Some("Reset progress of A pool of two workers and jobs that sleep? y/n")
    );
    press(&mut app, "n");
    assert_eq!(app.prompt(), None);
    assert!(
        app.progress().of("pool-sleep").visited,
        "n keeps the progress"
    );
    assert_eq!(app.status_line().as_deref(), Some("Nothing was reset."));

    press(&mut app, "x");
    code(&mut app, KeyCode::Enter);
    assert!(app.progress().of("pool-sleep").visited, "Enter is not yes");
    assert_eq!(
        app.context(),
        proclab::tui::runtime::keys::Context::List,
        "nor does it open"
    );

    press(&mut app, "xy");
    assert!(!app.progress().of("pool-sleep").visited, "y resets");
    assert!(app.progress().of("four-prints").visited, "only that lesson");

    press(&mut app, "X");
    let all = format!("Reset progress of all {} lessons? y/n", app.lessons().len());
    assert_eq!(app.status_line(), Some(all));
    press(&mut app, "y");
    assert_eq!(*app.progress(), Progress::default());
}

#[test]
fn digits_then_enter_open_lesson_n_on_the_list_and_go_to_page_p_in_a_lesson() {
    let mut app = app(None);
    press(&mut app, "1");
    press(&mut app, "2");
    assert_eq!(
        app.status_line().unwrap(),
        "go to lesson 12_   (Enter goes, Esc cancels)"
    );
    code(&mut app, KeyCode::Backspace);
    code(&mut app, KeyCode::Esc);
    assert_eq!(app.prompt(), None);
    assert!(
        matches!(app.screen(), Screen::List),
        "Esc only cancels the number"
    );

    press(&mut app, "99");
    code(&mut app, KeyCode::Enter);
    assert!(matches!(app.screen(), Screen::List));
    assert!(app.status_line().unwrap().contains("There is no lesson 99"));

    let n = number_of(&app, "pool-sleep");
    press(&mut app, &n.to_string());
    code(&mut app, KeyCode::Enter);
    let screen = app.lesson_screen().expect("lesson N opens");
    assert_eq!(screen.lesson.id, "pool-sleep");
    assert_eq!(app.list().selected, n - 1);
    let pages = screen.reader.pages;
    assert!(pages >= 3, "pool-sleep has pages to jump between");

    press(&mut app, "3");
    assert_eq!(
        app.status_line().unwrap(),
        "go to page 3_   (Enter goes, Esc cancels)"
    );
    code(&mut app, KeyCode::Enter);
    assert_eq!(page(&app), 2);
    press(&mut app, "0");
    code(&mut app, KeyCode::Enter);
    assert_eq!(page(&app), 2, "there is no page 0");
    assert!(app.status_line().unwrap().contains("There is no page 0"));
    press(&mut app, "1r");
    assert_eq!(
        app.prompt(),
        None,
        "another key cancels the number and does its job"
    );
    assert_eq!(page(&app), 2);
    assert!(
        app.lesson_screen().unwrap().view.run.is_some(),
        "r ran the lesson"
    );

    press(&mut app, "s0");
    assert_eq!(
        app.prompt(),
        None,
        "0 in the knobs panel is its reset, not a jump"
    );
}

#[test]
fn the_place_is_noted_on_every_page_change_and_resumed() {
    let mut app = app(Some("pool-sleep"));
    assert_eq!(
        app.progress().last,
        Some(Place {
            lesson: "pool-sleep".into(),
            page: 0
        })
    );
    // → scrolls a long page to its end first, as a pager does, then turns it.
    while app.lesson_screen().unwrap().reader.page == 0 {
        code(&mut app, KeyCode::Right);
    }
    assert_eq!(app.progress().last.as_ref().unwrap().page, 1);
    assert_eq!(app.progress().of("pool-sleep").last_page, 1);
    let saved = app.progress().clone();

    let mut restarted = self::app(None);
    restarted.resume(saved.clone(), Some("a notice about the file".into()));
    let visible = restarted.list().visible(restarted.lessons());
    assert_eq!(
        restarted.lessons()[visible[restarted.list().selected]].id,
        "pool-sleep"
    );
    assert_eq!(
        restarted.status_line().as_deref(),
        Some("a notice about the file")
    );
    code(&mut restarted, KeyCode::Enter);
    assert_eq!(page(&restarted), 1);
    let pages = restarted.lesson_screen().unwrap().reader.pages;
    assert_eq!(
        restarted.status_line(),
        Some(format!("page 2 of {pages} — resumed"))
    );

    let mut opened = self::app(Some("pool-sleep"));
    opened.resume(saved, None);
    assert_eq!(page(&opened), 1, "`proclab open` resumes too");
}

#[test]
fn z_toggles_projector_mode_on_every_screen() {
    let mut app = app(None);
    press(&mut app, "z");
    assert!(app.projector());
    code(&mut app, KeyCode::Enter);
    assert!(
        app.projector() && app.lesson_screen().is_some(),
        "the lesson opens in it"
    );
    press(&mut app, "z");
    assert!(!app.projector());
    assert!(app.lesson_screen().is_some());
    press(&mut app, "cz");
    assert!(app.projector(), "z works in the answer dialog too");
}
