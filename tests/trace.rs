//! `proclab trace`: the real binary tracing real commands. Non-Python commands show their
//! process tree from `/proc`; Python programs (the lessons' own, and the fixtures in
//! `tests/fixtures/trace/`) also show tasks and output by PID. Tests that need python3 print a
//! note and pass when it is missing (CI installs it).
//!
//! Tests that can leave orphans (proclab SIGKILLed) make this test process a child subreaper, as
//! PID 1 here does not reap orphans.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tracing::{have_python, pythons, trace, trace_json};
use common::{PROCLAB, become_subreaper, dead_and_reaped, eventually, of_kind};
use serde_json::Value;

/// The traced processes: pid → ppid as first seen, and the root (the command).
struct Tree {
    proclab: u64,
    root: u64,
    parents: HashMap<u64, u64>,
}

impl Tree {
    fn of(events: &[Value]) -> Tree {
        let proclab = of_kind(events, "run_started")[0]["parent_pid"]
            .as_u64()
            .unwrap();
        let spawned = of_kind(events, "spawned");
        let root = spawned[0]["pid"].as_u64().unwrap();
        assert_eq!(
            spawned[0]["ppid"].as_u64(),
            Some(proclab),
            "the command is proclab's child"
        );
        let parents = spawned
            .iter()
            .map(|e| (e["pid"].as_u64().unwrap(), e["ppid"].as_u64().unwrap()))
            .collect();
        Tree {
            proclab,
            root,
            parents,
        }
    }

    /// Whether `pid` is the root or descends from it by the parents proclab saw; an orphan
    /// first seen after it was handed to proclab counts when `orphans_allowed`.
    fn descends(&self, pid: u64, orphans_allowed: bool) -> bool {
        let mut current = pid;
        for _ in 0..100 {
            if current == self.root {
                return true;
            }
            match self.parents.get(&current) {
                Some(&parent) if parent == self.proclab => return orphans_allowed,
                Some(&parent) => current = parent,
                None => return false,
            }
        }
        false
    }

    /// Checks every PID an event names is a traced process of the command.
    fn check_every_pid(&self, events: &[Value], orphans_allowed: bool, what: &str) {
        for event in events {
            if let Some(pid) = event["pid"].as_u64()
                && event["event"] != "run_started"
            {
                assert!(
                    self.descends(pid, orphans_allowed),
                    "{what}: PID {pid} in {event} does not descend from the command ({}); parents: {:?}",
                    self.root,
                    self.parents
                );
            }
        }
    }
}

fn text(event: &Value) -> &str {
    event["text"].as_str().unwrap_or("")
}

/// The PID a line names as "worker pid N", if it does.
fn named_pid(line: &str) -> Option<u64> {
    let rest = &line[line.find("worker pid ")? + "worker pid ".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn a_shell_and_its_two_background_sleeps_show_as_a_tree() {
    let events = trace_json(&["--", "sh", "-c", "sleep 0.3 & sleep 0.2 & wait"], None, 0);
    let tree = Tree::of(&events);
    let children: Vec<u64> = tree
        .parents
        .iter()
        .filter(|&(_, &ppid)| ppid == tree.root)
        .map(|(&pid, _)| pid)
        .collect();
    assert_eq!(
        children.len(),
        2,
        "two sleeps under the shell: {:?}",
        tree.parents
    );
    tree.check_every_pid(&events, false, "sh");
    let exited = of_kind(&events, "exited");
    assert_eq!(exited.len(), 3);
    let root_exit = exited.iter().find(|e| e["pid"] == tree.root).unwrap();
    assert_eq!(root_exit["code"], 0);
    // The 0.3 s sleep outlives the 0.2 s one.
    let lifetime = |pid: u64| {
        let spawned = of_kind(&events, "spawned")
            .into_iter()
            .find(|e| e["pid"] == pid)
            .unwrap()["t_ms"]
            .as_f64()
            .unwrap();
        let end = exited.iter().find(|e| e["pid"] == pid).unwrap()["t_ms"]
            .as_f64()
            .unwrap();
        end - spawned
    };
    let mut lives: Vec<f64> = children.iter().map(|&pid| lifetime(pid)).collect();
    lives.sort_by(f64::total_cmp);
    assert!(
        lives[1] - lives[0] > 50.0 && lives[0] > 100.0,
        "lifetimes {lives:?}"
    );
    assert!(
        !of_kind(&events, "state").is_empty(),
        "states come from /proc"
    );
    assert!(!of_kind(&events, "cpu").is_empty(), "cores come from /proc");
}

#[test]
fn a_process_that_lives_20_ms_is_seen() {
    // Polling every 5 ms catches it; a busy machine may delay proclab, so allow three tries.
    let seen = (0..3).any(|_| {
        let events = trace_json(&["--", "sh", "-c", "(sleep 0.02) ; sleep 0.1"], None, 0);
        let tree = Tree::of(&events);
        tree.check_every_pid(&events, false, "20 ms");
        tree.parents.len() >= 3
    });
    assert!(seen, "the 20 ms subshell was never seen in three tries");
}

#[test]
fn exit_codes_pass_through_and_a_missing_command_is_named() {
    trace_json(&["--", "sh", "-c", "exit 3"], None, 3);
    trace_json(&["--", "sh", "-c", "kill -TERM $$"], None, 128 + 15);
    assert_eq!(
        trace(&[], None).status.code(),
        Some(2),
        "no command: a usage error"
    );
    let output = trace(&["--", "no-such-command-proclab"], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("command not found: no-such-command-proclab"),
        "{stderr}"
    );
}

#[test]
fn the_text_mode_echoes_output_then_reports_the_processes() {
    let output = trace(&["--", "sh", "-c", "echo one; sleep 0.1; echo two"], None);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("one\ntwo\n"), "echoed first:\n{stdout}");
    assert!(
        stdout.contains("proclab trace sh -c 'echo one; sleep 0.1; echo two'"),
        "{stdout}"
    );
    assert!(stdout.contains("Processes (2 seen"), "{stdout}");
    assert!(stdout.contains("exit code 0"), "{stdout}");
}

#[test]
fn stopping_a_program_that_ignores_sigterm_never_hangs() {
    become_subreaper();
    let mut child = Command::new(PROCLAB)
        .args([
            "trace",
            "--json",
            "--",
            "sh",
            "-c",
            "trap '' TERM; sleep 30 & wait",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let events = BufReader::new(child.stdout.take().unwrap());
    let mut pids = Vec::new();
    for line in events.lines() {
        let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if event["event"] == "spawned" {
            pids.push(event["pid"].as_u64().unwrap());
            if pids.len() == 2 {
                break;
            }
        }
    }
    let interrupted = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        interrupted.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        interrupted.elapsed()
    );
    for pid in pids {
        assert!(
            eventually(2.0, || dead_and_reaped(pid)),
            "PID {pid} outlived proclab"
        );
    }
}

#[test]
fn the_private_folder_is_gone_after_a_run() {
    if !have_python("the_private_folder_is_gone_after_a_run") {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let output = Command::new(PROCLAB)
        .args([
            "trace",
            "--json",
            "--",
            "python3",
            "-c",
            "import os; d = os.path.dirname(os.environ['PROCLAB_TRACE_SOCKET']); \
             print(d, oct(os.stat(d).st_mode & 0o777))",
        ])
        .env("TMPDIR", temp.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().next().unwrap_or_default();
    let (folder, mode) = line
        .split_once(' ')
        .expect("the program printed its folder");
    assert!(folder.starts_with(temp.path().to_str().unwrap()), "{line}");
    assert_eq!(mode, "0o700", "private to the user");
    assert!(!Path::new(folder).exists(), "{folder} was left behind");
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}

/// Seconds between the first and last of `lines` arriving as output events.
fn spread_ms(events: &[Value], lines: &[&str]) -> f64 {
    let times: Vec<f64> = lines
        .iter()
        .map(|line| {
            of_kind(events, "output")
                .into_iter()
                .find(|e| text(e) == *line)
                .unwrap_or_else(|| panic!("no output {line:?}"))["t_ms"]
                .as_f64()
                .unwrap()
        })
        .collect();
    times[times.len() - 1] - times[0]
}

#[test]
fn a_pty_shows_prints_as_they_happen_and_pipes_buffer_them() {
    if !have_python("a_pty_shows_prints_as_they_happen_and_pipes_buffer_them") {
        return;
    }
    let lines = ["line 0", "line 1", "line 2"];
    let program = "tests/fixtures/trace/unflushed.py";
    let pty = trace_json(&["--", "python3", program], None, 0);
    // 0.8 s of sleeps between the first and last print.
    assert!(
        spread_ms(&pty, &lines) > 400.0,
        "pty: lines arrived together"
    );
    let pipe = trace_json(&["--pipe", "--", "python3", program], None, 0);
    assert!(
        spread_ms(&pipe, &lines) < 200.0,
        "pipe: the buffer should hold them to the end"
    );
}

#[test]
fn pool_sleep_finishes_b_c_a_d_and_every_line_has_its_worker_pid() {
    if !have_python("pool_sleep_finishes_b_c_a_d_and_every_line_has_its_worker_pid") {
        return;
    }
    let events = trace_json(
        &["--speed", "20", "--", "python3", "program.py"],
        Some(Path::new("lessons/pool-sleep")),
        0,
    );
    let tree = Tree::of(&events);
    tree.check_every_pid(&events, false, "pool-sleep");
    let labels: HashMap<u64, String> = of_kind(&events, "task_started")
        .iter()
        .map(|e| {
            (
                e["task"].as_u64().unwrap(),
                e["label"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let finished = of_kind(&events, "run_finished")[0];
    let order: Vec<&str> = finished["completion_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| labels[&t.as_u64().unwrap()].as_str())
        .collect();
    assert_eq!(order, ["B", "C", "A", "D"]);
    let workers: std::collections::HashSet<u64> = of_kind(&events, "task_started")
        .iter()
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(workers.len(), 2, "two pool workers ran the tasks");
    assert!(!workers.contains(&tree.root));
    let mut named = 0;
    for event in of_kind(&events, "output") {
        if let Some(pid) = named_pid(text(event)) {
            assert_eq!(Some(pid), event["pid"].as_u64(), "{event}");
            named += 1;
        }
    }
    assert_eq!(named, 8, "four jobs print twice each");
}

/// Runs a fixture and checks its tasks ran in worker processes of the program and every line
/// that names a worker PID came from it; returns the events.
fn check_fixture(name: &str, tasks: usize, results: &[&str]) -> Vec<Value> {
    let program = format!("tests/fixtures/trace/{name}");
    let events = trace_json(&["--", "python3", &program], None, 0);
    let tree = Tree::of(&events);
    tree.check_every_pid(&events, false, name);
    let started = of_kind(&events, "task_started");
    assert_eq!(started.len(), tasks, "{name}: tasks started");
    assert_eq!(of_kind(&events, "task_finished").len(), tasks);
    for event in &started {
        assert_ne!(
            event["pid"].as_u64(),
            Some(tree.root),
            "{name}: a worker ran {event}"
        );
    }
    let mut got: Vec<String> = of_kind(&events, "run_finished")[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap_or("null").to_string())
        .collect();
    got.sort();
    let mut want: Vec<String> = results.iter().map(|r| r.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{name}: results");
    for event in of_kind(&events, "output") {
        if let Some(pid) = named_pid(text(event)) {
            assert_eq!(Some(pid), event["pid"].as_u64(), "{event}");
        }
    }
    events
}

#[test]
fn a_process_pool_executor_reports_its_tasks() {
    if !have_python("a_process_pool_executor_reports_its_tasks") {
        return;
    }
    check_fixture("executor.py", 6, &["0", "1", "4", "100", "121", "144"]);
}

#[test]
fn a_pool_of_spawned_interpreters_reports_its_tasks() {
    if !have_python("a_pool_of_spawned_interpreters_reports_its_tasks") {
        return;
    }
    check_fixture("spawn_pool.py", 4, &["1", "8", "27", "64"]);
}

#[test]
fn every_lesson_program_traces_with_real_descendants() {
    if !have_python("every_lesson_program_traces_with_real_descendants") {
        return;
    }
    let mut folders: Vec<_> = std::fs::read_dir("lessons")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let events = trace_json(
            &["--speed", "20", "--", "python3", "program.py"],
            Some(&folder),
            0,
        );
        let tree = Tree::of(&events);
        // This lesson leaves orphans on purpose: proclab adopts them.
        let orphans_allowed = name == "zombies-and-orphans";
        tree.check_every_pid(&events, orphans_allowed, &name);
        assert!(
            !of_kind(&events, "output").is_empty(),
            "{name}: printed nothing"
        );
        assert_eq!(of_kind(&events, "run_finished").len(), 1, "{name}");
    }
}

/// Starts `proclab trace --json ARGS` with a marker in its environment, waits until its events
/// hold `spawned` processes and `tasks` started tasks, SIGKILLs proclab, and checks that within
/// a few seconds no process carries the marker (the command and all it started inherit it).
fn sigkill_leaves_nothing(args: &[&str], spawned: usize, tasks: usize) {
    become_subreaper();
    static TRIAL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let trial = TRIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (key, value) = (
        "PROCLAB_TRACE_TEST_MARKER",
        format!("{}-{trial}", std::process::id()),
    );
    let marker = format!("{key}={value}");
    let mut child = Command::new(PROCLAB)
        .arg("trace")
        .arg("--json")
        .args(args)
        .env(key, &value)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let events = BufReader::new(child.stdout.take().unwrap());
    let (mut pids, mut started) = (Vec::new(), 0);
    for line in events.lines() {
        let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
        match event["event"].as_str() {
            Some("spawned") => pids.push(event["pid"].as_u64().unwrap()),
            Some("task_started") => started += 1,
            _ => {}
        }
        if pids.len() >= spawned && started >= tasks {
            break;
        }
    }
    assert!(
        pids.len() >= spawned && started >= tasks,
        "{args:?}: the program did not get going"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let marked = || -> Vec<u64> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == marker.as_bytes()))
            })
            .collect()
    };
    let clean = eventually(5.0, || {
        pids.iter().all(|&pid| dead_and_reaped(pid)) && marked().is_empty()
    });
    let left: Vec<u64> = marked();
    for &pid in pids.iter().chain(&left) {
        if !dead_and_reaped(pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    assert!(clean, "{args:?}: left behind: {left:?} (traced: {pids:?})");
}

#[test]
fn sigkill_of_proclab_leaves_no_python_process_behind() {
    if !have_python("sigkill_of_proclab_leaves_no_python_process_behind") {
        return;
    }
    let program = "import time\nfrom multiprocessing import Pool\n\
                   if __name__ == '__main__':\n    Pool(2).map(time.sleep, [30] * 4)";
    sigkill_leaves_nothing(&["--", "python3", "-c", program], 3, 2);
    sigkill_leaves_nothing(&["--pipe", "--", "python3", "-c", program], 3, 2);
}

#[test]
fn sigkill_of_proclab_leaves_no_shell_job_behind() {
    let program = "sleep 30 & sleep 30; wait";
    sigkill_leaves_nothing(&["--", "sh", "-c", program], 3, 0);
    sigkill_leaves_nothing(&["--pipe", "--", "sh", "-c", program], 3, 0);
}

/// The instrumentation's own checks (every start method, every pool and executor call, output
/// by PID, a program that misuses the socket) on every Python 3.9+ found, side by side.
#[test]
fn the_python_harness_passes_on_every_python_here() {
    if !have_python("the_python_harness_passes_on_every_python_here") {
        return;
    }
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/trace/python/test_harness.py");
    let pythons = pythons();
    eprintln!(
        "the harness runs on Python {}",
        pythons
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let runs: Vec<_> = pythons
        .into_iter()
        .map(|(version, python)| {
            let harness = harness.clone();
            std::thread::spawn(move || {
                let output = Command::new(&python).arg(&harness).output().unwrap();
                (version, python, output)
            })
        })
        .collect();
    for run in runs {
        let (version, python, output) = run.join().unwrap();
        assert!(
            output.status.success(),
            "the harness failed on Python {version} ({}):\n{}\n{}",
            python.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn pipes_keep_stdout_and_stderr_apart_to_their_last_line() {
    // Both pipes often end in the same wake-up; repeat to catch mistakes there.
    for _ in 0..5 {
        let events = trace_json(
            &["--pipe", "--", "sh", "-c", "echo out; echo err >&2"],
            None,
            0,
        );
        let lines: Vec<(String, String)> = of_kind(&events, "output")
            .iter()
            .map(|e| {
                (
                    text(e).to_string(),
                    e["stream"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(
            lines.contains(&("out".into(), "stdout".into())),
            "{lines:?}"
        );
        assert!(
            lines.contains(&("err".into(), "stderr".into())),
            "{lines:?}"
        );
    }
}

#[test]
fn a_program_misusing_the_socket_only_loses_detail() {
    if !have_python("a_program_misusing_the_socket_only_loses_detail") {
        return;
    }
    let events = trace_json(
        &["--", "python3", "tests/fixtures/trace/misuse.py"],
        None,
        0,
    );
    let tree = Tree::of(&events);
    tree.check_every_pid(&events, false, "misuse");
    assert!(
        of_kind(&events, "output")
            .iter()
            .any(|e| text(e) == "misused the socket")
    );
    let notices: Vec<&str> = of_kind(&events, "notice").iter().map(|e| text(e)).collect();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("3 messages from the instrumentation")),
        "{notices:?}"
    );
}

#[test]
fn an_unterminated_last_line_is_kept_with_its_pid() {
    let events = trace_json(&["--", "sh", "-c", "printf 'no newline'"], None, 0);
    let tree = Tree::of(&events);
    let last = of_kind(&events, "output");
    assert_eq!(text(last[last.len() - 1]), "no newline");
    assert_eq!(last[last.len() - 1]["pid"].as_u64(), Some(tree.root));
    if !have_python("an_unterminated_last_line_is_kept_with_its_pid (Python part)") {
        return;
    }
    let events = trace_json(
        &["--", "python3", "-c", "print('no newline', end='')"],
        None,
        0,
    );
    let tree = Tree::of(&events);
    let last = of_kind(&events, "output");
    assert_eq!(text(last[last.len() - 1]), "no newline");
    assert_eq!(last[last.len() - 1]["worker"], 0);
    assert_eq!(last[last.len() - 1]["pid"].as_u64(), Some(tree.root));
}

#[test]
fn python_started_with_minus_i_says_why_there_is_no_task_detail() {
    if !have_python("python_started_with_minus_i_says_why_there_is_no_task_detail") {
        return;
    }
    let events = trace_json(&["--", "python3", "-I", "-c", "print('isolated')"], None, 0);
    let tree = Tree::of(&events);
    let notices: Vec<&str> = of_kind(&events, "notice").iter().map(|e| text(e)).collect();
    assert!(notices.iter().any(|n| n.contains("-I")), "{notices:?}");
    let output = of_kind(&events, "output");
    assert!(
        output
            .iter()
            .any(|e| text(e) == "isolated" && e["pid"].as_u64() == Some(tree.root))
    );
}

#[test]
fn a_background_job_outliving_the_command_is_followed_to_its_end() {
    // The command leads the terminal's session, so when it exits its jobs get SIGHUP, as when
    // a terminal closes: this job ignores it.
    let job = "(trap '' HUP; sleep 0.2; echo late) & sleep 0.05; exit 0";
    let events = trace_json(&["--", "sh", "-c", job], None, 0);
    let tree = Tree::of(&events);
    tree.check_every_pid(&events, true, "background job");
    let late = of_kind(&events, "output")
        .into_iter()
        .find(|e| text(e) == "late")
        .expect("the job's line");
    // Without instrumentation a line belongs to the command's terminal: slot 0.
    assert_eq!(late["worker"], 0);
    let exits = of_kind(&events, "exited");
    let root_exit = exits.iter().find(|e| e["pid"] == tree.root).unwrap()["t_ms"]
        .as_f64()
        .unwrap();
    let last_exit = exits
        .iter()
        .map(|e| e["t_ms"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(
        last_exit > root_exit + 100.0,
        "the job ended ~0.2 s after the command"
    );
    let notices: Vec<&str> = of_kind(&events, "notice").iter().map(|e| text(e)).collect();
    assert!(
        notices.iter().any(|n| n.contains("still run")),
        "{notices:?}"
    );
}

/// four-prints in pipes: each child's lines reach the pipe together when it exits, so they come
/// out grouped; in a terminal they interleave. Either way the lines are in the order they were
/// written, though every process reports on a connection of its own.
#[test]
fn four_prints_lines_come_in_write_order_grouped_only_in_pipes() {
    if !have_python("four_prints_lines_come_in_write_order_grouped_only_in_pipes") {
        return;
    }
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/four-prints/program.py");
    let program = program.to_str().unwrap();
    let lines = |pipe: bool| {
        let mut args = vec!["--speed", "2"];
        if pipe {
            args.push("--pipe");
        }
        args.extend(["--", "python3", program]);
        let events = trace_json(&args, None, 0);
        let output = of_kind(&events, "output");
        let times: Vec<f64> = output.iter().map(|e| e["t_ms"].as_f64().unwrap()).collect();
        assert!(times.is_sorted(), "output out of order: {output:?}");
        output
            .iter()
            .map(|e| e["text"].as_str().unwrap().to_string())
            .filter(|text| text.len() == 2 && (text.starts_with('A') || text.starts_with('B')))
            .collect::<Vec<_>>()
    };
    let grouped = |lines: &[String]| {
        let firsts: String = lines.iter().map(|l| &l[..1]).collect();
        firsts == "AAABBB" || firsts == "BBBAAA"
    };
    let piped = lines(true);
    assert_eq!(piped.len(), 6, "{piped:?}");
    assert!(grouped(&piped), "pipes group each child's lines: {piped:?}");
    let terminal = lines(false);
    assert_eq!(terminal.len(), 6, "{terminal:?}");
    assert!(
        !grouped(&terminal),
        "a terminal interleaves them: {terminal:?}"
    );
}
