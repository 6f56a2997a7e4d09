//! Turns a lesson plus the learner's options (`--speed`, `--workers`, `--set`) into a concrete
//! plan: how many workers each stage starts and exactly which tasks they run.

use std::time::Duration;

use thiserror::Error;

pub use crate::event::SweepPart;
use crate::lesson::Lesson;
use crate::lesson::model::{
    Buffering, CounterScope, Join, Knob, KnobTarget, Pin, ResultOrder, Stage, StageKind, TaskDef,
    Work, WorkerCount,
};
use crate::limits;
use crate::task::{Task, TaskFn, fill_static, format_secs};

mod tasks;

pub use crate::task::NumberFn;
pub(crate) use tasks::CopyTemplate;
pub use tasks::StageTasks;

/// What the learner chose for this run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Every declared duration is divided by this.
    pub speed: f64,
    /// Overrides the worker count of every stage where the count is a choice.
    pub workers: Option<u32>,
    /// Knob values, `(name, value)`, checked against the lesson's knobs.
    pub settings: Vec<(String, f64)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            speed: 1.0,
            workers: None,
            settings: Vec::new(),
        }
    }
}

/// Why a plan could not be made.
#[derive(Debug, Error, PartialEq)]
pub enum PlanError {
    /// `--set` named a knob the lesson does not have.
    #[error("--set {name}: this lesson has no such knob; it has: {known}")]
    UnknownKnob {
        /// The name given.
        name: String,
        /// The knobs the lesson has.
        known: String,
    },
    /// A knob value outside its range.
    #[error("--set {name}={value}: out of range, use {min} to {max}")]
    OutOfRange {
        /// The knob's name, as given.
        name: String,
        /// The value given.
        value: f64,
        /// The smallest value the knob takes.
        min: f64,
        /// The largest value the knob takes.
        max: f64,
    },
    /// A knob value that makes a task longer than a task may be.
    #[error(
        "stage {stage}: with these knob values {task} would take {secs:.0} s, more than the {max} s a task may take; choose a smaller value"
    )]
    TaskTooLong {
        /// The stage, counted from 1 as the lesson's author counts them.
        stage: usize,
        /// Which task (`task A`, or the sweep's serial part).
        task: String,
        /// How long it would take.
        secs: f64,
        /// The most a task may take ([`limits::MAX_TASK_SECS`]).
        max: f64,
    },
    /// A worker count beyond the cap.
    #[error(
        "stage {stage}: {workers} workers is more than proclab starts at once ({max}); use fewer"
    )]
    TooManyWorkers {
        /// The stage, counted from 1 as the lesson's author counts them.
        stage: usize,
        /// The workers it asked for.
        workers: u32,
        /// The most proclab starts at once ([`limits::MAX_WORKERS`]).
        max: u32,
    },
}

/// Everything the engine needs to run a lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// The lesson's id.
    pub lesson: String,
    /// The divisor in force.
    pub speed: f64,
    /// Cores available to proclab.
    pub cores: u32,
    /// The run is stopped after this long.
    pub time_limit: Duration,
    /// Stages in order.
    pub stages: Vec<StagePlan>,
}

impl RunPlan {
    /// How many tasks the whole run has.
    pub fn task_count(&self) -> usize {
        self.stages
            .last()
            .map_or(0, |stage| stage.tasks.indices().end)
    }

    /// The last planned stage made from the lesson's stage `declared` (for a sweep, the point
    /// with the most workers).
    pub(crate) fn planned_from(&self, declared: usize) -> Option<&StagePlan> {
        let mut stages = self.stages.iter().rev();
        stages.find(|s| s.declared_stage == declared)
    }

    /// The stage that holds the task with run-wide index `index`.
    pub(crate) fn stage_of_task(&self, index: usize) -> Option<&StagePlan> {
        let after = self
            .stages
            .partition_point(|stage| stage.tasks.indices().end <= index);
        self.stages
            .get(after)
            .filter(|stage| stage.tasks.contains(index))
    }

    /// The task with run-wide index `index`, built now.
    pub fn task(&self, index: usize) -> Option<Task> {
        self.stage_of_task(index)?.tasks.task(index)
    }

    /// The label of the task with run-wide index `index`.
    pub fn label(&self, index: usize) -> Option<String> {
        Some(self.stage_of_task(index)?.tasks.label(index)?.into_owned())
    }
}

/// One stage, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StagePlan {
    /// Its title, placeholders filled in with what the run uses.
    pub name: String,
    /// Processes, pool or threads.
    pub kind: StageKind,
    /// Workers (pool size, threads, or processes).
    pub workers: u32,
    /// Pool only: items per chunk (Python's default when the lesson gives none).
    pub chunksize: u64,
    /// Pool only: whether results come back in input order or as they finish.
    pub result_order: ResultOrder,
    /// Processes only: whether the parent joins its children before its line.
    pub join: Join,
    /// Processes only: how long the parent waits before joining.
    pub join_delay: Duration,
    /// The parent's final line.
    pub parent_says: Option<String>,
    /// How workers buffer prints.
    pub buffering: Buffering,
    /// Which counter `count` tasks add to.
    pub counter: CounterScope,
    /// How workers are pinned to cores.
    pub pin: Pin,
    /// For a stage made by a sweep: its worker count and part.
    pub sweep: Option<SweepPoint>,
    /// The lesson's stage it was planned from (a sweep makes several of one).
    pub declared_stage: usize,
    /// Tasks in input order (indices are global to the run), built on demand.
    pub tasks: StageTasks,
}

/// One point of a speedup sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepPoint {
    /// Workers of the parallel part.
    pub workers: u32,
    /// Which part this stage is.
    pub part: SweepPart,
}

/// The number of cores available to this process (its affinity mask), as
/// `os.process_cpu_count()` would say.
pub fn available_cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// Python's default chunksize for `Pool.map`: `ceil(len / (4 * workers))`, at least 1.
pub fn default_chunksize(tasks: usize, workers: u32) -> u64 {
    let per = 4 * u64::from(workers.max(1));
    (tasks as u64).div_ceil(per).max(1)
}

/// Makes the plan for `lesson` with `options` on a machine with `cores` cores.
pub fn plan(lesson: &Lesson, options: &RunOptions, cores: u32) -> Result<RunPlan, PlanError> {
    let mut stages: Vec<Stage> = lesson.stages.clone();
    for (knob, value) in chosen_knobs(lesson, options)? {
        knob.target.apply(&mut stages[knob.stage], value);
    }
    for (i, stage) in stages.iter().enumerate() {
        if let Some((task, secs)) = too_long(stage) {
            return Err(PlanError::TaskTooLong {
                stage: i + 1,
                task,
                secs,
                max: limits::MAX_TASK_SECS,
            });
        }
    }
    let mut next_index = 0;
    let mut planned = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        for mut stage_plan in plan_stages(stage, options, cores, &mut next_index) {
            stage_plan.declared_stage = i;
            if stage_plan.workers > limits::MAX_WORKERS {
                return Err(PlanError::TooManyWorkers {
                    stage: i + 1,
                    workers: stage_plan.workers,
                    max: limits::MAX_WORKERS,
                });
            }
            planned.push(stage_plan);
        }
    }
    Ok(RunPlan {
        lesson: lesson.id.clone(),
        speed: options.speed,
        cores,
        time_limit: Duration::from_secs_f64(lesson.time_limit_s / options.speed + 1.0),
        stages: planned,
    })
}

/// The first task of `stage` (or its sweep's serial part) that would take longer than
/// [`limits::MAX_TASK_SECS`] (a lesson checks each value, but a `secs` knob multiplies them),
/// with how long.
fn too_long(stage: &Stage) -> Option<(String, f64)> {
    let ok = |secs: f64| secs.is_finite() && secs <= limits::MAX_TASK_SECS;
    let tasks: &[TaskDef] = match &stage.work {
        Work::Tasks(tasks) => tasks,
        Work::Each(task) => std::slice::from_ref(task),
        Work::Items(_) => &[],
    };
    let task = tasks.iter().enumerate().find_map(|(i, task)| {
        let secs = task.function.secs()?;
        let name = task.label.clone().unwrap_or_else(|| i.to_string());
        (!ok(secs)).then(|| (format!("task {name}"), secs))
    });
    task.or_else(|| {
        let serial = stage.sweep.as_ref()?.serial_secs;
        (!ok(serial)).then(|| ("the serial part".to_string(), serial))
    })
}

/// The knobs `options` sets and their values, checked against the lesson's knobs; a knob set
/// twice keeps its last value. The `secs` scales come last, so that they scale a task's seconds
/// set by `task.<label>.secs` too.
fn chosen_knobs<'a>(
    lesson: &'a Lesson,
    options: &RunOptions,
) -> Result<Vec<(&'a Knob, f64)>, PlanError> {
    let mut chosen: Vec<(&Knob, f64)> = Vec::new();
    for (name, value) in &options.settings {
        let target = KnobTarget::parse(name);
        let knob = lesson
            .knobs
            .iter()
            .find(|k| Some(&k.target) == target.as_ref())
            .ok_or_else(|| PlanError::UnknownKnob {
                name: name.clone(),
                known: known_knobs(lesson),
            })?;
        if !(knob.min..=knob.max).contains(value) {
            return Err(PlanError::OutOfRange {
                name: name.clone(),
                value: *value,
                min: knob.min,
                max: knob.max,
            });
        }
        chosen.retain(|(earlier, _)| !std::ptr::eq(*earlier, knob));
        chosen.push((knob, *value));
    }
    chosen.sort_by_key(|(knob, _)| knob.target == KnobTarget::SecsScale);
    Ok(chosen)
}

fn known_knobs(lesson: &Lesson) -> String {
    if lesson.knobs.is_empty() {
        return "none".into();
    }
    lesson
        .knobs
        .iter()
        .map(|k| format!("{} ({}..{})", k.name(), k.min, k.max))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stages one declared stage becomes: itself, or for a sweep one stage per worker count
/// (each after its serial part, if any).
fn plan_stages(
    stage: &Stage,
    options: &RunOptions,
    cores: u32,
    next_index: &mut usize,
) -> Vec<StagePlan> {
    let (Some(sweep), Work::Each(each)) = (stage.sweep, &stage.work) else {
        return vec![plan_stage(stage, options, cores, next_index)];
    };
    let most = options
        .workers
        .or(stage.workers.as_ref().map(|w| w.resolve(cores)))
        .unwrap_or(cores)
        .min(limits::MAX_WORKERS);
    let total = each.function.secs().unwrap_or(0.0);
    let mut plans = Vec::new();
    for workers in 1..=most {
        let point = |part| Some(SweepPoint { workers, part });
        if sweep.serial_secs > 0.0 {
            let serial = serial_part(stage, workers, sweep.serial_secs);
            let mut plan = plan_stage(&serial, options, cores, next_index);
            plan.sweep = point(SweepPart::Serial);
            plans.push(plan);
        }
        let parallel = parallel_part(stage, each, workers, total);
        let options = RunOptions {
            workers: None,
            ..options.clone()
        };
        let mut plan = plan_stage(&parallel, &options, cores, next_index);
        plan.sweep = point(SweepPart::Parallel);
        plans.push(plan);
    }
    plans
}

/// A sweep point's serial part: one process spinning `secs`.
fn serial_part(stage: &Stage, workers: u32, secs: f64) -> Stage {
    Stage {
        name: Some(format!("serial part before {workers}")),
        kind: StageKind::Processes,
        workers: None,
        sweep: None,
        work: Work::Tasks(vec![TaskDef {
            label: Some("serial".into()),
            function: TaskFn::Spin { secs },
            before: None,
            after: None,
        }]),
        ..stage.clone()
    }
}

/// A sweep point's parallel part: `workers` copies sharing `total` seconds of `each`'s work.
fn parallel_part(stage: &Stage, each: &TaskDef, workers: u32, total: f64) -> Stage {
    let mut share = each.clone();
    if let TaskFn::Spin { secs } = &mut share.function {
        *secs = total / f64::from(workers);
    }
    let does = if workers == 1 {
        "process does"
    } else {
        "processes share"
    };
    Stage {
        name: Some(format!(
            "{workers} {does} {} s of CPU work",
            format_secs(total)
        )),
        workers: Some(WorkerCount::Fixed(workers)),
        sweep: None,
        work: Work::Each(share),
        ..stage.clone()
    }
}

fn plan_stage(
    stage: &Stage,
    options: &RunOptions,
    cores: u32,
    next_index: &mut usize,
) -> StagePlan {
    let declared = stage.workers.as_ref().map(|w| w.resolve(cores));
    let wanted = if stage.workers_vary() {
        options.workers.or(declared)
    } else {
        None
    };
    let tasks = stage_tasks(&stage.work, *next_index, wanted, options.speed);
    *next_index += tasks.len();
    let workers = match stage.kind {
        StageKind::Pool => wanted.unwrap_or(cores),
        StageKind::Processes | StageKind::Threads => tasks.len() as u32,
        StageKind::Serial => 1,
    };
    let chunksize = stage
        .chunksize
        .unwrap_or_else(|| default_chunksize(tasks.len(), workers));
    let fill = |text: &str| {
        text.replace("{workers}", &workers.to_string())
            .replace("{chunksize}", &chunksize.to_string())
            .replace("{join_delay_s}", &format_secs(stage.join_delay_s))
    };
    let name = match &stage.name {
        Some(name) => fill(name),
        None => default_name(stage.kind, workers),
    };
    let parent_says = stage.parent_says.as_ref();
    StagePlan {
        name,
        kind: stage.kind,
        workers,
        chunksize,
        result_order: stage.result_order,
        join: stage.join,
        join_delay: Duration::from_secs_f64(stage.join_delay_s / options.speed),
        parent_says: parent_says.map(|line| fill(line.for_join(stage.join))),
        buffering: stage.buffering,
        counter: stage.counter,
        pin: stage.pin,
        sweep: None,
        declared_stage: 0,
        tasks,
    }
}

/// The tasks of a stage's work, from run-wide index `first`: `copies` copies of `each`.
fn stage_tasks(work: &Work, first: usize, copies: Option<u32>, speed: f64) -> StageTasks {
    match work {
        Work::Each(each) => {
            let template = CopyTemplate {
                prefix: each.label.clone().unwrap_or_else(|| "W".into()),
                function: each.function.scaled(speed),
                declared: each.function.clone(),
                before: each.before.clone(),
                after: each.after.clone(),
            };
            StageTasks::copies(first, template, copies.unwrap_or(1) as usize)
        }
        Work::Items(items) => items.tasks(first),
        Work::Tasks(defs) => {
            let listed = defs.iter().enumerate().map(|(i, def)| {
                let label = def.label.clone().unwrap_or_else(|| i.to_string());
                let fill = |text: &String| fill_static(text, &label, &def.function);
                Task {
                    index: 0,
                    before: def.before.as_ref().map(fill),
                    after: def.after.as_ref().map(fill),
                    function: def.function.scaled(speed),
                    label,
                }
            });
            StageTasks::listed(first, listed.collect())
        }
    }
}

fn default_name(kind: StageKind, workers: u32) -> String {
    match kind {
        StageKind::Processes => format!("{workers} processes"),
        StageKind::Pool => format!("a pool of {workers}"),
        StageKind::Threads => format!("{workers} threads in one process"),
        StageKind::Serial => "one process, no pool".into(),
    }
}

impl KnobTarget {
    /// The value this knob has in a planned stage: what the knobs panel shows before the
    /// learner changes it (plan at speed 1 to read the lesson's own seconds).
    pub(crate) fn read(&self, stage: &StagePlan) -> Option<f64> {
        match self {
            KnobTarget::Workers => Some(f64::from(stage.workers)),
            KnobTarget::Chunksize => Some(stage.chunksize as f64),
            KnobTarget::JoinDelay => Some(stage.join_delay.as_secs_f64()),
            KnobTarget::Join => Some(if stage.join == Join::All { 1.0 } else { 0.0 }),
            KnobTarget::SecsScale => Some(1.0),
            KnobTarget::TaskSecs(label) => stage
                .tasks
                .iter()
                .find(|task| task.label == *label)?
                .function
                .secs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_chunksize_follows_python() {
        assert_eq!(default_chunksize(4, 2), 1);
        assert_eq!(default_chunksize(100_000, 2), 12_500);
        assert_eq!(default_chunksize(5, 2), 1);
        assert_eq!(default_chunksize(0, 2), 1);
        assert_eq!(default_chunksize(9, 1), 3);
    }

    fn builtin(id: &str) -> Lesson {
        let lessons = crate::lesson::Catalog::load(None).unwrap();
        lessons.get(id).unwrap().clone()
    }

    fn options(settings: &[(&str, f64)]) -> RunOptions {
        RunOptions {
            settings: settings.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            ..RunOptions::default()
        }
    }

    /// pool-sleep with a `secs` scale on its stage, from `min` to `max`.
    fn pool_sleep_with_secs_scale(min: f64, max: f64) -> Lesson {
        let mut lesson = builtin("pool-sleep");
        lesson.knobs.push(Knob {
            target: KnobTarget::SecsScale,
            stage: 0,
            min,
            max,
            step: 0.5,
            help: String::new(),
        });
        lesson
    }

    #[test]
    fn knob_values_that_make_a_task_too_long_are_refused() {
        let lesson = pool_sleep_with_secs_scale(1.0, 1000.0);
        // The author's seconds are within the limit, and so is the scale on its own.
        let error = plan(&lesson, &options(&[("secs", 1000.0)]), 2).unwrap_err();
        assert!(
            matches!(&error, PlanError::TaskTooLong { stage: 1, task, secs, .. }
                if task == "task A" && *secs > limits::MAX_TASK_SECS),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("choose a smaller value"),
            "{error}"
        );
        assert!(plan(&lesson, &options(&[("secs", 2.0)]), 2).is_ok());
    }

    #[test]
    fn a_secs_scale_scales_a_tasks_chosen_seconds_whatever_the_order() {
        let lesson = pool_sleep_with_secs_scale(0.5, 4.0);
        let a_secs = |plan: &RunPlan| plan.task(0).unwrap().function.secs();
        for settings in [
            [("task.A.secs", 3.0), ("secs", 2.0)],
            [("secs", 2.0), ("task.A.secs", 3.0)],
        ] {
            let plan = plan(&lesson, &options(&settings), 2).unwrap();
            assert_eq!(a_secs(&plan), Some(6.0), "{settings:?}");
        }
        let twice = options(&[("task.A.secs", 1.0), ("task.A.secs", 2.0)]);
        assert_eq!(a_secs(&plan(&lesson, &twice, 2).unwrap()), Some(2.0));
    }

    #[test]
    fn names_and_parent_lines_say_what_the_run_uses() {
        let chunksize = builtin("chunksize");
        let plan = plan(&chunksize, &options(&[("workers", 4.0)]), 2).unwrap();
        assert_eq!(plan.stages[1].name, "a pool of 2");
        assert_eq!(
            plan.stages[2].name,
            "a pool of 4, Python's default chunksize"
        );
        let create = builtin("process-create");
        let line = |settings: &[(&str, f64)]| {
            let plan = super::plan(&create, &options(settings), 2).unwrap();
            plan.stages[0].parent_says.clone().unwrap()
        };
        assert_eq!(line(&[]), "parent: both children joined, done");
        assert!(line(&[("join", 0.0)]).contains("without joining"));
    }

    #[test]
    fn knobs_read_the_value_of_the_stage_they_were_declared_on() {
        let speedup = builtin("cpu-speedup");
        let plan = plan(&speedup, &RunOptions::default(), 2).unwrap();
        let knob = &speedup.knobs[0];
        assert_eq!(knob.target, KnobTarget::Workers);
        let last = plan.planned_from(knob.stage).unwrap();
        assert_eq!(
            knob.target.read(last),
            Some(4.0),
            "the largest count of the sweep"
        );
    }
}
