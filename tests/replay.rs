//! Recordings: `run --record` saves the same events `--json` prints, and a recording played back
//! in the TUI draws the same screens as the live run it came from, at every step.

mod common;

use std::path::Path;

use common::screens::{fixture_events, fixture_lessons, play, render};
use proclab::engine::RunOptions;
use proclab::event::Event;
use proclab::recording::Recording;
use proclab::tui::app::App;
use proclab::tui::app::message::Message;
use proclab::tui::app::replay::ReplayText;
use proclab::tui::runtime::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

fn key(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The run panel's rows, without those that are meant to differ: the run's status line (live
/// clock against playback position), and the notice and key bar at the bottom. The reading
/// pane differs too: a recording's checkpoints are not answered there.
fn comparable_rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    let row = |y: u16| -> Vec<&str> {
        (area.left()..area.right())
            .map(|x| buf[(x, y)].symbol())
            .collect()
    };
    // The run panel starts right of the reading pane's corner, on the first row of the body.
    let corner = row(1)
        .iter()
        .position(|s| *s == "┐")
        .expect("the reading pane's corner");
    (2..area.bottom() - 2)
        .map(|y| row(y)[corner + 1..].concat())
        .collect()
}

/// The live app after the first `count` events of `events`.
fn live_after(events: &[Event], count: usize) -> App {
    let mut app = App::new(
        fixture_lessons().lessons,
        Some("pool-demo"),
        RunOptions::default(),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, WIDTH, HEIGHT),
    );
    play(&mut app, events, count);
    app
}

fn replaying(events: &[Event]) -> App {
    let catalog = fixture_lessons();
    let lesson = catalog.get("pool-demo").unwrap().clone();
    App::replaying(
        catalog.lessons,
        events.iter().cloned().collect(),
        ReplayText::Lesson(lesson),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, WIDTH, HEIGHT),
    )
}

fn shown_events(app: &App) -> usize {
    app.replay_screen().unwrap().replay.progress().0
}

#[test]
fn stepping_through_a_recording_draws_the_live_screens() {
    let events = fixture_events();
    let mut replay = replaying(&events);
    // The recording opens with its first event shown; step through the rest one by one and
    // compare each screen with the live run's after as many events.
    let mut compared = 0;
    loop {
        let count = shown_events(&replay);
        let live = live_after(&events, count);
        assert_eq!(
            comparable_rows(&render(&replay)),
            comparable_rows(&render(&live)),
            "the screens differ after {count} events"
        );
        compared += 1;
        if count == events.len() {
            break;
        }
        replay.update(key(KeyCode::Char('.')));
        assert_eq!(shown_events(&replay), count + 1, "one step is one event");
    }
    assert_eq!(compared, events.len());
}

#[test]
fn seeking_back_and_to_the_end_draws_the_same_screens() {
    let events = fixture_events();
    let mut replay = replaying(&events);
    replay.update(key(KeyCode::End));
    let end = comparable_rows(&render(&replay));
    assert_eq!(
        end,
        comparable_rows(&render(&live_after(&events, events.len())))
    );
    for _ in 0..5 {
        replay.update(key(KeyCode::Char('[')));
    }
    let back = shown_events(&replay);
    assert!(back < events.len());
    // Between events the replay's clock has moved on, as a live run's does; one step back
    // lands on an event again, where the screens must match.
    replay.update(key(KeyCode::Char(',')));
    assert_eq!(shown_events(&replay), back - 1);
    assert_eq!(
        comparable_rows(&render(&replay)),
        comparable_rows(&render(&live_after(&events, back - 1)))
    );
    replay.update(key(KeyCode::End));
    assert_eq!(comparable_rows(&render(&replay)), end);
}

#[test]
fn a_replay_refuses_to_start_a_real_run() {
    let mut replay = replaying(&fixture_events());
    for c in ['n', 'c', 'K', 'w', 's', 'R'] {
        assert_eq!(replay.update(key(KeyCode::Char(c))), None);
    }
    let notice = replay.status_line().unwrap();
    assert!(notice.contains("recording"), "{notice}");
    replay.update(key(KeyCode::Char('c')));
    let notice = replay.status_line().unwrap();
    assert!(notice.contains("proclab open pool-demo"), "{notice}");
    // A hint changes nothing in the run: h shows it, and the box says how to answer.
    replay.update(key(KeyCode::Char('h')));
    let screen = common::screens::text(&render(&replay));
    assert!(
        screen.contains("Hint: Which worker is free first?"),
        "{screen}"
    );
    assert!(
        screen.contains("answer it in the lesson itself"),
        "{screen}"
    );
    assert!(!screen.contains("press c to answer"), "{screen}");
    // r plays the recording again instead of running the lesson.
    assert_eq!(replay.update(key(KeyCode::Char('r'))), None);
    assert!(replay.replay_screen().unwrap().replay.is_playing());
}

#[test]
fn record_saves_exactly_the_events_json_prints() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.jsonl");
    let output = common::proclab(&[
        "run",
        "pool-sleep",
        "--speed",
        "20",
        "--json",
        "--record",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let saved = std::fs::read_to_string(&file).unwrap();
    assert_eq!(saved, printed);
    let recording = Recording::read(&file).unwrap();
    assert_eq!(recording.lesson(), "pool-sleep");
    assert_eq!(recording.version(), env!("CARGO_PKG_VERSION"));
    assert!(recording.cores() >= 1);
    // Nothing but the recording is left in the folder.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn bad_recordings_name_the_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.jsonl");
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pool-sleep.jsonl"),
    )
    .unwrap();
    let first = good.lines().next().unwrap();
    std::fs::write(
        &file,
        format!("{first}\n{{\"event\":\"cpu\",\"t_ms\":\"soon\"}}\n"),
    )
    .unwrap();
    let output = common::proclab(&["replay", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:2:", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("proclab run --json"), "{stderr}");
    let output = common::proclab(&[
        "run",
        "pool-sleep",
        "--record",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a folder"));
}

#[test]
fn a_recording_plays_in_a_real_terminal_and_r_saves_one() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let tmux = common::tmux::Tmux::start(120, 40);
    // Run a lesson live, save the run with R into the state folder.
    tmux.type_line(&format!(
        "XDG_STATE_HOME={} {} open pool-sleep --speed 20",
        state.display(),
        common::PROCLAB
    ));
    tmux.wait_for("the lesson", |s| s.contains("pool-sleep · page 1"));
    tmux.keys(&["r"]);
    tmux.wait_for("the run to finish", |s| s.contains("finished in"));
    tmux.keys(&["R"]);
    let screen = tmux.wait_for("the saved note", |s| s.contains("Saved: proclab replay"));
    let recordings = state.join("proclab/recordings");
    let saved: Vec<_> = std::fs::read_dir(&recordings)
        .unwrap_or_else(|e| panic!("{}: {e}\n{screen}", recordings.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let recording = Recording::read(&saved[0]).unwrap();
    assert_eq!(recording.lesson(), "pool-sleep");
    tmux.keys(&["q"]);
    tmux.wait_for("the list", |s| s.contains("Lessons ("));
    tmux.keys(&["q"]);
    tmux.wait_for("the shell", |s| s.trim_end().ends_with('$'));

    // Play it back: paused at the start, Space plays it to the end.
    tmux.type_line(&format!(
        "{} replay {}",
        common::PROCLAB,
        saved[0].display()
    ));
    tmux.wait_for("the paused replay", |s| s.contains("❚❚ replay 0.00 s"));
    tmux.keys(&["Space"]);
    let end = tmux.wait_for("the end of the replay", |s| {
        s.contains("■ replay") && s.contains("finished in")
    });
    let record = proclab::record::RunRecord::from_events(recording.events().iter());
    for worker in &record.workers {
        assert!(end.contains(&worker.pid.to_string()), "{end}");
    }
    tmux.keys(&[","]);
    tmux.wait_for("one event back", |s| s.contains("❚❚ replay"));
    // A replay opened on its own screen: q leaves proclab at once.
    tmux.keys(&["q"]);
    tmux.wait_for("the shell", |s| s.trim_end().ends_with('$'));
}
