//! four-prints: 3 2 1 7 is the most common order but not the only one, the parent's line is last
//! only because of the joins, and buffering decides when and how the lines of A and B arrive.

use std::collections::HashMap;
use std::time::Duration;

use crate::support::{Program, Ran, Run, at_once, oldest_and_newest, says, text};

const LESSON: &str = "four-prints";

/// Each run's printed lines, the children's and the parent's, in the order they arrived.
fn orders(runs: &[Run]) -> Vec<Vec<String>> {
    runs.iter()
        .map(|run| {
            run.kind("output")
                .iter()
                .map(|e| text(e).to_string())
                .collect()
        })
        .collect()
}

#[test]
fn three_two_one_seven_is_the_most_common_order_but_not_the_only_one_and_the_parent_is_last() {
    says(LESSON, "You most likely saw `3 2 1 7`.");
    says(
        LESSON,
        "One line never moves: **the parent's line is always last**.",
    );
    let runs = Run::repeated(LESSON, 100, &[]);
    assert_eq!(runs.len(), 100);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for lines in orders(&runs) {
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert_eq!(lines[4], "parent: all four children finished");
        *counts.entry(lines[..4].join(" ")).or_default() += 1;
    }
    let start_order = counts.get("3 2 1 7").copied().unwrap_or(0);
    assert!(
        counts.values().all(|&n| n <= start_order) && start_order >= 30,
        "3 2 1 7 is not the most common order: {counts:?}"
    );
    // Measured: 49 to 85 of 100 runs in start order; all 100 alike would be a 1 in 10^4 event.
    assert!(start_order < 100, "no other order in 100 runs: {counts:?}");
}

#[test]
fn without_the_joins_the_parents_line_comes_before_some_childs() {
    says(
        LESSON,
        "Now the parent's line can come before some or all of the children's.",
    );
    let runs = Run::repeated(LESSON, 20, &["--set", "join=0"]);
    let early = orders(&runs)
        .iter()
        .filter(|lines| !lines.last().is_some_and(|l| l.starts_with("parent:")))
        .count();
    assert!(
        early > 0,
        "the parent's line was last in all 20 runs without joins"
    );
}

#[test]
fn line_buffered_lines_arrive_as_printed_and_block_buffered_ones_together_at_the_exit() {
    says(
        LESSON,
        "in the third stage nothing comes until a process exits, and then all three of its lines come together",
    );
    // At speed 2 the lines are printed 0.1 s apart.
    let run = Run::of(LESSON, &["--speed", "2"]);
    for stage in [1, 2] {
        let outputs = run.in_stage("output", stage);
        for child in ["A", "B"] {
            let times: Vec<f64> = outputs
                .iter()
                .filter(|e| text(e).starts_with(child))
                .map(|e| e["t_ms"].as_f64().unwrap())
                .collect();
            assert_eq!(times.len(), 3, "stage {stage}: {outputs:?}");
            let spread = times[2] - times[0];
            if stage == 1 {
                assert!(
                    spread > 150.0,
                    "line-buffered {child} lines came within {spread} ms"
                );
            } else {
                assert!(
                    spread < 50.0,
                    "block-buffered {child} lines came {spread} ms apart"
                );
            }
        }
    }
}

/// `program.py`'s part 2 lines (A and B), as they arrived.
fn part_two(ran: &Ran) -> Vec<String> {
    ran.lines
        .iter()
        .map(|(_, l)| l.clone())
        .filter(|l| l.len() == 2 && (l.starts_with('A') || l.starts_with('B')))
        .collect()
}

/// Whether each child's three lines came one after another.
fn grouped(lines: &[String]) -> bool {
    lines.len() == 6 && lines[..3].iter().all(|l| l[..1] == lines[0][..1])
}

#[test]
fn program_py_groups_each_childs_lines_into_a_pipe_and_interleaves_them_on_a_terminal_or_with_flush()
 {
    says(
        LESSON,
        "python3 program.py | cat    # a pipe: A0 A1 A2 B0 B1 B2, all at once after 0.6 s",
    );
    says(
        LESSON,
        "Add `flush=True` to the `print` in `three_lines` and the piped run interleaves too",
    );
    let pythons = oldest_and_newest();
    let ways: Vec<(usize, &str)> = (0..pythons.len())
        .flat_map(|p| [(p, "pipe"), (p, "terminal"), (p, "flush")])
        .collect();
    at_once(&ways, |&(p, way)| {
        let python = &pythons[p];
        let mut program = Program::of(LESSON);
        if way == "flush" {
            program = program.edit(
                r#"print(f"{name}{i}")"#,
                r#"print(f"{name}{i}", flush=True)"#,
            );
        }
        let limit = Duration::from_secs(30);
        let command = program.command(python, &[]);
        let ran = match way {
            "terminal" => Ran::in_terminal(command, limit),
            _ => Ran::of(command, limit),
        };
        let what = format!("Python {} program.py, {way}", python.version());
        ran.assert_ok(&what);
        let lines = part_two(&ran);
        assert_eq!(lines.len(), 6, "{what}: {}", ran.stdout());
        assert_eq!(grouped(&lines), way == "pipe", "{what}: {lines:?}");
        assert_eq!(
            ran.lines.last().unwrap().1,
            "parent: A and B finished",
            "{what}"
        );
    });
}
