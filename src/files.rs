//! Files proclab writes (progress, recordings, exports, scaffolds): created with the user's umask,
//! written to a temporary file in the same folder and renamed into place, so a crash never leaves
//! half a file and a symbolic link at the destination is replaced, never followed.

use std::fs::{self, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written; it appears at its path only when [`SafeFile::finish`] is called.
pub(crate) struct SafeFile {
    temp: io::BufWriter<NamedTempFile>,
    path: PathBuf,
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
        if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a folder; name a file inside it",
            ));
        }
        // Mode 0666 goes through open(2), so the user's umask decides the permissions.
        let temp = tempfile::Builder::new()
            .prefix(".proclab-")
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(folder)?;
        Ok(SafeFile {
            temp: io::BufWriter::new(temp),
            path: path.to_path_buf(),
        })
    }

    /// Flushes and renames the file into place.
    pub(crate) fn finish(self) -> io::Result<()> {
        let temp = self.temp.into_inner().map_err(|e| e.into_error())?;
        temp.as_file().sync_data()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for SafeFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `bytes` to `path` all at once (see [`SafeFile`]).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = SafeFile::create(path)?;
    file.write_all(bytes)?;
    file.finish()
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
