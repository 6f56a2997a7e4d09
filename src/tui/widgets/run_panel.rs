//! The run panel: a status line, then the timeline, cores, processes, output and order panels
//! of the current run (or the outcomes of many runs).

use ratatui::buffer::Buffer;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::tui::app::lesson_screen::{Focus, LessonScreen};
use crate::tui::app::live_run::{LiveRun, RunState};
use crate::tui::app::replay::Replay;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::big_pids::{self, BigPidsPanel};
use crate::tui::widgets::cores::CoresPanel;
use crate::tui::widgets::distribution::DistributionPanel;
use crate::tui::widgets::layout::RunAreas;
use crate::tui::widgets::order::OrderPanel;
use crate::tui::widgets::output::OutputPanel;
use crate::tui::widgets::processes::ProcessesPanel;
use crate::tui::widgets::speedup::SpeedupPanel;
use crate::tui::widgets::timeline::TimelinePanel;

/// The status line of a run.
pub fn status(run: &LiveRun, theme: &Theme) -> Line<'static> {
    let record = &run.record;
    let seconds = run.now_ms / 1000.0;
    let (mark, text, style) = match (run.state, record.finished_ms) {
        (_, Some(end)) if record.stopped => (
            "■",
            format!("stopped after {:.2} s", end / 1000.0),
            theme.bad(),
        ),
        (_, Some(end)) => (
            "■",
            format!("finished in {:.2} s", end / 1000.0),
            theme.good(),
        ),
        (RunState::Paused, None) => (
            "❚❚",
            format!("paused at {seconds:.2} s: workers stopped (SIGSTOP) · Space resumes"),
            theme.bad(),
        ),
        (RunState::Ended, None) => ("■", "ended".to_string(), theme.bad()),
        (RunState::Running, None) => ("●", format!("running {seconds:.2} s"), theme.strong()),
    };
    let mut spans = vec![Span::styled(format!(" {mark} {text}"), style)];
    if record.parent_pid != 0 {
        spans.push(Span::raw(format!(
            " · parent {} · {} cores · ×{}",
            record.parent_pid, record.cores, record.speed
        )));
    }
    if let Some(notice) = record.notices.last() {
        spans.push(Span::styled(format!(" · {notice}"), theme.bad()));
    }
    Line::from(spans)
}

/// The status line of a recording being played back: where playback is, then what the run
/// itself reached.
pub fn replay_status(run: &LiveRun, replay: &Replay, theme: &Theme) -> Line<'static> {
    let (applied, total) = replay.progress();
    let mark = if replay.is_playing() {
        "▶"
    } else if replay.at_end() {
        "■"
    } else {
        "❚❚"
    };
    let mut spans = vec![Span::styled(
        format!(
            " {mark} replay {:.2} s of {:.2} s · event {applied} of {total} · ×{}",
            replay.position_ms() / 1000.0,
            replay.end_ms() / 1000.0,
            replay.rate()
        ),
        theme.strong(),
    )];
    let record = &run.record;
    if let Some(end) = record.finished_ms {
        let (text, style) = if record.stopped {
            (format!("stopped after {:.2} s", end / 1000.0), theme.bad())
        } else {
            (format!("finished in {:.2} s", end / 1000.0), theme.good())
        };
        spans.push(Span::styled(format!(" · {text}"), style));
    }
    spans.push(Span::raw(format!(" · parent {}", record.parent_pid)));
    Line::from(spans)
}

/// The run panel.
pub struct RunPanel<'a> {
    /// The lesson screen (its run, selection, scroll and series).
    pub screen: &'a LessonScreen,
    /// Where each section goes.
    pub areas: RunAreas,
    /// The theme.
    pub theme: &'a Theme,
}

impl RunPanel<'_> {
    /// Draws the panel into `buf`.
    pub fn render(&self, buf: &mut Buffer) {
        let theme = self.theme;
        let areas = self.areas;
        let screen = self.screen;
        let Some(run) = &screen.run else {
            let text = vec![
                Line::styled(" No run yet.", theme.strong()),
                Line::raw(""),
                Line::raw(
                    " Press r to run this lesson with real worker processes: their PIDs, cores, output and timings appear here as they happen.",
                ),
                Line::raw(""),
                Line::raw(" Answer the checkpoints first (c) to predict what will happen."),
                Line::raw(""),
                Line::raw(
                    " n runs it 20 times and shows how the outcome varies; s changes the knobs.",
                ),
            ];
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .render(areas.all, buf);
            return;
        };
        let mut line = match &screen.replay {
            Some(replay) => replay_status(run, replay, theme),
            None => status(run, theme),
        };
        if let Some(command) = &run.traced {
            line.spans.insert(
                0,
                Span::styled(format!(" traced: {command} ·"), theme.strong()),
            );
        }
        if let Some(series) = &screen.series {
            line.spans.insert(
                0,
                Span::styled(
                    format!(
                        " run {} of {} ·",
                        (series.done() + 1).min(series.total),
                        series.total
                    ),
                    theme.strong(),
                ),
            );
        }
        Paragraph::new(line).render(areas.status, buf);
        (&TimelinePanel {
            run,
            selected: screen.selected_worker,
            theme,
        })
            .render(areas.timeline, buf);
        (&CoresPanel { run, theme }).render(areas.cores, buf);
        let focused = |focus: Focus| screen.focus == focus;
        let processes = ProcessesPanel {
            record: &run.record,
            placement: &run.placement,
            selected: screen.selected_worker,
            focused: focused(Focus::Processes),
            theme,
        };
        if screen.projector && big_pids::fits(areas.processes, &run.record) {
            (&BigPidsPanel {
                record: &run.record,
                placement: &run.placement,
                selected: screen.selected_worker,
                theme,
            })
                .render(areas.processes, buf);
        } else {
            (&processes).render(areas.processes, buf);
        }
        let output = OutputPanel {
            record: &run.record,
            scroll: screen.output_scroll,
            focused: focused(Focus::Output),
            theme,
        };
        (&output).render(areas.output, buf);
        match &screen.series {
            Some(series) => (&DistributionPanel { series, theme }).render(areas.order, buf),
            None if !run.record.sweep_points().is_empty() => (&SpeedupPanel {
                record: &run.record,
                theme,
            })
                .render(areas.order, buf),
            None => (&OrderPanel {
                lesson: &screen.lesson,
                record: &run.record,
                theme,
            })
                .render(areas.order, buf),
        }
    }
}
