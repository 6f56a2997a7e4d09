//! Checks one `[[stage]]`: its work (tasks, `each` or `items`), the fields that go with its
//! kind, the worker count on every machine it may run on, and its texts.

use std::collections::HashSet;
use std::str::FromStr;

use toml::Spanned;

use super::Problems;
use super::task::{self, AFTER_PLACEHOLDERS};
use super::text;
use crate::lesson::model::{
    CounterScope, Items, Join, ParentSays, Pin, Stage, StageKind, Sweep, Work, WorkerCount,
};
use crate::lesson::raw::{RawItems, RawParentSays, RawStage, RawTask};
use crate::limits;
use crate::task::{NumberFn, TaskName};

/// Placeholders a stage's name may use, by kind: what the run uses, after knobs.
fn name_placeholders(kind: StageKind) -> &'static [&'static str] {
    match kind {
        StageKind::Pool => &["workers", "chunksize"],
        StageKind::Processes => &["workers", "join_delay_s"],
        StageKind::Threads | StageKind::Serial => &["workers"],
    }
}

/// Placeholders the parent's line may use.
const PARENT_PLACEHOLDERS: &[&str] = &["workers", "counter", "expected"];
/// The largest number `square` and `cube` take (and `items` may reach).
pub(super) const MAX_NUMBER: i64 = 1_000_000;

/// The typed stages, or problems: at least one stage, at most [`limits::MAX_STAGES`].
pub(super) fn stages(
    stages: &Spanned<Vec<Spanned<RawStage>>>,
    problems: &mut Problems,
) -> Vec<Stage> {
    let count = stages.get_ref().len();
    if count == 0 {
        problems.at(stages, "a lesson needs at least one [[stage]]");
    }
    if count > limits::MAX_STAGES {
        problems.at(
            stages,
            format!("{count} stages is too many: at most {}", limits::MAX_STAGES),
        );
    }
    let checked = stages.get_ref().iter().enumerate();
    checked
        .filter_map(|(index, raw)| stage(raw, index, problems))
        .collect()
}

/// One stage, typed, if it has no problem.
fn stage(raw: &Spanned<RawStage>, index: usize, problems: &mut Problems) -> Option<Stage> {
    let prefix = format!("stage {}: ", index + 1);
    let before = problems.count();
    let s = raw.get_ref();
    let kind = *s.kind.get_ref();
    let work = work(raw, &prefix, problems);
    shape(s, kind, &prefix, problems);
    let workers = workers(s, &prefix, problems);
    chunksize(s, kind, &prefix, problems);
    let (join, join_delay_s) = joins(s, kind, &prefix, problems);
    let (counter, pin) = sharing(s, kind, &prefix, problems);
    let sweep = sweep(s, kind, &prefix, problems);
    let name = name(s, kind, &prefix, problems);
    let parent_says = parent_says(s, kind, &prefix, problems);
    if problems.count() > before {
        return None;
    }
    Some(Stage {
        name,
        kind,
        workers,
        chunksize: s.chunksize.as_ref().map(|c| *c.get_ref()),
        result_order: value_or_default(&s.result_order),
        join,
        join_delay_s,
        parent_says,
        buffering: value_or_default(&s.buffering),
        counter,
        pin,
        sweep,
        work: work?,
    })
}

fn value_or_default<T: Copy + Default>(field: &Option<Spanned<T>>) -> T {
    field.as_ref().map(|v| *v.get_ref()).unwrap_or_default()
}

/// The stage's work: exactly one of `tasks`, `each` and `items`, each task valid.
fn work(raw: &Spanned<RawStage>, prefix: &str, problems: &mut Problems) -> Option<Work> {
    let s = raw.get_ref();
    let tasks = s.tasks.as_ref().filter(|t| !t.get_ref().is_empty());
    let given = [tasks.is_some(), s.each.is_some(), s.items.is_some()];
    match given.iter().filter(|&&given| given).count() {
        0 => problems.at(
            raw,
            format!("{prefix}no work: give `tasks`, `each` or `items`"),
        ),
        1 => {}
        _ => problems.at(
            raw,
            format!("{prefix}give only one of `tasks`, `each` and `items`"),
        ),
    }
    if let Some(tasks) = tasks {
        return listed_tasks(tasks, prefix, problems).map(Work::Tasks);
    }
    if let Some(each) = &s.each {
        return task::task(each, &format!("{prefix}each: "), problems).map(Work::Each);
    }
    items(s.items.as_ref()?, prefix, problems).map(Work::Items)
}

/// Listed tasks: each valid, labels unique, not too many.
fn listed_tasks(
    tasks: &Spanned<Vec<Spanned<RawTask>>>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<Vec<crate::lesson::model::TaskDef>> {
    let before = problems.count();
    let count = tasks.get_ref().len();
    if count as u64 > limits::MAX_TASKS {
        problems.at(
            tasks,
            format!(
                "{prefix}{count} tasks is too many: at most {}",
                limits::MAX_TASKS
            ),
        );
    }
    let mut seen = HashSet::new();
    let mut typed = Vec::with_capacity(count);
    for (i, raw) in tasks.get_ref().iter().enumerate() {
        let label = raw.get_ref().label.as_ref();
        let name = match label {
            Some(label) => format!("{prefix}task {} ({:?}): ", i + 1, label.get_ref()),
            None => format!("{prefix}task {}: ", i + 1),
        };
        if let Some(label) = label
            && !seen.insert(label.get_ref().clone())
        {
            problems.at(
                label,
                format!(
                    "{name}label {:?} is used twice in this stage",
                    label.get_ref()
                ),
            );
        }
        typed.extend(task::task(raw, &name, problems));
    }
    (problems.count() == before).then_some(typed)
}

/// `items`: square or cube over a range that is not too long, of numbers within range.
fn items(raw: &Spanned<RawItems>, prefix: &str, problems: &mut Problems) -> Option<Items> {
    let before = problems.count();
    let items = raw.get_ref();
    let function = match TaskName::from_str(items.function.get_ref()) {
        Ok(TaskName::Square) => Some(NumberFn::Square),
        Ok(TaskName::Cube) => Some(NumberFn::Cube),
        _ => {
            problems.at(
                &items.function,
                format!(
                    "{prefix}items: fn = {:?} is not allowed here: use \"square\" or \"cube\"",
                    items.function.get_ref()
                ),
            );
            None
        }
    };
    let (from, to) = (*items.from.get_ref(), *items.to.get_ref());
    if from > to {
        problems.at(
            &items.from,
            format!("{prefix}items: from = {from} is after to = {to}"),
        );
    } else if i128::from(to) - i128::from(from) + 1 > i128::from(limits::MAX_TASKS) {
        problems.at(
            &items.to,
            format!(
                "{prefix}items: {from}..={to} is too many tasks: at most {}",
                limits::MAX_TASKS
            ),
        );
    }
    let out_of_range = [&items.from, &items.to]
        .into_iter()
        .find(|n| n.get_ref().unsigned_abs() > MAX_NUMBER as u64);
    if let Some(number) = out_of_range {
        problems.at(
            number,
            format!("{prefix}items: numbers must stay within -{MAX_NUMBER}..={MAX_NUMBER}"),
        );
    }
    let after = items.after.as_ref().map(|after| {
        text::placeholders(problems, prefix, "items.after", after, AFTER_PLACEHOLDERS);
        text::one_line(problems, prefix, "items.after", after)
    });
    (problems.count() == before).then_some(Items {
        function: function?,
        from,
        to,
        after,
    })
}

/// Fields that only some kinds of stage take.
fn shape(s: &RawStage, kind: StageKind, prefix: &str, problems: &mut Problems) {
    if let Some(each) = &s.each {
        if kind == StageKind::Pool {
            problems.at(
                each,
                format!("{prefix}`each` is for processes and threads stages; a pool takes `tasks` or `items`"),
            );
        }
        if s.workers.is_none() {
            problems.at(
                each,
                format!("{prefix}`each` needs `workers`: how many copies to start (a number, \"cores\" or \"cores+1\")"),
            );
        }
    }
    let has_tasks = s.tasks.as_ref().is_some_and(|t| !t.get_ref().is_empty());
    if let Some(workers) = &s.workers
        && kind == StageKind::Processes
        && has_tasks
    {
        problems.at(
            workers,
            format!("{prefix}a processes stage with `tasks` starts one process per task: remove `workers`"),
        );
    }
    if kind == StageKind::Serial
        && let Some(span) = s
            .workers
            .as_ref()
            .map(Spanned::span)
            .or(s.each.as_ref().map(Spanned::span))
    {
        problems.at_span(
            span,
            format!(
                "{prefix}a serial stage runs its tasks in one process: remove `workers` and `each`"
            ),
        );
    }
}

/// The worker count: a number from 1 to the cap, or a count relative to the cores that stays
/// in that range on every machine from 1 to [`limits::MAX_CORES`] cores.
fn workers(s: &RawStage, prefix: &str, problems: &mut Problems) -> Option<WorkerCount> {
    let raw = s.workers.as_ref()?;
    let count = raw.get_ref();
    let max = limits::MAX_WORKERS;
    if let WorkerCount::Fixed(n) = count {
        if !(1..=max).contains(n) {
            problems.at(
                raw,
                format!("{prefix}workers = {n} is out of range: 1 to {max}"),
            );
        }
        return Some(count.clone());
    }
    let written = String::from(count.clone());
    let wrong = (1..=limits::MAX_CORES)
        .map(|cores| (cores, count.unclamped(cores)))
        .find(|&(_, n)| n == 0 || n > u64::from(max));
    match wrong {
        Some((_, 0)) => problems.at(
            raw,
            format!("{prefix}workers = {written:?} gives no worker at all: a stage needs at least 1"),
        ),
        Some((cores, n)) => problems.at(
            raw,
            format!(
                "{prefix}workers = {written:?} gives {n} workers on a machine with {cores} core{}: at most {max}, on any machine with up to {} cores",
                if cores == 1 { "" } else { "s" },
                limits::MAX_CORES
            ),
        ),
        None => {}
    }
    Some(count.clone())
}

fn chunksize(s: &RawStage, kind: StageKind, prefix: &str, problems: &mut Problems) {
    let Some(raw) = &s.chunksize else {
        return;
    };
    if kind != StageKind::Pool {
        problems.at(raw, format!("{prefix}`chunksize` is for pool stages only"));
    }
    let chunksize = *raw.get_ref();
    if chunksize == 0 || chunksize > limits::MAX_TASKS {
        problems.at(
            raw,
            format!("{prefix}chunksize must be from 1 to {}", limits::MAX_TASKS),
        );
    }
}

/// `join` and `join_delay_s`: processes stages only, the delay within its range.
fn joins(s: &RawStage, kind: StageKind, prefix: &str, problems: &mut Problems) -> (Join, f64) {
    let join = value_or_default(&s.join);
    let delay = s.join_delay_s.as_ref().map_or(0.0, |d| *d.get_ref());
    let not_default = [
        s.join
            .as_ref()
            .filter(|_| join != Join::All)
            .map(Spanned::span),
        s.join_delay_s
            .as_ref()
            .filter(|_| delay != 0.0)
            .map(Spanned::span),
    ];
    if let Some(span) = not_default.into_iter().flatten().next()
        && kind != StageKind::Processes
    {
        problems.at_span(
            span,
            format!("{prefix}`join` and `join_delay_s` are for processes stages only"),
        );
    }
    if let Some(raw) = &s.join_delay_s
        && !(0.0..=limits::MAX_JOIN_DELAY_SECS).contains(&delay)
    {
        problems.at(
            raw,
            format!(
                "{prefix}join_delay_s must be from 0 to {} seconds",
                limits::MAX_JOIN_DELAY_SECS
            ),
        );
    }
    (join, delay)
}

/// `counter` and `pin`, each for the kinds of stage it makes sense for.
fn sharing(
    s: &RawStage,
    kind: StageKind,
    prefix: &str,
    problems: &mut Problems,
) -> (CounterScope, Pin) {
    let counter = value_or_default(&s.counter);
    let pin = value_or_default(&s.pin);
    if let Some(raw) = &s.counter {
        let memory = matches!(
            counter,
            CounterScope::SharedMemory | CounterScope::SharedMemoryLocked
        );
        if kind == StageKind::Threads && memory {
            problems.at(
                raw,
                format!(
                    "{prefix}threads already share memory: use counter = \"shared\" (or \"own\")"
                ),
            );
        }
        if kind != StageKind::Threads && counter == CounterScope::Shared {
            problems.at(raw, format!("{prefix}processes share no variable: use counter = \"shared-memory\" or \"shared-memory-locked\" for a counter in shared memory"));
        }
    }
    if let Some(raw) = &s.pin
        && kind == StageKind::Threads
        && pin != Pin::None
    {
        problems.at(raw, format!("{prefix}`pin` is for processes, pool and serial stages (threads share their process's affinity)"));
    }
    (counter, pin)
}

/// `sweep` and `serial_secs`: a sweep needs processes, `each` spinning and `workers`.
fn sweep(s: &RawStage, kind: StageKind, prefix: &str, problems: &mut Problems) -> Option<Sweep> {
    let sweeps = s.sweep.as_ref().is_some_and(|sweep| *sweep.get_ref());
    let serial_secs = s.serial_secs.as_ref().map_or(0.0, |secs| *secs.get_ref());
    if let Some(raw) = s.sweep.as_ref().filter(|_| sweeps) {
        let spins = s.each.as_ref().is_some_and(|each| {
            TaskName::from_str(each.get_ref().function.get_ref()) == Ok(TaskName::Spin)
        });
        if kind != StageKind::Processes || !spins || s.workers.is_none() {
            problems.at(raw, format!("{prefix}`sweep` needs kind = \"processes\", `each` with fn = \"spin\" (the total work) and `workers` (the largest count)"));
        }
    }
    if let Some(raw) = &s.serial_secs {
        if serial_secs != 0.0 && !sweeps {
            problems.at(
                raw,
                format!("{prefix}`serial_secs` goes with `sweep = true`"),
            );
        }
        if !(serial_secs.is_finite() && (0.0..=limits::MAX_TASK_SECS).contains(&serial_secs)) {
            problems.at(
                raw,
                format!(
                    "{prefix}serial_secs must be from 0 to {} seconds",
                    limits::MAX_TASK_SECS
                ),
            );
        }
    }
    sweeps.then_some(Sweep { serial_secs })
}

/// The stage's title: any text, with `{workers}` (and for pools `{chunksize}`) filled in.
fn name(s: &RawStage, kind: StageKind, prefix: &str, problems: &mut Problems) -> Option<String> {
    let raw = s.name.as_ref()?;
    text::placeholders(problems, prefix, "name", raw, name_placeholders(kind));
    Some(text::any_text(problems, prefix, "name", raw))
}

/// The parent's line: one line, or one per join mode (processes stages only).
fn parent_says(
    s: &RawStage,
    kind: StageKind,
    prefix: &str,
    problems: &mut Problems,
) -> Option<ParentSays> {
    let raw = s.parent_says.as_ref()?;
    let mut line = |field: &str, text: &Spanned<String>| {
        text::placeholders(problems, prefix, field, text, PARENT_PLACEHOLDERS);
        text::one_line(problems, prefix, field, text)
    };
    Some(match raw.get_ref() {
        RawParentSays::Always(text) => {
            let text = Spanned::new(raw.span(), text.clone());
            ParentSays::Always(line("parent_says", &text))
        }
        RawParentSays::ByJoin(lines) => {
            let all = line("parent_says.all", &lines.all);
            let skip = line("parent_says.skip", &lines.skip);
            if kind != StageKind::Processes {
                problems.at(raw, format!("{prefix}a line per join mode is for processes stages (only they join): give parent_says one line"));
            }
            ParentSays::ByJoin { all, skip }
        }
    })
}
