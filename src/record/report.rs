//! The readable text report of a run (`proclab run <id>`), drawn only from the record.

use std::fmt::Write;

use super::{Label, RunRecord, WorkerInfo, WorkerStatus};
use crate::event::{RunSource, StageKind, Stream};
use crate::lesson::Lesson;
use crate::record::observe::observe;
use crate::text::{visible, visible_line};

/// Width of the ASCII timeline, in characters.
const TIMELINE_WIDTH: usize = 60;
/// At most this many lanes are drawn per stage; the table still lists every worker.
const MAX_LANES: usize = 32;
/// At most this many printed lines are listed; the rest are counted.
const MAX_OUTPUT_LINES: usize = 200;

/// The whole report. `lesson` adds the title and the checkpoints' observations. Every text in
/// it that came from a recording or a program (names, labels, printed lines, results, notices)
/// has its control characters shown, not sent.
pub fn render(record: &RunRecord, lesson: Option<&Lesson>) -> String {
    let out = match record.source {
        RunSource::Trace => render_trace(record),
        RunSource::Lesson => render_lesson(record, lesson),
    };
    visible(&out).into_owned()
}

fn render_lesson(record: &RunRecord, lesson: Option<&Lesson>) -> String {
    let mut out = String::new();
    let title = lesson.map_or(String::new(), |l| format!(" — {}", l.title));
    let _ = writeln!(out, "proclab run {}{title}", record.lesson);
    let _ = writeln!(
        out,
        "parent PID {} · {} core{} available · speed ×{} (declared durations divided by it)",
        record.parent_pid,
        record.cores,
        if record.cores == 1 { "" } else { "s" },
        crate::task::format_secs(record.speed)
    );
    for (index, stage) in record.stages.iter().enumerate() {
        out.push('\n');
        let chunk = match (stage.chunksize, stage.task_messages()) {
            (Some(c), Some(messages)) if stage.kind == StageKind::Pool => format!(
                ", chunksize {c}: {messages} task message{}",
                plural(messages)
            ),
            (_, Some(messages)) => format!(", {messages} task message{}", plural(messages)),
            _ => String::new(),
        };
        let wall = stage
            .wall_ms()
            .map_or(String::new(), |ms| format!(", took {}", seconds(ms)));
        let _ = writeln!(out, "Stage {}: {}{chunk}{wall}", index + 1, stage.name);
        workers_table(&mut out, record, index);
        if let Some((value, expected)) = stage.shared_counter {
            let _ = writeln!(
                out,
                "  shared counter: {value} of {expected} expected: {} updates lost",
                expected.saturating_sub(value)
            );
        }
        timeline(&mut out, record, index, false);
    }
    speedup(&mut out, record);
    output(&mut out, record);
    orders(&mut out, record);
    notices(&mut out, record);
    if let Some(lesson) = lesson {
        checkpoints(&mut out, record, lesson);
    }
    out
}

/// The report of a trace: the command, every process found (parent, cores, lifetime, exit),
/// a timeline of the processes that ran tasks, the output by PID, the task order.
fn render_trace(record: &RunRecord) -> String {
    let mut out = String::new();
    let command = record.stages.first().map_or("", |s| s.name.as_str());
    let _ = writeln!(out, "proclab trace {command}");
    let speed = if record.speed == 1.0 {
        String::new()
    } else {
        format!(
            " · Python's time.sleep divided by {}",
            crate::task::format_secs(record.speed)
        )
    };
    let _ = writeln!(
        out,
        "proclab PID {} · {} core{} available{speed}",
        record.parent_pid,
        record.cores,
        if record.cores == 1 { "" } else { "s" },
    );
    let took = record
        .stages
        .first()
        .and_then(|s| {
            s.end_ms
                .map(|end| format!(", {} in all", seconds(end - s.start_ms)))
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nProcesses ({} seen{took}; times are from the start of the trace)",
        record.workers.len()
    );
    let _ = writeln!(
        out,
        "  {:<7} {:<8} {:<8} {:<11} {:<6} {:<24} exit",
        "worker", "PID", "parent", "cores seen", "tasks", "lived"
    );
    for w in record.stage_workers(0) {
        let cores = if w.cores_seen.is_empty() {
            "-".to_string()
        } else {
            let list: Vec<String> = w.cores_seen.iter().map(u32::to_string).collect();
            list.join(",")
        };
        let end = w.exited_ms.map_or("…".to_string(), seconds);
        let lived = format!("{} → {end}", seconds(w.started_ms));
        let exit = if w.status_unknown {
            "ended (its parent reaped it)".to_string()
        } else {
            status_text(w.status)
        };
        let _ = writeln!(
            out,
            "  {:<7} {:<8} {:<8} {:<11} {:<6} {:<24} {exit}",
            w.slot, w.pid, w.ppid, cores, w.tasks_done, lived
        );
    }
    pool_calls(&mut out, record);
    timeline(&mut out, record, 0, true);
    output(&mut out, record);
    orders(&mut out, record);
    notices(&mut out, record);
    out
}

/// A trace's pool and executor calls, in the order they were made.
fn pool_calls(out: &mut String, record: &RunRecord) {
    if record.pool_calls.rows.is_empty() {
        return;
    }
    out.push_str("\nPool and executor calls (in the order they were made)\n");
    let _ = writeln!(
        out,
        "  {:<8} {:<26} {:<8} {:<10} workers",
        "PID", "call", "items", "chunksize"
    );
    let known = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
    for call in &record.pool_calls.rows {
        let api = match call.times {
            1 => call.api.clone(),
            n => format!("{} × {n}", call.api),
        };
        let chunksize = call.chunksize.map_or("-".to_string(), |c| c.to_string());
        let workers = known(call.workers.map(u64::from));
        let _ = writeln!(
            out,
            "  {:<8} {:<26} {:<8} {:<10} {workers}",
            call.pid,
            api,
            known(call.tasks),
            chunksize
        );
    }
    if record.pool_calls.dropped > 0 {
        let n = record.pool_calls.dropped;
        let _ = writeln!(out, "  … and {n} more call{}", plural(n));
    }
}

fn notices(out: &mut String, record: &RunRecord) {
    if !record.notices.is_empty() {
        out.push_str("\nNotes from proclab\n");
        for notice in &record.notices {
            let _ = writeln!(out, "  • {notice}");
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The speedup table of a sweep: measured times against the ideal and Amdahl's law, with the
/// serial fraction measured at one worker.
fn speedup(out: &mut String, record: &RunRecord) {
    let points = record.sweep_points();
    let Some(&(_, alone)) = points.iter().find(|(workers, _)| *workers == 1) else {
        return;
    };
    let serial = record.sweep_serial_fraction().unwrap_or(0.0);
    let cores = f64::from(record.cores.max(1));
    let _ = writeln!(
        out,
        "\nSpeedup (time with 1 worker ÷ time with N; {} cores)",
        record.cores
    );
    let _ = writeln!(
        out,
        "  serial part measured at 1 worker: {:.0}% of the work; Amdahl: 1 / (s + (1 - s) / min(N, cores))",
        serial * 100.0
    );
    let _ = writeln!(
        out,
        "  {:>4} {:>11} {:>8} {:>6} {:>7}",
        "N", "time", "speedup", "ideal", "Amdahl"
    );
    for (workers, ms) in &points {
        let usable = f64::from(*workers).min(cores);
        let amdahl = 1.0 / (serial + (1.0 - serial) / usable);
        let _ = writeln!(
            out,
            "  {workers:>4} {:>11} {:>8.2} {usable:>6.0} {amdahl:>7.2}",
            seconds(*ms),
            alone / ms
        );
    }
}

/// Milliseconds as seconds, scaled back to the lesson's own time by `speed` where useful.
fn seconds(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn status_text(status: WorkerStatus) -> String {
    match status {
        WorkerStatus::Alive => "running".into(),
        WorkerStatus::Exited(code) => format!("exit code {code}"),
        WorkerStatus::Killed(signal) => {
            let name = nix::sys::signal::Signal::try_from(signal).map_or("?", |s| s.as_str());
            format!("killed by {name} ({signal}); Python: exitcode -{signal}")
        }
    }
}

fn workers_table(out: &mut String, record: &RunRecord, stage: usize) {
    let threads = record.stage_workers(stage).any(|w| w.tid.is_some());
    let id_header = if threads { "PID/TID" } else { "PID" };
    let _ = writeln!(
        out,
        "  {:<7} {:<13} {:<11} {:<6} {:<9} exit",
        "worker", id_header, "cores seen", "tasks", "startup"
    );
    for w in record.stage_workers(stage) {
        let id = match (w.tid, w.adopted) {
            (Some(tid), _) => format!("{}/{tid}", w.pid),
            (None, true) => format!("{} orphan", w.pid),
            (None, false) => w.pid.to_string(),
        };
        let mut cores = if w.cores_seen.is_empty() {
            "-".to_string()
        } else {
            w.cores_seen
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        if let Some(core) = w.pinned {
            cores = format!("{cores} (pin {core})");
        }
        let moved = if w.migrations > 0 {
            format!(
                " ({} move{})",
                w.migrations,
                if w.migrations == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<7} {:<13} {:<11} {:<6} {:<9} {}{moved}",
            w.slot,
            id,
            cores,
            w.tasks_done,
            format!("{:.0} µs", w.spawn_us),
            status_text(w.status)
        );
    }
}

/// The timeline of a stage; `busy_only` draws only the lanes of workers that ran tasks.
fn timeline(out: &mut String, record: &RunRecord, stage: usize, busy_only: bool) {
    let Some(info) = record.stages.get(stage) else {
        return;
    };
    let start = info.start_ms;
    let end = info.end_ms.unwrap_or(record.now_ms).max(start + 0.001);
    let span = end - start;
    let workers: Vec<&WorkerInfo> = record.stage_workers(stage).collect();
    // The lane of each worker slot of the stage.
    let mut lane_of: Vec<Option<usize>> = vec![None; record.workers.len()];
    for (lane, w) in workers.iter().enumerate() {
        lane_of[w.slot] = Some(lane);
    }
    // One pass over the tasks paints every lane (a stage may hold 200,000 tasks).
    let mut lanes: Vec<Option<Vec<char>>> = vec![None; workers.len()];
    for task in record.tasks.iter() {
        let (Some(slot), Some(task_start)) = (task.worker, task.start_ms) else {
            continue;
        };
        let Some(&Some(lane)) = lane_of.get(slot) else {
            continue;
        };
        // A lost task ends when its worker died.
        let task_end = task
            .end_ms
            .or_else(|| task.lost.then_some(workers[lane].exited_ms).flatten())
            .unwrap_or(end);
        let mark = if task.lost {
            'x'
        } else {
            // A control character would take six columns once shown (`\u{1b}`).
            task.label()
                .chars()
                .find(|c| !c.is_control())
                .unwrap_or('#')
        };
        let from = column(task_start - start, span);
        let to = column(task_end - start, span)
            .max(from + 1)
            .min(TIMELINE_WIDTH);
        lanes[lane].get_or_insert_with(|| vec![' '; TIMELINE_WIDTH])
            [from.min(TIMELINE_WIDTH - 1)..to]
            .fill(mark);
    }
    if lanes.iter().all(Option::is_none) {
        return;
    }
    let _ = writeln!(
        out,
        "\n  Timeline (one lane per worker; each letter is the first of a task's label)"
    );
    let drawn: Vec<(&WorkerInfo, Vec<char>)> = workers
        .into_iter()
        .zip(lanes)
        .filter_map(|(w, lane)| match lane {
            Some(lane) => Some((w, lane)),
            None if busy_only => None,
            None => Some((w, vec![' '; TIMELINE_WIDTH])),
        })
        .collect();
    for (w, lane) in drawn.iter().take(MAX_LANES) {
        let lane: String = lane.iter().collect();
        let _ = writeln!(out, "  w{:<3} {:>8} |{lane}|", w.slot, w.pid);
    }
    if drawn.len() > MAX_LANES {
        let _ = writeln!(out, "  … and {} more lanes", drawn.len() - MAX_LANES);
    }
    let right = seconds(span);
    let _ = writeln!(
        out,
        "  {:>13} 0{}{right}",
        "",
        " ".repeat(TIMELINE_WIDTH.saturating_sub(right.len()) + 1)
    );
}

fn column(offset_ms: f64, span: f64) -> usize {
    ((offset_ms / span) * TIMELINE_WIDTH as f64)
        .floor()
        .max(0.0) as usize
}

fn output(out: &mut String, record: &RunRecord) {
    if record.output.is_empty() {
        return;
    }
    out.push_str("\nOutput (in the order it arrived)\n");
    if record.output_dropped > 0 {
        let _ = writeln!(
            out,
            "  ({} lines in all; the first {} are not kept, to keep memory bounded)",
            record.output_total, record.output_dropped
        );
    }
    for line in record.output.iter().take(MAX_OUTPUT_LINES) {
        let who = match line.worker {
            Some(_) => format!("[{}]", line.pid),
            None => format!("[parent {}]", line.pid),
        };
        let stream = if line.stream == Stream::Stderr {
            " (stderr)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:>9.1} ms {who:<14} {}{stream}",
            line.t_ms, line.text
        );
    }
    if record.output.len() > MAX_OUTPUT_LINES {
        let _ = writeln!(
            out,
            "  … {} more lines (--json prints every line)",
            record.output.len() - MAX_OUTPUT_LINES
        );
    }
}

/// At most this many labels or results of an order are listed; the rest are counted.
const MAX_ORDER_ITEMS: usize = 20;

/// The first [`MAX_ORDER_ITEMS`] of `items`, then how many there are in all.
fn shorten<T: std::fmt::Display>(items: impl ExactSizeIterator<Item = T>, sep: &str) -> String {
    let total = items.len();
    shorten_of(items, total, sep)
}

/// The first [`MAX_ORDER_ITEMS`] of `items`, then `total` if there are more.
fn shorten_of<T: std::fmt::Display>(
    items: impl Iterator<Item = T>,
    total: usize,
    sep: &str,
) -> String {
    let shown: Vec<String> = items.take(MAX_ORDER_ITEMS).map(|i| i.to_string()).collect();
    let mut text = shown.join(sep);
    if total > shown.len() {
        let _ = write!(text, "{sep}… ({total} in all)");
    }
    text
}

fn orders(out: &mut String, record: &RunRecord) {
    if record.tasks.is_empty() {
        return;
    }
    // A task known only by its number (a traced task that never started) has no label.
    fn shown(label: Label<'_>) -> Label<'_> {
        if label.is_empty() {
            Label::Text("·")
        } else {
            label
        }
    }
    out.push_str("\nOrder\n");
    let input = shorten(record.input_labels().map(shown), " ");
    let _ = writeln!(out, "  input:      {input}");
    let completion = shorten(record.completion_labels().map(shown), " ");
    let _ = writeln!(out, "  completion: {completion}");
    if let Some(results) = &record.results {
        let total = record.results_total.max(results.len());
        let shown = shorten_of(results.iter().map(|r| record.result_text(r)), total, ", ");
        let _ = writeln!(out, "  results:    [{shown}]");
    }
    if !record.lost.is_empty() {
        let lost: Vec<String> = record
            .lost
            .iter()
            .map(|&t| record.tasks.label(t).to_string())
            .collect();
        let _ = writeln!(
            out,
            "  lost:       {} (their worker died before finishing them)",
            lost.join(" ")
        );
    }
}

fn checkpoints(out: &mut String, record: &RunRecord, lesson: &Lesson) {
    let lines: Vec<String> = lesson
        .checkpoints
        .iter()
        .filter_map(|c| {
            let observed = c.observe.and_then(|what| observe(record, what))?;
            Some(format!("  {} → this run: {observed}", c.question))
        })
        .collect();
    if !lines.is_empty() {
        out.push_str("\nCheckpoints, as this run answered them\n");
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// The distribution of outcomes over repeated runs: each distinct outcome with its count,
/// most frequent first.
pub(crate) fn distribution(outcomes: &[String]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for outcome in outcomes {
        match counts.iter_mut().find(|(o, _)| o == outcome) {
            Some((_, n)) => *n += 1,
            None => counts.push((outcome.clone(), 1)),
        }
    }
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let total = outcomes.len().max(1);
    let mut out = format!(
        "Print orders over {} runs (most frequent first)\n",
        outcomes.len()
    );
    for (outcome, n) in counts {
        let bar = "#".repeat((n * 40).div_ceil(total));
        let _ = writeln!(out, "  {n:>5} × {:<24} {bar}", visible_line(&outcome));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::pool_sleep_events;

    #[test]
    fn report_shows_workers_timeline_output_and_orders() {
        let record = RunRecord::from_events(pool_sleep_events());
        let text = render(&record, None);
        assert!(
            text.contains(
                "parent PID 100 · 2 cores available · speed ×10 (declared durations divided by it)"
            ),
            "{text}"
        );
        assert!(
            text.contains("Stage 1: a pool of 2, chunksize 1: 4 task messages, took 603.0 ms"),
            "{text}"
        );
        assert!(text.contains("  completion: B C A D"), "{text}");
        assert!(text.contains("[101]          A waiting 5 s"), "{text}");
        let lane1 = text.lines().find(|l| l.starts_with("  w1 ")).unwrap();
        assert!(
            lane1.contains("|BBBBBBBBBBBBBBBBBBBBCCCCCCCCCDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD |"),
            "{lane1}"
        );
        let lane0 = text.lines().find(|l| l.starts_with("  w0 ")).unwrap();
        assert!(
            lane0.contains("|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA           |"),
            "{lane0}"
        );
    }

    #[test]
    fn a_trace_reports_its_processes_parents_lifetimes_and_exits() {
        use crate::event::Event;
        let spawned = |t_ms, worker, pid, ppid| Event::Spawned {
            t_ms,
            worker,
            pid,
            ppid,
            stage: 0,
            tid: None,
            spawn_us: 0.0,
            pinned: None,
            adopted: false,
        };
        let exited = |t_ms, worker, pid, code, signal| Event::Exited {
            t_ms,
            worker,
            pid,
            code,
            signal,
        };
        let pool_call = |t_ms, api: &str, tasks, chunksize| Event::PoolCall {
            t_ms,
            worker: 0,
            pid: 11,
            api: api.into(),
            tasks,
            chunksize,
            workers: Some(2),
        };
        let events = vec![
            Event::RunStarted {
                t_ms: 0.0,
                lesson: crate::trace::LESSON.into(),
                source: crate::event::RunSource::Trace,
                parent_pid: 10,
                cores: 2,
                workers: 1,
                speed: 20.0,
                stages: 1,
                version: "0.1.0".into(),
            },
            Event::StageStarted {
                t_ms: 0.0,
                stage: 0,
                name: "python3 prog.py".into(),
                kind: StageKind::Processes,
                workers: 1,
                chunksize: None,
                tasks: 0,
                sweep_workers: None,
                sweep_part: None,
            },
            spawned(1.0, 0, 11, 10),
            spawned(6.5, 1, 12, 11),
            spawned(7.0, 2, 13, 11),
            exited(30.0, 1, 12, None, None),
            pool_call(40.0, "Pool.apply_async", Some(1), None),
            pool_call(41.0, "Pool.apply_async", Some(1), None),
            pool_call(42.0, "Pool.map", Some(10), Some(3)),
            pool_call(43.0, "Pool.apply_async", Some(1), None),
            exited(1200.0, 2, 13, None, Some(15)),
            exited(1250.0, 0, 11, Some(0), None),
            Event::StageFinished {
                t_ms: 1250.0,
                stage: 0,
                wall_ms: 1250.0,
            },
        ];
        let text = render(&RunRecord::from_events(events), None);
        assert!(
            text.starts_with("proclab trace python3 prog.py\n"),
            "{text}"
        );
        assert!(
            text.contains("proclab PID 10 · 2 cores available · Python's time.sleep divided by 20"),
            "{text}"
        );
        assert!(text.contains("Processes (3 seen, 1.25 s in all"), "{text}");
        let row = |pid: &str| text.lines().find(|l| l.contains(pid)).unwrap().to_string();
        assert!(row(" 12 ").contains("6.5 ms → 30.0 ms"), "{text}");
        assert!(
            row(" 12 ").ends_with("ended (its parent reaped it)"),
            "{text}"
        );
        assert!(row(" 13 ").contains("killed by SIGTERM (15)"), "{text}");
        assert!(row(" 11 ").ends_with("exit code 0"), "{text}");
        // Consecutive calls alike are one row.
        let calls: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Pool and executor calls"))
            .skip(2)
            .take(3)
            .collect();
        assert_eq!(
            calls,
            [
                "  11       Pool.apply_async × 2       1        -          2",
                "  11       Pool.map                   10       3          2",
                "  11       Pool.apply_async           1        -          2",
            ],
            "{text}"
        );
        assert!(
            !text.contains("Stage 1"),
            "no lesson stages in a trace:\n{text}"
        );
    }

    #[test]
    fn distribution_counts_and_sorts() {
        let outcomes: Vec<String> = ["3 2 1 7", "3 2 1 7", "2 3 1 7"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = distribution(&outcomes);
        assert!(text.starts_with("Print orders over 3 runs"));
        let first = text.lines().nth(1).unwrap();
        assert!(first.contains("2 × 3 2 1 7"), "{first}");
    }
}
