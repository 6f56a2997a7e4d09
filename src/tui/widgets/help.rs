//! The help overlay: every key of the screen the keyboard is on, read from the same table the
//! keys obey.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::runtime::keys::{BINDINGS, Context};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout::centered;
use crate::tui::widgets::text;

/// Rows PgUp and PgDn scroll the help by.
pub(crate) const PAGE_ROWS: usize = 10;

/// The help text at `width` columns, one entry per key: the keys of `current` first, then the
/// others that apply on the same screen, the mouse, and what each panel shows.
pub(crate) fn lines(current: Context, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &context in current.help_order() {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(context.title(), theme.heading()));
        for binding in BINDINGS
            .iter()
            .filter(|b| b.context == context && !b.shown.is_empty())
        {
            entry(&mut lines, binding.shown, binding.help, width, theme);
        }
    }
    if let Some(text) = mouse(current) {
        lines.push(Line::default());
        lines.push(Line::styled("Mouse", theme.heading()));
        for line in text::wrap(text, width.saturating_sub(2)) {
            lines.push(Line::raw(format!("  {line}")));
        }
    }
    if current.help_order().contains(&Context::Lesson)
        || matches!(
            current,
            Context::Trace | Context::Replay | Context::Exercise
        )
    {
        lines.push(Line::default());
        lines.push(Line::styled("What each panel shows", theme.heading()));
        for (name, about) in PANELS {
            entry(&mut lines, name, about, width, theme);
        }
    }
    lines
}

/// Columns before an entry's text: two spaces and the key (or the panel's name).
const KEY_COLUMNS: usize = 12;

/// One entry: `name` in bold, then `about` wrapped beside it.
fn entry(lines: &mut Vec<Line<'static>>, name: &str, about: &str, width: u16, theme: &Theme) {
    let text_width = (width as usize).saturating_sub(KEY_COLUMNS).max(10) as u16;
    // A name too long for its column gets a row of its own.
    let long = text::width(name) > KEY_COLUMNS - 3;
    if long {
        lines.push(Line::styled(format!("  {name}"), theme.strong()));
    }
    for (row, part) in text::wrap(about, text_width).into_iter().enumerate() {
        let lead = if row == 0 && !long {
            Span::styled(format!("  {name:<w$}", w = KEY_COLUMNS - 2), theme.strong())
        } else {
            Span::raw(" ".repeat(KEY_COLUMNS))
        };
        lines.push(Line::from(vec![lead, Span::raw(part)]));
    }
}

/// What the mouse does where the keyboard is.
fn mouse(context: Context) -> Option<&'static str> {
    match context {
        Context::List | Context::Filter | Context::Global => {
            Some("click a lesson to open it, or a key in the bar; the wheel moves the selection")
        }
        Context::Lesson | Context::Number | Context::Question => Some(
            "click a worker to select it, a checkpoint's box to answer it, or a key in the bar; the wheel scrolls the panel under the pointer",
        ),
        Context::Exercises => Some("click an exercise to open it; the wheel moves the selection"),
        Context::Trace | Context::Replay | Context::Exercise => Some(
            "click a process to select it, or a key in the bar; the wheel scrolls the panel under the pointer",
        ),
        Context::Answer | Context::Typing | Context::Knobs | Context::Help | Context::Notes => None,
    }
}

/// Each panel of the run, and how to read it.
const PANELS: [(&str, &str); 8] = [
    (
        "header",
        "the lesson, your checkpoints right of all, and what the next run uses (speed, workers)",
    ),
    (
        "timeline",
        "one lane per worker (slot w0, w1… and PID); each bar is a task from its start to its end, labelled with the task when it has room, coloured by the core it ran on; │ is now; ┊2 marks where stage 2 began; ─ is a traced process's life (one that ran no task); a trace's quiet processes (no task, no output) are counted, not drawn",
    ),
    (
        "cores",
        "one row per CPU core: the PID on it now, then its history on the timeline's time axis: 0-9 a-z = the worker slot that ran there, + = several, · = idle",
    ),
    (
        "processes",
        "one row per worker: PID, parent PID, kernel state (R running, S sleeping, T stopped, Z zombie) or how it ended, its core now, tasks done",
    ),
    (
        "output",
        "every line printed, in the order it arrived, after the PID that printed it (▸: the parent)",
    ),
    (
        "order",
        "the order tasks were sent, finished and (pools) returned; a place where it differs from the order sent is highlighted",
    ),
    (
        "stages",
        "a run of several stages: each one's workers, chunksize, task messages, time and shared counter, to compare",
    ),
    (
        "speedup",
        "cpu-speedup: each worker count's time, its speedup over one worker, the ideal, and Amdahl's prediction",
    ),
];

/// The help box in a terminal of `area`.
pub(crate) fn area(area: Rect) -> Rect {
    centered(area, 92, area.height.saturating_sub(2))
}

/// The largest useful scroll position in a terminal of `area`.
pub(crate) fn max_scroll(area: Rect, current: Context, theme: &Theme) -> usize {
    let inner = self::area(area);
    lines(current, inner.width.saturating_sub(2), theme)
        .len()
        .saturating_sub(inner.height.saturating_sub(2) as usize)
}

/// The help overlay.
pub(crate) struct HelpOverlay<'a> {
    /// Where the keyboard is (its keys come first).
    pub(crate) context: Context,
    /// Rows scrolled off the top.
    pub(crate) scroll: usize,
    pub(crate) theme: &'a Theme,
}

impl Widget for &HelpOverlay<'_> {
    fn render(self, full: Rect, buf: &mut Buffer) {
        let area = area(full);
        Clear.render(area, buf);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(Span::styled(" Keys ", self.theme.heading()))
            .title_bottom(Line::raw(" ↑↓ scroll · any other key closes ").right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        let scroll = self.scroll.min(max_scroll(full, self.context, self.theme));
        let visible: Vec<Line> = lines(self.context, inner.width, self.theme)
            .into_iter()
            .skip(scroll)
            .take(inner.height as usize)
            .collect();
        Paragraph::new(visible).render(inner, buf);
    }
}
