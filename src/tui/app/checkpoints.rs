//! Predict, then run: the learner's answers to a lesson's checkpoints, the hints they revealed,
//! and the verdict of the first run after each answer.

use crate::lesson::Lesson;
use crate::lesson::model::{AnswerKind, Checkpoint, Observation};
use crate::record::RunRecord;
use crate::record::observe::{Verdict, judge};
use crate::tui::app::message::RunId;
use crate::tui::widgets::narrative;

/// An answer given before a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// What the learner answered (a choice's text, an order, a number).
    pub text: String,
    /// The first run that may judge it (runs started before the answer may not).
    pub(crate) judged_from: RunId,
}

/// One checkpoint as the learner stands with it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointState {
    /// Their answer, if they gave one.
    pub prediction: Option<Prediction>,
    /// How many hints are revealed.
    pub hints_shown: usize,
    /// What the first finished run after the answer said.
    pub verdict: Option<Verdict>,
}

impl CheckpointState {
    /// Records an answer given before run `next_run`; an earlier verdict no longer applies.
    pub(crate) fn predict(&mut self, text: String, next_run: RunId) {
        self.prediction = Some(Prediction {
            text,
            judged_from: next_run,
        });
        self.verdict = None;
    }

    /// Reveals one more hint of `checkpoint`, if any is left.
    pub(crate) fn reveal_hint(&mut self, checkpoint: &Checkpoint) -> bool {
        if self.hints_shown < checkpoint.hints.len() {
            self.hints_shown += 1;
            true
        } else {
            false
        }
    }

    /// Judges a waiting answer by run `run`'s record; returns whether it was right, if judged.
    pub(crate) fn judge(
        &mut self,
        checkpoint: &Checkpoint,
        run: RunId,
        record: &RunRecord,
    ) -> Option<bool> {
        let prediction = self.prediction.as_ref()?;
        if self.verdict.is_some()
            || run < prediction.judged_from
            || record.stopped
            || !record.is_finished()
        {
            return None;
        }
        let verdict = judge(checkpoint, &prediction.text, record)?;
        let right = verdict.right;
        self.verdict = Some(verdict);
        Some(right)
    }
}

/// An answer being typed or picked in the answer dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerDraft {
    /// Index of the checkpoint in the lesson.
    pub checkpoint: usize,
    /// The highlighted choice (choice questions).
    pub(crate) choice: usize,
    /// The text typed so far (order and number questions).
    pub(crate) text: String,
}

impl AnswerDraft {
    /// A fresh draft for checkpoint `index`, starting from an earlier answer if there is one.
    pub(crate) fn new(
        index: usize,
        checkpoint: &Checkpoint,
        state: &CheckpointState,
    ) -> AnswerDraft {
        let earlier = state.prediction.as_ref().map(|p| p.text.clone());
        let choice = earlier
            .as_ref()
            .and_then(|text| checkpoint.choices.iter().position(|c| c == text))
            .unwrap_or(0);
        let text = if checkpoint.answer_kind == AnswerKind::Choice {
            String::new()
        } else {
            earlier.unwrap_or_default()
        };
        AnswerDraft {
            checkpoint: index,
            choice,
            text,
        }
    }

    /// Takes a typed character; returns whether it belongs in this kind of answer.
    pub(crate) fn type_char(&mut self, kind: AnswerKind, c: char) -> bool {
        let fits = match kind {
            AnswerKind::Choice => false,
            AnswerKind::Order => c.is_alphanumeric() || c == ' ' || c == ',',
            AnswerKind::Number => c.is_ascii_digit() || c == '.' || c == '-',
        };
        if fits && self.text.chars().count() < 60 {
            self.text.extend(c.to_uppercase());
        }
        fits
    }

    /// The answer as it will be judged, if there is one.
    pub(crate) fn answer(&self, checkpoint: &Checkpoint) -> Option<String> {
        match checkpoint.answer_kind {
            AnswerKind::Choice => checkpoint.choices.get(self.choice).cloned(),
            AnswerKind::Order => {
                let words: Vec<&str> = self
                    .text
                    .split([' ', ','])
                    .filter(|w| !w.is_empty())
                    .collect();
                (!words.is_empty()).then(|| words.join(" "))
            }
            AnswerKind::Number => self
                .text
                .trim()
                .parse::<f64>()
                .is_ok()
                .then(|| self.text.trim().to_string()),
        }
    }
}

/// What a measurement of `observation` is counted in, after its number: `6.0 s`, `2.81×`.
pub(crate) fn unit(observation: Option<Observation>) -> &'static str {
    match observation {
        Some(Observation::TotalSeconds) => " s",
        Some(Observation::SlowdownFactor | Observation::BestSpeedup) => "×",
        Some(Observation::DistinctPids) => " PIDs",
        Some(Observation::Migrations) => " moves between cores",
        Some(Observation::LostUpdates) => " updates lost",
        _ => "",
    }
}

/// A value as measured or expected for `checkpoint`, with its unit when it is a number.
pub(crate) fn with_unit(checkpoint: &Checkpoint, value: &str) -> String {
    let unit = unit(checkpoint.observe);
    if checkpoint.answer_kind == AnswerKind::Number && !unit.is_empty() {
        format!("{value}{unit}")
    } else {
        value.to_string()
    }
}

/// The line that says, where the eye is, how the checkpoints `judged` by the run that just
/// ended came out: "✓ Checkpoint 1: you said D — the run says D"; `in_view`: the one whose
/// verdict the text was scrolled to.
pub(crate) fn banner(
    lesson: &Lesson,
    states: &[CheckpointState],
    judged: &[usize],
    in_view: Option<usize>,
) -> String {
    let mut parts = Vec::new();
    for &index in judged {
        let (checkpoint, state) = (&lesson.checkpoints[index], &states[index]);
        let (Some(prediction), Some(verdict)) = (&state.prediction, &state.verdict) else {
            continue;
        };
        let mark = if verdict.right { "✓" } else { "✗" };
        let says = verdict.observed.as_deref().unwrap_or(&verdict.expected);
        parts.push(format!(
            "{mark} Checkpoint {}: you said {} — the run says {}",
            index + 1,
            with_unit(checkpoint, &prediction.text),
            with_unit(checkpoint, says)
        ));
    }
    let why = match in_view {
        Some(_) => "why: in the text, scrolled to it".to_string(),
        None => {
            let pages: Vec<String> = judged
                .iter()
                .filter_map(|&i| narrative::checkpoint_page(lesson, i))
                .map(|page| (page + 1).to_string())
                .collect();
            format!("why: on page {}", pages.join(", "))
        }
    };
    format!("{} · {why}", parts.join(" · "))
}

/// The letter shown before choice `index` (a, b, c…).
pub(crate) fn choice_letter(index: usize) -> char {
    (b'a' + (index % 26) as u8) as char
}

/// The choice a letter picks.
pub(crate) fn choice_of_letter(letter: char, choices: usize) -> Option<usize> {
    let index = (letter.to_ascii_lowercase() as usize).checked_sub('a' as usize)?;
    (index < choices).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::model::Observation;

    fn order_checkpoint() -> Checkpoint {
        Checkpoint {
            id: "order".into(),
            question: "?".into(),
            answer_kind: AnswerKind::Order,
            choices: vec![],
            answer: None,
            tolerance: 0.0,
            observe: Some(Observation::CompletionOrder),
            explanation: "because".into(),
            hints: vec!["one".into(), "two".into()],
        }
    }

    #[test]
    fn order_answers_are_typed_in_capitals_and_split_on_spaces() {
        let checkpoint = order_checkpoint();
        let mut draft = AnswerDraft::new(0, &checkpoint, &CheckpointState::default());
        for c in "b c, a d!".chars() {
            draft.type_char(AnswerKind::Order, c);
        }
        assert_eq!(draft.text, "B C, A D");
        assert_eq!(draft.answer(&checkpoint).as_deref(), Some("B C A D"));
    }

    #[test]
    fn hints_come_one_at_a_time_and_stop_at_the_last() {
        let checkpoint = order_checkpoint();
        let mut state = CheckpointState::default();
        assert!(state.reveal_hint(&checkpoint));
        assert!(state.reveal_hint(&checkpoint));
        assert!(!state.reveal_hint(&checkpoint));
        assert_eq!(state.hints_shown, 2);
    }

    #[test]
    fn letters_pick_choices_within_range() {
        assert_eq!(choice_of_letter('b', 3), Some(1));
        assert_eq!(choice_of_letter('D', 4), Some(3));
        assert_eq!(choice_of_letter('e', 4), None);
        assert_eq!(choice_letter(2), 'c');
    }
}
