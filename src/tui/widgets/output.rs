//! The output panel: every line the workers and the parent printed, in arrival order, each
//! with the PID that printed it, coloured per worker.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::event::Stream;
use crate::record::{OutputLine, RunRecord};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

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
        let wrapped = |line: &OutputLine| self.wrapped(line, inner.width);
        let lines: Vec<Line> = match self.scroll {
            // The newest lines, wrapped, the last of them at the bottom.
            None => {
                let mut shown: Vec<Line> = Vec::new();
                for line in output.iter().rev() {
                    if shown.len() >= rows {
                        break;
                    }
                    let mut more = wrapped(line);
                    more.append(&mut shown);
                    shown = more;
                }
                let extra = shown.len().saturating_sub(rows);
                shown.split_off(extra)
            }
            Some(_) => {
                let first = first_line(self.scroll, output.len(), rows);
                output.range(first..).flat_map(wrapped).take(rows).collect()
            }
        };
        Paragraph::new(lines).render(inner, buf);
    }
}

/// Columns before a line's text: its PID and a mark (▸ for the parent).
const PID_COLUMNS: u16 = 8;

impl OutputPanel<'_> {
    /// A printed line at `width`: its PID, then its text wrapped under itself, never cut.
    fn wrapped(&self, line: &OutputLine, width: u16) -> Vec<Line<'static>> {
        let theme = self.theme;
        let style = theme.worker(line.worker);
        let mark = if line.worker.is_none() { '▸' } else { ' ' };
        let err = line.stream == Stream::Stderr;
        let lead = PID_COLUMNS + if err { 4 } else { 0 };
        let parts = text::wrap(&line.text, width.saturating_sub(lead).max(8));
        parts
            .into_iter()
            .enumerate()
            .map(|(row, part)| {
                let mut spans = if row == 0 {
                    vec![Span::styled(format!("{:>7}{mark}", line.pid), style)]
                } else {
                    vec![Span::raw(" ".repeat(PID_COLUMNS as usize))]
                };
                if err {
                    let tag = if row == 0 { "err " } else { "    " };
                    spans.push(Span::styled(tag, theme.bad()));
                }
                spans.push(Span::styled(part, style));
                Line::from(spans)
            })
            .collect()
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
