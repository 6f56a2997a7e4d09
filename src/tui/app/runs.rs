//! Runs as the model sees them: asking for a lesson's run, a trace of its Python program or of
//! `proclab trace`'s command; taking in their events; pausing, killing and saving them; and
//! judging checkpoints and counting outcomes when they end.

use std::path::PathBuf;
use std::time::Instant;

use super::checkpoints;
use super::live_run::{LiveRun, RunState};
use super::message::{Command, ProgramFile, RunId};
use super::panes::Reading;
use super::panes::RunView;
use super::places::Prompt;
use super::{App, Screen};
use crate::engine::{self, Control};
use crate::event::Event;
use crate::lesson::{Lesson, Origin};
use crate::record::WorkerStatus;
use crate::record::observe::observe;
use crate::trace::{self, TraceSpec};
use crate::tui::runtime::keys::Action;

impl App {
    /// The number for a new run.
    pub(super) fn take_run_id(&mut self) -> RunId {
        let run = self.setup.next_run;
        self.setup.next_run = RunId(run.0 + 1);
        run
    }

    /// Plans the open lesson with the current options and asks for a new run.
    pub(super) fn start_run(&mut self) -> Option<Command> {
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        match engine::plan(&screen.lesson, &self.setup.options, self.setup.cores) {
            Ok(plan) => {
                let run = self.take_run_id();
                let Screen::Lesson(screen) = &mut self.screen else {
                    return None;
                };
                screen.view.show(LiveRun::new(run));
                Some(Command::Start {
                    run,
                    plan: Box::new(plan),
                })
            }
            Err(error) => {
                self.notice = Some(format!("Cannot run: {error}"));
                screen.series = None;
                None
            }
        }
    }

    /// `p` / `P`: runs the lesson's Python program under trace, into a terminal or into
    /// `pipe`s; a program that came with a lesson folder (not with proclab) runs only after the
    /// learner said yes to its path, once per session.
    pub(super) fn ask_to_trace_program(&mut self, pipe: bool) -> Option<Command> {
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        screen.series = None;
        let lesson = &screen.lesson;
        if lesson.program.trim().is_empty() {
            self.notice = Some("This lesson has no Python program to run.".into());
            return None;
        }
        if !self.setup.python {
            self.notice = Some(
                "p runs the lesson's Python program, but python3 is not on your PATH: install Python 3 (Debian/Ubuntu: sudo apt install python3) and press p again."
                    .into(),
            );
            return None;
        }
        match program_path(lesson) {
            Some(path) if !self.setup.allowed_programs.contains(&path) => {
                self.prompt = Some(Prompt::RunProgram { path, pipe });
                None
            }
            _ => self.trace_program(pipe),
        }
    }

    /// Asks for a trace of the open lesson's Python program, into `pipe`s or a terminal.
    pub(super) fn trace_program(&mut self, pipe: bool) -> Option<Command> {
        let (speed, unbuffered) = (self.setup.options.speed, self.setup.python_unbuffered);
        let run = self.take_run_id();
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        let program = ProgramFile {
            name: screen.lesson.program_name.clone(),
            text: screen.lesson.program.clone(),
        };
        let mut spec = TraceSpec::new(vec!["python3".into()]);
        spec.speed = speed;
        spec.pipe = pipe;
        show_trace(
            &mut screen.view,
            run,
            &spec,
            &format!("python3 {}", program.name),
        );
        if unbuffered && pipe {
            self.notice = Some(
                "PYTHONUNBUFFERED is set here, so Python writes at once even into pipes; run `env -u PYTHONUNBUFFERED proclab` to see block buffering."
                    .into(),
            );
        }
        Some(Command::Trace {
            run,
            spec: Box::new(spec),
            program: Some(program),
        })
    }

    /// Traces the `proclab trace` screen's command (again).
    pub(super) fn start_trace(&mut self) -> Option<Command> {
        let run = self.take_run_id();
        let Screen::Trace(screen) = &mut self.screen else {
            return None;
        };
        let spec = screen.spec.clone();
        show_trace(
            &mut screen.view,
            run,
            &spec,
            &trace::command_line(&spec.command),
        );
        Some(Command::Trace {
            run,
            spec: Box::new(spec),
            program: None,
        })
    }

    /// Space and `K` on a live run: pause or resume its workers; ask whether to kill the
    /// selected one.
    pub(super) fn control_run(&mut self, action: Action) -> Option<Command> {
        let view = self.live_view()?;
        if action == Action::Pause {
            let (notice, command) = pause(view);
            self.notice = notice;
            return command;
        }
        match selected_alive(view) {
            Ok((slot, pid)) => self.prompt = Some(Prompt::Kill { slot, pid }),
            Err(why) => self.notice = Some(why),
        }
        None
    }

    /// `y` to "Kill worker N?": kills it if it is still the same live process.
    pub(super) fn kill_worker(&mut self, slot: usize, pid: u32) -> Option<Command> {
        let view = self.live_view()?;
        view.selected_worker = slot;
        match selected_alive(view) {
            Ok((_, now)) if now == pid => {
                if let Some(run) = &mut view.run {
                    run.interference.killed.push(slot);
                }
                self.notice = Some(format!(
                    "Sent SIGKILL to worker {slot} (PID {pid}). This run now answers no checkpoint."
                ));
                Some(Command::Control(Control::Kill(slot)))
            }
            _ => {
                self.notice = Some(format!("Worker {slot} (PID {pid}) has already ended."));
                None
            }
        }
    }

    /// The run panels of a screen whose runs are live (a lesson, a trace).
    fn live_view(&mut self) -> Option<&mut RunView> {
        match &mut self.screen {
            Screen::Lesson(screen) => Some(&mut screen.view),
            Screen::Trace(screen) => Some(&mut screen.view),
            Screen::List | Screen::Replay(_) | Screen::Exercise(_) => None,
        }
    }

    /// `R`: asks for the run on screen to be saved as a recording.
    pub(super) fn save_run(&mut self) -> Option<Command> {
        if self.run_view()?.run.is_none() {
            self.notice = Some("Nothing to save yet: press r to run first.".into());
            return None;
        }
        Some(Command::SaveRun)
    }

    /// The lesson id and the record of the run on screen, for saving it.
    pub(crate) fn shown_run(&self) -> Option<(&str, &crate::record::RunRecord)> {
        let (id, view) = match &self.screen {
            Screen::Lesson(screen) => (screen.lesson.id.as_str(), &screen.view),
            Screen::Trace(screen) => (screen.about.id.as_str(), &screen.view),
            Screen::List | Screen::Replay(_) | Screen::Exercise(_) => return None,
        };
        Some((id, &view.run.as_ref()?.record))
    }

    /// An event of run `run`, received at `at`; a lesson's own run that finishes judges the
    /// answers waiting for it.
    pub(super) fn on_event(&mut self, run: RunId, event: Event, at: Instant) {
        let view = match &mut self.screen {
            Screen::Lesson(screen) => &mut screen.view,
            Screen::Trace(screen) => &mut screen.view,
            Screen::List | Screen::Replay(_) | Screen::Exercise(_) => return,
        };
        let Some(live) = view.run.as_mut().filter(|live| live.id == run) else {
            return;
        };
        let finishes = matches!(event, Event::RunFinished { .. });
        live.push(event, at);
        // Checkpoints are judged on the lesson's own run, not on a traced program, and not on a
        // run the learner changed while it went on.
        if !finishes || live.traced.is_some() {
            return;
        }
        match live.interfered() {
            Some(why) => self.notice_unjudged(&why),
            None => self.judge_checkpoints(run),
        }
    }

    /// Says that the run that just ended answers no checkpoint, and why, if any waited for it.
    fn notice_unjudged(&mut self, why: &str) {
        let Screen::Lesson(screen) = &self.screen else {
            return;
        };
        let waiting = screen
            .checkpoints
            .iter()
            .any(|c| c.prediction.is_some() && c.verdict.is_none());
        if waiting {
            self.notice = Some(format!(
                "This run {why}, so it answers no checkpoint: press r for a run left alone."
            ));
        }
    }

    /// Judges the answers waiting for run `run`, then says so where the eye is: a banner on the
    /// status line, and the first verdict on this page scrolled into view.
    fn judge_checkpoints(&mut self, run: RunId) {
        let Screen::Lesson(screen) = &mut self.screen else {
            return;
        };
        let Some(live) = &screen.view.run else { return };
        let mut judged = Vec::new();
        for (index, state) in screen.checkpoints.iter_mut().enumerate() {
            let checkpoint = &screen.lesson.checkpoints[index];
            let Some(right) = state.judge(checkpoint, run, &live.record) else {
                continue;
            };
            judged.push(index);
            if right {
                self.progress
                    .answered_right(&screen.lesson.id, &checkpoint.id);
            }
        }
        if judged.is_empty() {
            return;
        }
        let in_view = self.scroll_to_verdict(&judged);
        if let Screen::Lesson(screen) = &self.screen {
            self.notice = Some(checkpoints::banner(
                &screen.lesson,
                &screen.checkpoints,
                &judged,
                in_view,
            ));
        }
    }

    /// Scrolls the text to the verdict of the first of `judged` this page asks, if the text is
    /// shown; returns that checkpoint.
    fn scroll_to_verdict(&mut self, judged: &[usize]) -> Option<usize> {
        let panes = self.panes()?;
        if panes.reader.showing != Reading::Narrative || panes.reader.notes.is_some() {
            return None;
        }
        let area = panes.areas.reading;
        let page = panes.text.page_text(panes.reader.page, area, &panes.theme);
        let &(row, index) = page
            .verdict_rows
            .iter()
            .find(|(_, index)| judged.contains(index))?;
        let rows = area.height.saturating_sub(1) as usize;
        let most = page.lines.len().saturating_sub(rows);
        // Two rows of the question stay above the verdict.
        panes.reader.scroll = row.saturating_sub(2).min(most);
        Some(index)
    }

    /// Run `run` ended (every worker reaped): while `n` is going, its outcome is counted and
    /// the next run asked for.
    pub(super) fn on_run_ended(&mut self, run: RunId) -> Option<Command> {
        let (view, series) = match &mut self.screen {
            Screen::Lesson(screen) => (&mut screen.view, screen.series.as_mut()),
            Screen::Trace(screen) => (&mut screen.view, None),
            Screen::List | Screen::Replay(_) | Screen::Exercise(_) => return None,
        };
        let live = view.run.as_mut().filter(|live| live.id == run)?;
        live.end();
        let finished = live.record.is_finished() && !live.record.stopped;
        let series = series?;
        match observe(&live.record, series.observation).filter(|_| finished) {
            Some(outcome) => series.outcomes.push(outcome),
            None => series.missing += 1,
        }
        if series.done() < series.total && finished {
            return self.start_run();
        }
        None
    }

    /// Time passed: the "now" line of a live run moves, a recording plays on.
    pub(super) fn on_tick(&mut self, at: Instant) {
        match &mut self.screen {
            Screen::Replay(screen) => {
                if let Some(run) = &mut screen.view.run {
                    screen.replay.tick(run, at);
                }
            }
            Screen::Lesson(screen) => tick(&mut screen.view, at),
            Screen::Trace(screen) => tick(&mut screen.view, at),
            Screen::Exercise(screen) => tick(&mut screen.view, at),
            Screen::List => {}
        }
    }
}

fn tick(view: &mut RunView, at: Instant) {
    if let Some(run) = &mut view.run {
        run.tick(at);
    }
}

/// Where a lesson folder's program is, if the lesson came from a folder (`--lessons`): such a
/// program runs only after the learner says yes. A built-in lesson's program ships with proclab.
fn program_path(lesson: &Lesson) -> Option<PathBuf> {
    match &lesson.origin {
        Origin::Folder(folder) => Some(folder.join(&lesson.program_name)),
        _ => None,
    }
}

/// Shows a new traced run of `command` (with where its output goes).
fn show_trace(view: &mut RunView, run: RunId, spec: &TraceSpec, command: &str) {
    let mut live = LiveRun::new(run);
    let into = if spec.pipe { " → pipes" } else { "" };
    live.traced = Some(format!("{command}{into}"));
    view.show(live);
}

/// Pauses or resumes the run on `view`, if it is going on.
fn pause(view: &mut RunView) -> (Option<String>, Option<Command>) {
    let Some(run) = view
        .run
        .as_mut()
        .filter(|run| run.is_live() && !run.record.is_finished())
    else {
        return (Some("Nothing is running: press r to run.".into()), None);
    };
    let (paused, control) = match run.state {
        RunState::Paused => (false, Control::Resume),
        _ => (true, Control::Pause),
    };
    run.set_paused(paused);
    let notice = paused.then(|| {
        "Paused: every worker is stopped (SIGSTOP). A paused run answers no checkpoint: what it shows is no longer the lesson's effect alone.".to_string()
    });
    (notice, Some(Command::Control(control)))
}

/// The slot and PID of the selected worker of the run on `view`, if it is alive; else why not.
fn selected_alive(view: &RunView) -> Result<(usize, u32), String> {
    let slot = view.selected_worker;
    let worker = view
        .running()
        .and_then(|run| run.record.workers.get(slot).filter(|w| w.pid != 0));
    match worker {
        Some(worker) if worker.status == WorkerStatus::Alive => Ok((slot, worker.pid)),
        Some(worker) => Err(format!(
            "Worker {slot} (PID {}) has already ended.",
            worker.pid
        )),
        None => Err(
            "No live worker is selected: run the lesson, then select one with Tab and ↑↓.".into(),
        ),
    }
}
