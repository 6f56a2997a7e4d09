//! Exercises: every exercise under `lessons/` (built in) has a starting program that fails and a
//! solution that passes, on every CPython 3.9+ here; `proclab exercise …` exits as documented;
//! bad submissions get a clear verdict and leave nothing behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::PROCLAB;
use common::tracing::{have_python, pythons};
use serde_json::Value;

/// Runs proclab with `args`, its progress kept in `state` (never the tester's own).
fn proclab_in(state: &Path, args: &[&str]) -> Output {
    Command::new(PROCLAB)
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("PYTHONUNBUFFERED")
        .stdin(Stdio::null())
        .output()
        .expect("proclab runs")
}

/// `(lesson, exercise id, folder)` of every exercise under `lessons/`.
fn exercises() -> Vec<(String, String, PathBuf)> {
    let mut all = Vec::new();
    for lesson in std::fs::read_dir("lessons").unwrap().flatten() {
        let Ok(folders) = std::fs::read_dir(lesson.path().join("exercises")) else {
            continue;
        };
        for folder in folders.flatten() {
            let lesson = lesson.file_name().to_string_lossy().into_owned();
            let id = folder.file_name().to_string_lossy().into_owned();
            all.push((lesson, id, folder.path()));
        }
    }
    all.sort();
    all
}

/// The JSON verdict of `proclab exercise check id file --json --runs N --python P`.
fn verdict(state: &Path, id: &str, file: &Path, runs: u32, python: &Path) -> (Option<i32>, Value) {
    let output = proclab_in(
        state,
        &[
            "exercise",
            "check",
            id,
            file.to_str().unwrap(),
            "--json",
            "--runs",
            &runs.to_string(),
            "--python",
            python.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "{id} {}: not JSON ({e}): {text}\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), value)
}

/// Whether more is running than there are cores (the 1-minute load average): a timed check
/// (`speedup`, `wall_time`) then measures the others as much as the program.
fn busy() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .is_some_and(|load| load > cores)
}

fn failed_checks(verdict: &Value) -> Vec<String> {
    verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| format!("{}: {}", c["kind"], c["evidence"]))
        .collect()
}

#[test]
fn every_exercise_start_fails_and_its_solution_passes_on_every_python() {
    if !have_python("every_exercise_start_fails_and_its_solution_passes_on_every_python") {
        return;
    }
    let exercises = exercises();
    assert!(!exercises.is_empty(), "lessons/ holds exercises");
    let pythons = pythons();
    eprintln!(
        "{} exercises on Python {}",
        exercises.len(),
        pythons
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let state = tempfile::tempdir().unwrap();
    let threads: Vec<_> = pythons
        .into_iter()
        .map(|(version, python)| {
            let exercises = exercises.clone();
            let state = state.path().to_path_buf();
            std::thread::spawn(move || {
                let mut problems = Vec::new();
                for (_, id, folder) in &exercises {
                    let (code, start) = verdict(&state, id, &folder.join("start.py"), 1, &python);
                    if code != Some(1) || start["passed"] != false {
                        problems.push(format!(
                            "Python {version}: {id}/start.py passed (exit {code:?})"
                        ));
                    }
                    let (code, solution) =
                        verdict(&state, id, &folder.join("solution.py"), 1, &python);
                    let failed = failed_checks(&solution);
                    // Timed checks mean something only on a machine with time to spare.
                    let (timed, other): (Vec<_>, Vec<_>) = failed.into_iter().partition(|f| {
                        f.starts_with("\"speedup\"") || f.starts_with("\"wall_time\"")
                    });
                    if !timed.is_empty() && busy() {
                        eprintln!(
                            "Python {version}: {id}: not judged on a busy machine: {timed:?}"
                        );
                    } else if code != Some(0) || !timed.is_empty() || !other.is_empty() {
                        problems.push(format!(
                            "Python {version}: {id}/solution.py failed (exit {code:?}): {:?}",
                            failed_checks(&solution)
                        ));
                    }
                }
                problems
            })
        })
        .collect();
    let problems: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn check_exits_0_on_a_pass_1_on_a_fail_and_2_on_bad_usage() {
    if !have_python("check_exits_0_on_a_pass_1_on_a_fail_and_2_on_bad_usage") {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let folder = "lessons/four-prints/exercises/four-prints-in-order";
    let run = |args: &[&str]| proclab_in(state.path(), args);
    let pass = run(&[
        "exercise",
        "check",
        "four-prints-in-order",
        &format!("{folder}/solution.py"),
        "--runs",
        "1",
    ]);
    let text = String::from_utf8_lossy(&pass.stdout);
    assert_eq!(pass.status.code(), Some(0), "{text}");
    assert!(
        text.contains("✓ the program starts exactly 4 processes"),
        "{text}"
    );
    assert!(
        text.contains("All 5 checks passed (1 run, Python "),
        "{text}"
    );
    let progress = std::fs::read_to_string(state.path().join("proclab/progress.json")).unwrap();
    assert!(
        progress.contains("four-prints-in-order"),
        "a pass is recorded: {progress}"
    );
    let listed = run(&["exercises"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    let line = listed
        .lines()
        .find(|l| l.starts_with("four-prints-in-order "))
        .unwrap();
    assert!(
        line.contains(" four-prints ") && line.contains("✓ Four prints"),
        "{line}"
    );

    let fail = run(&[
        "exercise",
        "check",
        "four-prints-in-order",
        &format!("{folder}/start.py"),
        "--runs",
        "1",
    ]);
    let text = String::from_utf8_lossy(&fail.stdout);
    assert_eq!(fail.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ the lines \"3\" \"2\" \"1\" \"7\""),
        "{text}"
    );
    assert!(
        text.contains("your lines came out 1 2 3 7 parent: all four children finished (PIDs "),
        "{text}"
    );
    assert!(text.contains("Hint: "), "{text}");

    let unknown = run(&["exercise", "check", "four-prints-in-ordr", "x.py"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("did you mean \"four-prints-in-order\"?"),
        "{stderr}"
    );
    let missing = run(&[
        "exercise",
        "check",
        "four-prints-in-order",
        "no/such/file.py",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.py: does not exist"));
    let usage = run(&["exercise", "check", "four-prints-in-order"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn starting_an_exercise_writes_its_program_once_and_never_overwrites() {
    let state = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("mine");
    let dir_arg = dir.to_str().unwrap();
    let first = proclab_in(
        state.path(),
        &["exercise", "four-prints-in-order", "--dir", dir_arg],
    );
    assert!(first.status.success());
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("(a copy of the starting program)"), "{text}");
    assert!(
        text.contains("proclab exercise check four-prints-in-order"),
        "{text}"
    );
    let file = dir.join("four-prints-in-order.py");
    let start =
        std::fs::read_to_string("lessons/four-prints/exercises/four-prints-in-order/start.py")
            .unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), start);
    std::fs::write(&file, "print('my own work')\n").unwrap();
    let again = proclab_in(
        state.path(),
        &["exercise", "four-prints-in-order", "--dir", dir_arg],
    );
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("(already there: kept as it is)"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "print('my own work')\n"
    );
    // A symbolic link in the way is neither followed nor replaced.
    let target = work.path().join("elsewhere.txt");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&target, &file).unwrap();
    let linked = proclab_in(
        state.path(),
        &["exercise", "four-prints-in-order", "--dir", dir_arg],
    );
    assert!(linked.status.success());
    assert!(!target.exists(), "nothing was written through the link");

    let solution = proclab_in(
        state.path(),
        &["exercise", "solution", "four-prints-in-order"],
    );
    let expected =
        std::fs::read_to_string("lessons/four-prints/exercises/four-prints-in-order/solution.py")
            .unwrap();
    assert_eq!(String::from_utf8_lossy(&solution.stdout), expected);
}

#[test]
fn a_new_exercise_passes_check_its_start_fails_and_its_solution_passes() {
    if !have_python("a_new_exercise_passes_check_its_start_fails_and_its_solution_passes") {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("mine");
    let root_arg = root.to_str().unwrap();
    let run = |args: &[&str]| proclab_in(state.path(), args);
    assert!(
        run(&["new", "three-sleepers", "--dir", root_arg])
            .status
            .success()
    );
    let without = run(&["new", "--exercise", "three-sleepers", "wait-for-it"]);
    assert_eq!(without.status.code(), Some(2), "--exercise needs --lessons");
    let made = run(&[
        "--lessons",
        root_arg,
        "new",
        "--exercise",
        "three-sleepers",
        "wait-for-it",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let folder = root.join("three-sleepers/exercises/wait-for-it");
    for file in ["exercise.toml", "start.py", "solution.py"] {
        assert!(folder.join(file).is_file(), "{file}");
    }
    let check = run(&["check", root_arg]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let again = run(&[
        "--lessons",
        root_arg,
        "new",
        "--exercise",
        "three-sleepers",
        "wait-for-it",
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let missing = run(&[
        "--lessons",
        root_arg,
        "new",
        "--exercise",
        "no-such-lesson",
        "x",
    ]);
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("holds no lesson folder \"no-such-lesson\"")
    );
    for (file, code) in [("start.py", 1), ("solution.py", 0)] {
        let path = folder.join(file);
        let judged = run(&[
            "--lessons",
            root_arg,
            "exercise",
            "check",
            "wait-for-it",
            path.to_str().unwrap(),
            "--runs",
            "1",
        ]);
        assert_eq!(
            judged.status.code(),
            Some(code),
            "{file}: {}",
            String::from_utf8_lossy(&judged.stdout)
        );
    }
    let listed = run(&["--lessons", root_arg, "exercises"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("wait-for-it "));
}

#[test]
fn a_background_verdict_streams_every_run_and_a_stop_ends_it_at_once() {
    use proclab::event::Event;
    use proclab::exercise::{self, Interpreter, JudgeMessage, JudgeOptions, Snapshot, background};
    use std::time::{Duration, Instant};

    if !have_python("a_background_verdict_streams_every_run_and_a_stop_ends_it_at_once") {
        return;
    }
    // The judge runs in this test binary: a trace's session leader is proclab's binary.
    proclab::protocol::use_binary(env!("CARGO_BIN_EXE_proclab").into());
    let catalog = proclab::lesson::Catalog::load(None).unwrap();
    let found = exercise::find(&catalog, "four-prints-in-order")
        .unwrap()
        .clone();
    let options = JudgeOptions {
        python: Interpreter::find(None).unwrap(),
        runs: Some(2),
        interrupted: None,
    };
    let start = Snapshot::of_text("start.py", &found.start.text);
    let handle = background::start(found.clone(), start, options.clone());
    let (mut runs, mut spawned, mut verdict) = (0, 0, None);
    while let Ok(message) = handle.messages.recv_timeout(Duration::from_secs(60)) {
        match message {
            JudgeMessage::RunStarted { of, .. } => {
                assert_eq!(of, 2);
                runs += 1;
            }
            JudgeMessage::Event(Event::Spawned { .. }) => spawned += 1,
            JudgeMessage::Done(done) => verdict = Some(done),
            _ => {}
        }
    }
    let verdict = verdict.expect("the verdict comes last");
    assert_eq!(runs, 2);
    assert_eq!(spawned, 10, "the main process and its four children, twice");
    assert!(!verdict.passed);

    let hang = Snapshot::of_text("background_hang.py", "import time\ntime.sleep(60)\n");
    let handle = background::start(found, hang, options);
    loop {
        match handle.messages.recv_timeout(Duration::from_secs(30)) {
            Ok(JudgeMessage::Event(Event::Spawned { .. })) => break,
            Ok(_) => {}
            Err(error) => panic!("no process started: {error}"),
        }
    }
    let stopping = Instant::now();
    handle.stop();
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopping.elapsed()
    );
    let left: Vec<_> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|line| String::from_utf8_lossy(line).contains("background_hang.py"))
        .collect();
    assert!(left.is_empty(), "nothing of it is left");
}
