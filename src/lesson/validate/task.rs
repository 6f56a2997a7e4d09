//! Checks one task (an entry of `tasks`, or `each`): a function from the fixed vocabulary, the
//! arguments it needs and no others, each within its range, and its texts.

use std::ops::Range;
use std::str::FromStr;

use toml::Spanned;

use super::stage::MAX_NUMBER;
use super::{Problems, closest, text};
use crate::lesson::model::TaskDef;
use crate::lesson::raw::RawTask;
use crate::limits;
use crate::task::{
    ALLOWED_SIGNALS, Argument, StartMethod, TASK_FUNCTIONS, TaskFn, TaskName, TaskSignal,
};

pub(super) use crate::task::{AFTER_PLACEHOLDERS, BEFORE_PLACEHOLDERS};

/// The task, typed, if it has no problem. `prefix` names it in messages (`stage 1: task 2: `).
pub(super) fn task(
    raw: &Spanned<RawTask>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<TaskDef> {
    let before = problems.count();
    let task = raw.get_ref();
    let name = function_name(task, prefix, problems)?;
    arguments_given(task, name, prefix, problems);
    argument_values(task, name, prefix, problems);
    if let Some(printed) = &task.text {
        text::one_line(problems, prefix, "text", printed);
    }
    let label = task
        .label
        .as_ref()
        .map(|label| text::one_line(problems, prefix, "label", label));
    let texts = [
        ("before", &task.before, BEFORE_PLACEHOLDERS),
        ("after", &task.after, AFTER_PLACEHOLDERS),
    ];
    let [before_line, after_line] = texts.map(|(field, value, allowed)| {
        value.as_ref().map(|value| {
            let line = text::one_line(problems, prefix, field, value);
            text::placeholders(problems, prefix, field, value, allowed);
            line
        })
    });
    (problems.count() == before).then(|| TaskDef {
        label,
        function: function(task, name),
        before: before_line,
        after: after_line,
    })
}

/// The task function `fn` names, or a problem that suggests the closest name.
fn function_name(task: &RawTask, prefix: &str, problems: &mut Problems) -> Option<TaskName> {
    let written = task.function.get_ref();
    let found = TaskName::from_str(written).ok();
    if found.is_none() {
        let suggestion = closest(written, TASK_FUNCTIONS)
            .map(|name| format!(" (did you mean {name:?}?)"))
            .unwrap_or_default();
        problems.at(
            &task.function,
            format!(
                "{prefix}unknown task function {written:?}{suggestion}: use one of {}",
                TASK_FUNCTIONS.join(", ")
            ),
        );
    }
    found
}

/// Each argument, and where it was given (if it was).
fn given(task: &RawTask) -> [(Argument, Option<Range<usize>>); 9] {
    fn at<T>(value: &Option<Spanned<T>>) -> Option<Range<usize>> {
        value.as_ref().map(Spanned::span)
    }
    [
        (Argument::Secs, at(&task.secs)),
        (Argument::N, at(&task.n)),
        (Argument::Times, at(&task.times)),
        (Argument::Code, at(&task.code)),
        (Argument::Signal, at(&task.signal)),
        (Argument::Text, at(&task.text)),
        (Argument::Bytes, at(&task.bytes)),
        (Argument::Method, at(&task.method)),
        (Argument::LineBytes, at(&task.line_bytes)),
    ]
}

/// Every argument the function needs is given, and none it does not take.
fn arguments_given(task: &RawTask, name: TaskName, prefix: &str, problems: &mut Problems) {
    let (needs, may) = name.arguments();
    let function = name.name();
    for (argument, place) in given(task) {
        let field = argument.name();
        match place {
            None if needs.contains(&argument) => problems.at(
                &task.function,
                format!(
                    "{prefix}`{function}` needs `{field}` ({})",
                    argument.example()
                ),
            ),
            Some(span) if !needs.contains(&argument) && !may.contains(&argument) => problems
                .at_span(
                    span,
                    format!("{prefix}`{field}` does not apply to `{function}`: remove it"),
                ),
            _ => {}
        }
    }
}

/// Each given argument is within its range.
fn argument_values(task: &RawTask, name: TaskName, prefix: &str, problems: &mut Problems) {
    let mut check = Check { prefix, problems };
    check.value(&task.secs, |&secs| {
        (!(secs.is_finite() && (0.0..=limits::MAX_TASK_SECS).contains(&secs))).then(|| {
            format!(
                "secs = {secs} is out of range: 0 to {} seconds",
                limits::MAX_TASK_SECS
            )
        })
    });
    check.value(&task.n, |&n| {
        (n.unsigned_abs() > MAX_NUMBER as u64)
            .then(|| format!("n = {n} is out of range: -{MAX_NUMBER} to {MAX_NUMBER}"))
    });
    check.value(&task.times, |&times| times_problem(name, times));
    check.value(&task.bytes, |&bytes| {
        (bytes > limits::MAX_FLOOD_BYTES).then(|| {
            format!(
                "bytes = {bytes} is out of range: at most {}",
                limits::MAX_FLOOD_BYTES
            )
        })
    });
    check.value(&task.code, |&code| {
        (!(0..=255).contains(&code))
            .then(|| format!("code = {code} is out of range: an exit code is 0 to 255"))
    });
    check.value(&task.method, |method| {
        StartMethod::from_str(method).is_err().then(|| {
            format!("method {method:?} is not a start method here: use \"fork\" or \"spawn\"")
        })
    });
    check.value(&task.signal, |signal| {
        TaskSignal::from_str(signal).is_err().then(|| {
            format!(
                "signal {signal:?} is not allowed: use one of {}",
                ALLOWED_SIGNALS.join(", ")
            )
        })
    });
}

/// Reports what is wrong with a task's given values, each at its place.
struct Check<'p, 'a> {
    prefix: &'p str,
    problems: &'p mut Problems<'a>,
}

impl Check<'_, '_> {
    /// Reports `wrong`'s message about `value`, if it is given and `wrong` has one.
    fn value<T>(&mut self, value: &Option<Spanned<T>>, wrong: impl Fn(&T) -> Option<String>) {
        if let Some(value) = value
            && let Some(message) = wrong(value.get_ref())
        {
            self.problems.at(value, format!("{}{message}", self.prefix));
        }
    }
}

/// What is wrong with `times` for `name`, if anything.
fn times_problem(name: TaskName, times: u64) -> Option<String> {
    let (low, high, what) = match name {
        TaskName::Print => (0, limits::MAX_PRINT_TIMES, "is too many lines"),
        TaskName::StartChildren => (1, limits::MAX_CHILD_STARTS, "is out of range"),
        _ => (0, limits::MAX_COUNT_TIMES, "is out of range"),
    };
    match name {
        _ if (low..=high).contains(&times) => None,
        TaskName::Print => Some(format!("times = {times} {what}: at most {high}")),
        _ => Some(format!("times = {times} {what}: {low} to {high}")),
    }
}

/// The typed function of a task whose arguments were checked.
fn function(task: &RawTask, name: TaskName) -> TaskFn {
    let secs = task.secs.as_ref().map_or(0.0, |s| *s.get_ref());
    let times = task.times.as_ref().map(|t| *t.get_ref());
    let n = task.n.as_ref().map_or(0, |n| *n.get_ref());
    match name {
        TaskName::Sleep => TaskFn::Sleep { secs },
        TaskName::Spin => TaskFn::Spin { secs },
        TaskName::Orphan => TaskFn::Orphan { secs },
        TaskName::Square => TaskFn::Square { n },
        TaskName::Cube => TaskFn::Cube { n },
        TaskName::Print => TaskFn::Print {
            text: task
                .text
                .as_ref()
                .map(|t| t.get_ref().clone())
                .unwrap_or_default(),
            times: times.unwrap_or(1),
            secs,
        },
        TaskName::Count => TaskFn::Count {
            times: times.unwrap_or(0),
        },
        TaskName::Exit => TaskFn::Exit {
            code: task.code.as_ref().map_or(0, |c| *c.get_ref() as u8),
        },
        TaskName::Signal => TaskFn::Signal {
            signal: parsed(&task.signal).unwrap_or(TaskSignal::Kill),
        },
        TaskName::Panic => TaskFn::Panic,
        TaskName::Flood => TaskFn::Flood {
            bytes: task.bytes.as_ref().map_or(0, |b| *b.get_ref()),
            line_bytes: task.line_bytes.as_ref().map_or(100, |b| *b.get_ref()),
        },
        TaskName::StartChildren => TaskFn::StartChildren {
            method: parsed(&task.method).unwrap_or(StartMethod::Fork),
            times: times.unwrap_or(1),
        },
    }
}

fn parsed<T: FromStr>(word: &Option<Spanned<String>>) -> Option<T> {
    T::from_str(word.as_ref()?.get_ref()).ok()
}
