//! Turns a parsed `exercise.toml` ([`RawExercise`]) into the checked parts of an
//! [`super::Exercise`]: ranges, the fields each check kind takes, patterns that compile, texts
//! without terminal control codes. Every problem points at the value it is about and says how
//! to fix it.

use std::collections::HashSet;

use regex::RegexBuilder;
use toml::Spanned;

use super::check::TaskOrder;
use super::check::{Bounds, Check, CheckKind, CheckSpec, Printer, StartMethod, StreamFilter};
use super::raw::{RawAmount, RawCheck, RawExercise, RawTask};
use crate::lesson::model::WorkerCount;
use crate::lesson::problem::Problem;
use crate::lesson::validate::{Place, Problems, closest, holds_control, is_plain_file_name};
use crate::limits;

/// Longest title, in characters.
const MAX_TITLE_CHARS: usize = 80;
/// Most checks one exercise may hold.
const MAX_CHECKS: usize = 32;
/// Most hints one exercise may hold.
const MAX_HINTS: usize = 20;
/// Most lines, values or tasks one check may list.
const MAX_LIST: usize = 1_000;
/// Largest compiled pattern, in bytes (a pattern cannot make proclab allocate much).
const MAX_PATTERN_BYTES: usize = 1 << 20;
/// Runs one verdict may take.
pub(crate) const RUNS: std::ops::RangeInclusive<i64> = 1..=20;
/// Seconds one traced run may take.
const TIME_LIMIT_S: std::ops::RangeInclusive<f64> = 1.0..=120.0;
/// The runs a file that says nothing takes.
const DEFAULT_RUNS: u32 = 1;
/// The time limit of a file that says nothing.
const DEFAULT_TIME_LIMIT_S: f64 = 20.0;

/// What `exercise.toml` says once it is checked.
#[derive(Debug, Clone)]
pub(crate) struct CheckedExercise {
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) task: String,
    pub(crate) runs: u32,
    pub(crate) time_limit_s: f64,
    pub(crate) hints: Vec<String>,
    pub(crate) checks: Vec<CheckSpec>,
}

/// The checked exercise, or every problem in it.
pub(crate) fn validate(raw: &RawExercise, place: Place) -> Result<CheckedExercise, Vec<Problem>> {
    let mut problems = Problems::new(place);
    if let Some(version) = &raw.format_version
        && *version.get_ref() != 1
    {
        problems.at(
            version,
            format!(
                "format_version {} is not supported: this proclab reads format_version = 1",
                version.get_ref()
            ),
        );
    }
    let title = text(&mut problems, "title", &raw.title, true);
    if title.chars().count() > MAX_TITLE_CHARS {
        problems.at(
            &raw.title,
            format!(
                "title is {} characters long: at most {MAX_TITLE_CHARS}",
                title.chars().count()
            ),
        );
    }
    let summary = text(&mut problems, "summary", &raw.summary, true);
    let task = text(&mut problems, "task", &raw.task, false);
    let runs = runs(raw, &mut problems);
    let time_limit_s = time_limit(raw, &mut problems);
    if raw.hints.len() > MAX_HINTS {
        problems.at(&raw.hints[MAX_HINTS], format!("at most {MAX_HINTS} hints"));
    }
    let hints: Vec<String> = raw
        .hints
        .iter()
        .enumerate()
        .map(|(i, hint)| text(&mut problems, &format!("hint {}", i + 1), hint, false))
        .collect();
    let checks = checks(raw, &mut problems);
    if problems.count() > 0 {
        return Err(problems.into_found());
    }
    Ok(CheckedExercise {
        title,
        summary,
        task,
        runs,
        time_limit_s,
        hints,
        checks,
    })
}

/// `value` if it holds no control character (and, for `one_line`, no newline) and is not blank.
fn text(problems: &mut Problems, field: &str, value: &Spanned<String>, one_line: bool) -> String {
    let text = value.get_ref();
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        problems.at(
            value,
            format!(
                "{field} holds the control character {c:?}: terminal control codes could clear or take over the learner's screen; remove it"
            ),
        );
    } else if one_line && text.contains('\n') {
        problems.at(value, format!("{field} must be one line (no newline)"));
    } else if text.trim().is_empty() {
        problems.at(
            value,
            format!("{field} is empty: write what the learner reads here"),
        );
    }
    text.trim().to_string()
}

fn runs(raw: &RawExercise, problems: &mut Problems) -> u32 {
    let Some(runs) = &raw.runs else {
        return DEFAULT_RUNS;
    };
    if !RUNS.contains(runs.get_ref()) {
        problems.at(
            runs,
            format!(
                "runs = {} is out of range: use {} to {} (races need several runs, each one costs time)",
                runs.get_ref(),
                RUNS.start(),
                RUNS.end()
            ),
        );
        return DEFAULT_RUNS;
    }
    *runs.get_ref() as u32
}

fn time_limit(raw: &RawExercise, problems: &mut Problems) -> f64 {
    let Some(limit) = &raw.time_limit_s else {
        return DEFAULT_TIME_LIMIT_S;
    };
    if !TIME_LIMIT_S.contains(limit.get_ref()) {
        problems.at(
            limit,
            format!(
                "time_limit_s = {} is out of range: use {} to {} seconds (a run past it is killed)",
                limit.get_ref(),
                TIME_LIMIT_S.start(),
                TIME_LIMIT_S.end()
            ),
        );
        return DEFAULT_TIME_LIMIT_S;
    }
    *limit.get_ref()
}

fn checks(raw: &RawExercise, problems: &mut Problems) -> Vec<CheckSpec> {
    let list = raw.checks.get_ref();
    if list.is_empty() {
        problems.at(&raw.checks, "an exercise needs at least one [[check]]");
    }
    if list.len() > MAX_CHECKS {
        problems.at(&list[MAX_CHECKS], format!("at most {MAX_CHECKS} checks"));
    }
    let mut seen_methods = false;
    let mut checks = Vec::new();
    for (index, check) in list.iter().enumerate() {
        let prefix = format!("check {}", index + 1);
        let Some(checked) = one_check(check.get_ref(), &prefix, problems) else {
            continue;
        };
        if let Check::StartMethods { .. } = checked.check {
            if seen_methods {
                problems.at(
                    &check.get_ref().kind,
                    format!("{prefix}: only one start_methods check: list every method in it"),
                );
            }
            seen_methods = true;
        }
        checks.push(checked);
    }
    checks
}

/// The fields each kind takes (besides `kind` and `every_run`).
fn fields_of(kind: CheckKind) -> &'static [&'static str] {
    match kind {
        CheckKind::ExitCode => &["equals"],
        CheckKind::OutputMatches => &["pattern", "min", "max", "process", "stream"],
        CheckKind::OutputOrder => &["lines"],
        CheckKind::ProcessesStarted | CheckKind::TaskPids => &["min", "max"],
        CheckKind::TasksFinished => &["count"],
        CheckKind::CompletionOrder => &["order"],
        CheckKind::Results => &["values"],
        CheckKind::WorkersClean | CheckKind::NoProcessLeft | CheckKind::NoZombies => &[],
        CheckKind::WallTime => &["at_most_s", "margin"],
        CheckKind::Speedup => &["at_least", "serial", "cores"],
        CheckKind::StartMethods => &["methods"],
        CheckKind::PoolChunks => &["at_least", "at_most"],
        CheckKind::ParallelTasks => &["at_least", "fraction"],
    }
}

/// The fields a raw check holds, with where each one starts.
fn present_fields(check: &RawCheck) -> Vec<(&'static str, usize)> {
    fn at<T>(field: &Option<Spanned<T>>) -> Option<usize> {
        field.as_ref().map(|f| f.span().start)
    }
    let all = [
        ("equals", at(&check.equals)),
        ("pattern", at(&check.pattern)),
        ("process", at(&check.process)),
        ("stream", at(&check.stream)),
        ("min", at(&check.min)),
        ("max", at(&check.max)),
        ("lines", at(&check.lines)),
        ("count", at(&check.count)),
        ("order", at(&check.order)),
        ("values", at(&check.values)),
        ("at_most_s", at(&check.at_most_s)),
        ("margin", at(&check.margin)),
        ("at_least", at(&check.at_least)),
        ("at_most", at(&check.at_most)),
        ("fraction", at(&check.fraction)),
        ("serial", at(&check.serial)),
        ("cores", at(&check.cores)),
        ("methods", at(&check.methods)),
    ];
    all.into_iter()
        .filter_map(|(name, at)| Some((name, at?)))
        .collect()
}

fn one_check(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<CheckSpec> {
    let word = check.kind.get_ref();
    let Some(kind) = CheckKind::parse(word) else {
        let names = CheckKind::all_names();
        let hint =
            closest(word, &names).map_or(String::new(), |near| format!("did you mean {near:?}? "));
        problems.at(
            &check.kind,
            format!(
                "{prefix}: unknown kind {word:?}: {hint}use one of {}",
                names.join(", ")
            ),
        );
        return None;
    };
    let prefix = format!("{prefix} ({kind})");
    let takes = fields_of(kind);
    let before = problems.count();
    for (field, at) in present_fields(check) {
        if !takes.contains(&field) {
            let list = if takes.is_empty() {
                "no fields but every_run".to_string()
            } else {
                format!("{} (and every_run)", takes.join(", "))
            };
            problems.at_span(
                at..at,
                format!("{prefix}: {field} is not a field of {kind}: it takes {list}"),
            );
        }
    }
    let built = build(kind, check, &prefix, problems);
    if problems.count() > before {
        return None;
    }
    Some(CheckSpec {
        check: built?,
        every_run: check.every_run.as_ref().is_none_or(|e| *e.get_ref()),
    })
}

/// The typed check of `kind` from the raw fields (problems for missing or bad ones).
fn build(
    kind: CheckKind,
    check: &RawCheck,
    prefix: &str,
    problems: &mut Problems,
) -> Option<Check> {
    let mut need = |field: &str, present: bool| {
        if !present {
            problems.at(
                &check.kind,
                format!("{prefix}: needs {field} = … (see the check table in EXERCISES.md)"),
            );
        }
        present
    };
    Some(match kind {
        CheckKind::ExitCode => {
            need("equals", check.equals.is_some()).then_some(())?;
            let equals = check.equals.as_ref()?;
            if !(0..=255).contains(equals.get_ref()) {
                problems.at(
                    equals,
                    format!(
                        "{prefix}: equals = {} is not an exit code: use 0 to 255",
                        equals.get_ref()
                    ),
                );
                return None;
            }
            Check::ExitCode {
                equals: *equals.get_ref() as i32,
            }
        }
        CheckKind::OutputMatches => {
            need("pattern", check.pattern.is_some()).then_some(())?;
            output_matches(check, prefix, problems)?
        }
        CheckKind::OutputOrder => {
            need("lines", check.lines.is_some()).then_some(())?;
            Check::OutputOrder {
                lines: strings(check.lines.as_ref()?, "lines", prefix, problems)?,
            }
        }
        CheckKind::ProcessesStarted | CheckKind::TaskPids => {
            need("min or max", check.min.is_some() || check.max.is_some()).then_some(())?;
            let bounds = bounds(check, prefix, problems)?;
            if kind == CheckKind::TaskPids {
                Check::TaskPids { bounds }
            } else {
                Check::ProcessesStarted { bounds }
            }
        }
        CheckKind::TasksFinished => Check::TasksFinished {
            count: match &check.count {
                Some(count) => Some(count_in(
                    count,
                    "count",
                    0,
                    limits::MAX_TASKS,
                    prefix,
                    problems,
                )?),
                None => None,
            },
        },
        CheckKind::CompletionOrder => {
            need("order", check.order.is_some()).then_some(())?;
            Check::CompletionOrder {
                order: task_order(check.order.as_ref()?, prefix, problems)?,
            }
        }
        CheckKind::Results => {
            need("values", check.values.is_some()).then_some(())?;
            Check::Results {
                values: strings(check.values.as_ref()?, "values", prefix, problems)?,
            }
        }
        CheckKind::WorkersClean => Check::WorkersClean,
        CheckKind::NoProcessLeft => Check::NoProcessLeft,
        CheckKind::NoZombies => Check::NoZombies,
        CheckKind::WallTime => {
            need("at_most_s", check.at_most_s.is_some()).then_some(())?;
            let at_most = check.at_most_s.as_ref()?;
            let margin = check.margin.as_ref();
            let at_most_s = number_in(at_most, "at_most_s", 0.001, 120.0, prefix, problems)?;
            let margin = match margin {
                Some(m) => number_in(m, "margin", 0.0, 10.0, prefix, problems)?,
                None => 0.25,
            };
            Check::WallTime { at_most_s, margin }
        }
        CheckKind::Speedup => {
            let present = check.at_least.is_some() && check.serial.is_some();
            need("at_least and serial", present).then_some(())?;
            speedup(check, prefix, problems)?
        }
        CheckKind::StartMethods => {
            need("methods", check.methods.is_some()).then_some(())?;
            start_methods(check.methods.as_ref()?, prefix, problems)?
        }
        CheckKind::PoolChunks => {
            let present = check.at_least.is_some() || check.at_most.is_some();
            need("at_most and/or at_least", present).then_some(())?;
            pool_chunks(check, prefix, problems)?
        }
        CheckKind::ParallelTasks => {
            let present = check.at_least.is_some() && check.fraction.is_some();
            need("at_least and fraction", present).then_some(())?;
            parallel_tasks(check, prefix, problems)?
        }
    })
}

fn output_matches(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<Check> {
    let pattern = check.pattern.as_ref()?;
    let text = pattern.get_ref();
    if holds_control(text) || text.len() > limits::MAX_TEXT_BYTES {
        problems.at(
            pattern,
            format!("{prefix}: pattern must be at most {} bytes with no control character (write \\x1b in the pattern for ESC)", limits::MAX_TEXT_BYTES),
        );
        return None;
    }
    let compiled = RegexBuilder::new(text)
        .size_limit(MAX_PATTERN_BYTES)
        .build();
    let pattern_re = match compiled {
        Ok(re) => re,
        Err(error) => {
            let why = error.to_string();
            let last = why.lines().last().unwrap_or("").trim();
            let last = last.strip_prefix("error: ").unwrap_or(last);
            problems.at(
                pattern,
                format!("{prefix}: pattern {text:?} is not a regular expression: {last}"),
            );
            return None;
        }
    };
    let mut word = |field: Option<&Spanned<String>>, name: &str, words: &[&str]| -> Option<usize> {
        let Some(field) = field else {
            return Some(words.len() - 1);
        };
        let found = words.iter().position(|w| w == field.get_ref());
        if found.is_none() {
            problems.at(
                field,
                format!(
                    "{prefix}: {name} = {:?} is not one of {}",
                    field.get_ref(),
                    words
                        .iter()
                        .map(|w| format!("{w:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        found
    };
    let printer = word(check.process.as_ref(), "process", &["main", "child", "any"]);
    let stream = word(
        check.stream.as_ref(),
        "stream",
        &["stdout", "stderr", "any"],
    );
    let mut bounds = bounds(check, prefix, problems)?;
    if check.min.is_none() && bounds.max != Some(WorkerCount::Fixed(0)) {
        bounds.min = WorkerCount::Fixed(1);
    }
    Some(Check::OutputMatches {
        pattern: pattern_re,
        printer: [Printer::Main, Printer::Child, Printer::Any][printer?],
        stream: [
            StreamFilter::Stdout,
            StreamFilter::Stderr,
            StreamFilter::Any,
        ][stream?],
        bounds,
    })
}

fn bounds(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<Bounds> {
    let cap = limits::MAX_TASKS;
    let checked = |count: &Spanned<WorkerCount>, field: &str, problems: &mut Problems| {
        if let WorkerCount::Fixed(n) = count.get_ref()
            && u64::from(*n) > cap
        {
            problems.at(
                count,
                format!("{prefix}: {field} = {n} is out of range: use 0 to {cap}, or \"cores\""),
            );
            return None;
        }
        Some(count.get_ref().clone())
    };
    let min = match &check.min {
        Some(min) => checked(min, "min", problems)?,
        None => WorkerCount::Fixed(0),
    };
    let max = match &check.max {
        Some(max) => Some(checked(max, "max", problems)?),
        None => None,
    };
    if let (WorkerCount::Fixed(low), Some(WorkerCount::Fixed(high)), Some(raw)) =
        (&min, &max, &check.max)
        && high < low
    {
        problems.at(
            raw,
            format!("{prefix}: max = {high} is less than min = {low}"),
        );
        return None;
    }
    Some(Bounds { min, max })
}

fn count_in(
    value: &Spanned<i64>,
    field: &str,
    low: u64,
    high: u64,
    prefix: &str,
    problems: &mut Problems,
) -> Option<u64> {
    let n = *value.get_ref();
    if n < low as i64 || n > high as i64 {
        problems.at(
            value,
            format!("{prefix}: {field} = {n} is out of range: use {low} to {high}"),
        );
        return None;
    }
    Some(n as u64)
}

fn number_in(
    value: &Spanned<f64>,
    field: &str,
    low: f64,
    high: f64,
    prefix: &str,
    problems: &mut Problems,
) -> Option<f64> {
    let x = *value.get_ref();
    if !(low..=high).contains(&x) {
        problems.at(
            value,
            format!("{prefix}: {field} = {x} is out of range: use {low} to {high}"),
        );
        return None;
    }
    Some(x)
}

/// A non-empty list of one-line texts without control characters.
fn strings(
    list: &Spanned<Vec<Spanned<String>>>,
    field: &str,
    prefix: &str,
    problems: &mut Problems,
) -> Option<Vec<String>> {
    let items = list.get_ref();
    if items.is_empty() || items.len() > MAX_LIST {
        problems.at(
            list,
            format!("{prefix}: {field} must list 1 to {MAX_LIST} items"),
        );
        return None;
    }
    let before = problems.count();
    for item in items {
        let text = item.get_ref();
        if text.chars().any(char::is_control) || text.len() > limits::MAX_TEXT_BYTES {
            problems.at(
                item,
                format!("{prefix}: each of {field} must be one line of at most {} bytes, without control characters", limits::MAX_TEXT_BYTES),
            );
        }
    }
    (problems.count() == before).then(|| items.iter().map(|i| i.get_ref().clone()).collect())
}

fn task_order(
    list: &Spanned<Vec<Spanned<RawTask>>>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<TaskOrder> {
    let items = list.get_ref();
    if items.is_empty() || items.len() > MAX_LIST {
        problems.at(
            list,
            format!("{prefix}: order must list 1 to {MAX_LIST} tasks"),
        );
        return None;
    }
    let mut labels = Vec::new();
    let mut indexes = Vec::new();
    for item in items {
        match item.get_ref() {
            RawTask::Index(i) if (0..limits::MAX_TASKS as i64).contains(i) => {
                indexes.push(*i as usize)
            }
            RawTask::Index(i) => {
                problems.at(
                    item,
                    format!(
                        "{prefix}: task index {i} is out of range: use 0 to {}",
                        limits::MAX_TASKS - 1
                    ),
                );
                return None;
            }
            RawTask::Label(label)
                if label.chars().any(char::is_control) || label.len() > limits::MAX_TEXT_BYTES =>
            {
                problems.at(
                    item,
                    format!("{prefix}: a label must be one line without control characters"),
                );
                return None;
            }
            RawTask::Label(label) => labels.push(label.clone()),
        }
    }
    match (labels.is_empty(), indexes.is_empty()) {
        (true, false) => Some(TaskOrder::Indexes(indexes)),
        (false, true) => Some(TaskOrder::Labels(labels)),
        _ => {
            problems.at(list, format!("{prefix}: order mixes labels and indexes: use labels (\"B\") or indexes (1), not both"));
            None
        }
    }
}

/// `at_least` as a number (a problem if it is a word).
fn number(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<f64> {
    let at_least = check.at_least.as_ref()?;
    match at_least.get_ref() {
        RawAmount::Number(x) => Some(*x),
        RawAmount::Word(word) => {
            problems.at(
                at_least,
                format!("{prefix}: at_least = {word:?} must be a number"),
            );
            None
        }
    }
}

fn speedup(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<Check> {
    let at_least = number(check, prefix, problems);
    if let (Some(x), Some(raw)) = (at_least, &check.at_least)
        && !(0.1..=256.0).contains(&x)
    {
        problems.at(
            raw,
            format!("{prefix}: at_least = {x} is out of range: use 0.1 to 256"),
        );
        return None;
    }
    let serial = check.serial.as_ref()?;
    let name = serial.get_ref();
    let plain = is_plain_file_name(name) && name.ends_with(".py");
    if !plain {
        problems.at(
            serial,
            format!("{prefix}: serial = {name:?} must name a Python file in the exercise's folder, without '/' (for example \"serial.py\")"),
        );
    }
    let cores = match &check.cores {
        Some(cores) => count_in(
            cores,
            "cores",
            1,
            u64::from(limits::MAX_CORES),
            prefix,
            problems,
        )? as u32,
        None => 2,
    };
    Some(Check::Speedup {
        at_least: at_least?,
        serial: plain.then(|| name.clone())?,
        cores,
    })
}

fn pool_chunks(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<Check> {
    let cap = limits::MAX_TASKS;
    let at_least = match &check.at_least {
        Some(raw) => {
            let x = number(check, prefix, problems)?;
            if x.fract() != 0.0 || !(0.0..=cap as f64).contains(&x) {
                problems.at(
                    raw,
                    format!("{prefix}: at_least = {x} must be a whole number from 0 to {cap}"),
                );
                return None;
            }
            x as u64
        }
        None => 0,
    };
    let at_most = match &check.at_most {
        Some(most) => Some(count_in(most, "at_most", at_least, cap, prefix, problems)?),
        None => None,
    };
    Some(Check::PoolChunks { at_least, at_most })
}

fn parallel_tasks(check: &RawCheck, prefix: &str, problems: &mut Problems) -> Option<Check> {
    let raw = check.at_least.as_ref()?;
    let at_least = match raw.get_ref() {
        RawAmount::Number(x)
            if x.fract() == 0.0 && (1.0..=f64::from(limits::MAX_WORKERS)).contains(x) =>
        {
            Some(WorkerCount::Fixed(*x as u32))
        }
        RawAmount::Word(word) => {
            WorkerCount::parse(word).filter(|c| !matches!(c, WorkerCount::Fixed(0)))
        }
        RawAmount::Number(_) => None,
    };
    if at_least.is_none() {
        problems.at(raw, format!("{prefix}: at_least must be a whole number from 1 to {}, \"cores\", \"cores+N\" or \"cores*N\"", limits::MAX_WORKERS));
    }
    let fraction = number_in(
        check.fraction.as_ref()?,
        "fraction",
        0.0,
        1.0,
        prefix,
        problems,
    )?;
    Some(Check::ParallelTasks {
        at_least: at_least?,
        fraction,
    })
}

fn start_methods(
    list: &Spanned<Vec<Spanned<String>>>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<Check> {
    let mut methods = Vec::new();
    let mut seen = HashSet::new();
    for item in list.get_ref() {
        match StartMethod::parse(item.get_ref()) {
            Some(method) if seen.insert(method) => methods.push(method),
            Some(method) => {
                problems.at(item, format!("{prefix}: {method} is listed twice"));
                return None;
            }
            None => {
                problems.at(
                    item,
                    format!("{prefix}: {:?} is not a start method: use \"fork\", \"spawn\" or \"forkserver\"", item.get_ref()),
                );
                return None;
            }
        }
    }
    if methods.is_empty() {
        problems.at(
            list,
            format!(
                "{prefix}: methods must list at least one of \"fork\", \"spawn\", \"forkserver\""
            ),
        );
        return None;
    }
    Some(Check::StartMethods { methods })
}
