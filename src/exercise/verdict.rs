//! A verdict: each check passed or failed, with the evidence of the runs, as text (✓/✗ lines)
//! or JSON.

use serde::Serialize;

use super::check::CheckKind;
use super::evaluate::ending;
use super::facts::{RunEnd, RunFacts};
use crate::text::visible;

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckVerdict {
    /// Which check.
    #[serde(serialize_with = "kind_name")]
    pub kind: CheckKind,
    /// What it asks, in words.
    pub asks: String,
    /// Whether every run had to pass it.
    pub every_run: bool,
    /// It passed.
    pub passed: bool,
    /// What the runs showed.
    pub evidence: String,
}

fn kind_name<S: serde::Serializer>(kind: &CheckKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.name())
}

/// One run, briefly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Its start method (`None`: Python's default).
    pub start_method: Option<&'static str>,
    /// The main process's PID.
    pub pid: u32,
    /// How it ended, in words.
    pub ended: String,
    /// Its exit code, if it exited.
    pub exit_code: Option<i32>,
    /// It was killed at the time limit.
    pub timed_out: bool,
    /// How long the main process ran, ms.
    pub wall_ms: f64,
    /// Processes it started (multiprocessing's helpers not counted).
    pub processes: usize,
}

impl RunSummary {
    /// The summary of `facts`.
    pub fn of(facts: &RunFacts) -> RunSummary {
        RunSummary {
            start_method: facts.method.map(|m| m.name()),
            pid: facts.main_pid,
            ended: ending(facts),
            exit_code: match facts.end {
                RunEnd::Exited(code) => Some(code),
                _ => None,
            },
            timed_out: facts.end == RunEnd::TimedOut,
            wall_ms: facts.wall_ms,
            processes: facts.started().count(),
        }
    }
}

/// The verdict on one program.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The exercise's id.
    pub exercise: String,
    /// The Python version that ran it.
    pub python: String,
    /// Every check passed.
    pub passed: bool,
    /// Judging was stopped before every run was made.
    pub interrupted: bool,
    /// Each check, in the exercise's order.
    pub checks: Vec<CheckVerdict>,
    /// Each run of the program.
    pub runs: Vec<RunSummary>,
    /// How long judging took, ms.
    pub judged_ms: f64,
}

impl Verdict {
    /// The verdict as lines a learner reads: one ✓/✗ line per check with its evidence below,
    /// then the outcome. Program output in the evidence has its control characters shown.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for check in &self.checks {
            let mark = if check.passed { "✓" } else { "✗" };
            text.push_str(&format!("{mark} {}\n", visible(&check.asks)));
            text.push_str(&format!("    {}\n", visible(&check.evidence)));
        }
        let passed = self.checks.iter().filter(|c| c.passed).count();
        let runs = self.runs.len();
        let summary = if self.interrupted {
            format!("Stopped before every run was made ({runs} made).")
        } else if self.passed {
            format!(
                "All {} checks passed ({runs} run{}, Python {}).",
                self.checks.len(),
                if runs == 1 { "" } else { "s" },
                self.python
            )
        } else {
            format!(
                "{passed} of {} checks passed ({runs} run{}, Python {}).",
                self.checks.len(),
                if runs == 1 { "" } else { "s" },
                self.python
            )
        };
        text.push_str(&format!("\n{summary}\n"));
        text
    }

    /// The verdict as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a verdict always serializes")
    }
}
