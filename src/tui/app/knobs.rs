//! Changing the scenario without editing files: the speed, the worker count and the lesson's
//! knobs, kept in the [`RunOptions`] of the next run.

use crate::engine::{RunOptions, RunPlan, StagePlan, plan};
use crate::lesson::Lesson;
use crate::lesson::model::{KnobTarget, Stage};
use crate::limits;

/// The speeds `+` and `-` step through.
pub(crate) const SPEEDS: [f64; 11] = [
    0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0,
];

/// The next speed up (`faster`) or down from `speed`.
pub(crate) fn step_speed(speed: f64, faster: bool) -> f64 {
    let next = if faster {
        SPEEDS.iter().copied().find(|s| *s > speed * 1.0001)
    } else {
        SPEEDS.iter().rev().copied().find(|s| *s < speed / 1.0001)
    };
    next.unwrap_or(speed)
        .clamp(limits::MIN_SPEED, limits::MAX_SPEED)
}

/// One adjustable value as the knobs panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KnobRow {
    /// The knob's name (`workers`, `chunksize`, `task.A.secs`…).
    pub(crate) name: String,
    /// The value the next run uses.
    pub(crate) value: f64,
    /// Smallest value.
    pub(crate) min: f64,
    /// Largest value.
    pub(crate) max: f64,
    /// Whether the learner changed it.
    pub(crate) changed: bool,
    /// What it does.
    pub(crate) help: String,
}

/// The lesson's plan at speed 1 with no knob set: what the lesson itself says.
fn lesson_plan(lesson: &Lesson, options: &RunOptions, cores: u32) -> Option<RunPlan> {
    let options = RunOptions {
        speed: 1.0,
        workers: options.workers,
        settings: Vec::new(),
    };
    plan(lesson, &options, cores).ok()
}

/// Every knob of `lesson` with the value the next run would use.
pub(crate) fn rows(lesson: &Lesson, options: &RunOptions, cores: u32) -> Vec<KnobRow> {
    let plan = lesson_plan(lesson, options, cores);
    lesson
        .knobs
        .iter()
        .map(|knob| {
            let set = options
                .settings
                .iter()
                .find(|(name, _)| *name == knob.name())
                .map(|(_, v)| *v);
            let own = plan
                .as_ref()
                .and_then(|p| knob.target.read(p.planned_from(knob.stage)?));
            KnobRow {
                name: knob.name(),
                value: set.or(own).unwrap_or(knob.min),
                min: knob.min,
                max: knob.max,
                changed: set.is_some(),
                help: knob.help.clone(),
            }
        })
        .collect()
}

/// Moves knob `index` one step up or down, within its range.
pub(crate) fn step_knob(
    lesson: &Lesson,
    options: &mut RunOptions,
    cores: u32,
    index: usize,
    up: bool,
) {
    let Some(knob) = lesson.knobs.get(index) else {
        return;
    };
    let Some(row) = rows(lesson, options, cores).into_iter().nth(index) else {
        return;
    };
    let step = if knob.step > 0.0 { knob.step } else { 1.0 };
    let moved = if up {
        row.value + step
    } else {
        row.value - step
    };
    let snapped = knob.min + ((moved - knob.min) / step).round() * step;
    let value = snapped.clamp(knob.min, knob.max);
    if knob.target == KnobTarget::Workers {
        options.workers = None;
    }
    options.settings.retain(|(name, _)| *name != knob.name());
    options.settings.push((knob.name(), value));
}

/// Puts knob `index` back to the lesson's own value.
pub(crate) fn reset_knob(lesson: &Lesson, options: &mut RunOptions, index: usize) {
    if let Some(knob) = lesson.knobs.get(index) {
        options.settings.retain(|(name, _)| *name != knob.name());
    }
}

/// Whether the lesson lets the worker count vary (a pool, or copies of one process).
pub(crate) fn workers_vary(lesson: &Lesson) -> bool {
    lesson.stages.iter().any(Stage::workers_vary)
}

/// How many workers the next run starts in the stage whose count `w`/`W` change: the stage of
/// the lesson's `workers` knob, else the first stage whose count can vary (`--workers`
/// changes a pool, not chunksize's plain loop before it), else the first stage.
pub(crate) fn planned_workers(lesson: &Lesson, options: &RunOptions, cores: u32) -> Option<u32> {
    let plan = plan(lesson, options, cores).ok()?;
    let knob = (lesson.knobs.iter()).find(|k| k.target == KnobTarget::Workers);
    let changed = |s: &&StagePlan| match knob {
        Some(knob) => s.declared_stage == knob.stage,
        None => (lesson.stages.get(s.declared_stage)).is_some_and(Stage::workers_vary),
    };
    let stage = plan.stages.iter().find(changed).or(plan.stages.first())?;
    Some(stage.workers)
}

/// One worker more or fewer for the next run: through the lesson's `workers` knob if it has
/// one (within its range), else through the worker count override. Returns `false` if the
/// lesson's worker count cannot change.
pub(crate) fn step_workers(
    lesson: &Lesson,
    options: &mut RunOptions,
    cores: u32,
    up: bool,
) -> bool {
    if let Some(index) = (lesson.knobs.iter()).position(|k| k.target == KnobTarget::Workers) {
        step_knob(lesson, options, cores, index, up);
        return true;
    }
    if !workers_vary(lesson) {
        return false;
    }
    let now = options
        .workers
        .or_else(|| planned_workers(lesson, options, cores))
        .unwrap_or(1);
    let next = if up {
        now.saturating_add(1)
    } else {
        now.saturating_sub(1)
    };
    options.workers = Some(next.clamp(1, limits::MAX_WORKERS));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Catalog;

    fn lesson(id: &str) -> Lesson {
        Catalog::load(None).unwrap().get(id).unwrap().clone()
    }

    #[test]
    fn speed_steps_through_the_list() {
        assert_eq!(step_speed(1.0, true), 2.0);
        assert_eq!(step_speed(10.0, false), 5.0);
        assert_eq!(step_speed(3.0, true), 5.0);
        assert_eq!(step_speed(1000.0, true), 1000.0);
        assert_eq!(step_speed(0.1, false), 0.1);
    }

    #[test]
    fn knobs_start_at_the_lessons_values_and_stay_in_range() {
        let lesson = lesson("pool-sleep");
        let mut options = RunOptions::default();
        let values: Vec<(String, f64)> = rows(&lesson, &options, 2)
            .into_iter()
            .map(|r| (r.name, r.value))
            .collect();
        assert_eq!(values[0], ("workers".to_string(), 2.0));
        assert_eq!(values[1], ("chunksize".to_string(), 1.0));
        assert_eq!(values[2], ("task.A.secs".to_string(), 5.0));
        for _ in 0..10 {
            step_knob(&lesson, &mut options, 2, 0, true);
        }
        assert_eq!(options.settings, [("workers".to_string(), 4.0)]);
        step_workers(&lesson, &mut options, 2, false);
        assert_eq!(options.settings, [("workers".to_string(), 3.0)]);
        assert_eq!(planned_workers(&lesson, &options, 2), Some(3));
        reset_knob(&lesson, &mut options, 0);
        assert!(options.settings.is_empty());
    }

    #[test]
    fn the_worker_count_shown_is_the_one_the_override_changes() {
        let lesson = lesson("chunksize");
        let mut options = RunOptions::default();
        assert_eq!(planned_workers(&lesson, &options, 2), Some(2));
        assert!(step_workers(&lesson, &mut options, 2, true));
        assert_eq!(planned_workers(&lesson, &options, 2), Some(3));
    }

    #[test]
    fn a_fixed_worker_count_does_not_change() {
        let lesson = lesson("four-prints");
        let mut options = RunOptions::default();
        assert!(!step_workers(&lesson, &mut options, 2, true));
        assert_eq!(options, RunOptions::default());
    }
}
