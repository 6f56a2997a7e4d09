//! A run saved to a file, to replay or export later: the events of `proclab run --json`, one
//! JSON object a line. The first, `run_started`, names the lesson, proclab's version and the
//! recording machine's core count, so a run recorded on a 16-core machine replays as it was.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::event::Event;
use crate::files::{self, ReadError, SafeFile};
use crate::limits;

/// Why a recording could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file could not be read at all.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: ReadError,
    },
    /// A line is not an event, or the events do not make a run.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// A recorded run: every event in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The events; the first is `run_started`.
    pub events: Vec<Event>,
}

impl Recording {
    /// Reads a recording written by `--record` (or by `run --json`).
    pub fn read(path: &Path) -> Result<Recording, RecordingError> {
        let io_error = |source| RecordingError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes = files::read_regular(path, limits::MAX_RECORDING_BYTES).map_err(io_error)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            RecordingError::Invalid {
                path: path.to_path_buf(),
                line,
                column: valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
                    + 1,
                message: "is not UTF-8 text: a recording is JSON lines written by `--record`"
                    .into(),
            }
        })?;
        Recording::parse(path, &text)
    }

    /// Parses the text of a recording; `path` names it in errors.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Recording, RecordingError> {
        let invalid = |line: usize, column: usize, message: String| RecordingError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let mut events = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let event: Event = serde_json::from_str(line).map_err(|e| {
                invalid(
                    index + 1,
                    e.column().max(1),
                    format!(
                        "is not a proclab event ({}): each line must be one event as `proclab run --json` prints it",
                        e.to_string().split(" at line").next().unwrap_or_default()
                    ),
                )
            })?;
            if events.is_empty() && !matches!(event, Event::RunStarted { .. }) {
                return Err(invalid(
                    index + 1,
                    1,
                    "the first event must be run_started: record a run with `proclab run <id> --record FILE`"
                        .into(),
                ));
            }
            events.push(event);
        }
        if events.is_empty() {
            return Err(invalid(
                1,
                1,
                "is empty: record a run with `proclab run <id> --record FILE`".into(),
            ));
        }
        Ok(Recording { events })
    }

    /// The lesson (or traced command) the run was of.
    pub fn lesson(&self) -> &str {
        match &self.events[0] {
            Event::RunStarted { lesson, .. } => lesson,
            _ => "",
        }
    }

    /// Cores of the machine it was recorded on.
    pub fn cores(&self) -> u32 {
        match &self.events[0] {
            Event::RunStarted { cores, .. } => *cores,
            _ => 0,
        }
    }

    /// The proclab version that recorded it.
    pub fn version(&self) -> &str {
        match &self.events[0] {
            Event::RunStarted { version, .. } => version,
            _ => "",
        }
    }
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
        assert_eq!(recording.events, events);
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
