//! Text that must fit a width: cut with "…" (never silently mid-value), or wrapped at spaces.

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The mark that says text goes on past the edge.
pub(crate) const ELLIPSIS: char = '…';

/// Columns `text` takes on screen.
pub(crate) fn width(text: &str) -> usize {
    text.width()
}

/// `text` as it fits `width` columns: whole, or cut and ended with "…".
pub(crate) fn fit(text: &str, width: u16) -> String {
    if text.width() <= usize::from(width) {
        text.to_string()
    } else {
        cut(text, width)
    }
}

/// The start of `text` that fits `width` columns with "…" after it.
fn cut(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push(ELLIPSIS);
    out
}

/// `line` as it fits `width` columns: its spans kept whole while they fit with room to spare,
/// the one at the edge cut and ended with "…" in its own style, the rest dropped.
pub(crate) fn fit_line(line: Line<'static>, width: u16) -> Line<'static> {
    if line.width() <= usize::from(width) {
        return line;
    }
    let mut left = usize::from(width);
    let mut spans = Vec::new();
    for span in line.spans {
        let w = span.content.width();
        if w < left {
            left -= w;
            spans.push(span);
        } else {
            spans.push(Span::styled(cut(&span.content, left as u16), span.style));
            break;
        }
    }
    Line::from(spans).style(line.style)
}

/// `text` wrapped at spaces into lines of at most `width` columns; a word longer than a line
/// is broken where the line ends. Every character is kept.
pub(crate) fn wrap(text: &str, width: u16) -> Vec<String> {
    let width = usize::from(width.max(1));
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split_inclusive(' ') {
            let w = word.trim_end().width();
            if used > 0 && used + w > width {
                lines.push(line.trim_end().to_string());
                line.clear();
                used = 0;
            }
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > width && c != ' ' {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_always_ends_with_an_ellipsis_and_fits() {
        assert_eq!(fit("shared counter = 3000", 30), "shared counter = 3000");
        assert_eq!(fit("shared counter = 3000", 20), "shared counter = 30…");
        assert_eq!(fit("abc", 1), "…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(width(&fit("页面页面页面", 5)), 5);
    }

    #[test]
    fn a_line_is_cut_in_the_span_that_passes_the_edge() {
        let line = Line::from(vec![Span::raw("done "), Span::raw("1100000")]);
        let cut = fit_line(line, 9);
        assert_eq!(cut.to_string(), "done 110…");
        let exact = fit_line(Line::from(vec![Span::raw("abcd"), Span::raw("ef")]), 4);
        assert_eq!(exact.to_string(), "abc…");
    }

    #[test]
    fn wrapping_keeps_every_character() {
        let lines = wrap("returned [1000, 3000, 2000, 4000]", 12);
        assert!(lines.iter().all(|l| width(l) <= 12), "{lines:?}");
        assert_eq!(lines.join(" "), "returned [1000, 3000, 2000, 4000]");
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
    }
}
