//! The real binary runs the worksheet lessons with real processes; the events say what happened.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use serde_json::{Value, json};

const LESSONS: &[&str] = &[
    "what-is-multiprocessing",
    "processes-vs-threads",
    "process-create",
    "pool-sleep",
    "pool-pids",
    "four-prints",
];

/// The worker slot that started the task labelled `label`.
fn worker_that_started(events: &[Value], label: &str) -> Value {
    let started = of_kind(events, "task_started");
    started
        .iter()
        .find(|e| e["label"] == label)
        .expect("the task started")["worker"]
        .clone()
}

#[test]
fn pool_sleep_two_workers_finish_b_c_a_d() {
    let events = run_json(&["pool-sleep", "--speed", "10"]);
    let parent = events[0]["parent_pid"].as_u64().unwrap();
    let pids: BTreeSet<u64> = of_kind(&events, "spawned")
        .iter()
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids.len(), 2, "two worker PIDs: {pids:?}");
    assert!(!pids.contains(&parent));
    let finished = events.last().unwrap();
    assert_eq!(finished["event"], "run_finished");
    assert_eq!(
        finished["completion_order"],
        json!([1, 2, 0, 3]),
        "B, C, A, D"
    );
    assert_eq!(
        finished["results"],
        json!(["A", "B", "C", "D"]),
        "map: input order"
    );
    assert_eq!(finished["result_order"], json!([0, 1, 2, 3]));
    // Total: the longest lane is B+C+D = 6 s / 10 = 0.6 s; allow a generous margin above it.
    let first_start = of_kind(&events, "task_started")
        .iter()
        .map(|e| e["t_ms"].as_f64().unwrap())
        .fold(f64::MAX, f64::min);
    let last_end = of_kind(&events, "task_finished")
        .iter()
        .map(|e| e["t_ms"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let total = last_end - first_start;
    assert!((590.0..3000.0).contains(&total), "total {total} ms");
    // A ran alone on one worker; B, C, D one after another on the other.
    let worker_of = |label: &str| worker_that_started(&events, label);
    assert_eq!(worker_of("B"), worker_of("C"));
    assert_eq!(worker_of("C"), worker_of("D"));
    assert_ne!(worker_of("A"), worker_of("B"));
}

#[test]
fn chunksize_two_gives_pairs_to_each_worker() {
    let events = run_json(&["pool-sleep", "--speed", "10", "--set", "chunksize=2"]);
    let worker_of = |label: &str| worker_that_started(&events, label);
    assert_eq!(worker_of("A"), worker_of("B"));
    assert_eq!(worker_of("C"), worker_of("D"));
    assert_ne!(worker_of("A"), worker_of("C"));
}

#[test]
fn workers_are_children_while_running_and_gone_after() {
    let mut child = Command::new(PROCLAB)
        .args(["run", "pool-sleep", "--speed", "10", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let proclab_pid = u64::from(child.id());
    let mut seen = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if event["event"] == "spawned" {
            let pid = event["pid"].as_u64().unwrap();
            let (_, ppid) = proc_state(pid).expect("a spawned worker exists in /proc");
            assert_eq!(ppid, proclab_pid, "worker {pid} is proclab's child");
            seen.push(pid);
        }
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(seen.len(), 2);
    for pid in seen {
        assert!(
            proc_state(pid).is_none_or(|(state, ppid)| ppid != proclab_pid && state != 'Z'),
            "worker {pid} is gone after the run"
        );
    }
}

#[test]
fn process_create_prints_with_own_pids_and_the_parent_last() {
    let events = run_json(&["process-create", "--speed", "10"]);
    let parent = events[0]["parent_pid"].as_u64().unwrap();
    let outputs = of_kind(&events, "output");
    let spawned: HashMap<u64, u64> = of_kind(&events, "spawned")
        .iter()
        .map(|e| (e["worker"].as_u64().unwrap(), e["pid"].as_u64().unwrap()))
        .collect();
    for line in outputs.iter().filter(|o| !o["worker"].is_null()) {
        assert_eq!(
            line["pid"].as_u64(),
            spawned.get(&line["worker"].as_u64().unwrap()).copied()
        );
    }
    let results: Vec<Value> = events.last().unwrap()["results"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(results, vec![json!(100), json!(1000)]);
    let parent_line = events
        .iter()
        .position(|e| e["event"] == "output" && e["worker"].is_null())
        .unwrap();
    assert_eq!(events[parent_line]["pid"].as_u64(), Some(parent));
    let exits: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e["event"] == "exited")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(exits.len(), 2);
    assert!(
        exits.iter().all(|&i| i < parent_line),
        "the parent's line comes after both exits"
    );
}

#[test]
fn skipping_the_join_lets_the_parent_print_first() {
    let events = run_json(&["process-create", "--speed", "10", "--set", "join=0"]);
    let parent_line = events
        .iter()
        .position(|e| e["event"] == "output" && e["worker"].is_null())
        .unwrap();
    let first_exit = events.iter().position(|e| e["event"] == "exited").unwrap();
    assert!(
        parent_line < first_exit,
        "without joins the parent does not wait"
    );
}

#[test]
fn a_delayed_join_shows_the_zombie() {
    let events = run_json(&["process-create", "--speed", "10", "--set", "join_delay_s=3"]);
    let zombies = of_kind(&events, "state")
        .into_iter()
        .filter(|e| e["state"] == "Z")
        .count();
    assert!(
        zombies >= 1,
        "a child that exited before its join is seen as Z"
    );
    for exited in of_kind(&events, "exited") {
        let joined = of_kind(&events, "joined")
            .into_iter()
            .find(|j| j["worker"] == exited["worker"])
            .unwrap();
        assert!(joined["t_ms"].as_f64() >= exited["t_ms"].as_f64());
    }
}

#[test]
fn pool_pids_squares_and_repeats_pids() {
    let events = run_json(&["pool-pids", "--speed", "10"]);
    let finished = events.last().unwrap();
    assert_eq!(finished["results"], json!([1, 4, 9, 16, 25]));
    let workers = events[0]["workers"].as_u64().unwrap();
    let pids: BTreeSet<u64> = of_kind(&events, "task_finished")
        .iter()
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert!(!pids.is_empty() && pids.len() as u64 <= workers);
}

#[test]
fn threads_share_one_pid_and_a_counter_processes_do_not() {
    let events = run_json(&["processes-vs-threads", "--speed", "10"]);
    let spawned = of_kind(&events, "spawned");
    let threads: Vec<&&Value> = spawned.iter().filter(|e| e["stage"] == 0).collect();
    let processes: Vec<&&Value> = spawned.iter().filter(|e| e["stage"] == 1).collect();
    let thread_pids: BTreeSet<u64> = threads.iter().map(|e| e["pid"].as_u64().unwrap()).collect();
    let tids: BTreeSet<u64> = threads.iter().map(|e| e["tid"].as_u64().unwrap()).collect();
    assert_eq!(thread_pids.len(), 1, "threads share one PID");
    assert_eq!(tids.len(), threads.len(), "each thread has its own TID");
    let process_pids: BTreeSet<u64> = processes
        .iter()
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        process_pids.len(),
        processes.len(),
        "each process has its own PID"
    );
    let outputs: Vec<&str> = of_kind(&events, "output")
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    let threads_total = threads.len() * 1000;
    assert!(
        outputs
            .iter()
            .any(|t| t.ends_with(&format!("= {threads_total}"))),
        "{outputs:?}"
    );
    let parent_line = of_kind(&events, "output")
        .into_iter()
        .rfind(|e| e["worker"].is_null())
        .unwrap();
    assert!(
        parent_line["text"].as_str().unwrap().contains(" 0"),
        "{parent_line}"
    );
}

#[test]
fn every_lesson_runs_and_every_task_starts_and_finishes_once() {
    for lesson in LESSONS {
        let events = run_json(&[lesson, "--speed", "20"]);
        let cores = events[0]["cores"].as_u64().unwrap();
        for e in &events {
            if let Some(cpu) = e.get("cpu").and_then(Value::as_u64) {
                assert!(cpu < cores, "{lesson}: cpu {cpu} within 0..{cores}");
            }
        }
        let count = |kind: &str| {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for e in of_kind(&events, kind) {
                *counts.entry(e["task"].as_u64().unwrap()).or_default() += 1;
            }
            counts
        };
        let started = count("task_started");
        let finished = count("task_finished");
        assert!(!started.is_empty(), "{lesson}");
        assert_eq!(started, finished, "{lesson}");
        assert!(started.values().all(|&n| n == 1), "{lesson}");
        let t: Vec<f64> = events.iter().map(|e| e["t_ms"].as_f64().unwrap()).collect();
        assert_eq!(events.last().unwrap()["event"], "run_finished", "{lesson}");
        assert!(t.iter().all(|&x| x >= 0.0), "{lesson}");
    }
}

#[test]
fn text_report_shows_pids_timeline_output_and_orders() {
    let output = proclab(&["run", "pool-sleep", "--speed", "10"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "parent PID ",
        "cores seen",
        "Timeline",
        "Output (in the order it arrived)",
        "completion: B C A D",
        "input:      A B C D",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn four_prints_repeat_shows_a_distribution() {
    let output = proclab(&["run", "four-prints", "--speed", "20", "--repeat", "5"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("Print orders over 5 runs"), "{text}");
    assert!(
        text.contains("The parent's own line came last in 5 of 5 runs."),
        "{text}"
    );
}

#[test]
fn block_buffering_groups_a_workers_lines() {
    let events = run_json(&["four-prints", "--speed", "10"]);
    let last_stage = of_kind(&events, "stage_started").len() as u64 - 1;
    let workers: BTreeSet<u64> = of_kind(&events, "spawned")
        .iter()
        .filter(|e| e["stage"] == last_stage)
        .map(|e| e["worker"].as_u64().unwrap())
        .collect();
    let lines: Vec<u64> = of_kind(&events, "output")
        .iter()
        .filter_map(|e| e["worker"].as_u64())
        .filter(|w| workers.contains(w))
        .collect();
    // Each worker's lines arrive together: the worker changes at most once.
    let switches = lines.windows(2).filter(|pair| pair[0] != pair[1]).count();
    assert!(lines.len() >= 4 && switches == 1, "{lines:?}");
}

#[test]
fn a_pool_replaces_dead_workers_and_names_the_lost_tasks() {
    let events = run_json(&["--lessons", "tests/lessons", "crashy"]);
    let exits: Vec<(Value, Value)> = of_kind(&events, "exited")
        .iter()
        .map(|e| (e["code"].clone(), e["signal"].clone()))
        .collect();
    assert!(exits.contains(&(json!(3), Value::Null)), "{exits:?}");
    assert!(exits.contains(&(Value::Null, json!(9))), "{exits:?}");
    assert!(
        exits.contains(&(json!(101), Value::Null)),
        "a panic exits with 101: {exits:?}"
    );
    let finished = events.last().unwrap();
    assert_eq!(finished["lost"], json!([1, 2, 3]));
    assert_eq!(
        finished["results"][4],
        json!(49),
        "the pool carried on after the crashes"
    );
    assert!(
        of_kind(&events, "spawned").len() >= 5,
        "each dead worker was replaced"
    );
    let panicked = of_kind(&events, "output")
        .iter()
        .any(|e| e["stream"] == "stderr" && e["text"].as_str().unwrap().contains("panicked"));
    assert!(panicked, "the panic message is captured from stderr");
}
