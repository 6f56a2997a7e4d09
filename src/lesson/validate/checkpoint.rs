//! Checks the `[[checkpoint]]`s: unique ids, an answer or an observation, answers that fit
//! their kind (a choice among the choices, labels that exist, a finite number), and texts.

use std::collections::HashSet;

use toml::Spanned;

use super::{Problems, text};
use crate::lesson::model::{AnswerKind, Checkpoint};
use crate::lesson::raw::{RawCheckpoint, RawLesson, RawStage};

/// Every checkpoint, typed (those with problems are left out, and the problems reported).
pub(super) fn checkpoints(lesson: &RawLesson, problems: &mut Problems) -> Vec<Checkpoint> {
    let labels = task_labels(lesson.stages.get_ref().iter().map(Spanned::get_ref));
    let mut ids = HashSet::new();
    let mut typed = Vec::new();
    for raw in &lesson.checkpoints {
        let id = &raw.get_ref().id;
        if !ids.insert(id.get_ref().clone()) {
            problems.at(
                id,
                format!(
                    "checkpoint id {:?} is used twice: give each checkpoint its own id",
                    id.get_ref()
                ),
            );
        }
        typed.extend(checkpoint(raw, &labels, problems));
    }
    typed
}

/// The labels of the tasks the stages list (a task without one is known by its index).
fn task_labels<'a>(stages: impl Iterator<Item = &'a RawStage>) -> HashSet<String> {
    let tasks = stages.filter_map(|stage| stage.tasks.as_ref());
    tasks
        .flat_map(|tasks| tasks.get_ref().iter().enumerate())
        .map(|(i, task)| {
            let label = task.get_ref().label.as_ref();
            label.map_or_else(|| i.to_string(), |l| l.get_ref().clone())
        })
        .collect()
}

/// One checkpoint, typed, if it has no problem.
fn checkpoint(
    raw: &Spanned<RawCheckpoint>,
    labels: &HashSet<String>,
    problems: &mut Problems,
) -> Option<Checkpoint> {
    let before = problems.count();
    let c = raw.get_ref();
    let prefix = format!("checkpoint {:?}: ", c.id.get_ref());
    if c.answer.is_none() && c.observe.is_none() {
        problems.at(
            raw,
            format!("{prefix}give an `answer`, an `observe`, or both"),
        );
    }
    let kind = *c.answer_kind.get_ref();
    let choices = choices(c, kind, &prefix, problems);
    let answer = c.answer.as_ref().map(|answer| {
        answer_fits(answer, kind, &choices, labels, &prefix, problems);
        text::any_text(problems, &prefix, "answer", answer)
    });
    let tolerance = tolerance(c, &prefix, problems);
    let id = text::any_text(problems, "", "checkpoint id", &c.id);
    let question = text::any_text(problems, &prefix, "question", &c.question);
    let explanation = text::any_text(problems, &prefix, "explanation", &c.explanation);
    let hints = c.hints.iter();
    let hints = hints.map(|hint| text::any_text(problems, &prefix, "hints", hint));
    let hints = hints.collect();
    (problems.count() == before).then(|| Checkpoint {
        id,
        question,
        answer_kind: kind,
        choices,
        answer,
        tolerance,
        observe: c.observe.as_ref().map(|o| *o.get_ref()),
        explanation,
        hints,
    })
}

/// The choices: at least two for a choice checkpoint, none for the other kinds.
fn choices(
    c: &RawCheckpoint,
    kind: AnswerKind,
    prefix: &str,
    problems: &mut Problems,
) -> Vec<String> {
    let given = c
        .choices
        .as_ref()
        .map_or(&[][..], |c| c.get_ref().as_slice());
    if kind == AnswerKind::Choice && given.len() < 2 {
        let at = c
            .choices
            .as_ref()
            .map_or(c.answer_kind.span(), Spanned::span);
        problems.at_span(
            at,
            format!("{prefix}a choice checkpoint needs at least two `choices`"),
        );
    }
    if let Some(raw) = &c.choices
        && kind != AnswerKind::Choice
        && !given.is_empty()
    {
        problems.at(
            raw,
            format!("{prefix}`choices` are for answer_kind = \"choice\" only"),
        );
    }
    given
        .iter()
        .map(|choice| text::any_text(problems, prefix, "choices", choice))
        .collect()
}

/// The answer fits the checkpoint's kind: one of the choices, labels that exist, a number.
fn answer_fits(
    answer: &Spanned<String>,
    kind: AnswerKind,
    choices: &[String],
    labels: &HashSet<String>,
    prefix: &str,
    problems: &mut Problems,
) {
    let text = answer.get_ref();
    match kind {
        AnswerKind::Choice if !choices.contains(text) => problems.at(
            answer,
            format!("{prefix}answer {text:?} is not one of its choices: copy one of {choices:?}"),
        ),
        AnswerKind::Order => {
            for label in text.split_whitespace().filter(|l| !labels.contains(*l)) {
                problems.at(answer, format!("{prefix}answer names {label:?}, which no task is labelled: the order uses task labels separated by spaces"));
            }
        }
        AnswerKind::Number if !text.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            problems.at(answer, format!("{prefix}answer {text:?} is not a number"));
        }
        _ => {}
    }
}

/// How far a number answer may be off: 0 or more, finite.
fn tolerance(c: &RawCheckpoint, prefix: &str, problems: &mut Problems) -> f64 {
    let Some(raw) = &c.tolerance else {
        return 0.0;
    };
    let tolerance = *raw.get_ref();
    if !(tolerance >= 0.0 && tolerance.is_finite()) {
        problems.at(raw, format!("{prefix}tolerance must be 0 or more"));
    }
    tolerance
}
