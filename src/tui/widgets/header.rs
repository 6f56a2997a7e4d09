//! The header row: where you are, and the settings the next run uses.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

/// The header row.
pub(crate) struct Header<'a> {
    /// Where you are (the lesson's title, or "lessons").
    pub(crate) place: String,
    /// Right-aligned: the next run's settings, or progress.
    pub(crate) status: String,
    pub(crate) theme: &'a Theme,
}

/// Columns the place keeps before the status gives way.
const PLACE_COLUMNS: u16 = 30;

impl Widget for &Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let left = Line::from(vec![
            Span::styled(" proclab ", self.theme.key()),
            Span::raw(" "),
            Span::styled(self.place.clone(), self.theme.strong()),
        ]);
        // The status whole if it can be, the place cut with "…" first, then the status.
        let status_width = text::width(&self.status) as u16 + 1;
        let place_width = (left.width() as u16).min(PLACE_COLUMNS);
        let status_width = status_width.min(area.width.saturating_sub(place_width + 1));
        let left_width = area.width.saturating_sub(status_width + 1);
        let left_area = Rect {
            width: left_width,
            ..area
        };
        Paragraph::new(text::fit_line(left, left_width)).render(left_area, buf);
        if status_width > 1 {
            let right = Rect {
                x: area.right() - status_width,
                width: status_width,
                ..area
            };
            let status = text::fit(&self.status, status_width - 1);
            Paragraph::new(Line::raw(status)).render(right, buf);
        }
    }
}
