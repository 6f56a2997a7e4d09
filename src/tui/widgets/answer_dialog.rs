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
    pub(crate) theme: &'a Theme,
}

impl AnswerDialog<'_> {
    /// The lines where the answer is given: the choices, or the order or number typed so far,
    /// and how to answer.
    fn answer_lines(&self) -> Vec<Line<'static>> {
        let (theme, checkpoint, draft) = (self.theme, self.checkpoint, self.draft);
        let typed = |what: &str| {
            Line::from(vec![
                Span::raw(format!("Your {what}: ")),
                Span::styled(format!("{}▏", draft.text), theme.strong()),
            ])
        };
        match checkpoint.answer_kind {
            AnswerKind::Choice => {
                let mut lines: Vec<Line> = (checkpoint.choices.iter().enumerate())
                    .map(|(i, choice)| {
                        let selected = i == draft.choice;
                        let mark = if selected { "▶" } else { " " };
                        let style = if selected {
                            theme.selected()
                        } else {
                            theme.text()
                        };
                        Line::styled(format!("{mark} {}) {choice}", choice_letter(i)), style)
                    })
                    .collect();
                lines.push(Line::default());
                lines.push(Line::styled(
                    "Press a letter to answer, or ↑↓ and Enter.",
                    theme.muted(),
                ));
                lines
            }
            AnswerKind::Order => vec![
                typed("order"),
                Line::styled(
                    "Type the labels in order, separated by spaces (e.g. B C A D), then Enter.",
                    theme.muted(),
                ),
            ],
            AnswerKind::Number => vec![
                typed("number"),
                Line::styled("Type a number, then Enter.", theme.muted()),
            ],
        }
    }

    /// The hints revealed so far, and how many are left.
    fn hint_lines(&self) -> Vec<Line<'static>> {
        let (theme, hints) = (self.theme, &self.checkpoint.hints);
        let shown = self.state.hints_shown.min(hints.len());
        let mut lines = Vec::new();
        for (i, hint) in hints.iter().take(shown).enumerate() {
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled(format!("Hint {}: ", i + 1), theme.strong()),
                Span::raw(hint.clone()),
            ]));
        }
        let left = hints.len() - shown;
        if left > 0 {
            // In a typed answer `h` is a letter of the answer; Tab works everywhere.
            let keys = match self.checkpoint.answer_kind {
                AnswerKind::Choice => "h or Tab",
                AnswerKind::Order | AnswerKind::Number => "Tab",
            };
            lines.push(Line::styled(
                format!("{keys} reveals a hint ({left} left)."),
                theme.muted(),
            ));
        }
        lines
    }
}

impl Widget for &AnswerDialog<'_> {
    fn render(self, full: Rect, buf: &mut Buffer) {
        let (theme, checkpoint) = (self.theme, self.checkpoint);
        let mut lines = vec![Line::raw(checkpoint.question.clone()), Line::default()];
        lines.extend(self.answer_lines());
        lines.extend(self.hint_lines());
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
