//! The key bar at the bottom: the main keys of where the keyboard is; each can be clicked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::keys::{self, Action, Context};
use super::theme::Theme;

/// One item of the bar: where it is (columns from the bar's left) and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    key: &'static str,
    label: &'static str,
    from: u16,
    to: u16,
    action: Action,
}

fn items(context: Context) -> Vec<Item> {
    let mut items = Vec::new();
    let mut x = 0u16;
    for binding in keys::bar(context) {
        let key = binding.shown.split(' ').next().unwrap_or(binding.shown);
        let label = binding.bar.unwrap_or_default();
        let width = (key.chars().count() + label.chars().count() + 3) as u16;
        items.push(Item { key, label, from: x, to: x + width, action: binding.action });
        x += width;
    }
    items
}

/// The action of the bar item at `column`, if any.
pub fn hit(context: Context, _theme: &Theme, bar: Rect, column: u16) -> Option<Action> {
    let x = column.checked_sub(bar.x)?;
    items(context).into_iter().find(|item| (item.from..item.to).contains(&x)).map(|item| item.action)
}

/// The key bar.
pub struct KeyBar<'a> {
    /// Where the keyboard is.
    pub context: Context,
    /// A note shown after the keys (why a key did nothing, what happens next).
    pub notice: Option<&'a str>,
    /// The theme.
    pub theme: &'a Theme,
}

impl Widget for &KeyBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut spans = Vec::new();
        for item in items(self.context) {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(format!(" {} ", item.key), self.theme.key()));
            spans.push(Span::raw(format!("{} ", item.label).chars().skip(0).collect::<String>()));
            spans.pop();
            spans.push(Span::raw(item.label));
        }
        if let Some(notice) = self.notice {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(notice.to_string(), self.theme.strong()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}
