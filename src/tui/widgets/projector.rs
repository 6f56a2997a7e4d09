//! Projector mode (`--projector`, key `z`): high contrast, the lesson's title in big text when
//! there is room, a header that always says "lesson N/M · page p/q", and a key bar with only the
//! essential keys (see [`crate::tui::widgets::key_bar`]). Big PIDs are drawn by [`crate::tui::widgets::processes`].

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::exercise::exercise_number;
use crate::tui::app::live_run::RunState;
use crate::tui::app::panes::Text;
use crate::tui::app::{App, Screen};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::big_text::{self, Size};
use crate::tui::widgets::layout::{self, MIN_HEIGHT};

/// Most lines the big title may take: one, so that the lesson keeps the rows.
const TITLE_LINES: usize = 1;

/// The frame of a projector screen: the usual one, with the big title's rows taken from the
/// top of the body when it fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Header, body and key bar.
    pub(crate) screen: layout::Screen,
    /// Where the big title goes, its glyph size and its lines.
    pub(crate) title: Option<(Rect, Size, Vec<String>)>,
}

/// Lays out `app`'s screen in projector mode.
pub(crate) fn frame(app: &App) -> Frame {
    let screen = layout::screen(app.area);
    let Some((_, _, text)) = app.shown_panes() else {
        return Frame {
            screen,
            title: None,
        };
    };
    let wrapped = big_text::wrap(text.title(), screen.body.width, TITLE_LINES);
    let Some((size, lines)) = wrapped else {
        return Frame {
            screen,
            title: None,
        };
    };
    // The big title's lines and a blank row below them, if the lesson still gets a full window.
    let rows = lines.len() as u16 * big_text::ROWS + 1;
    if app.area.height < MIN_HEIGHT + rows {
        return Frame {
            screen,
            title: None,
        };
    }
    let title = Rect {
        height: rows - 1,
        ..screen.body
    };
    let body = Rect {
        y: screen.body.y + rows,
        height: screen.body.height - rows,
        ..screen.body
    };
    Frame {
        screen: layout::Screen { body, ..screen },
        title: Some((title, size, lines)),
    }
}

/// "lesson N/M · page p/q" on a lesson (or a recording of one), "lesson N/M" (the selected
/// one) on the list; beside a trace, how the trace stands; beside a recording of a lesson that
/// is not loaded, where playback is.
pub(crate) fn position(app: &App) -> String {
    match app.screen() {
        Screen::Trace(screen) => {
            let state = screen.view.run.as_ref().map_or("starting", |run| {
                match (run.record.is_finished(), run.state) {
                    (true, _) | (_, RunState::Ended) => "finished",
                    (false, RunState::Paused) => "paused",
                    (false, RunState::Running) => "running",
                }
            });
            return format!("trace · {state}");
        }
        Screen::Replay(screen) if screen.text().lesson().is_none() => {
            let (shown, total) = screen.replay.progress();
            return format!("recording · event {shown}/{total}");
        }
        _ => {}
    }
    let total = app.lessons.len();
    let Some((reader, _, text)) = app.shown_panes() else {
        let number = app
            .list
            .visible(&app.lessons)
            .get(app.list.selected)
            .map_or(0, |i| i + 1);
        return format!("lesson {number}/{total}");
    };
    if let Text::Exercise(page) = text {
        let (number, total) = exercise_number(&app.lessons, &page.exercise.id);
        return format!("exercise {number}/{total}");
    }
    let page = format!("page {}/{}", reader.page + 1, reader.pages);
    match text.lesson() {
        Some(lesson) => {
            let number = app
                .lessons
                .iter()
                .position(|l| l.id == lesson.id)
                .map_or(0, |i| i + 1);
            format!("lesson {number}/{total} · {page}")
        }
        None => page,
    }
}

/// The header in projector mode: where you are on the left, the position always on the right.
pub(crate) struct Header<'a> {
    /// The lesson's title, or "Lessons".
    pub(crate) place: &'a str,
    /// From [`position`].
    pub(crate) position: String,
    pub(crate) theme: &'a Theme,
}

impl Widget for &Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let position = format!(" {} ", self.position);
        let width = (position.chars().count() as u16).min(area.width);
        let right = Rect {
            x: area.right() - width,
            width,
            ..area
        };
        let left = Rect {
            width: area.width - width,
            ..area
        };
        Paragraph::new(Line::from(vec![
            Span::raw(" "),
            Span::styled(self.place.to_string(), self.theme.strong()),
        ]))
        .render(left, buf);
        Paragraph::new(Line::styled(position, self.theme.key())).render(right, buf);
    }
}

/// Draws the big title of `frame`, if it has one.
pub(crate) fn render_title(frame: &Frame, theme: &Theme, buf: &mut Buffer) {
    if let Some((area, size, lines)) = &frame.title {
        big_text::render(lines, *size, theme.heading(), *area, buf);
    }
}

/// Turns what was drawn into high contrast: no italic or dim text; with colours, white on black
/// and only the bright shades of the colours used.
pub(crate) fn high_contrast(buf: &mut Buffer, area: Rect, theme: &Theme) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            cell.modifier.remove(Modifier::ITALIC | Modifier::DIM);
            if theme.color {
                cell.fg = bright(cell.fg, Color::White);
                cell.bg = match cell.bg {
                    Color::Reset => Color::Black,
                    other => bright(other, other),
                };
            }
        }
    }
}

/// The bright shade of an ANSI colour; `reset` for the terminal's default.
fn bright(color: Color, reset: Color) -> Color {
    match color {
        Color::Reset => reset,
        Color::Blue => Color::LightCyan,
        Color::Cyan => Color::LightCyan,
        Color::Magenta => Color::LightMagenta,
        Color::Red => Color::LightRed,
        Color::Green => Color::LightGreen,
        Color::Yellow => Color::LightYellow,
        Color::Gray | Color::DarkGray => Color::White,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_contrast_brightens_colours_and_keeps_monochrome_colourless() {
        let area = Rect::new(0, 0, 2, 1);
        let mut buf = Buffer::empty(area);
        buf[(0, 0)].set_fg(Color::Blue).modifier = Modifier::ITALIC | Modifier::BOLD;
        buf[(1, 0)].set_bg(Color::Cyan).set_fg(Color::Black);
        let mut mono = buf.clone();
        high_contrast(&mut buf, area, &Theme::colored());
        assert_eq!(buf[(0, 0)].fg, Color::LightCyan);
        assert_eq!(buf[(0, 0)].bg, Color::Black);
        assert_eq!(buf[(0, 0)].modifier, Modifier::BOLD);
        assert_eq!(
            (buf[(1, 0)].fg, buf[(1, 0)].bg),
            (Color::Black, Color::LightCyan)
        );
        mono[(0, 0)].fg = Color::Reset;
        mono[(1, 0)].fg = Color::Reset;
        mono[(1, 0)].bg = Color::Reset;
        high_contrast(&mut mono, area, &Theme::monochrome());
        assert!(
            mono.content()
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
        );
        assert_eq!(mono[(0, 0)].modifier, Modifier::BOLD);
    }
}
