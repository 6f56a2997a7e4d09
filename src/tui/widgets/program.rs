//! The program panel: the lesson's Python program with line numbers and syntax highlighting.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::tui::runtime::theme::Theme;

/// The program panel.
pub(crate) struct ProgramPanel<'a> {
    /// The file name, e.g. `program.py`.
    pub(crate) name: &'a str,
    /// The highlighted lines.
    pub(crate) lines: &'a [Line<'static>],
    /// Rows scrolled off the top.
    pub(crate) scroll: usize,
    /// Whether the keyboard scrolls it.
    pub(crate) focused: bool,
    pub(crate) theme: &'a Theme,
}

impl Widget for &ProgramPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let border = theme.panel_border(self.focused);
        let title = Line::from(vec![
            Span::styled(self.name.to_string(), theme.heading()),
            Span::raw(format!(
                " · {} lines · python3 {} runs it · p: back to the text",
                self.lines.len(),
                self.name
            )),
        ]);
        let block = Block::new()
            .borders(Borders::TOP | Borders::RIGHT)
            .border_style(border)
            .title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        let number_width = self.lines.len().to_string().len();
        let lines: Vec<Line> = self
            .lines
            .iter()
            .enumerate()
            .skip(self.scroll)
            .take(inner.height as usize)
            .map(|(i, line)| {
                let mut spans = vec![Span::styled(
                    format!("{:>number_width$} ", i + 1),
                    theme.muted(),
                )];
                spans.extend(line.spans.iter().cloned());
                Line::from(spans)
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
