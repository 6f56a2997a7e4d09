//! pool-pids: `Pool()` has one worker per CPU (per CPU the process may use from 3.13, as in
//! proclab), `map` keeps the input order, and PIDs repeat when items outnumber workers.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;
use std::time::Duration;

use crate::common::PROCLAB;
use crate::support::{Program, Ran, Run, at_once, num, numbers, on_one_core, says};

const LESSON: &str = "pool-pids";

/// The PID that ran each item, by item label.
fn pid_of_item(run: &Run) -> HashMap<String, u64> {
    run.kind("task_finished")
        .iter()
        .map(|e| (e["label"].as_str().unwrap().to_string(), num(e, "pid")))
        .collect()
}

fn distinct_pids(run: &Run) -> usize {
    pid_of_item(run).values().collect::<BTreeSet<_>>().len()
}

#[test]
fn the_pool_has_one_worker_per_core_and_map_keeps_the_input_order() {
    says(LESSON, "The results are **[1, 4, 9, 16, 25]**, every time");
    says(LESSON, "You saw at most as many PIDs as there are workers");
    for run in [Run::of(LESSON, &[]), Run::of(LESSON, &["--workers", "8"])] {
        assert_eq!(
            run.finished()["results"],
            serde_json::json!([1, 4, 9, 16, 25])
        );
        let workers = run.kind("spawned").len();
        assert!(distinct_pids(&run) <= workers.min(5));
    }
    let run = Run::of(LESSON, &[]);
    assert_eq!(run.kind("spawned").len() as u64, run.cores());
}

#[test]
fn pinned_to_one_core_proclab_starts_a_pool_of_one() {
    says(
        LESSON,
        "(`taskset -c 0 proclab run pool-pids` gives a pool of one)",
    );
    let mut command = Command::new(PROCLAB);
    command.args(["run", LESSON, "--json"]);
    on_one_core(&mut command);
    let ran = Ran::of(command, Duration::from_secs(30));
    ran.assert_ok("taskset -c 0 proclab run pool-pids");
    let spawned = ran
        .lines
        .iter()
        .filter(|(_, l)| l.contains(r#""event":"spawned""#));
    assert_eq!(spawned.count(), 1);
}

#[test]
fn one_worker_or_one_chunk_means_one_pid_and_a_chunk_stays_on_its_worker() {
    says(
        LESSON,
        "`proclab run pool-pids --workers 1`: one worker, one PID, all five items.",
    );
    says(
        LESSON,
        "so a single worker runs every item, however big the pool",
    );
    says(
        LESSON,
        "Each chunk stays on one worker, so the items of a chunk always share a PID.",
    );
    assert_eq!(distinct_pids(&Run::of(LESSON, &["--workers", "1"])), 1);
    let whole = Run::of(LESSON, &["--workers", "4", "--set", "chunksize=5"]);
    assert_eq!(distinct_pids(&whole), 1);
    for _ in 0..3 {
        let pids = pid_of_item(&Run::of(LESSON, &["--set", "chunksize=2"]));
        assert_eq!(pids["1"], pids["2"]);
        assert_eq!(pids["3"], pids["4"]);
    }
}

/// The size `Pool()` really gives, read from the pool, not worked out as `program.py` does.
const POOL_SIZE: &str = "from multiprocessing import Pool

if __name__ == '__main__':
    with Pool() as pool:
        print(len(pool._pool))
";

#[test]
fn pinned_to_one_core_pool_has_one_worker_from_3_13_and_one_per_cpu_before() {
    says(
        LESSON,
        "on 3.13 that gives a pool of one worker, on 3.9 to 3.12 still one per CPU in the machine.",
    );
    let pythons = crate::common::python::pythons();
    // os.cpu_count(): the CPUs online, each a "processor" in /proc/cpuinfo.
    let cpus = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    at_once(&pythons, |python| {
        let expected = if python.minor >= 13 { 1 } else { cpus };
        let size = Program::written("size.py", POOL_SIZE);
        let mut command = size.script(python, "size.py", &[]);
        on_one_core(&mut command);
        let ran = Ran::of(command, Duration::from_secs(30));
        ran.assert_ok(&format!("taskset -c 0 python{} size.py", python.version()));
        assert_eq!(
            ran.stdout().trim(),
            expected.to_string(),
            "Python {}",
            python.version()
        );

        let program = Program::of(LESSON);
        let mut command = program.command(python, &[]);
        on_one_core(&mut command);
        let ran = Ran::of(command, Duration::from_secs(30));
        let what = format!("taskset -c 0 python{} program.py", python.version());
        ran.assert_ok(&what);
        let said = numbers(ran.line("default pool size here"))[1] as usize;
        assert_eq!(said, expected, "{what}");
        let pids = numbers(ran.line("different worker PIDs"))[1] as usize;
        assert!(pids <= expected, "{what}: {pids} PIDs");
        assert!(
            ran.stdout().contains("results: [1, 4, 9, 16, 25]"),
            "{what}"
        );
    });
}
