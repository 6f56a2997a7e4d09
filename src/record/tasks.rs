//! The tasks of a run, by index in input order: who ran each, when, on which core, and whether
//! it was lost, updated by `task_started`, `task_finished` and `task_lost` events.

use crate::event::Event;

/// What the run knows about one task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// Index in input order.
    pub index: usize,
    /// Its display name (empty for a traced task known only by its number).
    pub label: String,
    /// The worker slot that ran it.
    pub worker: Option<usize>,
    /// When it started, in run milliseconds.
    pub start_ms: Option<f64>,
    /// When it finished.
    pub end_ms: Option<f64>,
    /// The core it started on.
    pub cpu_start: Option<u32>,
    /// CPU time it used, in milliseconds.
    pub cpu_ms: Option<f64>,
    /// Its worker died before it finished.
    pub lost: bool,
}

/// The task at `index` (tasks before it are made too), labelled `label` if it had no label.
fn task_mut<'a>(tasks: &'a mut Vec<TaskInfo>, index: usize, label: &str) -> &'a mut TaskInfo {
    while tasks.len() <= index {
        tasks.push(TaskInfo {
            index: tasks.len(),
            label: String::new(),
            worker: None,
            start_ms: None,
            end_ms: None,
            cpu_start: None,
            cpu_ms: None,
            lost: false,
        });
    }
    let task = &mut tasks[index];
    if task.label.is_empty() {
        task.label = label.to_string();
    }
    task
}

/// `task_started`.
pub(crate) fn started(tasks: &mut Vec<TaskInfo>, event: &Event) {
    if let Event::TaskStarted {
        t_ms,
        task,
        ref label,
        worker,
        cpu,
        ..
    } = *event
    {
        let info = task_mut(tasks, task, label);
        info.worker = Some(worker);
        info.start_ms = Some(t_ms);
        info.cpu_start = cpu;
    }
}

/// `task_finished`.
pub(crate) fn finished(tasks: &mut Vec<TaskInfo>, event: &Event) {
    if let Event::TaskFinished {
        t_ms,
        task,
        ref label,
        worker,
        cpu_ms,
        ..
    } = *event
    {
        let info = task_mut(tasks, task, label);
        info.worker = Some(worker);
        info.end_ms = Some(t_ms);
        info.cpu_ms = Some(cpu_ms);
    }
}

/// `task_lost`: its worker died with it.
pub(crate) fn lost(tasks: &mut Vec<TaskInfo>, event: &Event) {
    if let Event::TaskLost {
        task,
        ref label,
        worker,
        ..
    } = *event
    {
        let info = task_mut(tasks, task, label);
        info.worker = Some(worker);
        info.lost = true;
    }
}
