//! Text drawn large with block glyphs (the 8×8 font of `tui-big-text`), for projector mode:
//! every glyph is [`ROWS`] rows tall and 4 or 8 columns wide.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;
use tui_big_text::{BigText, PixelSize};

/// Rows one line of big text takes.
pub(crate) const ROWS: u16 = 4;

/// How large the glyphs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// 8 columns a glyph (half-height blocks: the boldest, for short text on wide screens).
    Wide,
    /// 4 columns a glyph (quadrant blocks).
    Narrow,
}

impl Size {
    /// Columns one glyph takes.
    pub(crate) fn columns(self) -> u16 {
        match self {
            Size::Wide => 8,
            Size::Narrow => 4,
        }
    }

    fn pixels(self) -> PixelSize {
        match self {
            Size::Wide => PixelSize::HalfHeight,
            Size::Narrow => PixelSize::Quadrant,
        }
    }
}

/// Columns `text` takes in big glyphs of `size`.
pub(crate) fn width(text: &str, size: Size) -> u16 {
    (text.chars().count() as u16).saturating_mul(size.columns())
}

/// `text` broken at spaces into at most `max_lines` lines of big glyphs that fit `columns`,
/// the largest size first; `None` if it does not fit at all.
pub(crate) fn wrap(text: &str, columns: u16, max_lines: usize) -> Option<(Size, Vec<String>)> {
    [Size::Wide, Size::Narrow].into_iter().find_map(|size| {
        let per_line = (columns / size.columns()) as usize;
        let mut lines: Vec<String> = Vec::new();
        for word in text.split_whitespace() {
            match lines.last_mut() {
                Some(line) if line.chars().count() + 1 + word.chars().count() <= per_line => {
                    line.push(' ');
                    line.push_str(word);
                }
                _ if word.chars().count() <= per_line => lines.push(word.to_string()),
                _ => return None,
            }
        }
        (!lines.is_empty() && lines.len() <= max_lines).then_some((size, lines))
    })
}

/// Draws `lines` in big glyphs of `size` into `area`, one line per [`ROWS`] rows.
pub(crate) fn render(lines: &[String], size: Size, style: Style, area: Rect, buf: &mut Buffer) {
    BigText::builder()
        .pixel_size(size.pixels())
        .style(style)
        .lines(
            lines
                .iter()
                .map(|l| Line::raw(l.clone()))
                .collect::<Vec<_>>(),
        )
        .build()
        .render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_prefers_the_wide_glyphs() {
        assert_eq!(
            wrap("12345", 40, 1),
            Some((Size::Wide, vec!["12345".into()]))
        );
        assert_eq!(
            wrap("123456", 40, 1),
            Some((Size::Narrow, vec!["123456".into()]))
        );
        let (size, lines) = wrap("A pool of two workers and jobs that sleep", 120, 2).unwrap();
        assert_eq!(size, Size::Narrow);
        assert_eq!(lines, ["A pool of two workers and jobs", "that sleep"]);
        assert_eq!(
            wrap("A pool of two workers and jobs that sleep", 80, 2),
            None
        );
        assert_eq!(wrap("", 80, 2), None);
    }

    #[test]
    fn draws_glyphs_four_rows_tall() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 5));
        render(&["1".into()], Size::Wide, Style::new(), buf.area, &mut buf);
        let filled = |y: u16| (0..8).any(|x| buf[(x, y)].symbol() != " ");
        assert!((0..4).all(filled));
        assert!(!filled(4));
    }
}
