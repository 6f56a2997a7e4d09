//! The output panel: every line the workers and the parent printed, in arrival order, each
//! with the PID that printed it, coloured per worker.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::event::Stream;
use crate::record::RunRecord;
use crate::tui::runtime::theme::Theme;

/// The first line shown: `scroll`, or the last page when following the newest lines.
pub(crate) fn first_line(scroll: Option<usize>, total: usize, rows: usize) -> usize {
    let last_page = total.saturating_sub(rows);
    scroll.map_or(last_page, |top| top.min(last_page))
}

/// The output panel.
pub struct OutputPanel<'a> {
    /// What the run's events said so far.
    pub record: &'a RunRecord,
    /// The first line shown, or `None` to follow the newest.
    pub scroll: Option<usize>,
    /// Whether the arrow keys scroll it.
    pub focused: bool,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

impl Widget for &OutputPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let output = &self.record.output;
        let follow = if self.scroll.is_some() {
            " · scrolled (↓ to the end follows)"
        } else {
            ""
        };
        let border = theme.panel_border(self.focused);
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(border)
            .title(Line::from(vec![
                Span::styled("Output", theme.heading()),
                Span::raw(format!(" ({}){follow}", line_count(self.record))),
            ]));
        let inner = block.inner(area);
        block.render(area, buf);
        let rows = inner.height as usize;
        let first = first_line(self.scroll, output.len(), rows);
        let lines: Vec<Line> = output
            .range(first..)
            .take(rows)
            .map(|line| {
                let who = if line.worker.is_none() {
                    format!("{:>7}▸", line.pid)
                } else {
                    format!("{:>7} ", line.pid)
                };
                let mut spans = vec![Span::styled(who, theme.worker(line.worker))];
                if line.stream == Stream::Stderr {
                    spans.push(Span::styled("err ", theme.bad()));
                }
                spans.push(Span::styled(line.text.clone(), theme.worker(line.worker)));
                Line::from(spans)
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}

/// "12 lines", or "120,000 lines, the last 5,000 kept" once older ones were dropped.
fn line_count(record: &RunRecord) -> String {
    let total = record.output_total;
    let plural = if total == 1 { "" } else { "s" };
    if record.output_dropped == 0 {
        format!("{total} line{plural}")
    } else {
        format!(
            "{total} line{plural}, the last {} kept",
            record.output.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_end_unless_scrolled() {
        assert_eq!(first_line(None, 30, 10), 20);
        assert_eq!(first_line(Some(5), 30, 10), 5);
        assert_eq!(first_line(Some(25), 30, 10), 20);
        assert_eq!(first_line(None, 3, 10), 0);
    }
}
