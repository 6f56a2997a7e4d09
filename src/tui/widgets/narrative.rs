//! The reading pane's narrative: one page of the lesson's Markdown, with each
//! `::: checkpoint <id>` line turned into a box that asks the question, and after a run shows
//! the answer, what happened and why.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::lesson::Lesson;
use crate::lesson::model::{AnswerKind, Checkpoint};
use crate::tui::app::checkpoints::{CheckpointState, choice_letter, with_unit};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::{markdown, scrollbar, text};

/// A page laid out for a width.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageText {
    pub(crate) lines: Vec<Line<'static>>,
    /// For each checkpoint box: its first row, the row after it, and the checkpoint's index.
    pub(crate) checkpoint_rows: Vec<(usize, usize, usize)>,
    /// For each box that shows a run's verdict: the verdict's row, and the checkpoint's index.
    pub(crate) verdict_rows: Vec<(usize, usize)>,
}

/// A piece of a page: Markdown, or the place of a checkpoint.
enum Segment<'a> {
    Markdown(&'a str),
    Checkpoint(&'a str),
}

fn marker_id(line: &str) -> Option<&str> {
    Some(
        line.trim()
            .strip_prefix(":::")?
            .trim()
            .strip_prefix("checkpoint")?
            .trim(),
    )
}

fn segments(page: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in page.split_inclusive('\n') {
        if let Some(id) = marker_id(line) {
            segments.push(Segment::Markdown(&page[start..offset]));
            segments.push(Segment::Checkpoint(id));
            start = offset + line.len();
        }
        offset += line.len();
    }
    segments.push(Segment::Markdown(&page[start..]));
    segments
}

/// The ids of the checkpoints page `page` asks, as indices into `lesson.checkpoints`.
pub(crate) fn page_checkpoints(lesson: &Lesson, page: usize) -> Vec<usize> {
    let pages = lesson.pages();
    let Some(text) = pages.get(page) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(marker_id)
        .filter_map(|id| lesson.checkpoints.iter().position(|c| c.id == id))
        .collect()
}

/// The page (0-based) that asks checkpoint `index` of `lesson`, if any does.
pub(crate) fn checkpoint_page(lesson: &Lesson, index: usize) -> Option<usize> {
    (0..lesson.pages().len()).find(|&page| page_checkpoints(lesson, page).contains(&index))
}

/// Lays out page `page` of `lesson` at `width`, with the checkpoint boxes as `states` has them
/// (`answerable`: they can be answered here, not on a recording).
pub(crate) fn page_text(
    lesson: &Lesson,
    page: usize,
    states: &[CheckpointState],
    answerable: bool,
    width: u16,
    theme: &Theme,
) -> PageText {
    let pages = lesson.pages();
    let Some(text) = pages.get(page) else {
        return PageText::default();
    };
    let mut out = PageText::default();
    for segment in segments(text) {
        match segment {
            Segment::Markdown(markdown) if !markdown.trim().is_empty() => {
                if !out.lines.is_empty() {
                    out.lines.push(Line::default());
                }
                out.lines.extend(markdown::render(markdown, width, theme));
            }
            Segment::Markdown(_) => {}
            Segment::Checkpoint(id) => {
                let Some(index) = lesson.checkpoints.iter().position(|c| c.id == id) else {
                    continue;
                };
                if !out.lines.is_empty() {
                    out.lines.push(Line::default());
                }
                let first = out.lines.len();
                let state = states.get(index).cloned().unwrap_or_default();
                let boxed = CheckpointBox {
                    checkpoint: &lesson.checkpoints[index],
                    index,
                    state: &state,
                    answerable,
                };
                let (head, answer) = boxed.lines(width, theme);
                out.lines.extend(head);
                if state.verdict.is_some() {
                    out.verdict_rows.push((out.lines.len(), index));
                }
                out.lines.extend(answer);
                out.checkpoint_rows.push((first, out.lines.len(), index));
            }
        }
    }
    out
}

/// A checkpoint's box in the narrative.
struct CheckpointBox<'a> {
    checkpoint: &'a Checkpoint,
    /// Its index in the lesson.
    index: usize,
    /// The learner's standing with it.
    state: &'a CheckpointState,
    /// Whether it can be answered here (not on a recording).
    answerable: bool,
}

impl CheckpointBox<'_> {
    /// The box's lines at `width`: the question, the choices and the hints revealed; then
    /// where the answer stands.
    fn lines(&self, width: u16, theme: &Theme) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let (checkpoint, inner) = (self.checkpoint, width.saturating_sub(2));
        let mut lines = Vec::new();
        let heading = format!("▶ Checkpoint {}: predict, then run", self.index + 1);
        for part in text::wrap(&heading, inner) {
            let part = Span::styled(part, theme.checkpoint());
            lines.push(Line::from(vec![bar(theme), part]));
        }
        boxed(&checkpoint.question, inner, theme, &mut lines);
        if checkpoint.answer_kind == AnswerKind::Choice {
            for (i, choice) in checkpoint.choices.iter().enumerate() {
                let rendered = markdown::render(&escape(choice), inner.saturating_sub(3), theme);
                for (row, mut line) in rendered.into_iter().enumerate() {
                    let lead = if row == 0 {
                        format!("{}) ", choice_letter(i))
                    } else {
                        "   ".to_string()
                    };
                    line.spans.splice(0..0, [bar(theme), Span::raw(lead)]);
                    lines.push(line);
                }
            }
        }
        for hint in checkpoint.hints.iter().take(self.state.hints_shown) {
            boxed(
                &format!("*Hint:* {}", escape(hint)),
                inner,
                theme,
                &mut lines,
            );
        }
        (lines, self.answer_lines(inner, theme))
    }

    /// The end of the box: that it waits for an answer, or for a run, or what the run said
    /// about the answer and why.
    fn answer_lines(&self, inner: u16, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        let muted = |said: &str, lines: &mut Vec<Line<'static>>| {
            for part in text::wrap(said, inner) {
                lines.push(Line::from(vec![
                    bar(theme),
                    Span::styled(part, theme.muted()),
                ]));
            }
        };
        let hints_left = self.checkpoint.hints.len() > self.state.hints_shown;
        match (&self.state.prediction, &self.state.verdict) {
            (None, _) if !self.answerable => {
                let hint = if hints_left { "h shows a hint; " } else { "" };
                let said = format!("A recording: {hint}answer it in the lesson itself.");
                muted(&said, &mut lines);
            }
            (None, _) => muted("Not answered yet: press c to answer.", &mut lines),
            (Some(prediction), None) => {
                let said = format!("Your answer: **{}**", escape(&prediction.text));
                boxed(&said, inner, theme, &mut lines);
                muted("Run the lesson (r) to see what really happens.", &mut lines);
            }
            (Some(prediction), Some(verdict)) => {
                let (mark, style) = if verdict.right {
                    ("✓ Right", theme.good())
                } else {
                    ("✗ Not this time", theme.bad())
                };
                lines.push(Line::from(vec![bar(theme), Span::styled(mark, style)]));
                let answer = format!("Your answer: **{}**", escape(&prediction.text));
                boxed(&answer, inner, theme, &mut lines);
                let unit = |value: &str| escape(&with_unit(self.checkpoint, value));
                if let Some(observed) = &verdict.observed {
                    let text = format!("This run measured: **{}**", unit(observed));
                    boxed(&text, inner, theme, &mut lines);
                }
                if verdict.observed.as_deref() != Some(verdict.expected.as_str()) {
                    let text = format!("Expected: **{}**", unit(&verdict.expected));
                    boxed(&text, inner, theme, &mut lines);
                }
                boxed(&self.checkpoint.explanation, inner, theme, &mut lines);
            }
        }
        lines
    }
}

/// The bar down the left of a checkpoint's box.
fn bar(theme: &Theme) -> Span<'static> {
    Span::styled("┃ ", theme.checkpoint())
}

/// `markdown` rendered at `inner` columns, each line behind the box's bar, added to `lines`.
fn boxed(markdown: &str, inner: u16, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    for mut line in markdown::render(markdown, inner, theme) {
        line.spans.insert(0, bar(theme));
        lines.push(line);
    }
}

/// Keeps Markdown from reading lesson text as markup.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '#' | '\\' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The narrative panel: a page, scrolled.
pub(crate) struct NarrativePanel<'a> {
    /// The laid-out page.
    pub(crate) page: &'a PageText,
    /// The title line (lesson, page number, rows below).
    pub(crate) title: String,
    /// Rows scrolled off the top.
    pub(crate) scroll: usize,
    /// Whether the keyboard scrolls it.
    pub(crate) focused: bool,
    pub(crate) theme: &'a Theme,
}

impl Widget for &NarrativePanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let border = self.theme.panel_border(self.focused);
        let block = Block::new()
            .borders(Borders::TOP | Borders::RIGHT)
            .border_style(border)
            .title(Span::styled(self.title.clone(), self.theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let visible: Vec<Line> = self
            .page
            .lines
            .iter()
            .skip(self.scroll)
            .take(inner.height as usize)
            .cloned()
            .collect();
        Paragraph::new(visible).render(inner, buf);
        scrollbar::render(area, self.scroll, self.page.lines.len(), buf, self.theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Catalog;

    #[test]
    fn checkpoint_markers_become_boxes_with_the_question() {
        let lesson = Catalog::load(None)
            .unwrap()
            .get("pool-sleep")
            .unwrap()
            .clone();
        let states = vec![CheckpointState::default(); lesson.checkpoints.len()];
        let page = page_text(&lesson, 0, &states, true, 40, &Theme::monochrome());
        assert_eq!(page.checkpoint_rows.len(), 2);
        let (first, _, index) = page.checkpoint_rows[0];
        assert_eq!(index, 0);
        let text: String = page.lines[first]
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(text, "┃ ▶ Checkpoint 1: predict, then run");
        assert_eq!(page_checkpoints(&lesson, 0), [0, 1]);
        assert!(page.lines.iter().all(|line| line.width() <= 40));
    }
}
