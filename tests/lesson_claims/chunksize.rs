//! chunksize: the messages each stage sends (100,000, 8, 2 and 1; 16 with four workers; ten
//! times fewer per tenfold chunksize), and in `program.py` the plain loop beats every pool.

use std::time::Duration;

use serde_json::Value;

use crate::common::python::Python;
use crate::support::{Program, Ran, Run, at_once, num, numbers, oldest_and_newest, says};

const LESSON: &str = "chunksize";

/// The chunks each stage sent: its items over its chunksize, rounded up (one for no pool).
fn chunks(run: &Run) -> Vec<u64> {
    run.kind("stage_started")
        .iter()
        .map(|e| match e["chunksize"].as_u64() {
            Some(size) => num(e, "tasks").div_ceil(size),
            None => 1,
        })
        .collect()
}

/// Whether `event` starts `stage`: each stage says its chunksize when it starts, so the run
/// need not go on.
fn starts(stage: u64) -> impl Fn(&Value) -> bool {
    move |e| e["event"] == "stage_started" && e["stage"] == stage
}

#[test]
fn the_stages_send_100000_8_2_and_1_chunks_and_the_knobs_change_them_as_the_text_says() {
    says(
        LESSON,
        "chunksize 1 sends **100,000** chunks, the default sends **8** (chunks of 12,500), chunksize 50,000 sends **2**",
    );
    says(
        LESSON,
        "the third stage's default chunksize becomes 100,000 / 16 = 6,250, so it sends 16 chunks.",
    );
    says(
        LESSON,
        "the number of messages in the second stage falls by ten each time",
    );
    let run = Run::until(LESSON, &["--set", "chunksize=50000"], starts(3));
    let mut sent = chunks(&run);
    sent[1] = chunks(&Run::until(LESSON, &[], starts(1)))[1];
    assert_eq!(sent, [1, 100_000, 8, 2]);
    assert_eq!(num(run.kind("stage_started")[2], "chunksize"), 12_500);
    let four = Run::until(
        LESSON,
        &["--set", "workers=4", "--set", "chunksize=50000"],
        starts(2),
    );
    assert_eq!(num(four.kind("stage_started")[2], "chunksize"), 6_250);
    assert_eq!(chunks(&four)[2], 16);
    for (size, sent) in [("10", 10_000), ("100", 1_000), ("1000", 100)] {
        let run = Run::until(LESSON, &["--set", &format!("chunksize={size}")], starts(1));
        assert_eq!(chunks(&run)[1], sent);
    }
}

/// `program.py`'s milliseconds: the plain loop, then each map (chunksize 1, default, 50,000).
fn times(ran: &Ran) -> (f64, Vec<f64>) {
    let plain = numbers(ran.line("no pool, a plain loop"))[0];
    let maps = ran
        .lines
        .iter()
        .filter(|(_, l)| l.ends_with(" ms") && l.starts_with("  ") && !l.contains("chunksize"))
        .map(|(_, l)| *numbers(l).last().unwrap())
        .collect();
    (plain, maps)
}

/// One whole run of `program.py`: chunksize 1 loses to everything else by far.
fn chunksize_1_loses_by_far(python: &Python) {
    let ran = Program::of(LESSON).run(python, &[], Duration::from_secs(120));
    let what = format!("Python {}: {}", python.version(), ran.stdout());
    let (plain, maps) = times(&ran);
    let [one, default, big] = maps[..] else {
        panic!("three maps: {what}")
    };
    assert!(
        one > 10.0 * default.max(big) && one > 20.0 * plain,
        "{what}"
    );
}

/// The best of three runs of `program.py` without chunksize 1 (a few milliseconds apart, so
/// one run on a busy machine does not decide): the plain loop beats both pools.
fn the_plain_loop_beats_the_quick_maps(python: &Python) {
    let quick = Program::of(LESSON).edit("(1, None, 50_000)", "(None, 50_000)");
    let mut best = (f64::MAX, [f64::MAX; 2]);
    for _ in 0..3 {
        let (plain, maps) = times(&quick.run(python, &[], Duration::from_secs(60)));
        best.0 = best.0.min(plain);
        for (b, m) in best.1.iter_mut().zip(maps) {
            *b = b.min(m);
        }
    }
    let what = format!("Python {}: best {best:?}", python.version());
    assert!(best.0 < best.1[0] && best.0 < best.1[1], "{what}");
}

#[test]
fn in_program_py_chunksize_1_loses_by_far_and_the_plain_loop_beats_every_pool() {
    says(
        LESSON,
        "For `square`, the whole computation costs a few milliseconds in a plain loop, which is less than what the pool spends on sending, even in 8 chunks.",
    );
    says(
        LESSON,
        "At chunksize 1 it is worse by a factor of a hundred or more",
    );
    let pythons = oldest_and_newest();
    let newest = pythons.last().unwrap().minor;
    at_once(&pythons, |python| {
        if python.minor == newest {
            chunksize_1_loses_by_far(python);
        }
        the_plain_loop_beats_the_quick_maps(python);
    });
}

#[test]
fn program_py_runs_with_a_slower_square_and_with_spawn() {
    says(
        LESSON,
        "In `program.py`, make `square` slower, for example `return sum(range(n % 1000))`",
    );
    says(LESSON, "Then `python3 program.py spawn`");
    let newest = oldest_and_newest().pop().unwrap();
    at_once(&[true, false], |&slower| {
        let mut program = Program::of(LESSON);
        let mut args = vec![];
        if slower {
            // Fewer items keep chunksize 1 short; the slower square is what is tried.
            program = program
                .edit("return n * n", "return sum(range(n % 1000))")
                .edit("ITEMS = range(1, 100_001)", "ITEMS = range(1, 20_001)");
        } else {
            // Without chunksize 1, which spawn does not change.
            program = program.edit("(1, None, 50_000)", "(None, 50_000)");
            args.push("spawn");
        }
        let ran = program.run(&newest, &args, Duration::from_secs(120));
        assert!(times(&ran).1.len() >= 2, "{}", ran.stdout());
    });
}
