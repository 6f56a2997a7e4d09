//! Exercises: a learner edits a real Python program until proclab, watching it run, sees what
//! the exercise asks for. An exercise lives in its lesson's folder
//! (`lessons/<lesson>/exercises/<id>/`: `exercise.toml`, `start.py`, `solution.py`); its file
//! is read as written ([`raw`]), checked ([`validate`]) into an [`Exercise`] whose checks come
//! from a fixed vocabulary ([`check`]). [`judge`] traces a program ([`run`]: `proclab trace`'s
//! machinery, with a time limit), gathers what each run did ([`facts`]), judges each check on
//! it ([`evaluate`]) and returns a [`Verdict`] with evidence in words.
//!
//! The API a screen needs: [`find`] an exercise in the catalog, [`Snapshot::read`] the
//! learner's file, [`judge`] it with a progress callback that sees every event of every run
//! (for a live process view), and show the [`Verdict`].

pub mod background;
pub mod cap;
pub mod check;
pub mod evaluate;
pub mod facts;
pub mod grade;
pub mod judge;
pub mod load;
pub mod raw;
pub mod run;
pub(crate) mod validate;
pub mod verdict;

pub use background::{JudgeHandle, JudgeMessage};
pub use check::{Check, CheckKind, CheckSpec, StartMethod};
pub use judge::{JudgeOptions, JudgeProgress, judge};
pub use run::{Interpreter, Snapshot};
pub use verdict::{CheckVerdict, Verdict};

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::lesson::{Catalog, Lesson, Origin};

/// The folder the learner's exercise files go in unless `--dir` names another.
pub const DEFAULT_WORKSPACE: &str = "proclab-exercises";

/// A program file of an exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// Its file name in the exercise's folder.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// An exercise that passed validation.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// Its id, the name of its folder (`proclab exercise check <id> …`).
    pub id: String,
    /// The id of the lesson it belongs to.
    pub lesson: String,
    /// Its title.
    pub title: String,
    /// One line about it.
    pub summary: String,
    /// What to do, Markdown.
    pub task: String,
    /// Traced runs per verdict (per start method).
    pub runs: u32,
    /// Seconds one run may take before it is killed.
    pub time_limit_s: f64,
    /// Hints, shown one at a time.
    pub hints: Vec<String>,
    /// What the runs must show.
    pub checks: Vec<CheckSpec>,
    /// The program the learner starts from (fails at least one check).
    pub start: Program,
    /// The reference solution (passes every check).
    pub solution: Program,
    /// The serial reference of a `speedup` check.
    pub serial: Option<Program>,
    /// Where its folder is.
    pub origin: Origin,
}

impl Exercise {
    /// The learner's file for this exercise in the workspace folder `dir`: `dir/<id>.py`.
    pub fn workspace_file(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.py", self.id))
    }

    /// Writes the starting program to `file`, and its folder if missing, unless something is
    /// already there: then `false`, and nothing is written (never over the learner's file, nor
    /// through a symbolic link).
    pub fn write_start(&self, file: &Path) -> std::io::Result<bool> {
        if let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)?;
        }
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(file);
        match created {
            Ok(mut opened) => {
                opened.write_all(self.start.text.as_bytes())?;
                Ok(true)
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// How to name `file` of this exercise in a message.
    pub fn display(&self, file: &str) -> String {
        match &self.origin {
            Origin::Builtin => format!(
                "builtin:{}/{}/{}/{file}",
                self.lesson,
                load::EXERCISES_FOLDER,
                self.id
            ),
            Origin::Folder(path) => path.join(file).display().to_string(),
        }
    }
}

/// Every exercise of the catalog, in lesson order, with its lesson.
pub fn all(catalog: &Catalog) -> impl Iterator<Item = (&Lesson, &Exercise)> {
    catalog
        .lessons
        .iter()
        .flat_map(|lesson| lesson.exercises.iter().map(move |e| (lesson, e)))
}

/// The exercise with this id.
pub fn find<'a>(catalog: &'a Catalog, id: &str) -> Option<&'a Exercise> {
    all(catalog).map(|(_, e)| e).find(|e| e.id == id)
}

/// The exercise after `id` in the catalog's order (the next one to offer).
pub fn next_after<'a>(catalog: &'a Catalog, id: &str) -> Option<&'a Exercise> {
    let mut exercises = all(catalog).map(|(_, e)| e);
    exercises.find(|e| e.id == id)?;
    exercises.next()
}

/// A message for an unknown exercise id, with the closest ids suggested.
pub fn unknown(catalog: &Catalog, id: &str) -> String {
    let ids: Vec<&str> = all(catalog).map(|(_, e)| e.id.as_str()).collect();
    let mut message = format!("no exercise with id {:?}", crate::text::visible_line(id));
    if let Some(near) = crate::lesson::validate::closest(id, &ids) {
        message.push_str(&format!(": did you mean {near:?}?"));
    }
    message.push_str(" (`proclab exercises` lists every exercise)");
    message
}
