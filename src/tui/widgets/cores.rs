//! The cores panel: one row per core, with the worker PID running on it now and a strip of its
//! history on the timeline's time axis (the worker slot that was running there at each moment),
//! so a worker moving between cores is visible. Derived from `cpu`, `task_*` and `state` events;
//! a worker counts as on a core while its sampled state is `R`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::live_run::LiveRun;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;
use crate::tui::widgets::timeline::{LABEL_WIDTH, TimeAxis, axis_for};

/// The character that stands for worker `slot` in a strip: 0–9, then a–z, then `#`.
pub(crate) fn slot_glyph(slot: usize) -> char {
    char::from_digit(slot as u32, 36).unwrap_or('#')
}

/// How to read a core's history.
const LEGEND: &str = "0-9 a-z worker slot · + several · · idle";

/// Who was running on one core at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occupant {
    Nobody,
    One(usize),
    Several,
}

impl Occupant {
    fn add(self, slot: usize) -> Occupant {
        match self {
            Occupant::Nobody => Occupant::One(slot),
            _ => Occupant::Several,
        }
    }
}

/// The cores panel.
pub struct CoresPanel<'a> {
    /// The run as the UI follows it (its record, where its workers were, its "now").
    pub run: &'a LiveRun,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

impl CoresPanel<'_> {
    /// For each of the first `rows` cores and each column of `axis` up to `now_column`, which
    /// worker was running on it (one pass over time).
    fn history(&self, axis: &TimeAxis, now_column: u16, rows: usize) -> Vec<Vec<Occupant>> {
        let run = self.run;
        let cores = (run.record.cores as usize).min(rows);
        let mut strip = vec![vec![Occupant::Nobody; axis.columns as usize]; cores];
        for column in 0..=now_column {
            let t = axis.time_of(column).min(run.now_ms);
            for slot in 0..run.placement.workers.len() {
                if !run.placement.running_at(slot, t) {
                    continue;
                }
                if let Some(core) = run.placement.core_at(slot, t)
                    && let Some(row) = strip.get_mut(core as usize)
                {
                    row[column as usize] = row[column as usize].add(slot);
                }
            }
        }
        strip
    }

    /// For each of the first `rows` cores, the workers running on it now.
    fn on_core_now(&self, rows: usize) -> Vec<Vec<usize>> {
        let placement = &self.run.placement;
        let mut on_core: Vec<Vec<usize>> =
            vec![Vec::new(); (self.run.record.cores as usize).min(rows)];
        for slot in 0..placement.workers.len() {
            let Some(now) = placement.now(slot) else {
                continue;
            };
            if now.state == Some('R')
                && let Some(list) = now.core.and_then(|c| on_core.get_mut(c as usize))
            {
                list.push(slot);
            }
        }
        on_core
    }

    /// What the row of a core says is on it now (a PID, with `+n` for more), and its style.
    fn now_label(&self, running: &[usize]) -> (String, Style) {
        let workers = &self.run.record.workers;
        let pid = |slot: usize| workers.get(slot).map_or(0, |w| w.pid);
        match running {
            [] => (String::new(), self.theme.muted()),
            [slot] => (
                workers
                    .get(*slot)
                    .map_or(String::new(), |w| w.pid.to_string()),
                self.theme.worker(Some(*slot)),
            ),
            [slot, rest @ ..] => (
                format!("{}+{}", pid(*slot), rest.len()),
                self.theme.worker(Some(*slot)),
            ),
        }
    }
}

impl Widget for &CoresPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height < 2 || area.width <= LABEL_WIDTH + 4 {
            return;
        }
        let (theme, run) = (self.theme, self.run);
        let cores = run.record.cores as usize;
        let title = Line::from(vec![
            Span::styled("Cores", theme.heading()),
            Span::raw(" · the PID on each now, and who ran there"),
        ]);
        Paragraph::new(text::fit_line(title, area.width)).render(Rect { height: 1, ..area }, buf);
        // A legend row under the cores, when there is room for every core and it.
        let legend = area.height as usize > cores + 1;
        if legend {
            let line = Line::from(vec![Span::raw(" "), Span::styled(LEGEND, theme.muted())]);
            let row = Rect {
                y: area.bottom() - 1,
                height: 1,
                ..area
            };
            Paragraph::new(text::fit_line(line, area.width)).render(row, buf);
        }
        let rows = (area.height - 1 - u16::from(legend)) as usize;
        let axis = axis_for(run, area.width);
        let now_column = axis.column_of(run.now_ms);
        let on_core_now = self.on_core_now(rows);
        for (core, row) in self.history(&axis, now_column, rows).iter().enumerate() {
            let y = area.y + 1 + core as u16;
            let (who, style) = self.now_label(&on_core_now[core]);
            buf.set_string(area.x, y, format!(" cpu{core:<3}"), theme.strong());
            buf.set_stringn(area.x + 7, y, format!("{who:>6} "), 7, style);
            for (column, occupant) in row.iter().enumerate().take(now_column as usize + 1) {
                let (symbol, style) = match occupant {
                    Occupant::Nobody => ('·', theme.muted()),
                    Occupant::One(slot) => (slot_glyph(*slot), theme.worker(Some(*slot)).bold()),
                    Occupant::Several => ('+', theme.strong()),
                };
                if let Some(cell) = buf.cell_mut((area.x + LABEL_WIDTH + column as u16, y)) {
                    cell.set_char(symbol).set_style(style);
                }
            }
        }
        if cores > rows {
            let more = format!("{} more cores not shown", cores - rows);
            let x = area.right().saturating_sub(more.len() as u16 + 1);
            buf.set_stringn(x, area.y, &more, more.len(), theme.muted());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_have_one_character_each() {
        assert_eq!(slot_glyph(0), '0');
        assert_eq!(slot_glyph(10), 'a');
        assert_eq!(slot_glyph(35), 'z');
        assert_eq!(slot_glyph(36), '#');
    }
}
