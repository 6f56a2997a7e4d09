//! The tasks of a run, by index in input order: who ran each, when, on which core, and whether
//! it was lost, updated by `task_started`, `task_finished` and `task_lost` events.
//!
//! A run may hold a million tasks, so each is a fixed 24-byte [`Slot`]: times as `f32`
//! milliseconds (a start to within 1 part in 16 million of the run's length, a duration to
//! within 1 part in 16 million of itself), the worker and core as small integers, and a label
//! that is either the number it spells (`"4711"`, the common case of a range of items) or an
//! index into a table of the distinct texts.

use std::ops::Deref;

use indexmap::IndexSet;

use crate::event::Event;

/// Marks a [`Slot::label`] that is a number, not an index into [`Tasks::texts`].
const NUMBER_LABEL: u32 = 1 << 31;
/// A [`Slot::label`] for a task with no label yet.
const NO_LABEL: u32 = u32::MAX;
/// A [`Slot::worker`] for a task no worker has taken.
const NO_WORKER: u32 = u32::MAX;
/// A [`Slot::cpu_start`] for a task whose core is unknown.
const NO_CPU: u16 = u16::MAX;

/// One task, compact: `NaN` times and the `NO_*` values stand for "not known".
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    /// When it started, or, if it finished without a known start, when it finished.
    start_ms: f32,
    /// How long it took (`NaN` until it finished).
    took_ms: f32,
    /// CPU time it used, in ms.
    cpu_ms: f32,
    worker: u32,
    label: u32,
    cpu_start: u16,
    /// Whether `start_ms` is a start (not an end standing in for one).
    started: bool,
    lost: bool,
}

impl Slot {
    const EMPTY: Slot = Slot {
        start_ms: f32::NAN,
        took_ms: f32::NAN,
        cpu_ms: f32::NAN,
        worker: NO_WORKER,
        label: NO_LABEL,
        cpu_start: NO_CPU,
        started: false,
        lost: false,
    };
}

/// The tasks of a run, by index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tasks {
    slots: Vec<Slot>,
    /// The distinct labels that are not numbers, in the order first seen.
    texts: IndexSet<Box<str>>,
}

/// What the run knows about one task (a view of its compact slot).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskInfo<'a> {
    /// The table it is in, for its label.
    tasks: &'a Tasks,
    /// Index in input order.
    pub index: usize,
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

/// A task's label: text from the table, or a number spelled out in place (no allocation).
/// Reads as a `&str`.
#[derive(Debug, Clone, Copy)]
pub enum Label<'a> {
    /// A label that is not a plain number.
    Text(&'a str),
    /// The decimal digits of a number, and how many there are.
    Number([u8; 10], u8),
}

impl<'a> TaskInfo<'a> {
    /// Its display name (empty for a traced task known only by its number).
    pub fn label(&self) -> Label<'a> {
        self.tasks.label(self.index)
    }
}

impl Deref for Label<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Label::Text(text) => text,
            // Only ASCII digits are ever written here.
            Label::Number(digits, len) => {
                std::str::from_utf8(&digits[..usize::from(*len)]).unwrap_or_default()
            }
        }
    }
}

impl PartialEq for Label<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self)
    }
}

impl Label<'_> {
    /// The label of number `n` (below 2³¹).
    fn number(mut n: u32) -> Label<'static> {
        let mut digits = [0u8; 10];
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits[..len].reverse();
        Label::Number(digits, len as u8)
    }
}

/// The number `label` spells, if it is one written the plain way (`"0"`, `"4711"`; not
/// `"007"`, `"+1"` or `"-3"`) and fits a label slot.
fn as_number(label: &str) -> Option<u32> {
    let plain = !label.is_empty()
        && label.bytes().all(|b| b.is_ascii_digit())
        && (label == "0" || !label.starts_with('0'));
    let n: u32 = label.parse().ok().filter(|_| plain)?;
    (n < NUMBER_LABEL).then_some(n)
}

impl Tasks {
    /// How many tasks the run has numbered so far.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no task is known yet.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Task `index`, if known.
    pub fn get(&self, index: usize) -> Option<TaskInfo<'_>> {
        Some(self.view(index, self.slots.get(index)?))
    }

    /// Every task, in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = TaskInfo<'_>> + '_ {
        self.slots
            .iter()
            .enumerate()
            .map(|(index, slot)| self.view(index, slot))
    }

    fn view(&self, index: usize, slot: &Slot) -> TaskInfo<'_> {
        let known = |ms: f32| (!ms.is_nan()).then_some(f64::from(ms));
        let (start_ms, end_ms) = match (known(slot.start_ms), known(slot.took_ms)) {
            (Some(start), took) if slot.started => (Some(start), took.map(|took| start + took)),
            (end, _) => (None, end),
        };
        TaskInfo {
            tasks: self,
            index,
            worker: (slot.worker != NO_WORKER).then_some(slot.worker as usize),
            start_ms,
            end_ms,
            cpu_start: (slot.cpu_start != NO_CPU).then_some(u32::from(slot.cpu_start)),
            cpu_ms: known(slot.cpu_ms),
            lost: slot.lost,
        }
    }

    /// The label of task `index` (empty if it has none or is not known).
    pub fn label(&self, index: usize) -> Label<'_> {
        let label = self.slots.get(index).map_or(NO_LABEL, |slot| slot.label);
        match label {
            NO_LABEL => Label::Text(""),
            n if n & NUMBER_LABEL != 0 => Label::number(n & !NUMBER_LABEL),
            text => Label::Text(self.texts.get_index(text as usize).map_or("", |t| t)),
        }
    }

    /// Makes room for `more` tasks (a stage's), so a large stage does not grow the table step
    /// by step.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.slots.reserve_exact(more);
    }

    /// The slot of task `index` (tasks before it are made too), labelled `label` if it had
    /// no label.
    fn slot(&mut self, index: usize, label: &str) -> &mut Slot {
        if self.slots.len() <= index {
            self.slots.resize(index + 1, Slot::EMPTY);
        }
        if self.slots[index].label == NO_LABEL && !label.is_empty() {
            self.slots[index].label = match as_number(label) {
                Some(n) => n | NUMBER_LABEL,
                None => self.texts.insert_full(label.into()).0 as u32,
            };
        }
        &mut self.slots[index]
    }
}

/// Milliseconds as a slot keeps them.
fn compact(ms: f64) -> f32 {
    ms as f32
}

/// A core number as a slot keeps it (cores past the compact range count as unknown).
fn compact_cpu(cpu: Option<u32>) -> u16 {
    cpu.and_then(|cpu| u16::try_from(cpu).ok())
        .filter(|&cpu| cpu != NO_CPU)
        .unwrap_or(NO_CPU)
}

/// A worker slot as a task slot keeps it.
fn compact_worker(worker: usize) -> u32 {
    u32::try_from(worker).unwrap_or(NO_WORKER)
}

/// `task_started`.
pub(crate) fn started(tasks: &mut Tasks, event: &Event) {
    if let Event::TaskStarted {
        t_ms,
        task,
        ref label,
        worker,
        cpu,
        ..
    } = *event
    {
        let slot = tasks.slot(task, label);
        let end = (!slot.started && !slot.start_ms.is_nan()).then_some(slot.start_ms);
        slot.worker = compact_worker(worker);
        slot.start_ms = compact(t_ms);
        slot.started = true;
        slot.cpu_start = compact_cpu(cpu);
        // It finished before its start was told (a trace can learn them in either order).
        if let Some(end) = end {
            slot.took_ms = end - slot.start_ms;
        }
    }
}

/// `task_finished`.
pub(crate) fn finished(tasks: &mut Tasks, event: &Event) {
    if let Event::TaskFinished {
        t_ms,
        task,
        ref label,
        worker,
        cpu_ms,
        ..
    } = *event
    {
        let slot = tasks.slot(task, label);
        slot.worker = compact_worker(worker);
        slot.cpu_ms = compact(cpu_ms);
        if slot.started {
            slot.took_ms = compact(t_ms - f64::from(slot.start_ms));
        } else {
            slot.start_ms = compact(t_ms);
            slot.took_ms = 0.0;
        }
    }
}

/// `task_lost`: its worker died with it.
pub(crate) fn lost(tasks: &mut Tasks, event: &Event) {
    if let Event::TaskLost {
        task,
        ref label,
        worker,
        ..
    } = *event
    {
        let slot = tasks.slot(task, label);
        slot.worker = compact_worker(worker);
        slot.lost = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(task: usize, label: &str, t_ms: f64) -> Event {
        Event::TaskStarted {
            t_ms,
            task,
            label: label.into(),
            worker: 1,
            pid: 10,
            cpu: Some(3),
        }
    }

    fn finished(task: usize, label: &str, t_ms: f64) -> Event {
        Event::TaskFinished {
            t_ms,
            task,
            label: label.into(),
            worker: 1,
            pid: 10,
            cpu: Some(3),
            result: serde_json::Value::Null,
            cpu_ms: 0.25,
        }
    }

    #[test]
    fn a_slot_is_small() {
        assert_eq!(std::mem::size_of::<Slot>(), 24);
    }

    #[test]
    fn numbers_are_kept_as_numbers_and_other_labels_once() {
        let mut tasks = Tasks::default();
        for (index, label) in ["4711", "0", "007", "A", "A", "-3", "2147483648", ""]
            .iter()
            .enumerate()
        {
            super::started(&mut tasks, &started(index, label, 1.0));
        }
        let labels: Vec<String> = tasks.iter().map(|t| t.label().to_string()).collect();
        assert_eq!(
            labels,
            ["4711", "0", "007", "A", "A", "-3", "2147483648", ""]
        );
        assert!(matches!(tasks.label(0), Label::Number(..)));
        assert_eq!(tasks.texts.len(), 4, "{:?}", tasks.texts);
        assert_eq!(tasks.label(0), Label::Text("4711"));
        assert_eq!(&*tasks.label(99), "");
    }

    #[test]
    fn times_survive_in_either_order() {
        let mut tasks = Tasks::default();
        super::started(&mut tasks, &started(0, "A", 1000.5));
        super::finished(&mut tasks, &finished(0, "A", 1000.504));
        super::finished(&mut tasks, &finished(1, "B", 7.0));
        let a = tasks.get(0).unwrap();
        let took = a.end_ms.unwrap() - a.start_ms.unwrap();
        assert!((took - 0.004).abs() < 1e-9, "{took}");
        assert_eq!(a.start_ms, Some(1000.5));
        assert_eq!(
            (a.worker, a.cpu_start, a.cpu_ms),
            (Some(1), Some(3), Some(0.25))
        );
        let b = tasks.get(1).unwrap();
        assert_eq!((b.start_ms, b.end_ms), (None, Some(7.0)));
        super::started(&mut tasks, &started(1, "B", 5.0));
        let b = tasks.get(1).unwrap();
        assert_eq!((b.start_ms, b.end_ms), (Some(5.0), Some(7.0)));
    }
}
