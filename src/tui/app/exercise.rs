//! An exercise's watch screen: the learner's file is checked on every save. Each check traces
//! the program (as many runs as the exercise asks for), shows each run live in the run panels,
//! then each check ✓/✗ with the evidence of those runs; hints come one at a time, and when
//! every check passes the exercise is recorded as done and the next one is offered.
//!
//! The model only asks: the runtime follows the file ([`Command::WatchExercise`]), sends its
//! text on every save ([`Message::ExerciseSaved`]), and checks it ([`Command::Judge`]),
//! reporting each run and the verdict ([`Message::Judging`]). A save during a check starts a
//! new one; reports of the old one are recognised by their session and dropped.

use std::path::PathBuf;
use std::time::Instant;

use super::live_run::LiveRun;
use super::message::{Command, RunId};
use super::panes::{Reader, RunView, Text};
use super::{App, Exit, Screen};
use crate::event::Event;
use crate::exercise::{Exercise, Verdict};
use crate::lesson::Lesson;
use crate::tui::runtime::keys::Action;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::{exercise_page, highlight};

/// An exercise and the learner's file, for the runtime: which program to follow or check.
#[derive(Debug, Clone)]
pub struct ExerciseFile {
    /// The exercise.
    pub exercise: Exercise,
    /// The learner's file.
    pub file: PathBuf,
}

impl PartialEq for ExerciseFile {
    /// The same exercise (by id) and the same file.
    fn eq(&self, other: &ExerciseFile) -> bool {
        self.exercise.id == other.exercise.id && self.file == other.file
    }
}

/// What a check of the learner's file reports, in order: each run's start, its events and its
/// end, then the verdict (or why there is none).
#[derive(Debug, Clone)]
pub enum JudgeReport {
    /// A traced run started: run `index` (0-based) of `total`, `label` saying which
    /// (`run 3 of 10`, `under spawn`…).
    RunStarted {
        /// Its position among the check's runs.
        index: usize,
        /// How many runs the check makes.
        total: usize,
        /// What the run is, for the status line.
        label: String,
    },
    /// An event of the run going on, received at `at`.
    Event {
        /// What happened.
        event: Event,
        /// When the UI received it.
        at: Instant,
    },
    /// The run going on ended: every process of it is reaped.
    RunEnded,
    /// Every run is done: the verdict.
    Verdict(Box<Verdict>),
    /// The file could not be checked (the message says why and what to do).
    Failed(String),
}

/// Where the check of the learner's file stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Checking {
    /// The file has not been read yet.
    Waiting,
    /// A check is under way: run `run` (1-based) of `runs`, `label` saying which.
    Running {
        /// The run going on, 1-based (0 before the first starts).
        run: usize,
        /// How many runs the check makes.
        runs: usize,
        /// What the run is.
        label: String,
    },
    /// The last check ended with the verdict shown.
    Judged,
    /// The file could not be checked: why.
    Failed(String),
}

/// What the reading pane of the watch screen shows: the exercise, how its checks stand, the
/// hints shown so far.
#[derive(Debug, Clone)]
pub struct ExercisePage {
    /// The exercise.
    pub exercise: Exercise,
    /// The learner's file.
    pub file: PathBuf,
    /// Where the check stands.
    pub checking: Checking,
    /// The verdict of the last check that ended (kept on screen while the next one runs).
    pub verdict: Option<Verdict>,
    /// How many hints are shown.
    pub hints_shown: usize,
    /// The next exercise, if there is one: its id and title.
    pub next: Option<(String, String)>,
}

impl ExercisePage {
    /// Whether the last verdict passed every check.
    pub fn passed(&self) -> bool {
        self.verdict.as_ref().is_some_and(|verdict| verdict.passed)
    }
}

/// The watch screen of an exercise.
#[derive(Debug, Clone)]
pub struct ExerciseScreen {
    /// The exercise and how its checks stand.
    pub page: ExercisePage,
    /// The reading pane (the exercise, or the learner's program with `v`).
    pub reader: Reader,
    /// The run panels: the run going on, or the last one.
    pub view: RunView,
    /// The check under way or last asked for: reports of any other are dropped.
    pub session: Option<RunId>,
    /// Opened from the exercise list (`q` goes back to it), not by `proclab exercise`.
    pub from_list: bool,
}

impl ExerciseScreen {
    /// The screen of `exercise` following `file`, before the file is read.
    pub(crate) fn new(
        exercise: Exercise,
        file: PathBuf,
        next: Option<(String, String)>,
        theme: &Theme,
    ) -> ExerciseScreen {
        let reader = Reader::new(1, "", theme);
        let view = RunView {
            wide_reading: true,
            ..RunView::default()
        };
        ExerciseScreen {
            page: ExercisePage {
                exercise,
                file,
                checking: Checking::Waiting,
                verdict: None,
                hints_shown: 0,
                next,
            },
            reader,
            view,
            session: None,
            from_list: false,
        }
    }

    /// The text of the reading pane.
    pub(crate) fn text(&self) -> Text<'_> {
        Text::Exercise(&self.page)
    }

    /// What the runtime follows and checks.
    fn file(&self) -> ExerciseFile {
        ExerciseFile {
            exercise: self.page.exercise.clone(),
            file: self.page.file.clone(),
        }
    }
}

/// Every exercise of `lessons`, in the catalog's order: lesson by lesson, each lesson's in order.
pub(crate) fn all_exercises(lessons: &[Lesson]) -> impl Iterator<Item = &Exercise> {
    lessons.iter().flat_map(|lesson| lesson.exercises.iter())
}

/// Exercise `id`'s number (1-based, 0 if it is not there) and how many there are, in
/// [`all_exercises`]'s order.
pub(crate) fn exercise_number(lessons: &[Lesson], id: &str) -> (usize, usize) {
    let ids: Vec<&str> = all_exercises(lessons).map(|e| e.id.as_str()).collect();
    let number = ids
        .iter()
        .position(|&known| known == id)
        .map_or(0, |i| i + 1);
    (number, ids.len())
}

impl App {
    /// Opens the watch screen of exercise `id`, its file in the workspace folder (`--dir`);
    /// asks the runtime to write the starting program there unless the file exists, and to
    /// follow it. `None` if there is no such exercise.
    pub(crate) fn open_exercise(&mut self, id: &str, from_list: bool) -> Option<Command> {
        let exercises: Vec<&Exercise> = all_exercises(&self.lessons).collect();
        let position = exercises.iter().position(|e| e.id == id)?;
        let exercise = exercises[position].clone();
        let next = exercises
            .get(position + 1)
            .map(|next| (next.id.clone(), next.title.clone()));
        let file = exercise.workspace_file(&self.setup.exercise_dir);
        let mut screen = ExerciseScreen::new(exercise, file, next, &self.theme);
        screen.from_list = from_list;
        let watch = screen.file();
        self.screen = Screen::Exercise(Box::new(screen));
        Some(Command::WatchExercise(Some(Box::new(watch))))
    }

    /// The keys of the watch screen.
    pub(super) fn exercise_action(&mut self, action: Action) -> Option<Command> {
        let Screen::Exercise(screen) = &mut self.screen else {
            return None;
        };
        match action {
            Action::Back if screen.from_list => {
                self.screen = Screen::List;
                Some(Command::WatchExercise(None))
            }
            // Opened by `proclab exercise`: leaving the screen leaves proclab.
            Action::Back => self.leave(Exit::Quit),
            Action::Hint => {
                let page = &mut screen.page;
                if page.exercise.hints.is_empty() {
                    self.notice = Some("This exercise has no hints.".into());
                } else if page.hints_shown == page.exercise.hints.len() {
                    self.notice = Some("Every hint is shown.".into());
                } else {
                    page.hints_shown += 1;
                    self.show_last_hint();
                }
                None
            }
            Action::Run => self.judge_exercise(),
            Action::NextExercise => {
                let Some((id, _)) = screen.page.next.clone() else {
                    self.notice = Some("This is the last exercise.".into());
                    return None;
                };
                let from_list = screen.from_list;
                self.open_exercise(&id, from_list)
            }
            _ => {
                self.panes()?.act(action);
                None
            }
        }
    }

    /// Scrolls the exercise so that the hint just shown is in view.
    fn show_last_hint(&mut self) {
        let Some(panes) = self.panes() else { return };
        let (Text::Exercise(page), area) = (panes.text, panes.areas.reading) else {
            return;
        };
        let width = super::panes::reading_width(area);
        let Some(rows) = exercise_page::last_hint_rows(page, width, &panes.theme) else {
            return;
        };
        // The pane's first row is its title.
        let shown = area.height.saturating_sub(1) as usize;
        let reader = panes.reader;
        reader.showing = super::panes::Reading::Narrative;
        reader.scroll = reader
            .scroll
            .max(rows.end.saturating_sub(shown))
            .min(rows.start);
    }

    /// The learner's file was saved (or read for the first time): its text, or why it could
    /// not be read. The program pane shows it, and it is checked again (a check under way is
    /// stopped).
    pub(crate) fn on_exercise_saved(&mut self, saved: Result<String, String>) -> Option<Command> {
        let theme = self.theme;
        let Screen::Exercise(screen) = &mut self.screen else {
            return None;
        };
        match saved {
            Ok(text) => {
                screen.reader.program = highlight::python(&text, &theme);
                screen.reader.program_scroll = 0;
                self.judge_exercise()
            }
            Err(why) => {
                screen.page.checking = Checking::Failed(why);
                screen.session = None;
                Some(Command::Stop)
            }
        }
    }

    /// Asks for a check of the learner's file as a new session.
    fn judge_exercise(&mut self) -> Option<Command> {
        let session = self.take_run_id();
        let Screen::Exercise(screen) = &mut self.screen else {
            return None;
        };
        screen.session = Some(session);
        screen.page.checking = Checking::Running {
            run: 0,
            runs: screen.page.exercise.runs as usize,
            label: String::new(),
        };
        Some(Command::Judge {
            session,
            target: Box::new(screen.file()),
        })
    }

    /// A report of check `session`: a run starts (it is shown live), an event of it, its end,
    /// or the verdict (every check passed: the exercise is done).
    pub(crate) fn on_judging(&mut self, session: RunId, report: JudgeReport) {
        let run = match &report {
            JudgeReport::RunStarted { .. } => Some(self.take_run_id()),
            _ => None,
        };
        let Screen::Exercise(screen) = &mut self.screen else {
            return;
        };
        if screen.session != Some(session) {
            return;
        }
        match report {
            JudgeReport::RunStarted {
                index,
                total,
                label,
            } => {
                let mut live = LiveRun::new(run.expect("a number for the run"));
                let which = format!("run {} of {total}", index + 1);
                live.traced = Some(match label.as_str() {
                    "" => which,
                    label => format!("{which}, {label}"),
                });
                screen.view.show(live);
                screen.page.checking = Checking::Running {
                    run: index + 1,
                    runs: total,
                    label,
                };
            }
            JudgeReport::Event { event, at } => {
                if let Some(live) = &mut screen.view.run {
                    live.push(event, at);
                }
            }
            JudgeReport::RunEnded => {
                if let Some(live) = &mut screen.view.run {
                    live.end();
                }
            }
            // Stopped before every run was made: nothing to judge by (a newer check follows).
            JudgeReport::Verdict(verdict) if verdict.interrupted => {}
            JudgeReport::Verdict(verdict) => {
                screen.page.checking = Checking::Judged;
                screen.session = None;
                if verdict.passed {
                    self.progress.exercise_passed(&screen.page.exercise.id);
                }
                screen.page.verdict = Some(*verdict);
            }
            JudgeReport::Failed(why) => {
                screen.page.checking = Checking::Failed(why);
                screen.session = None;
            }
        }
    }
}
