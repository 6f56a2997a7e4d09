//! pool-sleep: two workers finish B, C, A, D in about 6 s against 11 s alone, map returns the
//! input order, and each knob the text suggests gives the time and the last job it says.

use std::time::Duration;

use crate::support::{Program, Run, at_once, oldest_and_newest, says};

const LESSON: &str = "pool-sleep";

/// Labels in completion order, the stage's seconds at speed 10 (as at speed 1), the results.
fn run(args: &[&str]) -> (Vec<String>, f64, serde_json::Value) {
    let mut all = vec!["--speed", "10"];
    all.extend_from_slice(args);
    let run = Run::of(LESSON, &all);
    let order = run
        .kind("task_finished")
        .iter()
        .map(|e| e["label"].as_str().unwrap().to_string())
        .collect();
    (
        order,
        run.wall_ms(0) / 100.0,
        run.finished()["results"].clone(),
    )
}

/// Asserts the declared `seconds`: never less, and less than a second more (at speed 1; the run is at speed 10).
fn takes(what: &str, measured: f64, seconds: f64) {
    assert!(
        (seconds - 0.05..seconds + 1.0).contains(&measured),
        "{what}: {measured} s, the text says {seconds}"
    );
}

#[test]
fn two_workers_finish_b_c_a_d_in_6_s_and_map_returns_a_b_c_d() {
    says(LESSON, "So the jobs finish in the order **B, C, A, D**.");
    says(
        LESSON,
        "The whole map takes about **6 s**, against 5 + 2 + 1 + 3 = **11 s**",
    );
    says(
        LESSON,
        "the **result order**, A B C D, which is what `map` returns.",
    );
    let (order, seconds, results) = run(&[]);
    assert_eq!(order, ["B", "C", "A", "D"]);
    takes("2 workers", seconds, 6.0);
    assert_eq!(results, serde_json::json!(["A", "B", "C", "D"]));
}

#[test]
fn the_knobs_give_the_times_and_last_jobs_the_text_says() {
    says(
        LESSON,
        "`proclab run pool-sleep --workers 1`: one worker runs everything in list order: **11 s**, and the jobs finish A, B, C, D.",
    );
    says(
        LESSON,
        "`proclab run pool-sleep --workers 4`: every job starts at once, and the longest one, A, finishes last at about **5 s**.",
    );
    says(
        LESSON,
        "With `--workers 3`, D waits only for C (1 s), runs from 1 s to 4 s, and the map still takes **5 s**",
    );
    says(
        LESSON,
        "the map takes **7 s**, longer than with chunks of one",
    );
    says(
        LESSON,
        "`proclab run pool-sleep --set task.D.secs=0.5`: D no longer ends last.",
    );
    let (order, seconds, _) = run(&["--workers", "1"]);
    assert_eq!(order, ["A", "B", "C", "D"]);
    takes("1 worker", seconds, 11.0);
    for workers in ["3", "4"] {
        let (order, seconds, _) = run(&["--workers", workers]);
        assert_eq!(order.last().unwrap(), "A", "{workers} workers: {order:?}");
        takes(&format!("{workers} workers"), seconds, 5.0);
    }
    let (order, seconds, _) = run(&["--set", "chunksize=2"]);
    assert_eq!(
        order.last().unwrap(),
        "B",
        "chunks [A, B] and [C, D]: {order:?}"
    );
    takes("chunksize 2", seconds, 7.0);
    let (order, _, _) = run(&["--set", "task.D.secs=0.5"]);
    assert_ne!(order.last().unwrap(), "D", "{order:?}");
}

#[test]
fn program_py_into_a_pipe_prints_each_line_as_it_happens_and_map_returns_the_input_order() {
    says(
        LESSON,
        "`flush=True`, used in `program.py`, empties the buffer after each print, so every line appears as it happens even through a pipe.",
    );
    at_once(&oldest_and_newest(), |python| {
        // A tenth of the sleeps; the order and the flushing are what is checked.
        let program = Program::of(LESSON).edit(
            r#"JOBS = [("A", 5), ("B", 2), ("C", 1), ("D", 3)]"#,
            r#"JOBS = [("A", 0.5), ("B", 0.2), ("C", 0.1), ("D", 0.3)]"#,
        );
        let ran = program.run(python, &[], Duration::from_secs(30));
        let what = format!("Python {}:\n{}", python.version(), ran.stdout());
        let done: Vec<(f64, char)> = ran
            .lines
            .iter()
            .filter(|(_, l)| l.contains(" done after "))
            .map(|(at, l)| (at.as_secs_f64(), l.chars().next().unwrap()))
            .collect();
        let order: String = done.iter().map(|(_, job)| *job).collect();
        assert_eq!(order, "BCAD", "{what}");
        // Through the pipe B's line came when B ended, well before A's.
        assert!(done[2].0 - done[0].0 > 0.2, "{what}");
        assert!(
            ran.line("results (input order)")
                .ends_with("['A', 'B', 'C', 'D']"),
            "{what}"
        );
    });
}
