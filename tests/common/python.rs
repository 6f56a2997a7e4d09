//! The CPython interpreters this machine has, to check what the lessons say about each version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One CPython interpreter: its `3.minor` version and how to start it.
#[derive(Debug, Clone)]
pub struct Python {
    pub minor: u32,
    pub path: PathBuf,
}

impl Python {
    /// `3.N`, for messages.
    pub fn version(&self) -> String {
        format!("3.{}", self.minor)
    }
}

/// The minor version `python` reports, if it runs and is a Python 3.
fn minor_of(python: &Path) -> Option<u32> {
    let output = Command::new(python)
        .args([
            "-c",
            "import sys; print(sys.version_info[1] if sys.version_info[0] == 3 else -1)",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

/// Every CPython 3.9 or newer here, one per minor version, oldest first: `python3`, `python3.N`
/// on the `PATH`, and the interpreters pyenv keeps (`$PYENV_ROOT` or `~/.pyenv`).
pub fn pythons() -> Vec<Python> {
    let mut candidates: Vec<PathBuf> = vec!["python3".into()];
    candidates.extend((9..=14).map(|minor| format!("python3.{minor}").into()));
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")));
    if let Some(Ok(versions)) = pyenv.map(|root| std::fs::read_dir(root.join("versions"))) {
        candidates.extend(versions.flatten().map(|v| v.path().join("bin/python3")));
    }
    let mut found: Vec<Python> = Vec::new();
    for path in candidates {
        if let Some(minor) = minor_of(&path).filter(|&m| m >= 9)
            && !found.iter().any(|p| p.minor == minor)
        {
            found.push(Python { minor, path });
        }
    }
    found.sort_by_key(|p| p.minor);
    found
}

/// `python3` as the PATH gives it, if it is a CPython 3.9 or newer.
pub fn python3() -> Option<Python> {
    let path = PathBuf::from("python3");
    minor_of(&path)
        .filter(|&m| m >= 9)
        .map(|minor| Python { minor, path })
}
