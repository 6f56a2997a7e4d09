//! The run panel: a status line, then the timeline, cores, processes, output and order panels
//! of the current run (or the outcomes of many runs).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::lesson::Lesson;
use crate::tui::app::lanes::Lanes;
use crate::tui::app::live_run::{LiveRun, RunState, Series};
use crate::tui::app::panes::{Focus, RunView};
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
use crate::tui::widgets::stages::StagesPanel;
use crate::tui::widgets::text;
use crate::tui::widgets::timeline::TimelinePanel;

/// The status line of a run.
pub(crate) fn status(run: &LiveRun, theme: &Theme) -> Line<'static> {
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
            format!(
                "paused {:.1} s, at {:.2} s: workers stopped (SIGSTOP) · Space resumes",
                run.paused_ms() / 1000.0,
                run.interference.paused_since.unwrap_or(run.now_ms) / 1000.0
            ),
            theme.bad(),
        ),
        (RunState::Ended, None) => ("■", "ended".to_string(), theme.bad()),
        (RunState::Running, None) => ("●", format!("running {seconds:.2} s"), theme.strong()),
    };
    let mut spans = vec![Span::styled(format!(" {mark} {text}"), style)];
    if let Some(why) = run.interfered().filter(|_| run.traced.is_none()) {
        spans.push(Span::styled(
            format!(" · {why}: answers no checkpoint"),
            theme.bad(),
        ));
    }
    if record.parent_pid != 0 {
        spans.push(Span::raw(format!(" · parent {}", record.parent_pid)));
        spans.push(Span::raw(format!(" · {} cores", record.cores)));
        spans.push(Span::raw(format!(" · ×{}", record.speed)));
    }
    if let Some(notice) = record.notices.last() {
        spans.push(Span::styled(format!(" · {notice}"), theme.bad()));
    }
    Line::from(spans)
}

/// The status line of a recording being played back: where playback is, then what the run
/// itself reached.
pub(crate) fn replay_status(run: &LiveRun, replay: &Replay, theme: &Theme) -> Line<'static> {
    let (applied, total) = replay.progress();
    let mark = if replay.is_playing() {
        "▶"
    } else if replay.at_end() {
        "■"
    } else {
        "❚❚"
    };
    let mut spans = vec![
        Span::styled(
            format!(
                " {mark} replay {:.2} s of {:.2} s",
                replay.position_ms() / 1000.0,
                replay.end_ms() / 1000.0
            ),
            theme.strong(),
        ),
        Span::styled(format!(" · event {applied} of {total}"), theme.strong()),
        Span::styled(format!(" · ×{}", replay.rate()), theme.strong()),
    ];
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
pub(crate) struct RunPanel<'a> {
    /// The run shown, the selection, the focus and the output's scroll.
    pub(crate) view: &'a RunView,
    /// The lesson run, if it is a lesson's (how its pool hands results back).
    pub(crate) lesson: Option<&'a Lesson>,
    /// Many runs in a row, while `n` is going.
    pub(crate) series: Option<&'a Series>,
    /// Where playback is, for a recording.
    pub(crate) replay: Option<&'a Replay>,
    /// Projector mode: big PIDs when they fit.
    pub(crate) projector: bool,
    /// Where each section goes.
    pub(crate) areas: RunAreas,
    pub(crate) theme: &'a Theme,
}

impl RunPanel<'_> {
    /// Draws the panel into `buf`.
    pub(crate) fn render(&self, buf: &mut Buffer) {
        let (theme, areas, view) = (self.theme, self.areas, self.view);
        let Some(run) = &view.run else {
            no_run_yet(areas, theme, buf);
            return;
        };
        // Each part whole or left out: the state first, then what fits.
        Paragraph::new(text::fit_parts(
            self.status_line(run).spans,
            areas.status.width,
        ))
        .render(areas.status, buf);
        let lanes = Lanes::of(&run.record);
        (&TimelinePanel {
            run,
            selected: view.selected_worker,
            lanes: &lanes,
            theme,
        })
            .render(areas.timeline, buf);
        (&CoresPanel { run, theme }).render(areas.cores, buf);
        let focused = |focus: Focus| view.focus == focus;
        if self.projector && big_pids::fits(areas.processes, &run.record) {
            (&BigPidsPanel {
                record: &run.record,
                placement: &run.placement,
                selected: view.selected_worker,
                theme,
            })
                .render(areas.processes, buf);
        } else {
            (&ProcessesPanel {
                record: &run.record,
                placement: &run.placement,
                selected: view.selected_worker,
                rows: &lanes.rows,
                focused: focused(Focus::Processes),
                theme,
            })
                .render(areas.processes, buf);
        }
        (&OutputPanel {
            record: &run.record,
            scroll: view.output_scroll,
            focused: focused(Focus::Output),
            theme,
        })
            .render(areas.output, buf);
        match self.series {
            Some(series) => (&DistributionPanel { series, theme }).render(areas.order, buf),
            None if !run.record.sweep_points().is_empty() => (&SpeedupPanel {
                record: &run.record,
                theme,
            })
                .render(areas.order, buf),
            None if run.record.stages.len() > 1 => (&StagesPanel {
                record: &run.record,
                theme,
            })
                .render(areas.order, buf),
            None => (&OrderPanel {
                lesson: self.lesson,
                record: &run.record,
                theme,
            })
                .render(areas.order, buf),
        }
    }

    /// The line above the panels: where playback is or how the run stands, the traced command,
    /// and which of many runs this is.
    fn status_line(&self, run: &LiveRun) -> Line<'static> {
        let theme = self.theme;
        let mut line = match self.replay {
            Some(replay) => replay_status(run, replay, theme),
            None => status(run, theme),
        };
        if let Some(command) = &run.traced {
            line.spans.insert(
                1,
                Span::styled(format!(" · traced: {command}"), theme.strong()),
            );
        }
        if let Some(series) = self.series {
            let this = (series.done() + 1).min(series.total);
            line.spans.insert(
                1,
                Span::styled(format!(" · run {this} of {}", series.total), theme.strong()),
            );
        }
        line
    }
}

/// What the run panel says before a lesson's first run.
fn no_run_yet(areas: RunAreas, theme: &Theme, buf: &mut Buffer) {
    let text = vec![
        Line::styled("No run yet.", theme.strong()),
        Line::raw(""),
        Line::raw(
            "Press r to run this lesson with real worker processes: their PIDs, cores, output and timings appear here as they happen.",
        ),
        Line::raw(""),
        Line::raw("Answer the checkpoints first (c) to predict what will happen."),
        Line::raw(""),
        Line::raw("n runs it 20 times and shows how the outcome varies; s changes the knobs."),
    ];
    // A column of margin on the left, as the panels have.
    let area = Rect {
        x: areas.all.x + 1,
        width: areas.all.width.saturating_sub(1),
        ..areas.all
    };
    Paragraph::new(text)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
