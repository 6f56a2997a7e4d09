//! The exercise screens of the terminal UI: the exercises tab of the list and an exercise's
//! watch screen, drawn into a buffer at 80×24 and 120×40 and compared with their expected
//! screens (`tests/fixtures/snapshots/`), and driven message by message as the runtime would
//! (a save, a check's runs and events, its verdict). The fixture exercise is
//! `tests/fixtures/exercise-lessons/children-demo/exercises/two-children`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::screens::{fixture_events, key, render, text};
use proclab::engine::RunOptions;
use proclab::exercise::verdict::RunSummary;
use proclab::exercise::{CheckKind, CheckVerdict, Verdict};
use proclab::lesson::{Catalog, Origin};
use proclab::tui::app::exercise::{Checking, JudgeReport};
use proclab::tui::app::message::{Command, Message, RunId};
use proclab::tui::app::{App, Exit};
use proclab::tui::runtime::keys::Context;
use proclab::tui::runtime::theme::Theme;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "fixtures/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The lessons folder with the fixture exercise.
fn fixture_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exercise-lessons")
}

/// The UI at the list of the fixture lessons only (the built-in exercises change as they are
/// written), its files in `exercises/`.
fn app((width, height): (u16, u16)) -> App {
    let mut lessons = Catalog::load(Some(&fixture_folder())).unwrap().lessons;
    lessons.retain(|lesson| matches!(lesson.origin, Origin::Folder(_)));
    let mut app = App::new(
        lessons,
        None,
        RunOptions::default(),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, width, height),
    );
    app.set_exercise_dir(PathBuf::from("exercises"));
    app
}

fn press(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Opens the fixture exercise from the exercises tab; returns the UI and what it asked for.
fn opened(size: (u16, u16)) -> (App, Command) {
    let mut app = app(size);
    app.update(press(KeyCode::Tab));
    assert_eq!(app.context(), Context::Exercises);
    let position = exercise_position(&app, "two-children");
    for _ in 0..position {
        app.update(key('j'));
    }
    let command = app.update(press(KeyCode::Enter)).expect("Enter opens it");
    (app, command)
}

/// Where exercise `id` is among every exercise the UI lists.
fn exercise_position(app: &App, id: &str) -> usize {
    app.lessons()
        .iter()
        .flat_map(|l| &l.exercises)
        .position(|e| e.id == id)
        .unwrap()
}

/// The session of the check a save asked for.
fn saved(app: &mut App, program: &str) -> RunId {
    match app.update(Message::ExerciseSaved(Ok(program.to_string()))) {
        Some(Command::Judge { session, target }) => {
            assert_eq!(target.file, PathBuf::from("exercises/two-children.py"));
            session
        }
        other => panic!("a save asks for a check, not {other:?}"),
    }
}

fn report(app: &mut App, session: RunId, report: JudgeReport) {
    app.update(Message::Judging { session, report });
}

/// One run of check `session` as the runtime reports it: its start, the fixed run's events,
/// its end.
fn one_run(app: &mut App, session: RunId, index: usize, total: usize) {
    let label = String::new();
    report(
        app,
        session,
        JudgeReport::RunStarted {
            index,
            total,
            label,
        },
    );
    for event in fixture_events() {
        let at = Instant::now();
        report(app, session, JudgeReport::Event { event, at });
    }
    report(app, session, JudgeReport::RunEnded);
}

fn check(kind: CheckKind, asks: &str, passed: bool, evidence: &str) -> CheckVerdict {
    CheckVerdict {
        kind,
        asks: asks.into(),
        every_run: true,
        passed,
        evidence: evidence.into(),
    }
}

/// The verdict on the starting program: two checks fail, each with its evidence.
fn failing() -> Verdict {
    verdict(vec![
        check(
            CheckKind::ExitCode,
            "the program exits with code 0",
            true,
            "every run exited with code 0",
        ),
        check(
            CheckKind::ProcessesStarted,
            "the program starts exactly 2 processes",
            false,
            "run 1 started 1 process (PID 14493); run 2 started 1 process (PID 14501): the exercise asks for exactly 2",
        ),
        check(
            CheckKind::OutputMatches,
            "exactly 2 lines printed by the processes it starts match /^child [12]$/",
            false,
            "run 1: 1 matching line (\"child 1\" from PID 14493)",
        ),
        check(
            CheckKind::WorkersClean,
            "every process it starts ends on its own with exit code 0",
            true,
            "every child exited with 0 in both runs",
        ),
    ])
}

/// The verdict on the solution: every check passes.
fn passing() -> Verdict {
    let mut all = failing();
    for check in &mut all.checks {
        check.passed = true;
        check.evidence = "as asked, in both runs".into();
    }
    all.passed = true;
    all
}

/// A run of the program whose main process was `pid`.
fn run(pid: u32) -> RunSummary {
    RunSummary {
        start_method: None,
        pid,
        ended: "exited with code 0".into(),
        exit_code: Some(0),
        timed_out: false,
        wall_ms: 610.0,
        processes: 1,
    }
}

fn verdict(checks: Vec<CheckVerdict>) -> Verdict {
    Verdict {
        exercise: "two-children".into(),
        python: "3.11.9".into(),
        passed: checks.iter().all(|c| c.passed),
        interrupted: false,
        checks,
        runs: [14489, 14497].into_iter().map(run).collect(),
        judged_ms: 812.0,
    }
}

/// The watch screen after a whole check of two runs ended with `verdict`.
fn judged(size: (u16, u16), verdict: Verdict) -> App {
    let (mut app, _) = opened(size);
    let session = saved(&mut app, "print('child 1')\n");
    one_run(&mut app, session, 0, 2);
    one_run(&mut app, session, 1, 2);
    report(&mut app, session, JudgeReport::Verdict(Box::new(verdict)));
    app
}

/// Whether the reading pane of `screen` shows `value` whole: on one row, or wrapped over rows
/// that follow.
fn shows_whole(screen: &str, value: &str) -> bool {
    let flat: String = screen
        .lines()
        .map(|line| {
            // Left of the pane's border (a line, or a scrollbar when the text is long).
            let pane = line.split(['│', '█', '║', '▲', '▼', '┐']).next();
            pane.unwrap_or_default().trim()
        })
        .collect::<Vec<_>>()
        .join(" ");
    flat.contains(value)
}

#[test]
fn opening_an_exercise_follows_its_file_in_the_workspace_folder() {
    let (app, command) = opened((120, 40));
    let Command::WatchExercise(Some(target)) = command else {
        panic!("Enter follows the exercise's file, not {command:?}")
    };
    assert_eq!(target.exercise.id, "two-children");
    assert_eq!(target.file, PathBuf::from("exercises/two-children.py"));
    assert_eq!(app.context(), Context::Exercise);
    let screen = app.exercise_screen().unwrap();
    assert_eq!(screen.page.checking, Checking::Waiting);
    assert!(screen.from_list);
}

#[test]
fn the_exercises_tab_lists_them_under_their_lessons_with_progress() {
    for size in SIZES {
        let mut app = app(size);
        app.update(press(KeyCode::Tab));
        let screen = text(&render(&app));
        snapshot!(
            format!("exercise_list_{}x{}", size.0, size.1),
            screen.clone()
        );
        assert!(screen.contains("children-demo · Children demo"), "{screen}");
        assert!(screen.contains("○ two-children"), "{screen}");
        let bar = screen.lines().last().unwrap();
        assert!(bar.contains("Tab lessons"), "{bar}");
        app.update(press(KeyCode::Tab));
        assert_eq!(app.context(), Context::List, "Tab goes back to the lessons");
    }
}

#[test]
fn a_failing_check_shows_each_mark_with_its_evidence() {
    for size in SIZES {
        let app = judged(size, failing());
        let screen = text(&render(&app));
        snapshot!(
            format!("exercise_failing_{}x{}", size.0, size.1),
            screen.clone()
        );
        for value in [
            "✗ 2 of 4 checks not passed yet",
            "✗ the program starts exactly 2 processes",
            "the exercise asks for exactly 2",
            "✓ the program exits with code 0",
        ] {
            assert!(shows_whole(&screen, value), "{value} in\n{screen}");
        }
        assert!(!app.progress().exercises_passed.contains("two-children"));
        // The run panels show the last run, live data from its events.
        assert!(screen.contains("14493"), "{screen}");
        if size == (120, 40) {
            assert!(screen.contains("traced: run 2 of 2"), "{screen}");
            assert!(shows_whole(&screen, "Hints (0 of 2)"), "{screen}");
        }
    }
}

#[test]
fn a_passing_check_says_so_records_it_and_offers_the_next_exercise() {
    for size in SIZES {
        let mut app = judged(size, passing());
        let screen = text(&render(&app));
        snapshot!(
            format!("exercise_passed_{}x{}", size.0, size.1),
            screen.clone()
        );
        assert!(
            shows_whole(&screen, "✓ Every check passes (4 of 4)"),
            "{screen}"
        );
        assert!(app.progress().exercises_passed.contains("two-children"));
        assert!(screen.contains("✓ passed"), "the header says it:\n{screen}");
        let next = app.exercise_screen().unwrap().page.next.clone();
        match next {
            Some((id, _)) => {
                let Some(Command::WatchExercise(Some(target))) = app.update(key('n')) else {
                    panic!("n opens the next exercise")
                };
                assert_eq!(target.exercise.id, id);
            }
            None => {
                assert!(
                    shows_whole(&screen, "That was the last exercise."),
                    "{screen}"
                );
                assert_eq!(app.update(key('n')), None);
            }
        }
    }
}

#[test]
fn hints_come_one_at_a_time() {
    for size in SIZES {
        let mut app = judged(size, failing());
        app.update(key('h'));
        let screen = text(&render(&app));
        snapshot!(
            format!("exercise_hint_{}x{}", size.0, size.1),
            screen.clone()
        );
        assert!(
            shows_whole(&screen, "1. A Process runs its target once"),
            "{screen}"
        );
        assert!(!screen.contains("Start both children first"), "{screen}");
        if size == (120, 40) {
            assert!(
                shows_whole(&screen, "h shows the next hint (1 left)."),
                "{screen}"
            );
        }
        app.update(key('h'));
        app.update(key('h'));
        assert_eq!(app.exercise_screen().unwrap().page.hints_shown, 2);
        assert_eq!(app.status_line().as_deref(), Some("Every hint is shown."));
    }
}

#[test]
fn a_save_during_a_check_starts_a_new_one_and_the_old_ones_reports_are_dropped() {
    let (mut app, _) = opened((120, 40));
    let first = saved(&mut app, "print('one')\n");
    one_run(&mut app, first, 0, 2);
    let second = saved(&mut app, "print('two')\n");
    assert_ne!(first, second);
    // Reports of the first check still on their way change nothing.
    report(&mut app, first, JudgeReport::Verdict(Box::new(passing())));
    let screen = app.exercise_screen().unwrap();
    assert!(screen.page.verdict.is_none());
    assert!(matches!(screen.page.checking, Checking::Running { .. }));
    report(&mut app, second, JudgeReport::Verdict(Box::new(failing())));
    let page = &app.exercise_screen().unwrap().page;
    assert_eq!(page.checking, Checking::Judged);
    assert!(!page.passed());
    // `v` shows the program as last saved.
    app.update(key('v'));
    let screen = text(&render(&app));
    assert!(screen.contains("print('two')"), "{screen}");
}

#[test]
fn a_file_that_cannot_be_read_says_why_and_stops_the_check() {
    let (mut app, _) = opened((120, 40));
    saved(&mut app, "print('one')\n");
    let why = "exercises/two-children.py is gone: save your program there again to check it";
    assert_eq!(
        app.update(Message::ExerciseSaved(Err(why.into()))),
        Some(Command::Stop)
    );
    let screen = text(&render(&app));
    assert!(shows_whole(&screen, why), "{screen}");
}

#[test]
fn the_watch_screen_has_its_own_keys_in_the_bar_and_the_help() {
    let (mut app, _) = opened((80, 24));
    let screen = text(&render(&app));
    let bar = screen.lines().last().unwrap();
    for label in ["hint", "check", "next", "quit"] {
        assert!(bar.contains(label), "{label} in {bar}");
    }
    app.update(key('?'));
    let help = text(&render(&app));
    assert!(
        help.contains("Exercise (your file is checked on every save)"),
        "{help}"
    );
    assert!(help.contains("show the next hint"), "{help}");
    app.update(key('x'));
    assert!(matches!(app.update(key('r')), Some(Command::Judge { .. })));
    assert_eq!(
        app.update(key('q')),
        Some(Command::WatchExercise(None)),
        "q from the list's exercise goes back to the list"
    );
    assert_eq!(app.context(), Context::Exercises);
    assert_eq!(app.update(key('q')), Some(Command::Quit));
    assert_eq!(app.exit(), Some(Exit::Quit));
}
