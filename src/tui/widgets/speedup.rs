//! The speedup panel, in place of the order panel for a speedup sweep: for every worker count,
//! the measured time, the speedup over one worker, the ideal, and Amdahl's law with the serial
//! part measured at one worker.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::record::RunRecord;
use crate::tui::runtime::theme::Theme;

/// The speedup panel.
pub(crate) struct SpeedupPanel<'a> {
    pub(crate) record: &'a RunRecord,
    pub(crate) theme: &'a Theme,
}

impl Widget for &SpeedupPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let record = self.record;
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled("Speedup", theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let points = record.sweep_points();
        let Some(&(_, alone)) = points.iter().find(|(workers, _)| *workers == 1) else {
            Paragraph::new(Line::styled(
                " Measured once one worker has finished.",
                theme.muted(),
            ))
            .render(inner, buf);
            return;
        };
        let serial = record.sweep_serial_fraction().unwrap_or(0.0);
        let cores = f64::from(record.cores.max(1));
        let mut lines = vec![Line::styled(
            format!(
                " {:>2} {:>5} {:>5} {:>5} {:>6}",
                "N", "time", "×", "ideal", "Amdahl"
            ),
            theme.strong(),
        )];
        for (workers, ms) in &points {
            let usable = f64::from(*workers).min(cores);
            let amdahl = 1.0 / (serial + (1.0 - serial) / usable);
            lines.push(Line::raw(format!(
                " {workers:>2} {:>4.2}s {:>5.2} {usable:>5.0} {amdahl:>6.2}",
                ms / 1000.0,
                alone / ms
            )));
        }
        lines.push(Line::styled(
            format!(" serial part {:.0}%, measured", serial * 100.0),
            theme.muted(),
        ));
        Paragraph::new(lines).render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, SweepPart};

    fn stage(stage: usize, workers: u32, part: SweepPart, start: f64, end: f64) -> [Event; 2] {
        [
            Event::StageStarted {
                t_ms: start,
                stage,
                name: String::new(),
                kind: crate::event::StageKind::Processes,
                workers,
                chunksize: None,
                tasks: workers as usize,
                sweep_workers: Some(workers),
                sweep_part: Some(part),
            },
            Event::StageFinished {
                t_ms: end,
                stage,
                wall_ms: end - start,
            },
        ]
    }

    #[test]
    fn shows_each_worker_count_against_ideal_and_amdahl() {
        let mut record = RunRecord::new();
        record.cores = 2;
        let events = [
            stage(0, 1, SweepPart::Serial, 0.0, 100.0),
            stage(1, 1, SweepPart::Parallel, 100.0, 1000.0),
            stage(2, 2, SweepPart::Serial, 1000.0, 1100.0),
            stage(3, 2, SweepPart::Parallel, 1100.0, 1550.0),
        ];
        for event in events.into_iter().flatten() {
            record.push(event);
        }
        let area = Rect::new(0, 0, 28, 6);
        let mut buf = Buffer::empty(area);
        (&SpeedupPanel {
            record: &record,
            theme: &Theme::monochrome(),
        })
            .render(area, &mut buf);
        let text: Vec<String> = (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        assert_eq!(text[1], "  N  time     × ideal Amdahl", "{text:?}");
        assert_eq!(text[2], "  1 1.00s  1.00     1   1.00", "{text:?}");
        assert_eq!(text[3], "  2 0.55s  1.82     2   1.82", "{text:?}");
        assert_eq!(text[4], " serial part 10%, measured", "{text:?}");
    }
}
