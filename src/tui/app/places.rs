//! Where the learner is and how they move by number: resuming saved progress, noting the
//! lesson and page for the next start, jumping to lesson N or page p by typing digits and
//! Enter, the y/n questions on the status line (resetting progress, running a lesson folder's
//! program), and projector mode on and off.

use std::path::PathBuf;

use super::message::Command;
use super::{App, Screen};
use crate::progress::{Place, Progress};
use crate::tui::runtime::keys::Action;
use crate::tui::widgets::{layout, projector};

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

/// A question or a number on the status line, which takes the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Digits typed to go to a lesson (list) or a page (lesson), until Enter.
    Jump(String),
    /// Forget progress? Only `y` does.
    Reset(ResetScope),
    /// Run a lesson folder's program (`p`, or `P` into `pipe`s)? Only `y` does.
    RunProgram {
        /// The program's file in the lesson's folder.
        path: PathBuf,
        /// Into pipes (`P`) rather than a terminal.
        pipe: bool,
    },
    /// Show the instructor notes on a projected screen (`i` in projector mode)? Only `y` does.
    ShowNotes,
    /// Kill this worker with SIGKILL (`K`)? Only `y` does.
    Kill {
        /// Its slot.
        slot: usize,
        /// Its PID when the question was asked.
        pid: u32,
    },
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
            Screen::Trace(_) | Screen::Replay(_) | Screen::Exercise(_) => {}
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
        let reader = &mut screen.reader;
        if page > 0 && page < reader.pages {
            reader.go_to_page(page);
            self.notice = Some(format!("page {} of {} — resumed", page + 1, reader.pages));
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
            page: screen.reader.page,
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
        self.clamp_scrolls();
    }

    /// The one line above the key bar: a question waiting for y/n, the number being typed, or
    /// the notice.
    pub fn status_line(&self) -> Option<String> {
        match &self.prompt {
            Some(Prompt::Reset(scope)) => {
                let what = match scope {
                    ResetScope::Lesson(index) => self.lessons[*index].title.clone(),
                    ResetScope::All => format!("all {} lessons", self.lessons.len()),
                };
                Some(format!("Reset progress of {what}? y/n"))
            }
            Some(Prompt::Jump(digits)) => {
                let target = match self.screen {
                    Screen::List => "lesson",
                    _ => "page",
                };
                Some(format!(
                    "go to {target} {digits}_   (Enter goes, Esc cancels)"
                ))
            }
            Some(Prompt::RunProgram { path, .. }) => Some(format!(
                "Run this lesson folder's program with python3? y/n   {}   (it runs as you, with your files)",
                path.display()
            )),
            Some(Prompt::Kill { slot, pid }) => {
                Some(format!("Kill worker {slot} (PID {pid}) with SIGKILL? y/n"))
            }
            Some(Prompt::ShowNotes) => Some(
                "Show the instructor notes on this projected screen? They give the answers away. y/n   (proclab notes in a second terminal keeps them on your laptop)"
                    .into(),
            ),
            None => self.notice.clone(),
        }
    }

    /// Asks whether to forget the progress of the selected lesson, or of all.
    pub(super) fn ask_reset(&mut self, all: bool) {
        let visible = self.list.visible(&self.lessons);
        let scope = if all {
            Some(ResetScope::All)
        } else {
            visible
                .get(self.list.selected)
                .map(|&i| ResetScope::Lesson(i))
        };
        self.prompt = scope.map(Prompt::Reset);
    }

    /// The answer to the y/n question on the status line: `yes` only for `y`.
    pub(super) fn answer_prompt(&mut self, yes: bool) -> Option<Command> {
        match self.prompt.take()? {
            Prompt::Reset(_) if !yes => self.notice = Some("Nothing was reset.".into()),
            Prompt::Reset(scope) => self.reset(scope),
            Prompt::RunProgram { .. } if !yes => {
                self.notice = Some("The program was not run.".into())
            }
            Prompt::RunProgram { path, pipe } => {
                self.setup.allowed_programs.push(path);
                return self.trace_program(pipe);
            }
            Prompt::Kill { slot, pid } if !yes => {
                self.notice = Some(format!("Worker {slot} (PID {pid}) was left running."));
            }
            Prompt::Kill { slot, pid } => return self.kill_worker(slot, pid),
            Prompt::ShowNotes if !yes => {
                self.notice = Some(
                    "The notes stay hidden. proclab notes shows them in another terminal.".into(),
                )
            }
            Prompt::ShowNotes => {
                self.panes()?.act(Action::Notes);
            }
            Prompt::Jump(_) => {}
        }
        None
    }

    fn reset(&mut self, scope: ResetScope) {
        self.notice = Some(match scope {
            ResetScope::Lesson(index) => {
                let lesson = &self.lessons[index];
                self.progress.reset(&lesson.id);
                for exercise in &lesson.exercises {
                    self.progress.exercises_passed.remove(&exercise.id);
                }
                format!("Progress of {} reset.", lesson.title)
            }
            ResetScope::All => {
                self.progress = Progress::default();
                format!("Progress of all {} lessons reset.", self.lessons.len())
            }
        });
    }

    /// A digit typed on the list or a lesson: starts or extends the number to go to.
    pub(super) fn type_digit(&mut self, c: char) {
        if let Prompt::Jump(digits) = self
            .prompt
            .get_or_insert_with(|| Prompt::Jump(String::new()))
            && digits.len() < JUMP_DIGITS
        {
            digits.push(c);
        }
    }

    /// The keys of a number being typed: Enter goes there, Backspace takes back a digit, Esc
    /// cancels.
    pub(super) fn number_action(&mut self, action: Action) -> Option<Command> {
        let Some(Prompt::Jump(digits)) = &mut self.prompt else {
            return None;
        };
        match action {
            Action::Erase => {
                digits.pop();
                if digits.is_empty() {
                    self.prompt = None;
                }
            }
            Action::Confirm => {
                let number = digits.parse().unwrap_or(0);
                self.prompt = None;
                return self.jump_to(number);
            }
            _ => self.prompt = None,
        }
        None
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
                let pages = screen.reader.pages;
                if (1..=pages).contains(&number) {
                    screen.reader.go_to_page(number - 1);
                } else {
                    self.notice = Some(format!(
                        "There is no page {number}: this lesson has {pages} page{}.",
                        if pages == 1 { "" } else { "s" }
                    ));
                }
            }
            Screen::Trace(_) | Screen::Replay(_) | Screen::Exercise(_) => {}
        }
        None
    }
}
