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

/// `parts` side by side in `width` columns: kept whole, from the first, while they fit; the
/// rest left out (so no value is cut). Only a first part wider than everything is cut, with "…".
pub(crate) fn fit_parts(parts: Vec<Span<'static>>, width: u16) -> Line<'static> {
    let mut left = usize::from(width);
    let mut spans = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        let w = part.content.width();
        if w <= left {
            left -= w;
            spans.push(part);
        } else {
            if i == 0 {
                spans.push(Span::styled(cut(&part.content, width), part.style));
            }
            break;
        }
    }
    Line::from(spans)
}

/// `line` cut into rows of `width` columns, its styles kept (code: no word wrap, nothing lost).
pub(crate) fn wrap_spans(line: &Line<'static>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut rows: Vec<Line<'static>> = vec![Line::default()];
    let mut used = 0;
    for span in &line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                if !piece.is_empty() {
                    let row = rows.last_mut().expect("a row");
                    row.push_span(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Line::default());
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            let row = rows.last_mut().expect("a row");
            row.push_span(Span::styled(piece, span.style));
        }
    }
    rows
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
    fn parts_that_do_not_fit_are_left_out_whole() {
        let parts = vec![
            Span::raw("■ finished in 0.61 s"),
            Span::raw(" · parent 14489"),
            Span::raw(" · 2 cores"),
            Span::raw(" · ×10"),
        ];
        assert_eq!(
            fit_parts(parts.clone(), 41).to_string(),
            "■ finished in 0.61 s · parent 14489"
        );
        assert_eq!(fit_parts(parts.clone(), 10).to_string(), "■ finishe…");
    }

    #[test]
    fn wrapping_keeps_every_character() {
        let lines = wrap("returned [1000, 3000, 2000, 4000]", 12);
        assert!(lines.iter().all(|l| width(l) <= 12), "{lines:?}");
        assert_eq!(lines.join(" "), "returned [1000, 3000, 2000, 4000]");
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
    }
}
