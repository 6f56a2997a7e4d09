//! What the session leader tells proclab over their channel: one line per report.
//! proclab never writes to the channel; closing its end (or dying) tells the leader to end.

use std::fmt;

use crate::observe::exit::ExitStatus;

/// One report of the session leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Report {
    /// The command runs, with this PID.
    Started {
        /// The command's PID.
        command: u32,
    },
    /// The command could not be started (the reason, as a sentence).
    Failed(String),
    /// The leader reaped one of its children (the command, or an orphan handed to it).
    Reaped {
        /// The PID.
        pid: u32,
        /// How it ended.
        status: ExitStatus,
        /// When it was reaped (`CLOCK_MONOTONIC` ns).
        t_ns: u64,
    },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Started { command } => writeln!(f, "started {command}"),
            // One line: a reason never holds a newline.
            Report::Failed(reason) => writeln!(f, "failed {}", reason.replace('\n', " ")),
            Report::Reaped { pid, status, t_ns } => {
                let (kind, value) = match status {
                    ExitStatus::Code(code) => ("code", *code),
                    ExitStatus::Signal(signal) => ("signal", *signal),
                    ExitStatus::Unknown => ("unknown", 0),
                };
                writeln!(f, "reaped {pid} {kind} {value} {t_ns}")
            }
        }
    }
}

impl Report {
    /// Reads one line (without its newline); `None` if it is not a report.
    pub(crate) fn parse(line: &str) -> Option<Report> {
        let (word, rest) = line.split_once(' ')?;
        let mut fields = rest.split(' ');
        let mut next = || fields.next();
        let report = match word {
            "started" => Report::Started {
                command: next()?.parse().ok()?,
            },
            "failed" => return Some(Report::Failed(rest.to_string())),
            "reaped" => {
                let pid = next()?.parse().ok()?;
                let (kind, value) = (next()?, next()?.parse().ok()?);
                let status = match kind {
                    "code" => ExitStatus::Code(value),
                    "signal" => ExitStatus::Signal(value),
                    _ => ExitStatus::Unknown,
                };
                Report::Reaped {
                    pid,
                    status,
                    t_ns: next()?.parse().ok()?,
                }
            }
            _ => return None,
        };
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_back_as_written() {
        let reports = [
            Report::Started { command: 41 },
            Report::Failed("cannot start /bin/x: Permission denied".into()),
            Report::Reaped {
                pid: 42,
                status: ExitStatus::Signal(9),
                t_ns: 123,
            },
            Report::Reaped {
                pid: 43,
                status: ExitStatus::Code(3),
                t_ns: 124,
            },
        ];
        for report in reports {
            let line = report.to_string();
            assert_eq!(Report::parse(line.trim_end()), Some(report), "{line}");
        }
        assert_eq!(Report::parse("reaped x"), None);
        assert_eq!(Report::parse("hello 1"), None);
    }
}
