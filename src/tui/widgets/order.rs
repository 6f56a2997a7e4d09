//! The order panel: the order tasks were handed out, the order they finished, and (for pools)
//! the order the results came back, side by side; a place where an order differs from the
//! order the tasks were handed out is highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::lesson::Lesson;
use crate::lesson::model::{ResultOrder, StageKind};
use crate::record::RunRecord;
use crate::tui::runtime::theme::Theme;

/// The task indices in the order the parent hands results back: the engine gives them in
/// completion order when every stage is `unordered`, else in input order (as `Pool.map`).
/// `None` before the run finished, or for a run that is not a lesson's pool.
pub(crate) fn result_order(lesson: Option<&Lesson>, record: &RunRecord) -> Option<Vec<usize>> {
    let lesson = lesson?;
    if !lesson.stages.iter().any(|s| s.kind == StageKind::Pool) || !record.is_finished() {
        return None;
    }
    let unordered = lesson
        .stages
        .iter()
        .all(|s| s.result_order == ResultOrder::Unordered);
    Some(if unordered {
        record
            .completion_order
            .iter()
            .map(|&task| task as usize)
            .collect()
    } else {
        (0..record.tasks.len()).collect()
    })
}

/// The order panel.
pub struct OrderPanel<'a> {
    /// The lesson, for a lesson's run (whether it has a pool, and how the pool returns
    /// results).
    pub lesson: Option<&'a Lesson>,
    /// What the run's events said so far.
    pub record: &'a RunRecord,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

impl Widget for &OrderPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let record = self.record;
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled("Order", theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let results = result_order(self.lesson, record);
        let label = |task: usize| {
            record
                .tasks
                .get(task)
                .map_or("?".to_string(), |t| t.label().to_string())
        };
        // Only the rows that fit are drawn (a run may hold 100,000 tasks).
        let rows = (inner.height as usize)
            .saturating_sub(3)
            .min(record.tasks.len());
        let width = record
            .tasks
            .iter()
            .take(rows)
            .map(|t| t.label().chars().count())
            .max()
            .unwrap_or(1)
            .max(6);
        let mut header = format!(" #  {:<width$} {:<width$}", "sent", "done");
        if results.is_some() {
            header.push_str(&format!(" {:<width$}", "result"));
        }
        let mut lines = vec![Line::styled(header, theme.strong())];
        let cell = |position: usize, order: &[usize]| -> Span<'static> {
            match order.get(position) {
                Some(&task) => {
                    let style = if task == position {
                        theme.text()
                    } else {
                        theme.differs()
                    };
                    Span::styled(format!("{:<width$}", label(task)), style)
                }
                None => Span::raw(" ".repeat(width)),
            }
        };
        let completion: Vec<usize> = record
            .completion_order
            .iter()
            .take(rows)
            .map(|&task| task as usize)
            .collect();
        for position in 0..rows {
            let mut spans = vec![
                Span::raw(format!("{:>2}  ", position + 1)),
                Span::raw(format!("{:<width$}", label(position))),
                Span::raw(" "),
                cell(position, &completion),
            ];
            if let Some(results) = &results {
                spans.push(Span::raw(" "));
                spans.push(cell(position, results));
            }
            lines.push(Line::from(spans));
        }
        if let Some(values) = record
            .results
            .as_ref()
            .filter(|v| v.iter().any(|v| !v.is_null()))
        {
            let shown: Vec<String> = values
                .iter()
                .take(rows.max(8))
                .map(|value| record.result_text(value))
                .collect();
            let more = if values.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            lines.push(Line::raw(format!(" returned [{}{more}]", shown.join(", "))));
        }
        if record.tasks.is_empty() {
            lines.push(Line::styled(" No task has started yet.", theme.muted()));
        } else {
            lines.push(Line::styled(" highlight: differs from sent", theme.muted()));
        }
        Paragraph::new(lines).render(inner, buf);
    }
}
