//! `proclab notes [id]` in a terminal: a small window for the instructor with the notes of a
//! lesson and of one page, ←/→ to change page, and (unless `--no-follow`) following the page the
//! lesson screen shows, read from the progress file whenever it changes.

use ratatui::crossterm::event::{KeyEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::Exit;
use super::message::Message;
use super::panes::WHEEL_ROWS;
use crate::lesson::Lesson;
use crate::progress::Place;
use crate::tui::runtime::keys::{self, Action, Context};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout;
use crate::tui::widgets::notes_panel::max_scroll;

/// The notes window's model.
#[derive(Debug, Clone)]
pub(crate) struct NotesWindow {
    /// Every lesson.
    pub(crate) lessons: Vec<Lesson>,
    /// The lesson asked for on the command line; `None` follows whatever is shown.
    pub(crate) fixed: Option<String>,
    /// The lesson shown, as an index into `lessons`.
    pub(crate) lesson: Option<usize>,
    /// Its page, 0-based.
    pub(crate) page: usize,
    /// Rows of notes scrolled off the top.
    pub(crate) scroll: usize,
    /// Whether pages follow the lesson screen; `Err` says why they cannot.
    pub(crate) follow: Result<(), String>,
    /// The terminal's size.
    pub(crate) area: Rect,
    /// Colours or not.
    pub(crate) theme: Theme,
    /// Set once the window should close.
    pub(crate) exit: Option<Exit>,
}

impl NotesWindow {
    /// A window on lesson `id` (which must be in `lessons`) at its first page, or with no
    /// lesson yet until one is shown.
    pub(crate) fn new(
        lessons: Vec<Lesson>,
        id: Option<&str>,
        follow: Result<(), String>,
        theme: Theme,
        area: Rect,
    ) -> NotesWindow {
        let lesson = id.and_then(|id| lessons.iter().position(|l| l.id == id));
        NotesWindow {
            lessons,
            fixed: id.map(str::to_string),
            lesson,
            page: 0,
            scroll: 0,
            follow,
            area,
            theme,
            exit: None,
        }
    }

    pub(crate) fn pages(&self) -> usize {
        self.lesson
            .map_or(1, |index| self.lessons[index].pages().len().max(1))
    }

    /// Where the notes are drawn.
    fn notes_area(&self) -> Rect {
        layout::screen(self.area).body
    }

    /// Applies one message.
    pub(crate) fn update(&mut self, message: Message) {
        match message {
            Message::Key(key) => self.on_key(key),
            Message::Mouse(mouse) => match mouse.kind {
                MouseEventKind::ScrollUp => self.scroll_by(-WHEEL_ROWS),
                MouseEventKind::ScrollDown => self.scroll_by(WHEEL_ROWS),
                _ => {}
            },
            Message::Resize(width, height) => self.area = Rect::new(0, 0, width, height),
            Message::Shown(shown) => self.follow_to(shown),
            Message::Terminate => self.exit = Some(Exit::Interrupted),
            _ => {}
        }
    }

    fn follow_to(&mut self, shown: Place) {
        if self.follow.is_err() || self.fixed.as_ref().is_some_and(|id| *id != shown.lesson) {
            return;
        }
        let Some(index) = self.lessons.iter().position(|l| l.id == shown.lesson) else {
            return;
        };
        self.lesson = Some(index);
        self.go_to_page(shown.page);
    }

    fn go_to_page(&mut self, page: usize) {
        self.page = page.min(self.pages() - 1);
        self.scroll = 0;
    }

    fn on_key(&mut self, key: KeyEvent) {
        match keys::action(Context::Notes, &key) {
            Some(Action::Back) => self.exit = Some(Exit::Quit),
            Some(Action::Quit) => self.exit = Some(Exit::Interrupted),
            Some(Action::NextPage) => self.go_to_page(self.page + 1),
            Some(Action::PrevPage) => self.go_to_page(self.page.saturating_sub(1)),
            Some(Action::Up) => self.scroll_by(-1),
            Some(Action::Down) => self.scroll_by(1),
            _ => {}
        }
    }

    fn scroll_by(&mut self, delta: isize) {
        let max = self.lesson.map_or(0, |index| {
            max_scroll(
                &self.lessons[index],
                self.page,
                self.notes_area(),
                &self.theme,
            )
        });
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }

    /// The header's right side: the page and whether it follows the lesson screen.
    pub(crate) fn status(&self) -> String {
        let page = match self.lesson {
            Some(_) => format!("page {} of {} · ", self.page + 1, self.pages()),
            None => String::new(),
        };
        let follow = match &self.follow {
            Ok(()) => "following the lesson screen",
            Err(_) => "not following",
        };
        format!("{page}{follow}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Catalog;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    fn open(id: Option<&str>, follow: Result<(), String>) -> NotesWindow {
        let lessons = Catalog::load(None).unwrap().lessons;
        NotesWindow::new(
            lessons,
            id,
            follow,
            Theme::monochrome(),
            Rect::new(0, 0, 80, 24),
        )
    }

    fn shown(lesson: &str, page: usize) -> Message {
        Message::Shown(Place {
            lesson: lesson.into(),
            page,
        })
    }

    fn id(window: &NotesWindow) -> Option<&str> {
        window.lesson.map(|i| window.lessons[i].id.as_str())
    }

    #[test]
    fn without_an_id_it_follows_any_lesson_and_clamps_the_page() {
        let mut window = open(None, Ok(()));
        assert_eq!(id(&window), None);
        window.update(shown("four-prints", 2));
        assert_eq!((id(&window), window.page), (Some("four-prints"), 2));
        window.update(shown("pool-sleep", 99));
        assert_eq!((id(&window), window.page), (Some("pool-sleep"), 4));
        window.update(shown("no-such-lesson", 0));
        assert_eq!(id(&window), Some("pool-sleep"));
    }

    #[test]
    fn with_an_id_it_follows_only_that_lesson_and_never_with_no_follow() {
        let mut window = open(Some("pool-sleep"), Ok(()));
        window.update(shown("four-prints", 2));
        assert_eq!((id(&window), window.page), (Some("pool-sleep"), 0));
        window.update(shown("pool-sleep", 3));
        assert_eq!(window.page, 3);
        window.update(Message::Key(KeyEvent::new(
            KeyCode::Left,
            KeyModifiers::NONE,
        )));
        assert_eq!(window.page, 2);

        let mut fixed = open(Some("pool-sleep"), Err("--no-follow".into()));
        fixed.update(shown("pool-sleep", 3));
        assert_eq!(fixed.page, 0);
        fixed.update(Message::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )));
        assert_eq!(fixed.exit, Some(Exit::Quit));
    }
}
