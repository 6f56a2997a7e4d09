//! crashes-and-exit-codes: four endings give 0, 3, 101 and SIGKILL, three tasks are lost, the
//! pool replaces B's worker and finishes the rest; `program.py` shows Python's numbers, and
//! without a timeout its map waits forever.

use std::time::Duration;

use crate::support::{Program, Ran, Run, at_once, num, oldest_and_newest, says};

const LESSON: &str = "crashes-and-exit-codes";

#[test]
fn four_endings_give_0_3_101_and_sigkill_and_only_ok_delivers() {
    says(
        LESSON,
        "The report's exit column shows **exit code 0**, **exit code 3**, **exit code 101** and **killed by SIGKILL (9)**.",
    );
    says(
        LESSON,
        "The report also lists the tasks of `exit3`, `panic` and `kill` as **lost**",
    );
    says(
        LESSON,
        "proclab saw its worker die, started a **replacement**, and reported **B as lost**",
    );
    let run = Run::of(LESSON, &["--speed", "10"]);
    let endings: Vec<(serde_json::Value, serde_json::Value)> = run
        .kind("exited")
        .iter()
        .filter(|e| num(e, "worker") < 4)
        .map(|e| (e["code"].clone(), e["signal"].clone()))
        .collect();
    let mut endings: Vec<String> = endings.iter().map(|(c, s)| format!("{c}/{s}")).collect();
    endings.sort();
    assert_eq!(endings, ["0/null", "101/null", "3/null", "null/9"]);
    let lost: Vec<&str> = run
        .kind("task_lost")
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert_eq!(lost.len(), 4, "{lost:?}");
    for label in ["exit3", "panic", "kill", "B"] {
        assert!(lost.contains(&label), "{label} not lost: {lost:?}");
    }
    let results = run.finished()["results"].as_array().unwrap().clone();
    assert_eq!(
        results[..8],
        serde_json::json!([49, null, null, null, "A", null, "C", "D"])
            .as_array()
            .unwrap()[..]
    );
    let pool: Vec<u64> = run
        .kind("spawned")
        .iter()
        .filter(|e| num(e, "stage") == 1)
        .map(|e| num(e, "pid"))
        .collect();
    assert_eq!(pool.len(), 3, "two workers and B's replacement: {pool:?}");
}

#[test]
fn program_py_reports_0_3_1_and_minus_9_times_out_on_the_lost_task_and_breaks_the_executor() {
    says(LESSON, "The program itself ends normally, with exit code 0");
    at_once(&oldest_and_newest(), |python| {
        let ran = Program::of(LESSON).run(python, &[], Duration::from_secs(60));
        let out = ran.stdout();
        for (name, code) in [
            ("ok", "0"),
            ("exit_3", "3"),
            ("raise_error", "1"),
            ("kill_myself", "-9"),
        ] {
            let line = ran.line(&format!("  {name} "));
            assert!(
                line.contains(&format!("exitcode {code:>3}:")),
                "Python {}: {line}",
                python.version()
            );
        }
        assert!(out.contains("no results after 3 s"), "{out}");
        assert!(out.contains("raised BrokenProcessPool"), "{out}");
    });
}

#[test]
fn without_the_timeout_program_py_never_finishes() {
    says(
        LESSON,
        "replace `pending.get(timeout=3)` with `pending.get()`, which waits as long as `map` would, and run it: it never finishes.",
    );
    let python = oldest_and_newest().pop().unwrap();
    let program = Program::of(LESSON).edit("pending.get(timeout=3)", "pending.get()");
    // The original gives up after 3 s; this one is still waiting 5 s later.
    let ran = Ran::of(program.command(&python, &[]), Duration::from_secs(9));
    assert!(ran.status.is_none(), "it ended: {}", ran.stdout());
    assert!(ran.stdout().contains("Part 2"), "{}", ran.stdout());
    assert!(!ran.stdout().contains("Part 3"), "{}", ran.stdout());
}
