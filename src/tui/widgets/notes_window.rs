//! The notes window of `proclab notes`: a header with the lesson and page, the notes of the
//! page and the lesson, and its keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::tui::app::notes_window::NotesWindow;
use crate::tui::runtime::keys::Context;
use crate::tui::widgets::header::Header;
use crate::tui::widgets::key_bar::KeyBar;
use crate::tui::widgets::layout;
use crate::tui::widgets::notes_panel::NotesPanel;
use crate::tui::widgets::text::fit;

impl Widget for &NotesWindow {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = &self.theme;
        let areas = layout::screen(area);
        let place = self.lesson.map_or("instructor notes".to_string(), |index| {
            format!("notes: {}", self.lessons[index].title)
        });
        (&Header {
            place,
            status: self.status(),
            theme,
        })
            .render(areas.header, buf);
        match self.lesson {
            Some(index) => (&NotesPanel {
                lesson: &self.lessons[index],
                page: self.page,
                scroll: self.scroll,
                keys: "",
                theme,
            })
                .render(areas.body, buf),
            None => Paragraph::new(vec![
                Line::raw("Waiting for a lesson: open one in proclab (in another terminal), and its notes show here, page by page."),
                Line::default(),
                Line::styled("Or name one: proclab notes <id>   (proclab list shows the ids)", theme.muted()),
            ])
            .wrap(Wrap { trim: false })
            .render(areas.body, buf),
        }
        (&KeyBar {
            context: Context::Notes,
            theme,
            essential_only: false,
            on: false,
        })
            .render(areas.key_bar, buf);
        if let Err(why) = &self.follow {
            let row = Rect {
                y: areas.key_bar.y - 1,
                height: 1,
                ..areas.key_bar
            };
            let text = fit(&format!(" not following: {why}"), row.width);
            Paragraph::new(Line::styled(text, theme.muted())).render(row, buf);
        }
    }
}
