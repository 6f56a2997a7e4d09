//! The scrollbar of a pane whose text goes on past its bottom.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget};

use crate::tui::runtime::theme::Theme;

/// A scrollbar on the right border of a pane of `area` whose `total` rows are shown from
/// `scroll`, when they do not all fit.
pub(crate) fn render(area: Rect, scroll: usize, total: usize, buf: &mut Buffer, theme: &Theme) {
    let track = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let visible = track.height as usize;
    if total <= visible {
        return;
    }
    let mut state = ScrollbarState::new(total.saturating_sub(visible))
        .position(scroll)
        .viewport_content_length(visible);
    Scrollbar::new(ScrollbarOrientation::VerticalRight)
        .style(theme.muted())
        .render(track, buf, &mut state);
}
