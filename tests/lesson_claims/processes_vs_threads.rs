//! processes-vs-threads: threads share one PID (each with its own TID, in the headless run and
//! in the terminal UI) and one counter; processes have their own PIDs and copies; a thread is
//! cheaper to create; and what a race does to a counter, by Python version.

use std::collections::BTreeSet;
use std::time::Duration;

use proclab::engine::RunOptions;
use proclab::event::Event;
use proclab::lesson::Catalog;
use proclab::tui::app::App;
use proclab::tui::runtime::theme::Theme;
use ratatui::layout::Rect;

use crate::common::screens::{play, render, text};
use crate::support::{Program, Run, at_once, num, numbers, oldest_and_newest, says};

const LESSON: &str = "processes-vs-threads";

#[test]
fn threads_share_one_pid_and_counter_and_processes_each_count_their_own_copy() {
    says(
        LESSON,
        "Every line shows the **same PID**: four threads, one process.",
    );
    says(LESSON, "so it ends at **4000**");
    says(
        LESSON,
        "Each child counts to **1000** in its own copy of the counter, and the parent's counter is still **0**",
    );
    says(
        LESSON,
        "eight processes, eight PIDs, each counter at 1000, and the parent still at 0.",
    );
    for (args, processes) in [(&[][..], 4), (&["--set", "workers=8"][..], 8)] {
        let run = Run::of(LESSON, args);
        let threads = run.in_stage("spawned", 0);
        let pids: BTreeSet<u64> = threads.iter().map(|e| num(e, "pid")).collect();
        let tids: BTreeSet<u64> = threads.iter().map(|e| num(e, "tid")).collect();
        assert_eq!((pids.len(), tids.len()), (1, 4));
        let shared: Vec<f64> = run
            .lines(0)
            .iter()
            .filter(|l| l.contains("done"))
            .map(|l| numbers(l)[1])
            .collect();
        assert_eq!(
            shared.iter().copied().fold(0.0, f64::max),
            4000.0,
            "{shared:?}"
        );

        let children = run.in_stage("spawned", 1);
        let pids: BTreeSet<u64> = children.iter().map(|e| num(e, "pid")).collect();
        assert_eq!(pids.len(), processes);
        let own: Vec<String> = run
            .lines(1)
            .into_iter()
            .filter(|l| l.contains("done"))
            .collect();
        assert_eq!(own.len(), processes);
        assert!(
            own.iter().all(|l| l.contains("my counter = 1000")),
            "{own:?}"
        );
        assert!(
            run.parent_lines()
                .iter()
                .any(|l| l.contains("my own counter is still 0"))
        );
    }
}

#[test]
fn the_terminal_ui_shows_each_threads_tid() {
    says(
        LESSON,
        "(The live view and `program.py` also show each thread's TID, and those differ.)",
    );
    let events: Vec<Event> = crate::common::run_json(&[LESSON, "--speed", "10"])
        .into_iter()
        .map(|e| serde_json::from_value(e).expect("an event"))
        .collect();
    let lessons = Catalog::load(None).expect("the built-in lessons").lessons;
    let area = Rect::new(0, 0, 120, 40);
    let mut app = App::new(
        lessons,
        Some(LESSON),
        RunOptions::default(),
        2,
        Theme::monochrome(),
        area,
    );
    // Up to the end of the threads stage: its four rows are on screen.
    let threads_end = events
        .iter()
        .position(|e| matches!(e, Event::StageFinished { .. }))
        .expect("the threads stage finishes");
    play(&mut app, &events, threads_end + 1);
    let screen = text(&render(&app));
    assert!(screen.contains("TID"), "no TID column:\n{screen}");
    let tids: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Spawned { tid: Some(tid), .. } => Some(tid.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(tids.len(), 4);
    for tid in &tids {
        assert!(
            screen.contains(tid.as_str()),
            "TID {tid} not on screen:\n{screen}"
        );
    }
}

#[test]
fn program_py_creates_a_thread_far_more_cheaply_than_a_process() {
    says(LESSON, "Creating a thread is the **cheap** one.");
    at_once(&oldest_and_newest(), |python| {
        // One start of each is timed per run: a busy machine can stall either, so the claim
        // must show in one of three runs.
        let mut seen = Vec::new();
        for _ in 0..3 {
            let ran = Program::of(LESSON).run(python, &[], Duration::from_secs(60));
            assert!(ran.stdout().contains("counter = 4000"));
            assert!(ran.stdout().contains("counter = 0"));
            let thread = numbers(ran.line("thread: "))[0];
            let process = numbers(ran.line("process: "))[0];
            seen.push(format!("{thread} µs against {process} µs"));
            if thread * 2.0 < process {
                return;
            }
        }
        panic!("Python {}: {}", python.version(), seen.join("; "));
    });
}

/// `program.py` with a million additions per thread and `add_in_thread`'s locked addition
/// replaced by `line`.
fn racing(line: &str) -> Program {
    let program = Program::of(LESSON)
        .edit("TIMES = 1000\n", "TIMES = 1_000_000\n")
        .edit(
            "        with lock:  # counter += 1 is read, add, write: without the lock, updates can be lost\n            counter += 1\n",
            &format!("        {line}\n"),
        );
    if line.contains("plus_one") {
        program.edit(
            "def add_in_thread(",
            "def plus_one(x):\n    return x + 1\n\n\ndef add_in_thread(",
        )
    } else {
        program
    }
}

/// The threads' total in a racing `program.py`.
fn threads_total(program: &Program, python: &crate::common::python::Python) -> f64 {
    let ran = program.run(python, &[], Duration::from_secs(120));
    numbers(ran.line("counter = "))[1]
}

#[test]
fn a_call_between_read_and_write_loses_updates_on_every_version_a_bare_add_only_on_3_9() {
    says(
        LESSON,
        "Run it: the threads' total comes out well short of 4,000,000, and different each time.",
    );
    says(LESSON, "Python 3.9 loses updates with it too");
    says(LESSON, "4,000,000 every time on 3.10, 3.11, 3.12 and 3.13.");
    let ends = oldest_and_newest();
    let mut cases: Vec<(usize, &str)> = vec![(ends.len() - 1, "counter = plus_one(counter)")];
    cases.extend((0..ends.len()).map(|p| (p, "counter += 1")));
    at_once(&cases, |&(p, line)| {
        let python = &ends[p];
        let total = threads_total(&racing(line), python);
        let what = format!("Python {} with `{line}`", python.version());
        if line.contains("plus_one") || python.minor < 10 {
            assert!(total < 3_900_000.0, "{what}: {total}");
        } else {
            assert_eq!(total, 4_000_000.0, "{what}");
        }
    });
}
