//! The TUI's update logic: messages in, model state and commands out. No terminal, no
//! processes: runs are fed from the fixed record `tests/fixtures/pool-sleep.jsonl`.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::screens::{fixture_events, fixture_lessons};
use proclab::engine::{Control, RunOptions};
use proclab::event::Event;
use proclab::tui::app::lesson::{Dialog, LessonScreen};
use proclab::tui::app::live_run::RunState;
use proclab::tui::app::live_run::SERIES_RUNS;
use proclab::tui::app::message::{Command, Message, RunId};
use proclab::tui::app::panes::{Focus, Reading};
use proclab::tui::app::{App, Exit, Screen};
use proclab::tui::runtime::TICK;
use proclab::tui::runtime::keys::Context;
use proclab::tui::runtime::theme::Theme;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

fn app(start: Option<&str>) -> App {
    App::new(
        fixture_lessons().lessons,
        start,
        RunOptions {
            speed: 10.0,
            ..RunOptions::default()
        },
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    )
}

fn key(c: char) -> Message {
    Message::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn lesson(app: &App) -> &LessonScreen {
    app.lesson_screen().expect("a lesson is open")
}

fn start_run(app: &mut App) -> RunId {
    match app.update(key('r')) {
        Some(Command::Start { run, plan }) => {
            assert_eq!(plan.speed, app.options().speed);
            run
        }
        other => panic!("r should start a run, got {other:?}"),
    }
}

fn feed(app: &mut App, run: RunId, events: impl IntoIterator<Item = Event>) {
    for event in events {
        assert_eq!(
            app.update(Message::Engine {
                run,
                event,
                at: Instant::now()
            }),
            None
        );
    }
}

fn position(app: &App, id: &str) -> usize {
    app.list()
        .visible(app.lessons())
        .iter()
        .position(|&i| app.lessons()[i].id == id)
        .unwrap()
}

#[test]
fn the_list_moves_filters_and_opens() {
    let mut app = app(None);
    assert_eq!(app.context(), Context::List);
    app.update(code(KeyCode::Up));
    assert_eq!(app.list().selected, 0, "the selection stops at the top");
    app.update(key('j'));
    app.update(code(KeyCode::Down));
    assert_eq!(app.list().selected, 2);
    app.update(key('k'));
    assert_eq!(app.list().selected, 1);
    for _ in 0..50 {
        app.update(code(KeyCode::Down));
    }
    assert_eq!(
        app.list().selected,
        app.lessons().len() - 1,
        "and at the bottom"
    );

    app.update(key('/'));
    assert_eq!(app.context(), Context::Filter);
    for c in "PRINTS".chars() {
        app.update(key(c));
    }
    let visible = app.list().visible(app.lessons());
    assert_eq!(visible.len(), 1);
    assert_eq!(app.lessons()[visible[0]].id, "four-prints");
    app.update(code(KeyCode::Backspace));
    assert_eq!(app.list().filter, "PRINT");
    app.update(code(KeyCode::Esc));
    assert!(app.list().filter.is_empty());
    assert_eq!(app.context(), Context::List);

    for _ in 0..position(&app, "pool-demo") {
        app.update(code(KeyCode::Down));
    }
    assert!(!app.progress().of("pool-demo").visited);
    app.update(code(KeyCode::Enter));
    assert_eq!(lesson(&app).lesson.id, "pool-demo");
    assert!(app.progress().of("pool-demo").visited);
}

#[test]
fn a_click_opens_a_lesson_and_q_leaves() {
    let mut app = app(None);
    // Click where the second lesson is drawn (the selected first one may take more rows).
    let second = &app.lessons()[1].id;
    let row = screen_text(&app)
        .lines()
        .position(|line| line.contains(second.as_str()))
        .unwrap() as u16;
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.update(Message::Mouse(click));
    assert_eq!(lesson(&app).lesson.id, app.lessons()[1].id);
    assert_eq!(
        app.update(key('q')),
        None,
        "q on a lesson without a run just goes back"
    );
    assert!(matches!(app.screen(), Screen::List));
    assert_eq!(app.update(key('q')), Some(Command::Quit));
    assert_eq!(app.exit(), Some(Exit::Quit));
}

#[test]
fn pages_turn_with_arrows_and_page_keys_and_stop_at_the_ends() {
    let mut app = app(Some("pool-demo"));
    assert_eq!(lesson(&app).reader.pages, 2);
    app.update(code(KeyCode::Left));
    assert_eq!(lesson(&app).reader.page, 0);
    app.update(code(KeyCode::Right));
    assert_eq!(lesson(&app).reader.page, 1);
    app.update(code(KeyCode::PageDown));
    assert_eq!(lesson(&app).reader.page, 1);
    app.update(code(KeyCode::PageUp));
    assert_eq!(lesson(&app).reader.page, 0);
    app.update(key('v'));
    assert_eq!(lesson(&app).reader.showing, Reading::Program);
    app.update(code(KeyCode::Tab));
    assert_eq!(lesson(&app).view.focus, Focus::Processes);
}

#[test]
fn checkpoints_are_answered_before_the_run_and_judged_by_it() {
    let mut app = app(Some("pool-demo"));
    app.update(key('c'));
    assert_eq!(app.context(), Context::Answer);
    app.update(code(KeyCode::Tab));
    assert_eq!(
        lesson(&app).checkpoints[0].hints_shown,
        1,
        "Tab reveals a hint"
    );
    app.update(key('d'));
    assert_eq!(
        lesson(&app).checkpoints[0]
            .prediction
            .as_ref()
            .unwrap()
            .text,
        "D"
    );
    // The page's next checkpoint follows: an order, typed.
    assert!(matches!(&lesson(&app).dialog, Some(Dialog::Answer(draft)) if draft.checkpoint == 1));
    for c in "b c a d".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    assert_eq!(
        lesson(&app).checkpoints[1]
            .prediction
            .as_ref()
            .unwrap()
            .text,
        "B C A D"
    );
    assert_eq!(lesson(&app).dialog, None);

    // The number question is on page 2; a wrong answer there.
    app.update(code(KeyCode::Right));
    app.update(key('c'));
    for c in "11".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    assert_eq!(
        lesson(&app).checkpoints[2]
            .prediction
            .as_ref()
            .unwrap()
            .text,
        "11"
    );

    let run = start_run(&mut app);
    feed(&mut app, run, fixture_events());
    let states = &lesson(&app).checkpoints;
    let verdicts: Vec<bool> = states
        .iter()
        .map(|s| s.verdict.as_ref().unwrap().right)
        .collect();
    assert_eq!(verdicts, [true, true, false]);
    assert_eq!(
        states[1].verdict.as_ref().unwrap().observed.as_deref(),
        Some("B C A D")
    );
    assert_eq!(app.progress().of("pool-demo").right.len(), 2);
}

#[test]
fn an_answer_given_during_a_run_waits_for_the_next_run() {
    let mut app = app(Some("pool-demo"));
    let run = start_run(&mut app);
    app.update(key('c'));
    app.update(key('a'));
    app.update(code(KeyCode::Esc));
    feed(&mut app, run, fixture_events());
    assert_eq!(lesson(&app).checkpoints[0].verdict, None);
    let next = start_run(&mut app);
    feed(&mut app, next, fixture_events());
    assert!(!lesson(&app).checkpoints[0].verdict.as_ref().unwrap().right);
}

#[test]
fn a_run_pauses_resumes_kills_and_ignores_older_runs() {
    let mut app = app(Some("pool-demo"));
    assert!(app.tick_wait(TICK).is_none());
    let run = start_run(&mut app);
    assert!(app.tick_wait(TICK).is_some(), "a live run ticks");
    let events = fixture_events();
    let first_task = events
        .iter()
        .position(|e| matches!(e, Event::TaskStarted { .. }))
        .unwrap();
    feed(&mut app, run, events[..first_task + 1].to_vec());
    assert_eq!(app.update(key(' ')), Some(Command::Control(Control::Pause)));
    assert_eq!(
        lesson(&app).view.run.as_ref().unwrap().state,
        RunState::Paused
    );
    assert_eq!(
        app.update(key(' ')),
        Some(Command::Control(Control::Resume))
    );
    // K asks first, naming the worker and its PID; only y kills it.
    assert_eq!(app.update(key('K')), None);
    let question = app.status_line().unwrap();
    assert!(question.contains("Kill worker 0 (PID 14493)"), "{question}");
    assert_eq!(app.update(key('n')), None);
    assert!(app.status_line().unwrap().contains("left running"));
    assert_eq!(app.update(key('K')), None);
    assert_eq!(
        app.update(key('y')),
        Some(Command::Control(Control::Kill(0)))
    );
    let before = Instant::now();
    app.update(Message::Tick(before + Duration::from_secs(1)));
    assert!(
        lesson(&app).view.run.as_ref().unwrap().now_ms >= 1000.0,
        "ticks move the now line"
    );

    // r starts a new run; events still on their way from the old one change nothing.
    let second = start_run(&mut app);
    assert!(second > run);
    feed(&mut app, run, events[first_task + 1..].to_vec());
    assert!(
        lesson(&app)
            .view
            .run
            .as_ref()
            .unwrap()
            .record
            .events
            .is_empty()
    );
    assert_eq!(app.update(Message::RunEnded(run)), None);
    assert!(lesson(&app).view.run.as_ref().unwrap().is_live());

    feed(&mut app, second, events);
    assert!(
        app.tick_wait(TICK).is_none(),
        "a finished run stops ticking"
    );
    app.update(Message::RunEnded(second));
    assert_eq!(
        lesson(&app).view.run.as_ref().unwrap().state,
        RunState::Ended
    );
    assert_eq!(app.update(key(' ')), None, "nothing to pause");
    assert_eq!(app.update(key('K')), None, "nothing to kill");
    assert_eq!(app.prompt(), None, "nothing to ask about");
}

#[test]
fn leaving_a_lesson_or_proclab_mid_run_stops_the_run() {
    let mut app = app(Some("pool-demo"));
    start_run(&mut app);
    assert_eq!(app.update(key('q')), Some(Command::Stop));
    app.update(code(KeyCode::Enter));
    start_run(&mut app);
    assert_eq!(
        app.update(Message::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        ))),
        Some(Command::Quit)
    );
    assert_eq!(app.exit(), Some(Exit::Interrupted));
}

#[test]
fn speed_workers_and_knobs_change_the_next_run() {
    let mut app = app(Some("pool-demo"));
    app.update(key('+'));
    assert_eq!(app.options().speed, 20.0);
    app.update(key('-'));
    app.update(key('-'));
    assert_eq!(app.options().speed, 5.0);
    app.update(key('w'));
    assert_eq!(app.options().settings, [("workers".to_string(), 3.0)]);
    app.update(key('W'));
    app.update(key('W'));
    app.update(key('W'));
    assert_eq!(
        app.options().settings,
        [("workers".to_string(), 1.0)],
        "the knob's minimum holds"
    );

    app.update(key('s'));
    assert_eq!(app.context(), Context::Knobs);
    app.update(code(KeyCode::Down));
    app.update(code(KeyCode::Down));
    app.update(key('+'));
    assert!(
        app.options()
            .settings
            .contains(&("task.A.secs".to_string(), 5.5))
    );
    app.update(code(KeyCode::Backspace));
    assert!(
        !app.options()
            .settings
            .iter()
            .any(|(name, _)| name == "task.A.secs")
    );
    match app.update(key('r')) {
        Some(Command::Start { plan, .. }) => assert_eq!(plan.stages[0].workers, 1),
        other => panic!("r in the knobs panel runs, got {other:?}"),
    }
    assert_eq!(app.context(), Context::Lesson);
}

#[test]
fn n_runs_the_lesson_many_times_and_collects_the_outcomes() {
    let mut app = app(Some("pool-demo"));
    let Some(Command::Start { mut run, .. }) = app.update(key('n')) else {
        panic!("n starts a run")
    };
    for i in 1..=SERIES_RUNS {
        feed(&mut app, run, fixture_events());
        match app.update(Message::RunEnded(run)) {
            Some(Command::Start { run: next, .. }) => {
                assert!(i < SERIES_RUNS);
                run = next;
            }
            None => assert_eq!(i, SERIES_RUNS),
            other => panic!("unexpected {other:?}"),
        }
    }
    let series = lesson(&app).series.as_ref().unwrap();
    assert_eq!(series.distribution(), [("B C A D", SERIES_RUNS as usize)]);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut app = app(Some("pool-demo"));
    app.update(key('?'));
    assert_eq!(app.help(), Some(0));
    app.update(code(KeyCode::Down));
    assert_eq!(app.help(), Some(1));
    app.update(key('x'));
    assert_eq!(app.help(), None);
    assert!(
        app.lesson_screen().is_some(),
        "closing the help does nothing else"
    );
}

#[test]
fn resizing_keeps_scroll_positions_inside_the_text() {
    let mut app = app(Some("pool-sleep"));
    app.update(Message::Resize(80, 24));
    for _ in 0..100 {
        app.update(code(KeyCode::Down));
    }
    let scrolled = lesson(&app).reader.scroll;
    assert!(scrolled > 0);
    app.update(Message::Resize(200, 60));
    assert!(lesson(&app).reader.scroll < scrolled);
    app.update(Message::Resize(40, 10));
    app.update(Message::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 1,
        row: 1,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.area(), Rect::new(0, 0, 40, 10));
}

fn screen_text(app: &App) -> String {
    let mut buf = ratatui::buffer::Buffer::empty(app.area());
    proclab::tui::view::render(app, app.area(), &mut buf);
    buf.content()
        .chunks(app.area().width as usize)
        .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn i_shows_and_hides_the_instructor_notes_of_the_page() {
    let mut app = app(Some("pool-sleep"));
    assert!(!screen_text(&app).contains("Instructor notes"));
    app.update(key('i'));
    assert_eq!(lesson(&app).reader.notes, Some(0));
    let shown = screen_text(&app);
    assert!(shown.contains("Instructor notes · pool-sleep"), "{shown}");
    assert!(shown.contains("This page (1 of 5)"), "{shown}");
    assert!(shown.contains("The whole lesson"), "{shown}");
    // Pages still turn under the notes, and the notes follow.
    app.update(code(KeyCode::Right));
    assert_eq!(lesson(&app).reader.page, 1);
    assert!(screen_text(&app).contains("This page (2 of 5): What happened"));
    // Esc closes the notes first, and leaves the lesson only after.
    app.update(code(KeyCode::Esc));
    assert_eq!(lesson(&app).reader.notes, None);
    assert!(!screen_text(&app).contains("Instructor notes"));
    app.update(key('i'));
    app.update(key('i'));
    assert_eq!(lesson(&app).reader.notes, None, "i toggles");
    app.update(code(KeyCode::Esc));
    assert!(app.lesson_screen().is_none());
}

#[test]
fn arrows_and_the_wheel_scroll_the_notes_not_the_text_under_them() {
    let mut app = app(Some("pool-sleep"));
    app.update(Message::Resize(80, 24));
    // After a run the reading pane is narrow, and the notes long enough to scroll.
    start_run(&mut app);
    app.update(key('i'));
    app.update(code(KeyCode::Down));
    app.update(Message::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 5,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(
        lesson(&app).reader.notes,
        Some(4),
        "one row, then a wheel step of three"
    );
    assert_eq!(
        lesson(&app).reader.scroll,
        0,
        "the narrative stays where it was"
    );
    app.update(code(KeyCode::Right));
    assert_eq!(
        lesson(&app).reader.notes,
        Some(0),
        "a new page's notes start at the top"
    );
}

/// A copy of the fixture lesson in a temporary folder, for `--watch`.
fn watched_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("pool-demo");
    std::fs::create_dir(&folder).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons/pool-demo");
    for file in ["lesson.toml", "narrative.md", "program.py"] {
        std::fs::copy(fixture.join(file), folder.join(file)).unwrap();
    }
    (dir, folder)
}

fn set_title(folder: &Path, line: &str) {
    let path = folder.join("lesson.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let old = text.lines().find(|l| l.starts_with("title")).unwrap();
    std::fs::write(&path, text.replace(old, line)).unwrap();
}

fn reload(folder: &Path) -> Message {
    Message::LessonReloaded(proclab::lesson::load::load_folder(folder).map(Box::new))
}

fn watching_app(dir: &Path) -> App {
    use proclab::tui::app::watch::Watched;
    let (catalog, watched) = Watched::load(dir, "pool-demo").unwrap();
    let shown = watched.problems.is_empty();
    let mut app = App::new(
        catalog.lessons,
        Some("pool-demo"),
        RunOptions::default(),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    );
    app.set_watch(proclab::tui::app::watch::WatchState {
        folder: watched.folder,
        problems: watched.problems.iter().map(ToString::to_string).collect(),
        shown,
    });
    app
}

#[test]
fn a_reload_replaces_the_lesson_or_shows_its_problems_until_fixed() {
    let (dir, folder) = watched_copy();
    let mut app = watching_app(dir.path());
    app.update(code(KeyCode::Right));
    let run = start_run(&mut app);

    set_title(&folder, "title = \"Edited while watching\"");
    assert_eq!(
        app.update(reload(&folder)),
        None,
        "a reload starts and stops nothing"
    );
    let screen = lesson(&app);
    assert_eq!(screen.lesson.title, "Edited while watching");
    assert_eq!(screen.reader.page, 1, "the page is kept");
    assert_eq!(
        screen.view.run.as_ref().map(|r| r.id),
        Some(run),
        "the run goes on"
    );
    assert!(app.status_line().unwrap().starts_with("Lesson reloaded"));
    assert!(
        app.lessons()
            .iter()
            .any(|l| l.title == "Edited while watching")
    );
    assert!(screen_text(&app).contains("Edited while watching"));

    set_title(&folder, "title = \"Broken");
    app.update(reload(&folder));
    let (_, expected) = proclab::lesson::check_paths(std::slice::from_ref(&folder));
    let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
    assert_eq!(expected.len(), 1);
    assert!(expected[0].contains("lesson.toml:3:"), "{expected:?}");
    assert_eq!(app.watch().unwrap().problems, expected);
    assert_eq!(
        lesson(&app).lesson.title,
        "Edited while watching",
        "the last good one stays"
    );
    let shown = screen_text(&app);
    assert!(shown.contains("1 problem: fix and save"), "{shown}");
    assert!(shown.contains("showing the last good version"), "{shown}");
    let place = expected[0].split(": ").next().unwrap();
    let tail = &place[place.len() - 20..];
    assert!(shown.contains(tail), "{tail} in {shown}");

    set_title(&folder, "title = \"Fixed\"");
    app.update(reload(&folder));
    assert!(app.watch().unwrap().problems.is_empty());
    assert_eq!(lesson(&app).lesson.title, "Fixed");
    assert!(!screen_text(&app).contains("fix and save"));
}

#[test]
fn a_lesson_invalid_at_start_opens_once_it_is_fixed() {
    let (dir, folder) = watched_copy();
    set_title(&folder, "title = 3");
    let mut app = watching_app(dir.path());
    assert!(app.lesson_screen().is_none(), "nothing good to show yet");
    assert!(!app.lessons().iter().any(|l| l.id == "pool-demo"));
    let shown = screen_text(&app);
    assert!(
        shown.contains("the lesson opens once it is valid"),
        "{shown}"
    );
    assert!(shown.contains("lesson.toml:3:9:"), "{shown}");

    set_title(&folder, "title = \"Now valid\"");
    app.update(reload(&folder));
    assert_eq!(lesson(&app).lesson.title, "Now valid");
    assert!(!screen_text(&app).contains("fix and save"));
}

#[test]
fn the_header_gives_the_next_runs_workers_from_the_first_frame() {
    let mut app = app(Some("pool-demo"));
    let header = screen_text(&app).lines().next().unwrap().to_string();
    assert!(
        header.contains("next run: speed ×10 · 2 workers"),
        "{header}"
    );
    app.update(key('w'));
    let header = screen_text(&app).lines().next().unwrap().to_string();
    assert!(header.contains("· 3 workers"), "{header}");
}

#[test]
fn one_key_scheme_j_and_k_move_h_hints_and_questions_take_y_or_anything_else() {
    let mut app = app(Some("pool-sleep"));
    app.update(Message::Resize(80, 24));
    // j and k scroll the text as ↓ and ↑ do.
    app.update(key('j'));
    assert_eq!(lesson(&app).reader.scroll, 1);
    app.update(key('k'));
    assert_eq!(lesson(&app).reader.scroll, 0);
    // A choice question: h reveals a hint (it is not a choice's letter), a letter answers.
    app.update(key('c'));
    assert_eq!(app.context(), Context::Answer);
    app.update(key('h'));
    assert_eq!(lesson(&app).checkpoints[0].hints_shown, 1);
    app.update(key('d'));
    // An order question: h is typed (a label may be H), Tab reveals the hint.
    assert_eq!(app.context(), Context::Typing);
    app.update(key('h'));
    app.update(code(KeyCode::Backspace));
    app.update(key('b'));
    let Some(Dialog::Answer(draft)) = &lesson(&app).dialog else {
        panic!("the order question is asked next")
    };
    assert_eq!(draft.checkpoint, 1);
    app.update(code(KeyCode::Esc));
    // A number: digits, Backspace and Esc belong to it; any other key cancels and acts.
    app.update(key('2'));
    assert_eq!(app.context(), Context::Number);
    app.update(key('5'));
    app.update(code(KeyCode::Backspace));
    assert!(app.status_line().unwrap().contains("go to page 2_"));
    app.update(key('v'));
    assert_eq!(app.prompt(), None);
    assert_eq!(
        lesson(&app).reader.showing,
        Reading::Program,
        "v still did its job"
    );
}

#[test]
fn space_says_resume_in_the_key_bar_while_the_run_is_paused() {
    let mut app = app(Some("pool-demo"));
    let run = start_run(&mut app);
    feed(&mut app, run, fixture_events().into_iter().take(4));
    let bar = |app: &App| {
        common::screens::text(&common::screens::render(app))
            .lines()
            .last()
            .unwrap()
            .to_string()
    };
    assert!(bar(&app).contains("Space pause"), "{}", bar(&app));
    app.update(key(' '));
    assert!(bar(&app).contains("Space resume"), "{}", bar(&app));
}

/// The pool demo at 80×24 with its first page's two checkpoints answered D and B C A D.
fn answered_at_80x24() -> App {
    let mut app = app(Some("pool-demo"));
    app.update(Message::Resize(80, 24));
    app.update(key('c'));
    app.update(key('d'));
    for c in "b c a d".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    app
}

#[test]
fn the_verdict_is_where_the_eye_is_with_its_unit() {
    let mut app = answered_at_80x24();
    // A run fills the right half: the first page no longer fits, and starts at its top.
    let run = start_run(&mut app);
    assert_eq!(lesson(&app).reader.scroll, 0);
    feed(&mut app, run, fixture_events());
    let banner = app.status_line().unwrap();
    assert!(
        banner.contains("✓ Checkpoint 1: you said D — the run says D"),
        "{banner}"
    );
    assert!(
        banner.contains("✓ Checkpoint 2: you said B C A D — the run says B C A D"),
        "{banner}"
    );
    // The text scrolled to the first verdict, which is on screen.
    assert!(lesson(&app).reader.scroll > 0);
    assert!(
        screen_text(&app).contains("✓ Right"),
        "{}",
        screen_text(&app)
    );

    // A number is judged with its unit, and a wrong answer says so.
    app.update(key('2'));
    app.update(code(KeyCode::Enter));
    app.update(key('c'));
    app.update(key('1'));
    app.update(key('1'));
    app.update(code(KeyCode::Enter));
    let run = start_run(&mut app);
    feed(&mut app, run, fixture_events());
    let banner = app.status_line().unwrap();
    assert!(
        banner.contains("✗ Checkpoint 3: you said 11 s — the run says 6.0 s"),
        "{banner}"
    );
    assert!(screen_text(&app).contains("This run measured: 6.0 s"));
}

#[test]
fn a_paused_or_killed_into_run_is_marked_and_answers_no_checkpoint() {
    let events = fixture_events();
    let half = events.len() / 2;
    for interfere in ["pause", "kill"] {
        let mut app = answered_at_80x24();
        let run = start_run(&mut app);
        feed(&mut app, run, events[..half].to_vec());
        if interfere == "pause" {
            app.update(key(' '));
            let at = Instant::now();
            app.update(Message::Tick(at + Duration::from_secs(2)));
            let header = screen_text(&app);
            let header = header.lines().next().unwrap();
            assert!(header.contains("❚❚ paused 2.0 s"), "{header}");
            app.update(key(' '));
        } else {
            app.update(key('K'));
            assert!(matches!(
                app.update(key('y')),
                Some(Command::Control(Control::Kill(0)))
            ));
        }
        feed(&mut app, run, events[half..].to_vec());
        assert!(
            lesson(&app).checkpoints.iter().all(|c| c.verdict.is_none()),
            "{interfere}"
        );
        let notice = app.status_line().unwrap();
        assert!(notice.contains("answers no checkpoint"), "{notice}");
        let why = if interfere == "pause" {
            "was paused for 2.0 s"
        } else {
            "had w0 killed"
        };
        assert!(notice.contains(why), "{notice}");
        assert!(screen_text(&app).contains(why), "the run panel says it too");
        // The next run, left alone, answers them.
        let next = start_run(&mut app);
        feed(&mut app, next, events.clone());
        assert!(lesson(&app).checkpoints[0].verdict.is_some());
    }
}

#[test]
fn speed_and_knobs_belong_to_the_lesson_they_were_set_in() {
    let mut app = app(Some("pool-demo"));
    let start = app.options().speed;
    app.update(key('+'));
    app.update(key('w'));
    let changed = app.options().clone();
    assert_ne!(changed.speed, start);
    // Another lesson starts from proclab's own options…
    app.update(key('q'));
    app.update(key('1'));
    app.update(code(KeyCode::Enter));
    assert_ne!(lesson(&app).lesson.id, "pool-demo");
    assert_eq!(app.options().speed, start);
    assert!(app.options().settings.is_empty());
    // …and the first gets its own back.
    app.update(key('q'));
    let number = position(&app, "pool-demo") + 1;
    for c in number.to_string().chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    assert_eq!(lesson(&app).lesson.id, "pool-demo");
    assert_eq!(app.options(), &changed);
}
