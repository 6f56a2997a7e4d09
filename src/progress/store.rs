//! Keeps the learner's [`Progress`] in `progress.json` in the state folder
//! ([`crate::state::state_dir`]): loaded once at start, written (atomically, see [`crate::files`])
//! whenever it changes. Nothing here is ever fatal: an unreadable file is set aside as
//! `progress.json.corrupt-<unix time>`, and a folder that cannot be written keeps progress in
//! memory; either way the UI gets one line saying so.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::model::{PROGRESS_VERSION, Place, Progress};
use crate::files::{self, ReadError};
use crate::limits::MAX_PROGRESS_BYTES;
use crate::state;

/// The progress file's name inside the state folder.
pub(crate) const PROGRESS_FILE: &str = "progress.json";

/// Where progress is saved, and what was saved last.
#[derive(Debug)]
pub(crate) struct ProgressStore {
    /// The progress file, or `None` when there is nowhere to keep it.
    path: Option<PathBuf>,
    /// What the file holds now (so unchanged progress is not written again).
    saved: Option<Progress>,
    /// Set once saving failed: from then on progress stays in memory.
    in_memory_only: bool,
}

/// What [`ProgressStore::load`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loaded {
    /// The saved progress, or none yet.
    pub(crate) progress: Progress,
    /// One line for the learner when something was wrong with the file or the folder.
    pub(crate) notice: Option<String>,
}

impl ProgressStore {
    /// The store at `state::state_dir()/progress.json`.
    pub(crate) fn in_state_dir() -> ProgressStore {
        ProgressStore::at(ProgressStore::default_path())
    }

    /// Where the progress file is kept: `progress.json` in the state folder, if there is one.
    pub(crate) fn default_path() -> Option<PathBuf> {
        state::state_dir().map(|dir| dir.join(PROGRESS_FILE))
    }

    /// A store at `path` (`None`: memory only).
    pub(crate) fn at(path: Option<PathBuf>) -> ProgressStore {
        ProgressStore {
            path,
            saved: None,
            in_memory_only: false,
        }
    }

    /// The progress file, if there is one.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads the saved progress. A missing file is no progress yet; a file that cannot be read
    /// or understood is renamed aside and progress starts afresh, with a notice saying where
    /// the old file went.
    pub(crate) fn load(&mut self) -> Loaded {
        let fresh = |notice: Option<String>| Loaded {
            progress: Progress::default(),
            notice,
        };
        let Some(path) = self.path.clone() else {
            self.in_memory_only = true;
            return fresh(Some(
                "Progress is kept in memory only: set HOME or XDG_STATE_HOME to an absolute folder to save it."
                    .into(),
            ));
        };
        let problem = match files::read_regular(&path, MAX_PROGRESS_BYTES) {
            Err(ReadError::Io(error))
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return fresh(None);
            }
            Err(error) => error.to_string(),
            Ok(bytes) => match parse(&bytes) {
                Ok(progress) => {
                    self.saved = Some(progress.clone());
                    return Loaded {
                        progress,
                        notice: None,
                    };
                }
                Err(problem) => problem,
            },
        };
        let notice = match files::move_aside(&path, &aside_name(&path)) {
            Ok(aside) => format!(
                "Saved progress could not be read, so it was moved to {} and starts afresh ({}: {problem}).",
                aside.display(),
                path.display()
            ),
            Err(error) => {
                self.in_memory_only = true;
                format!(
                    "Saved progress is kept in memory only: {} could not be read ({problem}) nor moved aside ({error}); move it away to save again.",
                    path.display()
                )
            }
        };
        fresh(Some(notice))
    }

    /// The place the file says the learner is on (its `last` field), read without changing
    /// anything (a bad file is not set aside): for a reader beside the lesson screen, such as
    /// the notes window. Only that field is read, so another tool may write a file that holds
    /// just `{"last": {"lesson": id, "page": p}}`. `None` when there is no file, it cannot be
    /// read, it is being replaced, or it names no place.
    pub(crate) fn peek_place(&self) -> Option<Place> {
        #[derive(Deserialize)]
        struct Last {
            last: Option<Place>,
        }
        let bytes = files::read_regular(self.path.as_deref()?, MAX_PROGRESS_BYTES).ok()?;
        serde_json::from_slice::<Last>(&bytes).ok()?.last
    }

    /// Saves `progress` if it changed since the last save. Returns a notice the first time
    /// saving fails; progress then stays in memory until proclab ends.
    pub(crate) fn save(&mut self, progress: &Progress) -> Option<String> {
        if self.in_memory_only || self.saved.as_ref() == Some(progress) {
            return None;
        }
        let path = self.path.clone()?;
        match write(&path, progress) {
            Ok(()) => {
                self.saved = Some(progress.clone());
                None
            }
            Err(error) => {
                self.in_memory_only = true;
                let folder = path.parent().unwrap_or(Path::new("/"));
                Some(format!(
                    "Progress cannot be saved in {} ({error}); it is kept in memory until proclab ends.",
                    folder.display()
                ))
            }
        }
    }
}

/// The progress in a file's bytes, or what is wrong with them (line, column and field).
fn parse(bytes: &[u8]) -> Result<Progress, String> {
    let progress: Progress = serde_json::from_slice(bytes)
        .map_err(|error| format!("line {}, column {}: {error}", error.line(), error.column()))?;
    if progress.version != PROGRESS_VERSION {
        return Err(format!(
            "field `version` is {}, and this proclab reads version {PROGRESS_VERSION}",
            progress.version
        ));
    }
    Ok(progress)
}

fn write(path: &Path, progress: &Progress) -> io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let mut json = serde_json::to_vec_pretty(progress).map_err(io::Error::other)?;
    json.push(b'\n');
    files::write_atomically(path, &json)
}

/// `progress.json.corrupt-<unix time>` beside `path` (a second one of the same second gets
/// `-2` after it: see [`files::move_aside`]).
fn aside_name(path: &Path) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{seconds}"));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn store(dir: &Path) -> ProgressStore {
        ProgressStore::at(Some(dir.join("proclab").join(PROGRESS_FILE)))
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn progress_round_trips_through_the_file_and_a_missing_file_is_no_progress() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = store(dir.path());
        assert_eq!(
            first.load(),
            Loaded {
                progress: Progress::default(),
                notice: None
            }
        );
        let mut progress = Progress::default();
        progress.answered_right("pool-sleep", "last-job");
        progress.place("pool-sleep", 2);
        assert_eq!(first.save(&progress), None);
        let text = fs::read_to_string(first.path().unwrap()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json["last"],
            serde_json::json!({"lesson": "pool-sleep", "page": 2})
        );
        assert_eq!(json["version"], 1);
        let loaded = store(dir.path()).load();
        assert_eq!((loaded.progress, loaded.notice), (progress, None));
    }

    #[test]
    fn peeking_reads_the_place_alone_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        assert_eq!(store.peek_place(), None, "no file yet");
        let mut progress = Progress::default();
        progress.place("pool-sleep", 2);
        store.save(&progress);
        assert_eq!(store.peek_place(), progress.last);
        let path = store.path().unwrap().to_path_buf();
        fs::write(&path, r#"{"last": {"lesson": "four-prints", "page": 1}}"#).unwrap();
        let place = store.peek_place().map(|p| (p.lesson, p.page));
        assert_eq!(
            place,
            Some(("four-prints".to_string(), 1)),
            "the place alone"
        );
        for bad in [
            "{not json",
            r#"{"lessons": {}}"#,
            r#"{"last": {"lesson": 3}}"#,
        ] {
            fs::write(&path, bad).unwrap();
            assert_eq!(store.peek_place(), None, "{bad}");
        }
        assert_eq!(
            names(path.parent().unwrap()),
            ["progress.json"],
            "nothing set aside"
        );
        assert_eq!(ProgressStore::at(None).peek_place(), None);
    }

    #[test]
    fn a_corrupt_file_is_set_aside_with_a_notice_that_says_where() {
        for bad in [
            "{not json".to_string(),
            r#"{"version": 1, "lessons": []}"#.to_string(),
            r#"{"version": 7, "lessons": {}}"#.to_string(),
            "x".repeat(MAX_PROGRESS_BYTES as usize + 1),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut store = store(dir.path());
            let path = store.path().unwrap().to_path_buf();
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &bad).unwrap();
            let loaded = store.load();
            assert_eq!(loaded.progress, Progress::default());
            let notice = loaded.notice.expect("a notice");
            let folder = path.parent().unwrap();
            let files = names(folder);
            assert_eq!(files.len(), 1, "{files:?}");
            assert!(files[0].starts_with("progress.json.corrupt-"), "{files:?}");
            assert!(notice.contains(&files[0]), "{notice}");
            assert_eq!(fs::read_to_string(folder.join(&files[0])).unwrap(), bad);
            let mut progress = Progress::default();
            progress.visit("pool-sleep");
            assert_eq!(store.save(&progress), None, "saving works again afterwards");
        }
    }

    #[test]
    fn a_corrupt_file_never_replaces_an_earlier_one_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(dir.path());
        let path = store.path().unwrap().to_path_buf();
        let folder = path.parent().unwrap().to_path_buf();
        fs::create_dir_all(&folder).unwrap();
        // Earlier backups for this second and the next few, as a second corrupt file in the
        // same second would find.
        let now = aside_name(&path);
        let seconds: u64 = now
            .to_string_lossy()
            .rsplit('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        for second in seconds..seconds + 3 {
            fs::write(
                folder.join(format!("progress.json.corrupt-{second}")),
                "earlier",
            )
            .unwrap();
        }
        fs::write(&path, "{not json").unwrap();
        let notice = store.load().notice.expect("a notice");
        let files = names(&folder);
        assert_eq!(files.len(), 4, "{files:?}");
        let earlier = files
            .iter()
            .filter(|f| fs::read_to_string(folder.join(f)).unwrap() == "earlier")
            .count();
        assert_eq!(earlier, 3, "{files:?}");
        let new = files
            .iter()
            .find(|f| f.ends_with("-2"))
            .expect("a -2 backup");
        assert!(notice.contains(new.as_str()), "{notice}");
        assert_eq!(fs::read_to_string(folder.join(new)).unwrap(), "{not json");
    }

    #[test]
    fn a_symlinked_file_is_set_aside_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.json");
        fs::write(&target, r#"{"version": 1, "lessons": {}}"#).unwrap();
        let mut store = store(dir.path());
        let path = store.path().unwrap().to_path_buf();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let notice = store.load().notice.expect("a notice");
        assert!(notice.contains("symbolic link"), "{notice}");
        assert!(fs::symlink_metadata(&path).is_err());
        assert!(target.exists());
    }

    #[test]
    fn a_folder_that_cannot_be_written_keeps_progress_in_memory_and_says_so_once() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the state folder should be: no user (root included) can create it.
        fs::write(dir.path().join("proclab"), "").unwrap();
        let mut store = store(dir.path());
        assert_eq!(store.load().notice, None);
        let mut progress = Progress::default();
        progress.visit("pool-sleep");
        let notice = store.save(&progress).expect("a notice");
        assert!(notice.contains("kept in memory"), "{notice}");
        progress.visit("four-prints");
        assert_eq!(store.save(&progress), None, "said once");
        let mut nowhere = ProgressStore::at(None);
        assert!(nowhere.load().notice.unwrap().contains("HOME"));
        assert_eq!(nowhere.save(&progress), None);
    }
}
