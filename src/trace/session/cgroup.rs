//! A cgroup (v2) of the traced program's own, where the machine lets proclab make one: every
//! process the program starts stays in it, in whatever session, and one write to its
//! `cgroup.kill` ends them all at once, even a program that forks as fast as it can.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Every trace cgroup's name starts with this, then its session leader's PID.
const PREFIX: &str = "proclab-trace-";

/// The cgroup of one trace; dropping it removes it (once empty).
#[derive(Debug)]
pub(crate) struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    /// A new cgroup below this process's own, named after this process; `None` where cgroup v2
    /// is not mounted or making one is not allowed. Empty ones left by earlier traces whose
    /// leader is gone are removed first.
    pub(crate) fn create() -> Option<Cgroup> {
        let parent = own_cgroup_dir()?;
        remove_stale(&parent);
        let dir = parent.join(format!("{PREFIX}{}", std::process::id()));
        fs::create_dir(&dir).ok()?;
        Some(Cgroup { dir })
    }

    /// Its `cgroup.procs`, open for writing: a process that writes `0` there moves itself in
    /// (done between fork and exec, so the command and all it starts are inside).
    pub(crate) fn procs_file(&self) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
    }

    /// Whether any process is in it.
    pub(crate) fn is_populated(&self) -> bool {
        fs::read_to_string(self.dir.join("cgroup.events"))
            .is_ok_and(|events| events.lines().any(|line| line == "populated 1"))
    }

    /// SIGKILLs every process in it at once; `false` if the kernel cannot (no `cgroup.kill`
    /// before Linux 5.14).
    pub(crate) fn kill_all(&self) -> bool {
        OpenOptions::new()
            .write(true)
            .open(self.dir.join("cgroup.kill"))
            .and_then(|mut file| file.write_all(b"1"))
            .is_ok()
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.dir);
    }
}

/// This process's cgroup v2 folder: its path in `/proc/self/cgroup` (`0::/path`) under the
/// mount point of the cgroup2 file system.
fn own_cgroup_dir() -> Option<PathBuf> {
    let own = fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = own.lines().find_map(|line| line.strip_prefix("0::"))?;
    let mounts = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let (root, mount_point) = cgroup2_mount(&mounts)?;
    let relative = Path::new(path).strip_prefix(&root).ok()?;
    Some(mount_point.join(relative))
}

/// The root and mount point of the first cgroup2 mount in a `mountinfo` text.
fn cgroup2_mount(mountinfo: &str) -> Option<(PathBuf, PathBuf)> {
    mountinfo.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let separator = fields.iter().position(|&f| f == "-")?;
        (fields.get(separator + 1) == Some(&"cgroup2")).then(|| {
            let unescape = |field: &str| PathBuf::from(field.replace("\\040", " "));
            (unescape(fields[3]), unescape(fields[4]))
        })
    })
}

/// Removes the trace cgroups in `parent` whose session leader is gone (empty ones only: the
/// kernel refuses to remove a cgroup that holds a process).
fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let owner = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|pid| pid.parse::<u32>().ok());
        if owner.is_some_and(|pid| !crate::trace::tree::exists(pid)) {
            let _ = fs::remove_dir(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cgroup2_mount_in_mountinfo() {
        let mountinfo = "\
25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw
35 25 0:30 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
36 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";
        assert_eq!(
            cgroup2_mount(mountinfo),
            Some(("/".into(), "/sys/fs/cgroup/unified".into()))
        );
        assert_eq!(
            cgroup2_mount("25 30 0:23 / /sys rw - sysfs sysfs rw\n"),
            None
        );
    }
}
