//! What the exercise screen asks of the outside world: following the learner's file (its folder
//! is watched, so an editor's save by rename is seen too) and checking it in the background
//! (`exercise::background`, the judge `proclab exercise check` uses), each run's events and the
//! verdict forwarded into the UI channel. Stopping a check ends every process it started before
//! the next check begins, so two checks never share the machine.

use std::path::Path;
use std::sync::OnceLock;
use std::sync::mpsc::{self, SyncSender};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::exercise::run::MAX_PROGRAM_BYTES;
use crate::exercise::{
    Interpreter, JudgeHandle, JudgeMessage, JudgeOptions, Snapshot, StartMethod, background,
};
use crate::tui::app::exercise::{ExerciseFile, JudgeReport};
use crate::tui::app::message::{Message, RunId};
use crate::watch::{FolderWatch, watch_folder};

/// The interpreter that runs the learner's programs, found once (`python3` on `PATH`).
pub(super) type Python = OnceLock<Result<Interpreter, String>>;

/// Checks `target` with `python` as check `session` in the background, its reports sent into
/// `messages`; the check goes on until the handle returned is dropped (which ends every process
/// it started) or it is done. `None` if it could not start (the report says why).
pub(super) fn judge(
    session: RunId,
    target: ExerciseFile,
    python: &Python,
    messages: SyncSender<Message>,
) -> Option<JudgeHandle> {
    let python = python.get_or_init(|| Interpreter::find(None)).clone();
    let ready = python.and_then(|python| {
        let program = Snapshot::read(&target.file).map_err(|e| unreadable(&target.file, &e))?;
        Ok((python, program))
    });
    let (python, program) = match ready {
        Ok(ready) => ready,
        Err(why) => {
            let report = JudgeReport::Failed(why);
            // Not from this (the UI's) thread: it must not wait for room in its own channel.
            std::thread::spawn(move || {
                let _ = messages.send(Message::Judging { session, report });
            });
            return None;
        }
    };
    let options = JudgeOptions {
        python,
        runs: None,
        interrupted: None,
    };
    let mut handle = background::start(target.exercise, program, options);
    let reports = std::mem::replace(&mut handle.messages, mpsc::sync_channel(0).1);
    std::thread::spawn(move || {
        for message in reports {
            let report = match message {
                JudgeMessage::RunStarted {
                    run,
                    of,
                    method,
                    reference,
                } => JudgeReport::RunStarted {
                    index: run,
                    total: of,
                    label: run_label(method, reference),
                },
                JudgeMessage::Event(event) => JudgeReport::Event {
                    event,
                    at: Instant::now(),
                },
                JudgeMessage::RunFinished(_) => JudgeReport::RunEnded,
                JudgeMessage::Done(verdict) => JudgeReport::Verdict(Box::new(verdict)),
            };
            if messages.send(Message::Judging { session, report }).is_err() {
                return;
            }
        }
    });
    Some(handle)
}

/// What a run is, beside its number: the serial reference, or under which start method
/// (nothing for a plain run of the learner's program).
fn run_label(method: Option<StartMethod>, reference: bool) -> String {
    match (method, reference) {
        (_, true) => "the serial reference, to compare times".into(),
        (Some(method), false) => format!("under {method}"),
        (None, false) => String::new(),
    }
}

/// Why the learner's file cannot be checked, and what to do.
fn unreadable(file: &Path, error: &std::io::Error) -> String {
    let shown = crate::text::visible(&file.display().to_string()).into_owned();
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            format!("{shown} is gone: save your program there again to check it")
        }
        _ => format!("{shown} cannot be read ({error}): save your program there again"),
    }
}

/// Starts following the learner's file: writes the exercise's starting program there unless
/// the file exists, then sends the file's text now and after every save. The watch lasts as
/// long as the value returned.
pub(super) fn follow(target: &ExerciseFile, messages: SyncSender<Message>) -> Result<FolderWatch> {
    let file = target.file.clone();
    let written = target
        .exercise
        .write_start(&file)
        .with_context(|| format!("Cannot write {}", file.display()))?;
    let shown = crate::text::visible(&file.display().to_string()).into_owned();
    let notice = if written {
        format!("Wrote the starting program to {shown}: edit it there, and save.")
    } else {
        format!("{shown} is yours already: checking it as it is (proclab never writes over it).")
    };
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => ".".into(),
    };
    // Not from this (the UI's) thread: it must not wait for room in its own channel.
    let (first, first_file) = (messages.clone(), file.clone());
    std::thread::spawn(move || {
        let _ = first.send(Message::Notice(notice));
        let _ = first.send(Message::ExerciseSaved(read(&first_file)));
    });
    let name = file.file_name().map(ToOwned::to_owned);
    watch_folder(&folder, move |paths| {
        // An empty list: the watch itself went wrong; look at the file again.
        let ours = paths.is_empty() || paths.iter().any(|p| p.file_name() == name.as_deref());
        !ours || messages.send(Message::ExerciseSaved(read(&file))).is_ok()
    })
}

/// The learner's file as text, or what is wrong with it in words they can act on.
fn read(file: &Path) -> Result<String, String> {
    let shown = crate::text::visible(&file.display().to_string()).into_owned();
    let metadata = std::fs::metadata(file).map_err(|e| unreadable(file, &e))?;
    if !metadata.is_file() {
        return Err(format!(
            "{shown} is not a regular file: save your program there"
        ));
    }
    if metadata.len() > MAX_PROGRAM_BYTES {
        return Err(format!(
            "{shown} is {} bytes: a program checked may be at most {MAX_PROGRAM_BYTES} bytes",
            metadata.len()
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| unreadable(file, &e))?;
    String::from_utf8(bytes).map_err(|_| {
        format!("{shown} is not UTF-8 text: save it as UTF-8 (Python's own encoding) to check it")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_starting_program_is_written_once_and_never_over_the_learners_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("work/ex.py");
        let exercise = fixture(&file).exercise;
        assert!(
            exercise.write_start(&file).unwrap(),
            "the folder is made too"
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), exercise.start.text);
        std::fs::write(&file, "mine\n").unwrap();
        assert!(!exercise.write_start(&file).unwrap());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
        // Not even through a link left in its place.
        let link = dir.path().join("work/linked.py");
        std::os::unix::fs::symlink(dir.path().join("elsewhere.py"), &link).unwrap();
        assert!(!exercise.write_start(&link).unwrap());
        assert!(!dir.path().join("elsewhere.py").exists());
    }

    #[test]
    fn a_file_that_cannot_be_read_says_why_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ex.py");
        let gone = read(&file).unwrap_err();
        assert!(gone.ends_with("ex.py is gone: save your program there again to check it"));
        std::fs::write(&file, b"print('\xff')\n").unwrap();
        assert!(read(&file).unwrap_err().contains("is not UTF-8 text"));
        assert!(
            read(dir.path())
                .unwrap_err()
                .contains("is not a regular file")
        );
        std::fs::write(&file, "print('ok')\n").unwrap();
        assert_eq!(read(&file).unwrap(), "print('ok')\n");
    }

    /// The fixture exercise `two-children`, to be followed at `file`.
    fn fixture(file: &Path) -> ExerciseFile {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exercise-lessons");
        let catalog = crate::lesson::Catalog::load(Some(&folder)).unwrap();
        ExerciseFile {
            exercise: crate::exercise::find(&catalog, "two-children")
                .unwrap()
                .clone(),
            file: file.to_path_buf(),
        }
    }

    /// The next text of the file followed that `messages` carries (notices are skipped).
    fn next_saved(messages: &std::sync::mpsc::Receiver<Message>, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match messages.recv_timeout(left).ok()? {
                Message::ExerciseSaved(saved) => return Some(saved.unwrap()),
                _ => continue,
            }
        }
    }

    #[test]
    fn only_a_save_of_the_learners_own_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("two-children.py");
        let target = fixture(&file);
        let (sender, messages) = std::sync::mpsc::sync_channel(64);
        let watch = follow(&target, sender).unwrap();
        let first = next_saved(&messages, Duration::from_secs(10)).unwrap();
        assert_eq!(
            first, target.exercise.start.text,
            "the starting program, written"
        );
        // An editor's swap file beside it is not a save of it.
        std::fs::write(dir.path().join(".two-children.py.swp"), "x").unwrap();
        assert_eq!(next_saved(&messages, Duration::from_millis(600)), None);
        // A save by rename is.
        let temporary = dir.path().join("two-children.py~");
        std::fs::write(&temporary, "print('mine')\n").unwrap();
        std::fs::rename(&temporary, &file).unwrap();
        let saved = next_saved(&messages, Duration::from_secs(10)).unwrap();
        assert_eq!(saved, "print('mine')\n");
        drop(watch);
    }

    #[test]
    fn a_run_is_named_by_its_method_or_as_the_reference() {
        assert_eq!(run_label(None, false), "");
        assert_eq!(run_label(Some(StartMethod::Spawn), false), "under spawn");
        assert!(run_label(None, true).starts_with("the serial reference"));
    }
}
