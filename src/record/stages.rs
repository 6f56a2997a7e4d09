//! The stages of a run: each one's shape (kind, workers, chunksize, tasks), its sweep point,
//! its shared counter and its start and end, updated by `stage_started`, `shared_counter` and
//! `stage_finished` events.

use crate::event::{Event, StageKind, SweepPart};

/// One stage's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    /// Its display name (for a trace: the traced command).
    pub name: String,
    /// How the stage spread its work.
    pub kind: StageKind,
    /// Workers it starts.
    pub workers: u32,
    /// Pool only: items per message.
    pub chunksize: Option<u64>,
    /// Tasks it runs.
    pub tasks: usize,
    /// For a speedup sweep: the worker count of its point.
    pub sweep_workers: Option<u32>,
    /// For a speedup sweep: whether it is the serial part.
    pub sweep_serial: bool,
    /// Its shared-memory counter at the end and the value expected, if it had one.
    pub shared_counter: Option<(u64, u64)>,
    /// When it started, in run milliseconds.
    pub start_ms: f64,
    /// When it ended, once it has.
    pub end_ms: Option<f64>,
}

impl StageInfo {
    /// The messages that carried its tasks to the workers: one per chunk in a pool, one for a
    /// serial stage; `None` where each worker is started with its own task (no queue).
    pub fn task_messages(&self) -> Option<u64> {
        match (self.kind, self.chunksize) {
            (StageKind::Pool, Some(chunksize)) => {
                Some((self.tasks as u64).div_ceil(chunksize.max(1)))
            }
            (StageKind::Serial, _) => Some(1),
            _ => None,
        }
    }

    /// How long it took, once it ended, in ms.
    pub fn wall_ms(&self) -> Option<f64> {
        self.end_ms.map(|end| end - self.start_ms)
    }
}

/// `stage_started`.
pub(crate) fn started(stages: &mut Vec<StageInfo>, event: &Event) {
    let Event::StageStarted {
        t_ms,
        ref name,
        ref kind,
        workers,
        chunksize,
        tasks,
        sweep_workers,
        ref sweep_part,
        ..
    } = *event
    else {
        return;
    };
    stages.push(StageInfo {
        name: name.clone(),
        kind: *kind,
        workers,
        chunksize,
        tasks,
        sweep_workers,
        sweep_serial: *sweep_part == Some(SweepPart::Serial),
        shared_counter: None,
        start_ms: t_ms,
        end_ms: None,
    });
}

/// `shared_counter`: the stage's counter as the parent read it at the end.
pub(crate) fn counted(stages: &mut [StageInfo], event: &Event) {
    if let Event::SharedCounter {
        stage,
        value,
        expected,
        ..
    } = *event
        && let Some(info) = stages.get_mut(stage)
    {
        info.shared_counter = Some((value, expected));
    }
}

/// `stage_finished`.
pub(crate) fn finished(stages: &mut [StageInfo], event: &Event) {
    if let Event::StageFinished { t_ms, stage, .. } = *event
        && let Some(info) = stages.get_mut(stage)
    {
        info.end_ms = Some(t_ms);
    }
}
