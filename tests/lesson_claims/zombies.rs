//! zombies-and-orphans: A and B are zombies from their exits to the join at 2 s; the orphan's
//! parent changes from O to proclab, which reaps it; `program.py` shows both.

use std::time::Duration;

use crate::support::{Program, Run, at_once, num, oldest_and_newest, says};

const LESSON: &str = "zombies-and-orphans";

#[test]
fn a_and_b_are_zombies_until_the_join_and_the_orphan_is_adopted_by_proclab() {
    says(
        LESSON,
        "each child goes from `S` (sleeping in its work) to `Z` when it exits, and disappears when it is joined.",
    );
    says(LESSON, "A is a zombie for 1.5 s, B for 1 s.");
    says(
        LESSON,
        "the orphan's parent PID changes from **O's PID** to **proclab's**, and proclab reaps it when it exits.",
    );
    // At speed 4: A exits at 0.125 s, B at 0.25 s, the joins start at 0.5 s.
    let run = Run::of(LESSON, &["--speed", "4"]);
    let proclab = num(&run.events[0], "parent_pid");
    let at = |kind: &str, worker: u64| -> f64 {
        run.kind(kind)
            .iter()
            .find(|e| num(e, "worker") == worker)
            .map(|e| e["t_ms"].as_f64().unwrap())
            .unwrap_or_else(|| panic!("no {kind} of worker {worker}"))
    };
    let states = |worker: u64| -> Vec<(String, u64)> {
        run.kind("state")
            .iter()
            .filter(|e| num(e, "worker") == worker)
            .map(|e| (e["state"].as_str().unwrap().to_string(), num(e, "ppid")))
            .collect()
    };
    for (worker, zombie_ms) in [(0, 375.0), (1, 250.0)] {
        assert!(
            states(worker).iter().any(|(s, _)| s == "Z"),
            "{:?}",
            states(worker)
        );
        let waited = at("joined", worker) - at("exited", worker);
        assert!(
            waited > 0.8 * zombie_ms,
            "worker {worker} was joined {waited} ms after its exit"
        );
    }
    let orphan = run
        .kind("spawned")
        .into_iter()
        .find(|e| e["adopted"] == true)
        .expect("the orphan");
    let worker_o = num(orphan, "ppid");
    let parents: Vec<u64> = states(num(orphan, "worker"))
        .iter()
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(parents.first(), Some(&worker_o), "{parents:?}");
    assert_eq!(parents.last(), Some(&proclab), "{parents:?}");
    let reaped = run
        .kind("joined")
        .iter()
        .any(|e| num(e, "pid") == num(orphan, "pid"));
    assert!(reaped, "proclab did not reap the orphan");
}

#[test]
fn program_py_shows_a_zombie_an_orphan_adopted_elsewhere_and_one_adopted_by_the_script() {
    says(
        LESSON,
        "a zombie seen in `/proc` before the join; then an orphan, and the name of the process that adopted it",
    );
    at_once(&oldest_and_newest(), |python| {
        let ran = Program::of(LESSON).run(python, &[], Duration::from_secs(60));
        let what = format!("Python {}:\n{}", python.version(), ran.stdout());
        assert!(ran.line("before join").contains("state Z"), "{what}");
        assert!(ran.line("after join").contains("is gone"), "{what}");
        let lines: Vec<&str> = ran
            .lines
            .iter()
            .map(|(_, l)| l.as_str())
            .filter(|l| l.contains("is an orphan"))
            .collect();
        assert_eq!(lines.len(), 2, "{what}");
        assert!(!lines[0].contains("(this script)"), "{what}");
        assert!(lines[1].contains("(this script)"), "{what}");
        assert!(
            ran.line("this script reaped the orphan")
                .contains("exit code 0"),
            "{what}"
        );
    });
}
