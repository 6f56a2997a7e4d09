//! shared-state: a plain counter stays 0 in the parent; shared memory without a lock loses
//! millions of updates, a different number each run; with a lock none, and it takes longer.

use std::time::Duration;

use crate::support::{Program, Ran, Run, at_once, numbers, oldest_and_newest, on_one_core, says};

const LESSON: &str = "shared-state";

/// The counters the parent reports after each stage, in order.
fn counters(run: &Run) -> Vec<u64> {
    run.parent_lines()
        .iter()
        .map(|line| numbers(line)[0] as u64)
        .collect()
}

#[test]
fn the_unlocked_counter_falls_short_by_millions_and_by_a_different_amount_each_run() {
    says(
        LESSON,
        "It fell short, by millions, and if you run the lesson again, it falls short by a different amount.",
    );
    says(
        LESSON,
        "Each ends with its own 200,000, and the parent's counter stays at 0.",
    );
    says(LESSON, "The locked stage gave exactly 800,000");
    let runs = [Run::of(LESSON, &[]), Run::of(LESSON, &[])];
    let mut shorts = Vec::new();
    for run in &runs {
        let [plain, unlocked, locked] = counters(run)[..] else {
            panic!("three parent lines: {:?}", run.parent_lines())
        };
        assert_eq!(plain, 0);
        for line in run.lines(0) {
            assert!(line.ends_with("is 200000"), "{line}");
        }
        assert!(
            unlocked < 80_000_000 - 1_000_000,
            "lost fewer than a million: {unlocked}"
        );
        shorts.push(unlocked);
        assert_eq!(locked, 800_000);
    }
    assert_ne!(
        shorts[0], shorts[1],
        "two runs lost the same number of updates"
    );
}

#[test]
fn one_process_alone_never_loses_an_update() {
    says(
        LESSON,
        "`proclab run shared-state --set workers=1`: one process alone in the unlocked stage never loses an update.",
    );
    let run = Run::of(LESSON, &["--set", "workers=1"]);
    assert_eq!(counters(&run)[1], 20_000_000);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "times need a release build")]
fn the_locked_stage_takes_longer_than_the_unlocked_one() {
    says(
        LESSON,
        "took longer than the unlocked one, although it did a hundred times fewer additions",
    );
    let mut longer = 0;
    for _ in 0..5 {
        let run = Run::of(LESSON, &[]);
        if run.wall_ms(2) > run.wall_ms(1) {
            longer += 1;
        }
    }
    assert!(
        longer >= 4,
        "the locked stage was longer in only {longer} of 5 runs"
    );
}

/// The count and the seconds on `program.py`'s line that starts with `what`.
fn measured(ran: &Ran, what: &str) -> (f64, f64) {
    let values = numbers(ran.line(what));
    (values[0], values[1])
}

#[test]
fn program_py_loses_updates_without_the_lock_even_on_one_core_and_the_queue_and_pool_are_quick() {
    says(
        LESSON,
        "The last two give the right answer, and in a small fraction of the locked version's time.",
    );
    says(
        LESSON,
        "`taskset -c 0 python3 program.py`: even on one core, the unlocked counter comes out short.",
    );
    let pythons = oldest_and_newest();
    let mut runs: Vec<(bool, usize)> = (0..pythons.len()).map(|p| (false, p)).collect();
    runs.push((true, pythons.len() - 1));
    at_once(&runs, |&(one_core, p)| {
        let program = Program::of(LESSON);
        let mut command = program.command(&pythons[p], &[]);
        if one_core {
            on_one_core(&mut command);
        }
        let ran = Ran::of(command, Duration::from_secs(60));
        let what = format!(
            "Python {} program.py (one core: {one_core})",
            pythons[p].version()
        );
        ran.assert_ok(&what);
        assert_eq!(measured(&ran, "a plain global").0, 0.0, "{what}");
        assert!(
            measured(&ran, "shared memory, no lock").0 < 800_000.0,
            "{what}"
        );
        assert!(measured(&ran, "Value's own lock").0 < 800_000.0, "{what}");
        let (locked, locked_s) = measured(&ran, "with get_lock()");
        assert_eq!(locked, 800_000.0, "{what}");
        for quick in ["(Queue)", "(Pool)"] {
            let (total, seconds) = measured(&ran, quick);
            assert_eq!(total, 800_000.0, "{what}");
            assert!(
                seconds < locked_s / 2.0,
                "{what}: {quick} took {seconds} s against {locked_s}"
            );
        }
    });
}
