//! A planned stage's tasks, described instead of listed: a lesson's 100,000 `items` are a range,
//! `each` is one task and a count, so a plan costs the same for ten tasks or a million. Each
//! [`Task`] is built when it is asked for.

use std::borrow::Cow;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::task::{NumberFn, Task, TaskFn, fill_static};

/// The tasks of one planned stage, with their run-wide indices. A worker is sent this
/// description (serde), not the tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTasks {
    /// The run-wide index of the stage's first task.
    first_index: usize,
    source: Source,
}

/// The task a stage runs several times (`each`): copy `i` is labelled `{prefix}{i}`, and its
/// `before` and `after` lines are filled for it when it is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CopyTemplate {
    /// The label before the copy's number.
    pub(crate) prefix: String,
    /// The function as it runs (durations divided by the speed).
    pub(crate) function: TaskFn,
    /// The function as the lesson declares it: what `{secs}` and `{n}` in the texts show.
    pub declared: TaskFn,
    /// The line printed when a copy starts, placeholders not yet filled.
    pub before: Option<String>,
    /// The line printed when a copy ends, placeholders not yet filled.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Source {
    /// Tasks a lesson lists one by one (the lesson file's size bounds them), texts filled in.
    Listed(Vec<Task>),
    /// `count` copies of one task.
    Copies {
        template: CopyTemplate,
        count: usize,
    },
    /// `function` over `from..=to`, each labelled with its number; `after` is a template.
    Numbers {
        function: NumberFn,
        from: i64,
        to: i64,
        after: Option<String>,
    },
}

impl StageTasks {
    /// Tasks listed one by one; their `index` fields are set from `first_index` on.
    pub(crate) fn listed(first_index: usize, mut tasks: Vec<Task>) -> StageTasks {
        for (offset, task) in tasks.iter_mut().enumerate() {
            task.index = first_index + offset;
        }
        StageTasks {
            first_index,
            source: Source::Listed(tasks),
        }
    }

    /// `count` copies of `template`.
    pub(crate) fn copies(first_index: usize, template: CopyTemplate, count: usize) -> StageTasks {
        StageTasks {
            first_index,
            source: Source::Copies { template, count },
        }
    }

    /// `function` over every integer of `from..=to` (none when `from > to`), each task
    /// labelled with its number and printing the `after` template when it ends.
    pub fn numbers(
        first_index: usize,
        function: NumberFn,
        from: i64,
        to: i64,
        after: Option<String>,
    ) -> StageTasks {
        StageTasks {
            first_index,
            source: Source::Numbers {
                function,
                from,
                to,
                after,
            },
        }
    }

    /// How many tasks.
    pub fn len(&self) -> usize {
        match &self.source {
            Source::Listed(tasks) => tasks.len(),
            Source::Copies { count, .. } => *count,
            Source::Numbers { from, to, .. } if from <= to => (to.abs_diff(*from) + 1) as usize,
            Source::Numbers { .. } => 0,
        }
    }

    /// Whether the stage has no task.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The run-wide indices of the tasks, in input order.
    pub fn indices(&self) -> Range<usize> {
        self.first_index..self.first_index + self.len()
    }

    /// Whether the task with run-wide index `index` is one of these.
    pub fn contains(&self, index: usize) -> bool {
        self.indices().contains(&index)
    }

    /// The task with run-wide index `index`, built now.
    pub fn task(&self, index: usize) -> Option<Task> {
        let offset = self.offset(index)?;
        Some(match &self.source {
            Source::Listed(tasks) => tasks[offset].clone(),
            Source::Copies { template, .. } => {
                let label = format!("{}{offset}", template.prefix);
                let fill = |text: &String| fill_static(text, &label, &template.declared);
                Task {
                    index,
                    before: template.before.as_ref().map(fill),
                    after: template.after.as_ref().map(fill),
                    function: template.function.clone(),
                    label,
                }
            }
            Source::Numbers {
                function,
                from,
                after,
                ..
            } => {
                let n = from + offset as i64;
                let function = function.task_fn(n);
                let label = n.to_string();
                Task {
                    index,
                    after: after.as_ref().map(|t| fill_static(t, &label, &function)),
                    before: None,
                    function,
                    label,
                }
            }
        })
    }

    /// The label of the task with run-wide index `index`, without building the rest of it.
    pub fn label(&self, index: usize) -> Option<Cow<'_, str>> {
        let offset = self.offset(index)?;
        Some(match &self.source {
            Source::Listed(tasks) => Cow::Borrowed(tasks[offset].label.as_str()),
            Source::Copies { template, .. } => Cow::Owned(format!("{}{offset}", template.prefix)),
            Source::Numbers { from, .. } => Cow::Owned((from + offset as i64).to_string()),
        })
    }

    /// The function of the task with run-wide index `index`, without its label and texts.
    pub fn function(&self, index: usize) -> Option<TaskFn> {
        let offset = self.offset(index)?;
        Some(match &self.source {
            Source::Listed(tasks) => tasks[offset].function.clone(),
            Source::Copies { template, .. } => template.function.clone(),
            Source::Numbers { function, from, .. } => function.task_fn(from + offset as i64),
        })
    }

    /// Every task, in input order, each built as it is reached.
    pub fn iter(&self) -> impl Iterator<Item = Task> + '_ {
        self.range(self.indices())
    }

    /// The tasks whose run-wide indices are in `indices` (those of this stage), in order: a
    /// chunk of a pool, for example.
    pub fn range(&self, indices: Range<usize>) -> impl Iterator<Item = Task> + '_ {
        let own = self.indices();
        (indices.start.max(own.start)..indices.end.min(own.end)).filter_map(|i| self.task(i))
    }

    /// The same tasks as [`StageTasks::range`], as a worker runs them: a number with no text
    /// to print has no label (nothing a worker does with it needs one), so running a range of
    /// numbers allocates nothing per item.
    pub fn worker_range(&self, indices: Range<usize>) -> impl Iterator<Item = Task> + '_ {
        let own = self.indices();
        let indices = indices.start.max(own.start)..indices.end.min(own.end);
        indices.filter_map(|index| match &self.source {
            Source::Numbers {
                function,
                from,
                after: None,
                ..
            } => Some(Task {
                index,
                label: String::new(),
                function: function.task_fn(from + self.offset(index)? as i64),
                before: None,
                after: None,
            }),
            _ => self.task(index),
        })
    }

    /// Every task's function, in input order, without labels and texts.
    pub fn functions(&self) -> impl Iterator<Item = TaskFn> + '_ {
        self.indices().filter_map(|i| self.function(i))
    }

    fn offset(&self, index: usize) -> Option<usize> {
        self.contains(index).then(|| index - self.first_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleep(label: &str, secs: f64) -> Task {
        Task {
            index: 0,
            label: label.into(),
            function: TaskFn::Sleep { secs },
            before: Some(format!("{label} waits")),
            after: None,
        }
    }

    #[test]
    fn listed_tasks_get_run_wide_indices() {
        let tasks = StageTasks::listed(4, vec![sleep("A", 1.0), sleep("B", 2.0)]);
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks.indices(), 4..6);
        assert_eq!(tasks.task(3), None);
        assert_eq!(tasks.task(5).unwrap().label, "B");
        assert_eq!(tasks.task(5).unwrap().index, 5);
        assert_eq!(tasks.label(4).as_deref(), Some("A"));
        let labels: Vec<String> = tasks.iter().map(|t| t.label).collect();
        assert_eq!(labels, ["A", "B"]);
    }

    #[test]
    fn copies_fill_their_templates_with_their_own_labels() {
        let template = CopyTemplate {
            prefix: "W".into(),
            function: TaskFn::Spin { secs: 0.05 },
            declared: TaskFn::Spin { secs: 0.5 },
            before: Some("{label} spins {secs} s".into()),
            after: Some("{label} done in {pid}".into()),
        };
        let tasks = StageTasks::copies(10, template, 3);
        let second = tasks.task(11).unwrap();
        assert_eq!(second.label, "W1");
        assert_eq!(second.function, TaskFn::Spin { secs: 0.05 });
        assert_eq!(second.before.as_deref(), Some("W1 spins 0.5 s"));
        assert_eq!(second.after.as_deref(), Some("W1 done in {pid}"));
        assert_eq!(tasks.label(12).as_deref(), Some("W2"));
        assert_eq!(tasks.functions().count(), 3);
    }

    #[test]
    fn numbers_are_labelled_by_their_number() {
        let tasks = StageTasks::numbers(
            1,
            NumberFn::Cube,
            -1,
            1_000_000,
            Some("{n} -> {result}".into()),
        );
        assert_eq!(tasks.len(), 1_000_002);
        let task = tasks.task(3).unwrap();
        assert_eq!(task.label, "1");
        assert_eq!(task.function, TaskFn::Cube { n: 1 });
        assert_eq!(task.after.as_deref(), Some("1 -> {result}"));
        let chunk: Vec<String> = tasks.range(0..4).map(|t| t.label).collect();
        assert_eq!(chunk, ["-1", "0", "1"]);
        assert!(StageTasks::numbers(0, NumberFn::Square, 2, 1, None).is_empty());
    }
}
