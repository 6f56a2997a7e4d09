//! Files proclab writes (progress, recordings, exports, scaffolds): created with the user's umask
//! (or the mode of the file they replace), written to a temporary file in the same folder and
//! renamed into place, so a crash never leaves half a file and a symbolic link at the
//! destination is replaced, never followed. A FIFO or a character device at the destination
//! (`/dev/null`, a terminal) is written as a stream instead; a temporary file left by a proclab
//! that was killed is removed the next time proclab writes into that folder.

use std::fs::{self, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// What the names of proclab's temporary files start with: `.proclab-<pid>-<random>`.
const TEMP_PREFIX: &str = ".proclab-";

/// A file being written; it appears at its path only when [`SafeFile::finish`] is called.
pub(crate) struct SafeFile {
    target: Target,
}

enum Target {
    /// A temporary file, renamed to `path` at the end.
    Temp {
        temp: io::BufWriter<NamedTempFile>,
        path: PathBuf,
    },
    /// A FIFO or a device, written as it goes.
    Stream(io::BufWriter<fs::File>),
}

impl SafeFile {
    /// Starts writing `path` (its folder must exist).
    pub(crate) fn create(path: &Path) -> io::Result<SafeFile> {
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if path.file_name().is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "names a folder, not a file",
            ));
        }
        if !folder.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("the folder {} does not exist", folder.display()),
            ));
        }
        let existing = fs::symlink_metadata(path).ok();
        let keep_mode = match existing.as_ref().map(|m| m.file_type()) {
            Some(kind) if kind.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a folder; name a file inside it",
                ));
            }
            Some(kind) if kind.is_fifo() || kind.is_char_device() => {
                return Ok(SafeFile {
                    target: Target::Stream(io::BufWriter::new(open_stream(path)?)),
                });
            }
            Some(kind) if kind.is_block_device() || kind.is_socket() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "is a block device or a socket, which proclab does not write to; name a file",
                ));
            }
            // A file it replaces keeps its permissions (not set-user-ID and the like).
            Some(kind) if kind.is_file() => existing.map(|m| m.mode() & 0o777),
            _ => None,
        };
        remove_stale_temporaries(folder);
        // Mode 0666 goes through open(2), so for a new file the user's umask decides.
        let temp = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(folder)?;
        if let Some(mode) = keep_mode {
            temp.as_file()
                .set_permissions(Permissions::from_mode(mode))?;
        }
        Ok(SafeFile {
            target: Target::Temp {
                temp: io::BufWriter::new(temp),
                path: path.to_path_buf(),
            },
        })
    }

    /// Flushes and puts the file in place (renames it, or ends the stream).
    pub(crate) fn finish(self) -> io::Result<()> {
        match self.target {
            Target::Temp { temp, path } => {
                let temp = temp.into_inner().map_err(|e| e.into_error())?;
                temp.as_file().sync_data()?;
                temp.persist(&path).map_err(|e| e.error)?;
            }
            Target::Stream(mut stream) => stream.flush()?,
        }
        Ok(())
    }
}

/// Opens a FIFO or a device for writing, never through a symbolic link swapped in after it was
/// looked at (a FIFO waits for its reader, as a shell's `>` does).
fn open_stream(path: &Path) -> io::Result<fs::File> {
    let file = fs::OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_fifo() || kind.is_char_device() {
        Ok(file)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "changed while it was opened; try again",
        ))
    }
}

/// Removes `.proclab-<pid>-…` files in `folder` whose proclab is no longer running (it was
/// killed while writing, so it could not remove them itself).
fn remove_stale_temporaries(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let me = nix::unistd::getuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        let ours = entry.metadata().is_ok_and(|m| m.is_file() && m.uid() == me);
        if ours && !process_exists(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this PID exists (a permission error means it does, as another
/// user's).
fn process_exists(pid: i32) -> bool {
    pid > 0
        && !matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        )
}

impl Write for SafeFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.target {
            Target::Temp { temp, .. } => temp.write(buf),
            Target::Stream(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Target::Temp { temp, .. } => temp.flush(),
            Target::Stream(stream) => stream.flush(),
        }
    }
}

/// Writes `bytes` to `path` all at once (see [`SafeFile`]).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = SafeFile::create(path)?;
    file.write_all(bytes)?;
    file.finish()
}

/// Renames `path` to `aside` without replacing anything there: if `aside` exists, to
/// `aside-2`, `aside-3`…; returns the name it got.
pub(crate) fn move_aside(path: &Path, aside: &Path) -> io::Result<PathBuf> {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    for n in 1..=1000 {
        let candidate = match n {
            1 => aside.to_path_buf(),
            n => {
                let mut name = aside.as_os_str().to_os_string();
                name.push(format!("-{n}"));
                PathBuf::from(name)
            }
        };
        match renameat2(
            AT_FDCWD,
            path,
            AT_FDCWD,
            &candidate,
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => return Ok(candidate),
            Err(nix::errno::Errno::EEXIST) => continue,
            // A file system without no-replace renames: look, then rename.
            Err(nix::errno::Errno::EINVAL) if fs::symlink_metadata(&candidate).is_err() => {
                fs::rename(path, &candidate)?;
                return Ok(candidate);
            }
            Err(nix::errno::Errno::EINVAL) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{} and 999 more names beside it are taken", aside.display()),
    ))
}

/// Why [`read_regular`] read nothing; callers may word each case for their own files.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is a symbolic link, which is never followed.
    #[error("is a symbolic link; name the file it points to instead")]
    Link,
    /// The path is a folder, a FIFO, a device….
    #[error("is not a regular file")]
    NotRegular,
    /// The file is larger than the limit: `len` bytes if known before reading, else it grew
    /// past `max` while being read.
    #[error("is larger than {max} bytes, the most proclab reads")]
    TooBig {
        /// Its size, if it was too big before reading.
        len: Option<u64>,
        /// The limit.
        max: u64,
    },
    /// The file could not be looked at or read.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Opens a regular file for reading, refusing a symbolic link (never followed, even if the
/// path is swapped for one after a check) and anything that is not a plain file.
pub(crate) fn open_regular(path: &Path) -> Result<fs::File, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused.
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(nix::libc::ELOOP) => ReadError::Link,
            _ => ReadError::Io(e),
        })?;
    if !file.metadata()?.is_file() {
        return Err(ReadError::NotRegular);
    }
    Ok(file)
}

/// Reads a regular file of at most `max_bytes`, refusing symbolic links and anything else that
/// is not a plain file.
pub(crate) fn read_regular(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > max_bytes {
        return Err(ReadError::TooBig {
            len: Some(len),
            max: max_bytes,
        });
    }
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooBig {
            len: None,
            max: max_bytes,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn replaces_a_symlink_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("out.txt");
        symlink(&target, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
        assert!(!fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read_to_string(&link).unwrap(), "new");
    }

    #[test]
    fn uses_the_umask_and_leaves_nothing_when_not_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomically(&path, b"{}").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let umask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
        nix::sys::stat::umask(umask);
        assert_eq!(mode, 0o666 & !umask.bits());
        let unfinished = SafeFile::create(&dir.path().join("b.json")).unwrap();
        drop(unfinished);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_stale_temporaries_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.txt");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        // A temporary of a proclab that no longer runs, and one of this (running) process.
        let stale = dir.path().join(format!("{TEMP_PREFIX}{}-abc", i32::MAX));
        let live = dir
            .path()
            .join(format!("{TEMP_PREFIX}{}-def", std::process::id()));
        fs::write(&stale, "").unwrap();
        fs::write(&live, "").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!stale.exists());
        assert!(live.exists());
    }

    #[test]
    fn moving_aside_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let aside = dir.path().join("a.bak");
        for n in 0..3 {
            let path = dir.path().join("a");
            fs::write(&path, format!("{n}")).unwrap();
            let got = move_aside(&path, &aside).unwrap();
            let name = got.file_name().unwrap().to_string_lossy().into_owned();
            let expected = ["a.bak", "a.bak-2", "a.bak-3"][n];
            assert_eq!(name, expected);
            assert_eq!(fs::read_to_string(&got).unwrap(), format!("{n}"));
        }
    }

    #[test]
    fn refuses_links_and_large_files_when_reading() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "0123456789").unwrap();
        let link = dir.path().join("l");
        symlink(&file, &link).unwrap();
        assert!(read_regular(&link, 100).is_err());
        assert!(read_regular(&file, 5).is_err());
        assert_eq!(read_regular(&file, 10).unwrap(), b"0123456789");
    }
}
