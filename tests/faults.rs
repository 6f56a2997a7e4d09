//! Faults inside a run: a worker past the time limit, 256 workers at once, no `/proc`.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use common::*;
use serde_json::Value;

fn events_of(output: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_worker_past_the_time_limit_is_killed_and_reported() {
    let start = Instant::now();
    let output = proclab(&["--lessons", "tests/lessons", "run", "hang", "--json"]);
    let took = start.elapsed().as_secs_f64();
    assert_eq!(output.status.code(), Some(1), "a stopped run exits 1");
    assert!(
        took < 10.0,
        "the 60 s sleep did not hold the run: {took:.1} s"
    );
    let events = events_of(&output);
    let notices: Vec<&str> = of_kind(&events, "notice")
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(
        notices.iter().any(|n| n.contains("time limit")),
        "{notices:?}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["stopped"], true);
    let stuck = of_kind(&events, "exited")
        .into_iter()
        .find(|e| e["signal"] == 9);
    assert!(stuck.is_some(), "the stuck worker was killed with SIGKILL");
    for spawned in of_kind(&events, "spawned") {
        let pid = spawned["pid"].as_u64().unwrap();
        assert!(proc_state(pid).is_none(), "worker {pid} is gone");
    }
}

#[test]
fn two_hundred_fifty_six_workers_at_once() {
    let events = run_json(&["--lessons", "tests/lessons", "many", "--speed", "4"]);
    let pids: BTreeSet<u64> = of_kind(&events, "spawned")
        .iter()
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids.len(), 256);
    assert_eq!(of_kind(&events, "task_finished").len(), 256);
    assert_eq!(of_kind(&events, "joined").len(), 256);
    assert!(pids.iter().all(|&pid| proc_state(pid).is_none()));
}

#[test]
fn more_workers_than_the_cap_are_refused_before_anything_starts() {
    let output = proclab(&["run", "pool-sleep", "--workers", "257", "--json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing ran");
}

#[test]
fn without_proc_the_lesson_still_runs_and_says_what_is_missing() {
    let output = Command::new(PROCLAB)
        .args(["run", "pool-sleep", "--speed", "10", "--json"])
        .env("PROCLAB_PROC_ROOT", "/nonexistent-proc")
        .output()
        .unwrap();
    assert!(output.status.success());
    let events = events_of(&output);
    let notice = &of_kind(&events, "notice")[0]["text"];
    assert!(
        notice.as_str().unwrap().contains("/proc is not readable"),
        "{notice}"
    );
    assert!(of_kind(&events, "cpu").is_empty() && of_kind(&events, "state").is_empty());
    assert_eq!(
        events.last().unwrap()["completion_order"],
        serde_json::json!([1, 2, 0, 3])
    );
    let report = Command::new(PROCLAB)
        .args(["run", "pool-sleep", "--speed", "10"])
        .env("PROCLAB_PROC_ROOT", "/nonexistent-proc")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&report.stdout)
            .contains("cores and process states are unavailable")
    );
}
