//! Every number in a recording checked against what a run can produce, event by event, before
//! anything uses it: a recording is a file anyone could have written, and the record, the
//! replay and the export allocate and index by these numbers.

use crate::event::{Event, RunSource};
use crate::limits;

/// How far past the slots announced so far a worker slot may be: a stage's workers announce
/// themselves in any order, and one that dies before it says hello is never announced.
const SLOT_GAP: usize = limits::MAX_WORKERS as usize * 4;

/// Grace after a lesson's time limit for stopping its workers, in seconds.
const STOP_GRACE_SECS: f64 = 60.0;

/// What is wrong with one event: the field, and a sentence that says why and what fits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// The JSON field at fault (its place in the line is found by name).
    pub(crate) field: &'static str,
    /// What is wrong and what a run can hold.
    pub(crate) message: String,
}

fn problem(field: &'static str, message: String) -> Problem {
    Problem { field, message }
}

/// What the events so far allow the next one to say.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    /// `run_started` was seen, with its source and the longest time its run can last.
    run: Option<(RunSource, f64)>,
    /// Stages started so far.
    stages: usize,
    /// Tasks the stages started so far declared.
    tasks: usize,
    /// A stage declared no task count (recordings made before `stage_started` had one).
    undeclared: bool,
    /// Task events so far.
    task_events: usize,
    /// `spawned` events so far.
    spawned: usize,
}

impl Checker {
    /// Checks `event`, the next in the recording.
    pub(crate) fn check(&mut self, event: &Event) -> Result<(), Problem> {
        if let Event::RunStarted { .. } = event {
            return self.run_started(event);
        }
        let Some((_, max_ms)) = self.run else {
            return Err(problem(
                "event",
                "the first event must be run_started: record a run with `proclab run <id> --record FILE`"
                    .into(),
            ));
        };
        time("t_ms", event.t_ms(), max_ms)?;
        match event {
            Event::RunStarted { .. } => Ok(()),
            Event::StageStarted { .. } => self.stage_started(event),
            Event::Spawned { .. } => self.spawned(event, max_ms),
            Event::TaskStarted {
                task, worker, cpu, ..
            }
            | Event::TaskFinished {
                task, worker, cpu, ..
            } => {
                self.task(*task)?;
                self.worker(*worker)?;
                cpu.map_or(Ok(()), |cpu| core("cpu", cpu))?;
                match event {
                    Event::TaskFinished { cpu_ms, .. } => time("cpu_ms", *cpu_ms, max_ms),
                    _ => Ok(()),
                }
            }
            Event::TaskLost { task, worker, .. } => {
                self.task(*task)?;
                self.worker(*worker)
            }
            Event::Output { worker, .. } => worker.map_or(Ok(()), |w| self.worker(w)),
            Event::Cpu { worker, cpu, .. } => {
                self.worker(*worker)?;
                core("cpu", *cpu)
            }
            Event::State { worker, .. }
            | Event::Joined { worker, .. }
            | Event::PoolCall { worker, .. } => self.worker(*worker),
            Event::Exited {
                worker,
                code,
                signal,
                ..
            } => {
                self.worker(*worker)?;
                exit_status(*code, *signal)
            }
            Event::SharedCounter { stage, .. } => self.stage(*stage),
            Event::StageFinished { stage, wall_ms, .. } => {
                self.stage(*stage)?;
                time("wall_ms", *wall_ms, max_ms)
            }
            Event::Notice { .. } => Ok(()),
            Event::RunFinished {
                completion_order,
                results,
                result_order,
                lost,
                ..
            } => {
                self.task_list("completion_order", completion_order)?;
                self.task_list("result_order", result_order)?;
                self.task_list("lost", lost)?;
                list_length("results", results.len())
            }
        }
    }

    fn run_started(&mut self, event: &Event) -> Result<(), Problem> {
        let Event::RunStarted {
            t_ms,
            source,
            cores,
            workers,
            speed,
            stages,
            ..
        } = *event
        else {
            return Ok(());
        };
        if self.run.is_some() {
            return Err(problem(
                "event",
                "a second run_started: a recording holds one run (record each run to its own file)"
                    .into(),
            ));
        }
        if !(limits::MIN_SPEED..=limits::MAX_SPEED).contains(&speed) {
            return Err(problem(
                "speed",
                format!(
                    "speed {} is not one proclab runs at: from {} to {}",
                    number(speed),
                    limits::MIN_SPEED,
                    limits::MAX_SPEED
                ),
            ));
        }
        let max_secs = match source {
            RunSource::Lesson => limits::MAX_TIME_LIMIT_SECS / speed + 1.0 + STOP_GRACE_SECS,
            RunSource::Trace => limits::MAX_RECORDED_TRACE_SECS,
        };
        time("t_ms", t_ms, max_secs * 1000.0)?;
        if cores == 0 || cores > limits::MAX_CPUS {
            return Err(problem(
                "cores",
                format!(
                    "{cores} cores: a machine has from 1 to {} cores",
                    limits::MAX_CPUS
                ),
            ));
        }
        at_most(
            "workers",
            workers as usize,
            limits::MAX_WORKERS as usize,
            "a stage",
        )?;
        at_most("stages", stages, limits::MAX_RUN_STAGES, "a run")?;
        self.run = Some((source, max_secs * 1000.0));
        Ok(())
    }

    fn stage_started(&mut self, event: &Event) -> Result<(), Problem> {
        let Event::StageStarted {
            stage,
            workers,
            chunksize,
            tasks,
            sweep_workers,
            ..
        } = *event
        else {
            return Ok(());
        };
        if stage != self.stages {
            return Err(problem(
                "stage",
                format!(
                    "stage {stage} starts after {} stage{}: stages start in order, from 0",
                    self.stages,
                    if self.stages == 1 { "" } else { "s" }
                ),
            ));
        }
        at_most(
            "stage",
            stage,
            limits::MAX_RUN_STAGES - 1,
            "a run's last stage",
        )?;
        at_most(
            "workers",
            workers as usize,
            limits::MAX_WORKERS as usize,
            "a stage",
        )?;
        at_most("tasks", tasks, limits::MAX_TASKS as usize, "a stage")?;
        let sweep = sweep_workers.unwrap_or(1) as usize;
        at_most(
            "sweep_workers",
            sweep,
            limits::MAX_WORKERS as usize,
            "a sweep",
        )?;
        if chunksize.is_some_and(|c| c == 0 || c > limits::MAX_TASKS) {
            return Err(problem(
                "chunksize",
                format!("a chunksize is from 1 to {}", limits::MAX_TASKS),
            ));
        }
        self.stages += 1;
        self.tasks += tasks;
        self.undeclared |= tasks == 0;
        Ok(())
    }

    fn spawned(&mut self, event: &Event, max_ms: f64) -> Result<(), Problem> {
        let Event::Spawned {
            worker,
            stage,
            spawn_us,
            pinned,
            ..
        } = *event
        else {
            return Ok(());
        };
        self.worker(worker)?;
        self.stage(stage)?;
        if !(0.0..=max_ms * 1000.0).contains(&spawn_us) {
            return Err(problem(
                "spawn_us",
                format!(
                    "spawn_us {} is not how long a start can take: from 0 to {} µs (the \
                     longest this run can last)",
                    number(spawn_us),
                    number((max_ms * 1000.0).floor())
                ),
            ));
        }
        pinned.map_or(Ok(()), |cpu| core("pinned", cpu))?;
        self.spawned += 1;
        Ok(())
    }

    /// A worker slot: at most [`SLOT_GAP`] past the slots announced so far, so a recording
    /// cannot make the record hold more slots than it has lines.
    fn worker(&self, worker: usize) -> Result<(), Problem> {
        let most = self.spawned + SLOT_GAP;
        if worker >= most {
            return Err(problem(
                "worker",
                format!(
                    "worker {worker} is not a slot this run can have: {} worker{} spawned before \
                     this line, and a run numbers its workers from 0 (here a slot is below {most})",
                    self.spawned,
                    if self.spawned == 1 { "" } else { "s" }
                ),
            ));
        }
        Ok(())
    }

    fn stage(&self, stage: usize) -> Result<(), Problem> {
        if stage >= self.stages {
            return Err(problem(
                "stage",
                format!(
                    "stage {stage} has not started: {} stage{} started before this line",
                    self.stages,
                    if self.stages == 1 { "" } else { "s" }
                ),
            ));
        }
        Ok(())
    }

    /// The most tasks the run can have numbered by now: what its stages declared; for a trace
    /// (which numbers tasks as the program queues them) the task limit; for a stage that did
    /// not say, at most a stage's tasks past the task events so far (so the tasks held grow
    /// with the lines read, never with a number).
    fn task_limit(&self) -> usize {
        match self.run {
            Some((RunSource::Trace, _)) => limits::MAX_TASKS as usize,
            _ if self.undeclared => self.task_events + limits::MAX_TASKS as usize,
            _ => self.tasks,
        }
    }

    fn task(&mut self, task: usize) -> Result<(), Problem> {
        let limit = self.task_limit();
        self.task_events += 1;
        if task >= limit {
            let numbered = match limit {
                0 => "no stage started so far has tasks".to_string(),
                _ => format!(
                    "they are numbered from 0 to {}, as the stages started so far declare them",
                    limit - 1
                ),
            };
            return Err(problem(
                "task",
                format!("task {task} is not one of this run's tasks: {numbered}"),
            ));
        }
        Ok(())
    }

    /// A list of task indices in `run_finished`: it names every task the run planned, also
    /// those of stages a stopped run never started.
    fn task_list(&self, field: &'static str, tasks: &[usize]) -> Result<(), Problem> {
        list_length(field, tasks.len())?;
        match tasks.iter().find(|&&t| t >= limits::MAX_RUN_TASKS) {
            Some(&task) => Err(problem(
                field,
                format!(
                    "{field} lists task {task}: a run has at most {} tasks, numbered from 0",
                    limits::MAX_RUN_TASKS
                ),
            )),
            None => Ok(()),
        }
    }
}

fn list_length(field: &'static str, len: usize) -> Result<(), Problem> {
    if len > limits::MAX_RUN_TASKS {
        return Err(problem(
            field,
            format!(
                "{field} lists {len} entries, more than the {} tasks a run can have",
                limits::MAX_RUN_TASKS
            ),
        ));
    }
    Ok(())
}

/// A time (or duration) in milliseconds: from 0 to `max_ms`, the longest the run can last.
fn time(field: &'static str, ms: f64, max_ms: f64) -> Result<(), Problem> {
    if !(0.0..=max_ms).contains(&ms) {
        return Err(problem(
            field,
            format!(
                "{field} {} is outside the run: times are milliseconds from 0 to {} (the \
                 longest this run can last)",
                number(ms),
                number(max_ms.floor())
            ),
        ));
    }
    Ok(())
}

/// A core number: below [`limits::MAX_CPUS`].
fn core(field: &'static str, cpu: u32) -> Result<(), Problem> {
    if cpu >= limits::MAX_CPUS {
        return Err(problem(
            field,
            format!(
                "core {cpu} is past the most a machine has: cores are numbered from 0 to {}",
                limits::MAX_CPUS - 1
            ),
        ));
    }
    Ok(())
}

/// `value` of `field` is at most `most`, what `whole` can have.
fn at_most(field: &'static str, value: usize, most: usize, whole: &str) -> Result<(), Problem> {
    if value > most {
        return Err(problem(
            field,
            format!("{field} {value} is more than {whole} can have: at most {most}"),
        ));
    }
    Ok(())
}

/// An exit code (0 to 255) or a signal number (1 to 64), as the kernel reports them.
fn exit_status(code: Option<i32>, signal: Option<i32>) -> Result<(), Problem> {
    if let Some(code) = code.filter(|c| !(0..=255).contains(c)) {
        return Err(problem(
            "code",
            format!("exit code {code}: a process exits with a code from 0 to 255"),
        ));
    }
    if let Some(signal) = signal.filter(|s| !(1..=64).contains(s)) {
        return Err(problem(
            "signal",
            format!("signal {signal}: signals are numbered from 1 to 64"),
        ));
    }
    Ok(())
}

/// A number as a message quotes it: plainly, or in exponent form when it is huge.
fn number(x: f64) -> String {
    if x.abs() < 1e12 {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}
