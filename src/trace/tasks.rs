//! Numbering the work items of a traced program, and reading workers' reports on them.
//!
//! A task's number is its place in the order of the program's calls: the caller says `queued`
//! (call, first item, count) for all the items of a call of known size when it makes the call,
//! and for those of a call of unknown size (a generator) as it queues them; items take the next
//! free numbers then. A worker reports finished items in batches ([`Items`]);
//! [`TaskTable::report`] turns each into the task's start and end.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::command::cut_owned;
use super::message::{Items, Kind, Message};
use crate::limits;

/// A run of consecutive items of one call that got consecutive task numbers.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// The first item's index within its call.
    item: u64,
    /// Its task number.
    task: usize,
    /// How many items.
    len: u64,
}

impl Segment {
    /// Whether `next` takes up where this one ends, in items and in task numbers.
    fn continued_by(&self, next: &Segment) -> bool {
        next.item == self.item + self.len && next.task == self.task + self.len as usize
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Queued,
    Running,
    Done,
}

/// What a worker's report says happened to one task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskNews {
    /// It started at `t_ns` (`CLOCK_MONOTONIC`).
    Started {
        /// The task number.
        task: usize,
        /// Its label.
        label: String,
        /// When.
        t_ns: u64,
        /// It had not finished when reported.
        running: bool,
    },
    /// It ended at `t_ns` with `result` (a Python repr, `raised …`, or null).
    Finished {
        /// The task number.
        task: usize,
        /// Its label.
        label: String,
        /// When.
        t_ns: u64,
        /// What it returned.
        result: Value,
        /// CPU time its worker's thread used for it (its share of the report's, by duration).
        cpu_ns: u64,
    },
}

/// The tasks of a trace so far.
#[derive(Debug, Default)]
pub struct TaskTable {
    /// Each call's numbered items.
    segments: HashMap<String, Vec<Segment>>,
    /// Items reported for calls never queued (their caller's report was lost): numbered when
    /// first seen.
    unqueued: HashMap<(String, u64), usize>,
    stages: Vec<Stage>,
    /// Result of each task, once finished (`None` also when its repr failed).
    results: Vec<Option<Box<str>>>,
    /// (when it finished, task number) of each finished task, in the order reported.
    completion: Vec<(u64, usize)>,
    /// Items not followed because [`limits::MAX_TASKS`] were reached.
    pub skipped: u64,
}

/// Longest result or error text kept (the instrumentation sends at most 200 characters).
const MAX_RESULT_CHARS: usize = 256;
/// Longest task label kept (the instrumentation sends at most 24 characters).
const MAX_LABEL_CHARS: usize = 64;

impl TaskTable {
    fn room(&self) -> u64 {
        limits::MAX_TASKS.saturating_sub(self.stages.len() as u64)
    }

    /// Whether no more tasks can be numbered.
    pub fn is_full(&self) -> bool {
        self.room() == 0
    }

    fn number(&mut self, count: u64) -> usize {
        let first = self.stages.len();
        let len = first + count as usize;
        self.stages.resize(len, Stage::Queued);
        self.results.resize(len, None);
        first
    }

    /// Items `first .. first + count` of `call` are being queued; their first `followed` will
    /// be reported (the rest run without detail, past the limit in the caller's count).
    pub fn queued(&mut self, call: &str, first: u64, count: u64, followed: u64) {
        let followed = followed.min(count);
        let numbered = followed.min(self.room());
        self.skipped += count - numbered;
        if numbered == 0 {
            return;
        }
        let task = self.number(numbered);
        let segment = Segment {
            item: first,
            task,
            len: numbered,
        };
        match self.segments.get_mut(call) {
            // A call queued item by item (imap over a generator) takes consecutive numbers
            // while nothing else is queued in between: one segment, however many items.
            Some(segments) => match segments.last_mut() {
                Some(last) if last.continued_by(&segment) => last.len += segment.len,
                // Kept sorted by item (they come in order: this only guards the search).
                _ => {
                    let at = segments.partition_point(|s| s.item < segment.item);
                    segments.insert(at, segment);
                }
            },
            None => {
                self.segments.insert(call.to_string(), vec![segment]);
            }
        }
    }

    /// Whether a report among `messages` may be ahead of its caller's `queued` (the two come
    /// over different connections): then read again before numbering its items.
    pub fn awaits_queued_in(&self, messages: &[Message]) -> bool {
        if self.is_full() {
            return false;
        }
        let queued: HashSet<&str> = messages
            .iter()
            .filter_map(|m| match &m.kind {
                Kind::Queued { call, .. } => Some(call.as_str()),
                _ => None,
            })
            .collect();
        messages.iter().any(|m| {
            matches!(&m.kind, Kind::Items(items)
                if !queued.contains(items.call.as_str())
                    && !self.segments.contains_key(&items.call))
        })
    }

    /// The task number of item `item` of `call`; `None` if it has none (past the limit). An
    /// item of a call never queued is numbered now (once), while there is room.
    fn task_of(&mut self, call: &str, item: u64) -> Option<usize> {
        if let Some(segments) = self.segments.get(call) {
            // Its segments are sorted by item.
            let after = segments.partition_point(|s| s.item <= item);
            return after
                .checked_sub(1)
                .map(|at| segments[at])
                .filter(|s| item < s.item + s.len)
                .map(|s| s.task + (item - s.item) as usize);
        }
        let key = (call.to_string(), item);
        if let Some(&task) = self.unqueued.get(&key) {
            return Some(task);
        }
        if self.is_full() {
            return None;
        }
        let task = self.number(1);
        self.unqueued.insert(key, task);
        Some(task)
    }

    /// What a worker's report says about each of its items, in time order. An item without a
    /// number is left out: it was counted in `skipped` when queued (past the limit), or, if its
    /// caller's `queued` never came, there was no room left when it was first seen.
    pub fn report(&mut self, items: Items) -> Vec<TaskNews> {
        let finished = items.finished();
        let durations: Vec<u64> = items.times.windows(2).map(|w| w[1] - w[0]).collect();
        let total: u64 = durations.iter().sum();
        let cpu = items.cpu.unwrap_or(0);
        let mut results = items.results.into_iter();
        let mut error = items.error;
        let mut news = Vec::with_capacity(2 * items.labels.len());
        for (at, label) in items.labels.into_iter().enumerate() {
            // Taken in order, whether or not the item has a number.
            let result = match results.next() {
                Some(repr) => repr,
                None => error.take().map(|e| format!("raised {e}")),
            };
            let item = items.first.saturating_add(at as u64);
            let Some(task) = self.task_of(&items.call, item) else {
                continue;
            };
            let label = cut_owned(label, MAX_LABEL_CHARS);
            let running = at >= finished;
            if self.stages[task] == Stage::Queued {
                self.stages[task] = Stage::Running;
                news.push(TaskNews::Started {
                    task,
                    label: label.clone(),
                    t_ns: items.times[at],
                    running,
                });
            }
            if running || self.stages[task] == Stage::Done {
                continue;
            }
            let text = result.map(|t| cut_owned(t, MAX_RESULT_CHARS));
            self.stages[task] = Stage::Done;
            self.results[task] = text.as_deref().map(Box::from);
            self.completion.push((items.times[at + 1], task));
            let cpu_ns = match total {
                0 => cpu / finished as u64,
                _ => (u128::from(cpu) * u128::from(durations[at]) / u128::from(total)) as u64,
            };
            news.push(TaskNews::Finished {
                task,
                label,
                t_ns: items.times[at + 1],
                result: text.map_or(Value::Null, Value::String),
                cpu_ns,
            });
        }
        news
    }

    /// Task numbers in the order they finished: by the time each finished (workers report
    /// in batches, so reports may come in another order), then as reported.
    pub fn completion(&self) -> Vec<usize> {
        let mut order = self.completion.clone();
        order.sort_by_key(|&(t_ns, _)| t_ns);
        order.into_iter().map(|(_, task)| task).collect()
    }

    /// Every task's result in task order (`null` for one that never finished).
    pub fn results(&self) -> Vec<Value> {
        self.results
            .iter()
            .map(|r| {
                r.as_deref()
                    .map_or(Value::Null, |r| Value::String(r.into()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(call: &str, first: u64, labels: &[&str], results: &[&str], times: &[u64]) -> Items {
        Items {
            call: call.into(),
            first,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            results: results.iter().map(|r| Some(r.to_string())).collect(),
            error: None,
            times: times.to_vec(),
            cpu: Some(30),
        }
    }

    fn tasks(news: &[TaskNews]) -> Vec<(char, usize, u64)> {
        news.iter()
            .map(|n| match n {
                TaskNews::Started { task, t_ns, .. } => ('S', *task, *t_ns),
                TaskNews::Finished { task, t_ns, .. } => ('F', *task, *t_ns),
            })
            .collect()
    }

    #[test]
    fn tasks_are_numbered_in_the_order_their_items_are_queued() {
        let mut table = TaskTable::default();
        table.queued("map", 0, 2, 2);
        table.queued("apply", 0, 1, 1);
        table.queued("map", 2, 2, 2);
        // The map's second chunk, then the apply, then the map's first chunk: reported in any
        // order, each item keeps its number.
        let news = table.report(items("map", 2, &["c", "d"], &["3", "4"], &[10, 20, 30]));
        assert_eq!(
            tasks(&news),
            [('S', 3, 10), ('F', 3, 20), ('S', 4, 20), ('F', 4, 30)]
        );
        let news = table.report(items("apply", 0, &["x"], &[], &[15]));
        assert_eq!(tasks(&news), [('S', 2, 15)]);
        let news = table.report(items("apply", 0, &["x"], &["9"], &[15, 40]));
        assert_eq!(tasks(&news), [('F', 2, 40)], "started once");
        table.report(items("map", 0, &["a", "b"], &["1", "2"], &[5, 6, 7]));
        assert_eq!(
            table.completion(),
            [0, 1, 3, 4, 2],
            "by the time each finished"
        );
        assert_eq!(table.results()[2], Value::from("9"));
    }

    #[test]
    fn a_call_queued_item_by_item_keeps_one_segment_and_finds_each_item() {
        let mut table = TaskTable::default();
        for item in 0..1000 {
            table.queued("gen", item, 1, 1);
        }
        assert_eq!(
            table.segments["gen"].len(),
            1,
            "consecutive items, one segment"
        );
        // Another call's items in between: the generator's next items are a second segment.
        table.queued("map", 0, 3, 3);
        table.queued("gen", 1000, 2, 2);
        assert_eq!(table.segments["gen"].len(), 2);
        for (item, task) in [(0, 0), (999, 999), (1000, 1003), (1001, 1004)] {
            assert_eq!(table.task_of("gen", item), Some(task), "item {item}");
        }
        assert_eq!(table.task_of("map", 2), Some(1002));
        assert_eq!(
            table.task_of("gen", 1002),
            None,
            "not queued (past the limit)"
        );
    }

    #[test]
    fn cpu_time_is_shared_by_duration_and_errors_read_raised() {
        let mut table = TaskTable::default();
        table.queued("c", 0, 2, 2);
        let mut report = items("c", 0, &["a", "b"], &["1"], &[0, 10, 40]);
        report.error = Some("ValueError: no".into());
        let news = table.report(report);
        let TaskNews::Finished { cpu_ns, .. } = &news[1] else {
            panic!("{news:?}")
        };
        assert_eq!(*cpu_ns, 7);
        let TaskNews::Finished { result, cpu_ns, .. } = &news[3] else {
            panic!("{news:?}")
        };
        assert_eq!(
            (result, *cpu_ns),
            (&Value::from("raised ValueError: no"), 22)
        );
    }

    #[test]
    fn items_past_the_limit_are_counted_once_and_never_numbered() {
        let mut table = TaskTable::default();
        let limit = limits::MAX_TASKS;
        // The caller followed only the first `limit` of limit + 50 items.
        table.queued("big", 0, limit + 50, limit);
        assert_eq!(table.skipped, 50);
        // Another caller's call finds no room: its items are skipped when queued …
        table.queued("other", 0, 7, 7);
        assert_eq!(table.skipped, 57);
        let news = table.report(items("other", 0, &["a"], &["1"], &[1, 2]));
        assert!(news.is_empty());
        assert_eq!(table.skipped, 57, "… and not counted again when reported");
        assert!(table.is_full());
    }

    #[test]
    fn a_report_read_before_its_callers_queued_is_noticed() {
        let parse = |line: &str| Message::parse(line).unwrap();
        let report = parse(
            r#"{"k":"items","pid":2,"t":2.0,"call":"1.1","first":0,"labels":["a"],"results":[],"times":[5]}"#,
        );
        let queued = parse(
            r#"{"k":"queued","pid":1,"t":1.0,"call":"1.1","first":0,"count":1,"followed":1}"#,
        );
        let mut table = TaskTable::default();
        assert!(table.awaits_queued_in(std::slice::from_ref(&report)));
        assert!(!table.awaits_queued_in(&[queued, report.clone()]));
        table.queued("1.1", 0, 1, 1);
        assert!(!table.awaits_queued_in(&[report]));
    }

    #[test]
    fn items_of_a_call_never_queued_are_numbered_when_first_seen() {
        let mut table = TaskTable::default();
        let news = table.report(items("lost", 4, &["e"], &[], &[1]));
        assert_eq!(tasks(&news), [('S', 0, 1)]);
        let news = table.report(items("lost", 4, &["e"], &["5"], &[1, 2]));
        assert_eq!(tasks(&news), [('F', 0, 2)]);
    }
}
