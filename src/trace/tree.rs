//! Finding a traced program's processes in `/proc`: children through
//! `/proc/<pid>/task/<tid>/children` (each thread lists the children it forked), or by parent PID
//! where the kernel lacks that file; a whole subtree; exit statuses of zombies.

use std::collections::HashSet;
use std::fs;

use crate::observe::exit::ExitStatus;

/// Whether `/proc/<pid>/task/<tid>/children` exists on this kernel.
pub fn children_files_available() -> bool {
    let me = std::process::id();
    fs::metadata(format!("/proc/{me}/task/{me}/children")).is_ok()
}

/// The children of `pid`, gathered from every one of its threads; `None` if it is gone.
pub fn children_of(pid: u32) -> Option<Vec<u32>> {
    let mut children = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let tid = entry.file_name();
        let Ok(text) = fs::read_to_string(format!(
            "/proc/{pid}/task/{}/children",
            tid.to_string_lossy()
        )) else {
            continue;
        };
        children.extend(
            text.split_whitespace()
                .filter_map(|n| n.parse::<u32>().ok()),
        );
    }
    Some(children)
}

/// Every process whose parent is in `parents`, as `(pid, ppid)`: a whole scan of `/proc`, for
/// kernels without the children files.
pub fn scan_by_parent(parents: &HashSet<u32>) -> Vec<(u32, u32)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = crate::observe::procfs::read_process(pid)?;
            parents.contains(&stat.ppid).then_some((pid, stat.ppid))
        })
        .collect()
}

/// Every living descendant of `root` (not `root` itself), parents before their children.
pub fn descendants_of(root: u32) -> Vec<u32> {
    if !children_files_available() {
        let mut found: Vec<u32> = Vec::new();
        let mut parents: HashSet<u32> = HashSet::from([root]);
        loop {
            let more: Vec<u32> = scan_by_parent(&parents)
                .into_iter()
                .map(|(pid, _)| pid)
                .filter(|pid| !parents.contains(pid))
                .collect();
            if more.is_empty() {
                return found;
            }
            parents.extend(&more);
            found.extend(more);
        }
    }
    let mut found = children_of(root).unwrap_or_default();
    let mut at = 0;
    while at < found.len() {
        let children = children_of(found[at]).unwrap_or_default();
        found.extend(children.into_iter().filter(|pid| *pid != root));
        at += 1;
    }
    found
}

/// Whether `pid` still has an entry in `/proc` (running, stopped or a zombie).
pub fn exists(pid: u32) -> bool {
    fs::metadata(format!("/proc/{pid}")).is_ok()
}

/// The session `pid` belongs to (field 6 of its `stat`).
pub fn session_of(pid: u32) -> Option<u32> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the name, field 3 is at index 0, so field 6 is at index 3.
    text[text.rfind(')')? + 1..]
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

/// How a zombie ended, from field 52 of its `stat` (the status `waitpid` will return).
/// `None` if `pid` is not a zombie.
pub fn zombie_status(pid: u32) -> Option<ExitStatus> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    if fields.first() != Some(&"Z") {
        return None;
    }
    // After the name, field 3 is at index 0, so field 52 is at index 49.
    let status: i32 = fields.get(49)?.parse().ok()?;
    Some(ExitStatus::from_raw(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_child_then_its_zombie_status() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "exit 7"])
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(children_files_available());
        assert!(children_of(std::process::id()).unwrap().contains(&pid));
        assert_eq!(session_of(pid), session_of(std::process::id()));
        let status = (0..500).find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            zombie_status(pid)
        });
        assert_eq!(status, Some(ExitStatus::Code(7)));
        child.wait().unwrap();
        assert!(!exists(pid));
        assert_eq!(children_of(pid), None);
    }

    #[test]
    fn descendants_include_grandchildren() {
        let mut shell = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & sleep 5 & wait"])
            .spawn()
            .unwrap();
        let shell_pid = shell.id();
        let found = (0..500).find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            let all = descendants_of(std::process::id());
            (all.len() >= 3).then_some(all)
        });
        // The sleeps first: the shell, waiting, reaps them and exits.
        let sleeps = children_of(shell_pid).unwrap_or_default();
        for &pid in &sleeps {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        shell.wait().unwrap();
        let found = found.expect("the shell and its two sleeps");
        assert!(found.contains(&shell_pid), "{found:?}");
        assert!(sleeps.iter().all(|pid| found.contains(pid)), "{found:?}");
    }
}
