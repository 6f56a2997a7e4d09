//! The processes panel in projector mode: each worker's PID in big digits, with its slot,
//! state, parent, core and tasks done beside it, so the room can read them. Used only when
//! every worker fits; otherwise the usual table ([`crate::tui::widgets::processes`]) is drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::record::{RunRecord, WorkerStatus};
use crate::tui::app::placement::Placement;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::big_text::{self, Size};
use crate::tui::widgets::processes;

/// Columns the text beside a big PID needs.
const TEXT_COLUMNS: u16 = 20;

/// Whether `area` has the rows for `workers` big PIDs under the panel's title.
pub(crate) fn has_rows(area: Rect, workers: usize) -> bool {
    area.height as usize > workers.max(1) * big_text::ROWS as usize
}

/// The worker slot whose big PID is at `row` of `area`, if any.
pub(crate) fn slot_at(area: Rect, record: &RunRecord, row: u16) -> Option<usize> {
    let slot = (row.checked_sub(area.y + 1)? / big_text::ROWS) as usize;
    (slot < record.workers.len()).then_some(slot)
}

/// Whether `record`'s workers all fit in `area` with big PIDs.
pub(crate) fn fits(area: Rect, record: &RunRecord) -> bool {
    let digits = record
        .workers
        .iter()
        .map(|w| w.pid.to_string().len() as u16)
        .max()
        .unwrap_or(1);
    !record.workers.is_empty()
        && has_rows(area, record.workers.len())
        && area.width >= 2 + digits * Size::Narrow.columns() + 2 + TEXT_COLUMNS
}

/// The big-PID processes panel.
pub(crate) struct BigPidsPanel<'a> {
    pub(crate) record: &'a RunRecord,
    /// Where its workers were.
    pub(crate) placement: &'a Placement,
    /// The selected worker slot.
    pub(crate) selected: usize,
    pub(crate) theme: &'a Theme,
}

impl Widget for &BigPidsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled(processes::title(self.record), theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let pid_columns = self
            .record
            .workers
            .iter()
            .map(|w| big_text::width(&w.pid.to_string(), Size::Narrow))
            .max()
            .unwrap_or(0);
        for (row, worker) in self.record.workers.iter().enumerate() {
            let y = inner.y + row as u16 * big_text::ROWS;
            if y + big_text::ROWS > inner.bottom() {
                break;
            }
            let style = match worker.status {
                WorkerStatus::Killed(_) => theme.bad(),
                _ => theme.worker(Some(worker.slot)),
            };
            let marker = if worker.slot == self.selected {
                "▶"
            } else {
                " "
            };
            Paragraph::new(marker).render(Rect::new(inner.x, y, 1, 1), buf);
            let pid_area = Rect::new(inner.x + 2, y, pid_columns, big_text::ROWS);
            if worker.pid == 0 {
                Paragraph::new("-").render(pid_area, buf);
            } else {
                let pid = vec![worker.pid.to_string()];
                big_text::render(&pid, Size::Narrow, style, pid_area, buf);
            }
            let (letter, core) = processes::now(worker, self.placement);
            let core = core.map_or("-".to_string(), |c| c.to_string());
            let lines = vec![
                Line::from(vec![
                    Span::styled(format!("worker {}  ", worker.slot), style),
                    Span::styled(processes::state_text(worker, letter), theme.strong()),
                ]),
                Line::raw(format!("parent {}", worker.ppid_now)),
                Line::raw(format!("core {core} · {} done", worker.tasks_done)),
            ];
            let text_x = pid_area.right() + 2;
            let text = Rect::new(
                text_x,
                y,
                inner.right().saturating_sub(text_x),
                big_text::ROWS,
            );
            Paragraph::new(lines).render(text, buf);
        }
    }
}
