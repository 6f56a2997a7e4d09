//! Helpers shared by the integration tests: running the real binary, reading `/proc`.

#![allow(dead_code)]

pub mod python;
pub mod screens;
pub mod tmux;
pub mod tracing;

use std::process::{Command, Output};

use serde_json::Value;

/// The built proclab binary.
pub const PROCLAB: &str = env!("CARGO_BIN_EXE_proclab");

/// Runs proclab with `args` and waits for it.
pub fn proclab(args: &[&str]) -> Output {
    Command::new(PROCLAB)
        .args(args)
        .output()
        .expect("proclab runs")
}

/// Runs a lesson headless with `--json` and returns its events.
pub fn run_json(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = proclab(&all);
    assert!(
        output.status.success(),
        "proclab {all:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("JSON is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// The events of one kind.
pub fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// `(state, ppid)` of a live process from `/proc/<pid>/stat`, or `None` if it is gone.
pub fn proc_state(pid: u64) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// PIDs of every process whose parent is `ppid`.
pub fn children_of(ppid: u64) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok())
        .filter(|&pid| proc_state(pid).is_some_and(|(_, parent)| parent == ppid))
        .collect()
}

/// Every process below `root`, now.
pub fn descendants(root: u64) -> std::collections::BTreeSet<u64> {
    below(root, children_of)
}

/// Everything below `root` in the tree that `children` gives: its children, theirs, and so on.
pub fn below<T: Ord + Copy>(
    root: T,
    children: impl Fn(T) -> Vec<T>,
) -> std::collections::BTreeSet<T> {
    let mut found = std::collections::BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(node) = frontier.pop() {
        for child in children(node) {
            if found.insert(child) {
                frontier.push(child);
            }
        }
    }
    found
}

/// The workers among proclab's children: all of them but its fork server (a child of proclab
/// too, named [`proclab::engine::fork_server::SERVER_NAME`]).
pub fn workers_of(proclab: u64) -> Vec<u64> {
    children_of(proclab)
        .into_iter()
        .filter(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() != proclab::engine::fork_server::SERVER_NAME)
        })
        .collect()
}

/// Waits for proclab to exit, then checks that none of `seen` is still running.
pub fn gone(proclab: u64, seen: &std::collections::BTreeSet<u64>) {
    assert!(
        eventually(10.0, || dead_and_reaped(proclab)),
        "proclab did not exit"
    );
    for pid in seen {
        assert!(
            eventually(3.0, || dead_and_reaped(*pid)),
            "{pid} outlived proclab"
        );
    }
}

/// Waits up to `seconds` for `check` to hold, polling.
pub fn eventually(seconds: f64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    check()
}

/// Makes this test process the reaper of orphaned descendants (as a well-behaved init is), so a
/// test can see that workers orphaned by a killed proclab really died, and reap them.
pub fn become_subreaper() {
    nix::sys::prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER works on Linux");
}

/// Whether `pid` no longer runs: gone, or a zombie handed to this (subreaper) process, which
/// then reaps it.
pub fn dead_and_reaped(pid: u64) -> bool {
    match proc_state(pid) {
        None => true,
        Some(('Z', ppid)) if ppid == u64::from(std::process::id()) => {
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid as i32), None);
            true
        }
        Some(_) => false,
    }
}
