//! The program panel: the lesson's Python program with line numbers and syntax highlighting.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::{scrollbar, text};

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
        let title = text::fit_parts(
            vec![
                Span::styled(self.name.to_string(), theme.heading()),
                Span::raw(format!(" · {} lines", self.lines.len())),
                Span::raw(" · v: back to the text"),
                Span::raw(format!(" · python3 {} runs it", self.name)),
            ],
            area.width.saturating_sub(2),
        );
        let block = Block::new()
            .borders(Borders::TOP | Borders::RIGHT)
            .border_style(border)
            .title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        let all = rows(self.lines, inner.width, theme);
        let total = all.len();
        let lines: Vec<Line> = all
            .into_iter()
            .skip(self.scroll)
            .take(inner.height as usize)
            .collect();
        Paragraph::new(lines).render(inner, buf);
        scrollbar::render(area, self.scroll, total, buf, theme);
    }
}

/// The program's rows at `width`: each line numbered, a line too long for the width carried on
/// in the rows below it (marked ↪ in the number's column), never cut.
pub(crate) fn rows(lines: &[Line<'static>], width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let number_width = lines.len().to_string().len();
    let code_width = (width as usize).saturating_sub(number_width + 1).max(8) as u16;
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for (part, code) in text::wrap_spans(line, code_width).into_iter().enumerate() {
            let gutter = if part == 0 {
                format!("{:>number_width$} ", i + 1)
            } else {
                format!("{:>number_width$} ", "↪")
            };
            let mut spans = vec![Span::styled(gutter, theme.muted())];
            spans.extend(code.spans);
            rows.push(Line::from(spans));
        }
    }
    rows
}
