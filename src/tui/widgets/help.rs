//! The help overlay: every key of the screen the keyboard is on, read from the same table the
//! keys obey.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::runtime::keys::{BINDINGS, Context};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout::centered;

/// Rows PgUp and PgDn scroll the help by.
pub(crate) const PAGE_ROWS: usize = 10;

/// The help text, one line per key: the keys of `current` first, then the others that apply on
/// the same screen.
pub(crate) fn lines(current: Context, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &context in current.help_order() {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(context.title(), theme.heading()));
        for binding in BINDINGS.iter().filter(|b| b.context == context) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<8}", binding.shown), theme.strong()),
                Span::raw(binding.help),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled("Mouse", theme.heading()));
    for text in [
        "click a lesson to open it, a worker to select it, a checkpoint to answer it,",
        "or a key in the bar at the bottom; the wheel scrolls the panel under the pointer",
    ] {
        lines.push(Line::raw(format!("  {text}")));
    }
    lines
}

/// The help box in a terminal of `area`.
pub(crate) fn area(area: Rect) -> Rect {
    centered(area, 92, area.height.saturating_sub(2))
}

/// The largest useful scroll position in a terminal of `area`.
pub(crate) fn max_scroll(area: Rect, current: Context, theme: &Theme) -> usize {
    lines(current, theme)
        .len()
        .saturating_sub(self::area(area).height.saturating_sub(2) as usize)
}

/// The help overlay.
pub(crate) struct HelpOverlay<'a> {
    /// Where the keyboard is (its keys come first).
    pub(crate) context: Context,
    /// Rows scrolled off the top.
    pub(crate) scroll: usize,
    pub(crate) theme: &'a Theme,
}

impl Widget for &HelpOverlay<'_> {
    fn render(self, full: Rect, buf: &mut Buffer) {
        let area = area(full);
        Clear.render(area, buf);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(Span::styled(" Keys ", self.theme.heading()))
            .title_bottom(Line::raw(" ↑↓ scroll · any other key closes ").right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        let scroll = self.scroll.min(max_scroll(full, self.context, self.theme));
        let visible: Vec<Line> = lines(self.context, self.theme)
            .into_iter()
            .skip(scroll)
            .take(inner.height as usize)
            .collect();
        Paragraph::new(visible).render(inner, buf);
    }
}
