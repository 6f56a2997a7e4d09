//! The header row: where you are, and the settings the next run uses.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::runtime::theme::Theme;

/// The header row.
pub(crate) struct Header<'a> {
    /// Where you are (the lesson's title, or "lessons").
    pub(crate) place: String,
    /// Right-aligned: the next run's settings, or progress.
    pub(crate) status: String,
    pub(crate) theme: &'a Theme,
}

impl Widget for &Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let left = Line::from(vec![
            Span::styled(" proclab ", self.theme.key()),
            Span::raw(" "),
            Span::styled(self.place.clone(), self.theme.strong()),
        ]);
        let width = self.status.chars().count() as u16 + 1;
        let status_fits = width + 24 < area.width;
        let left_area = Rect {
            width: if status_fits {
                area.width - width - 1
            } else {
                area.width
            },
            ..area
        };
        Paragraph::new(left).render(left_area, buf);
        if status_fits {
            let right = Rect {
                x: area.right() - width,
                width,
                ..area
            };
            Paragraph::new(Line::raw(self.status.clone())).render(right, buf);
        }
    }
}
