//! The command line: listing, bad input, no terminal, and interruption with real processes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

fn stderr_of(args: &[&str]) -> (Option<i32>, String) {
    let output = proclab(args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn list_shows_the_six_worksheet_lessons_in_order() {
    let output = proclab(&["list"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        &ids[..6],
        [
            "what-is-multiprocessing",
            "processes-vs-threads",
            "process-create",
            "pool-sleep",
            "pool-pids",
            "four-prints"
        ]
    );
}

#[test]
fn an_unknown_lesson_suggests_the_closest_id() {
    let (code, stderr) = stderr_of(&["run", "pool-slep"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("no lesson with id \"pool-slep\": did you mean \"pool-sleep\"?"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_name_the_flag_and_the_allowed_values() {
    for (args, needle) in [
        (
            vec!["run", "pool-sleep", "--speed", "0"],
            "'--speed <X>': must be a number from 0.1 to 1000000",
        ),
        (
            vec!["run", "pool-sleep", "--speed", "fast"],
            "'--speed <X>': must be a number from 0.1 to 1000000",
        ),
        (vec!["run", "pool-sleep", "--speed", "-1"], "--speed"),
        (
            vec!["run", "pool-sleep", "--workers", "0"],
            "'--workers <N>': 0 is not in 1..=256",
        ),
        (
            vec!["run", "pool-sleep", "--workers", "300"],
            "'--workers <N>': 300 is not in 1..=256",
        ),
        (
            vec!["run", "pool-sleep", "--set", "chunksize"],
            "'--set <NAME=VALUE>': must look like NAME=VALUE",
        ),
        (
            vec!["run", "four-prints", "--repeat", "0"],
            "'--repeat <N>': 0 is not in 1..=1000",
        ),
    ] {
        let (code, stderr) = stderr_of(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn knob_values_are_checked_against_the_lesson() {
    let (code, stderr) = stderr_of(&["run", "pool-sleep", "--set", "chunksize=99"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--set chunksize=99: out of range, use 1 to 4"),
        "{stderr}"
    );
    let (code, stderr) = stderr_of(&["run", "pool-sleep", "--set", "colour=1"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--set colour: this lesson has no such knob; it has: workers (1..4)"),
        "{stderr}"
    );
}

#[test]
fn the_ui_without_a_terminal_points_at_run() {
    for args in [vec![], vec!["open", "pool-sleep"]] {
        let output = Command::new(PROCLAB)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("proclab run "), "{stderr}");
    }
}

/// Starts a long run, waits until its workers exist, and returns (proclab, worker PIDs).
fn start_long_run() -> (
    std::process::Child,
    Vec<u64>,
    BufReader<std::process::ChildStdout>,
) {
    let mut child = Command::new(PROCLAB)
        .args(["run", "pool-sleep", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut pids = Vec::new();
    let mut line = String::new();
    while pids.len() < 2 {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the run ended early"
        );
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["event"] == "spawned" {
            pids.push(event["pid"].as_u64().unwrap());
        }
    }
    (child, pids, reader)
}

fn gone(pid: u64) -> bool {
    proc_state(pid).is_none()
}

#[test]
fn sigint_and_sigterm_stop_the_run_and_reap_every_worker() {
    for signal in [
        nix::sys::signal::SIGINT,
        nix::sys::signal::SIGTERM,
        nix::sys::signal::SIGHUP,
    ] {
        let (mut child, pids, reader) = start_long_run();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{signal}");
        let last = reader.lines().map(Result::unwrap).last().unwrap();
        assert!(last.contains("\"stopped\":true"), "{last}");
        assert!(
            eventually(1.0, || pids.iter().all(|&p| gone(p))),
            "{signal}: workers {pids:?} remain"
        );
    }
}

#[test]
fn workers_die_with_proclab_even_when_it_is_killed() {
    become_subreaper();
    let (mut child, pids, _reader) = start_long_run();
    // A stopped worker must not survive either.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pids[0] as i32),
        nix::sys::signal::SIGSTOP,
    )
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        eventually(1.0, || pids.iter().all(|&p| dead_and_reaped(p))),
        "workers {pids:?} outlived proclab"
    );
}

#[test]
fn bench_measures_every_comparison() {
    let output = proclab(&[
        "bench",
        "--rounds",
        "1",
        "--spawns",
        "5",
        "--items",
        "2000",
        "--lesson-rounds",
        "0",
        "--race-runs",
        "1",
        "--trace-rounds",
        "0",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for needle in [
        "process-create",
        "four-prints",
        "chunksize 1",
        "chunksize default",
        "proclab worker",
        "shared-state: no lock lost updates in",
        "both workers took items in",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

/// proclab with `args`, its state folder in `state` (so no real progress file is read).
fn proclab_with_state(args: &[&str], state: &std::path::Path) -> std::process::Output {
    Command::new(PROCLAB)
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .expect("proclab runs")
}

#[test]
fn notes_without_a_terminal_print_every_note_of_the_lesson() {
    let state = tempfile::tempdir().unwrap();
    let output = proclab_with_state(&["notes", "pool-sleep"], state.path());
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("Instructor notes: A pool of two workers and jobs that sleep"));
    // The lesson-wide notes (lesson.toml) and a page's `::: notes` block (narrative.md).
    assert!(
        text.contains("Ask the room for the last job and the total time"),
        "{text}"
    );
    assert!(text.contains("Page 2 of 5: What happened"), "{text}");
    assert!(
        text.contains("Trace the busy lane with your finger"),
        "{text}"
    );
    // A learner never sees them: `run` prints no notes.
    let report = proclab(&["run", "pool-sleep", "--speed", "100"]);
    assert!(!String::from_utf8_lossy(&report.stdout).contains("::: notes"));
}

#[test]
fn notes_without_an_id_follow_the_last_lesson_shown_or_ask_for_one() {
    let state = tempfile::tempdir().unwrap();
    let (code, err) = {
        let output = proclab_with_state(&["notes"], state.path());
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(1));
    assert!(err.contains("name the lesson: proclab notes <id>"), "{err}");
    std::fs::create_dir_all(state.path().join("proclab")).unwrap();
    std::fs::write(
        state.path().join("proclab/progress.json"),
        r#"{"last":{"lesson":"cpu-speedup","page":1}}"#,
    )
    .unwrap();
    let output = proclab_with_state(&["notes"], state.path());
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("Instructor notes: CPU-bound work"),
        "{text}"
    );
}

#[test]
fn watch_needs_lessons_and_a_lesson_from_them() {
    let (code, err) = stderr_of(&["open", "pool-sleep", "--watch"]);
    assert_eq!(code, Some(2), "a usage error");
    assert!(err.contains("--watch needs --lessons DIR"), "{err}");
    let (code, err) = stderr_of(&["notes", "pool-slep"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("did you mean \"pool-sleep\"?"), "{err}");
}

#[test]
fn arguments_that_are_not_utf8_get_a_message_not_a_panic() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let bad = OsStr::from_bytes(b"\xff");
    let run = |args: &[&OsStr]| {
        let output = Command::new(PROCLAB)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.code(), text)
    };
    // An id must be text: a usage error, exit 2.
    for command in ["run", "open", "notes", "new"] {
        let (code, text) = run(&[OsStr::new(command), bad]);
        assert_eq!(code, Some(2), "{command}: {text}");
        assert!(text.contains("invalid UTF-8"), "{command}: {text}");
    }
    // A path may be any bytes: the file is looked for, and named.
    let (code, text) = run(&[OsStr::new("check"), bad]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("\u{fffd}: does not exist"), "{text}");
    let (code, text) = run(&[OsStr::new("export"), bad]);
    assert_eq!(code, Some(1), "{text}");
    // So may a traced command and its arguments.
    let (code, text) = run(&[OsStr::new("trace"), OsStr::new("--"), bad]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("command not found"), "{text}");
    let (code, text) = run(&[
        OsStr::new("trace"),
        OsStr::new("--"),
        OsStr::new("echo"),
        bad,
    ]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_recording_that_cannot_be_written_stops_a_run_and_a_trace_alike() {
    for args in [
        vec![
            "run",
            "pool-sleep",
            "--speed",
            "20",
            "--record",
            "/dev/full",
        ],
        vec![
            "trace",
            "--record",
            "/dev/full",
            "--",
            "sh",
            "-c",
            "echo hi",
        ],
    ] {
        let (code, stderr) = stderr_of(&args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write the recording /dev/full: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_recording_killed_halfway_leaves_a_temporary_file_the_next_one_removes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let mut child = Command::new(PROCLAB)
        .args(["run", "pool-sleep", "--record", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".proclab-"))
            .collect()
    };
    let started = std::time::Instant::now();
    while temporaries().is_empty() {
        assert!(started.elapsed().as_secs() < 20, "no temporary file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = temporaries();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with(&format!(".proclab-{}-", child.id())),
        "{left:?}"
    );
    let output = proclab(&[
        "run",
        "pool-sleep",
        "--speed",
        "20",
        "--record",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert!(temporaries().is_empty(), "{:?}", temporaries());
    assert!(path.is_file());
}

/// Threads announce their tasks' starts in any order and finish in another (here C, B, A
/// sleep 0.1, 0.2, 0.3 s): each task still starts once. (The engine once remembered only the
/// last start a process announced, so every other thread's task started twice.)
#[test]
fn each_threads_task_starts_once_whatever_order_the_threads_finish_in() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("threads");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("lesson.toml"),
        "format_version = 1\nid = \"threads\"\ntitle = \"t\"\nsummary = \"s\"\n\n\
         [[stage]]\nkind = \"threads\"\nworkers = 3\ntasks = [\n  \
         { label = \"A\", fn = \"sleep\", secs = 0.3 },\n  \
         { label = \"B\", fn = \"sleep\", secs = 0.2 },\n  \
         { label = \"C\", fn = \"sleep\", secs = 0.1 },\n]\n",
    )
    .unwrap();
    std::fs::write(folder.join("narrative.md"), "Some text.\n").unwrap();
    std::fs::write(folder.join("program.py"), "print(1)\n").unwrap();
    let events = run_json(&["threads", "--lessons", folder.to_str().unwrap()]);
    let started: Vec<u64> = of_kind(&events, "task_started")
        .iter()
        .map(|e| e["task"].as_u64().unwrap())
        .collect();
    let mut sorted = started.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1, 2], "task_started of tasks {started:?}");
    assert_eq!(of_kind(&events, "task_finished").len(), 3);
}
