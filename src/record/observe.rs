//! Facts a run measured, for checkpoints: what really happened, to set beside a prediction.

use std::collections::BTreeSet;

use super::{RunRecord, WorkerStatus};
use crate::event::Stream;
use crate::lesson::model::{AnswerKind, Checkpoint, Observation};

/// What the run measured for `what`, as the learner would write it; `None` if the run has not
/// produced it (yet).
pub(crate) fn observe(record: &RunRecord, what: Observation) -> Option<String> {
    match what {
        Observation::CompletionOrder => {
            let labels: Vec<String> = record.completion_labels().map(|l| l.to_string()).collect();
            (!labels.is_empty()).then(|| labels.join(" "))
        }
        Observation::LastFinished => record.completion_labels().last().map(|l| l.to_string()),
        Observation::TotalSeconds => {
            let start = record
                .tasks
                .iter()
                .filter_map(|t| t.start_ms)
                .reduce(f64::min)?;
            let end = record
                .tasks
                .iter()
                .filter_map(|t| t.end_ms)
                .reduce(f64::max)?;
            Some(format!("{:.1}", (end - start) / 1000.0 * record.speed))
        }
        Observation::DistinctPids => {
            let pids: BTreeSet<u32> = record
                .tasks
                .iter()
                .filter_map(|t| t.worker)
                .map(|w| record.workers[w].pid)
                .collect();
            (!pids.is_empty()).then(|| pids.len().to_string())
        }
        Observation::PrintOrder => {
            let lines: Vec<&str> = record
                .output
                .iter()
                // The first stage is the one whose order lessons ask about.
                .filter(|l| l.stream == Stream::Stdout)
                .filter(|l| {
                    l.worker
                        .is_some_and(|w| record.workers.get(w).is_some_and(|w| w.stage == 0))
                })
                .map(|l| l.text.as_str())
                .collect();
            (!lines.is_empty()).then(|| lines.join(" | "))
        }
        Observation::Migrations => {
            let last_stage = record.stages.len().checked_sub(1)?;
            let moves: usize = record.stage_workers(last_stage).map(|w| w.migrations).sum();
            Some(moves.to_string())
        }
        Observation::LostUpdates => {
            let (value, expected) = record.stages.iter().find_map(|s| s.shared_counter)?;
            Some(expected.saturating_sub(value).to_string())
        }
        Observation::BestSpeedup => {
            let points = record.sweep_points();
            let alone = points.iter().find(|(workers, _)| *workers == 1)?.1;
            let fastest = points.iter().map(|(_, ms)| *ms).reduce(f64::min)?;
            Some(format!("{:.2}", alone / fastest))
        }
        Observation::ExitCodes => {
            let codes: Vec<String> = record
                .stage_workers(0)
                .map(|w| match w.status {
                    WorkerStatus::Exited(code) => code.to_string(),
                    WorkerStatus::Killed(signal) => (-signal).to_string(),
                    WorkerStatus::Alive => "running".into(),
                })
                .collect();
            (!codes.is_empty()).then(|| codes.join(" "))
        }
        Observation::SlowdownFactor => {
            // The last stage is the one the question is about (earlier ones are the baseline).
            let last_stage = record.stages.len().saturating_sub(1);
            let ratios: Vec<f64> = record
                .tasks
                .iter()
                .filter(|t| {
                    t.worker
                        .is_some_and(|w| record.workers[w].stage == last_stage)
                })
                .filter_map(|t| Some((t.end_ms? - t.start_ms?) / t.cpu_ms.filter(|c| *c > 0.0)?))
                .collect();
            (!ratios.is_empty())
                .then(|| format!("{:.2}", ratios.iter().sum::<f64>() / ratios.len() as f64))
        }
    }
}

/// How a prediction compares with the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the prediction counts as right.
    pub right: bool,
    /// The expected answer (fixed, or what the run measured).
    pub expected: String,
    /// What this run measured, if the checkpoint observes something.
    pub observed: Option<String>,
}

/// Judges `prediction` against the checkpoint's fixed answer, or else what the run observed.
pub(crate) fn judge(
    checkpoint: &Checkpoint,
    prediction: &str,
    record: &RunRecord,
) -> Option<Verdict> {
    let observed = checkpoint.observe.and_then(|what| observe(record, what));
    let expected = checkpoint.answer.clone().or_else(|| observed.clone())?;
    let right = match checkpoint.answer_kind {
        AnswerKind::Choice => prediction.trim() == expected.trim(),
        AnswerKind::Order => {
            let words = |s: &str| {
                s.split_whitespace()
                    .map(str::to_uppercase)
                    .collect::<Vec<_>>()
            };
            words(prediction) == words(&expected)
        }
        AnswerKind::Number => match (
            prediction.trim().parse::<f64>(),
            expected.trim().parse::<f64>(),
        ) {
            (Ok(p), Ok(e)) => (p - e).abs() <= checkpoint.tolerance.max(1e-9),
            _ => false,
        },
    };
    Some(Verdict {
        right,
        expected,
        observed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::pool_sleep_events;

    fn record() -> RunRecord {
        RunRecord::from_events(pool_sleep_events())
    }

    #[test]
    fn observes_orders_counts_and_times() {
        let r = record();
        assert_eq!(
            observe(&r, Observation::CompletionOrder).unwrap(),
            "B C A D"
        );
        assert_eq!(observe(&r, Observation::LastFinished).unwrap(), "D");
        assert_eq!(observe(&r, Observation::DistinctPids).unwrap(), "2");
        assert_eq!(observe(&r, Observation::TotalSeconds).unwrap(), "6.0");
        assert_eq!(
            observe(&r, Observation::PrintOrder).unwrap(),
            "A waiting 5 s"
        );
    }

    #[test]
    fn judges_orders_numbers_and_choices() {
        let r = record();
        let mut c = Checkpoint {
            id: "x".into(),
            question: "?".into(),
            answer_kind: AnswerKind::Order,
            choices: vec![],
            answer: None,
            tolerance: 0.0,
            observe: Some(Observation::CompletionOrder),
            explanation: String::new(),
            hints: vec![],
        };
        assert!(judge(&c, "b c a d", &r).unwrap().right);
        assert!(!judge(&c, "A B C D", &r).unwrap().right);
        c.answer_kind = AnswerKind::Number;
        c.observe = Some(Observation::TotalSeconds);
        c.tolerance = 0.5;
        assert!(judge(&c, "6.4", &r).unwrap().right);
        assert!(!judge(&c, "11", &r).unwrap().right);
        c.answer_kind = AnswerKind::Choice;
        c.answer = Some("No".into());
        assert!(judge(&c, "No", &r).unwrap().right);
    }
}
