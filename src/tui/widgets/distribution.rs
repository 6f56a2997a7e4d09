//! The outcomes of many runs of the same lesson (`n`): each distinct outcome with how many runs
//! had it, as a bar.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::lesson::model::Observation;
use crate::tui::app::live_run::Series;
use crate::tui::runtime::theme::Theme;

/// What an observation is called in the panel's title.
fn observation_name(observation: Observation) -> &'static str {
    match observation {
        Observation::CompletionOrder => "completion order",
        Observation::LastFinished => "last to finish",
        Observation::TotalSeconds => "seconds",
        Observation::DistinctPids => "distinct PIDs",
        Observation::PrintOrder => "print order",
        Observation::SlowdownFactor => "slowdown",
        Observation::Migrations => "core changes",
        Observation::LostUpdates => "lost updates",
        Observation::BestSpeedup => "best speedup",
        Observation::ExitCodes => "exit codes",
    }
}

/// The distribution panel.
pub struct DistributionPanel<'a> {
    /// The runs so far.
    pub series: &'a Series,
    /// Colours, or none (`NO_COLOR`): then patterns tell cores apart.
    pub theme: &'a Theme,
}

impl Widget for &DistributionPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let series = self.series;
        let title = format!(
            " {} of {} runs: {}",
            series.done(),
            series.total,
            observation_name(series.observation)
        );
        let block = Block::new()
            .borders(Borders::TOP)
            .title(Span::styled(title, theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let distribution = series.distribution();
        let most = distribution.first().map_or(1, |(_, n)| *n).max(1);
        let bar_width = (inner.width / 4).max(4) as usize;
        let mut lines: Vec<Line> = distribution
            .iter()
            .map(|(outcome, count)| {
                let filled = (count * bar_width).div_ceil(most);
                Line::from(vec![
                    Span::styled("█".repeat(filled), theme.strong()),
                    Span::raw(" ".repeat(bar_width - filled)),
                    Span::raw(format!(" {count:>3} ")),
                    Span::raw(outcome.to_string()),
                ])
            })
            .collect();
        if series.missing > 0 {
            lines.push(Line::styled(
                format!(" {} runs ended without an outcome", series.missing),
                theme.muted(),
            ));
        }
        Paragraph::new(lines).render(inner, buf);
    }
}
