//! A run saved to a file, to replay or export later: the events of `proclab run --json`, one
//! JSON object a line. The first, `run_started`, names the lesson, proclab's version and the
//! recording machine's core count, so a run recorded on a 16-core machine replays as it was.
//!
//! A recording is read as a stream, one line at a time, and every event is checked
//! ([`check`]) before anything uses it, so its size has no limit of its own: what a run
//! writes, proclab reads back, and a recording that names a worker, a task or a time no run
//! can have is refused with its place, never allocated for.

mod check;
mod log;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

pub use log::EventLog;

use crate::event::Event;
use crate::files::{self, ReadError, SafeFile};
use crate::limits;
use crate::text::visible;

/// Why a recording could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file could not be read at all.
    #[error("{}: {problem}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        problem: ReadError,
    },
    /// A line is not an event, or the events do not make a run.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong and how to fix it (control characters from the file shown escaped).
        message: String,
    },
}

/// A recorded run: every event in the order it happened, held compactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    events: EventLog,
    /// From the first event, `run_started`.
    lesson: String,
    cores: u32,
    version: String,
}

impl Recording {
    /// Reads a recording written by `--record` (or by `run --json`), checking every event.
    pub fn read(path: &Path) -> Result<Recording, RecordingError> {
        let mut events = EventLog::default();
        read_events(path, |event| events.push(&event))?;
        events.shrink_to_fit();
        Ok(Recording::of(events))
    }

    /// Parses the text of a recording; `path` names it in errors.
    #[cfg(test)]
    fn parse(path: &Path, text: &str) -> Result<Recording, RecordingError> {
        let mut events = EventLog::default();
        events_of(path, text.as_bytes(), |event| events.push(&event))?;
        Ok(Recording::of(events))
    }

    /// A recording of checked `events` (the first is `run_started`).
    fn of(events: EventLog) -> Recording {
        let (lesson, cores, version) = match events.get(0) {
            Some(Event::RunStarted {
                lesson,
                cores,
                version,
                ..
            }) => (lesson, cores, version),
            _ => (String::new(), 0, String::new()),
        };
        Recording {
            events,
            lesson,
            cores,
            version,
        }
    }

    /// The events, in order.
    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// The events, for a replay to own.
    pub fn into_events(self) -> EventLog {
        self.events
    }

    /// The lesson (or traced command) the run was of.
    pub fn lesson(&self) -> &str {
        &self.lesson
    }

    /// Cores of the machine it was recorded on.
    pub fn cores(&self) -> u32 {
        self.cores
    }

    /// The proclab version that recorded it.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// Reads the recording at `path` one line at a time, handing each event to `on_event` once it
/// is checked; stops at the first problem, with its line and column.
pub(crate) fn read_events(path: &Path, on_event: impl FnMut(Event)) -> Result<(), RecordingError> {
    let file = files::open_regular(path).map_err(|problem| RecordingError::Io {
        path: path.to_path_buf(),
        problem,
    })?;
    events_of(path, BufReader::new(file), on_event)
}

fn events_of(
    path: &Path,
    mut reader: impl BufRead,
    mut on_event: impl FnMut(Event),
) -> Result<(), RecordingError> {
    let invalid = |line: usize, column: usize, message: String| RecordingError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let mut checker = check::Checker::default();
    let mut bytes = Vec::new();
    let mut number = 0;
    let mut any = false;
    loop {
        bytes.clear();
        let read = (&mut reader)
            .take(limits::MAX_RECORDING_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| RecordingError::Io {
                path: path.to_path_buf(),
                problem: ReadError::Io(e),
            })?;
        if read == 0 {
            break;
        }
        number += 1;
        if bytes.len() > limits::MAX_RECORDING_LINE_BYTES {
            return Err(invalid(
                number,
                1,
                format!(
                    "is longer than {} MiB, more than any event a run writes",
                    limits::MAX_RECORDING_LINE_BYTES / (1024 * 1024)
                ),
            ));
        }
        let line = std::str::from_utf8(&bytes).map_err(|e| {
            let column = String::from_utf8_lossy(&bytes[..e.valid_up_to()])
                .chars()
                .count();
            invalid(
                number,
                column + 1,
                "is not UTF-8 text: a recording is JSON lines written by `--record`".into(),
            )
        })?;
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = serde_json::from_str(line).map_err(|e| {
            let reason = e.to_string();
            let reason = reason.split(" at line").next().unwrap_or_default();
            invalid(
                number,
                e.column().max(1),
                format!(
                    "is not a proclab event ({}): each line must be one event as `proclab run --json` prints it",
                    visible(reason)
                ),
            )
        })?;
        checker
            .check(&event)
            .map_err(|problem| invalid(number, column_of(line, problem.field), problem.message))?;
        on_event(event);
        any = true;
    }
    if !any {
        return Err(invalid(
            1,
            1,
            "is empty: record a run with `proclab run <id> --record FILE`".into(),
        ));
    }
    Ok(())
}

/// The 1-based column (in characters) of the value of `field` in `line`, or 1.
fn column_of(line: &str, field: &str) -> usize {
    let key = format!("\"{field}\":");
    line.find(&key).map_or(1, |at| {
        let value = at + key.len();
        let spaces = line[value..].len() - line[value..].trim_start().len();
        line[..value + spaces].chars().count() + 1
    })
}

/// Writes events to a recording file as they happen; the file appears when the run is over.
///
/// Past [`limits::MAX_RECORDED_OUTPUT_BYTES`] of printed lines, further lines are left out
/// (every other event is still kept) and a closing `notice` says how many.
pub(crate) struct RecordingWriter {
    file: SafeFile,
    output_bytes: u64,
    lines_left_out: u64,
}

impl RecordingWriter {
    /// Starts a recording at `path`.
    pub(crate) fn create(path: &Path) -> io::Result<RecordingWriter> {
        Ok(RecordingWriter {
            file: SafeFile::create(path)?,
            output_bytes: 0,
            lines_left_out: 0,
        })
    }

    /// Appends one event.
    pub(crate) fn push(&mut self, event: &Event) -> io::Result<()> {
        let line = event.to_json();
        if matches!(event, Event::Output { .. }) {
            self.output_bytes += line.len() as u64;
            if self.output_bytes > limits::MAX_RECORDED_OUTPUT_BYTES {
                self.lines_left_out += 1;
                return Ok(());
            }
        }
        if let (Event::RunFinished { t_ms, .. }, n @ 1..) = (event, self.lines_left_out) {
            let notice = Event::Notice {
                t_ms: *t_ms,
                text: format!(
                    "{n} printed lines were left out of this recording to keep it under {} MiB",
                    limits::MAX_RECORDED_OUTPUT_BYTES / (1024 * 1024)
                ),
            };
            self.write_line(&notice.to_json())?;
        }
        self.write_line(&line)
    }

    fn write_line(&mut self, line: &str) -> io::Result<()> {
        self.file.write_all(line.as_bytes())?;
        self.file.write_all(b"\n")
    }

    /// Puts the file in place.
    pub(crate) fn finish(self) -> io::Result<()> {
        self.file.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> Event {
        Event::RunStarted {
            t_ms: 0.0,
            lesson: "pool-sleep".into(),
            source: crate::event::RunSource::Lesson,
            parent_pid: 10,
            cores: 16,
            workers: 2,
            speed: 1.0,
            stages: 1,
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn writes_and_reads_back_the_same_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let events = vec![
            started(),
            Event::Notice {
                t_ms: 1.5,
                text: "hello".into(),
            },
        ];
        let mut writer = RecordingWriter::create(&path).unwrap();
        for event in &events {
            writer.push(event).unwrap();
        }
        writer.finish().unwrap();
        let recording = Recording::read(&path).unwrap();
        assert_eq!(recording.events().iter().collect::<Vec<_>>(), events);
        assert_eq!(recording.cores(), 16);
        assert_eq!(recording.lesson(), "pool-sleep");
    }

    #[test]
    fn names_the_line_and_column_of_a_bad_event() {
        let text = format!(
            "{}\n{{\"event\":\"cpu\",\"t_ms\":1}}\n",
            started().to_json()
        );
        let error = Recording::parse(Path::new("r.jsonl"), &text).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("r.jsonl:2:"), "{message}");
        assert!(message.contains("missing field"), "{message}");
    }

    #[test]
    fn refuses_a_file_that_does_not_start_a_run() {
        let text = "{\"event\":\"notice\",\"t_ms\":0,\"text\":\"x\"}\n";
        let error = Recording::parse(Path::new("r.jsonl"), text).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("first event must be run_started")
        );
        let error = Recording::parse(Path::new("r.jsonl"), "\n").unwrap_err();
        assert!(error.to_string().contains("is empty"));
    }
}
