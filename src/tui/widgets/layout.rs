//! Where each panel goes, as pure functions of the terminal size: the view draws into these
//! areas and the update logic hit-tests mouse clicks against the same ones.

use ratatui::layout::{Constraint, Layout, Rect};

/// The smallest window the lesson screens fit in.
pub(crate) const MIN_WIDTH: u16 = 80;
/// The smallest window height.
pub(crate) const MIN_HEIGHT: u16 = 24;

/// Whether `area` is too small for the layout.
pub(crate) fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The frame of every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// One row at the top: where you are and what is going on.
    pub header: Rect,
    /// The screen's content.
    pub body: Rect,
    /// One row at the bottom: the main keys.
    pub key_bar: Rect,
}

/// Splits the whole terminal into header, body and key bar.
pub(crate) fn screen(area: Rect) -> Screen {
    let [header, body, key_bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Screen {
        header,
        body,
        key_bar,
    }
}

/// The lesson screen's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonAreas {
    /// The narrative or the program, on the left.
    pub reading: Rect,
    /// The run panel, on the right.
    pub run: RunAreas,
}

/// The run panel's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAreas {
    /// The whole run panel.
    pub all: Rect,
    /// One line: the run's state and settings.
    pub status: Rect,
    /// Worker lanes over time.
    pub timeline: Rect,
    /// One row per core.
    pub cores: Rect,
    /// One row per worker.
    pub processes: Rect,
    /// What the workers printed.
    pub output: Rect,
    /// Orders side by side, or the outcomes of many runs.
    pub order: Rect,
}

/// Lays out the lesson screen's body for a run with `workers` worker slots on `cores` cores.
pub(crate) fn lesson(body: Rect, workers: usize, cores: usize) -> LessonAreas {
    lesson_with_pid_rows(body, workers, cores, 1)
}

/// Widest the reading pane gets before a run (wider text is hard to read).
const MOST_READING_WIDTH: u16 = 100;
/// What the run panel keeps before a run: room for what a run will show.
const LEAST_WAITING_PANEL: u16 = 30;

/// Lays out the body before the first run: the run panel has nothing to show yet, so the text
/// (and the program) get most of the width.
pub(crate) fn before_run(body: Rect) -> LessonAreas {
    let reading_width = (body.width * 3 / 5)
        .min(MOST_READING_WIDTH)
        .min(body.width.saturating_sub(LEAST_WAITING_PANEL))
        .max(34);
    let [reading, run] =
        Layout::horizontal([Constraint::Length(reading_width), Constraint::Fill(1)]).areas(body);
    LessonAreas {
        reading,
        run: run_panel(run, 0, 0, 1),
    }
}

/// [`lesson`], with the reading pane taking half the width: an exercise's checks and their
/// evidence are what its screen is about.
pub(crate) fn exercise(body: Rect, workers: usize, cores: usize) -> LessonAreas {
    let reading_width = (body.width / 2).max(34);
    let [reading, run] =
        Layout::horizontal([Constraint::Length(reading_width), Constraint::Fill(1)]).areas(body);
    LessonAreas {
        reading,
        run: run_panel(run, workers, cores, 1),
    }
}

/// [`lesson`], with the processes panel asking for `pid_rows` rows per worker (big PIDs).
pub(crate) fn lesson_with_pid_rows(
    body: Rect,
    workers: usize,
    cores: usize,
    pid_rows: u16,
) -> LessonAreas {
    let reading_width = (body.width * 2 / 5).max(34);
    let [reading, run] =
        Layout::horizontal([Constraint::Length(reading_width), Constraint::Fill(1)]).areas(body);
    LessonAreas {
        reading,
        run: run_panel(run, workers, cores, pid_rows),
    }
}

/// Rows each section would like (its title row included), and the least it can do with.
fn run_panel(area: Rect, workers: usize, cores: usize, pid_rows: u16) -> RunAreas {
    let [status, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let workers = workers.max(1) as u16;
    let cores = cores.max(1) as u16;
    let bottom_min = 6;
    // The cores panel: a title, a row per core and a legend.
    let wants = [workers + 2, cores + 2, workers.saturating_mul(pid_rows) + 2];
    let mins = [3, 2, 3];
    let [timeline_h, cores_h, processes_h] =
        fit(wants, mins, rest.height.saturating_sub(bottom_min));
    let [timeline, cores_area, processes, bottom] = Layout::vertical([
        Constraint::Length(timeline_h),
        Constraint::Length(cores_h),
        Constraint::Length(processes_h),
        Constraint::Fill(1),
    ])
    .areas(rest);
    let order_width = (bottom.width * 2 / 5).max(24).min(bottom.width);
    let [output, order] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(order_width)]).areas(bottom);
    RunAreas {
        all: area,
        status,
        timeline,
        cores: cores_area,
        processes,
        output,
        order,
    }
}

/// Shares `total` rows among sections that want `wants`, never below `mins`: while they do not
/// fit, the largest section gives up a row.
fn fit<const N: usize>(wants: [u16; N], mins: [u16; N], total: u16) -> [u16; N] {
    let mut sizes = wants;
    while sizes.iter().sum::<u16>() > total {
        let largest = (0..N)
            .filter(|&i| sizes[i] > mins[i])
            .max_by_key(|&i| sizes[i]);
        match largest {
            Some(i) => sizes[i] -= 1,
            None => break,
        }
    }
    sizes
}

/// A `width`×`height` box centred in `area` (clipped to it).
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// Whether the cell at (`column`, `row`) is inside `area`.
pub(crate) fn contains(area: Rect, column: u16, row: u16) -> bool {
    column >= area.x && column < area.right() && row >= area.y && row < area.bottom()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_runs_get_what_they_want_and_large_ones_share() {
        assert_eq!(fit([4, 3, 4], [3, 2, 3], 20), [4, 3, 4]);
        assert_eq!(fit([258, 3, 258], [3, 2, 3], 30), [14, 3, 13]);
        assert_eq!(fit([10, 10], [3, 2], 3), [3, 2]);
    }

    #[test]
    fn the_minimum_window_holds_every_section() {
        let screen = screen(Rect::new(0, 0, MIN_WIDTH, MIN_HEIGHT));
        let areas = lesson(screen.body, 2, 2);
        assert_eq!(areas.reading.width, 34);
        let run = areas.run;
        assert_eq!(
            (run.timeline.height, run.cores.height, run.processes.height),
            (4, 4, 4)
        );
        assert_eq!(before_run(screen.body).reading.width, 48);
        assert!(run.output.height >= 6 && run.output.width >= 20, "{run:?}");
        let many = lesson(screen.body, 256, 64);
        assert!(many.run.output.height >= 6, "{many:?}");
    }
}
