//! affinity: pinned to one core the workers take turns there (C times as long), spread one per
//! core they never migrate, and twice as many unpinned workers as cores migrate and take about
//! twice their CPU time; `program.py` on one core.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::{
    Program, Ran, Run, at_once, num, numbers, oldest_and_newest, on_one_core, says,
};

const LESSON: &str = "affinity";

/// The cores `stage`'s workers were seen on.
fn cores_seen(run: &Run, stage: u64) -> BTreeSet<u64> {
    let stages = run.stage_of_worker();
    run.events
        .iter()
        .filter(|e| {
            e["worker"]
                .as_u64()
                .is_some_and(|w| stages.get(&w) == Some(&stage))
        })
        .filter_map(|e| e["cpu"].as_u64())
        .collect()
}

#[test]
fn pinned_to_one_core_they_take_turns_spread_they_never_move_unpinned_two_per_core_they_do() {
    says(
        LESSON,
        "In **stage 1** one core did all the work while the others sat idle.",
    );
    says(
        LESSON,
        "the stage took about as many seconds as there are workers",
    );
    says(LESSON, "and the report shows **no migrations** at all");
    says(LESSON, "So the workers migrate, often many times");
    // At speed 8 each worker needs 1/8 s of CPU time.
    let run = Run::of(LESSON, &["--speed", "8"]);
    let cores = run.cores();
    assert_eq!(
        cores_seen(&run, 0).len(),
        1,
        "stage 1 ran on {:?}",
        cores_seen(&run, 0)
    );
    let one_core = run.wall_ms(0);
    assert!(
        one_core > 0.9 * cores as f64 * 125.0,
        "stage 1 took {one_core} ms"
    );
    assert_eq!(run.migrations(1), 0);
    let pins: BTreeSet<u64> = run
        .kind("spawned")
        .iter()
        .filter(|e| num(e, "stage") == 1)
        .map(|e| num(e, "pinned"))
        .collect();
    assert_eq!(
        pins.len() as u64,
        cores,
        "stage 2 pins one worker per core: {pins:?}"
    );
    if cores > 1 {
        // Whether and when the kernel moves a worker is its choice: of three runs, one shows it.
        let migrated = run.migrations(3) > 0
            || (0..2).any(|_| Run::of(LESSON, &["--speed", "8"]).migrations(3) > 0);
        assert!(
            migrated,
            "no migrations with two workers per core, in three runs"
        );
    }
    // Two workers per core: 2 × 125 ms of work per core, so a worker takes at least 1.5×.
    assert!(
        run.wall_ms(3) > 1.5 * 125.0,
        "stage 4 took {} ms",
        run.wall_ms(3)
    );
}

#[test]
fn program_py_on_one_core_finds_one_core_and_nothing_migrates() {
    says(
        LESSON,
        "so it finds one core and starts one worker (two in the last experiment), and none of them can migrate",
    );
    at_once(&oldest_and_newest(), |python| {
        let program = Program::of(LESSON).edit("CPU_SECONDS = 0.5", "CPU_SECONDS = 0.1");
        let mut command = program.command(python, &[]);
        on_one_core(&mut command);
        let ran = Ran::of(command, Duration::from_secs(60));
        let what = format!("taskset -c 0 python{} program.py", python.version());
        ran.assert_ok(&what);
        assert!(
            ran.line("cores this program may use")
                .contains("; 1 worker,"),
            "{what}"
        );
        let experiments: Vec<&str> = ran
            .lines
            .iter()
            .map(|(_, l)| l.as_str())
            .filter(|l| l.contains("core changes"))
            .collect();
        assert_eq!(experiments.len(), 4, "{what}");
        for line in &experiments {
            let values = numbers(line);
            assert_eq!(values[values.len() - 1], 0.0, "{what}: {line}");
        }
        assert!(
            experiments[3].starts_with("2 not pinned"),
            "{what}: {}",
            experiments[3]
        );
    });
}
