//! Checks the `[[knob]]`s: each names a value of a stage that has it, once, within a range that
//! stays inside proclab's limits; and a stage whose `join` a knob changes gives its parent a
//! line for each join mode.

use std::collections::HashSet;
use std::str::FromStr;

use toml::Spanned;

use super::{Problems, text};
use crate::lesson::model::{Knob, KnobTarget, StageKind};
use crate::lesson::raw::{RawKnob, RawLesson, RawParentSays, RawStage};
use crate::limits;
use crate::task::TaskName;

/// The largest `secs` knob value: every duration times this still stays in range.
const MAX_SECS_SCALE: f64 = 10.0;

/// Every knob, typed (those with problems are left out, and the problems reported).
pub(super) fn knobs(lesson: &RawLesson, problems: &mut Problems) -> Vec<Knob> {
    let stages: Vec<&RawStage> = lesson
        .stages
        .get_ref()
        .iter()
        .map(Spanned::get_ref)
        .collect();
    let mut seen = HashSet::new();
    let mut typed = Vec::new();
    for raw in &lesson.knobs {
        let name = &raw.get_ref().name;
        if !seen.insert(name.get_ref().clone()) {
            problems.at(
                name,
                format!(
                    "knob {:?} is given twice: `--set {}=…` could change only one of them",
                    name.get_ref(),
                    name.get_ref()
                ),
            );
        }
        typed.extend(knob(raw, &stages, problems));
    }
    for knob in &typed {
        if knob.target == KnobTarget::Join {
            line_per_join_mode(stages[knob.stage], knob.stage, problems);
        }
    }
    typed
}

/// One knob, typed, if it has no problem.
fn knob(raw: &Spanned<RawKnob>, stages: &[&RawStage], problems: &mut Problems) -> Option<Knob> {
    let before = problems.count();
    let k = raw.get_ref();
    let prefix = format!("knob {:?}: ", k.name.get_ref());
    let index = k.stage.as_ref().map_or(0, |s| *s.get_ref());
    let Some(stage) = stages.get(index) else {
        let at = k.stage.as_ref().map_or(raw.span(), Spanned::span);
        problems.at_span(
            at,
            match stages.len() {
                0 => format!("{prefix}stage = {index} does not exist: this lesson has no stage"),
                1 => format!("{prefix}stage = {index} does not exist: this lesson has one stage, 0"),
                n => format!(
                    "{prefix}stage = {index} does not exist: this lesson has {n} stages, numbered from 0 to {}",
                    n - 1
                ),
            },
        );
        return None;
    };
    let target = target(k, stage, index, &prefix, problems);
    let (min, max) = (*k.min.get_ref(), *k.max.get_ref());
    let step = k.step.as_ref().map_or(1.0, |s| *s.get_ref());
    if !(min.is_finite() && max.is_finite() && min <= max) {
        problems.at(
            &k.min,
            format!("{prefix}min must be a number no larger than max"),
        );
    }
    if let Some(raw_step) = &k.step
        && !(step > 0.0 && step.is_finite())
    {
        problems.at(raw_step, format!("{prefix}step must be more than 0"));
    }
    if let Some(target) = &target
        && let Some(message) = range_problem(target, stage.kind.get_ref(), min, max)
    {
        problems.at(&k.min, format!("{prefix}{message}"));
    }
    let help = k.help.as_ref();
    let help = help.map_or_else(String::new, |h| {
        text::any_text(problems, &prefix, "help", h)
    });
    let target = target.filter(|_| problems.count() == before)?;
    Some(Knob {
        target,
        stage: index,
        min,
        max,
        step,
        help,
    })
}

/// What the knob changes: a value every stage has, or the seconds of a `sleep` or `spin` task
/// of its stage.
fn target(
    k: &RawKnob,
    stage: &RawStage,
    index: usize,
    prefix: &str,
    problems: &mut Problems,
) -> Option<KnobTarget> {
    let Some(target) = KnobTarget::parse(k.name.get_ref()) else {
        let names: Vec<String> = KnobTarget::FIXED.iter().map(KnobTarget::name).collect();
        problems.at(
            &k.name,
            format!(
                "{prefix}unknown knob: use one of {}, or task.<label>.secs",
                names.join(", ")
            ),
        );
        return None;
    };
    if let KnobTarget::TaskSecs(label) = &target {
        let tasks = stage
            .tasks
            .as_ref()
            .map_or(&[][..], |t| t.get_ref().as_slice());
        let labelled = tasks.iter().enumerate().find(|(i, task)| {
            let own = task.get_ref().label.as_ref();
            own.map_or_else(|| i.to_string(), |l| l.get_ref().clone()) == *label
        });
        let Some((_, task)) = labelled else {
            problems.at(
                &k.name,
                format!("{prefix}no task labelled {label:?} in stage {index}"),
            );
            return None;
        };
        let function = TaskName::from_str(task.get_ref().function.get_ref());
        if !matches!(function, Ok(TaskName::Sleep | TaskName::Spin)) {
            problems.at(
                &k.name,
                format!("{prefix}task {label:?} is not a `sleep` or `spin`: only their seconds can be changed"),
            );
        }
    }
    Some(target)
}

/// What is wrong with a knob's range for what it changes, if anything.
fn range_problem(target: &KnobTarget, kind: &StageKind, min: f64, max: f64) -> Option<String> {
    let message = match target {
        KnobTarget::Workers if min < 1.0 || max > f64::from(limits::MAX_WORKERS) => {
            format!("workers range must stay within 1..={}", limits::MAX_WORKERS)
        }
        KnobTarget::Chunksize if *kind != StageKind::Pool => {
            "chunksize applies to pool stages only".into()
        }
        KnobTarget::Chunksize if min < 1.0 => "chunksize starts at 1".into(),
        KnobTarget::Join | KnobTarget::JoinDelay if *kind != StageKind::Processes => {
            "join knobs apply to processes stages only".into()
        }
        KnobTarget::SecsScale if min <= 0.0 || max > MAX_SECS_SCALE => {
            format!("a secs scale must stay above 0 and at most {MAX_SECS_SCALE}")
        }
        KnobTarget::JoinDelay if min < 0.0 || max > limits::MAX_JOIN_DELAY_SECS => format!(
            "join_delay_s must stay within 0..={} seconds",
            limits::MAX_JOIN_DELAY_SECS
        ),
        KnobTarget::Join if min < 0.0 || max > 1.0 => "join is 0 (skip) or 1 (all)".into(),
        KnobTarget::TaskSecs(_) if min < 0.0 || max > limits::MAX_TASK_SECS => format!(
            "a task's seconds must stay within 0..={} seconds",
            limits::MAX_TASK_SECS
        ),
        _ => return None,
    };
    Some(message)
}

/// A stage whose `join` a knob changes says what its parent prints in each join mode: one
/// line would be false in one of them ("both children joined" before any join).
fn line_per_join_mode(stage: &RawStage, index: usize, problems: &mut Problems) {
    if let Some(raw) = &stage.parent_says
        && let RawParentSays::Always(_) = raw.get_ref()
    {
        problems.at(raw, format!("stage {}: a knob changes this stage's `join`, so one parent line would be wrong in one of the join modes: give parent_says = {{ all = \"…\", skip = \"…\" }}", index + 1));
    }
}
