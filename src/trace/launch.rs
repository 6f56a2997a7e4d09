//! The traced command: found on `PATH` by proclab itself, and where its output arrives (a pty,
//! or pipes). [`super::session`] starts it.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where the program's output arrives.
#[derive(Debug)]
pub enum RawOutput {
    /// The master side of its pty (stdout and stderr mixed, as in a terminal).
    Pty(File),
    /// Its stdout and stderr pipes.
    Pipes {
        /// Standard output.
        stdout: File,
        /// Standard error.
        stderr: File,
        /// The master side of the pty that is only its controlling terminal: keep it open
        /// while the program runs (closing it hangs the terminal up: SIGHUP to the program).
        terminal: File,
    },
}

/// Finds `name` as a shell would: a name with a `/` is a path; any other name is looked up in
/// the folders of `PATH`, and the first executable regular file wins.
pub fn resolve(name: &OsStr) -> io::Result<PathBuf> {
    let not_found = || {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("command not found: {}", name.to_string_lossy()),
        )
    };
    if name.is_empty() {
        return Err(not_found());
    }
    let as_path = Path::new(name);
    if name.as_encoded_bytes().contains(&b'/') {
        return if is_executable(as_path) {
            Ok(as_path.to_path_buf())
        } else {
            Err(not_found())
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|folder| folder.join(name))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(not_found)
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_commands_on_path_and_names_missing_ones() {
        assert!(resolve(OsStr::new("sh")).unwrap().is_absolute());
        let error = resolve(OsStr::new("no-such-command-proclab")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "command not found: no-such-command-proclab"
        );
        assert!(resolve(OsStr::new("./no/such/file")).is_err());
    }
}
