//! The processes panel: one row per worker with its slot, PID, parent PID, kernel state (or how
//! it ended), current core and tasks done.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::record::{RunRecord, WorkerInfo, WorkerStatus};
use crate::tui::app::placement::Placement;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

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
    /// The worker slots, in the order of the rows.
    pub rows: &'a [usize],
    /// Whether the arrow keys move the selection.
    pub focused: bool,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

/// One worker's row, as text per column.
struct Row {
    slot: String,
    pid: String,
    tid: String,
    ppid: String,
    state: String,
    core: String,
    done: String,
}

impl ProcessesPanel<'_> {
    fn row(&self, worker: &WorkerInfo) -> Row {
        let dash = || "-".to_string();
        let (letter, core) = now(worker, self.placement);
        Row {
            slot: worker.slot.to_string(),
            pid: if worker.pid == 0 {
                dash()
            } else {
                worker.pid.to_string()
            },
            tid: worker.tid.map_or_else(dash, |tid| tid.to_string()),
            ppid: worker.ppid_now.to_string(),
            state: state_text(worker, letter),
            core: core.map_or_else(dash, |c| c.to_string()),
            done: worker.tasks_done.to_string(),
        }
    }
}

/// The columns' widths: each as wide as its header or its widest value.
struct Widths([usize; 7]);

impl Widths {
    const HEADERS: [&'static str; 7] = ["w", "PID", "TID", "PPID", "state", "core", "done"];

    fn of(rows: &[Row]) -> Widths {
        let mut widths = Self::HEADERS.map(str::len);
        for row in rows {
            let cells = [
                &row.slot, &row.pid, &row.tid, &row.ppid, &row.state, &row.core, &row.done,
            ];
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(text::width(cell));
            }
        }
        Widths(widths)
    }

    /// The cells laid out in columns: numbers to the right, the state to the left; the TID
    /// column only for a run of threads.
    fn line(&self, cells: [&str; 7], threads: bool) -> String {
        let w = &self.0;
        let tid = if threads {
            format!("{:>w$}  ", cells[2], w = w[2])
        } else {
            String::new()
        };
        format!(
            "{:<w0$} {:>w1$}  {tid}{:>w3$}  {:<w4$}  {:>w5$}  {:>w6$}",
            cells[0],
            cells[1],
            cells[3],
            cells[4],
            cells[5],
            cells[6],
            w0 = w[0],
            w1 = w[1],
            w3 = w[3],
            w4 = w[4],
            w5 = w[5],
            w6 = w[6],
        )
    }
}

impl Widget for &ProcessesPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let border = theme.panel_border(self.focused);
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(border)
            .title(Span::styled(
                text::fit(&title(self.record), area.width),
                theme.heading(),
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let rows = worker_rows(inner, 1);
        let selected = self
            .rows
            .iter()
            .position(|&s| s == self.selected)
            .unwrap_or(0);
        let first = first_visible(selected, rows);
        let workers: Vec<&WorkerInfo> = (self.rows.iter().skip(first).take(rows))
            .filter_map(|&slot| self.record.workers.get(slot))
            .collect();
        let cells: Vec<Row> = workers.iter().map(|w| self.row(w)).collect();
        let widths = Widths::of(&cells);
        let threads = self.record.workers.iter().any(|w| w.tid.is_some());
        let header = format!(" {}", widths.line(Widths::HEADERS, threads));
        let mut lines = vec![text::fit_line(
            Line::styled(header, theme.strong()),
            inner.width,
        )];
        for (worker, row) in workers.iter().zip(&cells) {
            let selected = worker.slot == self.selected;
            let style = match worker.status {
                WorkerStatus::Killed(_) => theme.bad(),
                _ => theme.worker(Some(worker.slot)),
            };
            let text = widths.line(
                [
                    &row.slot, &row.pid, &row.tid, &row.ppid, &row.state, &row.core, &row.done,
                ],
                threads,
            );
            let mut line = Line::from(vec![
                Span::raw(if selected { "▶" } else { " " }),
                Span::styled(text, style),
            ]);
            if selected && self.focused {
                line = line.patch_style(theme.selected());
            }
            lines.push(text::fit_line(line, inner.width));
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
