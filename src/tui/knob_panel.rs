//! The knobs panel ("try this"): the next run's speed and the lesson's knobs, with their values
//! and ranges.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::knobs::KnobRow;
use super::layout::centered;
use super::theme::Theme;

/// Shows a value without needless decimals.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// The knobs panel.
pub struct KnobPanel<'a> {
    /// The next run's speed.
    pub speed: f64,
    /// The lesson's knobs.
    pub rows: &'a [KnobRow],
    /// The selected row (0 is the speed).
    pub selected: usize,
    /// The theme.
    pub theme: &'a Theme,
}

impl Widget for &KnobPanel<'_> {
    fn render(self, full: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut lines = vec![
            Line::styled(
                "Values for the next run; the lesson files stay as they are.",
                theme.muted(),
            ),
            Line::default(),
        ];
        let mut row = |index: usize, name: String, value: String, note: String, changed: bool| {
            let selected = index == self.selected;
            let mark = if changed { "*" } else { " " };
            let line = Line::from(vec![
                Span::raw(if selected { "▶ " } else { "  " }),
                Span::styled(format!("{name:<14}"), theme.strong()),
                Span::raw(format!("{value:>7}{mark} ")),
                Span::styled(note, theme.muted()),
            ]);
            lines.push(if selected {
                line.patch_style(theme.selected())
            } else {
                line
            });
        };
        row(
            0,
            "speed".into(),
            format!("×{}", number(self.speed)),
            "durations are divided by this".into(),
            false,
        );
        for (i, knob) in self.rows.iter().enumerate() {
            let note = format!("{}–{} · {}", number(knob.min), number(knob.max), knob.help);
            row(
                i + 1,
                knob.name.clone(),
                number(knob.value),
                note,
                knob.changed,
            );
        }
        if self.rows.is_empty() {
            lines.push(Line::styled("  This lesson has no knobs.", theme.muted()));
        }
        lines.push(Line::default());
        lines.push(Line::styled(
            "* changed from the lesson's value",
            theme.muted(),
        ));
        let height = lines.len() as u16 + 2;
        let area = centered(full, full.width.saturating_sub(6).min(100), height);
        Clear.render(area, buf);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(Span::styled(" Knobs: try this ", theme.heading()));
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
