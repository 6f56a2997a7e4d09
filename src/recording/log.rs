//! A recording's events held compactly: the two kinds a run has most of, `task_started` and
//! `task_finished`, as a few fixed fields and their label and result, every other event as its
//! JSON line. A million-task recording holds about 50 bytes an event instead of the 150 an
//! [`Event`] takes, and each event reads back exactly as it was.

use serde_json::Value;

use crate::event::Event;

/// How an entry is encoded (its first byte).
const JSON: u8 = 0;
const TASK_STARTED: u8 = 1;
const TASK_FINISHED: u8 = 2;

/// A core that is not known (`cpu: null`).
const NO_CPU: u32 = u32::MAX;

/// Events in order, each encoded in one byte buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventLog {
    bytes: Vec<u8>,
    /// Where each event's entry starts in `bytes`.
    starts: Vec<u64>,
}

impl EventLog {
    /// Adds `event` at the end.
    pub fn push(&mut self, event: &Event) {
        self.starts.push(self.bytes.len() as u64);
        let out = &mut self.bytes;
        match event {
            Event::TaskStarted {
                t_ms,
                task,
                label,
                worker,
                pid,
                cpu,
            } if compact_ids(*task, *worker) => {
                out.push(TASK_STARTED);
                out.extend_from_slice(&t_ms.to_le_bytes());
                task_ids(out, *task, *worker, *pid, *cpu);
                text(out, label.as_bytes());
            }
            Event::TaskFinished {
                t_ms,
                task,
                label,
                worker,
                pid,
                cpu,
                result,
                cpu_ms,
            } if compact_ids(*task, *worker) => {
                out.push(TASK_FINISHED);
                out.extend_from_slice(&t_ms.to_le_bytes());
                task_ids(out, *task, *worker, *pid, *cpu);
                out.extend_from_slice(&cpu_ms.to_le_bytes());
                text(out, label.as_bytes());
                text(out, result.to_string().as_bytes());
            }
            _ => {
                out.push(JSON);
                out.extend_from_slice(&event.t_ms().to_le_bytes());
                text(out, event.to_json().as_bytes());
            }
        }
    }

    /// Adds `event` at the end if the log then holds at most `budget` bytes
    /// ([`EventLog::held_bytes`]); `false`, and nothing added, if it would hold more.
    pub fn push_within(&mut self, event: &Event, budget: usize) -> bool {
        let (bytes, starts) = (self.bytes.len(), self.starts.len());
        self.push(event);
        if self.held_bytes() <= budget {
            return true;
        }
        self.bytes.truncate(bytes);
        self.starts.truncate(starts);
        false
    }

    /// The bytes its events take: their entries and where each starts.
    pub fn held_bytes(&self) -> usize {
        self.bytes.len() + self.starts.len() * std::mem::size_of::<u64>()
    }

    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether it holds no event.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Gives back the room grown for events that never came.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.starts.shrink_to_fit();
    }

    /// The time of event `index`, without decoding the rest of it.
    pub fn t_ms(&self, index: usize) -> Option<f64> {
        let start = *self.starts.get(index)? as usize;
        Some(Reader::new(&self.bytes[start + 1..]).f64())
    }

    /// Event `index`, as it was pushed.
    pub fn get(&self, index: usize) -> Option<Event> {
        let start = *self.starts.get(index)? as usize;
        let mut entry = Reader::new(&self.bytes[start + 1..]);
        let t_ms = entry.f64();
        Some(match self.bytes[start] {
            TASK_STARTED => {
                let (task, worker, pid, cpu) = entry.task_ids();
                Event::TaskStarted {
                    t_ms,
                    task,
                    label: entry.text().to_string(),
                    worker,
                    pid,
                    cpu,
                }
            }
            TASK_FINISHED => {
                let (task, worker, pid, cpu) = entry.task_ids();
                let cpu_ms = entry.f64();
                let label = entry.text().to_string();
                Event::TaskFinished {
                    t_ms,
                    task,
                    label,
                    worker,
                    pid,
                    cpu,
                    result: serde_json::from_str(entry.text()).unwrap_or(Value::Null),
                    cpu_ms,
                }
            }
            // Only events that serialized are stored, so they parse back.
            _ => serde_json::from_str(entry.text()).ok()?,
        })
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// How many events come at or before `t_ms` (events are in time order within each process,
    /// nearly so across processes: the first that comes after it ends the count).
    pub fn count_until(&self, t_ms: f64) -> usize {
        (0..self.len())
            .find(|&index| self.t_ms(index).is_some_and(|t| t > t_ms))
            .unwrap_or(self.len())
    }
}

impl FromIterator<Event> for EventLog {
    fn from_iter<I: IntoIterator<Item = Event>>(events: I) -> EventLog {
        let mut log = EventLog::default();
        for event in events {
            log.push(&event);
        }
        log
    }
}

/// Whether a task event's indices fit the compact entry.
fn compact_ids(task: usize, worker: usize) -> bool {
    u32::try_from(task).is_ok() && u32::try_from(worker).is_ok()
}

fn task_ids(out: &mut Vec<u8>, task: usize, worker: usize, pid: u32, cpu: Option<u32>) {
    for n in [task as u32, worker as u32, pid, cpu.unwrap_or(NO_CPU)] {
        out.extend_from_slice(&n.to_le_bytes());
    }
}

fn text(out: &mut Vec<u8>, text: &[u8]) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text);
}

/// Reads the fields of one entry back, in the order they were written.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        head.try_into().unwrap_or([0; N])
    }

    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take())
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    fn task_ids(&mut self) -> (usize, usize, u32, Option<u32>) {
        let (task, worker, pid, cpu) = (self.u32(), self.u32(), self.u32(), self.u32());
        let cpu = (cpu != NO_CPU).then_some(cpu);
        (task as usize, worker as usize, pid, cpu)
    }

    fn text(&mut self) -> &'a str {
        let len = self.u32() as usize;
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        // Only `&str`s are written.
        std::str::from_utf8(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_exactly_and_task_events_are_small() {
        let events: Vec<Event> = include_str!("../../tests/fixtures/crashes-and-exit-codes.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let log: EventLog = events.iter().cloned().collect();
        assert_eq!(log.iter().collect::<Vec<_>>(), events);
        for (index, event) in events.iter().enumerate() {
            assert_eq!(log.t_ms(index), Some(event.t_ms()));
        }
        let finished = Event::TaskFinished {
            t_ms: 1234.5678,
            task: 199_999,
            label: "199999".into(),
            worker: 7,
            pid: 4_194_303,
            cpu: None,
            result: serde_json::json!(39_999_600_001u64),
            cpu_ms: 0.001_5,
        };
        let mut log = EventLog::default();
        log.push(&finished);
        assert_eq!(log.get(0), Some(finished));
        assert!(log.bytes.len() <= 64, "{} bytes", log.bytes.len());
        assert_eq!(log.count_until(1234.0), 0);
        assert_eq!(log.count_until(2000.0), 1);
    }

    #[test]
    fn an_event_past_the_budget_is_not_added() {
        let notice = |text: &str| Event::Notice {
            t_ms: 1.0,
            text: text.into(),
        };
        let mut log = EventLog::default();
        assert!(log.push_within(&notice("first"), 100));
        let held = log.held_bytes();
        assert!(held <= 100, "{held}");
        assert!(!log.push_within(&notice(&"x".repeat(100)), 100));
        assert_eq!((log.len(), log.held_bytes()), (1, held));
        assert!(log.push_within(&notice("second"), 2 * held + 10));
        assert_eq!(
            log.iter().collect::<Vec<_>>(),
            [notice("first"), notice("second")]
        );
    }
}
