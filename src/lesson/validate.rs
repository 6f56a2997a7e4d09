//! Turns a parsed lesson file ([`RawLesson`]) into the typed lesson the rest of proclab uses,
//! checking everything serde cannot: ranges, the arguments of each task function, answers that
//! exist, knobs that name real values, text that holds no terminal control codes. Every problem
//! points at the line and column of the value it is about.

mod checkpoint;
mod knob;
mod stage;
mod task;
mod text;

use std::ops::Range;

use toml::Spanned;

use super::model::{Checkpoint, FORMAT_VERSION, Knob, Stage};
use super::problem::Problem;
use super::raw::RawLesson;
use crate::limits;

pub(crate) use text::{control_character_problems, holds_control, is_plain_file_name, is_valid_id};

/// Where problems are reported: the file's name and its text (for line and column).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    /// The file as the user named it.
    pub(crate) file: &'a str,
    /// Its text.
    pub(crate) source: &'a str,
}

/// The problems found so far in one file.
pub(crate) struct Problems<'a> {
    place: Place<'a>,
    found: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub(crate) fn new(place: Place<'a>) -> Problems<'a> {
        Problems {
            place,
            found: Vec::new(),
        }
    }

    /// A problem with the value at `at`.
    pub(crate) fn at<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.at_span(at.span(), message);
    }

    /// A problem with the text at byte range `span`.
    pub(crate) fn at_span(&mut self, span: Range<usize>, message: impl Into<String>) {
        let problem = Problem::at(self.place.file, self.place.source, span.start, message);
        self.found.push(problem);
    }

    /// How many problems were found so far: a check that adds none passed.
    pub(crate) fn count(&self) -> usize {
        self.found.len()
    }

    /// Every problem found.
    pub(crate) fn into_found(self) -> Vec<Problem> {
        self.found
    }
}

/// What `lesson.toml` says once it is checked: the lesson but for its narrative and program,
/// which [`super::load`] reads from the files the lesson names.
#[derive(Debug, Clone)]
pub(crate) struct CheckedFile {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) time_limit_s: f64,
    pub(crate) stages: Vec<Stage>,
    pub(crate) checkpoints: Vec<Checkpoint>,
    pub(crate) knobs: Vec<Knob>,
    pub(crate) instructor_notes: String,
}

/// The typed lesson `lesson` describes, or every problem in it.
pub(crate) fn validate(lesson: &RawLesson, place: Place) -> Result<CheckedFile, Vec<Problem>> {
    let mut problems = Problems::new(place);
    format_version(lesson, &mut problems);
    files_and_limits(lesson, &mut problems);
    let texts = lesson_texts(lesson, &mut problems);
    let stages = stage::stages(&lesson.stages, &mut problems);
    let checkpoints = checkpoint::checkpoints(lesson, &mut problems);
    let knobs = knob::knobs(lesson, &mut problems);
    if problems.count() > 0 {
        return Err(problems.found);
    }
    let [title, summary, instructor_notes] = texts;
    Ok(CheckedFile {
        id: lesson.id.get_ref().clone(),
        title,
        summary,
        time_limit_s: *lesson.time_limit_s.get_ref(),
        stages,
        checkpoints,
        knobs,
        instructor_notes,
    })
}

fn format_version(lesson: &RawLesson, problems: &mut Problems) {
    let version = *lesson.format_version.get_ref();
    if version != FORMAT_VERSION {
        problems.at(
            &lesson.format_version,
            format!(
                "format_version {version} is not supported: this proclab reads format_version = {FORMAT_VERSION}"
            ),
        );
    }
}

/// The id, the names of the narrative and program files, and the time limit.
fn files_and_limits(lesson: &RawLesson, problems: &mut Problems) {
    let id = lesson.id.get_ref();
    if !is_valid_id(id) {
        problems.at(
            &lesson.id,
            format!("id {id:?} must be lowercase letters, digits and single '-' between words, 1-40 characters (for example \"pool-sleep\")"),
        );
    }
    for (name, field) in [
        ("narrative", &lesson.narrative),
        ("program", &lesson.program),
    ] {
        if text::holds_control(field.get_ref()) {
            text::any_text(problems, "", name, field);
        } else if !is_plain_file_name(field.get_ref()) {
            problems.at(
                field,
                format!("{:?} must be a file name inside the lesson folder, without '/' or '..' (for example \"program.py\")", field.get_ref()),
            );
        }
    }
    let limit = *lesson.time_limit_s.get_ref();
    if !(limit > 0.0 && limit <= limits::MAX_TIME_LIMIT_SECS) {
        problems.at(
            &lesson.time_limit_s,
            format!(
                "time_limit_s must be more than 0 and at most {} seconds",
                limits::MAX_TIME_LIMIT_SECS
            ),
        );
    }
}

/// The title, the summary and the instructor notes, checked for control characters.
fn lesson_texts(lesson: &RawLesson, problems: &mut Problems) -> [String; 3] {
    let notes = lesson.instructor_notes.as_ref();
    [
        text::any_text(problems, "", "title", &lesson.title),
        text::any_text(problems, "", "summary", &lesson.summary),
        notes.map_or_else(String::new, |notes| {
            text::any_text(problems, "", "instructor_notes", notes)
        }),
    ]
}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min()
        .map(|(_, candidate)| candidate)
}
