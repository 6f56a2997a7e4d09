//! Running `proclab trace` from the tests.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::PROCLAB;

/// Whether python3 can run here; prints why a test is skipped if not.
pub fn have_python(test: &str) -> bool {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("pass")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("note: {test} skipped: python3 is not installed");
    }
    ok
}

/// Runs `proclab trace` with `args` and returns the process's output.
pub fn trace(args: &[&str], dir: Option<&Path>) -> Output {
    let mut command = Command::new(PROCLAB);
    command
        .arg("trace")
        .args(args)
        .env_remove("PYTHONUNBUFFERED");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("proclab runs")
}

/// The events of `proclab trace --json ARGS`, checking it exited with `code`.
pub fn trace_json(args: &[&str], dir: Option<&Path>, code: i32) -> Vec<Value> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = trace(&all, dir);
    assert_eq!(
        output.status.code(),
        Some(code),
        "proclab trace {all:?}: stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("JSON is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}
