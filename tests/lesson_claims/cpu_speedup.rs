//! cpu-speedup: `program.py`'s try-this edits run (a serial part of 0 once raised
//! ZeroDivisionError), and a serial half caps Amdahl's limit at 2.

use std::time::Duration;

use crate::support::{Program, at_once, numbers, oldest_and_newest, says};

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
    let pythons = oldest_and_newest();
    let cases: Vec<(usize, &str)> = (0..pythons.len())
        .flat_map(|p| [(p, "0"), (p, "spawn")])
        .chain([(pythons.len() - 1, "1.0")])
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
            serial => {
                program = program.edit(
                    "SERIAL_SECONDS = 0.125",
                    &format!("SERIAL_SECONDS = {serial}"),
                )
            }
        }
        let ran = program.run(python, &args, Duration::from_secs(90));
        let what = format!("Python {} program.py, {case}", python.version());
        let limit = ran.line("Amdahl's limit");
        match case {
            "0" => assert!(limit.contains("none"), "{what}: {limit}"),
            "1.0" => assert!(limit.contains("at most 2.0x"), "{what}: {limit}"),
            _ => assert!(ran.stdout().contains("start method: spawn"), "{what}"),
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
