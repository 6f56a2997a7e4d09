//! The order panel: the order tasks were handed out, the order they finished, and (for pools)
//! the order the results came back, side by side; a place where an order differs from the
//! order the tasks were handed out is highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::event::RunSource;
use crate::lesson::Lesson;
use crate::lesson::model::{ResultOrder, StageKind};
use crate::record::RunRecord;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

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
        completion(record)
    } else {
        (0..record.tasks.len()).collect()
    })
}

/// The task indices in the order they finished.
fn completion(record: &RunRecord) -> Vec<usize> {
    (record.completion_order.iter())
        .map(|&task| task as usize)
        .collect()
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

impl OrderPanel<'_> {
    fn label(&self, task: usize) -> String {
        self.record
            .tasks
            .get(task)
            .map_or("?".to_string(), |t| t.label().to_string())
    }

    /// One row per task, sent, done and returned side by side, for a run whose tasks all fit
    /// in `rows`.
    fn table(&self, done: &[usize], results: Option<&[usize]>, rows: usize) -> Vec<Line<'static>> {
        let (theme, record) = (self.theme, self.record);
        let width = (record.tasks.iter().take(rows))
            .map(|t| text::width(&t.label()))
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
                    Span::styled(format!("{:<width$}", self.label(task)), style)
                }
                None => Span::raw(" ".repeat(width)),
            }
        };
        for position in 0..rows {
            let mut spans = vec![
                Span::raw(format!("{:>2}  ", position + 1)),
                Span::raw(format!("{:<width$}", self.label(position))),
                Span::raw(" "),
                cell(position, done),
            ];
            if let Some(results) = results {
                spans.push(Span::raw(" "));
                spans.push(cell(position, results));
            }
            lines.push(Line::from(spans));
        }
        lines
    }

    /// A run with more tasks than rows: how many, and how their orders compare, counted.
    fn summary(&self, done: &[usize], results: Option<&[usize]>) -> Vec<String> {
        let tasks = self.record.tasks.len();
        let moved = done.iter().enumerate().filter(|(i, t)| *i != **t).count();
        let mut lines = vec![format!(
            "{} tasks, too many to list one a row",
            thousands(tasks)
        )];
        lines.push(format!(
            "done: {} of {} in the order sent",
            thousands(done.len() - moved),
            thousands(done.len())
        ));
        if let Some((position, &task)) = done.iter().enumerate().find(|(i, t)| *i != **t) {
            lines.push(format!(
                "first out of order: #{} is {} (sent as #{})",
                position + 1,
                self.label(task),
                task + 1
            ));
        }
        if let Some(results) = results {
            let in_order = results.iter().enumerate().all(|(i, t)| i == *t);
            lines.push(if in_order {
                "results: in the order sent".to_string()
            } else {
                "results: in the order they finished".to_string()
            });
        }
        lines
    }

    /// What fills the panel before any task: a lesson waits for its run; a traced program
    /// that finished without pool tasks started its processes itself.
    fn no_tasks(&self) -> &'static str {
        if self.record.source == RunSource::Trace && self.record.is_finished() {
            "No pool or executor tasks: the program started its processes itself. The output panel shows who printed what, in order."
        } else {
            "No task has started yet."
        }
    }
}

/// `n` with a comma every three digits.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
        let width = inner.width.saturating_sub(1);
        let results = result_order(self.lesson, record);
        let done = completion(record);
        let wrapped = |text: &str, style| -> Vec<Line<'static>> {
            text::wrap(text, width)
                .into_iter()
                .map(|line| Line::styled(format!(" {line}"), style))
                .collect()
        };
        if record.tasks.is_empty() {
            Paragraph::new(wrapped(self.no_tasks(), theme.muted())).render(inner, buf);
            return;
        }
        let height = inner.height as usize;
        let mut lines = if record.tasks.len() < height {
            self.table(&done, results.as_deref(), record.tasks.len())
        } else {
            self.summary(&done, results.as_deref())
                .iter()
                .flat_map(|line| wrapped(line, theme.text()))
                .collect()
        };
        // The legend only where something is highlighted.
        let differs = |order: &[usize]| order.iter().enumerate().any(|(i, t)| i != *t);
        let legend = if differs(&done) || results.as_deref().is_some_and(differs) {
            wrapped("highlight: not as sent", theme.muted())
        } else {
            Vec::new()
        };
        if let Some(values) = record
            .results
            .as_ref()
            .filter(|v| v.iter().any(|v| !v.is_null()))
        {
            let room = height.saturating_sub(lines.len() + legend.len()).max(1);
            lines.extend(returned(values, record, width, room, theme));
        }
        lines.extend(legend);
        Paragraph::new(lines).render(inner, buf);
    }
}

/// "returned [1, 4, 9…]" wrapped over at most `rows` rows of `width`, ended with "…" when the
/// values go on past them.
pub(crate) fn returned(
    values: &[serde_json::Value],
    record: &RunRecord,
    width: u16,
    rows: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    // No more values are formatted than the rows could show (a run may return 100,000).
    let most = usize::from(width) * rows / 2 + 1;
    let shown: Vec<String> = values
        .iter()
        .take(most)
        .map(|value| record.result_text(value))
        .collect();
    let end = if values.len() > shown.len() {
        ", …]"
    } else {
        "]"
    };
    let text = format!("returned [{}{end}", shown.join(", "));
    let mut lines = text::wrap(&text, width);
    if lines.len() > rows {
        let rest = lines.split_off(rows - 1).join(" ");
        lines.push(text::fit(&rest, width));
    }
    lines
        .into_iter()
        .map(|line| Line::styled(format!(" {line}"), theme.text()))
        .collect()
}
