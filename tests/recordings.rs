//! Reading recordings back: every bad recording in `tests/bad-recordings/` gets exactly the
//! message its `.expected` file holds (file, line, column, the field and what a run can hold)
//! from both `export` and `replay`, before anything is allocated for it; every lesson's
//! recording and a trace's read back; a recording has no size limit of its own.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::proclab;

fn stderr_of(args: &[&str]) -> (Option<i32>, String) {
    let output = proclab(args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn each_bad_recording_gets_its_exact_message_from_export_and_replay() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir("tests/bad-recordings")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let expected = std::fs::read_to_string(case.with_extension("expected")).unwrap();
        for command in ["export", "replay"] {
            let (code, stderr) = stderr_of(&[command, case.to_str().unwrap()]);
            if code != Some(1) || stderr != expected {
                failures.push(format!(
                    "proclab {command} {}: exit {code:?}\n  expected {expected:?}\n  got      {stderr:?}",
                    case.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_recording_that_cannot_be_read_says_why_once() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink("tests/fixtures/pool-sleep.jsonl", &link).unwrap();
    for (path, reason) in [
        (link.as_path(), "is a symbolic link"),
        (dir.path(), "is not a regular file"),
    ] {
        let (code, stderr) = stderr_of(&["export", path.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(stderr.matches(reason).count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("error: {}: ", path.display())),
            "{stderr}"
        );
    }
}

#[test]
fn every_lessons_recording_and_a_traces_read_back() {
    let list = proclab(&["list"]);
    let ids: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for id in &ids {
        let file = dir.path().join(format!("{id}.jsonl"));
        let file = file.to_str().unwrap();
        // A run stopped by its time limit still leaves a whole recording.
        proclab(&["run", id, "--speed", "50", "--record", file]);
        let (code, stderr) = stderr_of(&["export", file]);
        if code != Some(0) {
            failures.push(format!("{id}: {stderr}"));
        }
    }
    let file = dir.path().join("trace.jsonl");
    let file = file.to_str().unwrap();
    let traced = proclab(&[
        "trace",
        "--record",
        file,
        "--",
        "sh",
        "-c",
        "echo hi & wait",
    ]);
    assert!(traced.status.success());
    let (code, stderr) = stderr_of(&["export", file]);
    if code != Some(0) {
        failures.push(format!("trace: {stderr}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Writes the fixed pool-sleep recording to `path` with `padding` bytes of blank lines after
/// its first event.
fn padded_recording(path: &Path, padding: usize) {
    let text = std::fs::read_to_string("tests/fixtures/pool-sleep.jsonl").unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "{first}").unwrap();
    let blank = format!("{}\n", " ".repeat(1024 * 1024 - 1));
    for _ in 0..padding.div_ceil(blank.len()) {
        file.write_all(blank.as_bytes()).unwrap();
    }
    file.write_all(rest.as_bytes()).unwrap();
}

#[test]
fn a_recording_larger_than_256_mib_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    padded_recording(&path, 257 * 1024 * 1024);
    assert!(std::fs::metadata(&path).unwrap().len() > 256 * 1024 * 1024);
    let output = proclab(&["export", path.to_str().unwrap(), "--format", "text"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("completion: B C A D"), "{stdout}");
}

/// The recording of a valid lesson of five stages of 200,000 items (about 280 MB) plays back
/// and exports. Slow in a debug build: `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn the_recording_of_a_million_task_lesson_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("five-big");
    std::fs::create_dir(&lesson).unwrap();
    let stage = "[[stage]]\nkind = \"pool\"\nworkers = 2\nitems = { fn = \"square\", from = 1, to = 200000 }\n\n";
    std::fs::write(
        lesson.join("lesson.toml"),
        format!(
            "format_version = 1\nid = \"five-big\"\ntitle = \"Five big stages\"\nsummary = \"Squares.\"\ntime_limit_s = 600\n\n{}",
            stage.repeat(5)
        ),
    )
    .unwrap();
    std::fs::write(lesson.join("narrative.md"), "# Big\n").unwrap();
    std::fs::write(lesson.join("program.py"), "print(1)\n").unwrap();
    let file = dir.path().join("big.jsonl");
    let lessons = dir.path().to_str().unwrap();
    let file = file.to_str().unwrap();
    let run = proclab(&["--lessons", lessons, "run", "five-big", "--record", file]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(std::fs::metadata(file).unwrap().len() > 256 * 1024 * 1024);
    let export = proclab(&["--lessons", lessons, "export", file]);
    let text = String::from_utf8_lossy(&export.stdout);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(text.contains("(1000000 in all)"), "{text}");
    let recording = proclab::recording::Recording::read(Path::new(file)).unwrap();
    assert!(recording.events().len() > 2_000_000);
}
