//! Lines and titles follow the knobs (issue 14): with `--set join=0` the parent does not claim to
//! have joined its children, and a stage's title names the pool size the run really uses.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{PROCLAB, proclab};
use serde_json::Value;

fn report(args: &[&str]) -> String {
    let output = proclab(args);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "proclab {args:?}:\n{text}");
    text
}

/// The parent's own lines of a headless run's report (the output section tags them with the
/// parent's PID; the words are what matters here).
fn parent_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.contains("parent:"))
        .collect()
}

#[test]
fn without_joins_the_parent_does_not_say_it_joined() {
    let joined = report(&["run", "process-create", "--speed", "20"]);
    let lines = parent_lines(&joined);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("parent: both children joined, done")),
        "{joined}"
    );
    let skipped = report(&["run", "process-create", "--speed", "20", "--set", "join=0"]);
    let lines = parent_lines(&skipped);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("parent: done, without joining the children")),
        "{skipped}"
    );
    assert!(!skipped.contains("joined"), "{skipped}");
}

#[test]
fn four_prints_without_joins_does_not_say_the_children_finished() {
    let joined = report(&["run", "four-prints", "--speed", "20"]);
    assert!(
        joined.contains("parent: all four children finished"),
        "{joined}"
    );
    let skipped = report(&["run", "four-prints", "--speed", "20", "--set", "join=0"]);
    assert!(
        skipped.contains("parent: done, without waiting for the four children"),
        "{skipped}"
    );
    assert!(!skipped.contains("all four children finished"), "{skipped}");
}

/// The names of the first `count` stages of a `--json` run, read as they start; the run is
/// stopped once they are known.
fn stage_names(args: &[&str], count: usize) -> Vec<String> {
    let mut child = Command::new(PROCLAB)
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("proclab starts");
    let stdout = child.stdout.take().expect("piped");
    let mut names = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let event: Value = serde_json::from_str(&line.expect("a line")).expect("JSON");
        if event["event"] == "stage_started" {
            names.push(event["name"].as_str().expect("a name").to_string());
            if names.len() == count {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    names
}

#[test]
fn chunksize_titles_name_the_pool_size_used() {
    // At speed 1 the time limit is 120 s: the stages have no durations to scale anyway.
    let run = ["run", "chunksize", "--speed", "1"];
    let set = stage_names(&[&run[..], &["--set", "workers=4"]].concat(), 3);
    assert_eq!(
        set[1..],
        ["a pool of 2", "a pool of 4, Python's default chunksize"],
        "the workers knob changes its own stage, and its title says so: {set:?}"
    );
    let every = stage_names(&[&run[..], &["--workers", "3"]].concat(), 2);
    assert_eq!(every[1], "a pool of 3", "{every:?}");
}
