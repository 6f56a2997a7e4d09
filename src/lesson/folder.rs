//! A lesson folder on disk, opened once: each of its files is opened relative to the open folder
//! (`openat`) and never through a symbolic link (`O_NOFOLLOW`), and what was opened is what is
//! checked and read. A file swapped for a link while proclab reads it can only make the read
//! fail; it can never make proclab read a file outside the folder.

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat};
use nix::sys::stat::Mode;

use super::problem::Problem;
use crate::limits;

const LINKED_INNER_FOLDER: &str = "is a symbolic link: a folder inside a lesson must be a folder of its own, not a link to one (copy it there instead)";
const LINKED_FOLDER: &str = "is a symbolic link: a lesson folder must be a folder of its own, not a link to one (copy the lesson there, or name the folder the link points to)";

/// An open lesson folder.
#[derive(Debug)]
pub(crate) struct LessonDir {
    path: PathBuf,
    dir: OwnedFd,
}

impl LessonDir {
    /// Opens the folder at `path`, which must be a folder itself, not a symbolic link to one.
    pub(crate) fn open(path: &Path) -> Result<LessonDir, Problem> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let dir = open(path, flags, Mode::empty()).map_err(|errno| {
            let message = match errno {
                Errno::ELOOP => LINKED_FOLDER.into(),
                // With O_DIRECTORY, a link is refused as "not a folder": say which it is.
                Errno::ENOTDIR if path.is_symlink() => LINKED_FOLDER.into(),
                Errno::ENOTDIR => "is not a folder".into(),
                errno => describe(errno),
            };
            Problem::whole_file(&path.display().to_string(), message)
        })?;
        Ok(LessonDir {
            path: path.to_path_buf(),
            dir,
        })
    }

    /// The folder `name` inside this one, opened relative to it and never through a link;
    /// `None` when there is none.
    pub(crate) fn open_folder(&self, name: &str) -> Result<Option<LessonDir>, Problem> {
        let path = self.path.join(name);
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        match openat(&self.dir, name, flags, Mode::empty()) {
            Ok(dir) => Ok(Some(LessonDir { path, dir })),
            Err(Errno::ENOENT) => Ok(None),
            Err(errno) => {
                let message = match errno {
                    Errno::ELOOP => LINKED_INNER_FOLDER.into(),
                    Errno::ENOTDIR if path.is_symlink() => LINKED_INNER_FOLDER.into(),
                    Errno::ENOTDIR => "is not a folder".into(),
                    errno => describe(errno),
                };
                Err(Problem::whole_file(&path.display().to_string(), message))
            }
        }
    }

    /// The names in this folder (not `.`, `..` or hidden ones), sorted.
    pub(crate) fn names(&self) -> Result<Vec<String>, Problem> {
        let fail =
            |errno: Errno| Problem::whole_file(&self.path.display().to_string(), describe(errno));
        let fd = nix::unistd::dup(&self.dir).map_err(fail)?;
        let mut dir = nix::dir::Dir::from_fd(fd).map_err(fail)?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(fail)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Where the folder is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// How to name `file` of this folder in a message.
    pub(crate) fn display(&self, file: &str) -> String {
        self.path.join(file).display().to_string()
    }

    /// The text of `file` in this folder: a regular file (not a link, a FIFO or a folder), at
    /// most [`limits::MAX_LESSON_FILE_BYTES`], valid UTF-8. Anything else is a problem naming
    /// the file and the fix.
    pub(crate) fn read(&self, file: &str) -> Result<String, Problem> {
        let name = self.display(file);
        let bytes = self
            .read_bytes(file)
            .map_err(|message| Problem::whole_file(&name, message))?;
        String::from_utf8(bytes).map_err(|e| {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(good);
            Problem::at(
                &name,
                &text,
                text.len(),
                "is not valid UTF-8 here: save the file as UTF-8",
            )
        })
    }

    fn read_bytes(&self, file: &str) -> Result<Vec<u8>, String> {
        // O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused just below.
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        let fd = openat(&self.dir, file, flags, Mode::empty()).map_err(|errno| match errno {
            Errno::ELOOP => "is a symbolic link: a lesson's files must be regular files in its folder (copy the file there instead)".to_string(),
            errno => describe(errno),
        })?;
        let opened = File::from(fd);
        let metadata = opened
            .metadata()
            .map_err(|e| format!("cannot be read: {e}"))?;
        if !metadata.is_file() {
            return Err("is not a regular file".into());
        }
        let max = limits::MAX_LESSON_FILE_BYTES;
        if metadata.len() > max {
            return Err(format!(
                "is {} bytes: a lesson file may be at most {max} bytes",
                metadata.len()
            ));
        }
        let mut bytes = Vec::new();
        let read = opened.take(max + 1).read_to_end(&mut bytes);
        read.map_err(|e| format!("cannot be read: {e}"))?;
        if bytes.len() as u64 > max {
            return Err(format!(
                "is more than {max} bytes: a lesson file may be at most that"
            ));
        }
        Ok(bytes)
    }
}

/// What went wrong opening a file, as the end of a sentence that starts with its name.
fn describe(errno: Errno) -> String {
    match errno {
        Errno::ENOENT => "does not exist".into(),
        Errno::EACCES => "cannot be read: permission denied".into(),
        errno => format!("cannot be read: {}", std::io::Error::from(errno)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_linked_folder_and_a_linked_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lesson = dir.path().join("lesson");
        std::fs::create_dir(&lesson).unwrap();
        std::fs::write(lesson.join("a.md"), "text").unwrap();
        symlink("a.md", lesson.join("b.md")).unwrap();
        symlink(&lesson, dir.path().join("link")).unwrap();
        let opened = LessonDir::open(&lesson).unwrap();
        assert_eq!(opened.read("a.md").unwrap(), "text");
        let link = opened.read("b.md").unwrap_err().message;
        assert!(link.starts_with("is a symbolic link"), "{link}");
        let folder = LessonDir::open(&dir.path().join("link")).unwrap_err();
        assert!(folder.message.starts_with("is a symbolic link"), "{folder}");
        let missing = opened.read("c.md").unwrap_err();
        assert_eq!(missing.message, "does not exist");
    }
}
