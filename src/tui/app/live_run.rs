//! A run as the UI follows it: the record built from its events, where its workers were, whether
//! it is paused, and the clock that moves the "now" line between events.

use std::time::Instant;

use crate::event::Event;
use crate::lesson::Lesson;
use crate::lesson::model::Observation;
use crate::record::RunRecord;
use crate::tui::app::message::RunId;
use crate::tui::app::placement::Placement;

/// How far a run has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Workers are (or may be) running.
    Running,
    /// The workers were stopped with SIGSTOP.
    Paused,
    /// Every worker is reaped.
    Ended,
}

/// One run, live or finished.
#[derive(Debug, Clone)]
pub struct LiveRun {
    /// Its number: events of another run are not its own.
    pub id: RunId,
    /// Everything its events said.
    pub record: RunRecord,
    /// Cores and states of its workers over time.
    pub placement: Placement,
    /// Running, paused or ended.
    pub state: RunState,
    /// The run's time shown as "now", in ms.
    pub now_ms: f64,
    /// For a traced program (not the lesson's native run): its command line.
    pub traced: Option<String>,
    /// What the learner did to the run while it went on (paused it, killed a worker).
    pub interference: Interference,
    /// The latest event's time and when it arrived, to move "now" on between events.
    last_event: Option<(f64, Instant)>,
}

impl LiveRun {
    /// A run that has just been asked for.
    pub fn new(id: RunId) -> LiveRun {
        LiveRun {
            id,
            record: RunRecord::new(),
            placement: Placement::new(),
            state: RunState::Running,
            now_ms: 0.0,
            traced: None,
            interference: Interference::default(),
            last_event: None,
        }
    }

    /// Pauses or resumes the run: its state, and how long it was paused (run time).
    pub(crate) fn set_paused(&mut self, paused: bool) {
        let now = self.now_ms;
        let since = &mut self.interference.paused_since;
        match (paused, *since) {
            (true, None) => *since = Some(now),
            (false, Some(from)) => {
                self.interference.paused_ms += now - from;
                *since = None;
            }
            _ => {}
        }
        self.state = if paused {
            RunState::Paused
        } else {
            RunState::Running
        };
    }

    /// How long the run has been paused in all, in ms (the pause going on included).
    pub fn paused_ms(&self) -> f64 {
        let ongoing = self
            .interference
            .paused_since
            .map_or(0.0, |from| self.now_ms - from);
        self.interference.paused_ms + ongoing
    }

    /// Why this run cannot answer a checkpoint, if the learner changed it while it went on:
    /// "was paused for 6.0 s", "had worker 0 killed"…
    pub fn interfered(&self) -> Option<String> {
        let mut why = Vec::new();
        let paused = self.paused_ms();
        if paused > 0.0 || self.interference.paused_since.is_some() {
            why.push(format!("was paused for {:.1} s", paused / 1000.0));
        }
        if !self.interference.killed.is_empty() {
            let slots: Vec<String> = self
                .interference
                .killed
                .iter()
                .map(|slot| format!("w{slot}"))
                .collect();
            why.push(format!("had {} killed", slots.join(", ")));
        }
        if self.interference.lesson_changed {
            why.push("ran an older version of the lesson".into());
        }
        (!why.is_empty()).then(|| why.join(" and "))
    }

    /// Whether its workers may still be alive.
    pub fn is_live(&self) -> bool {
        self.state != RunState::Ended
    }

    /// Takes in one of its events, received at `at`.
    pub fn push(&mut self, event: Event, at: Instant) {
        self.placement.push(&event);
        let t_ms = event.t_ms();
        self.record.push(event);
        if self.last_event.is_none_or(|(last, _)| t_ms >= last) {
            self.last_event = Some((t_ms, at));
        }
        self.now_ms = self.now_ms.max(self.record.now_ms);
        if let Some(end) = self.record.finished_ms {
            self.now_ms = end;
        }
    }

    /// Moves "now" to `at` (only while the run is live; a finished run's now is its end).
    pub(crate) fn tick(&mut self, at: Instant) {
        if self.record.is_finished() || !self.is_live() {
            return;
        }
        if let Some((t_ms, received)) = self.last_event {
            let since = at.saturating_duration_since(received).as_secs_f64() * 1000.0;
            self.now_ms = self.now_ms.max(t_ms + since);
        }
    }

    /// Notes that every worker is reaped.
    pub fn end(&mut self) {
        self.state = RunState::Ended;
        if let Some(end) = self.record.finished_ms {
            self.now_ms = end;
        }
    }
}

/// What the learner did to a run while it went on; any of it means the run no longer shows the
/// lesson's effect as it is, so it answers no checkpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interference {
    /// Run time spent paused (SIGSTOP), in ms, pauses that ended.
    pub paused_ms: f64,
    /// The run time the pause going on began at.
    pub paused_since: Option<f64>,
    /// Worker slots killed from the keyboard.
    pub killed: Vec<usize>,
    /// The lesson was reloaded (`--watch`) while the run went on.
    pub lesson_changed: bool,
}

/// How many runs `n` asks for.
pub const SERIES_RUNS: u32 = 20;

/// Many runs of the same lesson, to show how an outcome varies.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// How many runs were asked for.
    pub total: u32,
    /// What is compared between runs.
    pub observation: Observation,
    /// One outcome per finished run, in run order.
    pub outcomes: Vec<String>,
    /// Runs that ended without the outcome (stopped, or nothing observed).
    pub missing: u32,
}

impl Series {
    /// [`SERIES_RUNS`] runs of `lesson`, none done yet. They compare the print order if a
    /// checkpoint asks about it, else the completion order.
    pub(crate) fn of(lesson: &Lesson) -> Series {
        let asks_print_order = lesson
            .checkpoints
            .iter()
            .any(|c| c.observe == Some(Observation::PrintOrder));
        Series {
            total: SERIES_RUNS,
            observation: if asks_print_order {
                Observation::PrintOrder
            } else {
                Observation::CompletionOrder
            },
            outcomes: Vec::new(),
            missing: 0,
        }
    }

    /// How many runs ended so far.
    pub fn done(&self) -> u32 {
        self.outcomes.len() as u32 + self.missing
    }

    /// Each distinct outcome with how many runs had it, most frequent first (ties: first seen).
    pub fn distribution(&self) -> Vec<(&str, usize)> {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for outcome in &self.outcomes {
            match counts.iter_mut().find(|(o, _)| o == outcome) {
                Some((_, n)) => *n += 1,
                None => counts.push((outcome, 1)),
            }
        }
        counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        counts
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn now_moves_with_time_until_the_run_finishes() {
        let start = Instant::now();
        let mut run = LiveRun::new(RunId(1));
        run.push(
            Event::Notice {
                t_ms: 10.0,
                text: "x".into(),
            },
            start,
        );
        run.tick(start + Duration::from_millis(100));
        assert!((run.now_ms - 110.0).abs() < 1e-6);
        run.push(
            Event::RunFinished {
                t_ms: 150.0,
                completion_order: vec![],
                results: Default::default(),
                result_order: vec![],
                lost: vec![],
                stopped: false,
            },
            start + Duration::from_millis(140),
        );
        run.tick(start + Duration::from_millis(500));
        assert_eq!(run.now_ms, 150.0);
    }

    #[test]
    fn distribution_counts_outcomes_most_frequent_first() {
        let series = Series {
            total: 4,
            observation: Observation::PrintOrder,
            outcomes: vec!["a".into(), "b".into(), "b".into(), "c".into()],
            missing: 1,
        };
        assert_eq!(series.distribution(), [("b", 2), ("a", 1), ("c", 1)]);
        assert_eq!(series.done(), 5);
    }
}
