//! Where each worker was over time: its core (from `task_started`, `cpu` and `task_finished`
//! events) and its kernel state (from `state` events). The timeline colours bars by it and the
//! cores panel draws each core's history from it.

use crate::event::Event;

/// A change in one worker's placement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Change {
    /// When it was seen.
    pub(crate) t_ms: f64,
    /// The core it was on, if known.
    pub(crate) core: Option<u32>,
    /// Its kernel state letter, if known.
    pub(crate) state: Option<char>,
}

/// Every worker's placement history, built one event at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    /// Per worker slot, its changes in time order.
    pub(crate) workers: Vec<Vec<Change>>,
}

impl Placement {
    /// An empty history.
    pub(crate) fn new() -> Placement {
        Placement::default()
    }

    fn slot(&mut self, worker: usize) -> &mut Vec<Change> {
        if self.workers.len() <= worker {
            self.workers.resize(worker + 1, Vec::new());
        }
        &mut self.workers[worker]
    }

    fn record(&mut self, worker: usize, t_ms: f64, core: Option<u32>, state: Option<char>) {
        let changes = self.slot(worker);
        let last = changes.last().copied();
        let core = core.or(last.and_then(|c| c.core));
        let state = state.or(last.and_then(|c| c.state));
        if last.is_some_and(|c| c.core == core && c.state == state) {
            return;
        }
        changes.push(Change { t_ms, core, state });
    }

    /// Takes one event into account.
    pub(crate) fn push(&mut self, event: &Event) {
        match event {
            Event::TaskStarted {
                t_ms, worker, cpu, ..
            } => {
                self.record(*worker, *t_ms, *cpu, None);
            }
            Event::TaskFinished {
                t_ms, worker, cpu, ..
            } => {
                self.record(*worker, *t_ms, *cpu, None);
            }
            Event::Cpu {
                t_ms, worker, cpu, ..
            } => self.record(*worker, *t_ms, Some(*cpu), None),
            Event::State {
                t_ms,
                worker,
                state,
                ..
            } => self.record(*worker, *t_ms, None, state.chars().next()),
            Event::Exited { t_ms, worker, .. } => {
                self.record(*worker, *t_ms, None, Some('X'));
            }
            _ => {}
        }
    }

    /// The last change of `worker` at or before `t_ms`.
    pub(crate) fn at(&self, worker: usize, t_ms: f64) -> Option<Change> {
        let changes = self.workers.get(worker)?;
        let after = changes.partition_point(|c| c.t_ms <= t_ms);
        after.checked_sub(1).map(|i| changes[i])
    }

    /// The core `worker` was on (or last ran on) at `t_ms`.
    pub(crate) fn core_at(&self, worker: usize, t_ms: f64) -> Option<u32> {
        self.at(worker, t_ms).and_then(|c| c.core)
    }

    /// Whether `worker` was running on its core at `t_ms`: its sampled state was `R`.
    pub(crate) fn running_at(&self, worker: usize, t_ms: f64) -> bool {
        self.at(worker, t_ms).is_some_and(|c| c.state == Some('R'))
    }

    /// The latest known change of `worker`.
    pub(crate) fn now(&self, worker: usize) -> Option<Change> {
        self.workers
            .get(worker)
            .and_then(|changes| changes.last().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(t_ms: f64, worker: usize, cpu: u32) -> Event {
        Event::Cpu {
            t_ms,
            worker,
            pid: 100 + worker as u32,
            cpu,
        }
    }

    fn state(t_ms: f64, worker: usize, state: &str) -> Event {
        Event::State {
            t_ms,
            worker,
            pid: 100 + worker as u32,
            state: state.into(),
            ppid: 1,
        }
    }

    #[test]
    fn follows_cores_and_states_over_time() {
        let mut placement = Placement::new();
        for event in [
            state(1.0, 1, "R"),
            cpu(1.0, 1, 0),
            cpu(5.0, 1, 1),
            state(7.0, 1, "S"),
            cpu(8.0, 1, 1),
        ] {
            placement.push(&event);
        }
        assert_eq!(placement.core_at(1, 0.5), None);
        assert_eq!(placement.core_at(1, 2.0), Some(0));
        assert_eq!(placement.core_at(1, 6.0), Some(1));
        assert!(placement.running_at(1, 6.0));
        assert!(!placement.running_at(1, 7.5));
        assert_eq!(
            placement.workers[1].len(),
            4,
            "a repeated core adds no change"
        );
        assert_eq!(placement.core_at(0, 6.0), None);
    }
}
