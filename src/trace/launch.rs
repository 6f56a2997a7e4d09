//! Starting the traced command: found on `PATH` by proclab itself, in a session of its own, with
//! a pty (or pipes) for its output, and tied to proclab's life.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use nix::sys::signal::Signal;

use super::pty;

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

/// The started command.
#[derive(Debug)]
pub struct Launched {
    /// The direct child.
    pub child: Child,
    /// Its output.
    pub output: RawOutput,
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

/// Starts `program` with `args` (`args[0]` is the name the program sees) and extra `env`.
/// It leads a new session (so its whole process group can be signalled) whose controlling
/// terminal is a new pty: with `pipe` only that (its stdin is /dev/null, its stdout and stderr
/// pipes), else also its stdin, stdout and stderr. If proclab dies, the pty's master closes and
/// the kernel hangs the terminal up, sending SIGHUP to the program's processes. The command is
/// also killed when the thread that started it ends (`PR_SET_PDEATHSIG`): keep that thread alive
/// until it is reaped.
pub fn launch(
    program: &Path,
    args: &[OsString],
    env: &[(OsString, OsString)],
    pipe: bool,
) -> io::Result<Launched> {
    let mut command = Command::new(program);
    if let Some(first) = args.first() {
        command.arg0(first);
    }
    command.args(args.iter().skip(1));
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let pty = pty::open()?;
    if pipe {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    } else {
        command
            .stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave.try_clone()?));
    }
    let parent = nix::unistd::getpid();
    // Still open in the child until exec (it is close-on-exec).
    let terminal = pty.slave.as_raw_fd();
    // SAFETY: runs in the child between fork and exec and only makes async-signal-safe system
    // calls (setsid, ioctl, prctl, getppid); it allocates nothing, errors included.
    unsafe {
        command.pre_exec(move || {
            nix::unistd::setsid()?;
            if nix::libc::ioctl(terminal, nix::libc::TIOCSCTTY, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            if nix::unistd::getppid() != parent {
                // proclab exited while the command was starting (no allocation here).
                return Err(io::Error::from_raw_os_error(nix::libc::ESRCH));
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("cannot start {}: {error}", program.display()),
        )
    })?;
    // Only the child holds the slave now: when it and its descendants close it, reading the
    // master ends (EIO).
    drop(pty.slave);
    let master = File::from(pty.master);
    let output = if pipe {
        let take = |pipe: Option<OwnedFd>| File::from(pipe.expect("stdout and stderr are piped"));
        RawOutput::Pipes {
            stdout: take(child.stdout.take().map(OwnedFd::from)),
            stderr: take(child.stderr.take().map(OwnedFd::from)),
            terminal: master,
        }
    } else {
        RawOutput::Pty(master)
    };
    Ok(Launched { child, output })
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
