//! The exercises tab of the list: each lesson that has exercises, then its exercises with the
//! learner's mark (✓ passed, ○ not yet), id and title, and the title's summary. The selected
//! exercise is shown whole; the others are cut with "…".

use std::path::Path;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::lesson::Lesson;
use crate::progress::Progress;
use crate::text::visible;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

/// Rows above the list: the panel's title, the legend and a gap.
const TOP_ROWS: u16 = 3;
/// Columns before an exercise's id: pointer and mark.
const ID_COLUMN: usize = 4;
/// Columns before a summary.
const SUMMARY_COLUMN: usize = 6;

/// The exercises tab.
pub(crate) struct ExerciseListPanel<'a> {
    /// Every lesson (those without exercises are left out).
    pub(crate) lessons: &'a [Lesson],
    /// Position of the selected exercise among all of them.
    pub(crate) selected: usize,
    /// What the learner has passed.
    pub(crate) progress: &'a Progress,
    /// The folder the learner's files go in.
    pub(crate) dir: &'a Path,
    pub(crate) theme: &'a Theme,
}

/// The list laid out: its lines, and for each exercise its position and the rows it takes.
struct Laid {
    lines: Vec<Line<'static>>,
    /// Each exercise's rows, in order.
    entries: Vec<Entry>,
}

/// Where one exercise is in the laid-out list.
struct Entry {
    /// The row of its lesson's heading.
    heading: usize,
    /// Its first row.
    first: usize,
    /// The row after its last.
    end: usize,
}

impl ExerciseListPanel<'_> {
    /// Every lesson heading and exercise at `width` columns.
    fn lay_out(&self, width: u16) -> Laid {
        let theme = self.theme;
        let mut laid = Laid {
            lines: Vec::new(),
            entries: Vec::new(),
        };
        let id_width = self
            .lessons
            .iter()
            .flat_map(|l| &l.exercises)
            .map(|e| text::width(&e.id))
            .max()
            .unwrap_or(0);
        let mut position = 0;
        for lesson in self.lessons.iter().filter(|l| !l.exercises.is_empty()) {
            if !laid.lines.is_empty() {
                laid.lines.push(Line::default());
            }
            let heading = format!("{} · {}", lesson.id, visible(&lesson.title));
            let heading_row = laid.lines.len();
            laid.lines.push(text::fit_line(
                Line::styled(heading, theme.heading()),
                width,
            ));
            for exercise in &lesson.exercises {
                let first = laid.lines.len();
                let selected = position == self.selected;
                let passed = self.progress.exercises_passed.contains(&exercise.id);
                let mark = if passed { "✓" } else { "○" };
                let pointer = if selected { "▶ " } else { "  " };
                let lead = vec![
                    Span::raw(pointer),
                    Span::styled(
                        format!("{mark} "),
                        if passed { theme.good() } else { theme.text() },
                    ),
                    Span::styled(format!("{:<id_width$}  ", exercise.id), theme.strong()),
                ];
                let style = if selected {
                    theme.selected()
                } else {
                    theme.text()
                };
                let (title, summary) = (visible(&exercise.title), visible(&exercise.summary));
                if selected {
                    let title_column = ID_COLUMN + id_width + 2;
                    let inner = (width as usize).saturating_sub(title_column).max(10) as u16;
                    for (row, part) in text::wrap(&title, inner).into_iter().enumerate() {
                        let mut spans = if row == 0 {
                            lead.clone()
                        } else {
                            vec![Span::raw(" ".repeat(title_column))]
                        };
                        spans.push(Span::raw(part));
                        laid.lines.push(Line::from(spans).patch_style(style));
                    }
                    let inner = (width as usize).saturating_sub(SUMMARY_COLUMN).max(10) as u16;
                    for part in text::wrap(&summary, inner) {
                        laid.lines.push(Line::from(vec![
                            Span::raw(" ".repeat(SUMMARY_COLUMN)),
                            Span::styled(part, theme.muted()),
                        ]));
                    }
                } else {
                    let mut line = Line::from(lead);
                    line.push_span(Span::raw(title.into_owned()));
                    laid.lines.push(text::fit_line(line, width));
                    let summary = Line::from(vec![
                        Span::raw(" ".repeat(SUMMARY_COLUMN)),
                        Span::styled(summary.into_owned(), theme.muted()),
                    ]);
                    laid.lines.push(text::fit_line(summary, width));
                }
                laid.entries.push(Entry {
                    heading: heading_row,
                    first,
                    end: laid.lines.len(),
                });
                position += 1;
            }
        }
        laid
    }

    /// The position of the exercise at `row` of the panel drawn in `body`, if any.
    pub(crate) fn hit(&self, body: Rect, row: u16) -> Option<usize> {
        let list = list_area(body);
        let row = row.checked_sub(list.y)? as usize;
        let laid = self.lay_out(list.width);
        let top = scroll(&laid, self.selected, list.height as usize);
        laid.entries
            .iter()
            .position(|e| (e.first..e.end).contains(&(row + top)))
    }
}

/// Rows scrolled off the top so that the selected exercise (and, when there is room, its
/// lesson's heading) is in view in `height` rows.
fn scroll(laid: &Laid, selected: usize, height: usize) -> usize {
    let Some(entry) = laid.entries.get(selected) else {
        return 0;
    };
    if entry.end - entry.heading <= height {
        entry.end.saturating_sub(height)
    } else {
        entry.first
    }
}

/// The list's own area in the panel `body`.
fn list_area(body: Rect) -> Rect {
    Rect {
        y: body.y + TOP_ROWS.min(body.height),
        height: body.height.saturating_sub(TOP_ROWS),
        ..body
    }
}

impl Widget for &ExerciseListPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let all: Vec<_> = self.lessons.iter().flat_map(|l| &l.exercises).collect();
        let passed = all
            .iter()
            .filter(|e| self.progress.exercises_passed.contains(&e.id))
            .count();
        let title = format!("Exercises ({passed} of {} passed)", all.len());
        Block::new()
            .borders(Borders::TOP)
            .title(Span::styled(title, theme.heading()))
            .render(area, buf);
        let example = self.dir.join("<id>.py").display().to_string();
        let legend = format!(
            "✓ passed · ○ not yet · Enter writes {} (never over yours) and checks it on every save",
            visible(&example)
        );
        let legend_area = Rect {
            y: area.y + 1,
            height: 1.min(area.height.saturating_sub(1)),
            ..area
        };
        Paragraph::new(Line::styled(text::fit(&legend, area.width), theme.muted()))
            .render(legend_area, buf);
        let list = list_area(area);
        if all.is_empty() {
            Paragraph::new(Line::styled("  No lesson has exercises.", theme.muted()))
                .render(list, buf);
            return;
        }
        let laid = self.lay_out(list.width);
        let top = scroll(&laid, self.selected, list.height as usize);
        let shown: Vec<Line> = laid
            .lines
            .into_iter()
            .skip(top)
            .take(list.height as usize)
            .collect();
        Paragraph::new(shown).render(list, buf);
    }
}
