//! Performance measurements, ignored by default (they report numbers; they do not pass or fail
//! on timing). Run them with:
//!
//! ```text
//! cargo test --release --test tui_perf -- --ignored --nocapture --test-threads 1
//! ```

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use proclab::engine::RunOptions;
use proclab::event::{Event, Stream};
use proclab::lesson::Catalog;
use proclab::tui::app::App;
use proclab::tui::app::message::{Command as UiCommand, Message};
use proclab::tui::runtime::theme::Theme;
use proclab::tui::view;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use serde_json::Value;

const WORKERS: usize = 256;
const EVENTS: usize = 10_000;
const CORES: u32 = 8;

/// A run of 256 workers on 8 cores with 10,000 events: tasks that start, print, move between
/// cores, sleep and finish.
fn big_run() -> Vec<Event> {
    let mut events = vec![
        Event::RunStarted {
            t_ms: 0.0,
            lesson: "pool-demo".into(),
            source: proclab::event::RunSource::Lesson,
            parent_pid: 1000,
            cores: CORES,
            workers: WORKERS as u32,
            speed: 1.0,
            stages: 1,
            version: "test".into(),
        },
        Event::StageStarted {
            t_ms: 0.0,
            stage: 0,
            name: "big".into(),
            kind: proclab::event::StageKind::Pool,
            workers: WORKERS as u32,
            chunksize: Some(1),
            tasks: 0,
            sweep_workers: None,
            sweep_part: None,
        },
    ];
    for worker in 0..WORKERS {
        events.push(Event::Spawned {
            t_ms: 1.0,
            worker,
            pid: 2000 + worker as u32,
            ppid: 1000,
            stage: 0,
            tid: None,
            spawn_us: 500.0,
            pinned: None,
            adopted: false,
        });
    }
    let mut task = 0;
    let mut t_ms = 2.0;
    while events.len() + 5 <= EVENTS {
        let worker = task % WORKERS;
        let pid = 2000 + worker as u32;
        let core = (task % CORES as usize) as u32;
        events.push(Event::TaskStarted {
            t_ms,
            task,
            label: format!("T{task}"),
            worker,
            pid,
            cpu: Some(core),
        });
        events.push(Event::Output {
            t_ms: t_ms + 0.1,
            worker: Some(worker),
            pid,
            stream: Stream::Stdout,
            text: format!("task {task} on worker {worker}"),
        });
        events.push(Event::Cpu {
            t_ms: t_ms + 0.5,
            worker,
            pid,
            cpu: (core + 1) % CORES,
        });
        events.push(Event::State {
            t_ms: t_ms + 0.6,
            worker,
            pid,
            state: if task % 2 == 0 { "R" } else { "S" }.into(),
            ppid: 1000,
        });
        events.push(Event::TaskFinished {
            t_ms: t_ms + 40.0,
            task,
            label: format!("T{task}"),
            worker,
            pid,
            cpu: Some((core + 1) % CORES),
            result: Value::Null,
            cpu_ms: 1.0,
        });
        task += 1;
        t_ms += 0.5;
    }
    while events.len() < EVENTS {
        events.push(Event::Output {
            t_ms,
            worker: None,
            pid: 1000,
            stream: Stream::Stdout,
            text: "parent line".into(),
        });
    }
    events
}

fn key(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn app_with_big_run(width: u16, height: u16) -> App {
    let catalog = Catalog::load(Some(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons"),
    ))
    .unwrap();
    let mut app = App::new(
        catalog.lessons,
        Some("pool-demo"),
        RunOptions::default(),
        CORES,
        Theme::colored(),
        Rect::new(0, 0, width, height),
    );
    let Some(UiCommand::Start { run, .. }) = app.update(Message::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    ))) else {
        panic!("r starts a run");
    };
    let events = big_run();
    assert_eq!(events.len(), EVENTS);
    let at = Instant::now();
    for event in events {
        app.update(Message::Engine { run, event, at });
    }
    app
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn frame_with_256_workers_and_10000_events() {
    for (width, height) in [(120, 40), (200, 60)] {
        let app = app_with_big_run(width, height);
        let record = &app
            .lesson_screen()
            .unwrap()
            .view
            .run
            .as_ref()
            .unwrap()
            .record;
        assert_eq!(record.workers.len(), WORKERS);
        let events = record.events.len();
        let mut buf = Buffer::empty(app.area());
        let samples: Vec<Duration> = (0..200)
            .map(|_| {
                buf.reset();
                let start = Instant::now();
                view::render(&app, app.area(), &mut buf);
                start.elapsed()
            })
            .collect();
        println!(
            "render one frame, {WORKERS} workers, {events} events, {width}×{height}: median {:?}",
            median(samples)
        );
    }
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn key_press_to_new_frame() {
    let mut app = app_with_big_run(120, 40);
    let mut buf = Buffer::empty(app.area());
    let keys = [
        key(KeyCode::Down),
        key(KeyCode::Right),
        key(KeyCode::Up),
        key(KeyCode::Left),
        key(KeyCode::Tab),
    ];
    let samples: Vec<Duration> = (0..500)
        .map(|i| {
            buf.reset();
            let start = Instant::now();
            app.update(keys[i % keys.len()].clone());
            view::render(&app, app.area(), &mut buf);
            start.elapsed()
        })
        .collect();
    println!(
        "key press → update → new frame (256 workers, 10,000 events, 120×40): median {:?}",
        median(samples)
    );
}

fn cpu_ticks(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proclab is running");
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // After the comm: state is field 3, utime field 14 and stime field 15 (1-based in proc(5)).
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn idle_cpu_on_a_lesson_screen() {
    let socket = format!("proclab-idle-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    struct Kill<'a>(&'a str);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = Command::new("tmux")
                .args(["-L", self.0, "kill-server"])
                .status();
        }
    }
    let _kill = Kill(&socket);
    let binary = env!("CARGO_BIN_EXE_proclab");
    let state = tempfile::tempdir().expect("a temporary folder");
    let state_env = format!("XDG_STATE_HOME={}", state.path().display());
    tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-e",
        &state_env,
        "-x",
        "120",
        "-y",
        "40",
        "-s",
        "idle",
        binary,
        "open",
        "pool-sleep",
    ]);
    let pane =
        String::from_utf8(tmux(&["display-message", "-p", "-t", "idle", "#{pane_pid}"]).stdout)
            .unwrap();
    let pid: u32 = pane.trim().parse().expect("the pane runs proclab");
    std::thread::sleep(Duration::from_secs(2));
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let before = cpu_ticks(pid);
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    let used = (cpu_ticks(pid) - before) as f64 / ticks_per_second;
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "idle lesson screen: {used:.2} s of CPU in {elapsed:.1} s = {:.2} % of a core",
        used / elapsed * 100.0
    );
}
