//! The stages panel, for a run of several stages (chunksize, shared-state, affinity…): each
//! stage's name, workers, the messages that carried its tasks, its time and its shared counter,
//! side by side so that the stages compare; then the values the run returned.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::record::{RunRecord, StageInfo};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::{order, text};

/// The stages panel.
pub struct StagesPanel<'a> {
    /// What the run's events said so far.
    pub record: &'a RunRecord,
    /// Colours, or none (`NO_COLOR`).
    pub theme: &'a Theme,
}

/// A time in ms as the panel shows it: ms below a second, else seconds.
fn time(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What a stage did, in words: its workers, its task messages, its time, its counter.
pub(crate) fn facts(stage: &StageInfo) -> Vec<String> {
    let mut facts = vec![plural(u64::from(stage.workers), "worker", "workers")];
    if let Some(chunksize) = stage.chunksize {
        facts.push(format!("chunksize {chunksize}"));
    }
    if let Some(messages) = stage.task_messages() {
        facts.push(plural(messages, "task message", "task messages"));
    }
    facts.push(stage.wall_ms().map_or("running…".to_string(), time));
    if let Some((value, expected)) = stage.shared_counter {
        let lost = expected.saturating_sub(value);
        facts.push(format!("counter {value} of {expected}: {lost} lost"));
    }
    facts
}

impl Widget for &StagesPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (theme, record) = (self.theme, self.record);
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled("Stages", theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width.saturating_sub(1);
        // Each stage: its name, then its facts wrapped under it, each kept whole.
        let blocks: Vec<Vec<Line>> = (record.stages.iter().enumerate())
            .map(|(index, stage)| {
                let name = format!("{} {}", index + 1, stage.name);
                let mut block = vec![Line::styled(
                    format!(" {}", text::fit(&name, width)),
                    theme.strong(),
                )];
                let facts = facts(stage).join(" · ");
                for part in text::wrap(&facts, width.saturating_sub(2)) {
                    block.push(Line::raw(format!("   {part}")));
                }
                block
            })
            .collect();
        let height = inner.height as usize;
        let all_rows: usize = blocks.iter().map(Vec::len).sum();
        let mut lines: Vec<Line> = Vec::new();
        if all_rows <= height {
            lines.extend(blocks.into_iter().flatten());
            let room = height - lines.len();
            if let Some(values) = record
                .results
                .as_ref()
                .filter(|v| room > 0 && v.iter().any(|v| !v.is_null()))
            {
                lines.extend(order::returned(values, record, width, room.min(3), theme));
            }
        } else {
            // One row a stage: its time and messages whole, its name (last) cut if it must be.
            for (index, stage) in record.stages.iter().enumerate().take(height) {
                let mut values = vec![stage.wall_ms().map_or("running…".to_string(), time)];
                if let Some(messages) = stage.task_messages() {
                    values.push(format!("{messages} msg"));
                }
                if let Some((value, expected)) = stage.shared_counter {
                    values.push(format!("{} lost", expected.saturating_sub(value)));
                }
                let row = format!(" {} {} · {}", index + 1, values.join(" · "), stage.name);
                lines.push(Line::raw(text::fit(&row, inner.width)));
            }
        }
        Paragraph::new(lines).render(inner, buf);
    }
}
