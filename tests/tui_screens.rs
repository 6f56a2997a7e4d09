//! Whole screens at the two sizes the UI is made for, 80×24 (the smallest) and 120×40, drawn
//! into a buffer and compared with their expected screens (`tests/fixtures/snapshots/`); each
//! also checks that the values on it are whole (cut text ends with "…", values are never cut).

mod common;

use common::screens::{fixture_events, fixture_lessons, key, play, render, text};
use std::path::Path;
use unicode_width::UnicodeWidthStr;

use proclab::engine::RunOptions;
use proclab::lesson::Catalog;
use proclab::tui::app::App;
use proclab::tui::app::message::Message;
use proclab::tui::app::replay::ReplayText;
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

fn app(start: Option<&str>, size: (u16, u16)) -> App {
    app_of(fixture_lessons(), start, size)
}

/// The lesson made for what does not fit (`tests/fixtures/long-lesson`): a long page, a wide
/// table, a program with long lines.
fn long_lesson(size: (u16, u16)) -> App {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/long-lesson");
    app_of(
        Catalog::load(Some(&folder)).unwrap(),
        Some("long-demo"),
        size,
    )
}

fn app_of(catalog: Catalog, start: Option<&str>, (width, height): (u16, u16)) -> App {
    App::new(
        catalog.lessons,
        start,
        RunOptions::default(),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, width, height),
    )
}

/// The text of the panel whose title starts with `title`, up to the column where `next`
/// starts on the same row (or the screen's edge), its rows joined with spaces.
fn panel(screen: &str, title: &str, next: Option<&str>) -> String {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let (top, from) = rows
        .iter()
        .enumerate()
        .find_map(|(y, row)| {
            let text: String = row.iter().collect();
            let at = text.find(title)?;
            Some((y, text[..at].chars().count()))
        })
        .unwrap_or_else(|| panic!("no {title} in\n{screen}"));
    let title_row: String = rows[top].iter().collect();
    let to = next
        .and_then(|n| title_row.find(n))
        .map_or(usize::MAX, |at| title_row[..at].chars().count());
    // Down to the row above the key bar.
    rows[top + 1..rows.len() - 1]
        .iter()
        .map(|row| {
            row.iter()
                .skip(from)
                .take(to.saturating_sub(from))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `screen` shows `value` whole: on one row, or wrapped over rows that follow.
fn shows_whole(screen: &str, value: &str) -> bool {
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    screen.contains(value) || flat.contains(value)
}

#[test]
fn the_list_cuts_titles_and_summaries_with_an_ellipsis_and_shows_the_selected_one_whole() {
    for size in SIZES {
        let app = app(None, size);
        let screen = text(&render(&app));
        snapshot!(format!("list_{}x{}", size.0, size.1), screen.clone());
        let first = &app.lessons()[0];
        assert!(shows_whole(&screen, &first.title), "{screen}");
        assert!(shows_whole(&screen, &first.summary), "{screen}");
        for line in screen.lines().filter(|l| l.starts_with("   ")) {
            assert!(line.chars().count() <= size.0 as usize, "{line}");
        }
    }
}

#[test]
fn a_lesson_before_its_first_run_gives_the_text_the_width() {
    for size in SIZES {
        let app = long_lesson(size);
        let screen = text(&render(&app));
        let name = format!("lesson_before_run_{}x{}", size.0, size.1);
        snapshot!(name, screen.clone());
        assert!(shows_whole(&screen, "page 1 of 2"), "{screen}");
        let counted = screen.contains("more rows");
        assert!(counted, "the rows left are counted:\n{screen}");
        // The table's last column is there, its cells wrapped.
        for word in ["threads", "TID", "scheduler"] {
            assert!(screen.contains(word), "{word} in\n{screen}");
        }
    }
}

#[test]
fn a_lesson_after_a_run_shows_every_value_whole() {
    let events = fixture_events();
    for size in SIZES {
        let mut app = app(Some("pool-demo"), size);
        play(&mut app, &events, events.len());
        let screen = text(&render(&app));
        snapshot!(
            format!("lesson_after_run_{}x{}", size.0, size.1),
            screen.clone()
        );
        for value in [
            "14493",
            "14494",
            "exited 0",
            "finished in 0.61 s",
            "done",
            "page 1 of 2",
        ] {
            assert!(shows_whole(&screen, value), "{value} in\n{screen}");
        }
        // Printed lines wrap inside the output panel, never cut.
        let output = panel(&screen, "Output (", Some("Order"));
        for line in ["D waiting 3 s", "A done after 5 s", "D done after 3 s"] {
            assert!(output.contains(line), "{line} in {output:?}\n{screen}");
        }
        assert!(!screen.contains("predict, then r\u{2588}"), "{screen}");
    }
}

#[test]
fn the_program_wraps_its_long_lines_instead_of_cutting_them() {
    for size in SIZES {
        let mut app = long_lesson(size);
        app.update(key('v'));
        let screen = text(&render(&app));
        snapshot!(format!("program_{}x{}", size.0, size.1), screen.clone());
        // The print's line is longer than the pane: carried on below it (↪), to its end.
        let program = &app.lesson_screen().unwrap().lesson.program;
        let long = program.lines().find(|l| l.contains("print(")).unwrap();
        assert!(long.width() > usize::from(size.0) / 2);
        assert!(screen.contains('↪'), "{screen}");
        assert!(screen.contains("flush=True)"), "{screen}");
    }
}

/// The recorded crashes-and-exit-codes run (three stages), played to its end beside a page about
/// the recording.
fn crashes_replayed(size: (u16, u16)) -> App {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crashes-and-exit-codes.jsonl");
    let recording = proclab::recording::Recording::read(&path).unwrap();
    // The page names the file: a name, not this machine's path, so the screen is the same
    // everywhere.
    let text = ReplayText::of(&recording, Path::new("crashes.jsonl"), &[]);
    let mut app = App::replaying(
        Vec::new(),
        recording.into_events(),
        text,
        2,
        Theme::monochrome(),
        Rect::new(0, 0, size.0, size.1),
    );
    app.update(Message::Key(KeyEvent::new(
        KeyCode::End,
        KeyModifiers::NONE,
    )));
    app
}

#[test]
fn a_run_of_several_stages_shows_each_stage_and_where_it_began() {
    for size in SIZES {
        let app = crashes_replayed(size);
        let screen = text(&render(&app));
        snapshot!(format!("stages_{}x{}", size.0, size.1), screen.clone());
        assert!(screen.contains("Stages"), "{screen}");
        let timeline = panel(&screen, "Timeline", None);
        assert!(
            timeline.contains('┊'),
            "where stages began is marked:\n{screen}"
        );
        let stages = panel(&screen, "Stages", None);
        // Every stage is there with its time, and the pool stage with its task messages.
        for wanted in ["1 ", "2 ", "3 ", " ms"] {
            assert!(
                stages.contains(wanted),
                "{wanted:?} in {stages:?}\n{screen}"
            );
        }
        let messages = stages.contains("4 msg") || stages.contains("4 task messages");
        assert!(
            messages,
            "the pool's 4 task messages in {stages:?}\n{screen}"
        );
    }
}

#[test]
fn the_question_before_a_folders_program_runs_shows_its_whole_path() {
    for size in SIZES {
        let mut app = long_lesson(size);
        app.set_python(true, false);
        app.update(key('p'));
        let screen = text(&render(&app));
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/long-lesson/long-demo/program.py");
        // The question wraps over the rows above the key bar: read them as one text.
        let rows: Vec<&str> = screen.lines().collect();
        let question = rows[rows.len() - 4..rows.len() - 1].concat();
        let question = question.split_whitespace().collect::<String>();
        let wanted = path
            .display()
            .to_string()
            .split_whitespace()
            .collect::<String>();
        assert!(question.contains(&wanted), "{wanted} in\n{screen}");
        assert!(question.contains("y/n"), "{screen}");
    }
}
