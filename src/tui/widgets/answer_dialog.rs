//! The answer dialog: a checkpoint's question, its choices or a text field, and the hints
//! revealed so far.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::lesson::model::{AnswerKind, Checkpoint};
use crate::tui::app::checkpoints::{AnswerDraft, CheckpointState, choice_letter};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout::centered;

/// The answer dialog.
pub(crate) struct AnswerDialog<'a> {
    /// The checkpoint asked.
    pub(crate) checkpoint: &'a Checkpoint,
    /// The learner's standing with it (hints revealed).
    pub(crate) state: &'a CheckpointState,
    /// The answer being given.
    pub(crate) draft: &'a AnswerDraft,
    /// The theme.
    pub(crate) theme: &'a Theme,
}

impl Widget for &AnswerDialog<'_> {
    fn render(self, full: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let checkpoint = self.checkpoint;
        let mut lines = vec![Line::raw(checkpoint.question.clone()), Line::default()];
        match checkpoint.answer_kind {
            AnswerKind::Choice => {
                for (i, choice) in checkpoint.choices.iter().enumerate() {
                    let selected = i == self.draft.choice;
                    let text = format!(
                        "{} {}) {choice}",
                        if selected { "▶" } else { " " },
                        choice_letter(i)
                    );
                    lines.push(Line::styled(
                        text,
                        if selected {
                            theme.selected()
                        } else {
                            theme.text()
                        },
                    ));
                }
                lines.push(Line::default());
                lines.push(Line::styled(
                    "Press a letter to answer, or ↑↓ and Enter.",
                    theme.muted(),
                ));
            }
            AnswerKind::Order => {
                lines.push(Line::from(vec![
                    Span::raw("Your order: "),
                    Span::styled(format!("{}▏", self.draft.text), theme.strong()),
                ]));
                lines.push(Line::styled(
                    "Type the labels in order, separated by spaces (e.g. B C A D), then Enter.",
                    theme.muted(),
                ));
            }
            AnswerKind::Number => {
                lines.push(Line::from(vec![
                    Span::raw("Your number: "),
                    Span::styled(format!("{}▏", self.draft.text), theme.strong()),
                ]));
                lines.push(Line::styled("Type a number, then Enter.", theme.muted()));
            }
        }
        for (i, hint) in checkpoint
            .hints
            .iter()
            .take(self.state.hints_shown)
            .enumerate()
        {
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled(format!("Hint {}: ", i + 1), theme.strong()),
                Span::raw(hint.clone()),
            ]));
        }
        let left = checkpoint.hints.len() - self.state.hints_shown.min(checkpoint.hints.len());
        if left > 0 {
            lines.push(Line::styled(
                format!("Tab reveals a hint ({left} left)."),
                theme.muted(),
            ));
        }
        let width = full.width.saturating_sub(8).min(76);
        let text_width = width.saturating_sub(2).max(1);
        let height: u16 = lines
            .iter()
            .map(|line| (line.width() as u16).max(1).div_ceil(text_width))
            .sum::<u16>()
            + 2;
        let area = centered(full, width, height);
        Clear.render(area, buf);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(theme.checkpoint())
            .title(Span::styled(
                format!(" Checkpoint: predict before you run ({}) ", checkpoint.id),
                theme.checkpoint(),
            ));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .render(area, buf);
    }
}
