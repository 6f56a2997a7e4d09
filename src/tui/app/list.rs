//! The lesson list: the selection, the filter, and what its keys and clicks do.

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::message::Command;
use super::{App, Exit};
use crate::lesson::Lesson;
use crate::tui::runtime::keys::Action;
use crate::tui::widgets::lesson_list::LessonListPanel;

/// Which list is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tab {
    /// The lessons.
    #[default]
    Lessons,
    /// The exercises, grouped under their lessons.
    Exercises,
}

/// The lesson list's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    /// The list shown.
    pub tab: Tab,
    /// Position of the selected exercise among all exercises.
    pub exercise: usize,
    /// Position of the selection among the lessons that match the filter.
    pub selected: usize,
    /// The filter text.
    pub filter: String,
    /// Whether keys go into the filter.
    pub filtering: bool,
}

impl ListState {
    /// Indices of the lessons that match the filter (id, title or summary, any case).
    pub fn visible(&self, lessons: &[Lesson]) -> Vec<usize> {
        let filter = self.filter.to_lowercase();
        lessons
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                filter.is_empty()
                    || [&l.id, &l.title, &l.summary]
                        .iter()
                        .any(|text| text.to_lowercase().contains(&filter))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// A character typed into the filter.
    pub(crate) fn type_filter(&mut self, c: char) {
        self.filter.push(c);
        self.selected = 0;
    }
}

impl App {
    pub(super) fn list_action(&mut self, action: Action) -> Option<Command> {
        let visible = self.list.visible(&self.lessons);
        let list = &mut self.list;
        match action {
            Action::Up => list.selected = list.selected.saturating_sub(1),
            Action::Down => {
                list.selected = (list.selected + 1).min(visible.len().saturating_sub(1))
            }
            Action::Confirm => {
                list.filtering = false;
                if let Some(&index) = visible.get(list.selected) {
                    self.open_lesson(index);
                }
            }
            Action::Filter => list.filtering = true,
            Action::SwitchTab => {
                list.filtering = false;
                list.tab = Tab::Exercises;
            }
            Action::Erase => {
                list.filter.pop();
                list.selected = 0;
            }
            Action::ResetLesson | Action::ResetAll => self.ask_reset(action == Action::ResetAll),
            Action::Back if list.filtering || !list.filter.is_empty() => {
                list.filtering = false;
                list.filter.clear();
                list.selected = 0;
            }
            Action::Back => return self.leave(Exit::Quit),
            _ => {}
        }
        None
    }

    /// The list panel as drawn, showing the lessons `visible`.
    pub(crate) fn list_panel<'a>(&'a self, visible: &'a [usize]) -> LessonListPanel<'a> {
        LessonListPanel {
            lessons: &self.lessons,
            visible,
            selected: self.list.selected,
            progress: &self.progress,
            filter: &self.list.filter,
            filtering: self.list.filtering,
            theme: &self.theme,
        }
    }

    pub(super) fn list_mouse(&mut self, mouse: MouseEvent, body: Rect) -> Option<Command> {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.list_action(Action::Up),
            MouseEventKind::ScrollDown => self.list_action(Action::Down),
            MouseEventKind::Down(MouseButton::Left) => {
                let visible = self.list.visible(&self.lessons);
                let position = self
                    .list_panel(&visible)
                    .hit(body, mouse.column, mouse.row)?;
                self.list.selected = position;
                self.list_action(Action::Confirm)
            }
            _ => None,
        }
    }
}
