//! The lesson list: every lesson with its id, title, summary and the learner's progress.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::lesson::Lesson;
use crate::progress::Progress;
use crate::tui::runtime::theme::Theme;

/// Rows each lesson takes: its title line and its summary line.
const ROWS_PER_LESSON: u16 = 2;
/// Rows above the first lesson: the panel's title, the filter line and a gap.
const TOP_ROWS: u16 = 3;

/// How many lessons fit in `body`.
fn lessons_that_fit(body: Rect) -> usize {
    (body.height.saturating_sub(TOP_ROWS) / ROWS_PER_LESSON).max(1) as usize
}

/// The position of the first lesson shown, so that the selection is always in view.
fn first_shown(selected: usize, fit: usize) -> usize {
    (selected + 1).saturating_sub(fit)
}

/// The position (among the shown lessons) of the lesson at (`column`, `row`), if any.
pub(crate) fn hit(
    body: Rect,
    selected: usize,
    count: usize,
    column: u16,
    row: u16,
) -> Option<usize> {
    if column < body.x || column >= body.right() {
        return None;
    }
    let offset = row.checked_sub(body.y + TOP_ROWS)? / ROWS_PER_LESSON;
    let position = first_shown(selected, lessons_that_fit(body)) + offset as usize;
    (position < count).then_some(position)
}

/// The progress mark of a lesson: `○` never opened, `●` opened, then checkpoints right / all.
pub(crate) fn progress_mark(lesson: &Lesson, progress: &Progress) -> String {
    let done = progress.of(&lesson.id);
    let opened = if done.visited { '●' } else { '○' };
    if lesson.checkpoints.is_empty() {
        format!("{opened}    ")
    } else {
        format!("{opened} {}/{}", done.right.len(), lesson.checkpoints.len())
    }
}

/// The lesson list panel.
pub(crate) struct LessonListPanel<'a> {
    /// Every lesson.
    pub(crate) lessons: &'a [Lesson],
    /// Indices of those that match the filter.
    pub(crate) visible: &'a [usize],
    /// Position of the selection in `visible`.
    pub(crate) selected: usize,
    /// The learner's progress.
    pub(crate) progress: &'a Progress,
    /// The filter text.
    pub(crate) filter: &'a str,
    /// Whether the filter is being typed.
    pub(crate) filtering: bool,
    pub(crate) theme: &'a Theme,
}

impl LessonListPanel<'_> {
    /// The two lines of lesson `index` (at `position` among those shown): its number, progress,
    /// id and title, then its summary.
    fn entry(&self, position: usize, index: usize) -> [Line<'static>; 2] {
        let theme = self.theme;
        let lesson = &self.lessons[index];
        let selected = position == self.selected;
        let pointer = if selected { "▶ " } else { "  " };
        let row_style = if selected {
            theme.selected()
        } else {
            theme.text()
        };
        let id_width = self
            .lessons
            .iter()
            .map(|l| l.id.chars().count())
            .max()
            .unwrap_or(0);
        let title = Line::from(vec![
            Span::raw(pointer),
            Span::raw(format!("{:>2} ", index + 1)),
            Span::raw(format!("{:<6} ", progress_mark(lesson, self.progress))),
            Span::styled(format!("{:<id_width$}  ", lesson.id), theme.strong()),
            Span::raw(lesson.title.clone()),
        ]);
        let summary = Line::from(vec![
            Span::raw(" ".repeat(14)),
            Span::styled(lesson.summary.clone(), theme.muted()),
        ]);
        [title.patch_style(row_style), summary]
    }
}

impl Widget for &LessonListPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let title = format!("Lessons ({} of {})", self.visible.len(), self.lessons.len());
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled(title, theme.heading()));
        block.render(area, buf);
        let filter_line = if self.filtering {
            Line::from(vec![
                Span::styled("Filter: ", theme.strong()),
                Span::raw(self.filter.to_string()),
                Span::styled("▏", theme.strong()),
            ])
        } else if self.filter.is_empty() {
            Line::styled(
                "○ not opened · ● opened · checkpoints right/all · / filters · 3 Enter opens no. 3",
                theme.muted(),
            )
        } else {
            Line::from(vec![
                Span::styled("Filter: ", theme.strong()),
                Span::raw(self.filter.to_string()),
                Span::styled("  (Esc clears)", theme.muted()),
            ])
        };
        let filter_area = Rect {
            y: area.y + 1,
            height: 1.min(area.height.saturating_sub(1)),
            ..area
        };
        Paragraph::new(filter_line).render(filter_area, buf);
        if self.visible.is_empty() {
            let empty = Rect {
                y: area.y + TOP_ROWS,
                height: area.height.saturating_sub(TOP_ROWS),
                ..area
            };
            Paragraph::new(Line::styled(
                "  No lesson matches the filter.",
                theme.muted(),
            ))
            .render(empty, buf);
            return;
        }
        let fit = lessons_that_fit(area);
        let first = first_shown(self.selected, fit);
        let lines: Vec<Line> = (self.visible.iter().enumerate().skip(first).take(fit))
            .flat_map(|(position, &index)| self.entry(position, index))
            .collect();
        let list_area = Rect {
            y: area.y + TOP_ROWS,
            height: area.height.saturating_sub(TOP_ROWS),
            ..area
        };
        Paragraph::new(lines).render(list_area, buf);
    }
}
