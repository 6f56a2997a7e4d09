//! How a stage's workers start: all asked for at once, each with its command waiting in its
//! stdin, each told apart and reported in order, however many there are and however long
//! their command.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use serde_json::Value;

/// Runs a lesson written from `toml` (id `starts`) with `--json`; its events.
fn run_lesson(toml: &str) -> Vec<Value> {
    let folder = tempfile::tempdir().unwrap();
    let lesson = folder.path().join("starts");
    std::fs::create_dir(&lesson).unwrap();
    std::fs::write(lesson.join("lesson.toml"), toml).unwrap();
    std::fs::write(lesson.join("narrative.md"), "Test lesson.\n").unwrap();
    std::fs::write(lesson.join("program.py"), "print(\"a test lesson\")\n").unwrap();
    let lessons = folder.path().to_str().unwrap();
    let output = proclab(&["--lessons", lessons, "run", "starts", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

const HEADER: &str = r#"format_version = 1
id = "starts"
title = "Starts"
summary = "Test lesson: many workers, long commands."
"#;

/// The events of the process with `pid` that have an order, as they came.
fn events_of(events: &[Value], pid: u64) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e["pid"].as_u64() == Some(pid) && !e["worker"].is_null())
        .map(|e| e["event"].as_str().unwrap())
        // Samples come whenever they are due, and a line printed is read from its own pipe,
        // apart from the reports: neither has a place in the order.
        .filter(|kind| !matches!(*kind, "state" | "cpu" | "output"))
        .collect()
}

#[test]
fn forty_processes_asked_for_at_once_each_run_their_own_task_in_order() {
    // More processes than the fork server is asked for in one go (16), so that several
    // batches of requests are needed.
    let mut toml = format!("{HEADER}\n[[stage]]\nkind = \"processes\"\njoin = \"all\"\n");
    for i in 0..40 {
        toml.push_str(&format!(
            "\n[[stage.tasks]]\nlabel = \"p{i}\"\nfn = \"print\"\ntext = \"line of p{i}\"\n"
        ));
    }
    let events = run_lesson(&toml);
    let spawned = of_kind(&events, "spawned");
    assert_eq!(spawned.len(), 40);
    let pids: BTreeSet<u64> = spawned.iter().map(|e| e["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids.len(), 40, "every process has its own PID");
    let mut pid_of_task = HashMap::new();
    for finished in of_kind(&events, "task_finished") {
        let pid = finished["pid"].as_u64().unwrap();
        assert!(pid_of_task.insert(finished["label"].clone(), pid).is_none());
    }
    assert_eq!(
        pid_of_task.values().collect::<BTreeSet<_>>().len(),
        40,
        "each task ran in a process of its own"
    );
    for pid in pids {
        // DESIGN's contract: spawned ≤ its task events ≤ its exit, then the join.
        assert_eq!(
            events_of(&events, pid),
            [
                "spawned",
                "task_started",
                "task_finished",
                "exited",
                "joined"
            ],
            "PID {pid}"
        );
    }
    let lines: BTreeSet<&str> = of_kind(&events, "output")
        .iter()
        .filter(|e| !e["worker"].is_null())
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
}

#[test]
fn a_command_longer_than_a_pipe_holds_reaches_every_worker_whole() {
    // A pool's command lists every task: 100 tasks of 900-byte lines make it about 100 KB,
    // more than a pipe holds, so part of it is written after the worker was forked.
    let text = "x".repeat(900);
    let mut toml = format!("{HEADER}\n[[stage]]\nkind = \"pool\"\nworkers = 3\n");
    for i in 0..100 {
        toml.push_str(&format!(
            "\n[[stage.tasks]]\nlabel = \"t{i}\"\nfn = \"print\"\ntext = \"{i} {text}\"\n"
        ));
    }
    let events = run_lesson(&toml);
    assert_eq!(of_kind(&events, "spawned").len(), 3);
    assert_eq!(of_kind(&events, "task_finished").len(), 100);
    let lines: BTreeSet<String> = of_kind(&events, "output")
        .iter()
        .filter(|e| !e["worker"].is_null())
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = (0..100).map(|i| format!("{i} {text}")).collect();
    assert_eq!(lines, expected);
    for exited in of_kind(&events, "exited") {
        assert_eq!(exited["code"], 0);
    }
}

#[test]
fn every_pool_worker_says_hello_before_the_first_task_starts() {
    // As with Python's Pool(): every worker runs before the first chunk is queued, though a
    // worker's hello now goes out with its first write.
    let mut toml = format!("{HEADER}\n[[stage]]\nkind = \"pool\"\nworkers = 6\nchunksize = 1\n");
    for i in 0..12 {
        toml.push_str(&format!(
            "\n[[stage.tasks]]\nlabel = \"t{i}\"\nfn = \"square\"\nn = {i}\n"
        ));
    }
    for _ in 0..5 {
        let events = run_lesson(&toml);
        let position = |kind: &str| events.iter().position(|e| e["event"] == kind);
        let last_hello = events
            .iter()
            .rposition(|e| e["event"] == "spawned")
            .unwrap();
        assert_eq!(of_kind(&events, "spawned").len(), 6);
        assert!(last_hello < position("task_started").unwrap());
        assert_eq!(of_kind(&events, "task_finished").len(), 12);
    }
}
