//! Every panel of the TUI rendered into a buffer from a fixed run record
//! (`tests/fixtures/pool-sleep.jsonl`, recorded once with `proclab run pool-sleep --speed 10
//! --json`) and compared with its expected screen (`tests/fixtures/snapshots/`).

use std::time::Instant;

mod common;

use common::screens::{fixture_events, fixture_lessons, key, play, render as render_screen, text};
use proclab::engine::RunOptions;
use proclab::lesson::model::Observation;
use proclab::progress::Progress;
use proclab::tui::app::App;
use proclab::tui::app::lanes::Lanes;
use proclab::tui::app::live_run::{LiveRun, Series};
use proclab::tui::app::message::{Message, RunId};
use proclab::tui::runtime::theme::Theme;
use proclab::tui::widgets::cores::CoresPanel;
use proclab::tui::widgets::distribution::DistributionPanel;
use proclab::tui::widgets::order::OrderPanel;
use proclab::tui::widgets::output::OutputPanel;
use proclab::tui::widgets::processes::ProcessesPanel;
use proclab::tui::widgets::timeline::TimelinePanel;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

/// The fixture run, as the UI holds it once every worker is reaped.
fn fixture_run() -> LiveRun {
    let mut run = LiveRun::new(RunId(1));
    for event in fixture_events() {
        run.push(event, Instant::now());
    }
    run.end();
    run
}

fn render(widget: impl Widget, width: u16, height: u16) -> Buffer {
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    widget.render(buf.area, &mut buf);
    buf
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "fixtures/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

const MONO: Theme = Theme { color: false };

#[test]
fn timeline_shows_one_lane_per_worker_with_labelled_bars_and_an_axis() {
    let run = fixture_run();
    let buf = render(
        &TimelinePanel {
            run: &run,
            selected: 0,
            lanes: &Lanes::of(&run.record),
            theme: &MONO,
        },
        64,
        5,
    );
    snapshot!("timeline", text(&buf));
}

#[test]
fn timeline_colours_bars_by_core() {
    let run = fixture_run();
    let theme = Theme::colored();
    let buf = render(
        &TimelinePanel {
            run: &run,
            selected: 0,
            lanes: &Lanes::of(&run.record),
            theme: &theme,
        },
        64,
        5,
    );
    // Lane 1 starts with B on core 1 (the fixture's task_started says cpu 1).
    let b = &buf[(14, 2)];
    assert_eq!(b.symbol(), "B");
    assert_eq!(b.bg, theme.core_bar(Some(1)).bg.unwrap());
    assert_ne!(b.bg, Color::Reset);
}

#[test]
fn cores_show_which_worker_ran_where() {
    let run = fixture_run();
    let buf = render(
        &CoresPanel {
            run: &run,
            theme: &MONO,
        },
        64,
        3,
    );
    snapshot!("cores", text(&buf));
}

#[test]
fn processes_show_pids_parents_and_how_workers_ended() {
    let run = fixture_run();
    let buf = render(
        &ProcessesPanel {
            record: &run.record,
            placement: &run.placement,
            selected: 1,
            rows: &[0, 1],
            focused: true,
            theme: &MONO,
        },
        60,
        4,
    );
    snapshot!("processes", text(&buf));
}

#[test]
fn output_lists_every_line_with_its_pid_in_arrival_order() {
    let run = fixture_run();
    let buf = render(
        &OutputPanel {
            record: &run.record,
            scroll: None,
            focused: false,
            theme: &MONO,
        },
        50,
        10,
    );
    snapshot!("output", text(&buf));
}

#[test]
fn order_sets_sent_finished_and_result_orders_side_by_side() {
    let run = fixture_run();
    let lesson = fixture_lessons().get("pool-demo").unwrap().clone();
    let theme = Theme::colored();
    let buf = render(
        &OrderPanel {
            lesson: Some(&lesson),
            record: &run.record,
            theme: &theme,
        },
        30,
        8,
    );
    snapshot!("order", text(&buf));
    // B finished first although A was sent first: highlighted; results come back in input order.
    assert_eq!(buf[(11, 2)].symbol(), "B");
    assert_eq!(buf[(11, 2)].bg, theme.differs().bg.unwrap());
    assert_eq!(buf[(18, 2)].symbol(), "A");
    assert_eq!(buf[(18, 2)].bg, Color::Reset);
}

#[test]
fn distribution_counts_outcomes() {
    let series = Series {
        total: 5,
        observation: Observation::PrintOrder,
        outcomes: vec![
            "3 | 2 | 1 | 7".into(),
            "3 | 2 | 1 | 7".into(),
            "2 | 3 | 1 | 7".into(),
        ],
        missing: 0,
    };
    let buf = render(
        &DistributionPanel {
            series: &series,
            theme: &MONO,
        },
        40,
        4,
    );
    snapshot!("distribution", text(&buf));
}

/// The pool demo lesson after a run that produced the fixture's events.
fn app_after_fixture_run(theme: Theme, width: u16, height: u16) -> App {
    let mut app = App::new(
        fixture_lessons().lessons,
        Some("pool-demo"),
        RunOptions::default(),
        2,
        theme,
        Rect::new(0, 0, width, height),
    );
    let events = fixture_events();
    play(&mut app, &events, events.len());
    app
}

#[test]
fn lesson_screen_after_a_run() {
    let app = app_after_fixture_run(MONO, 100, 30);
    snapshot!("lesson_screen", text(&render_screen(&app)));
}

#[test]
fn lesson_list_with_progress_marks() {
    let mut app = App::new(
        fixture_lessons().lessons,
        None,
        RunOptions::default(),
        2,
        MONO,
        Rect::new(0, 0, 100, 40),
    );
    let mut progress = Progress::default();
    progress.visit("pool-sleep");
    progress.answered_right("pool-sleep", "last-job");
    app.resume(progress, None);
    let buf = render_screen(&app);
    let screen = text(&buf);
    assert!(screen.contains("● 1/3  pool-sleep"), "{screen}");
    assert!(screen.contains("○ 0/3  pool-demo"), "{screen}");
    assert!(screen.lines().last().unwrap().contains("open"), "{screen}");
}

#[test]
fn a_window_that_is_too_small_says_so() {
    let app = app_after_fixture_run(MONO, 40, 10);
    snapshot!("too_small", text(&render_screen(&app)));
}

/// Every row the help shows while it is scrolled from its top to its end with PgDn.
fn whole_help(app: &mut App) -> String {
    app.update(key('?'));
    let mut seen = String::new();
    let mut last = String::new();
    loop {
        let screen = text(&render_screen(app));
        if screen == last {
            break;
        }
        seen.push_str(&screen);
        seen.push('\n');
        last = screen;
        app.update(Message::Key(KeyEvent::new(
            KeyCode::PageDown,
            KeyModifiers::NONE,
        )));
    }
    seen
}

#[test]
fn help_lists_every_key_and_panel_and_cuts_nothing() {
    for (width, height) in [(80, 24), (120, 40)] {
        let mut app = app_after_fixture_run(MONO, width, height);
        let help = whole_help(&mut app);
        // Entries wrap at the help's width: compare with one space between words.
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for wanted in [
            "Keys",
            "show or hide this help",
            "kill the selected worker with SIGKILL (asks y/n, naming its PID)",
            "reveal the next hint",
            "Mouse",
            "a checkpoint's box to answer it",
            "What each panel shows",
            "0-9 a-z = the worker slot that ran there",
        ] {
            assert!(
                flat.contains(wanted),
                "{width}×{height}: {wanted:?} in\n{help}"
            );
        }
        let cut = help
            .lines()
            .find(|line| line.trim_end_matches(['│', ' ']).ends_with('…'));
        assert_eq!(cut, None, "{width}×{height}: nothing is cut\n{help}");
    }
}

#[test]
fn no_color_means_no_colour_in_any_cell() {
    let mut app = app_after_fixture_run(MONO, 100, 30);
    app.update(key('c'));
    let buf = render_screen(&app);
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
}

#[test]
fn answer_dialog_shows_the_question_and_choices() {
    let mut app = app_after_fixture_run(MONO, 100, 30);
    app.update(key('c'));
    app.update(Message::Key(KeyEvent::new(
        KeyCode::Tab,
        KeyModifiers::NONE,
    )));
    snapshot!("answer_dialog", text(&render_screen(&app)));
}

#[test]
fn a_trace_draws_the_processes_that_worked_and_counts_the_quiet_ones() {
    use proclab::event::{Event, RunSource, Stream};
    let mut run = LiveRun::new(RunId(1));
    let at = Instant::now();
    run.push(
        Event::RunStarted {
            t_ms: 0.0,
            lesson: "trace".into(),
            source: RunSource::Trace,
            parent_pid: 100,
            cores: 2,
            workers: 1,
            speed: 1.0,
            stages: 1,
            version: "test".into(),
        },
        at,
    );
    // Two helpers (a shell, a shim), then the program, which prints.
    for (worker, pid) in [(0, 101), (1, 102), (2, 103)] {
        run.push(
            Event::Spawned {
                t_ms: worker as f64,
                worker,
                pid,
                ppid: 100,
                stage: 0,
                tid: None,
                spawn_us: 0.0,
                pinned: None,
                adopted: false,
            },
            at,
        );
    }
    run.push(
        Event::Output {
            t_ms: 5.0,
            worker: Some(2),
            pid: 103,
            stream: Stream::Stdout,
            text: "hello".into(),
        },
        at,
    );
    let lanes = Lanes::of(&run.record);
    let buf = render(
        &TimelinePanel {
            run: &run,
            selected: 0,
            lanes: &lanes,
            theme: &MONO,
        },
        64,
        5,
    );
    let shown = text(&buf);
    assert!(shown.contains("+2 quiet"), "{shown}");
    assert!(shown.contains("103"), "the program's lane:\n{shown}");
    assert!(
        !shown.contains("101"),
        "no empty lane for a helper:\n{shown}"
    );
    assert!(
        shown.contains('─'),
        "its life drawn, though it ran no task:\n{shown}"
    );
}
