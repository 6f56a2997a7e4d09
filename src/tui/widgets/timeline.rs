//! The timeline: one lane per worker (slot and PID), each task a bar from its start to its end
//! labelled with the task's label and coloured by the core the worker was on, a "now" line
//! while the run is live, and a time axis in seconds.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::lanes::Lanes;
use crate::tui::app::live_run::LiveRun;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::processes::first_visible;
use crate::tui::widgets::text;

/// Columns left of the bars for a lane's slot and PID (and a core's name in the cores panel).
pub(crate) const LABEL_WIDTH: u16 = 14;

/// Maps run time to columns: the same for the timeline and the cores panel, so they line up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeAxis {
    /// Milliseconds the full width stands for.
    pub(crate) span_ms: f64,
    /// Columns of bars.
    pub(crate) columns: u16,
}

/// Rounds up to 1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten.
fn nice_ceiling(value: f64) -> f64 {
    let power = 10f64.powf(value.max(1e-9).log10().floor());
    let steps = [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0];
    steps
        .iter()
        .map(|s| s * power)
        .find(|v| *v >= value * 0.999_999)
        .unwrap_or(10.0 * power)
}

impl TimeAxis {
    /// An axis that shows `end_ms` with a little room to grow, over `columns` columns.
    pub(crate) fn new(end_ms: f64, columns: u16) -> TimeAxis {
        TimeAxis {
            span_ms: nice_ceiling((end_ms * 1.05).max(10.0)),
            columns: columns.max(1),
        }
    }

    fn position(&self, t_ms: f64) -> f64 {
        t_ms / self.span_ms * f64::from(self.columns)
    }

    /// The column `t_ms` falls in.
    pub(crate) fn column_of(&self, t_ms: f64) -> u16 {
        (self.position(t_ms).floor().max(0.0) as u16).min(self.columns - 1)
    }

    /// The time at the middle of `column`.
    pub(crate) fn time_of(&self, column: u16) -> f64 {
        (f64::from(column) + 0.5) / f64::from(self.columns) * self.span_ms
    }

    /// Columns `[from, to)` a bar from `start_ms` to `end_ms` covers (at least one).
    pub(crate) fn columns_of(&self, start_ms: f64, end_ms: f64) -> (u16, u16) {
        let from = self.column_of(start_ms);
        let to = (self.position(end_ms).round().max(0.0) as u16).min(self.columns);
        (from, to.max(from + 1))
    }

    /// Tick marks: columns and their labels in seconds, at least 8 columns apart.
    pub(crate) fn ticks(&self) -> Vec<(u16, String)> {
        let per_column = self.span_ms / f64::from(self.columns);
        let step = nice_step(per_column * 8.0);
        let decimals = if step >= 1000.0 {
            0
        } else if step >= 100.0 {
            1
        } else if step >= 10.0 {
            2
        } else {
            3
        };
        let mut ticks = Vec::new();
        let mut t = 0.0;
        while t <= self.span_ms * 1.000_001 {
            let column = self.position(t).round() as u16;
            if column < self.columns {
                ticks.push((column, format!("{:.*}", decimals, t / 1000.0)));
            }
            t += step;
        }
        ticks
    }
}

/// Rounds up to 1, 2 or 5 times a power of ten.
fn nice_step(value: f64) -> f64 {
    let power = 10f64.powf(value.max(1e-9).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|s| s * power)
        .find(|v| *v >= value * 0.999_999)
        .unwrap_or(10.0 * power)
}

/// The axis of a run drawn in a panel `width` wide.
pub(crate) fn axis_for(run: &LiveRun, width: u16) -> TimeAxis {
    TimeAxis::new(run.now_ms, width.saturating_sub(LABEL_WIDTH))
}

/// The timeline panel.
pub struct TimelinePanel<'a> {
    /// The run as the UI follows it (its record, where its workers were, its "now").
    pub run: &'a LiveRun,
    /// The selected worker (kept in view).
    pub selected: usize,
    /// Which workers get a lane, in order.
    pub lanes: &'a Lanes,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

impl TimelinePanel<'_> {
    /// The title in `width` columns: each core's sample and name together while they fit.
    fn title(&self, width: u16) -> Line<'static> {
        let theme = self.theme;
        let mut line = text::fit_parts(
            vec![
                Span::styled("Timeline", theme.heading()),
                Span::raw(" · bars by core:"),
            ],
            width,
        );
        let cores = self.run.record.cores;
        for core in 0..cores {
            let sample = theme.core_fill(Some(core)).to_string().repeat(2);
            let name = format!(" cpu{core}");
            // Room for this core, and for "…" after it if more cores follow.
            let more = if core + 1 < cores { 2 } else { 0 };
            if line.width() + 1 + 2 + name.len() + more > usize::from(width) {
                line.push_span(Span::raw(" …"));
                break;
            }
            line.push_span(Span::raw(" "));
            line.push_span(Span::styled(sample, theme.core_bar(Some(core))));
            line.push_span(Span::raw(name));
        }
        line
    }
}

impl TimelinePanel<'_> {
    /// A lane with no task (a traced process that ran none): a thin line while it lived.
    fn render_lifetime(&self, slot: usize, axis: &TimeAxis, bars_x: u16, y: u16, buf: &mut Buffer) {
        let (run, worker) = (self.run, &self.run.record.workers[slot]);
        if worker.pid == 0 {
            return;
        }
        let end = worker
            .exited_ms
            .unwrap_or(run.now_ms)
            .max(worker.started_ms);
        let (from, to) = axis.columns_of(worker.started_ms, end);
        for column in from..to {
            if let Some(cell) = buf.cell_mut((bars_x + column, y)) {
                cell.set_char('─').set_style(self.theme.worker(Some(slot)));
            }
        }
    }

    /// Worker `lane.slot`'s label left of its row.
    fn render_lane_label(&self, lane: &Lane, area: Rect, buf: &mut Buffer) {
        let worker = &self.run.record.workers[lane.slot];
        let marker = if lane.slot == self.selected {
            "▶"
        } else {
            " "
        };
        let label = format!("{marker}{:<4}{:>8} ", format!("w{}", lane.slot), worker.pid);
        let style = self.theme.worker(Some(lane.slot));
        buf.set_stringn(area.x, lane.y, &label, LABEL_WIDTH as usize, style);
    }

    /// A bar for each task that started on a worker of `lanes`, coloured by the core it was
    /// on, its label at its start where it fits. A cell shows the last task (in index order,
    /// which is start order within a lane) whose bar covers it, so the tasks are taken from the
    /// last back and a cell once painted is kept: of 100,000 tiny tasks in a few hundred
    /// columns, a frame paints only the last of each column.
    fn render_bars(&self, lanes: &mut [Lane], bars_x: u16, buf: &mut Buffer) {
        let (theme, run) = (self.theme, self.run);
        let tasks = &run.record.tasks;
        for index in (0..tasks.len()).rev() {
            let Some(task) = tasks.get(index) else {
                continue;
            };
            let (Some(slot), Some(start)) = (task.worker, task.start_ms) else {
                continue;
            };
            let Some(lane) = lanes.iter_mut().find(|lane| lane.slot == slot) else {
                continue;
            };
            lane.has_tasks = true;
            let worker = &run.record.workers[slot];
            let end = task
                .end_ms
                .or(worker.exited_ms.filter(|_| task.lost))
                .unwrap_or(run.now_ms)
                .max(start);
            let (from, to) = lane.axis.columns_of(start, end);
            let unpainted = |column: &u16| !lane.painted[usize::from(*column)];
            if !(from..to).any(|column| unpainted(&column)) {
                continue;
            }
            // A label only on a bar with room for all of it: tiny tasks side by side would
            // otherwise run their labels together into noise. Cells are written as they are: a
            // control character must not reach the terminal.
            let label = task.label();
            let room = usize::from(to - from) > text::width(&label);
            let label: Vec<char> = label.chars().filter(|c| room && !c.is_control()).collect();
            for column in (from..to).filter(unpainted) {
                let t = lane.axis.time_of(column).clamp(start, end);
                let core = run.placement.core_at(slot, t).or(task.cpu_start);
                let (symbol, style) = match label.get(usize::from(column - from)) {
                    Some(&c) => (c, bar_label_style(theme, core)),
                    None if task.lost => ('✗', theme.bad()),
                    None => (theme.core_fill(core), theme.core_bar(core)),
                };
                if let Some(cell) = buf.cell_mut((bars_x + column, lane.y)) {
                    cell.set_char(symbol).set_style(style);
                }
            }
            for column in from..to {
                lane.painted[usize::from(column)] = true;
            }
        }
    }

    /// The "now" line through a lane's empty cell.
    fn render_now(&self, lane: &Lane, bars_x: u16, buf: &mut Buffer) {
        if let Some(column) = lane.now
            && let Some(cell) = buf.cell_mut((bars_x + column, lane.y))
            && cell.symbol() == " "
            && cell.bg == ratatui::style::Color::Reset
        {
            cell.set_char('│').set_style(self.theme.now_line());
        }
    }
}

/// Where a lane is drawn and what it is drawn against.
struct Lane<'a> {
    /// The worker's slot.
    slot: usize,
    y: u16,
    /// The time axis.
    axis: &'a TimeAxis,
    /// The column of the "now" line, while the run is live.
    now: Option<u16>,
    /// Which of its columns a task's bar has painted.
    painted: Vec<bool>,
    /// Whether a task started on it.
    has_tasks: bool,
}

impl Widget for &TimelinePanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height < 3 || area.width <= LABEL_WIDTH + 4 {
            return;
        }
        let (theme, run) = (self.theme, self.run);
        let record = &run.record;
        let axis = axis_for(run, area.width);
        let rows = (area.height - 2) as usize;
        let drawn = self.lanes.drawn();
        let selected = drawn.iter().position(|&s| s == self.selected).unwrap_or(0);
        let first = first_visible(selected, rows);
        let shown = &drawn[first..(first + rows).min(drawn.len())];
        let live = run.is_live() && !record.is_finished();
        let now = live.then(|| axis.column_of(run.now_ms));
        let bars_x = area.x + LABEL_WIDTH;
        let mut lanes: Vec<Lane> = (shown.iter().enumerate())
            .map(|(row, &slot)| Lane {
                slot,
                y: area.y + 1 + row as u16,
                axis: &axis,
                now,
                painted: vec![false; usize::from(axis.columns)],
                has_tasks: false,
            })
            .collect();
        self.render_bars(&mut lanes, bars_x, buf);
        for lane in &lanes {
            self.render_lane_label(lane, area, buf);
            if !lane.has_tasks {
                self.render_lifetime(lane.slot, &axis, bars_x, lane.y, buf);
            }
            self.render_now(lane, bars_x, buf);
        }
        let mut notes = Vec::new();
        if drawn.len() > shown.len() {
            let last = first + shown.len();
            notes.push(format!("{}–{} of {}", first + 1, last, drawn.len()));
        }
        if self.lanes.folded() > 0 {
            notes.push(format!("+{} quiet, not drawn", self.lanes.folded()));
        }
        // The title, then what is not drawn at its right: the legend gives way first.
        let more = notes.join(" · ");
        let more_width = text::width(&more) as u16;
        let title_width = area.width.saturating_sub(more_width + 1);
        let title = self.title(title_width);
        Paragraph::new(title).render(Rect { height: 1, ..area }, buf);
        let x = area.right().saturating_sub(more_width + 1);
        buf.set_stringn(x, area.y, &more, more_width as usize, theme.muted());
        render_axis(&axis, now, area, theme, buf);
        self.render_stage_dividers(&axis, area, buf);
    }
}

impl TimelinePanel<'_> {
    /// A dotted line where each stage after the first began, through the lanes' empty cells
    /// (lanes are in stage order: the stages panel numbers them).
    fn render_stage_dividers(&self, axis: &TimeAxis, area: Rect, buf: &mut Buffer) {
        let (theme, record) = (self.theme, &self.run.record);
        let bars_x = area.x + LABEL_WIDTH;
        for stage in record.stages.iter().skip(1) {
            let x = bars_x + axis.column_of(stage.start_ms);
            for y in area.y + 1..area.bottom() {
                if let Some(cell) = buf.cell_mut((x, y))
                    && cell.symbol() == " "
                    && cell.bg == ratatui::style::Color::Reset
                {
                    cell.set_char('┊').set_style(theme.muted());
                }
            }
        }
    }
}

/// The time axis on the last row of `area`, with its ticks and the "now" mark.
fn render_axis(axis: &TimeAxis, now: Option<u16>, area: Rect, theme: &Theme, buf: &mut Buffer) {
    let (bars_x, axis_y) = (area.x + LABEL_WIDTH, area.bottom() - 1);
    buf.set_string(area.x, axis_y, " time (s)", theme.muted());
    for (column, text) in axis.ticks() {
        buf.set_stringn(
            bars_x + column,
            axis_y,
            format!("╵{text}"),
            (axis.columns - column) as usize,
            theme.muted(),
        );
    }
    if let Some(column) = now {
        buf.set_string(bars_x + column, axis_y, "▲", theme.now_line());
    }
}

/// The style of a task's label on its bar.
fn bar_label_style(theme: &Theme, core: Option<u32>) -> Style {
    if theme.color {
        theme.core_bar(core).bold()
    } else {
        Style::new().bold().reversed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_rounds_up_and_places_bars_and_ticks() {
        let axis = TimeAxis::new(606.0, 60);
        assert_eq!(axis.span_ms, 800.0);
        assert_eq!(axis.columns_of(0.0, 400.0), (0, 30));
        assert_eq!(axis.columns_of(100.0, 100.1), (7, 8));
        assert_eq!(axis.column_of(10_000.0), 59);
        let ticks = axis.ticks();
        assert_eq!(ticks[0], (0, "0.0".to_string()));
        assert_eq!(ticks[1], (15, "0.2".to_string()));
        assert_eq!(nice_ceiling(11.0), 15.0);
        assert_eq!(nice_ceiling(6300.0), 8000.0);
    }
}
