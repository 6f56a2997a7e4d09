//! Checks a parsed lesson file for everything serde cannot: ranges, required arguments of each
//! task function, answers that exist, knobs that name real values.

use std::collections::HashSet;

use toml::Spanned;

use super::model::{
    AnswerKind, Checkpoint, CounterScope, FORMAT_VERSION, Join, Knob, LessonFile, Pin, Stage,
    StageKind, TaskSpec, WorkerCount,
};
use super::problem::Problem;
use crate::limits;
use crate::task::{AFTER_PLACEHOLDERS, ALLOWED_SIGNALS, BEFORE_PLACEHOLDERS, TASK_FUNCTIONS};

/// Where problems are reported: the file's name and its text (for line and column).
pub struct Place<'a> {
    /// The file as the user named it.
    pub file: &'a str,
    /// Its text.
    pub source: &'a str,
}

impl Place<'_> {
    fn problem<T>(&self, at: &Spanned<T>, message: impl Into<String>) -> Problem {
        Problem::at(self.file, self.source, at.span().start, message)
    }
}

/// Every problem in a parsed lesson file (empty when it is valid).
pub fn validate(lesson: &LessonFile, place: &Place) -> Vec<Problem> {
    let mut problems = Vec::new();
    if *lesson.format_version.get_ref() != FORMAT_VERSION {
        problems.push(place.problem(
            &lesson.format_version,
            format!(
                "format_version {} is not supported: this proclab reads format_version = {FORMAT_VERSION}",
                lesson.format_version.get_ref()
            ),
        ));
    }
    let id = lesson.id.get_ref();
    if !is_valid_id(id) {
        problems.push(place.problem(
            &lesson.id,
            format!("id {id:?} must be lowercase letters, digits and single '-' between words, 1-40 characters (for example \"pool-sleep\")"),
        ));
    }
    for field in [&lesson.narrative, &lesson.program] {
        if !is_plain_file_name(field.get_ref()) {
            problems.push(place.problem(
                field,
                format!("{:?} must be a file name inside the lesson folder, without '/' or '..' (for example \"program.py\")", field.get_ref()),
            ));
        }
    }
    let limit = *lesson.time_limit_s.get_ref();
    if !(limit > 0.0 && limit <= limits::MAX_TIME_LIMIT_SECS) {
        problems.push(place.problem(
            &lesson.time_limit_s,
            format!(
                "time_limit_s must be more than 0 and at most {} seconds",
                limits::MAX_TIME_LIMIT_SECS
            ),
        ));
    }
    let stages = lesson.stages.get_ref();
    if stages.is_empty() {
        problems.push(place.problem(&lesson.stages, "a lesson needs at least one [[stage]]"));
    }
    if stages.len() > limits::MAX_STAGES {
        problems.push(place.problem(
            &lesson.stages,
            format!(
                "{} stages is too many: at most {}",
                stages.len(),
                limits::MAX_STAGES
            ),
        ));
    }
    let mut labels = HashSet::new();
    for (index, stage) in stages.iter().enumerate() {
        validate_stage(stage, index, place, &mut problems);
        labels.extend(stage_labels(stage.get_ref()));
    }
    let mut checkpoint_ids = HashSet::new();
    for checkpoint in &lesson.checkpoints {
        if !checkpoint_ids.insert(checkpoint.get_ref().id.clone()) {
            problems.push(place.problem(
                checkpoint,
                format!(
                    "checkpoint id {:?} is used twice: give each checkpoint its own id",
                    checkpoint.get_ref().id
                ),
            ));
        }
        validate_checkpoint(checkpoint, &labels, place, &mut problems);
    }
    for knob in &lesson.knobs {
        validate_knob(knob, stages, place, &mut problems);
    }
    problems
}

fn stage_labels(stage: &Stage) -> Vec<String> {
    stage
        .tasks
        .iter()
        .enumerate()
        .map(|(i, task)| task.label.clone().unwrap_or_else(|| i.to_string()))
        .collect()
}

/// Whether `id` is a valid lesson id.
pub fn is_valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether `name` names a file directly inside a lesson folder (no path, no `..`).
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && !name.contains('\\') && name != "." && name != ".."
}

fn validate_stage(
    stage: &Spanned<Stage>,
    index: usize,
    place: &Place,
    problems: &mut Vec<Problem>,
) {
    let s = stage.get_ref();
    let mut report = |message: String| {
        problems.push(place.problem(stage, format!("stage {}: {message}", index + 1)));
    };
    let sources = [!s.tasks.is_empty(), s.each.is_some(), s.items.is_some()];
    match sources.iter().filter(|&&given| given).count() {
        0 => report("no work: give `tasks`, `each` or `items`".into()),
        1 => {}
        _ => report("give only one of `tasks`, `each` and `items`".into()),
    }
    if s.each.is_some() && s.kind == StageKind::Pool {
        report(
            "`each` is for processes and threads stages; a pool takes `tasks` or `items`".into(),
        );
    }
    if s.each.is_some() && s.workers.is_none() {
        report(
            "`each` needs `workers`: how many copies to start (a number, \"cores\" or \"cores+1\")"
                .into(),
        );
    }
    if let Some(WorkerCount::Fixed(n)) = s.workers
        && !(1..=limits::MAX_WORKERS).contains(&n)
    {
        report(format!(
            "workers = {n} is out of range: 1 to {}",
            limits::MAX_WORKERS
        ));
    }
    if let Some(WorkerCount::Cores(extra)) = s.workers
        && extra > limits::MAX_WORKERS
    {
        report(format!(
            "workers = \"cores+{extra}\" is out of range: at most {} workers",
            limits::MAX_WORKERS
        ));
    }
    if s.kind == StageKind::Processes && !s.tasks.is_empty() && s.workers.is_some() {
        report(
            "a processes stage with `tasks` starts one process per task: remove `workers`".into(),
        );
    }
    if let Some(chunksize) = s.chunksize {
        if s.kind != StageKind::Pool {
            report("`chunksize` is for pool stages only".into());
        }
        if chunksize == 0 || chunksize > limits::MAX_TASKS {
            report(format!("chunksize must be from 1 to {}", limits::MAX_TASKS));
        }
    }
    if s.kind != StageKind::Processes && (s.join != Join::All || s.join_delay_s != 0.0) {
        report("`join` and `join_delay_s` are for processes stages only".into());
    }
    if !(0.0..=limits::MAX_JOIN_DELAY_SECS).contains(&s.join_delay_s) {
        report(format!(
            "join_delay_s must be from 0 to {} seconds",
            limits::MAX_JOIN_DELAY_SECS
        ));
    }
    let memory = matches!(
        s.counter,
        CounterScope::SharedMemory | CounterScope::SharedMemoryLocked
    );
    if s.kind == StageKind::Threads && memory {
        report("threads already share memory: use counter = \"shared\" (or \"own\")".into());
    }
    if s.kind != StageKind::Threads && s.counter == CounterScope::Shared {
        report("processes share no variable: use counter = \"shared-memory\" or \"shared-memory-locked\" for a counter in shared memory".into());
    }
    if s.kind == StageKind::Threads && s.pin != Pin::None {
        report("`pin` is for processes, pool and serial stages (threads share their process's affinity)".into());
    }
    if s.kind == StageKind::Serial && (s.workers.is_some() || s.each.is_some()) {
        report("a serial stage runs its tasks in one process: remove `workers` and `each`".into());
    }
    if s.sweep {
        let spins = s.each.as_ref().is_some_and(|e| e.function == "spin");
        if s.kind != StageKind::Processes || !spins || s.workers.is_none() {
            report("`sweep` needs kind = \"processes\", `each` with fn = \"spin\" (the total work) and `workers` (the largest count)".into());
        }
    }
    if s.serial_secs != 0.0 && !s.sweep {
        report("`serial_secs` goes with `sweep = true`".into());
    }
    if !(s.serial_secs.is_finite() && (0.0..=limits::MAX_TASK_SECS).contains(&s.serial_secs)) {
        report(format!(
            "serial_secs must be from 0 to {} seconds",
            limits::MAX_TASK_SECS
        ));
    }
    if let Some(text) = &s.parent_says {
        check_text("parent_says", text, &mut report);
    }
    if s.tasks.len() as u64 > limits::MAX_TASKS {
        report(format!(
            "{} tasks is too many: at most {}",
            s.tasks.len(),
            limits::MAX_TASKS
        ));
    }
    let mut seen = HashSet::new();
    for (i, task) in s.tasks.iter().enumerate() {
        let name = match &task.label {
            Some(label) => format!("task {} ({label:?})", i + 1),
            None => format!("task {}", i + 1),
        };
        if let Some(label) = &task.label
            && !seen.insert(label.clone())
        {
            report(format!(
                "{name}: label {label:?} is used twice in this stage"
            ));
        }
        for message in task_problems(task) {
            report(format!("{name}: {message}"));
        }
    }
    if let Some(each) = &s.each {
        for message in task_problems(each) {
            report(format!("each: {message}"));
        }
    }
    if let Some(items) = &s.items {
        if !["square", "cube"].contains(&items.function.as_str()) {
            report(format!(
                "items: fn = {:?} is not allowed here: use \"square\" or \"cube\"",
                items.function
            ));
        }
        if items.from > items.to {
            report(format!(
                "items: from = {} is after to = {}",
                items.from, items.to
            ));
        } else if (items.to as i128 - items.from as i128 + 1) > limits::MAX_TASKS as i128 {
            report(format!(
                "items: {}..={} is too many tasks: at most {}",
                items.from,
                items.to,
                limits::MAX_TASKS
            ));
        }
        if items.from.unsigned_abs() > 1_000_000 || items.to.unsigned_abs() > 1_000_000 {
            report("items: numbers must stay within -1000000..=1000000".into());
        }
        if let Some(after) = &items.after {
            check_text("items.after", after, &mut report);
            check_placeholders("items.after", after, AFTER_PLACEHOLDERS, &mut report);
        }
    }
}

fn check_text(field: &str, text: &str, report: &mut impl FnMut(String)) {
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
        report(format!(
            "{field} holds the control character {:?}: terminal control codes could clear or take over the learner's screen; remove it",
            c
        ));
        return;
    }
    if text.len() > limits::MAX_TEXT_BYTES {
        report(format!(
            "{field} is {} bytes long: at most {}",
            text.len(),
            limits::MAX_TEXT_BYTES
        ));
    }
    if text.contains('\n') {
        report(format!("{field} must be one line (no newline)"));
    }
}

fn check_placeholders(field: &str, text: &str, allowed: &[&str], report: &mut impl FnMut(String)) {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            report(format!("{field}: '{{' without a closing '}}'"));
            return;
        };
        let name = &rest[open + 1..open + close];
        if !allowed.contains(&name) {
            let list = allowed
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join(", ");
            report(format!(
                "{field}: unknown placeholder {{{name}}}: use {list}"
            ));
        }
        rest = &rest[open + close + 1..];
    }
}

/// What is wrong with one task, each as a sentence that says how to fix it.
pub fn task_problems(task: &TaskSpec) -> Vec<String> {
    let mut problems = Vec::new();
    let function = task.function.as_str();
    if !TASK_FUNCTIONS.contains(&function) {
        let suggestion = closest(function, TASK_FUNCTIONS)
            .map(|name| format!(" (did you mean {name:?}?)"))
            .unwrap_or_default();
        problems.push(format!(
            "unknown task function {function:?}{suggestion}: use one of {}",
            TASK_FUNCTIONS.join(", ")
        ));
        return problems;
    }
    let needs: &[&str] = match function {
        "sleep" | "spin" | "orphan" => &["secs"],
        "start_children" => &["method", "times"],
        "square" | "cube" => &["n"],
        "count" => &["times"],
        "exit" => &["code"],
        "signal" => &["signal"],
        "print" => &["text"],
        "flood" => &["bytes"],
        _ => &[],
    };
    let given = [
        ("secs", task.secs.is_some()),
        ("n", task.n.is_some()),
        ("times", task.times.is_some()),
        ("code", task.code.is_some()),
        ("signal", task.signal.is_some()),
        ("text", task.text.is_some()),
        ("bytes", task.bytes.is_some()),
        ("method", task.method.is_some()),
        ("line_bytes", task.line_bytes.is_some()),
    ];
    // `print` may repeat its line: `times` lines, `secs` apart.
    let optional: &[&str] = match function {
        "print" => &["times", "secs"],
        "flood" => &["line_bytes"],
        _ => &[],
    };
    for (field, present) in given {
        if needs.contains(&field) && !present {
            problems.push(format!("`{function}` needs `{field}` ({})", example(field)));
        }
        if !needs.contains(&field) && !optional.contains(&field) && present {
            problems.push(format!(
                "`{field}` does not apply to `{function}`: remove it"
            ));
        }
    }
    if let Some(secs) = task.secs
        && !(secs.is_finite() && (0.0..=limits::MAX_TASK_SECS).contains(&secs))
    {
        problems.push(format!(
            "secs = {secs} is out of range: 0 to {} seconds",
            limits::MAX_TASK_SECS
        ));
    }
    if let Some(n) = task.n
        && n.unsigned_abs() > 1_000_000
    {
        problems.push(format!("n = {n} is out of range: -1000000 to 1000000"));
    }
    if function == "print" && task.times.is_some_and(|t| t > limits::MAX_PRINT_TIMES) {
        problems.push(format!(
            "times = {} is too many lines: at most {}",
            task.times.unwrap_or(0),
            limits::MAX_PRINT_TIMES
        ));
    }
    if let Some(times) = task.times
        && times > limits::MAX_COUNT_TIMES
    {
        problems.push(format!(
            "times = {times} is out of range: 0 to {}",
            limits::MAX_COUNT_TIMES
        ));
    }
    if let Some(bytes) = task.bytes
        && bytes > limits::MAX_FLOOD_BYTES
    {
        problems.push(format!(
            "bytes = {bytes} is out of range: at most {}",
            limits::MAX_FLOOD_BYTES
        ));
    }
    if let Some(method) = &task.method
        && !["fork", "spawn"].contains(&method.as_str())
    {
        problems.push(format!(
            "method {method:?} is not a start method here: use \"fork\" or \"spawn\""
        ));
    }
    if function == "start_children"
        && task
            .times
            .is_some_and(|t| t == 0 || t > limits::MAX_CHILD_STARTS)
    {
        problems.push(format!(
            "times = {} is out of range: 1 to {}",
            task.times.unwrap_or(0),
            limits::MAX_CHILD_STARTS
        ));
    }
    if let Some(code) = task.code
        && !(0..=255).contains(&code)
    {
        problems.push(format!(
            "code = {code} is out of range: an exit code is 0 to 255"
        ));
    }
    if let Some(signal) = &task.signal
        && !ALLOWED_SIGNALS.contains(&signal.as_str())
    {
        problems.push(format!(
            "signal {signal:?} is not allowed: use one of {}",
            ALLOWED_SIGNALS.join(", ")
        ));
    }
    let mut report = |message: String| problems.push(message);
    for (field, text) in [("text", &task.text), ("label", &task.label)] {
        if let Some(text) = text {
            check_text(field, text, &mut report);
        }
    }
    if let Some(before) = &task.before {
        check_text("before", before, &mut report);
        check_placeholders("before", before, BEFORE_PLACEHOLDERS, &mut report);
    }
    if let Some(after) = &task.after {
        check_text("after", after, &mut report);
        check_placeholders("after", after, AFTER_PLACEHOLDERS, &mut report);
    }
    problems
}

fn example(field: &str) -> &'static str {
    match field {
        "secs" => "seconds, for example secs = 2",
        "n" => "a whole number, for example n = 10",
        "times" => "for example times = 1000",
        "code" => "for example code = 3",
        "signal" => "for example signal = \"SIGKILL\"",
        "method" => "for example method = \"fork\"",
        _ => "for example text = \"hello\"",
    }
}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min()
        .map(|(_, candidate)| candidate)
}

fn validate_checkpoint(
    checkpoint: &Spanned<Checkpoint>,
    labels: &HashSet<String>,
    place: &Place,
    problems: &mut Vec<Problem>,
) {
    let c = checkpoint.get_ref();
    let mut report = |message: String| {
        problems.push(place.problem(checkpoint, format!("checkpoint {:?}: {message}", c.id)));
    };
    if c.answer.is_none() && c.observe.is_none() {
        report("give an `answer`, an `observe`, or both".into());
    }
    match c.answer_kind {
        AnswerKind::Choice => {
            if c.choices.len() < 2 {
                report("a choice checkpoint needs at least two `choices`".into());
            }
            if let Some(answer) = &c.answer
                && !c.choices.contains(answer)
            {
                report(format!(
                    "answer {answer:?} is not one of its choices: copy one of {:?}",
                    c.choices
                ));
            }
        }
        AnswerKind::Order => {
            if let Some(answer) = &c.answer {
                for label in answer.split_whitespace() {
                    if !labels.contains(label) {
                        report(format!(
                            "answer names {label:?}, which no task is labelled: the order uses task labels separated by spaces"
                        ));
                    }
                }
            }
        }
        AnswerKind::Number => {
            if let Some(answer) = &c.answer
                && answer.trim().parse::<f64>().is_err()
            {
                report(format!("answer {answer:?} is not a number"));
            }
            if !(c.tolerance >= 0.0 && c.tolerance.is_finite()) {
                report("tolerance must be 0 or more".into());
            }
        }
    }
    if c.answer_kind != AnswerKind::Choice && !c.choices.is_empty() {
        report("`choices` are for answer_kind = \"choice\" only".into());
    }
}

/// The largest `secs` knob value: every duration times this still stays in range.
const MAX_SECS_SCALE: f64 = 10.0;

/// Knob names that apply to every stage.
pub const KNOB_NAMES: &[&str] = &["workers", "chunksize", "join_delay_s", "join", "secs"];

fn validate_knob(
    knob: &Spanned<Knob>,
    stages: &[Spanned<Stage>],
    place: &Place,
    problems: &mut Vec<Problem>,
) {
    let k = knob.get_ref();
    let mut report = |message: String| {
        problems.push(place.problem(knob, format!("knob {:?}: {message}", k.name)));
    };
    let Some(stage) = stages.get(k.stage) else {
        report(format!(
            "stage = {} does not exist: this lesson has {} stage(s), numbered from 0",
            k.stage,
            stages.len()
        ));
        return;
    };
    let stage = stage.get_ref();
    if let Some(label) = k
        .name
        .strip_prefix("task.")
        .and_then(|rest| rest.strip_suffix(".secs"))
    {
        let labelled = |(i, task): (usize, &TaskSpec)| {
            task.label.clone().unwrap_or_else(|| i.to_string()) == label
        };
        if !stage.tasks.iter().enumerate().any(labelled) {
            report(format!("no task labelled {label:?} in stage {}", k.stage));
        }
    } else if !KNOB_NAMES.contains(&k.name.as_str()) {
        report(format!(
            "unknown knob: use one of {}, or task.<label>.secs",
            KNOB_NAMES.join(", ")
        ));
    }
    if !(k.min.is_finite() && k.max.is_finite() && k.min <= k.max) {
        report("min must be a number no larger than max".into());
    }
    if !(k.step > 0.0 && k.step.is_finite()) {
        report("step must be more than 0".into());
    }
    match k.name.as_str() {
        "workers" if k.min < 1.0 || k.max > limits::MAX_WORKERS as f64 => report(format!(
            "workers range must stay within 1..={}",
            limits::MAX_WORKERS
        )),
        "chunksize" if stage.kind != StageKind::Pool => {
            report("chunksize applies to pool stages only".into())
        }
        "chunksize" if k.min < 1.0 => report("chunksize starts at 1".into()),
        "join" | "join_delay_s" if stage.kind != StageKind::Processes => {
            report("join knobs apply to processes stages only".into())
        }
        "secs" if k.min <= 0.0 || k.max > MAX_SECS_SCALE => report(format!(
            "a secs scale must stay above 0 and at most {MAX_SECS_SCALE}"
        )),
        "join_delay_s" if k.min < 0.0 || k.max > limits::MAX_JOIN_DELAY_SECS => report(format!(
            "join_delay_s must stay within 0..={} seconds",
            limits::MAX_JOIN_DELAY_SECS
        )),
        "join" if k.min < 0.0 || k.max > 1.0 => report("join is 0 (skip) or 1 (all)".into()),
        name if name.starts_with("task.") && (k.min < 0.0 || k.max > limits::MAX_TASK_SECS) => {
            report(format!(
                "a task's seconds must stay within 0..={} seconds",
                limits::MAX_TASK_SECS
            ))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(function: &str) -> TaskSpec {
        TaskSpec {
            function: function.into(),
            ..TaskSpec::default()
        }
    }

    #[test]
    fn ids_are_kebab_case() {
        assert!(is_valid_id("pool-sleep"));
        assert!(is_valid_id("a1"));
        assert!(!is_valid_id("Pool"));
        assert!(!is_valid_id("a--b"));
        assert!(!is_valid_id("-a"));
        assert!(!is_valid_id(""));
    }

    #[test]
    fn unknown_function_suggests_the_closest() {
        let problems = task_problems(&task("slep"));
        assert!(
            problems[0].contains("did you mean \"sleep\""),
            "{problems:?}"
        );
        let problems = task_problems(&task("rm -rf /"));
        assert!(problems[0].starts_with("unknown task function \"rm -rf /\": use one of"));
    }

    #[test]
    fn missing_and_extra_arguments_are_named() {
        let mut t = task("sleep");
        t.n = Some(3);
        let problems = task_problems(&t);
        assert!(
            problems.contains(&"`sleep` needs `secs` (seconds, for example secs = 2)".to_string())
        );
        assert!(problems.contains(&"`n` does not apply to `sleep`: remove it".to_string()));
    }

    #[test]
    fn placeholders_are_checked() {
        let mut t = task("square");
        t.n = Some(3);
        t.after = Some("{n} -> {result} {oops}".into());
        t.before = Some("{result}".into());
        let problems = task_problems(&t);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("unknown placeholder {result}"));
        assert!(problems[1].contains("unknown placeholder {oops}"));
    }
}
