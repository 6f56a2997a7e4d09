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
    /// First column.
    from: u16,
    /// The column after the last.
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
        items.push(Item {
            key,
            label,
            from: x,
            to: x + width,
            action: binding.action,
        });
        x += width;
    }
    items
}

/// The action of the bar item at `column`, if any.
pub fn hit(context: Context, bar: Rect, column: u16) -> Option<Action> {
    let x = column.checked_sub(bar.x)?;
    items(context)
        .into_iter()
        .find(|item| (item.from..item.to).contains(&x))
        .map(|item| item.action)
}

/// The key bar.
pub struct KeyBar<'a> {
    /// Where the keyboard is.
    pub context: Context,
    /// The theme.
    pub theme: &'a Theme,
}

impl Widget for &KeyBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut spans = Vec::new();
        for item in items(self.context) {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(format!(" {} ", item.key), self.theme.key()));
            spans.push(Span::raw(item.label));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bar_fits_the_smallest_window_and_clicks_find_their_item() {
        for context in [
            Context::List,
            Context::Filter,
            Context::Lesson,
            Context::Answer,
            Context::Knobs,
            Context::Replay,
        ] {
            let width = items(context).last().map_or(0, |item| item.to);
            assert!(
                width <= super::super::layout::MIN_WIDTH,
                "{context:?} bar is {width} wide"
            );
        }
        let bar = Rect::new(0, 23, 80, 1);
        let first = &items(Context::Lesson)[0];
        assert_eq!(
            hit(Context::Lesson, bar, first.from + 1),
            Some(first.action)
        );
        assert_eq!(hit(Context::Lesson, bar, 79), None);
    }
}
