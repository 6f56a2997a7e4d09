//! The observer must not change what it observes: proclab's own costs (starting workers,
//! reporting, whoever reads the events) stay small enough that a lesson shows the effect it
//! teaches. Orders, counts and relations with wide margins only: the figures are in
//! `proclab bench`.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Each stage's `wall_ms`, in order.
fn stage_walls(events: &[Value]) -> Vec<f64> {
    of_kind(events, "stage_finished")
        .iter()
        .map(|e| e["wall_ms"].as_f64().unwrap())
        .collect()
}

#[test]
fn chunksize_one_costs_far_more_than_the_default_chunksize() {
    let events = run_json(&["chunksize"]);
    let walls = stage_walls(&events);
    assert_eq!(walls.len(), 4);
    // Stage 2 sends 100,000 chunks, stage 3 sends 8: at least twice the time (typically more
    // than ten times, see `proclab bench`).
    assert!(
        walls[1] > 2.0 * walls[2],
        "chunksize 1 took {:.1} ms, the default {:.1} ms",
        walls[1],
        walls[2]
    );
    // Every item is still told, started and finished, once each.
    assert_eq!(of_kind(&events, "task_started").len(), 400_000);
    assert_eq!(of_kind(&events, "task_finished").len(), 400_000);
}

/// The workers of `proclab` (its children but the fork server) now.
fn live_workers(proclab: u64) -> usize {
    workers_of(proclab).len()
}

#[test]
fn the_workers_never_wait_for_whoever_reads_the_events() {
    // 40,000 task events make about 5 MB of JSON: far more than the pipe holds. Nobody reads
    // it until every worker has come and gone.
    let mut child = Command::new(PROCLAB)
        .args(["--lessons", "tests/lessons", "run", "squares", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proclab = u64::from(child.id());
    let started = Instant::now();
    let mut quiet_since: Option<Instant> = None;
    let mut seen_workers = false;
    loop {
        let workers = live_workers(proclab);
        seen_workers |= workers > 0;
        match (workers, quiet_since) {
            (0, None) if seen_workers => quiet_since = Some(Instant::now()),
            (0, Some(since)) if since.elapsed() > Duration::from_millis(500) => break,
            (0, _) => {}
            _ => quiet_since = None,
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the workers did not finish while nobody read the events"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let reading_from_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let events: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let last_stage = of_kind(&events, "stage_finished")
        .last()
        .map(|e| e["t_ms"].as_f64().unwrap())
        .unwrap();
    assert!(
        last_stage < reading_from_ms,
        "the last stage ended at {last_stage:.0} ms, after the reader began at {reading_from_ms:.0} ms"
    );
    assert_eq!(of_kind(&events, "task_finished").len(), 20_000);
}

#[test]
fn workers_are_forked_not_executed_and_are_proclabs_children() {
    let mut child = Command::new(PROCLAB)
        .args(["run", "pool-sleep", "--speed", "2", "--json"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let proclab = u64::from(child.id());
    let mut checked = BTreeSet::new();
    let mut looks = 0;
    while checked.len() < 2 && child.try_wait().unwrap().is_none() {
        looks += 1;
        // Read once proclab runs (just after it is started it may still be this test's copy).
        let own = std::fs::read(format!("/proc/{proclab}/cmdline")).unwrap_or_default();
        if own.is_empty() {
            // Not readable yet (or already gone): look again.
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        for pid in workers_of(proclab) {
            // A fork of proclab's fork server has proclab's own command line; an executed
            // program would have its own.
            if let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline"))
                && !cmdline.is_empty()
            {
                assert_eq!(cmdline, own, "worker {pid}");
                checked.insert(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(child.wait().unwrap().success());
    // The fork server may be seen too, in the moment before it renames itself: it is a fork
    // of proclab as well.
    assert!(
        checked.len() >= 2,
        "both workers were seen as proclab's children ({looks} looks, {checked:?})"
    );
}

#[test]
fn a_pools_workers_all_run_before_its_first_task_starts() {
    for lesson in ["pool-sleep", "pool-pids"] {
        let events = run_json(&[lesson, "--speed", "10"]);
        let spawned: Vec<f64> = of_kind(&events, "spawned")
            .iter()
            .map(|e| e["t_ms"].as_f64().unwrap())
            .collect();
        let first_task = of_kind(&events, "task_started")
            .iter()
            .map(|e| e["t_ms"].as_f64().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!(spawned.len() >= 2, "{lesson}");
        assert!(
            spawned.iter().all(|&t| t <= first_task),
            "{lesson}: workers said hello at {spawned:?}, the first task began at {first_task}"
        );
    }
}

#[test]
fn in_pool_pids_both_workers_take_items_in_some_runs() {
    // Which worker takes which item is a real race: it varies from run to run. Python's Pool()
    // on the 2-core test machine uses both workers in most runs, and so does proclab (see the
    // README's Performance section); here, at least once in twenty.
    let both = (0..20).any(|_| {
        let events = run_json(&["pool-pids", "--workers", "2"]);
        let pids: BTreeSet<u64> = of_kind(&events, "task_finished")
            .iter()
            .map(|e| e["pid"].as_u64().unwrap())
            .collect();
        pids.len() == 2
    });
    assert!(both, "one worker took all five items in 20 of 20 runs");
}

#[test]
fn a_reader_that_falls_behind_on_printed_output_holds_the_worker_back_and_says_so() {
    // A million printed lines while nobody reads for a second: past a few MiB waiting, proclab
    // stops reading the worker's output (the worker waits on its full pipe) instead of
    // growing, and a notice says how long the worker's output was held back.
    let mut child = Command::new(PROCLAB)
        .args(["--lessons", "tests/lessons", "run", "flood", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let notices: Vec<String> = text
        .lines()
        .filter(|line| line.contains("\"notice\""))
        .map(str::to_string)
        .collect();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("printed-output back-pressure")),
        "{notices:?}"
    );
    let outputs = text.matches("\"event\":\"output\"").count();
    assert_eq!(outputs, 1_000_001, "every line is still told");
}
