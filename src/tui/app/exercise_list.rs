//! The exercises tab of the list: every exercise under its lesson, with what the learner has
//! passed; Enter opens one on its watch screen.

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::exercise::all_exercises;
use super::list::Tab;
use super::message::Command;
use super::{App, Exit};
use crate::tui::runtime::keys::Action;
use crate::tui::widgets::exercise_list::ExerciseListPanel;

impl App {
    /// The keys of the exercises tab.
    pub(super) fn exercise_list_action(&mut self, action: Action) -> Option<Command> {
        let count = all_exercises(&self.lessons).count();
        let list = &mut self.list;
        match action {
            Action::Up => list.exercise = list.exercise.saturating_sub(1),
            Action::Down => list.exercise = (list.exercise + 1).min(count.saturating_sub(1)),
            Action::SwitchTab => list.tab = Tab::Lessons,
            Action::Confirm => {
                let id = all_exercises(&self.lessons).nth(list.exercise)?.id.clone();
                return self.open_exercise(&id, true);
            }
            Action::Back => return self.leave(Exit::Quit),
            _ => {}
        }
        None
    }

    /// The exercises tab as drawn.
    pub(crate) fn exercise_list_panel(&self) -> ExerciseListPanel<'_> {
        ExerciseListPanel {
            lessons: &self.lessons,
            selected: self.list.exercise,
            progress: &self.progress,
            dir: &self.setup.exercise_dir,
            theme: &self.theme,
        }
    }

    /// A click or a wheel step on the exercises tab drawn in `body`.
    pub(super) fn exercise_list_mouse(&mut self, mouse: MouseEvent, body: Rect) -> Option<Command> {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.exercise_list_action(Action::Up),
            MouseEventKind::ScrollDown => self.exercise_list_action(Action::Down),
            MouseEventKind::Down(MouseButton::Left) => {
                let position = self.exercise_list_panel().hit(body, mouse.row)?;
                self.list.exercise = position;
                self.exercise_list_action(Action::Confirm)
            }
            _ => None,
        }
    }
}
