//! Running `proclab trace` from the tests.

use std::path::{Path, PathBuf};
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

/// Every CPython 3.9 or newer this machine has: `python3`, `python3.N` on the `PATH`, and the
/// interpreters a version manager (pyenv) keeps; one per version.
pub fn pythons() -> Vec<(String, PathBuf)> {
    let mut candidates: Vec<PathBuf> = vec!["python3".into()];
    candidates.extend((9..=14).map(|minor| format!("python3.{minor}").into()));
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")));
    if let Some(Ok(versions)) = pyenv.map(|root| std::fs::read_dir(root.join("versions"))) {
        candidates.extend(versions.flatten().map(|v| v.path().join("bin/python3")));
    }
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for candidate in candidates {
        let version = Command::new(&candidate)
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|v| v.trim().to_string());
        let Some(version) = version else { continue };
        let minor: u32 = version
            .strip_prefix("3.")
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if minor >= 9 && !found.iter().any(|(v, _)| *v == version) {
            found.push((version, candidate));
        }
    }
    found
}
