//! Turns a lesson plus the learner's options (`--speed`, `--workers`, `--set`) into a concrete
//! plan: how many workers each stage starts and exactly which tasks they run.

use std::time::Duration;

use thiserror::Error;

pub use crate::event::SweepPart;
use crate::lesson::Lesson;
use crate::lesson::model::{
    Buffering, CounterScope, Join, Pin, ResultOrder, Stage, StageKind, TaskSpec, WorkerCount,
};
use crate::limits;
use crate::task::{Task, TaskFn, fill_static};

mod tasks;

pub use tasks::{CopyTemplate, NumberFn, StageTasks};

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
        /// Knob.
        name: String,
        /// Value given.
        value: f64,
        /// Smallest.
        min: f64,
        /// Largest.
        max: f64,
    },
    /// A worker count beyond the cap.
    #[error(
        "stage {stage}: {workers} workers is more than proclab starts at once ({max}); use fewer"
    )]
    TooManyWorkers {
        /// Stage, 1-based.
        stage: usize,
        /// Asked for.
        workers: u32,
        /// The cap.
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

    /// The stage that holds the task with run-wide index `index`.
    pub fn stage_of_task(&self, index: usize) -> Option<&StagePlan> {
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
    /// Display name.
    pub name: String,
    /// Processes, pool or threads.
    pub kind: StageKind,
    /// Workers (pool size, threads, or processes).
    pub workers: u32,
    /// Pool only: items per chunk.
    pub chunksize: u64,
    /// Pool only.
    pub result_order: ResultOrder,
    /// Processes only.
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
    let mut scale = vec![1.0; stages.len()];
    let mut task_secs: Vec<(usize, String, f64)> = Vec::new();
    for (name, value) in &options.settings {
        let knob = lesson
            .knobs
            .iter()
            .find(|k| &k.name == name)
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
        let stage = &mut stages[knob.stage];
        match name.as_str() {
            "workers" => {
                stage.workers = Some(crate::lesson::model::WorkerCount::Fixed(*value as u32))
            }
            "chunksize" => stage.chunksize = Some(*value as u64),
            "join_delay_s" => stage.join_delay_s = *value,
            "join" => stage.join = if *value >= 1.0 { Join::All } else { Join::Skip },
            "secs" => scale[knob.stage] = *value,
            other => {
                let label = other.trim_start_matches("task.").trim_end_matches(".secs");
                task_secs.push((knob.stage, label.to_string(), *value));
            }
        }
    }
    let mut next_index = 0;
    let mut planned = Vec::with_capacity(stages.len());
    for (i, stage) in stages.iter().enumerate() {
        let overrides: Vec<(&str, f64)> = task_secs
            .iter()
            .filter(|(s, _, _)| *s == i)
            .map(|(_, l, v)| (l.as_str(), *v))
            .collect();
        for stage_plan in plan_stages(stage, options, cores, scale[i], &overrides, &mut next_index)
        {
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

fn known_knobs(lesson: &Lesson) -> String {
    if lesson.knobs.is_empty() {
        return "none".into();
    }
    lesson
        .knobs
        .iter()
        .map(|k| format!("{} ({}..{})", k.name, k.min, k.max))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stages one declared stage becomes: itself, or for a `sweep` one stage per worker count
/// (each after its serial part, if any).
fn plan_stages(
    stage: &Stage,
    options: &RunOptions,
    cores: u32,
    scale: f64,
    task_secs: &[(&str, f64)],
    next_index: &mut usize,
) -> Vec<StagePlan> {
    let (true, Some(each)) = (stage.sweep, &stage.each) else {
        return vec![plan_stage(
            stage, options, cores, scale, task_secs, next_index,
        )];
    };
    let most = options
        .workers
        .or(stage.workers.as_ref().map(|w| w.resolve(cores)))
        .unwrap_or(cores)
        .min(limits::MAX_WORKERS);
    let total = each.secs.unwrap_or(0.0);
    let mut plans = Vec::new();
    for workers in 1..=most {
        let point = |part| Some(SweepPoint { workers, part });
        if stage.serial_secs > 0.0 {
            let serial = Stage {
                name: format!("serial part before {workers}"),
                kind: StageKind::Processes,
                workers: None,
                sweep: false,
                each: None,
                tasks: vec![TaskSpec {
                    label: Some("serial".into()),
                    function: "spin".into(),
                    secs: Some(stage.serial_secs),
                    ..TaskSpec::default()
                }],
                ..stage.clone()
            };
            let mut plan = plan_stage(&serial, options, cores, scale, task_secs, next_index);
            plan.sweep = point(SweepPart::Serial);
            plans.push(plan);
        }
        let parallel = Stage {
            name: format!(
                "{workers} {} {} s of CPU work",
                if workers == 1 {
                    "process does"
                } else {
                    "processes share"
                },
                crate::task::format_secs(total)
            ),
            workers: Some(WorkerCount::Fixed(workers)),
            sweep: false,
            each: Some(TaskSpec {
                secs: Some(total / f64::from(workers)),
                ..each.clone()
            }),
            ..stage.clone()
        };
        let mut plan = plan_stage(
            &parallel,
            &RunOptions {
                workers: None,
                ..options.clone()
            },
            cores,
            scale,
            task_secs,
            next_index,
        );
        plan.sweep = point(SweepPart::Parallel);
        plans.push(plan);
    }
    plans
}

fn plan_stage(
    stage: &Stage,
    options: &RunOptions,
    cores: u32,
    scale: f64,
    task_secs: &[(&str, f64)],
    next_index: &mut usize,
) -> StagePlan {
    let declared = stage.workers.as_ref().map(|w| w.resolve(cores));
    let count_is_a_choice = stage.kind == StageKind::Pool || stage.each.is_some();
    let workers_wanted = if count_is_a_choice {
        options.workers.or(declared)
    } else {
        None
    };
    let first = *next_index;
    // The function as declared (after knobs), which `{secs}` in the texts shows.
    let function = |spec: &TaskSpec, label: &str| {
        let mut function = to_task_fn(spec);
        if let TaskFn::Sleep { secs } | TaskFn::Spin { secs } = &mut function {
            let chosen = task_secs
                .iter()
                .find(|(l, _)| *l == label)
                .map_or(*secs, |(_, v)| *v);
            *secs = chosen * scale;
        }
        function
    };
    let tasks = if let Some(each) = &stage.each {
        let prefix = each.label.clone().unwrap_or_else(|| "W".into());
        let declared = function(each, "");
        let template = CopyTemplate {
            prefix,
            function: declared.scaled(options.speed),
            declared,
            before: each.before.clone(),
            after: each.after.clone(),
        };
        StageTasks::copies(first, template, workers_wanted.unwrap_or(1) as usize)
    } else if let Some(items) = &stage.items {
        let function = if items.function == "cube" {
            NumberFn::Cube
        } else {
            NumberFn::Square
        };
        StageTasks::numbers(first, function, items.from, items.to, items.after.clone())
    } else {
        let listed = stage.tasks.iter().enumerate().map(|(i, spec)| {
            let label = spec.label.clone().unwrap_or_else(|| i.to_string());
            let declared = function(spec, &label);
            let fill = |text: &String| fill_static(text, &label, &declared);
            Task {
                index: 0,
                before: spec.before.as_ref().map(fill),
                after: spec.after.as_ref().map(fill),
                function: declared.scaled(options.speed),
                label,
            }
        });
        StageTasks::listed(first, listed.collect())
    };
    *next_index += tasks.len();
    let workers = match stage.kind {
        StageKind::Pool => workers_wanted.unwrap_or(cores),
        StageKind::Processes | StageKind::Threads => tasks.len() as u32,
        StageKind::Serial => 1,
    };
    let chunksize = stage
        .chunksize
        .unwrap_or_else(|| default_chunksize(tasks.len(), workers));
    StagePlan {
        name: if stage.name.is_empty() {
            default_name(stage.kind, workers)
        } else {
            stage.name.clone()
        },
        kind: stage.kind,
        workers,
        chunksize,
        result_order: stage.result_order,
        join: stage.join,
        join_delay: Duration::from_secs_f64(stage.join_delay_s / options.speed),
        parent_says: stage.parent_says.clone(),
        buffering: stage.buffering,
        counter: stage.counter,
        pin: stage.pin,
        sweep: None,
        tasks,
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

/// The task function a validated task spec names.
fn to_task_fn(spec: &TaskSpec) -> TaskFn {
    match spec.function.as_str() {
        "sleep" => TaskFn::Sleep {
            secs: spec.secs.unwrap_or(0.0),
        },
        "spin" => TaskFn::Spin {
            secs: spec.secs.unwrap_or(0.0),
        },
        "square" => TaskFn::Square {
            n: spec.n.unwrap_or(0),
        },
        "cube" => TaskFn::Cube {
            n: spec.n.unwrap_or(0),
        },
        "print" => TaskFn::Print {
            text: spec.text.clone().unwrap_or_default(),
            times: spec.times.unwrap_or(1),
            secs: spec.secs.unwrap_or(0.0),
        },
        "orphan" => TaskFn::Orphan {
            secs: spec.secs.unwrap_or(0.0),
        },
        "start_children" => TaskFn::StartChildren {
            method: spec.method.clone().unwrap_or_default(),
            times: spec.times.unwrap_or(1),
        },
        "flood" => TaskFn::Flood {
            bytes: spec.bytes.unwrap_or(0),
            line_bytes: spec.line_bytes.unwrap_or(100),
        },
        "count" => TaskFn::Count {
            times: spec.times.unwrap_or(0),
        },
        "exit" => TaskFn::Exit {
            code: spec.code.unwrap_or(0) as u8,
        },
        "signal" => TaskFn::Signal {
            signal: spec.signal.clone().unwrap_or_default(),
        },
        _ => TaskFn::Panic,
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
}
