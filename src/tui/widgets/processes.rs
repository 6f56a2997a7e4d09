//! The processes panel: one row per worker with its slot, PID, parent PID, kernel state (or how
//! it ended), current core and tasks done.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::record::{RunRecord, WorkerInfo, WorkerStatus};
use crate::tui::app::placement::Placement;
use crate::tui::runtime::theme::Theme;

/// Rows for workers in a panel of `area` with `header` rows above them.
pub(crate) fn worker_rows(area: Rect, header: u16) -> usize {
    area.height.saturating_sub(header).max(1) as usize
}

/// The first worker shown when `rows` fit, so that `selected` is always in view.
pub(crate) fn first_visible(selected: usize, rows: usize) -> usize {
    (selected + 1).saturating_sub(rows.max(1))
}

/// A signal number as its name (`SIGKILL`), or the number.
pub(crate) fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string())
}

/// What the state column says about a worker whose last sampled state letter is `letter`.
pub(crate) fn state_text(worker: &WorkerInfo, letter: Option<char>) -> String {
    match worker.status {
        WorkerStatus::Exited(_) if worker.status_unknown => "ended".into(),
        WorkerStatus::Exited(code) if letter == Some('Z') && worker.joined_ms.is_none() => {
            format!("Z exited {code}")
        }
        WorkerStatus::Exited(code) => format!("exited {code}"),
        WorkerStatus::Killed(signal) => format!("killed {}", signal_name(signal)),
        WorkerStatus::Alive => match letter {
            Some('R') => "R running".into(),
            Some('S') => "S sleeping".into(),
            Some('T') => "T stopped".into(),
            Some('Z') => "Z zombie".into(),
            Some('D') => "D waiting".into(),
            Some(other) => other.to_string(),
            None => "…".into(),
        },
    }
}

/// A worker's kernel state letter and core now: from its own events, else the last sample.
pub(crate) fn now(worker: &WorkerInfo, placement: &Placement) -> (Option<char>, Option<u32>) {
    let sampled = placement.now(worker.slot);
    let letter = worker
        .state
        .or(sampled.and_then(|s| s.state).filter(|s| *s != 'X'));
    let core = worker.cpu.or(sampled.and_then(|s| s.core));
    (letter, core)
}

/// The panel's title: how many workers started and how many are alive.
pub(crate) fn title(record: &RunRecord) -> String {
    let alive = record
        .workers
        .iter()
        .filter(|w| w.pid != 0 && w.status == WorkerStatus::Alive)
        .count();
    let started = record.workers.iter().filter(|w| w.pid != 0).count();
    format!("Processes ({started} started, {alive} alive)")
}

/// The processes panel.
pub struct ProcessesPanel<'a> {
    /// What the run's events said so far.
    pub record: &'a RunRecord,
    /// Where its workers were (it also keeps samples that came before a worker's `spawned`).
    pub placement: &'a Placement,
    /// The selected worker slot.
    pub selected: usize,
    /// Whether the arrow keys move the selection.
    pub focused: bool,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

impl Widget for &ProcessesPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let border = theme.panel_border(self.focused);
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(border)
            .title(Span::styled(title(self.record), theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let mut lines = vec![Line::styled(
            " slot     PID    PPID  state         core  done",
            theme.strong(),
        )];
        let rows = worker_rows(inner, 1);
        let first = first_visible(self.selected, rows);
        for worker in self.record.workers.iter().skip(first).take(rows) {
            let selected = worker.slot == self.selected;
            let style = match worker.status {
                WorkerStatus::Killed(_) => theme.bad(),
                _ => theme.worker(Some(worker.slot)),
            };
            let pid = if worker.pid == 0 {
                "-".to_string()
            } else {
                worker.pid.to_string()
            };
            let (letter, core) = now(worker, self.placement);
            let core = core.map_or("-".to_string(), |c| c.to_string());
            let mut line = Line::from(vec![
                Span::raw(if selected { "▶" } else { " " }),
                Span::styled(format!("{:<4}", worker.slot), style),
                Span::styled(format!("{pid:>8}"), style),
                Span::raw(format!("{:>8}  ", worker.ppid_now)),
                Span::raw(format!("{:<13}", state_text(worker, letter))),
                Span::raw(format!("{core:>5}")),
                Span::raw(format!("{:>6}", worker.tasks_done)),
            ]);
            if selected && self.focused {
                line = line.patch_style(theme.selected());
            }
            lines.push(line);
        }
        Paragraph::new(lines).render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_signals_and_keeps_the_selection_in_view() {
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(first_visible(0, 4), 0);
        assert_eq!(first_visible(3, 4), 0);
        assert_eq!(first_visible(9, 4), 6);
    }
}
