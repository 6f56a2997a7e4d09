//! The lesson list: every lesson with its id, title, summary and the learner's progress.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::lesson::Lesson;
use crate::progress::Progress;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

/// Rows an entry takes when it is not selected: its title line and its summary line.
const ROWS_PER_LESSON: u16 = 2;
/// Rows above the first lesson: the panel's title, the filter line and a gap.
const TOP_ROWS: u16 = 3;
/// Columns before an entry's title: pointer, number, progress mark.
const TITLE_COLUMN: usize = 2 + 3 + 7;
/// Columns before a summary.
const SUMMARY_COLUMN: usize = 14;

/// Where the entries shown go: for each, its position among the visible lessons, its first row
/// (from the list's top) and its rows. Unselected entries take two rows (title and summary,
/// each ended with "…" if cut); the selected one as many as its whole title and summary need.
fn placed(list: Rect, selected: usize, count: usize, selected_rows: u16) -> Vec<(usize, u16, u16)> {
    let height = list.height.max(1);
    let rows_of = |position: usize| {
        if position == selected {
            selected_rows
        } else {
            ROWS_PER_LESSON
        }
    };
    // The first entry shown: as late as needed for the selection to be whole in view.
    let mut first = selected.min(count.saturating_sub(1));
    let mut used = rows_of(first).min(height);
    while first > 0 && used + rows_of(first - 1) <= height {
        first -= 1;
        used += rows_of(first);
    }
    let mut entries = Vec::new();
    let mut y = 0;
    for position in first..count {
        let rows = rows_of(position);
        if y + rows > height && position != first {
            break;
        }
        entries.push((position, y, rows));
        y += rows;
    }
    entries
}

/// The list's own area in the panel `body`.
fn list_area(body: Rect) -> Rect {
    Rect {
        y: body.y + TOP_ROWS.min(body.height),
        height: body.height.saturating_sub(TOP_ROWS),
        ..body
    }
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
    /// The lines of lesson `index` (at `position` among those shown): its number, progress,
    /// id and title, then its summary; cut with "…" unless it is the selected one, which is
    /// shown whole.
    fn entry(&self, position: usize, index: usize, width: u16) -> Vec<Line<'static>> {
        let theme = self.theme;
        let lesson = &self.lessons[index];
        let selected = position == self.selected;
        let pointer = if selected { "▶ " } else { "  " };
        let row_style = if selected {
            theme.selected()
        } else {
            theme.text()
        };
        let id_width = self.id_width();
        let lead = vec![
            Span::raw(pointer),
            Span::raw(format!("{:>2} ", index + 1)),
            Span::raw(format!("{:<6} ", progress_mark(lesson, self.progress))),
            Span::styled(format!("{:<id_width$}  ", lesson.id), theme.strong()),
        ];
        let title_column = TITLE_COLUMN + id_width + 2;
        let indent = |n: usize| Span::raw(" ".repeat(n));
        if !selected {
            let mut title = Line::from(lead);
            title.push_span(Span::raw(lesson.title.clone()));
            let summary = Line::from(vec![
                indent(SUMMARY_COLUMN),
                Span::styled(lesson.summary.clone(), theme.muted()),
            ]);
            return vec![
                text::fit_line(title.patch_style(row_style), width),
                text::fit_line(summary, width),
            ];
        }
        let mut lines = Vec::new();
        let title_width = (width as usize).saturating_sub(title_column).max(10) as u16;
        for (row, part) in text::wrap(&lesson.title, title_width)
            .into_iter()
            .enumerate()
        {
            let mut spans = if row == 0 {
                lead.clone()
            } else {
                vec![indent(title_column)]
            };
            spans.push(Span::raw(part));
            lines.push(Line::from(spans).patch_style(row_style));
        }
        let summary_width = (width as usize).saturating_sub(SUMMARY_COLUMN).max(10) as u16;
        for part in text::wrap(&lesson.summary, summary_width) {
            lines.push(Line::from(vec![
                indent(SUMMARY_COLUMN),
                Span::styled(part, theme.muted()),
            ]));
        }
        lines
    }

    /// The widest lesson id, which the titles line up after.
    fn id_width(&self) -> usize {
        self.lessons
            .iter()
            .map(|l| text::width(&l.id))
            .max()
            .unwrap_or(0)
    }

    /// The position (among the shown lessons) of the lesson at (`column`, `row`) of the panel
    /// drawn in `body`, if any.
    pub(crate) fn hit(&self, body: Rect, column: u16, row: u16) -> Option<usize> {
        let list = list_area(body);
        if column < list.x || column >= list.right() {
            return None;
        }
        let row = row.checked_sub(list.y)?;
        let rows = self.selected_rows(list.width);
        placed(list, self.selected, self.visible.len(), rows)
            .into_iter()
            .find(|&(_, y, height)| (y..y + height).contains(&row))
            .map(|(position, _, _)| position)
    }

    /// Rows the selected entry takes at `width`.
    fn selected_rows(&self, width: u16) -> u16 {
        self.visible
            .get(self.selected)
            .map_or(ROWS_PER_LESSON, |&index| {
                self.entry(self.selected, index, width).len() as u16
            })
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
                text::fit(
                    "○ new · ● opened · checkpoints right/all · / filter · 3 Enter opens no. 3",
                    area.width,
                ),
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
        let list = list_area(area);
        let placed = placed(
            list,
            self.selected,
            self.visible.len(),
            self.selected_rows(list.width),
        );
        let lines: Vec<Line> = placed
            .iter()
            .flat_map(|&(position, _, _)| self.entry(position, self.visible[position], list.width))
            .collect();
        let list_area = list;
        Paragraph::new(lines).render(list_area, buf);
    }
}
