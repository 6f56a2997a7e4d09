//! What a worker reports on fd 3, as binary frames: cheap to write and to read, because a pool
//! may report hundreds of thousands of items. The items of a chunk travel together, in one frame
//! written once the chunk is done, as Python's pool sends one result message per chunk.
//!
//! A frame is its length (`u32`, little-endian, the kind byte included), a kind byte, then its
//! fields, little-endian. A core is a `u16`, [`NO_CPU`] when unknown.

use serde_json::Value;

/// A core that is not known.
pub const NO_CPU: u16 = u16::MAX;
/// Longest frame accepted: more items than a run can have, and no more.
pub const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;
/// Bytes a [`FrameReader`] keeps room for after a frame bigger than that.
const KEPT_CAPACITY: usize = 256 * 1024;
/// Longest text result kept (a label, an error); longer ones are cut.
pub const MAX_TEXT_RESULT_BYTES: usize = 4096;

/// A task's result, compactly.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskValue {
    /// No value (`None` in Python).
    Null,
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text (boxed: most results are numbers).
    Text(Box<String>),
}

impl TaskValue {
    /// Text, cut at [`MAX_TEXT_RESULT_BYTES`] (on a character boundary).
    pub fn text(text: &str) -> TaskValue {
        let mut end = text.len().min(MAX_TEXT_RESULT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        TaskValue::Text(Box::new(text[..end].to_string()))
    }

    /// As JSON.
    pub fn to_json(&self) -> Value {
        match self {
            TaskValue::Null => Value::Null,
            TaskValue::Int(n) => Value::from(*n),
            TaskValue::Float(x) => Value::from(*x),
            TaskValue::Text(text) => Value::String(text.as_ref().clone()),
        }
    }

    /// As a worker prints it in a task's `after` line (`{result}`): text without quotes.
    pub fn shown(&self) -> String {
        match self {
            TaskValue::Text(text) => text.as_ref().clone(),
            other => other.to_json().to_string(),
        }
    }
}

/// One finished item of an [`Report::Items`] frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    /// When it ended (`CLOCK_MONOTONIC` ns): the next item starts there.
    pub end_ns: u64,
    /// The core it ended on.
    pub cpu: Option<u32>,
    /// Its thread's CPU time, ns; 0 for an instant item (square, cube), whose CPU time is far
    /// below what reading the thread's CPU clock costs.
    pub cpu_ns: u64,
    /// Its result.
    pub value: TaskValue,
}

/// A report from a worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The worker is running.
    Hello {
        /// Its core.
        cpu: Option<u32>,
        /// When.
        t_ns: u64,
    },
    /// A thread of a threads command began.
    ThreadStarted {
        /// Its index within the command.
        thread: u32,
        /// Its TID.
        tid: u32,
        /// When.
        t_ns: u64,
        /// Nanoseconds `std::thread::spawn` took until the thread ran.
        spawn_ns: u64,
    },
    /// The worker started a process of its own that will be orphaned: proclab adopts it.
    Adopt {
        /// Its PID.
        pid: u32,
    },
    /// A pool worker took a chunk from the queue.
    Took {
        /// First task index.
        first: u32,
        /// Number of tasks.
        len: u32,
    },
    /// A task that takes time began (an instant one is reported only with its chunk).
    Started {
        /// Task index.
        task: u32,
        /// Core.
        cpu: Option<u32>,
        /// When.
        t_ns: u64,
    },
    /// Consecutive tasks from `first` finished: the first began at `start_ns` on `start_cpu`,
    /// each next one where the one before it ended.
    Items {
        /// Index of the first.
        first: u32,
        /// When the first began.
        start_ns: u64,
        /// The core it began on.
        start_cpu: Option<u32>,
        /// Each, in order.
        items: Vec<ItemRecord>,
    },
}

const HELLO: u8 = b'H';
const THREAD: u8 = b'T';
const ADOPT: u8 = b'O';
const TOOK: u8 = b'C';
const STARTED: u8 = b'S';
const ITEMS: u8 = b'I';

const NULL: u8 = 0;
const INT: u8 = 1;
const FLOAT: u8 = 2;
const TEXT: u8 = 3;

fn cpu_code(cpu: Option<u32>) -> u16 {
    cpu.and_then(|c| u16::try_from(c).ok())
        .filter(|&c| c != NO_CPU)
        .unwrap_or(NO_CPU)
}

fn cpu_of(code: u16) -> Option<u32> {
    (code != NO_CPU).then_some(u32::from(code))
}

/// Builds frames into a buffer the worker writes out at once.
#[derive(Debug, Default)]
pub struct FrameWriter {
    bytes: Vec<u8>,
    /// Where the open [`Report::Items`] frame starts and how many items it has.
    open_items: Option<(usize, u32)>,
}

impl FrameWriter {
    /// Appends a whole frame (an open items frame is closed first).
    pub fn push(&mut self, report: &Report) {
        self.close_items();
        match report {
            Report::Items {
                first,
                start_ns,
                start_cpu,
                items,
            } => {
                self.open_items(*first, *start_ns, *start_cpu);
                for item in items {
                    self.push_item(item);
                }
                self.close_items();
            }
            other => {
                let start = self.begin(kind_of(other));
                self.fields(other);
                self.end(start);
            }
        }
    }

    /// Opens an items frame, to which [`FrameWriter::push_item`] adds items one by one.
    pub fn open_items(&mut self, first: u32, start_ns: u64, start_cpu: Option<u32>) {
        self.close_items();
        let start = self.begin(ITEMS);
        self.bytes.extend_from_slice(&first.to_le_bytes());
        self.bytes.extend_from_slice(&start_ns.to_le_bytes());
        self.bytes
            .extend_from_slice(&cpu_code(start_cpu).to_le_bytes());
        self.bytes.extend_from_slice(&0u32.to_le_bytes());
        self.open_items = Some((start, 0));
    }

    /// Adds an item to the open items frame.
    pub fn push_item(&mut self, item: &ItemRecord) {
        let Some((_, count)) = self.open_items.as_mut() else {
            return;
        };
        *count += 1;
        write_item(&mut self.bytes, item);
    }

    /// Whether an items frame is open.
    pub fn items_open(&self) -> bool {
        self.open_items.is_some()
    }

    /// Bytes held so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Closes the open items frame; one with no item is dropped.
    pub fn close_items(&mut self) {
        let Some((start, count)) = self.open_items.take() else {
            return;
        };
        if count == 0 {
            self.bytes.truncate(start);
            return;
        }
        // The count sits after the length, the kind, the first index, the start and the core.
        let at = start + 4 + 1 + 4 + 8 + 2;
        self.bytes[at..at + 4].copy_from_slice(&count.to_le_bytes());
        self.end(start);
    }

    /// The frames so far, taken out to be written (an open items frame is closed first).
    pub fn take(&mut self) -> Vec<u8> {
        self.close_items();
        std::mem::take(&mut self.bytes)
    }

    fn begin(&mut self, kind: u8) -> usize {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&[0; 4]);
        self.bytes.push(kind);
        start
    }

    fn end(&mut self, start: usize) {
        let len = (self.bytes.len() - start - 4) as u32;
        self.bytes[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }

    fn fields(&mut self, report: &Report) {
        let b = &mut self.bytes;
        match report {
            Report::Hello { cpu, t_ns } => {
                b.extend_from_slice(&cpu_code(*cpu).to_le_bytes());
                b.extend_from_slice(&t_ns.to_le_bytes());
            }
            Report::ThreadStarted {
                thread,
                tid,
                t_ns,
                spawn_ns,
            } => {
                b.extend_from_slice(&thread.to_le_bytes());
                b.extend_from_slice(&tid.to_le_bytes());
                b.extend_from_slice(&t_ns.to_le_bytes());
                b.extend_from_slice(&spawn_ns.to_le_bytes());
            }
            Report::Adopt { pid } => b.extend_from_slice(&pid.to_le_bytes()),
            Report::Took { first, len } => {
                b.extend_from_slice(&first.to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
            }
            Report::Started { task, cpu, t_ns } => {
                b.extend_from_slice(&task.to_le_bytes());
                b.extend_from_slice(&cpu_code(*cpu).to_le_bytes());
                b.extend_from_slice(&t_ns.to_le_bytes());
            }
            Report::Items { .. } => unreachable!("items frames are built item by item"),
        }
    }
}

/// Appends `item` as an items frame holds it: its end, core, CPU time and result (about 27
/// bytes for a number).
fn write_item(out: &mut Vec<u8>, item: &ItemRecord) {
    out.extend_from_slice(&item.end_ns.to_le_bytes());
    out.extend_from_slice(&cpu_code(item.cpu).to_le_bytes());
    out.extend_from_slice(&item.cpu_ns.to_le_bytes());
    match &item.value {
        TaskValue::Null => out.push(NULL),
        TaskValue::Int(n) => {
            out.push(INT);
            out.extend_from_slice(&n.to_le_bytes());
        }
        TaskValue::Float(x) => {
            out.push(FLOAT);
            out.extend_from_slice(&x.to_le_bytes());
        }
        TaskValue::Text(text) => {
            out.push(TEXT);
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
    }
}

fn kind_of(report: &Report) -> u8 {
    match report {
        Report::Hello { .. } => HELLO,
        Report::ThreadStarted { .. } => THREAD,
        Report::Adopt { .. } => ADOPT,
        Report::Took { .. } => TOOK,
        Report::Started { .. } => STARTED,
        Report::Items { .. } => ITEMS,
    }
}

/// Why bytes on fd 3 are not a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// Splits what arrives on a report pipe into frames.
#[derive(Debug, Default)]
pub struct FrameReader {
    pending: Vec<u8>,
    /// Where the unread part of `pending` starts.
    read: usize,
}

impl FrameReader {
    /// Takes in bytes read from the pipe.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        if self.read > 0 && self.read == self.pending.len() {
            self.pending.clear();
            self.read = 0;
        }
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete report; `Ok(None)` until one has fully arrived. After `Err`, the stream
    /// cannot be trusted any more.
    pub fn next_report(&mut self) -> Result<Option<Report>, Malformed> {
        let rest = &self.pending[self.read..];
        let Some(len) = rest.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        if len == 0 || len > MAX_FRAME_BYTES {
            return Err(Malformed);
        }
        let Some(frame) = rest.get(4..4 + len) else {
            return Ok(None);
        };
        let report = parse(frame).ok_or(Malformed)?;
        self.read += 4 + len;
        if self.read == self.pending.len() {
            self.pending.clear();
            self.read = 0;
            // A big chunk's frame needed room once; most frames are small.
            self.pending.shrink_to(KEPT_CAPACITY);
        } else if self.read > self.pending.len() / 2 {
            self.pending.drain(..self.read);
            self.read = 0;
        }
        Ok(Some(report))
    }

    /// Whether part of a frame is waiting for the rest.
    pub fn has_partial(&self) -> bool {
        self.read < self.pending.len()
    }
}

/// Reads little-endian fields from a frame.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N)?;
        self.0 = rest;
        head.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take()?))
    }
    fn cpu(&mut self) -> Option<Option<u32>> {
        Some(cpu_of(self.u16()?))
    }
    fn item(&mut self) -> Option<ItemRecord> {
        Some(ItemRecord {
            end_ns: self.u64()?,
            cpu: self.cpu()?,
            cpu_ns: self.u64()?,
            value: self.value()?,
        })
    }
    fn value(&mut self) -> Option<TaskValue> {
        Some(match self.u8()? {
            NULL => TaskValue::Null,
            INT => TaskValue::Int(i64::from_le_bytes(self.take()?)),
            FLOAT => TaskValue::Float(f64::from_le_bytes(self.take()?)),
            TEXT => {
                let len = self.u32()? as usize;
                if len > MAX_TEXT_RESULT_BYTES {
                    return None;
                }
                let (text, rest) = self.0.split_at_checked(len)?;
                self.0 = rest;
                TaskValue::Text(Box::new(String::from_utf8_lossy(text).into_owned()))
            }
            _ => return None,
        })
    }
}

/// Bytes of one item at least (a null result).
const MIN_ITEM_BYTES: usize = 8 + 2 + 8 + 1;

fn parse(frame: &[u8]) -> Option<Report> {
    let (&kind, fields) = frame.split_first()?;
    let mut f = Fields(fields);
    let report = match kind {
        HELLO => Report::Hello {
            cpu: f.cpu()?,
            t_ns: f.u64()?,
        },
        THREAD => Report::ThreadStarted {
            thread: f.u32()?,
            tid: f.u32()?,
            t_ns: f.u64()?,
            spawn_ns: f.u64()?,
        },
        ADOPT => Report::Adopt { pid: f.u32()? },
        TOOK => Report::Took {
            first: f.u32()?,
            len: f.u32()?,
        },
        STARTED => Report::Started {
            task: f.u32()?,
            cpu: f.cpu()?,
            t_ns: f.u64()?,
        },
        ITEMS => {
            let (first, start_ns, start_cpu) = (f.u32()?, f.u64()?, f.cpu()?);
            let count = f.u32()? as usize;
            // Never trust a count: it cannot be more than the bytes could hold.
            if count > f.0.len() / MIN_ITEM_BYTES {
                return None;
            }
            let mut items = Vec::with_capacity(count);
            for _ in 0..count {
                items.push(f.item()?);
            }
            Report::Items {
                first,
                start_ns,
                start_cpu,
                items,
            }
        }
        _ => return None,
    };
    f.0.is_empty().then_some(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(end_ns: u64, value: TaskValue) -> ItemRecord {
        ItemRecord {
            end_ns,
            cpu: Some(1),
            cpu_ns: 0,
            value,
        }
    }

    fn every_kind() -> Vec<Report> {
        vec![
            Report::Hello {
                cpu: Some(1),
                t_ns: 5,
            },
            Report::ThreadStarted {
                thread: 2,
                tid: 11,
                t_ns: 6,
                spawn_ns: 40,
            },
            Report::Adopt { pid: 77 },
            Report::Took { first: 4, len: 2 },
            Report::Started {
                task: 3,
                cpu: None,
                t_ns: 7,
            },
            Report::Items {
                first: 3,
                start_ns: 7,
                start_cpu: None,
                items: vec![
                    item(9, TaskValue::Int(-4)),
                    item(10, TaskValue::Float(2.5)),
                    item(11, TaskValue::text("A é")),
                    item(12, TaskValue::Null),
                ],
            },
        ]
    }

    #[test]
    fn every_report_round_trips_even_split_anywhere() {
        let mut writer = FrameWriter::default();
        for report in every_kind() {
            writer.push(&report);
        }
        let bytes = writer.take();
        for cut in 0..bytes.len() {
            let mut reader = FrameReader::default();
            let mut got = Vec::new();
            for part in [&bytes[..cut], &bytes[cut..]] {
                reader.push_bytes(part);
                while let Some(report) = reader.next_report().unwrap() {
                    got.push(report);
                }
            }
            assert_eq!(got, every_kind(), "cut at {cut}");
            assert!(!reader.has_partial());
        }
    }

    #[test]
    fn an_items_frame_is_built_item_by_item_and_an_empty_one_is_dropped() {
        let mut writer = FrameWriter::default();
        writer.open_items(0, 1, Some(0));
        writer.close_items();
        assert!(writer.take().is_empty());
        writer.open_items(5, 1, Some(0));
        assert!(writer.items_open());
        writer.push_item(&item(2, TaskValue::Int(25)));
        writer.push_item(&item(3, TaskValue::Int(36)));
        let mut reader = FrameReader::default();
        reader.push_bytes(&writer.take());
        let Some(Report::Items { first, items, .. }) = reader.next_report().unwrap() else {
            panic!("an items frame");
        };
        assert_eq!((first, items.len()), (5, 2));
    }

    #[test]
    fn malformed_frames_are_refused_without_allocating_from_their_counts() {
        let refuse = |bytes: &[u8]| {
            let mut reader = FrameReader::default();
            reader.push_bytes(bytes);
            reader.next_report()
        };
        assert_eq!(refuse(&[0, 0, 0, 0]), Err(Malformed), "empty frame");
        assert_eq!(refuse(&[1, 0, 0, 0, b'X']), Err(Malformed), "unknown kind");
        assert_eq!(
            refuse(&[0xff, 0xff, 0xff, 0x7f]),
            Err(Malformed),
            "too long"
        );
        // An items frame claiming 4 billion items in 23 bytes.
        let mut frame = vec![ITEMS];
        frame.extend_from_slice(&0u32.to_le_bytes());
        frame.extend_from_slice(&0u64.to_le_bytes());
        frame.extend_from_slice(&NO_CPU.to_le_bytes());
        frame.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut bytes = (frame.len() as u32).to_le_bytes().to_vec();
        bytes.extend(frame);
        assert_eq!(refuse(&bytes), Err(Malformed));
        assert_eq!(refuse(&[5, 0, 0, 0, HELLO, 1]), Ok(None), "incomplete");
    }

    #[test]
    fn long_text_results_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_TEXT_RESULT_BYTES);
        let TaskValue::Text(cut) = TaskValue::text(&long) else {
            panic!("text");
        };
        assert!(cut.len() <= MAX_TEXT_RESULT_BYTES && cut.chars().all(|c| c == 'é'));
        assert_eq!(TaskValue::text("A").shown(), "A");
        assert_eq!(TaskValue::Int(4).shown(), "4");
        assert_eq!(TaskValue::Null.to_json(), Value::Null);
    }
}
