//! `--watch`'s red panel at the bottom of the body: every problem of the watched lesson, as
//! `proclab check` prints it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::tui::app::watch::WatchState;
use crate::tui::runtime::theme::Theme;

/// The red panel listing the watched lesson's problems, at the bottom of the body.
pub(crate) struct ProblemsPanel<'a> {
    pub(crate) watch: &'a WatchState,
    pub(crate) theme: &'a Theme,
}

impl Widget for &ProblemsPanel<'_> {
    fn render(self, body: Rect, buf: &mut Buffer) {
        let width = body.width.saturating_sub(2).max(1) as usize;
        let rows: usize = self
            .watch
            .problems
            .iter()
            .map(|p| p.chars().count().div_ceil(width).max(1))
            .sum();
        let height = (rows as u16 + 2).min((body.height * 2 / 3).max(3));
        let area = Rect {
            y: body.bottom() - height,
            height,
            ..body
        };
        let count = self.watch.problems.len();
        let plural = if count == 1 { "" } else { "s" };
        let shown = if self.watch.shown {
            "showing the last good version"
        } else {
            "the lesson opens once it is valid"
        };
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(self.theme.bad())
            .title(Span::styled(
                format!(" {count} problem{plural}: fix and save, proclab reloads by itself "),
                self.theme.bad(),
            ))
            .title_bottom(Line::raw(format!(" {shown} ")).right_aligned());
        Clear.render(area, buf);
        let lines: Vec<Line> = self.watch.problems.iter().map(Line::raw).collect();
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}
