//! A verdict on a program: traced `runs` times (under each start method a `start_methods` check
//! lists; alternating with the serial reference for a `speedup` check), every check judged on
//! every run, and each check's verdict with its evidence.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Exercise;
use super::check::{Check, CheckSpec, StartMethod};
use super::evaluate::{RunCheck, evaluate, unfinished};
use super::facts::{RunEnd, RunFacts};
use super::run::{Interpreter, RunSpec, Snapshot, run_once};
use super::verdict::{CheckVerdict, RunSummary, Verdict};
use crate::event::Event;

/// How to judge.
#[derive(Debug, Clone)]
pub struct JudgeOptions {
    /// The interpreter.
    pub python: Interpreter,
    /// Runs per start method instead of the exercise's own `runs`.
    pub runs: Option<u32>,
    /// Set from outside to stop judging (a newer save, Ctrl-C): the verdict then says so.
    pub interrupted: Option<Arc<AtomicBool>>,
}

/// What a verdict in progress reports, for a live view.
#[derive(Debug)]
pub enum JudgeProgress<'a> {
    /// Run `run` (0-based) of `of` starts, under `method`.
    RunStarted {
        /// Which run.
        run: usize,
        /// How many in all.
        of: usize,
        /// Its start method (`None`: Python's default).
        method: Option<StartMethod>,
        /// Whether it is the serial reference of a `speedup` check.
        reference: bool,
    },
    /// An event of the run going on.
    Event(&'a Event),
    /// A run ended.
    RunFinished(&'a RunFacts),
}

/// The methods runs are made under: those of the `start_methods` check, or Python's default.
fn methods(exercise: &Exercise) -> Vec<Option<StartMethod>> {
    exercise
        .checks
        .iter()
        .find_map(|spec| match &spec.check {
            Check::StartMethods { methods } => Some(methods.iter().copied().map(Some).collect()),
            _ => None,
        })
        .unwrap_or_else(|| vec![None])
}

/// Judges `program` for `exercise`, telling `progress` about each run as it goes.
pub fn judge(
    exercise: &Exercise,
    program: &Snapshot,
    options: &JudgeOptions,
    progress: &mut (dyn FnMut(JudgeProgress) + Send),
) -> Verdict {
    let began = Instant::now();
    let runs = options.runs.unwrap_or(exercise.runs).max(1) as usize;
    let methods = methods(exercise);
    let serial = exercise
        .serial
        .as_ref()
        .map(|p| Snapshot::of_text(&p.name, &p.text));
    let total = runs * methods.len() + if serial.is_some() { runs } else { 0 };
    let mut program_runs: Vec<RunFacts> = Vec::new();
    let mut serial_runs: Vec<RunFacts> = Vec::new();
    let stopped = || {
        options
            .interrupted
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    };
    let mut done = 0;
    'all: for method in &methods {
        for _ in 0..runs {
            let mut one = |snapshot: &Snapshot, reference: bool, done: &mut usize| {
                progress(JudgeProgress::RunStarted {
                    run: *done,
                    of: total,
                    method: *method,
                    reference,
                });
                let spec = RunSpec {
                    python: &options.python,
                    method: *method,
                    time_limit: Duration::from_secs_f64(exercise.time_limit_s),
                    interrupted: options.interrupted.clone(),
                };
                let facts = run_once(snapshot, &spec, &mut |event| {
                    progress(JudgeProgress::Event(event))
                });
                progress(JudgeProgress::RunFinished(&facts));
                *done += 1;
                facts
            };
            let facts = one(program, false, &mut done);
            // A run that hung fails every check: more runs would only take more time.
            let hung = facts.end == RunEnd::TimedOut;
            program_runs.push(facts);
            if hung {
                break 'all;
            }
            // The serial reference alternates with the program under the first method.
            if let Some(serial) = serial.as_ref().filter(|_| Some(method) == methods.first()) {
                serial_runs.push(one(serial, true, &mut done));
            }
            if stopped() {
                break 'all;
            }
        }
    }
    let checks = exercise
        .checks
        .iter()
        .map(|spec| check_verdict(spec, exercise, &program_runs, &serial_runs))
        .collect::<Vec<_>>();
    let interrupted = stopped();
    Verdict {
        exercise: exercise.id.clone(),
        python: options.python.version.clone(),
        passed: !interrupted && checks.iter().all(|c| c.passed),
        interrupted,
        checks,
        runs: program_runs.iter().map(RunSummary::of).collect(),
        judged_ms: began.elapsed().as_secs_f64() * 1000.0,
    }
}

/// Where a run's evidence comes from: "run 3", "under spawn, run 2".
fn run_name(index: usize, facts: &RunFacts, runs: &[RunFacts]) -> String {
    let of_method = runs[..index]
        .iter()
        .filter(|r| r.method == facts.method)
        .count()
        + 1;
    let several = runs.iter().any(|r| r.method != runs[0].method);
    match facts.method {
        Some(method) if several => format!("under {method}, run {of_method}"),
        _ => format!("run {of_method}"),
    }
}

fn check_verdict(
    spec: &CheckSpec,
    exercise: &Exercise,
    runs: &[RunFacts],
    serial: &[RunFacts],
) -> CheckVerdict {
    let (passed, evidence) = match &spec.check {
        Check::StartMethods { methods } => start_methods(methods, exercise, runs),
        Check::Speedup {
            at_least,
            serial: name,
            cores,
        } => speedup(*at_least, name, *cores, runs, serial),
        check => across_runs(check, spec.every_run, runs),
    };
    CheckVerdict {
        kind: spec.check.kind(),
        asks: spec.check.describe(),
        every_run: spec.every_run,
        passed,
        evidence,
    }
}

/// One check over every run: each run's own verdict, then how many passed.
fn across_runs(check: &Check, every_run: bool, runs: &[RunFacts]) -> (bool, String) {
    let each: Vec<RunCheck> = runs.iter().map(|facts| evaluate(check, facts)).collect();
    let n = each.len();
    let passed = each.iter().filter(|c| c.passed).count();
    let first_fail = each.iter().position(|c| !c.passed);
    let name = |i: usize| run_name(i, &runs[i], runs);
    let ok = if every_run { passed == n } else { passed > 0 };
    let evidence = match (n, first_fail) {
        (0, _) => "no run was made".to_string(),
        (1, _) => each[0].detail.clone(),
        (_, None) => format!("run 1: {}; all {n} runs passed", each[0].detail),
        (_, Some(i)) if every_run => format!(
            "{}: {}; {} of {n} runs failed this check",
            name(i),
            each[i].detail,
            n - passed
        ),
        (_, Some(_)) if ok => {
            let good = each.iter().position(|c| c.passed).unwrap_or(0);
            format!(
                "{}: {} ({passed} of {n} runs passed, one is enough)",
                name(good),
                each[good].detail
            )
        }
        (_, Some(i)) => format!(
            "{}: {}; none of the {n} runs passed",
            name(i),
            each[i].detail
        ),
    };
    (ok, evidence)
}

/// `start_methods`: every other check under each method.
fn start_methods(
    methods: &[StartMethod],
    exercise: &Exercise,
    runs: &[RunFacts],
) -> (bool, String) {
    let mut parts = Vec::new();
    let mut all = true;
    for method in methods {
        let of_method: Vec<RunFacts> = runs
            .iter()
            .filter(|r| r.method == Some(*method))
            .cloned()
            .collect();
        let failing: Vec<&str> = exercise
            .checks
            .iter()
            .filter(|spec| {
                !matches!(
                    spec.check,
                    Check::StartMethods { .. } | Check::Speedup { .. }
                )
            })
            .filter(|spec| !across_runs(&spec.check, spec.every_run, &of_method).0)
            .map(|spec| spec.check.kind().name())
            .collect();
        if of_method.is_empty() {
            all = false;
            parts.push(format!(
                "{method}: not run (an earlier run hit the time limit, or judging was stopped)"
            ));
        } else if failing.is_empty() {
            parts.push(format!("{method}: every check passed"));
        } else {
            all = false;
            parts.push(format!("{method}: {} failed", failing.join(", ")));
        }
    }
    (all, parts.join("; "))
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// `speedup`: the median run of the program against the median run of the serial reference.
fn speedup(
    at_least: f64,
    name: &str,
    cores: u32,
    runs: &[RunFacts],
    serial: &[RunFacts],
) -> (bool, String) {
    let here = crate::engine::available_cores().max(1);
    let wanted = at_least * (f64::from(here) / f64::from(cores)).min(1.0);
    if let Some(why) = runs.iter().chain(serial).find_map(unfinished) {
        return (false, why);
    }
    let first = runs.first().map(|r| r.method);
    let mine = median(
        runs.iter()
            .filter(|r| r.method == first.flatten())
            .map(|r| r.wall_ms)
            .collect(),
    );
    let theirs = median(serial.iter().map(|r| r.wall_ms).collect());
    let (Some(mine), Some(theirs)) = (mine, theirs) else {
        return (false, "no run was made".into());
    };
    let ratio = theirs / mine.max(0.001);
    let faster = if ratio >= 1.0 {
        format!("{ratio:.2}× faster")
    } else {
        format!("{ratio:.2}× as fast (slower)")
    };
    let evidence = format!(
        "your program took {:.2} s, {name} {:.2} s (medians of {} alternating runs): {faster}; the exercise asks for {wanted:.2}× on this machine's {here} cores ({at_least}× on {cores} or more)",
        mine / 1000.0,
        theirs / 1000.0,
        serial.len()
    );
    (ratio >= wanted, evidence)
}
