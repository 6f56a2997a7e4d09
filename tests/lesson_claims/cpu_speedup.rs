//! cpu-speedup: `program.py`'s try-this edits run (a serial part of 0 once raised
//! ZeroDivisionError), and a serial half caps Amdahl's limit at 2.

use std::time::Duration;

use std::collections::BTreeMap;

use crate::support::{
    Program, Ran, Run, at_once, num, numbers, oldest_and_newest, on_one_core, says,
};

const LESSON: &str = "cpu-speedup";

#[test]
fn program_py_runs_with_no_serial_part_with_a_serial_half_and_with_spawn() {
    says(
        LESSON,
        "In `program.py`, set `SERIAL_SECONDS = 0` and run it again",
    );
    says(
        LESSON,
        "Then set it to `1.0`, half of all the work, and watch the speedup stay below 2",
    );
    says(
        LESSON,
        "`python3 program.py spawn` starts them the way macOS and Windows",
    );
    says(
        LESSON,
        "`taskset -c 0 python3 program.py`: the program may use one core only. The ideal column says 1 everywhere",
    );
    let pythons = oldest_and_newest();
    let cases: Vec<(usize, &str)> = (0..pythons.len())
        .map(|p| (p, "0"))
        .chain(["spawn", "one core", "1.0"].map(|case| (pythons.len() - 1, case)))
        .collect();
    at_once(&cases, |&(p, case)| {
        let python = &pythons[p];
        // A shorter parallel part keeps the test short, except where the serial part must be
        // half of the work.
        let mut program = Program::of(LESSON);
        if case != "1.0" {
            program = program.edit("PARALLEL_SECONDS = 1.0", "PARALLEL_SECONDS = 0.2");
        }
        let mut args = Vec::new();
        match case {
            "spawn" => args.push("spawn"),
            "one core" => {}
            serial => {
                program = program.edit(
                    "SERIAL_SECONDS = 0.125",
                    &format!("SERIAL_SECONDS = {serial}"),
                )
            }
        }
        let mut command = program.command(python, &args);
        if case == "one core" {
            on_one_core(&mut command);
        }
        let ran = Ran::of(command, Duration::from_secs(90));
        ran.assert_ok(&format!("Python {} program.py, {case}", python.version()));
        let what = format!("Python {} program.py, {case}", python.version());
        let limit = ran.line("Amdahl's limit");
        match case {
            "0" => assert!(limit.contains("none"), "{what}: {limit}"),
            "1.0" => assert!(limit.contains("at most 2.0x"), "{what}: {limit}"),
            "spawn" => assert!(ran.stdout().contains("start method: spawn"), "{what}"),
            _ => {
                assert!(
                    ran.line("cores available")
                        .starts_with("cores available: 1;"),
                    "{what}"
                );
                // One core: the ideal column is 1 everywhere. (The measured speedups are about 1 on an
                // idle machine; other tests' processes on that core make them anything.)
                for row in ran
                    .lines
                    .iter()
                    .map(|(_, l)| numbers(l))
                    .filter(|n| n.len() == 5)
                {
                    assert_eq!(row[3], 1.0, "{what}: {row:?}");
                }
            }
        }
        // One row per worker count, each with a time and a speedup.
        let rows = ran
            .lines
            .iter()
            .filter(|(_, l)| numbers(l).len() == 5)
            .count();
        assert!(rows >= 2, "{what}:\n{}", ran.stdout());
    });
}

/// T(N) of the sweep: each worker count's serial part and parallel part, in milliseconds.
fn sweep(run: &Run) -> BTreeMap<u64, f64> {
    let mut total = BTreeMap::new();
    for started in run.kind("stage_started") {
        let workers = num(started, "sweep_workers");
        *total.entry(workers).or_insert(0.0) += run.wall_ms(num(started, "stage"));
    }
    total
}

#[test]
#[cfg_attr(debug_assertions, ignore = "times need a release build")]
fn the_speedup_rises_up_to_the_cores_and_then_stops_rising() {
    says(
        LESSON,
        "It rises while N is at most the number of cores **C**, and then it stops rising.",
    );
    // At speed 4: 0.125 s serial and 1 s of parallel work.
    let run = Run::of(LESSON, &["--speed", "4"]);
    let cores = run.cores();
    let times = sweep(&run);
    assert!(
        times.contains_key(&cores) && times.len() as u64 > cores,
        "{times:?}"
    );
    let speedup = |n: u64| times[&1] / times[&n];
    if cores > 1 {
        assert!(speedup(cores) > 1.3, "{times:?}");
    }
    let beyond = *times.keys().last().unwrap();
    assert!(speedup(beyond) < speedup(cores) * 1.15, "{times:?}");
}
