//! A cap on the processes a judged program may have at once: proclab moves itself into a pids
//! cgroup of its own (cgroup v2, or v1's `pids` hierarchy) whose `pids.max` is
//! [`MAX_TASKS`], so everything it starts is counted and a fork bomb's forks fail past the cap
//! (`BlockingIOError` in Python) instead of filling the machine's process table. Where no such
//! cgroup can be made (not allowed, no pids controller), judging runs without the cap.

use std::fs;
use std::path::{Path, PathBuf};

/// Processes and threads proclab and the judged program may have together.
pub const MAX_TASKS: u32 = 1_000;

/// proclab inside a capped cgroup; dropping it moves proclab back and removes the cgroup.
#[derive(Debug)]
pub struct ProcessCap {
    dir: PathBuf,
    parent: PathBuf,
}

/// The folder of proclab's own pids cgroup, v2 first.
fn own_cgroup() -> Option<PathBuf> {
    let table = fs::read_to_string("/proc/self/cgroup").ok()?;
    let v2 = Path::new("/sys/fs/cgroup");
    let has_pids = fs::read_to_string(v2.join("cgroup.controllers"))
        .is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "pids"));
    for line in table.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let relative = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "pids") {
            return Some(v2.join("pids").join(relative));
        }
        if controllers.is_empty() && has_pids {
            return Some(v2.join(relative));
        }
    }
    None
}

impl ProcessCap {
    /// Moves proclab into a new cgroup capped at [`MAX_TASKS`]; `None` when that cannot be done.
    pub fn apply() -> Option<ProcessCap> {
        let parent = own_cgroup()?;
        remove_stale(&parent);
        let me = std::process::id();
        let dir = parent.join(format!("proclab-exercise-{me}"));
        fs::create_dir(&dir).ok()?;
        let cap = ProcessCap { dir, parent };
        let capped = fs::write(cap.dir.join("pids.max"), MAX_TASKS.to_string()).is_ok()
            && fs::write(cap.dir.join("cgroup.procs"), me.to_string()).is_ok();
        capped.then_some(cap)
    }
}

/// Removes the empty cgroups that proclabs killed before they could left behind.
fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix("proclab-exercise-"))
            .and_then(|n| n.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir(entry.path());
        }
    }
}

impl Drop for ProcessCap {
    fn drop(&mut self) {
        let _ = fs::write(
            self.parent.join("cgroup.procs"),
            std::process::id().to_string(),
        );
        let _ = fs::remove_dir(&self.dir);
    }
}
