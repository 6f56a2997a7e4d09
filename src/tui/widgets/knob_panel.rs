//! The knobs panel ("try this"): the next run's speed and the lesson's knobs, with their values
//! and ranges.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::app::knobs::KnobRow;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout::centered;
use crate::tui::widgets::markdown;

/// Shows a value without needless decimals.
pub(crate) fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// The knobs panel.
pub(crate) struct KnobPanel<'a> {
    /// The next run's speed.
    pub(crate) speed: f64,
    /// The lesson's knobs.
    pub(crate) rows: &'a [KnobRow],
    /// The selected row (0 is the speed).
    pub(crate) selected: usize,
    pub(crate) theme: &'a Theme,
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
        let width = full.width.saturating_sub(6).min(100);
        // Columns before a knob's note: pointer, name, value and mark.
        const NOTE_COLUMN: u16 = 2 + 14 + 7 + 2;
        let note_width = width.saturating_sub(NOTE_COLUMN + 2);
        let mut row = |index: usize, name: String, value: String, note: String, changed: bool| {
            let selected = index == self.selected;
            let mark = if changed { "*" } else { " " };
            let mut note_lines = markdown::render(&note, note_width, theme).into_iter();
            let mut first = vec![
                Span::raw(if selected { "▶ " } else { "  " }),
                Span::styled(format!("{name:<14}"), theme.strong()),
                Span::raw(format!("{value:>7}{mark} ")),
            ];
            first.extend(note_lines.next().map(|l| l.spans).unwrap_or_default());
            let line = Line::from(first);
            lines.push(if selected {
                line.patch_style(theme.selected())
            } else {
                line
            });
            for more in note_lines {
                let mut spans = vec![Span::raw(" ".repeat(NOTE_COLUMN as usize))];
                spans.extend(more.spans);
                lines.push(Line::from(spans));
            }
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
        let area = centered(full, width, height);
        Clear.render(area, buf);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(Span::styled(" Knobs: try this ", theme.heading()));
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
