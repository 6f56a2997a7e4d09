//! Colours and text styles, chosen once at start-up.
//!
//! Only the terminal's own ANSI colours are used, so a light theme, a dark theme and a projector
//! each show them in their own readable shades; nothing depends on a colour alone (symbols and
//! modifiers carry the meaning too). With `NO_COLOR` set, no colour is used at all.

use ratatui::style::{Color, Modifier, Style};

/// Foreground colours for workers, readable on light and dark backgrounds.
const WORKER_COLORS: [Color; 5] = [
    Color::Blue,
    Color::Magenta,
    Color::Green,
    Color::Red,
    Color::Cyan,
];
/// Background colours for the cores, under black text.
const CORE_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Green,
    Color::Magenta,
    Color::LightBlue,
    Color::LightRed,
];
/// Fill characters for the cores when there is no colour.
const CORE_FILLS: [char; 4] = ['█', '▓', '▒', '░'];

/// What a piece of Python source is, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `def`, `import`, `with`…
    Keyword,
    /// A string literal.
    String,
    /// A comment or docstring.
    Comment,
    /// A number or constant (`True`, `None`).
    Constant,
    /// The name in a `def` or `class`.
    Definition,
    /// A built-in function such as `print`.
    Builtin,
    /// Anything else.
    Plain,
}

/// The styles of every element of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours may be used.
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub(crate) fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Theme { color: !no_color }
    }

    /// A theme with colours.
    pub fn colored() -> Theme {
        Theme { color: true }
    }

    /// A theme with no colours, only modifiers.
    pub fn monochrome() -> Theme {
        Theme { color: false }
    }

    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    /// Plain text.
    pub(crate) fn text(&self) -> Style {
        Style::new()
    }

    /// Secondary text: hints, units, counts.
    pub(crate) fn muted(&self) -> Style {
        Style::new().add_modifier(Modifier::ITALIC)
    }

    /// A heading of the narrative, or a panel title.
    pub(crate) fn heading(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Blue).bold(),
            Style::new().bold().underlined(),
        )
    }

    /// Strong emphasis.
    pub(crate) fn strong(&self) -> Style {
        Style::new().bold()
    }

    pub(crate) fn emphasis(&self) -> Style {
        Style::new().italic()
    }

    /// A code span or code block in the narrative.
    pub(crate) fn code(&self) -> Style {
        self.pick(Style::new().fg(Color::Magenta), Style::new().bold())
    }

    /// The selected row of a list or table.
    pub(crate) fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A key name in the key bar or the help.
    pub(crate) fn key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Cyan).bold(),
            Style::new().bold().reversed(),
        )
    }

    /// A right answer, a clean exit.
    pub(crate) fn good(&self) -> Style {
        self.pick(Style::new().fg(Color::Green).bold(), Style::new().bold())
    }

    /// A wrong answer, a killed worker, an error.
    pub(crate) fn bad(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).bold(),
            Style::new().bold().underlined(),
        )
    }

    /// Something that differs from what was expected (an order that changed).
    pub fn differs(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Yellow).bold(),
            Style::new().bold().reversed(),
        )
    }

    /// A checkpoint marker in the narrative.
    pub(crate) fn checkpoint(&self) -> Style {
        self.pick(Style::new().fg(Color::Magenta).bold(), Style::new().bold())
    }

    /// Borders of panels.
    pub(crate) fn border(&self) -> Style {
        Style::new()
    }

    /// The border of the panel that has the keyboard.
    pub(crate) fn focused_border(&self) -> Style {
        self.pick(Style::new().fg(Color::Blue).bold(), Style::new().bold())
    }

    /// A panel's border: marked when the panel has the keyboard's focus.
    pub(crate) fn panel_border(&self, focused: bool) -> Style {
        if focused {
            self.focused_border()
        } else {
            self.border()
        }
    }

    /// The "now" line of the timeline.
    pub(crate) fn now_line(&self) -> Style {
        self.pick(Style::new().fg(Color::Red).bold(), Style::new().bold())
    }

    /// Text printed by worker `slot` (or the parent, `None`).
    pub(crate) fn worker(&self, slot: Option<usize>) -> Style {
        match slot {
            Some(slot) if self.color => Style::new().fg(WORKER_COLORS[slot % WORKER_COLORS.len()]),
            Some(_) => Style::new(),
            None => Style::new().bold(),
        }
    }

    /// The style of a task bar on `core`.
    pub fn core_bar(&self, core: Option<u32>) -> Style {
        match core {
            Some(core) if self.color => Style::new()
                .fg(Color::Black)
                .bg(CORE_COLORS[core as usize % CORE_COLORS.len()]),
            _ => Style::new().bold(),
        }
    }

    /// The character that fills a task bar on `core`: a solid block with colours, a pattern per
    /// core without.
    pub(crate) fn core_fill(&self, core: Option<u32>) -> char {
        match core {
            Some(_) if self.color => ' ',
            Some(core) => CORE_FILLS[core as usize % CORE_FILLS.len()],
            None => '─',
        }
    }

    /// A piece of Python source.
    pub(crate) fn syntax(&self, kind: TokenKind) -> Style {
        if !self.color {
            return match kind {
                TokenKind::Keyword => Style::new().bold(),
                TokenKind::Comment => Style::new().italic(),
                TokenKind::Definition => Style::new().bold().underlined(),
                _ => Style::new(),
            };
        }
        match kind {
            TokenKind::Keyword => Style::new().fg(Color::Magenta).bold(),
            TokenKind::String => Style::new().fg(Color::Green),
            TokenKind::Comment => Style::new().fg(Color::Blue).italic(),
            TokenKind::Constant => Style::new().fg(Color::Red),
            TokenKind::Definition => Style::new().bold(),
            TokenKind::Builtin => Style::new().fg(Color::Magenta),
            TokenKind::Plain => Style::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monochrome_uses_no_colour_anywhere() {
        let theme = Theme::monochrome();
        let styles = [
            theme.heading(),
            theme.code(),
            theme.key(),
            theme.good(),
            theme.bad(),
            theme.differs(),
            theme.checkpoint(),
            theme.now_line(),
            theme.worker(Some(3)),
            theme.core_bar(Some(1)),
            theme.syntax(TokenKind::Keyword),
            theme.syntax(TokenKind::String),
        ];
        for style in styles {
            assert_eq!(style.fg, None, "{style:?}");
            assert_eq!(style.bg, None, "{style:?}");
        }
        assert_ne!(theme.core_fill(Some(0)), theme.core_fill(Some(1)));
    }
}
