//! Each check on one run's facts: passed or not, with what the run showed, in words a learner
//! reads ("your lines came out 3 7 2 1 (PIDs 4121 4120 4119 4122)").

use nix::sys::signal::Signal;

use super::check::{Bounds, Check, Printer, StreamFilter, TaskOrder, quoted};
use super::facts::{ProcessFacts, RunEnd, RunFacts};
use crate::event::Stream;

/// How long after the main process a child may be seen ending and still count as ended
/// before it (both are seen by the same 5 ms scan of `/proc`).
const SAME_MOMENT_MS: f64 = 50.0;
/// PIDs listed in one piece of evidence.
const MAX_PIDS_SHOWN: usize = 8;

/// One check on one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCheck {
    /// It passed.
    pub passed: bool,
    /// What the run showed.
    pub detail: String,
}

fn pass(detail: impl Into<String>) -> RunCheck {
    RunCheck {
        passed: true,
        detail: detail.into(),
    }
}

fn fail(detail: impl Into<String>) -> RunCheck {
    RunCheck {
        passed: false,
        detail: detail.into(),
    }
}

/// `check` on the run `facts` (not `speedup` or `start_methods`, which take several runs).
pub fn evaluate(check: &Check, facts: &RunFacts) -> RunCheck {
    if let Some(unfinished) = unfinished(facts) {
        return fail(unfinished);
    }
    match check {
        Check::ExitCode { equals } => exit_code(*equals, facts),
        Check::OutputMatches {
            pattern,
            printer,
            stream,
            bounds,
        } => output_matches(pattern, *printer, *stream, bounds, facts),
        Check::OutputOrder { lines } => output_order(lines, facts),
        Check::ProcessesStarted { bounds } => processes_started(bounds, facts),
        Check::TaskPids { bounds } => task_pids(bounds, facts),
        Check::PoolChunks { at_least, at_most } => pool_chunks(*at_least, *at_most, facts),
        Check::ParallelTasks { at_least, fraction } => {
            parallel_tasks(at_least.unclamped(facts.cores), *fraction, facts)
        }
        Check::TasksFinished { count } => tasks_finished(*count, facts),
        Check::CompletionOrder { order } => completion_order(order, facts),
        Check::Results { values } => results(values, facts),
        Check::WorkersClean => workers_clean(facts),
        Check::NoProcessLeft => no_process_left(facts),
        Check::NoZombies => no_zombies(facts),
        Check::WallTime { at_most_s, margin } => wall_time(*at_most_s, *margin, facts),
        Check::Speedup { .. } | Check::StartMethods { .. } => {
            pass("judged over all the runs together")
        }
    }
}

/// Why a run says nothing about any check: it hung or never started.
pub fn unfinished(facts: &RunFacts) -> Option<String> {
    match &facts.end {
        RunEnd::TimedOut => Some(
            "the program was still running at the time limit: proclab ended it and every process it started"
                .into(),
        ),
        RunEnd::NotStarted(why) => Some(format!("the program did not run: {why}")),
        _ => None,
    }
}

/// How the main process ended, in words.
pub fn ending(facts: &RunFacts) -> String {
    match &facts.end {
        RunEnd::Exited(code) => format!("exited with code {code}"),
        RunEnd::Signalled(signal) => format!("was killed by {}", signal_name(*signal)),
        RunEnd::TimedOut => "was ended at the time limit".into(),
        RunEnd::NotStarted(why) => format!("did not run: {why}"),
    }
}

fn signal_name(signal: i32) -> String {
    match Signal::try_from(signal) {
        Ok(name) => format!("{} ({signal})", name.as_str()),
        Err(_) => format!("signal {signal}"),
    }
}

fn exit_code(equals: i32, facts: &RunFacts) -> RunCheck {
    let mut detail = format!("your program {}", ending(facts));
    let errors = facts.main_errors(1);
    if let Some(last) = errors.last()
        && facts.end != RunEnd::Exited(0)
    {
        detail.push_str(&format!(" after printing {:?}", last.trim()));
    }
    if facts.end == RunEnd::Exited(equals) {
        pass(detail)
    } else {
        fail(format!(
            "{detail}; the exercise asks for exit code {equals}"
        ))
    }
}

fn pid_list(pids: impl IntoIterator<Item = u32>) -> String {
    let pids: Vec<u32> = pids.into_iter().collect();
    let mut shown: Vec<String> = pids
        .iter()
        .take(MAX_PIDS_SHOWN)
        .map(u32::to_string)
        .collect();
    if pids.len() > MAX_PIDS_SHOWN {
        shown.push(format!("… {} more", pids.len() - MAX_PIDS_SHOWN));
    }
    shown.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn output_matches(
    pattern: &regex::Regex,
    printer: Printer,
    stream: StreamFilter,
    bounds: &Bounds,
    facts: &RunFacts,
) -> RunCheck {
    let matching: Vec<_> = facts
        .lines
        .iter()
        .filter(|line| match printer {
            Printer::Main => line.pid == facts.main_pid,
            Printer::Child => line.pid != facts.main_pid,
            Printer::Any => true,
        })
        .filter(|line| match stream {
            StreamFilter::Stdout => line.stream == Stream::Stdout,
            StreamFilter::Stderr => line.stream == Stream::Stderr,
            StreamFilter::Any => true,
        })
        .filter(|line| pattern.is_match(&line.text))
        .collect();
    let n = matching.len();
    let mut detail = format!("{} matched /{pattern}/", plural(n, "line", "lines"));
    if let Some(first) = matching.first() {
        detail.push_str(&format!(
            ", the first {:?} from PID {}",
            first.text, first.pid
        ));
    }
    if facts.lines_dropped > 0 {
        detail.push_str(&format!(
            " (your program printed so much that the last {} lines were not read)",
            facts.lines_dropped
        ));
    }
    if bounds.allows(n as u64, facts.cores) {
        pass(detail)
    } else {
        fail(format!(
            "{detail}; the exercise asks for {}",
            bounds.text(facts.cores)
        ))
    }
}

fn output_order(lines: &[String], facts: &RunFacts) -> RunCheck {
    let seen: Vec<_> = facts
        .lines
        .iter()
        .filter(|line| lines.iter().any(|want| want == line.text.trim_end()))
        .collect();
    let texts: Vec<String> = seen.iter().map(|l| l.text.trim_end().to_string()).collect();
    let pids = pid_list(seen.iter().map(|l| l.pid));
    let detail = if seen.is_empty() {
        "none of those lines came out".to_string()
    } else {
        format!("your lines came out {} (PIDs {pids})", texts.join(" "))
    };
    if texts == lines {
        return pass(detail);
    }
    if let Some(missing) = lines.iter().find(|want| !texts.contains(want)) {
        return fail(format!("{detail}; the line {missing:?} never came out"));
    }
    fail(format!("{detail}; the exercise asks for {}", quoted(lines)))
}

/// The first few of `items`, joined, and how many more there are.
fn some_of(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(MAX_PIDS_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > MAX_PIDS_SHOWN {
        text.push_str(&format!("; and {} more", items.len() - MAX_PIDS_SHOWN));
    }
    text
}

fn helpers_note(facts: &RunFacts) -> String {
    let helpers: Vec<String> = facts
        .helpers()
        .map(|p| format!("{} (PID {})", p.helper.map_or("", |h| h.name()), p.pid))
        .collect();
    if helpers.is_empty() {
        String::new()
    } else {
        format!("; not counted: {}", helpers.join(", "))
    }
}

fn processes_started(bounds: &Bounds, facts: &RunFacts) -> RunCheck {
    let started: Vec<u32> = facts.started().map(|p| p.pid).collect();
    let n = started.len();
    let mut detail = format!("your program started {}", plural(n, "process", "processes"));
    if n > 0 {
        detail.push_str(&format!(" (PIDs {})", pid_list(started)));
    }
    detail.push_str(&helpers_note(facts));
    if bounds.allows(n as u64, facts.cores) {
        pass(detail)
    } else {
        fail(format!(
            "{detail}; the exercise asks for {}",
            bounds.text(facts.cores)
        ))
    }
}

fn task_pids(bounds: &Bounds, facts: &RunFacts) -> RunCheck {
    let mut pids: Vec<u32> = facts
        .tasks
        .iter()
        .filter(|t| t.pid != 0)
        .map(|t| t.pid)
        .collect();
    pids.sort_unstable();
    pids.dedup();
    let n = pids.len();
    let detail = if facts.tasks.is_empty() {
        "no pool or executor task ran".to_string()
    } else {
        format!(
            "{} ran in {} (PIDs {})",
            plural(facts.tasks.len(), "task", "tasks"),
            plural(n, "process", "processes"),
            pid_list(pids)
        )
    };
    if bounds.allows(n as u64, facts.cores) {
        pass(detail)
    } else {
        fail(format!(
            "{detail}; the exercise asks for {}",
            bounds.text(facts.cores)
        ))
    }
}

fn tasks_finished(count: Option<u64>, facts: &RunFacts) -> RunCheck {
    let total = facts.tasks.len();
    let finished = facts.tasks.iter().filter(|t| t.finished()).count();
    let mut detail = format!("{finished} of {} finished", plural(total, "task", "tasks"));
    let lost: Vec<String> = facts
        .lost
        .iter()
        .filter_map(|&i| facts.tasks.get(i).map(|t| t.label.clone()))
        .collect();
    if !lost.is_empty() {
        detail.push_str(&format!(
            "; lost when their worker died: {}",
            lost.join(", ")
        ));
    }
    let all = finished == total && facts.lost.is_empty();
    match count {
        Some(n) if finished as u64 != n => fail(format!("{detail}; the exercise asks for {n}")),
        _ if all => pass(detail),
        _ => fail(format!("{detail}; every task must finish")),
    }
}

fn completion_order(order: &TaskOrder, facts: &RunFacts) -> RunCheck {
    let labels: Vec<String> = facts
        .completion
        .iter()
        .map(|&i| {
            facts
                .tasks
                .get(i)
                .map_or_else(|| format!("#{i}"), |t| t.label.clone())
        })
        .collect();
    let matches = match order {
        TaskOrder::Labels(want) => labels == *want,
        TaskOrder::Indexes(want) => facts.completion == *want,
    };
    let detail = if labels.is_empty() {
        "no pool or executor task finished".to_string()
    } else {
        format!("tasks finished in the order {}", labels.join(" "))
    };
    if matches {
        pass(detail)
    } else {
        let want = match order {
            TaskOrder::Labels(want) => want.join(" "),
            TaskOrder::Indexes(want) => want
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(" "),
        };
        fail(format!("{detail}; the exercise asks for {want}"))
    }
}

fn results(values: &[String], facts: &RunFacts) -> RunCheck {
    let detail = if facts.results.is_empty() {
        "no pool or executor task returned a result".to_string()
    } else {
        format!("the results were {}", facts.results.join(", "))
    };
    if facts.results == values {
        pass(detail)
    } else {
        fail(format!(
            "{detail}; the exercise asks for {}",
            values.join(", ")
        ))
    }
}

fn ended(p: &ProcessFacts) -> String {
    match p.exit {
        Some((_, Some(code), _)) => format!("exited with code {code}"),
        Some((_, None, Some(signal))) => format!("was killed by {}", signal_name(signal)),
        _ => "ended, and how is not known".into(),
    }
}

fn workers_clean(facts: &RunFacts) -> RunCheck {
    let started: Vec<&ProcessFacts> = facts.started().collect();
    let unclean: Vec<String> = started
        .iter()
        .filter(|p| !matches!(p.exit, Some((_, Some(0), None))))
        .map(|p| format!("PID {} {}", p.pid, ended(p)))
        .collect();
    if started.is_empty() {
        return pass("your program started no process");
    }
    if unclean.is_empty() {
        return pass(format!(
            "all {} exited with code 0 on their own",
            plural(started.len(), "process", "processes")
        ));
    }
    let mut detail = some_of(&unclean);
    let terminated = started
        .iter()
        .any(|p| matches!(p.exit, Some((_, None, Some(15)))));
    if terminated {
        detail
            .push_str(" (a pool left through `with` is terminated: call close() and join() first)");
    }
    fail(detail)
}

fn no_process_left(facts: &RunFacts) -> RunCheck {
    let Some(main_end) = facts.main_ended_ms else {
        return fail("the main process's end was not seen");
    };
    let left: Vec<String> = facts
        .started()
        .filter_map(|p| {
            let end = p.exit.map(|(t, _, _)| t);
            // The main process leads its terminal's session: its end hangs the terminal up,
            // and SIGHUP kills what still ran (seen in the same scan of /proc as its end).
            let hung_up =
                matches!(p.exit, Some((t, None, Some(1))) if t >= main_end - SAME_MOMENT_MS);
            match end {
                Some(_) if hung_up => Some(format!(
                    "PID {} was still running when the main process ended; the hang-up of its terminal then killed it (SIGHUP)",
                    p.pid
                )),
                Some(t) if t <= main_end + SAME_MOMENT_MS => None,
                Some(t) => Some(format!(
                    "PID {} ran on {:.0} ms after the main process ended",
                    p.pid,
                    t - main_end
                )),
                None => Some(format!(
                    "PID {} was still running when the main process ended",
                    p.pid
                )),
            }
        })
        .collect();
    if left.is_empty() {
        pass(format!(
            "every process it started had ended when the main process ended ({:.0} ms)",
            main_end
        ))
    } else {
        fail(some_of(&left))
    }
}

fn no_zombies(facts: &RunFacts) -> RunCheck {
    let Some(main_end) = facts.main_ended_ms else {
        return fail("the main process's end was not seen");
    };
    let zombies: Vec<String> = facts
        .started()
        .filter(|p| p.ppid == facts.main_pid)
        .filter_map(|p| {
            let since = p.zombie_ms?;
            // Reaped by its parent before the main process ended; what proclab reaps after
            // that (in the same scan of /proc, or later) was still a zombie then.
            let reaped_before = p.joined_ms.is_some_and(|t| t < main_end);
            // One that ended in the same moment as the main process was no zombie of its.
            (since < main_end - SAME_MOMENT_MS && !reaped_before).then(|| {
                format!(
                    "PID {} was a zombie (ended, never joined) from {since:.0} ms until the main process ended at {main_end:.0} ms",
                    p.pid
                )
            })
        })
        .collect();
    if zombies.is_empty() {
        pass("no child was left a zombie")
    } else {
        fail(some_of(&zombies))
    }
}

fn pool_chunks(at_least: u64, at_most: Option<u64>, facts: &RunFacts) -> RunCheck {
    if facts.pool_calls.is_empty() {
        let detail = "your program called no pool or executor";
        return if at_least == 0 {
            pass(detail)
        } else {
            fail(detail)
        };
    }
    let mut total = 0;
    let mut parts = Vec::new();
    for call in facts.pool_calls.iter().take(MAX_PIDS_SHOWN) {
        parts.push(match (call.chunks(), call.tasks) {
            (Some(chunks), Some(tasks)) => format!(
                "{} sent {} ({}, chunksize {})",
                call.api,
                plural(chunks as usize, "chunk", "chunks"),
                plural(tasks as usize, "task", "tasks"),
                call.chunksize.unwrap_or(1)
            ),
            _ => format!("{} over an iterable of unknown length", call.api),
        });
    }
    let unknown = facts.pool_calls.iter().any(|c| c.chunks().is_none());
    for call in &facts.pool_calls {
        total += call.chunks().unwrap_or(0);
    }
    let mut detail = format!("your {}", parts.join(", "));
    if facts.pool_calls.len() > MAX_PIDS_SHOWN {
        detail.push_str(&format!(
            " and {} more calls",
            facts.pool_calls.len() - MAX_PIDS_SHOWN
        ));
    }
    detail.push_str(&format!(
        ": {} in all",
        plural(total as usize, "chunk", "chunks")
    ));
    let asked = match at_most {
        Some(most) => format!("{at_least} to {most}"),
        None => format!("at least {at_least}"),
    };
    if unknown {
        return fail(format!(
            "{detail}; proclab cannot count the chunks of a call over an iterable of unknown length (give it a list); the exercise asks for {asked}"
        ));
    }
    if total >= at_least && at_most.is_none_or(|most| total <= most) {
        pass(detail)
    } else {
        fail(format!("{detail}; the exercise asks for {asked}"))
    }
}

/// For how long (ms) at least `at_least` of the tasks' intervals overlap, and the span from
/// the first start to the last end.
pub(crate) fn overlap(intervals: &[(f64, f64)], at_least: u64) -> (f64, f64) {
    let mut edges: Vec<(f64, i64)> = intervals
        .iter()
        .flat_map(|&(start, end)| [(start, 1), (end, -1)])
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (Some(first), Some(last)) = (edges.first(), edges.last()) else {
        return (0.0, 0.0);
    };
    let span = last.0 - first.0;
    let mut running = 0i64;
    let mut covered = 0.0;
    let mut previous = first.0;
    for (t, step) in edges {
        if running >= at_least as i64 {
            covered += t - previous;
        }
        running += step;
        previous = t;
    }
    (covered, span)
}

fn parallel_tasks(at_least: u64, fraction: f64, facts: &RunFacts) -> RunCheck {
    let intervals: Vec<(f64, f64)> = facts
        .tasks
        .iter()
        .filter_map(|t| Some((t.started_ms?, t.finished_ms?)))
        .filter(|(start, end)| end >= start)
        .collect();
    if intervals.is_empty() {
        return fail("no pool or executor task ran");
    }
    let (covered, span) = overlap(&intervals, at_least);
    let share = if span > 0.0 { covered / span } else { 0.0 };
    let detail = format!(
        "{at_least} or more tasks ran at once for {:.0}% of the {:.2} s from the first task's start to the last one's end (asked: {at_least} at once, {:.0}% of the time; this machine has {} cores)",
        share * 100.0,
        span / 1000.0,
        fraction * 100.0,
        facts.cores
    );
    if share >= fraction {
        pass(detail)
    } else {
        fail(detail)
    }
}

fn wall_time(at_most_s: f64, margin: f64, facts: &RunFacts) -> RunCheck {
    let took = facts.wall_ms / 1000.0;
    let allowed = at_most_s * (1.0 + margin);
    let detail = format!(
        "your program took {took:.2} s; the exercise allows {at_most_s} s + {:.0}% = {allowed:.2} s",
        margin * 100.0
    );
    if took <= allowed {
        pass(detail)
    } else {
        fail(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::facts::{Helper, Line};

    fn facts() -> RunFacts {
        let line = |t_ms: f64, pid: u32, text: &str| Line {
            t_ms,
            pid,
            stream: Stream::Stdout,
            text: text.into(),
        };
        let child = |pid: u32, helper: Option<Helper>, exit| ProcessFacts {
            pid,
            ppid: 100,
            helper,
            seen_ms: 1.0,
            exit,
            zombie_ms: None,
            joined_ms: None,
        };
        RunFacts {
            method: None,
            end: RunEnd::Exited(0),
            cores: 2,
            pool_calls: Vec::new(),
            main_pid: 100,
            main_ended_ms: Some(50.0),
            wall_ms: 50.0,
            processes: vec![
                child(101, None, Some((20.0, Some(0), None))),
                child(102, None, Some((21.0, None, Some(15)))),
                child(
                    103,
                    Some(Helper::ResourceTracker),
                    Some((60.0, Some(0), None)),
                ),
            ],
            lines: vec![
                line(1.0, 101, "3"),
                line(2.0, 102, "7"),
                line(3.0, 100, "2"),
            ],
            lines_dropped: 0,
            tasks: Vec::new(),
            completion: Vec::new(),
            results: Vec::new(),
            lost: Vec::new(),
            notices: Vec::new(),
        }
    }

    #[test]
    fn output_order_names_the_order_and_the_pids() {
        let lines = vec!["3".to_string(), "2".to_string(), "7".to_string()];
        let verdict = output_order(&lines, &facts());
        assert!(!verdict.passed);
        assert_eq!(
            verdict.detail,
            "your lines came out 3 7 2 (PIDs 101, 102, 100); the exercise asks for \"3\" \"2\" \"7\""
        );
        let missing = output_order(&["9".to_string()], &facts());
        assert_eq!(
            missing.detail,
            "none of those lines came out; the line \"9\" never came out"
        );
    }

    #[test]
    fn helpers_are_not_counted_and_a_terminated_worker_is_unclean() {
        let counted = processes_started(&Bounds::fixed(2, Some(2)), &facts());
        assert!(counted.passed, "{}", counted.detail);
        assert!(
            counted
                .detail
                .contains("not counted: multiprocessing's resource tracker (PID 103)")
        );
        let clean = workers_clean(&facts());
        assert!(!clean.passed);
        assert!(
            clean
                .detail
                .starts_with("PID 102 was killed by SIGTERM (15)"),
            "{}",
            clean.detail
        );
        assert!(no_process_left(&facts()).passed);
    }

    #[test]
    fn overlap_measures_how_long_enough_tasks_ran_at_once() {
        // Two tasks side by side for 5 of the 10 ms.
        let (covered, span) = overlap(&[(0.0, 7.5), (2.5, 10.0)], 2);
        assert_eq!((covered, span), (5.0, 10.0));
        assert_eq!(overlap(&[(0.0, 1.0), (1.0, 2.0)], 2).0, 0.0);
        assert_eq!(overlap(&[], 1), (0.0, 0.0));
    }

    #[test]
    fn a_terminal_hang_up_after_the_main_process_ended_is_a_process_left() {
        let mut hung = facts();
        hung.processes[0].exit = Some((52.0, None, Some(1)));
        let left = no_process_left(&hung);
        assert!(!left.passed);
        assert!(
            left.detail
                .contains("the hang-up of its terminal then killed it"),
            "{}",
            left.detail
        );
    }

    #[test]
    fn a_timed_out_run_fails_every_check_and_says_so() {
        let mut hung = facts();
        hung.end = RunEnd::TimedOut;
        let verdict = evaluate(&Check::NoZombies, &hung);
        assert!(!verdict.passed);
        assert!(verdict.detail.contains("time limit"));
    }
}
