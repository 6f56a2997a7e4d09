//! What a window smaller than the layout needs shows instead of a broken layout.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout::{MIN_HEIGHT, MIN_WIDTH};

/// The "window too small" message.
pub(crate) struct TooSmall<'a> {
    pub(crate) theme: &'a Theme,
}

impl Widget for &TooSmall<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let lines = vec![
            Line::styled("Window too small", self.theme.strong()),
            Line::raw(format!(
                "Make the window at least {MIN_WIDTH}×{MIN_HEIGHT}."
            )),
            Line::raw(format!("Now it is {}×{}.", area.width, area.height)),
            Line::styled("q quits", self.theme.muted()),
        ];
        let top = area.height.saturating_sub(lines.len() as u16) / 2;
        let area = Rect {
            y: area.y + top,
            height: area.height - top,
            ..area
        };
        Paragraph::new(lines)
            .centered()
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}
