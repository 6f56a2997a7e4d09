//! The private temporary folder of one trace: mode 0700, holding the socket and, for Python,
//! the instrumentation modules. It is removed when the trace ends (on every path but a SIGKILL
//! of proclab; such leftovers are removed by the next trace).

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::files;

/// Every trace folder's name starts with this, then proclab's PID and a dash.
const PREFIX: &str = "proclab-trace-";

/// `sitecustomize.py`: Python imports it at start-up when its folder is on `PYTHONPATH`.
const SITECUSTOMIZE: &str = include_str!("python/sitecustomize.py");
/// The instrumentation itself.
const INSTRUMENTATION: &str = include_str!("python/_proclab_trace.py");

/// A trace's private folder; dropping it removes it.
#[derive(Debug)]
pub struct Workspace {
    dir: TempDir,
}

impl Workspace {
    /// Makes the folder in the system's temporary folder; with `python`, writes the modules.
    pub fn create(python: bool) -> io::Result<Workspace> {
        let dir = private_folder("run")?;
        if python {
            files::write_atomically(
                &dir.path().join("sitecustomize.py"),
                SITECUSTOMIZE.as_bytes(),
            )?;
            files::write_atomically(
                &dir.path().join("_proclab_trace.py"),
                INSTRUMENTATION.as_bytes(),
            )?;
        }
        Ok(Workspace { dir })
    }

    /// The folder (put on `PYTHONPATH`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the socket listens.
    pub fn socket_path(&self) -> PathBuf {
        self.dir.path().join("trace.sock")
    }
}

/// A folder in the system's temporary folder, private to the user (0700), named after this
/// proclab's PID so that a later trace removes it if this proclab is killed before it can.
pub fn private_folder(what: &str) -> io::Result<TempDir> {
    remove_stale(&std::env::temp_dir());
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-{what}-", std::process::id()))
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir()
}

/// Removes trace folders in `temp` that belong to this user and whose proclab is gone.
fn remove_stale(temp: &Path) {
    let Ok(entries) = fs::read_dir(temp) else {
        return;
    };
    let uid = nix::unistd::getuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        // symlink_metadata: a link named like a trace folder is never followed.
        let ours = entry
            .path()
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir() && m.uid() == uid);
        if ours && !super::tree::exists(owner) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_private_and_goes_away() {
        let workspace = Workspace::create(true).unwrap();
        let path = workspace.path().to_path_buf();
        let mode = fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(path.join("sitecustomize.py").is_file());
        drop(workspace);
        assert!(!path.exists());
    }

    #[test]
    fn stale_folders_of_dead_owners_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        // PID 0 never names a live process in /proc.
        let stale = temp.path().join(format!("{PREFIX}0-abc"));
        let live = temp
            .path()
            .join(format!("{PREFIX}{}-abc", std::process::id()));
        fs::create_dir(&stale).unwrap();
        fs::create_dir(&live).unwrap();
        remove_stale(temp.path());
        assert!(!stale.exists());
        assert!(live.exists());
    }
}
