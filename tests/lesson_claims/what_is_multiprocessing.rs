//! what-is-multiprocessing: one worker more than there are cores, so each gets a share of a
//! core, takes longer than its CPU time and moves between cores; `program.py` on one core.

use std::time::Duration;

use crate::support::{
    Program, Ran, Run, at_once, num, numbers, oldest_and_newest, on_one_core, says,
};

const LESSON: &str = "what-is-multiprocessing";

#[test]
fn one_more_worker_than_cores_each_takes_longer_than_its_cpu_time_and_they_migrate() {
    says(
        LESSON,
        "The live run starts **one worker more than there are cores**",
    );
    says(LESSON, "runs again, often on a **different core**");
    says(LESSON, "On average each worker gets **C/(C+1)** of a core");
    // At speed 4 each worker needs 0.5 s of CPU time.
    let run = Run::of(LESSON, &["--speed", "4"]);
    let cores = run.cores();
    let started = run.kind("task_started");
    assert_eq!(started.len() as u64, cores + 1);
    let mut slowdowns = Vec::new();
    for finished in run.kind("task_finished") {
        let task = num(finished, "task");
        let start = started.iter().find(|e| num(e, "task") == task).unwrap();
        let wall = finished["t_ms"].as_f64().unwrap() - start["t_ms"].as_f64().unwrap();
        slowdowns.push(wall / finished["cpu_ms"].as_f64().unwrap());
    }
    // The cores give C s of CPU time a second to C+1 workers: fair shares make it (C+1)/C
    // each, and no order of turns lets them all finish in their CPU time.
    let mean = slowdowns.iter().sum::<f64>() / slowdowns.len() as f64;
    assert!(mean > 1.0 + 0.2 / cores as f64, "slowdowns {slowdowns:?}");
    // Whether and when the kernel moves a worker is its choice: of three runs, one shows it.
    let migrated = run.migrations(0) > 0
        || (0..2).any(|_| Run::of(LESSON, &["--speed", "4"]).migrations(0) > 0);
    assert!(migrated, "no worker changed cores, in three runs");
}

#[test]
fn program_py_on_one_core_starts_two_workers_that_share_it_and_never_migrate() {
    says(
        LESSON,
        "so it starts 2 workers that must share one core. Each takes about 2×, and none can migrate.",
    );
    at_once(&oldest_and_newest(), |python| {
        let program = Program::of(LESSON).edit("CPU_SECONDS = 2.0", "CPU_SECONDS = 0.3");
        let mut command = program.command(python, &[]);
        on_one_core(&mut command);
        let ran = Ran::of(command, Duration::from_secs(60));
        let what = format!("taskset -c 0 python{} program.py", python.version());
        ran.assert_ok(&what);
        assert!(
            ran.line("cores available").contains("starting 2 workers"),
            "{what}"
        );
        let workers: Vec<&str> = ran
            .lines
            .iter()
            .map(|(_, l)| l.as_str())
            .filter(|l| l.trim_start().starts_with("pid "))
            .collect();
        assert_eq!(workers.len(), 2, "{what}");
        for worker in workers {
            // "pid P: W s wall for C s CPU = Rx, N core changes seen, cores [K]"
            let values = numbers(worker);
            assert!(values[3] > 1.5, "{what}: {worker}");
            assert_eq!(values[4], 0.0, "{what}: {worker}");
        }
    });
}
