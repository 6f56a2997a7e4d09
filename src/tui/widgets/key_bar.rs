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
        Context::List => &[Action::Confirm, Action::Help, Action::Zoom, Action::Back],
        Context::Lesson => &[
            Action::NextPage,
            Action::Run,
            Action::Pause,
            Action::Notes,
            Action::Help,
            Action::Zoom,
        ],
        Context::Knobs => &[Action::Run, Action::Back],
        Context::Trace => &[
            Action::Run,
            Action::Pause,
            Action::Help,
            Action::Zoom,
            Action::Back,
        ],
        Context::Replay => &[
            Action::Pause,
            Action::StepForward,
            Action::Notes,
            Action::Help,
            Action::Zoom,
        ],
        Context::Question => &[Action::Yes, Action::No],
        Context::Exercises => &[
            Action::Confirm,
            Action::SwitchTab,
            Action::Help,
            Action::Back,
        ],
        Context::Exercise => &[
            Action::Hint,
            Action::NextExercise,
            Action::Help,
            Action::Zoom,
            Action::Back,
        ],
        Context::Filter
        | Context::Answer
        | Context::Typing
        | Context::Number
        | Context::Global
        | Context::Help
        | Context::Notes => &[Action::Confirm, Action::Back],
    }
}

/// The bar's name of a key the normal bar leaves out for room.
fn spare_label(action: Action) -> &'static str {
    match action {
        Action::Zoom => "zoom",
        Action::Notes => "notes",
        _ => "",
    }
}

/// The bindings on the bar with their labels: those the table marks, or in projector mode
/// only the essential ones; `on`: what Space toggles is on (a run paused, a replay playing).
fn shown(
    context: Context,
    essential_only: bool,
    on: bool,
) -> Vec<(&'static keys::Binding, &'static str)> {
    if !essential_only {
        return keys::bar(context)
            .map(|b| (b, b.bar_label(on).unwrap_or_default()))
            .collect();
    }
    essential(context)
        .iter()
        .filter_map(|&action| {
            let binding = keys::BINDINGS.iter().find(|b| {
                b.action == action && (b.context == context || b.context == Context::Global)
            })?;
            let label = binding.bar_label(on).unwrap_or_else(|| spare_label(action));
            Some((binding, label))
        })
        .collect()
}

fn items(context: Context, essential_only: bool, on: bool) -> Vec<Item> {
    let mut items = Vec::new();
    let mut x = 0u16;
    for (binding, label) in shown(context, essential_only, on) {
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

/// The action of the bar item at `column`, if any, in the bar drawn with the same
/// `essential_only` (projector mode) and `on`.
pub(crate) fn hit(
    context: Context,
    bar: Rect,
    column: u16,
    essential_only: bool,
    on: bool,
) -> Option<Action> {
    let x = column.checked_sub(bar.x)?;
    items(context, essential_only, on)
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
    /// What Space toggles is on (a run paused: "resume"; a replay playing: "pause").
    pub(crate) on: bool,
}

impl Widget for &KeyBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut spans = Vec::new();
        for item in items(self.context, self.essential_only, self.on) {
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
            Context::Typing,
            Context::Number,
            Context::Question,
            Context::Knobs,
            Context::Trace,
            Context::Replay,
            Context::Notes,
            Context::Exercises,
            Context::Exercise,
        ] {
            for (essential, on) in [(false, false), (false, true), (true, false), (true, true)] {
                let width = items(context, essential, on)
                    .last()
                    .map_or(0, |item| item.to);
                assert!(
                    width <= crate::tui::widgets::layout::MIN_WIDTH,
                    "{context:?} bar is {width} wide"
                );
            }
        }
        let bar = Rect::new(0, 23, 80, 1);
        let first = &items(Context::Lesson, false, false)[0];
        assert_eq!(
            hit(Context::Lesson, bar, first.from + 1, false, false),
            Some(first.action)
        );
        let end = items(Context::Lesson, false, false)
            .last()
            .map_or(0, |item| item.to);
        assert_eq!(hit(Context::Lesson, bar, end, false, false), None);
        let zoom = items(Context::Lesson, true, false);
        assert_eq!(
            zoom.iter().map(|i| i.action).collect::<Vec<_>>(),
            [
                Action::NextPage,
                Action::Run,
                Action::Pause,
                Action::Notes,
                Action::Help,
                Action::Zoom
            ]
        );
        let labels = |on| -> Vec<&str> {
            items(Context::Lesson, false, on)
                .iter()
                .map(|i| i.label)
                .collect()
        };
        assert!(labels(false).contains(&"pause") && labels(true).contains(&"resume"));
    }
}
