//! A lesson screen: the lesson, the learner's answers to its checkpoints, the open dialog, many
//! runs in a row (`n`), what the next run looks like, and what the lesson's keys do.

use super::checkpoints::{AnswerDraft, CheckpointState, choice_of_letter};
use super::knobs::{self, KnobRow};
use super::live_run::Series;
use super::message::Command;
use super::panes::{Reader, RunView, Text};
use super::{App, Screen};
use crate::engine::RunOptions;
use crate::lesson::Lesson;
use crate::lesson::model::AnswerKind;
use crate::tui::runtime::keys::Action;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::narrative;

/// A dialog over the lesson screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Answering a checkpoint.
    Answer(AnswerDraft),
    /// Changing the speed and the lesson's knobs; row 0 is the speed, row `i` knob `i - 1`.
    Knobs {
        /// The selected row.
        selected: usize,
    },
}

/// One open lesson.
#[derive(Debug, Clone)]
pub struct LessonScreen {
    /// The lesson (a `--watch` reload replaces it).
    pub lesson: Lesson,
    /// The learner's standing with each checkpoint, in the lesson's order.
    pub checkpoints: Vec<CheckpointState>,
    /// The reading pane.
    pub reader: Reader,
    /// The run panels.
    pub view: RunView,
    /// The open dialog.
    pub dialog: Option<Dialog>,
    /// Many runs in a row, while `n` is going.
    pub series: Option<Series>,
    /// What the next run looks like, worked out again only when the lesson or the options change.
    pub(crate) next_run: NextRun,
}

/// What a key typed into the answer dialog did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Typed {
    /// It went into the answer being typed.
    Text,
    /// It picked a choice, which is the answer.
    Chosen,
}

impl LessonScreen {
    /// Opens `lesson` at its first page.
    pub(crate) fn new(lesson: Lesson, theme: &Theme) -> LessonScreen {
        let checkpoints = vec![CheckpointState::default(); lesson.checkpoints.len()];
        let reader = Reader::new(lesson.pages().len(), &lesson.program, theme);
        LessonScreen {
            lesson,
            checkpoints,
            reader,
            view: RunView::default(),
            dialog: None,
            series: None,
            next_run: NextRun::default(),
        }
    }

    /// What the reading pane reads from.
    pub(crate) fn text(&self) -> Text<'_> {
        Text::Lesson {
            lesson: &self.lesson,
            checkpoints: &self.checkpoints,
            answerable: true,
        }
    }

    /// The checkpoints the current page asks, as indices into the lesson's.
    pub(crate) fn page_checkpoints(&self) -> Vec<usize> {
        narrative::page_checkpoints(&self.lesson, self.reader.page)
    }

    /// The answer dialog for this page's first unanswered checkpoint (or its first), or why
    /// there is none.
    fn open_answer(&mut self) -> Result<(), String> {
        let on_page = self.page_checkpoints();
        let first = on_page
            .iter()
            .copied()
            .find(|&i| self.checkpoints[i].prediction.is_none())
            .or(on_page.first().copied())
            .ok_or("This page asks no question; checkpoints are marked ▶ in the text.")?;
        self.dialog = Some(Dialog::Answer(self.draft(first)));
        Ok(())
    }

    fn draft(&self, index: usize) -> AnswerDraft {
        AnswerDraft::new(
            index,
            &self.lesson.checkpoints[index],
            &self.checkpoints[index],
        )
    }

    /// Reveals the next hint of this page's checkpoints; `false` when none is left.
    fn reveal_hint(&mut self) -> bool {
        let lesson = &self.lesson;
        self.page_checkpoints()
            .iter()
            .any(|&i| self.checkpoints[i].reveal_hint(&lesson.checkpoints[i]))
    }

    /// A character typed into the answer dialog; `None` when it is not part of an answer.
    pub(crate) fn type_answer(&mut self, c: char) -> Option<Typed> {
        let Some(Dialog::Answer(draft)) = &mut self.dialog else {
            return None;
        };
        let checkpoint = self.lesson.checkpoints.get(draft.checkpoint)?;
        match checkpoint.answer_kind {
            AnswerKind::Choice => {
                draft.choice = choice_of_letter(c, checkpoint.choices.len())?;
                Some(Typed::Chosen)
            }
            kind => draft.type_char(kind, c).then_some(Typed::Text),
        }
    }
}

impl App {
    /// The keys of a lesson screen (no dialog open).
    pub(super) fn lesson_action(&mut self, action: Action) -> Option<Command> {
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        match action {
            Action::Back if screen.reader.notes.is_some() => screen.reader.notes = None,
            Action::Back => {
                let live = screen.view.run.as_ref().is_some_and(|run| run.is_live());
                let id = screen.lesson.id.clone();
                let setup = &mut self.setup;
                setup.per_lesson.insert(id, setup.options.clone());
                self.screen = Screen::List;
                return live.then_some(Command::Stop);
            }
            Action::Answer => self.notice = screen.open_answer().err(),
            Action::Hint => {
                if !screen.reveal_hint() {
                    self.notice = Some("No more hints on this page.".into());
                }
            }
            Action::Run => {
                screen.series = None;
                return self.start_run();
            }
            Action::Repeat => {
                screen.series = Some(Series::of(&screen.lesson));
                return self.start_run();
            }
            Action::TracePython | Action::TracePythonPiped => {
                return self.ask_to_trace_program(action == Action::TracePythonPiped);
            }
            Action::Pause | Action::Kill => return self.control_run(action),
            Action::Faster | Action::Slower => self.change_speed(action == Action::Faster),
            Action::MoreWorkers | Action::FewerWorkers => {
                self.change_workers(action == Action::MoreWorkers);
            }
            Action::Knobs => screen.dialog = Some(Dialog::Knobs { selected: 0 }),
            Action::Record => return self.save_run(),
            _ => {
                self.panes()?.act(action);
            }
        }
        None
    }

    /// `+` / `-`: the next run's speed.
    fn change_speed(&mut self, faster: bool) {
        let options = &mut self.setup.options;
        options.speed = knobs::step_speed(options.speed, faster);
        self.notice = Some(format!("The next run goes at speed ×{}.", options.speed));
    }

    /// `w` / `W`: one worker more or fewer in the next run, where the lesson lets it vary.
    fn change_workers(&mut self, more: bool) {
        let Screen::Lesson(screen) = &self.screen else {
            return;
        };
        let (lesson, setup) = (&screen.lesson, &mut self.setup);
        self.notice = Some(
            if knobs::step_workers(lesson, &mut setup.options, setup.cores, more) {
                let workers =
                    knobs::planned_workers(lesson, &setup.options, setup.cores).unwrap_or(0);
                let plural = if workers == 1 { "" } else { "s" };
                format!("The next run starts {workers} worker{plural}.")
            } else {
                "This lesson starts one process per task: its worker count is fixed.".into()
            },
        );
    }

    /// The keys of the answer dialog.
    pub(super) fn answer_action(&mut self, action: Action) -> Option<Command> {
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        let Some(Dialog::Answer(draft)) = &mut screen.dialog else {
            return None;
        };
        let index = draft.checkpoint;
        let checkpoint = &screen.lesson.checkpoints[index];
        match action {
            Action::Up => draft.choice = draft.choice.saturating_sub(1),
            Action::Down => {
                draft.choice = (draft.choice + 1).min(checkpoint.choices.len().saturating_sub(1))
            }
            Action::Hint => {
                screen.checkpoints[index].reveal_hint(checkpoint);
            }
            Action::Back => screen.dialog = None,
            Action::Erase => {
                draft.text.pop();
            }
            Action::Confirm => return self.confirm_answer(),
            _ => {}
        }
        None
    }

    /// Keeps the dialog's answer and moves on to the page's next unanswered checkpoint.
    pub(super) fn confirm_answer(&mut self) -> Option<Command> {
        let next_run = self.setup.next_run;
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        let Some(Dialog::Answer(draft)) = &screen.dialog else {
            return None;
        };
        let index = draft.checkpoint;
        let Some(answer) = draft.answer(&screen.lesson.checkpoints[index]) else {
            self.notice = Some("Type an answer first.".into());
            return None;
        };
        screen.checkpoints[index].predict(answer, next_run);
        let next = screen
            .page_checkpoints()
            .into_iter()
            .find(|&i| i != index && screen.checkpoints[i].prediction.is_none());
        screen.dialog = next.map(|i| Dialog::Answer(screen.draft(i)));
        if next.is_none() {
            self.notice = Some("Answer kept. Press r to run and see what really happens.".into());
        }
        None
    }

    /// The keys of the knobs dialog.
    pub(super) fn knobs_action(&mut self, action: Action) -> Option<Command> {
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        let Some(Dialog::Knobs { selected }) = &mut screen.dialog else {
            return None;
        };
        let rows = screen.lesson.knobs.len() + 1;
        let row = *selected;
        let setup = &mut self.setup;
        let options = &mut setup.options;
        match (action, row) {
            (Action::Up, _) => *selected = row.saturating_sub(1),
            (Action::Down, _) => *selected = (row + 1).min(rows - 1),
            (Action::Back, _) => screen.dialog = None,
            (Action::Run, _) => {
                screen.dialog = None;
                screen.series = None;
                return self.start_run();
            }
            (Action::Reset, 0) => options.speed = setup.start_options.speed,
            (Action::Faster | Action::Slower, 0) => {
                options.speed = knobs::step_speed(options.speed, action == Action::Faster)
            }
            (Action::Reset, _) => knobs::reset_knob(&screen.lesson, options, row - 1),
            (Action::Faster | Action::Slower, _) => {
                let up = action == Action::Faster;
                knobs::step_knob(&screen.lesson, options, setup.cores, row - 1, up)
            }
            _ => {}
        }
        None
    }
}

/// What the next run of a lesson looks like (its first stage's worker count and its knobs),
/// worked out again only when the lesson, the options or the core count change: making a plan
/// builds every task, which for a lesson of 100,000 items is too much to do for every frame.
#[derive(Debug, Default, Clone)]
pub(crate) struct NextRun {
    /// What it was worked out for.
    key: Option<(String, RunOptions, u32)>,
    /// Workers of the first stage, if the lesson can be planned.
    pub(crate) workers: Option<u32>,
    /// Every knob with the value the next run uses.
    pub(crate) rows: Vec<KnobRow>,
}

impl NextRun {
    /// Works the next run of `lesson` with `options` out again, if either changed.
    pub(crate) fn refresh(&mut self, lesson: &Lesson, options: &RunOptions, cores: u32) {
        let same = |(id, known, known_cores): &(String, RunOptions, u32)| {
            *id == lesson.id && known == options && *known_cores == cores
        };
        if self.key.as_ref().is_some_and(same) {
            return;
        }
        self.workers = knobs::planned_workers(lesson, options, cores);
        self.rows = knobs::rows(lesson, options, cores);
        self.key = Some((lesson.id.clone(), options.clone(), cores));
    }
}
