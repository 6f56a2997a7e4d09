//! Numbering the work items of a traced program: each (call, index) the instrumentation reports
//! gets one run-wide task index. A call of known size takes a block of indices when it is made
//! (so its items keep input order); items of a call of unknown size (a loop of `submit`s, `imap`
//! over a generator) take the next free index when first seen.

use std::collections::HashMap;

use serde_json::Value;

use crate::limits;

/// The tasks of a trace so far.
#[derive(Debug, Default)]
pub struct TaskTable {
    /// First index and size of each call of known size.
    blocks: HashMap<String, (usize, u64)>,
    /// Index of every item seen.
    indices: HashMap<(String, u64), usize>,
    /// Label of each task index (empty until it started).
    labels: Vec<String>,
    /// Result of each task index, once finished.
    results: Vec<Option<Value>>,
    /// Task indices in the order they finished.
    completion: Vec<usize>,
    /// Items not numbered because [`limits::MAX_TASKS`] were reached.
    pub over_limit: u64,
}

impl TaskTable {
    /// Notes a call; `n` items if known.
    pub fn call(&mut self, call: &str, n: Option<u64>) {
        let Some(n) = n else { return };
        if self.blocks.contains_key(call) || !self.room_for(n) {
            return;
        }
        let first = self.labels.len();
        self.grow(first + n as usize);
        self.blocks.insert(call.to_string(), (first, n));
    }

    fn room_for(&self, n: u64) -> bool {
        self.labels.len() as u64 + n <= limits::MAX_TASKS
    }

    fn grow(&mut self, len: usize) {
        self.labels.resize(len, String::new());
        self.results.resize(len, None);
    }

    /// The task index of item `index` of `call`, numbering it if new; `None` past the limit.
    pub fn index(&mut self, call: &str, index: u64) -> Option<usize> {
        let key = (call.to_string(), index);
        if let Some(&task) = self.indices.get(&key) {
            return Some(task);
        }
        let task = match self.blocks.get(call) {
            Some(&(first, n)) if index < n => first + index as usize,
            _ if self.room_for(1) => {
                let task = self.labels.len();
                self.grow(task + 1);
                task
            }
            _ => {
                self.over_limit += 1;
                return None;
            }
        };
        self.indices.insert(key, task);
        Some(task)
    }

    /// Records that `task` started with this label.
    pub fn started(&mut self, task: usize, label: &str) {
        if let Some(slot) = self.labels.get_mut(task) {
            *slot = label.to_string();
        }
    }

    /// The label of `task`.
    pub fn label(&self, task: usize) -> &str {
        self.labels.get(task).map_or("", String::as_str)
    }

    /// Records that `task` finished with `result`.
    pub fn finished(&mut self, task: usize, result: Value) {
        if let Some(slot) = self.results.get_mut(task) {
            *slot = Some(result);
            self.completion.push(task);
        }
    }

    /// Task indices in the order they finished.
    pub fn completion(&self) -> &[usize] {
        &self.completion
    }

    /// Every task's result in input order (`null` for one that never finished).
    pub fn results(&self) -> Vec<Value> {
        self.results
            .iter()
            .map(|r| r.clone().unwrap_or(Value::Null))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_of_known_size_keep_input_order_and_batches_number_as_seen() {
        let mut table = TaskTable::default();
        table.call("1.1", Some(3));
        table.call("1.2", None);
        assert_eq!(table.index("1.2", 0), Some(3));
        assert_eq!(table.index("1.1", 2), Some(2));
        assert_eq!(table.index("1.1", 0), Some(0));
        assert_eq!(table.index("1.2", 1), Some(4));
        assert_eq!(table.index("1.2", 0), Some(3), "an item keeps its index");
        // A call nobody announced still gets numbers.
        assert_eq!(table.index("9.9", 0), Some(5));
        table.started(2, "C");
        table.finished(2, Value::from("c"));
        assert_eq!(table.completion(), &[2]);
        assert_eq!(table.label(2), "C");
        assert_eq!(table.results()[2], Value::from("c"));
        assert_eq!(table.results()[0], Value::Null);
    }

    #[test]
    fn stops_numbering_at_the_limit() {
        let mut table = TaskTable::default();
        table.call("huge", Some(limits::MAX_TASKS));
        assert_eq!(table.index("huge", 7), Some(7));
        assert_eq!(table.index("more", 0), None);
        assert_eq!(table.over_limit, 1);
    }
}
