//! Where the learner is and how they move by number: resuming saved progress, noting the
//! lesson and page for the next start, jumping to lesson N or page p by typing digits and
//! Enter, resetting progress behind a y/n question, and projector mode on and off.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Screen};
use crate::progress::{Place, Progress};
use crate::tui::app::message::Command;
use crate::tui::runtime::keys::Context;
use crate::tui::widgets::layout;
use crate::tui::widgets::projector;

/// Most digits a jump takes.
const JUMP_DIGITS: usize = 3;

/// What a reset forgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetScope {
    /// One lesson (its index in the catalog).
    Lesson(usize),
    /// Every lesson.
    All,
}

impl App {
    /// Takes in the progress saved by an earlier proclab: the list's cursor goes to the lesson
    /// the learner was on last, and an open lesson to its last page. `notice` (about the
    /// saved file) is shown until the next key.
    pub fn resume(&mut self, progress: Progress, notice: Option<String>) {
        self.progress = progress;
        self.notice = notice;
        match &self.screen {
            Screen::Lesson(_) => self.resume_page(),
            Screen::List => {
                let last = self.progress.last.as_ref().map(|l| l.lesson.clone());
                let visible = self.list.visible(&self.lessons);
                if let Some(position) =
                    last.and_then(|id| visible.iter().position(|&i| self.lessons[i].id == id))
                {
                    self.list.selected = position;
                }
            }
        }
        self.note_place();
    }

    /// Takes the open lesson to the page the learner left it on, says so, and notes the place.
    pub(super) fn resume_page(&mut self) {
        let Screen::Lesson(screen) = &mut self.screen else {
            return;
        };
        self.progress.visit(&screen.lesson.id);
        let page = self.progress.of(&screen.lesson.id).last_page;
        screen.projector = self.projector;
        if page > 0 && page < screen.pages {
            screen.go_to_page(page);
            screen.notice = Some(format!("page {} of {} — resumed", page + 1, screen.pages));
        }
        self.note_place();
    }

    /// Notes the open lesson's page as the place to come back to.
    pub(super) fn note_place(&mut self) {
        let Screen::Lesson(screen) = &self.screen else {
            return;
        };
        let here = Place {
            lesson: screen.lesson.id.clone(),
            page: screen.page,
        };
        if self.progress.last.as_ref() != Some(&here) {
            self.progress.place(&here.lesson, here.page);
        }
    }

    /// The screen's frame: the usual one, or projector mode's with room for the big title.
    pub fn screen_areas(&self) -> layout::Screen {
        if self.projector {
            projector::frame(self).screen
        } else {
            layout::screen(self.area)
        }
    }

    /// Projector mode on or off.
    pub(super) fn toggle_projector(&mut self) {
        self.projector = !self.projector;
        let projector = self.projector;
        if let Screen::Lesson(screen) = &mut self.screen {
            screen.projector = projector;
        }
        self.clamp_scrolls();
    }

    /// The one line above the key bar: a question waiting for y/n, the number being typed, the
    /// lesson's notice, or proclab's own.
    pub fn status_line(&self) -> Option<String> {
        if let Some(scope) = &self.confirm {
            let what = match scope {
                ResetScope::Lesson(index) => self.lessons[*index].title.clone(),
                ResetScope::All => format!("all {} lessons", self.lessons.len()),
            };
            return Some(format!("Reset progress of {what}? y/n"));
        }
        if let Some(digits) = &self.jump {
            let target = match self.screen {
                Screen::List => "lesson",
                Screen::Lesson(_) => "page",
            };
            return Some(format!(
                "go to {target} {digits}_   (Enter goes, Esc cancels)"
            ));
        }
        self.lesson_screen()
            .and_then(|s| s.notice.clone())
            .or_else(|| self.notice.clone())
    }

    /// Asks whether to forget the progress of the selected lesson, or of all.
    pub(super) fn ask_reset(&mut self, all: bool) {
        let visible = self.list.visible(&self.lessons);
        self.confirm = if all {
            Some(ResetScope::All)
        } else {
            visible
                .get(self.list.selected)
                .map(|&i| ResetScope::Lesson(i))
        };
    }

    /// The answer to a reset question: only `y` resets. Returns whether a question was open.
    pub(super) fn answer_reset(&mut self, key: &KeyEvent) -> bool {
        let Some(scope) = self.confirm.take() else {
            return false;
        };
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            // Ctrl-C and the like keep their meaning; the question is dropped.
            return false;
        }
        if key.code != KeyCode::Char('y')
            || !key.modifiers.difference(KeyModifiers::SHIFT).is_empty()
        {
            self.notice = Some("Nothing was reset.".into());
            return true;
        }
        self.notice = Some(match scope {
            ResetScope::Lesson(index) => {
                let lesson = &self.lessons[index];
                self.progress.reset(&lesson.id);
                format!("Progress of {} reset.", lesson.title)
            }
            ResetScope::All => {
                self.progress = Progress::default();
                format!("Progress of all {} lessons reset.", self.lessons.len())
            }
        });
        true
    }

    /// Digits typed on the list or a lesson: Enter jumps to that lesson or page, Esc cancels,
    /// any other key cancels and does what it does. `Some` when the key was taken.
    pub(super) fn jump_key(&mut self, context: Context, key: &KeyEvent) -> Option<Option<Command>> {
        if !matches!(context, Context::List | Context::Lesson)
            || key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        match key.code {
            KeyCode::Char(c) if c.is_ascii_digit() => {
                let digits = self.jump.get_or_insert_with(String::new);
                if digits.len() < JUMP_DIGITS {
                    digits.push(c);
                }
                Some(None)
            }
            KeyCode::Backspace if self.jump.is_some() => {
                if let Some(digits) = &mut self.jump {
                    digits.pop();
                }
                self.jump.take_if(|digits| digits.is_empty());
                Some(None)
            }
            KeyCode::Esc if self.jump.is_some() => {
                self.jump = None;
                Some(None)
            }
            KeyCode::Enter if self.jump.is_some() => {
                let number = self.jump.take()?.parse().unwrap_or(0);
                Some(self.jump_to(number))
            }
            _ => {
                self.jump = None;
                None
            }
        }
    }

    /// Opens lesson `number` (1-based, as the list numbers them), or goes to page `number` of
    /// the open lesson.
    fn jump_to(&mut self, number: usize) -> Option<Command> {
        let lessons = self.lessons.len();
        match &mut self.screen {
            Screen::List => {
                if !(1..=lessons).contains(&number) {
                    self.notice = Some(format!(
                        "There is no lesson {number}: they are numbered 1 to {lessons}."
                    ));
                    return None;
                }
                let index = number - 1;
                if !self.list.visible(&self.lessons).contains(&index) {
                    self.list.filter.clear();
                }
                self.list.filtering = false;
                self.list.selected = self
                    .list
                    .visible(&self.lessons)
                    .iter()
                    .position(|&i| i == index)
                    .unwrap_or(0);
                self.open_lesson(index);
            }
            Screen::Lesson(screen) => {
                if (1..=screen.pages).contains(&number) {
                    screen.go_to_page(number - 1);
                    screen.notice = None;
                } else {
                    screen.notice = Some(format!(
                        "There is no page {number}: this lesson has {} page{}.",
                        screen.pages,
                        if screen.pages == 1 { "" } else { "s" }
                    ));
                }
            }
        }
        None
    }
}
