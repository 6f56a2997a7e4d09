//! What one traced run of a program did, gathered from its events as they come: how the main
//! process ended and when, every process it started (and which of them are multiprocessing's
//! own helpers), what each printed, which process ran which task. Bounded whatever the program
//! does: at most [`MAX_LINES`] lines and [`MAX_LINE_BYTES`] bytes of them are kept (the rest are
//! counted), and the trace itself follows at most about a thousand processes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::check::StartMethod;
use crate::event::{Event, Stream};

/// Printed lines one run keeps.
pub const MAX_LINES: usize = 20_000;
/// Pool and executor calls one run keeps.
pub const MAX_CALLS: usize = 10_000;
/// Bytes of printed lines one run keeps.
pub const MAX_LINE_BYTES: usize = 2 * 1024 * 1024;

/// How the main process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// It exited with this code.
    Exited(i32),
    /// A signal killed it (not proclab's).
    Signalled(i32),
    /// It was still running at the time limit, and proclab killed everything.
    TimedOut,
    /// It could not be started (the message says why).
    NotStarted(String),
}

/// multiprocessing's own processes, which the program did not ask for by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    /// The resource tracker (spawn and forkserver, shared memory).
    ResourceTracker,
    /// The forkserver's server process.
    ForkServer,
}

impl Helper {
    /// What a learner calls it.
    pub fn name(self) -> &'static str {
        match self {
            Helper::ResourceTracker => "multiprocessing's resource tracker",
            Helper::ForkServer => "the forkserver process",
        }
    }

    /// The helper a command line (NUL-separated, as `/proc/<pid>/cmdline`) starts, if any.
    pub fn of_command_line(cmdline: &[u8]) -> Option<Helper> {
        let text = String::from_utf8_lossy(cmdline);
        if text.contains("from multiprocessing.resource_tracker import main")
            || text.contains("from multiprocessing.semaphore_tracker import main")
        {
            Some(Helper::ResourceTracker)
        } else if text.contains("from multiprocessing.forkserver import main") {
            Some(Helper::ForkServer)
        } else {
            None
        }
    }
}

/// One process the main process started (or its children did).
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessFacts {
    /// Its PID.
    pub pid: u32,
    /// Its parent's PID when it was found.
    pub ppid: u32,
    /// multiprocessing's own helper, if it is one.
    pub helper: Option<Helper>,
    /// When it was found (ms since the run started).
    pub seen_ms: f64,
    /// When it ended, and how: `(t_ms, code, signal)`.
    pub exit: Option<(f64, Option<i32>, Option<i32>)>,
    /// When it was first seen a zombie (ended, not yet reaped).
    pub zombie_ms: Option<f64>,
    /// When it was gone from `/proc` (reaped by its parent, or by proclab).
    pub joined_ms: Option<f64>,
}

/// One printed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// When its process wrote it.
    pub t_ms: f64,
    /// Who wrote it.
    pub pid: u32,
    /// Which stream.
    pub stream: Stream,
    /// The text, without its newline.
    pub text: String,
}

/// One pool or executor task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    /// Its label.
    pub label: String,
    /// The process that ran it.
    pub pid: u32,
    /// When it started (ms since the run started).
    pub started_ms: Option<f64>,
    /// When it finished, if it did.
    pub finished_ms: Option<f64>,
}

impl TaskFacts {
    /// It finished.
    pub fn finished(&self) -> bool {
        self.finished_ms.is_some()
    }
}

/// One call of a pool or executor API.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolCallFacts {
    /// `Pool.map`, `Executor.submit`…
    pub api: String,
    /// Its items, when known.
    pub tasks: Option<u64>,
    /// The chunksize in force, when the API has one.
    pub chunksize: Option<u64>,
}

impl PoolCallFacts {
    /// The messages it sent to the workers: its items in chunks (`None`: not known).
    pub fn chunks(&self) -> Option<u64> {
        let tasks = self.tasks?;
        Some(tasks.div_ceil(self.chunksize.unwrap_or(1).max(1)))
    }
}

/// Everything one run showed that a check may ask about.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    /// The start method the run was under (`None`: Python's default).
    pub method: Option<StartMethod>,
    /// How the main process ended.
    pub end: RunEnd,
    /// The cores the program could use.
    pub cores: u32,
    /// The program's pool and executor calls (the first [`MAX_CALLS`]).
    pub pool_calls: Vec<PoolCallFacts>,
    /// The main process's PID.
    pub main_pid: u32,
    /// When the main process ended (ms since the run started).
    pub main_ended_ms: Option<f64>,
    /// From the start of the trace to the end of the main process, ms.
    pub wall_ms: f64,
    /// Every other process, in the order they were found.
    pub processes: Vec<ProcessFacts>,
    /// Printed lines in the order their processes wrote them (up to the caps).
    pub lines: Vec<Line>,
    /// Lines past the caps, counted only.
    pub lines_dropped: u64,
    /// Tasks by index.
    pub tasks: Vec<TaskFacts>,
    /// Task indexes in the order they finished.
    pub completion: Vec<usize>,
    /// Each task's result as the trace shows it (Python's `repr`).
    pub results: Vec<String>,
    /// Tasks whose worker died before finishing them.
    pub lost: Vec<usize>,
    /// proclab's notes about the run (a limit reached…).
    pub notices: Vec<String>,
}

impl RunFacts {
    /// The processes the program started, without multiprocessing's helpers.
    pub fn started(&self) -> impl Iterator<Item = &ProcessFacts> {
        self.processes.iter().filter(|p| p.helper.is_none())
    }

    /// multiprocessing's helpers found.
    pub fn helpers(&self) -> impl Iterator<Item = &ProcessFacts> {
        self.processes.iter().filter(|p| p.helper.is_some())
    }

    /// The last lines the main process wrote to stderr (a traceback's end), at most `n`.
    pub fn main_errors(&self, n: usize) -> Vec<&str> {
        let mine: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| l.pid == self.main_pid && l.stream == Stream::Stderr)
            .map(|l| l.text.as_str())
            .collect();
        mine[mine.len().saturating_sub(n)..].to_vec()
    }
}

/// How often the command lines of processes not yet told apart are read again.
const RECHECK_EVERY: Duration = Duration::from_millis(10);
/// A process whose command line was read as not a helper this long after it was found is
/// settled: multiprocessing's helpers run a new program (`exec`) right after their `fork`.
const SETTLED_AFTER: Duration = Duration::from_millis(40);
/// Most command lines read in one pass.
const MAX_READS_PER_PASS: usize = 64;

/// A process whose command line may still change (found between its `fork` and its `exec`).
#[derive(Debug)]
struct Unsettled {
    index: usize,
    found: Instant,
}

/// Builds [`RunFacts`] one event at a time.
#[derive(Debug)]
pub struct FactsBuilder {
    facts: RunFacts,
    slots: HashMap<usize, usize>,
    line_bytes: usize,
    /// Reads a process's command line (to tell helpers apart); swapped out in tests.
    command_line: fn(u32) -> Option<Vec<u8>>,
    unsettled: Vec<Unsettled>,
    last_recheck: Option<Instant>,
}

fn proc_command_line(pid: u32) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/cmdline")).ok()
}

impl FactsBuilder {
    /// An empty run under `method`.
    pub fn new(method: Option<StartMethod>) -> FactsBuilder {
        FactsBuilder::reading(method, proc_command_line)
    }

    /// An empty run whose processes' command lines come from `command_line`.
    pub fn reading(
        method: Option<StartMethod>,
        command_line: fn(u32) -> Option<Vec<u8>>,
    ) -> FactsBuilder {
        FactsBuilder {
            facts: RunFacts {
                method,
                end: RunEnd::NotStarted("the run did not start".into()),
                cores: 1,
                pool_calls: Vec::new(),
                main_pid: 0,
                main_ended_ms: None,
                wall_ms: 0.0,
                processes: Vec::new(),
                lines: Vec::new(),
                lines_dropped: 0,
                tasks: Vec::new(),
                completion: Vec::new(),
                results: Vec::new(),
                lost: Vec::new(),
                notices: Vec::new(),
            },
            slots: HashMap::new(),
            line_bytes: 0,
            command_line,
            unsettled: Vec::new(),
            last_recheck: None,
        }
    }

    /// Takes in one event.
    pub fn push(&mut self, event: &Event) {
        self.recheck_helpers();
        match event {
            Event::RunStarted { cores, .. } => self.facts.cores = (*cores).max(1),
            Event::PoolCall {
                api,
                tasks,
                chunksize,
                ..
            } if self.facts.pool_calls.len() < MAX_CALLS => {
                self.facts.pool_calls.push(PoolCallFacts {
                    api: api.clone(),
                    tasks: *tasks,
                    chunksize: *chunksize,
                });
            }
            Event::Spawned {
                t_ms,
                worker,
                pid,
                ppid,
                ..
            } => self.spawned(*t_ms, *worker, *pid, *ppid),
            Event::Exited {
                t_ms,
                worker,
                code,
                signal,
                ..
            } => {
                if *worker == 0 {
                    self.facts.main_ended_ms = Some(*t_ms);
                    self.facts.wall_ms = *t_ms;
                    self.facts.end = match (code, signal) {
                        (Some(code), _) => RunEnd::Exited(*code),
                        (None, Some(signal)) => RunEnd::Signalled(*signal),
                        (None, None) => RunEnd::Exited(-1),
                    };
                } else if let Some(p) = self.process(*worker) {
                    p.exit = Some((*t_ms, *code, *signal));
                    let pid = p.pid;
                    self.unsettled
                        .retain(|u| self.facts.processes[u.index].pid != pid);
                }
            }
            Event::State {
                t_ms,
                worker,
                state,
                ..
            } if state == "Z" => {
                if let Some(p) = self.process(*worker) {
                    p.zombie_ms.get_or_insert(*t_ms);
                }
            }
            Event::Joined { t_ms, worker, .. } => {
                if let Some(p) = self.process(*worker) {
                    p.joined_ms.get_or_insert(*t_ms);
                }
            }
            Event::Output {
                t_ms,
                pid,
                stream,
                text,
                ..
            } => self.line(*t_ms, *pid, *stream, text),
            Event::TaskStarted {
                t_ms,
                task,
                label,
                pid,
                ..
            } => self.task(*task, label, *pid, *t_ms, false),
            Event::TaskFinished {
                t_ms,
                task,
                label,
                pid,
                ..
            } => self.task(*task, label, *pid, *t_ms, true),
            Event::Notice { text, .. } if self.facts.notices.len() < 16 => {
                self.facts.notices.push(text.clone());
            }
            Event::RunFinished {
                completion_order,
                results,
                lost,
                ..
            } => {
                self.facts.completion = completion_order.clone();
                self.facts.results = results.iter().map(|r| result_text(&r.to_json())).collect();
                self.facts.lost = lost.clone();
            }
            _ => {}
        }
    }

    fn spawned(&mut self, t_ms: f64, worker: usize, pid: u32, ppid: u32) {
        if worker == 0 {
            self.facts.main_pid = pid;
            self.facts.end = RunEnd::Exited(-1);
            return;
        }
        let index = self.facts.processes.len();
        self.slots.insert(worker, index);
        self.facts.processes.push(ProcessFacts {
            pid,
            ppid,
            helper: None,
            seen_ms: t_ms,
            exit: None,
            zombie_ms: None,
            joined_ms: None,
        });
        self.unsettled.push(Unsettled {
            index,
            found: Instant::now(),
        });
        self.recheck(Instant::now());
    }

    /// Reads again, at most every [`RECHECK_EVERY`], the command lines of processes not yet
    /// told apart.
    fn recheck_helpers(&mut self) {
        let now = Instant::now();
        let due = self
            .last_recheck
            .is_none_or(|last| now.duration_since(last) >= RECHECK_EVERY);
        if due && !self.unsettled.is_empty() {
            self.recheck(now);
        }
    }

    /// A process is a helper when its command line says so, unless its parent is the
    /// forkserver: what the forkserver forks are the program's own processes, which show the
    /// server's command line because they are copies of it.
    fn recheck(&mut self, now: Instant) {
        self.last_recheck = Some(now);
        let mut settled = Vec::new();
        for (at, unsettled) in self.unsettled.iter().enumerate().take(MAX_READS_PER_PASS) {
            let process = &self.facts.processes[unsettled.index];
            let parent_is_server = self
                .facts
                .processes
                .iter()
                .any(|p| p.pid == process.ppid && p.helper == Some(Helper::ForkServer));
            let helper = if parent_is_server {
                None
            } else {
                (self.command_line)(process.pid).and_then(|line| Helper::of_command_line(&line))
            };
            if helper.is_some() || parent_is_server {
                self.facts.processes[unsettled.index].helper = helper;
                settled.push(at);
            } else if now.duration_since(unsettled.found) >= SETTLED_AFTER {
                settled.push(at);
            }
        }
        for at in settled.into_iter().rev() {
            self.unsettled.remove(at);
        }
    }

    fn process(&mut self, worker: usize) -> Option<&mut ProcessFacts> {
        let index = *self.slots.get(&worker)?;
        self.facts.processes.get_mut(index)
    }

    fn line(&mut self, t_ms: f64, pid: u32, stream: Stream, text: &str) {
        let fits =
            self.facts.lines.len() < MAX_LINES && self.line_bytes + text.len() <= MAX_LINE_BYTES;
        if !fits {
            self.facts.lines_dropped += 1;
            return;
        }
        self.line_bytes += text.len();
        self.facts.lines.push(Line {
            t_ms,
            pid,
            stream,
            text: text.to_string(),
        });
    }

    fn task(&mut self, task: usize, label: &str, pid: u32, t_ms: f64, finished: bool) {
        // Task indexes come from the trace, which numbers at most its task limit.
        if task >= crate::limits::MAX_TASKS as usize {
            return;
        }
        if self.facts.tasks.len() <= task {
            self.facts.tasks.resize(
                task + 1,
                TaskFacts {
                    label: String::new(),
                    pid: 0,
                    started_ms: None,
                    finished_ms: None,
                },
            );
        }
        let slot = &mut self.facts.tasks[task];
        slot.label = label.to_string();
        slot.pid = pid;
        if finished {
            slot.finished_ms = Some(t_ms);
        } else {
            slot.started_ms = Some(t_ms);
        }
    }

    /// The run's facts, once it ended as `end` (the time limit overrides what the events say).
    pub fn finish(mut self, timed_out: bool) -> RunFacts {
        if timed_out {
            self.facts.end = RunEnd::TimedOut;
        }
        // Lines in the order their processes wrote them (the trace delivers them per process).
        self.facts.lines.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
        self.facts
    }
}

/// A result as the trace reports it: Python's `repr`, as a string.
fn result_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spawned(worker: usize, pid: u32, ppid: u32) -> Event {
        Event::Spawned {
            t_ms: worker as f64,
            worker,
            pid,
            ppid,
            stage: 0,
            tid: None,
            spawn_us: 0.0,
            pinned: None,
            adopted: false,
        }
    }

    fn output(t_ms: f64, pid: u32, text: &str) -> Event {
        Event::Output {
            t_ms,
            worker: Some(0),
            pid,
            stream: Stream::Stdout,
            text: text.into(),
        }
    }

    fn tracker_at_12(pid: u32) -> Option<Vec<u8>> {
        (pid == 12).then(|| {
            b"python3\0-c\0from multiprocessing.resource_tracker import main;main(5)\0".to_vec()
        })
    }

    #[test]
    fn lines_are_put_in_the_order_they_were_written_and_helpers_are_told_apart() {
        let mut builder = FactsBuilder::reading(None, tracker_at_12);
        builder.push(&spawned(0, 10, 1));
        builder.push(&spawned(1, 11, 10));
        builder.push(&spawned(2, 12, 10));
        builder.push(&output(5.0, 11, "late"));
        builder.push(&output(3.0, 10, "early"));
        builder.push(&Event::Exited {
            t_ms: 9.0,
            worker: 0,
            pid: 10,
            code: Some(0),
            signal: None,
        });
        let facts = builder.finish(false);
        assert_eq!(facts.end, RunEnd::Exited(0));
        assert_eq!(facts.main_pid, 10);
        let texts: Vec<&str> = facts.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["early", "late"]);
        assert_eq!(facts.started().map(|p| p.pid).collect::<Vec<_>>(), [11]);
        assert_eq!(
            facts.helpers().next().unwrap().helper,
            Some(Helper::ResourceTracker)
        );
    }

    fn server_at_20(pid: u32) -> Option<Vec<u8>> {
        // The forkserver (20) and what it forks (21) show the same command line.
        (pid == 20 || pid == 21).then(|| {
            b"python3\0-c\0from multiprocessing.forkserver import main; main(8, 9)\0".to_vec()
        })
    }

    #[test]
    fn what_the_forkserver_forks_is_the_programs_own() {
        let mut builder = FactsBuilder::reading(None, server_at_20);
        builder.push(&spawned(0, 10, 1));
        builder.push(&spawned(1, 20, 10));
        builder.push(&spawned(2, 21, 20));
        let facts = builder.finish(false);
        assert_eq!(facts.started().map(|p| p.pid).collect::<Vec<_>>(), [21]);
        assert_eq!(facts.helpers().map(|p| p.pid).collect::<Vec<_>>(), [20]);
    }

    #[test]
    fn a_flood_is_counted_not_kept_and_a_time_limit_overrides_the_end() {
        let mut builder = FactsBuilder::reading(None, |_| None);
        builder.push(&spawned(0, 10, 1));
        for i in 0..MAX_LINES + 5 {
            builder.push(&output(i as f64, 10, "x"));
        }
        let facts = builder.finish(true);
        assert_eq!(facts.lines.len(), MAX_LINES);
        assert_eq!(facts.lines_dropped, 5);
        assert_eq!(facts.end, RunEnd::TimedOut);
    }
}
