//! `open <id> --lessons DIR --watch`: the lesson being written is loaded again whenever a file
//! in its folder changes. A valid version replaces the one shown (same page, same answers, a
//! run in progress goes on); an invalid one leaves the last good version on screen under a red
//! panel that lists every problem as `proclab check` prints it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

use anyhow::{Result, anyhow};

use super::lesson::{Dialog, LessonScreen};
use super::message::{Command, Message};
use super::panes::Reader;
use super::{App, Screen};
use crate::lesson::load::{
    LESSON_FILE, builtin, lesson_folders, load_folder, parse_lesson, read_limited,
};
use crate::lesson::{Catalog, Lesson, Origin, Problem};
use crate::tui::runtime::theme::Theme;
use crate::watch::{FolderWatch, watch_folder};

/// The lesson `--watch` follows, as found when proclab starts.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The lesson's folder, as found in `--lessons`.
    pub folder: PathBuf,
    /// Its problems now (empty when it is valid).
    pub problems: Vec<Problem>,
}

/// What the UI knows about the watched lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchState {
    /// The lesson's folder, which the watch follows.
    pub folder: PathBuf,
    /// Every problem of its files now, as `file:line:col: message`; empty when valid.
    pub problems: Vec<String>,
    /// Whether a valid version was ever shown (if not, the first one opens).
    pub shown: bool,
}

impl Watched {
    /// The catalog for `--lessons dir --watch` and the folder of lesson `id` in `dir`. Unlike a
    /// plain `--lessons`, problems do not stop proclab: other lessons with problems are left
    /// out, and the watched lesson's problems are kept to be shown. An error says why no
    /// lesson `id` could be found.
    pub fn load(dir: &Path, id: &str) -> Result<(Catalog, Watched)> {
        let folders = lesson_folders(dir).map_err(|problem| anyhow!("{problem}"))?;
        let mut lessons = builtin();
        let mut watched = None;
        for folder in folders {
            match load_folder(&folder) {
                Ok(lesson) => {
                    if lesson.id == id {
                        watched = Some(Watched {
                            folder: folder.clone(),
                            problems: Vec::new(),
                        });
                    }
                    match lessons.iter_mut().find(|known| known.id == lesson.id) {
                        Some(known) => *known = lesson,
                        None => lessons.push(lesson),
                    }
                }
                Err(problems) if declared_id(&folder).as_deref() == Some(id) => {
                    watched = Some(Watched { folder, problems });
                }
                Err(_) => {}
            }
        }
        let watched = watched.ok_or_else(|| {
            anyhow!(
                "no lesson with id {id:?} in {}: --watch reloads a lesson from its folder there \
                 (`proclab check {}` lists the lessons it holds and their problems)",
                dir.display(),
                dir.display()
            )
        })?;
        if !watched.problems.is_empty() {
            // Not the built-in lesson of that id: the writer is waiting for theirs.
            lessons.retain(|lesson| lesson.id != id);
        }
        Ok((Catalog { lessons }, watched))
    }

    /// Starts following the folder: `app` learns about it, and every burst of changes sends
    /// the lesson loaded again into `messages`. The watch lasts as long as the value returned.
    pub(crate) fn start(self, app: &mut App, messages: SyncSender<Message>) -> Result<FolderWatch> {
        app.set_watch(WatchState {
            folder: self.folder.clone(),
            problems: self.problems.iter().map(ToString::to_string).collect(),
            shown: app.lesson_screen().is_some(),
        });
        let folder = self.folder.clone();
        watch_folder(&self.folder, move |_| {
            let reloaded = load_folder(&folder).map(Box::new);
            messages.send(Message::LessonReloaded(reloaded)).is_ok()
        })
    }
}

/// The id a lesson folder declares, if its `lesson.toml` parses; else the folder's name.
fn declared_id(folder: &Path) -> Option<String> {
    let file = folder.join(LESSON_FILE);
    let parsed = read_limited(&file)
        .ok()
        .and_then(|source| parse_lesson(&file.display().to_string(), &source).ok());
    match parsed {
        Some((lesson, _)) => Some(lesson.id.into_inner()),
        None => folder
            .file_name()
            .map(|name| name.to_string_lossy().into_owned()),
    }
}

impl App {
    /// The watched lesson was loaded again: a valid version replaces it (and opens it, if
    /// none was valid before); problems are kept for the red panel.
    pub(crate) fn on_lesson_reloaded(
        &mut self,
        reloaded: Result<Box<Lesson>, Vec<Problem>>,
    ) -> Option<Command> {
        let watch = self.watch.as_mut()?;
        let lesson = match reloaded {
            Err(problems) => {
                watch.problems = problems.iter().map(ToString::to_string).collect();
                return None;
            }
            Ok(lesson) => *lesson,
        };
        watch.problems.clear();
        let first = !std::mem::replace(&mut watch.shown, true);
        let origin = Origin::Folder(watch.folder.clone());
        let index = self
            .lessons
            .iter()
            .position(|known| known.origin == origin)
            .or_else(|| self.lessons.iter().position(|known| known.id == lesson.id));
        let index = match index {
            Some(index) => {
                self.lessons[index] = lesson.clone();
                index
            }
            None => {
                self.lessons.push(lesson.clone());
                self.lessons.len() - 1
            }
        };
        match &mut self.screen {
            Screen::Lesson(screen) if screen.lesson.origin == origin => {
                let live = screen.view.run.as_ref().is_some_and(|run| run.is_live());
                if let Some(run) = screen.view.run.as_mut().filter(|run| run.is_live()) {
                    run.interference.lesson_changed = true;
                }
                screen.replace_lesson(lesson, &self.theme);
                self.notice = Some(if live {
                    "Lesson reloaded. The run going on keeps the old version; r runs the new one."
                        .into()
                } else {
                    "Lesson reloaded.".into()
                });
                self.clamp_scrolls();
            }
            Screen::List if first => self.open_lesson(index),
            _ => {}
        }
        None
    }
}

impl LessonScreen {
    /// Shows `lesson` instead, keeping what still applies: the page (or the last one), the
    /// scroll, focus and selection, the answers to checkpoints that did not change, the knobs
    /// dialog, and the run (a run in progress goes on with the version it started with).
    pub(crate) fn replace_lesson(&mut self, lesson: Lesson, theme: &Theme) {
        let mut fresh = LessonScreen::new(lesson, theme);
        fresh.reader = kept_reader(&self.reader, fresh.reader);
        for (index, checkpoint) in fresh.lesson.checkpoints.iter().enumerate() {
            let before = self.lesson.checkpoints.iter().position(|c| c == checkpoint);
            if let Some(before) = before {
                fresh.checkpoints[index] = self.checkpoints[before].clone();
            }
        }
        fresh.dialog = match self.dialog.take() {
            Some(Dialog::Knobs { selected }) => Some(Dialog::Knobs {
                selected: selected.min(fresh.lesson.knobs.len()),
            }),
            // An answer in progress may be about a question that changed.
            Some(Dialog::Answer(_)) | None => None,
        };
        fresh.view = std::mem::take(&mut self.view);
        fresh.series = self.series.take();
        *self = fresh;
    }
}

/// The reading pane `fresh` of a lesson loaded again, where `old` was: on the same page (or the
/// last), scrolled as it was if the page is the same, showing what it showed.
fn kept_reader(old: &Reader, mut fresh: Reader) -> Reader {
    fresh.go_to_page(old.page);
    if fresh.page == old.page {
        fresh.scroll = old.scroll;
    }
    fresh.showing = old.showing;
    fresh.program_scroll = old.program_scroll.min(fresh.program.len());
    fresh.notes = old.notes.map(|_| 0);
    fresh
}
