//! The order the run's processes are shown in. A lesson's workers in slot order; a trace's
//! processes that ran tasks or printed first, then the others (a shell, pyenv's helpers), which
//! the timeline folds into a count instead of drawing empty lanes.

use std::collections::BTreeSet;

use crate::event::RunSource;
use crate::record::RunRecord;

/// Worker slots in the order they are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lanes {
    /// Every slot: the processes panel's rows.
    pub rows: Vec<usize>,
    /// How many of `rows`, from the first, the timeline draws; the rest are folded into a count.
    pub drawn: usize,
}

impl Lanes {
    /// The order for `record`.
    pub fn of(record: &RunRecord) -> Lanes {
        let slots = record.workers.len();
        if record.source != RunSource::Trace {
            return Lanes {
                rows: (0..slots).collect(),
                drawn: slots,
            };
        }
        let mut busy: BTreeSet<usize> = record.tasks.iter().filter_map(|t| t.worker).collect();
        busy.extend(record.output.iter().filter_map(|line| line.worker));
        busy.retain(|&slot| slot < slots);
        let rest = (0..slots).filter(|slot| !busy.contains(slot));
        let drawn = if busy.is_empty() { slots } else { busy.len() };
        Lanes {
            rows: busy.iter().copied().chain(rest).collect(),
            drawn,
        }
    }

    /// The slots the timeline draws.
    pub fn drawn(&self) -> &[usize] {
        &self.rows[..self.drawn]
    }

    /// How many processes the timeline folds away.
    pub fn folded(&self) -> usize {
        self.rows.len() - self.drawn
    }

    /// Where `slot` is among `rows`.
    pub fn position(&self, slot: usize) -> Option<usize> {
        self.rows.iter().position(|&s| s == slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Stream};

    fn spawned(worker: usize, pid: u32) -> Event {
        Event::Spawned {
            t_ms: 0.0,
            worker,
            pid,
            ppid: 1,
            stage: 0,
            tid: None,
            spawn_us: 0.0,
            pinned: None,
            adopted: false,
        }
    }

    #[test]
    fn a_trace_shows_the_processes_that_printed_first_and_folds_the_others() {
        let mut record = RunRecord::new();
        record.source = RunSource::Trace;
        for (slot, pid) in [(0, 10), (1, 11), (2, 12), (3, 13)] {
            record.push(spawned(slot, pid));
        }
        record.push(Event::Output {
            t_ms: 1.0,
            worker: Some(2),
            pid: 12,
            stream: Stream::Stdout,
            text: "hello".into(),
        });
        let lanes = Lanes::of(&record);
        assert_eq!(lanes.rows, [2, 0, 1, 3]);
        assert_eq!(lanes.drawn(), [2]);
        assert_eq!(lanes.folded(), 3);
        assert_eq!(lanes.position(0), Some(1));
        record.source = RunSource::Lesson;
        assert_eq!(Lanes::of(&record).rows, [0, 1, 2, 3]);
    }
}
