//! The instructor's notes of a lesson and of one of its pages, as a panel: over the reading pane
//! on key `i`, and as the whole body of the notes window (`proclab notes`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::lesson::Lesson;
use crate::notes::page_title;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::markdown;

/// The notes of `lesson` for page `page` (0-based) laid out at `width`: this page's first,
/// then the whole lesson's.
pub(crate) fn lines(lesson: &Lesson, page: usize, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let pages = lesson.pages();
    let title = pages.get(page).map_or("", |text| page_title(text));
    let mut lines = wrapped(
        &format!("This page ({} of {}): {title}", page + 1, pages.len()),
        width,
        theme.heading(),
    );
    add_notes(
        &mut lines,
        lesson.notes_of_page(page),
        "No notes for this page (a `::: notes` … `:::` block in the narrative adds some).",
        width,
        theme,
    );
    lines.push(Line::default());
    lines.extend(wrapped("The whole lesson", width, theme.heading()));
    add_notes(
        &mut lines,
        &lesson.instructor_notes,
        "No notes for the lesson (`instructor_notes` in lesson.toml).",
        width,
        theme,
    );
    lines
}

/// `text` wrapped at `width`, all in `style`.
fn wrapped(text: &str, width: u16, style: Style) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    for word in text.split_whitespace() {
        let fits = lines.last().is_some_and(|line| {
            line.width() + 1 + word.chars().count() <= usize::from(width.max(1))
        });
        match lines.last_mut() {
            Some(line) if fits => line.push_span(Span::styled(format!(" {word}"), style)),
            _ => lines.push(Line::styled(word.to_string(), style)),
        }
    }
    lines
}

fn add_notes(lines: &mut Vec<Line<'static>>, notes: &str, none: &str, width: u16, theme: &Theme) {
    if notes.trim().is_empty() {
        lines.extend(wrapped(none, width, theme.muted()));
    } else {
        lines.extend(markdown::render(notes, width, theme));
    }
}

/// The text area inside the panel drawn in `area`.
fn inner(area: Rect) -> Rect {
    Block::new().borders(Borders::ALL).inner(area)
}

/// The largest useful scroll of the notes of `lesson`'s page `page` in a panel of `area`.
pub(crate) fn max_scroll(lesson: &Lesson, page: usize, area: Rect, theme: &Theme) -> usize {
    let inner = inner(area);
    lines(lesson, page, inner.width, theme)
        .len()
        .saturating_sub(inner.height as usize)
}

/// The notes panel.
pub(crate) struct NotesPanel<'a> {
    pub(crate) lesson: &'a Lesson,
    /// Its page, 0-based.
    pub(crate) page: usize,
    /// Rows scrolled off the top.
    pub(crate) scroll: usize,
    /// The keys that matter here, on the bottom border (none if empty).
    pub(crate) keys: &'a str,
    pub(crate) theme: &'a Theme,
}

impl Widget for &NotesPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Clear.render(area, buf);
        let mut block = Block::new()
            .borders(Borders::ALL)
            .border_style(self.theme.checkpoint())
            .title(Span::styled(
                format!(" Instructor notes · {} ", self.lesson.id),
                self.theme.heading(),
            ));
        if !self.keys.is_empty() {
            block = block.title_bottom(Line::raw(format!(" {} ", self.keys)).right_aligned());
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let scroll = self
            .scroll
            .min(max_scroll(self.lesson, self.page, area, self.theme));
        let visible: Vec<Line> = lines(self.lesson, self.page, inner.width, self.theme)
            .into_iter()
            .skip(scroll)
            .take(inner.height as usize)
            .collect();
        Paragraph::new(visible).render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Catalog;

    fn text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|line| {
                line.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_page_comes_first_then_the_lesson() {
        let catalog = Catalog::load(None).unwrap();
        let lesson = catalog.get("pool-sleep").unwrap();
        let shown = text(&lines(lesson, 0, 70, &Theme::monochrome()));
        let page = shown.find("This page (1 of ").unwrap();
        let whole = shown.find("The whole lesson").unwrap();
        assert!(page < whole, "{shown}");
        let last = lesson.pages().len() - 1;
        let shown = text(&lines(lesson, last, 70, &Theme::monochrome()));
        assert!(shown.contains("No notes for this page"), "{shown}");
        let narrow = lines(lesson, last, 30, &Theme::monochrome());
        assert!(narrow.iter().all(|line| line.width() <= 30), "{narrow:?}");
    }
}
