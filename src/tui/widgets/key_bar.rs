//! The key bar at the bottom: the main keys of where the keyboard is; each can be clicked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::runtime::keys::{self, Action, Context};
use crate::tui::runtime::theme::Theme;

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

/// The only actions the bar shows in projector mode, in order.
fn essential(context: Context) -> &'static [Action] {
    match context {
        Context::List => &[Action::Confirm, Action::Zoom, Action::Back],
        Context::Lesson => &[Action::NextPage, Action::Run, Action::Zoom],
        Context::Knobs => &[Action::Run, Action::Back],
        Context::Trace => &[Action::Run, Action::Pause, Action::Zoom],
        Context::Replay => &[Action::Pause, Action::StepForward, Action::Zoom],
        Context::Filter | Context::Answer | Context::Global | Context::Help | Context::Notes => {
            &[Action::Confirm, Action::Back]
        }
    }
}

/// The bindings on the bar with their labels: those the table marks, or in projector mode
/// only the essential ones.
fn shown(context: Context, essential_only: bool) -> Vec<(&'static keys::Binding, &'static str)> {
    if !essential_only {
        return keys::bar(context)
            .map(|b| (b, b.bar.unwrap_or_default()))
            .collect();
    }
    essential(context)
        .iter()
        .filter_map(|&action| {
            let binding = keys::BINDINGS.iter().find(|b| {
                b.action == action && (b.context == context || b.context == Context::Global)
            })?;
            // Only `z` has no label of its own: the normal bar leaves it out for room.
            Some((binding, binding.bar.unwrap_or("zoom")))
        })
        .collect()
}

fn items(context: Context, essential_only: bool) -> Vec<Item> {
    let mut items = Vec::new();
    let mut x = 0u16;
    for (binding, label) in shown(context, essential_only) {
        let key = binding.shown.split(' ').next().unwrap_or(binding.shown);
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

/// The action of the bar item at `column`, if any (`essential_only`: projector mode's bar).
pub(crate) fn hit(
    context: Context,
    bar: Rect,
    column: u16,
    essential_only: bool,
) -> Option<Action> {
    let x = column.checked_sub(bar.x)?;
    items(context, essential_only)
        .into_iter()
        .find(|item| (item.from..item.to).contains(&x))
        .map(|item| item.action)
}

/// The key bar.
pub(crate) struct KeyBar<'a> {
    /// Where the keyboard is.
    pub(crate) context: Context,
    pub(crate) theme: &'a Theme,
    /// Projector mode: only the essential keys.
    pub(crate) essential_only: bool,
}

impl Widget for &KeyBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut spans = Vec::new();
        for item in items(self.context, self.essential_only) {
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
            Context::Trace,
            Context::Replay,
        ] {
            let width = items(context, false).last().map_or(0, |item| item.to);
            assert!(items(context, true).len() <= 3, "{context:?}");
            assert!(
                width <= crate::tui::widgets::layout::MIN_WIDTH,
                "{context:?} bar is {width} wide"
            );
        }
        let bar = Rect::new(0, 23, 80, 1);
        let first = &items(Context::Lesson, false)[0];
        assert_eq!(
            hit(Context::Lesson, bar, first.from + 1, false),
            Some(first.action)
        );
        let end = items(Context::Lesson, false)
            .last()
            .map_or(0, |item| item.to);
        assert_eq!(hit(Context::Lesson, bar, end, false), None);
        let zoom = items(Context::Lesson, true);
        assert_eq!(
            zoom.iter().map(|i| i.action).collect::<Vec<_>>(),
            [Action::NextPage, Action::Run, Action::Zoom]
        );
    }
}
