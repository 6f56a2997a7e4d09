//! How a chunk's items wait in the queue: packed into a few bytes each, because a stage of
//! 100,000 one-item chunks can wait whole while the workers of the next stages run. Numbers are
//! written 7 bits a byte (LEB128), times as nanoseconds after the run's start or after the item
//! before, so an instant item that returns a number takes about 8 bytes and its chunk about 19.

use super::ItemRun;
use crate::event::Event;
use crate::protocol::report::TaskValue;

const NULL: u8 = 0;
const INT: u8 = 1;
const FLOAT: u8 = 2;
const TEXT: u8 = 3;

/// Appends `run` to `out`. Times before the run's start count as its start, as the run's clock
/// reads them.
pub(super) fn write(run: &ItemRun, out: &mut Vec<u8>) {
    let since_start = |t_ns: u64| t_ns.saturating_sub(run.clock.start_ns());
    put(out, u64::from(run.pid));
    put(out, run.worker as u64);
    put(out, run.first as u64);
    let mut at_ns = since_start(run.start_ns);
    put(out, at_ns);
    put_cpu(out, run.start_cpu);
    out.push(u8::from(run.start_announced));
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    for item in &run.items {
        let end_ns = since_start(item.end_ns).max(at_ns);
        put(out, end_ns - at_ns);
        at_ns = end_ns;
        put_cpu(out, item.cpu);
        put(out, item.cpu_ns);
        match &item.value {
            TaskValue::Null => out.push(NULL),
            TaskValue::Int(n) => {
                out.push(INT);
                // Zigzag: small negative numbers take few bytes too.
                put(out, ((n << 1) ^ (n >> 63)) as u64);
            }
            TaskValue::Float(x) => {
                out.push(FLOAT);
                out.extend_from_slice(&x.to_le_bytes());
            }
            TaskValue::Text(text) => {
                out.push(TEXT);
                put(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    let len = (out.len() - len_at - 4) as u32;
    out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
}

/// A run as [`write`] packed it: its fields, and its items still packed.
pub(super) struct Packed<'a> {
    pid: u32,
    worker: usize,
    first: usize,
    start_ns: u64,
    start_cpu: Option<u32>,
    start_announced: bool,
    items: &'a [u8],
}

impl<'a> Packed<'a> {
    /// The run [`write`] wrote at the front of `bytes`, and the bytes after it.
    pub(super) fn read(bytes: &'a [u8]) -> Option<(Packed<'a>, &'a [u8])> {
        let mut fields = Fields(bytes);
        let pid = u32::try_from(fields.var()?).ok()?;
        let worker = usize::try_from(fields.var()?).ok()?;
        let first = usize::try_from(fields.var()?).ok()?;
        let start_ns = fields.var()?;
        let start_cpu = fields.cpu()?;
        let start_announced = fields.byte()? == 1;
        let len = u32::from_le_bytes(fields.take()?) as usize;
        let (items, rest) = fields.0.split_at_checked(len)?;
        let run = Packed {
            pid,
            worker,
            first,
            start_ns,
            start_cpu,
            start_announced,
            items,
        };
        Some((run, rest))
    }

    /// Its `task_started` and `task_finished` events, in order; `label` names a task. Each task
    /// began where the one before it ended.
    pub(super) fn events(
        self,
        label: &'a dyn Fn(usize) -> String,
    ) -> impl Iterator<Item = Event> + 'a {
        let mut items = Fields(self.items);
        let (mut task, mut at_ns, mut cpu) = (self.first, self.start_ns, self.start_cpu);
        let mut announced = self.start_announced;
        let ms = |t_ns: u64| t_ns as f64 / 1e6;
        std::iter::from_fn(move || {
            let end_ns = at_ns.checked_add(items.var()?)?;
            let end_cpu = items.cpu()?;
            let cpu_ns = items.var()?;
            let result = items.value()?.to_json();
            let label = label(task);
            let started = (!announced).then(|| Event::TaskStarted {
                t_ms: ms(at_ns),
                task,
                label: label.clone(),
                worker: self.worker,
                pid: self.pid,
                cpu,
            });
            let finished = Event::TaskFinished {
                t_ms: ms(end_ns),
                task,
                label,
                worker: self.worker,
                pid: self.pid,
                cpu: end_cpu,
                result,
                cpu_ms: cpu_ns as f64 / 1e6,
            };
            (task, at_ns, cpu, announced) = (task + 1, end_ns, end_cpu, false);
            Some(started.into_iter().chain(std::iter::once(finished)))
        })
        .flatten()
    }
}

/// Appends `n`, 7 bits a byte, the lowest first; each byte but the last has its top bit set.
fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends a core: 0 for none, else the core plus one.
fn put_cpu(out: &mut Vec<u8>, cpu: Option<u32>) {
    put(out, cpu.map_or(0, |cpu| u64::from(cpu) + 1));
}

/// Reads packed fields from the front of the bytes.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N)?;
        self.0 = rest;
        head.try_into().ok()
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take::<1>()?[0])
    }

    fn var(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn cpu(&mut self) -> Option<Option<u32>> {
        let code = self.var()?;
        Some(code.checked_sub(1).and_then(|cpu| u32::try_from(cpu).ok()))
    }

    fn value(&mut self) -> Option<TaskValue> {
        Some(match self.byte()? {
            NULL => TaskValue::Null,
            INT => {
                let n = self.var()?;
                TaskValue::Int((n >> 1) as i64 ^ -((n & 1) as i64))
            }
            FLOAT => TaskValue::Float(f64::from_le_bytes(self.take()?)),
            TEXT => {
                let len = usize::try_from(self.var()?).ok()?;
                let (text, rest) = self.0.split_at_checked(len)?;
                self.0 = rest;
                TaskValue::Text(Box::new(String::from_utf8_lossy(text).into_owned()))
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::clock::RunClock;
    use crate::protocol::report::ItemRecord;

    #[test]
    fn every_field_reads_back_exactly_from_a_few_bytes() {
        let item = |end_ns, cpu, cpu_ns, value| ItemRecord {
            end_ns,
            cpu,
            cpu_ns,
            value,
        };
        let run = ItemRun {
            clock: RunClock::starting_at(5_000_000),
            pid: 4_194_303,
            worker: 300,
            first: 199_999,
            // Before the run's start: its clock reads it as 0.
            start_ns: 4_000_000,
            start_cpu: Some(70_000),
            start_announced: false,
            items: vec![
                item(5_000_100, None, 0, TaskValue::Int(i64::MIN)),
                item(5_000_200, Some(0), u64::MAX, TaskValue::Int(i64::MAX)),
                item(9_000_000_000, Some(3), 7, TaskValue::Int(-1)),
                item(9_000_000_001, Some(1), 0, TaskValue::Float(-0.5)),
                item(9_000_000_002, Some(1), 0, TaskValue::text("é\u{1b}[2J")),
                item(9_000_000_003, Some(1), 0, TaskValue::Null),
            ],
        };
        let mut bytes = Vec::new();
        write(&run, &mut bytes);
        bytes.extend_from_slice(b"next");
        let (packed, rest) = Packed::read(&bytes).unwrap();
        assert_eq!(rest, b"next");
        let events: Vec<Event> = packed.events(&|task| format!("t{task}")).collect();
        assert_eq!(events.len(), 12);
        let clock = run.clock;
        let mut at_ns = run.start_ns;
        let mut cpu = run.start_cpu;
        for (offset, (pair, item)) in events.chunks(2).zip(&run.items).enumerate() {
            let task = run.first + offset;
            let label = format!("t{task}");
            assert_eq!(
                pair[0],
                Event::TaskStarted {
                    t_ms: clock.ms(at_ns),
                    task,
                    label: label.clone(),
                    worker: 300,
                    pid: 4_194_303,
                    cpu,
                }
            );
            assert_eq!(
                pair[1],
                Event::TaskFinished {
                    t_ms: clock.ms(item.end_ns),
                    task,
                    label,
                    worker: 300,
                    pid: 4_194_303,
                    cpu: item.cpu,
                    result: item.value.to_json(),
                    cpu_ms: item.cpu_ns as f64 / 1e6,
                }
            );
            (at_ns, cpu) = (item.end_ns, item.cpu);
        }

        // An instant item that returns a number, alone in its chunk, as chunksize 1 sends them.
        let one = ItemRun {
            start_cpu: Some(1),
            items: vec![item(5_000_300, Some(1), 0, TaskValue::Int(152_399_025))],
            ..run
        };
        let mut bytes = Vec::new();
        write(&one, &mut bytes);
        assert!(bytes.len() <= 28, "{} bytes", bytes.len());
    }

    #[test]
    fn bytes_that_end_early_are_no_run() {
        let run = ItemRun {
            clock: RunClock::starting_at(0),
            pid: 1,
            worker: 0,
            first: 0,
            start_ns: 10,
            start_cpu: None,
            start_announced: true,
            items: vec![ItemRecord {
                end_ns: 20,
                cpu: None,
                cpu_ns: 0,
                value: TaskValue::text("abc"),
            }],
        };
        let mut bytes = Vec::new();
        write(&run, &mut bytes);
        for cut in 0..bytes.len() {
            let complete = Packed::read(&bytes[..cut])
                .map(|(packed, _)| packed.events(&|_| String::new()).count());
            assert!(complete.is_none_or(|events| events == 0), "cut at {cut}");
        }
    }
}
