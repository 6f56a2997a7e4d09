//! The reading pane of an exercise's watch screen: the exercise's title and summary, where the
//! check of the learner's file stands, each check ✓/✗ with the evidence of the last check, the
//! hints shown so far, then the task. Every line wraps; nothing is cut.

use std::ops::Range;

use ratatui::text::{Line, Span};

use crate::exercise::Verdict;
use crate::text::visible;
use crate::tui::app::exercise::{Checking, ExercisePage};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::narrative::{PageText, escape};
use crate::tui::widgets::{markdown, text};

/// Columns of the mark (`✓ `) before each check, and of the indent of its evidence.
const MARK: u16 = 2;

/// The page laid out at `width` columns.
pub(crate) fn page_text(page: &ExercisePage, width: u16, theme: &Theme) -> PageText {
    PageText {
        lines: lay_out(page, width, theme).0,
        ..PageText::default()
    }
}

/// The rows the last hint shown takes on the page laid out at `width`, if one is shown.
pub(crate) fn last_hint_rows(
    page: &ExercisePage,
    width: u16,
    theme: &Theme,
) -> Option<Range<usize>> {
    lay_out(page, width, theme).1
}

/// The page's lines at `width` (the title is in the header), and the rows of the last hint
/// shown.
fn lay_out(
    page: &ExercisePage,
    width: u16,
    theme: &Theme,
) -> (Vec<Line<'static>>, Option<Range<usize>>) {
    let exercise = &page.exercise;
    let mut lines = markdown::render(&escape(&exercise.summary), width, theme);
    lines.push(Line::default());
    status_lines(page, width, theme, &mut lines);
    lines.push(Line::default());
    check_lines(page, width, theme, &mut lines);
    let hint = hint_lines(page, width, theme, &mut lines);
    lines.push(Line::default());
    lines.extend(markdown::render("## The task", width, theme));
    lines.extend(markdown::render(exercise.task.trim(), width, theme));
    (lines, hint)
}

/// `said` wrapped at `width`, each row in `style`, added to `lines`.
fn wrapped(said: &str, width: u16, style: ratatui::style::Style, lines: &mut Vec<Line<'static>>) {
    for part in text::wrap(said, width) {
        lines.push(Line::styled(part, style));
    }
}

/// Where the check stands: running (which run), done (all pass, or how many fail), or why the
/// file could not be checked; and which file is watched.
fn status_lines(page: &ExercisePage, width: u16, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let file = page.file.display().to_string();
    wrapped(
        &format!("Watching {} · every save checks it again", visible(&file)),
        width,
        theme.muted(),
        lines,
    );
    match (&page.checking, &page.verdict) {
        (Checking::Waiting, _) => wrapped("Reading your file…", width, theme.strong(), lines),
        (Checking::Running { run, runs, label }, verdict) => {
            let which = if *run == 0 {
                "starting".to_string()
            } else if label.is_empty() {
                format!("run {run} of {runs}")
            } else {
                format!("run {run} of {runs}: {label}")
            };
            let about = if verdict.is_some() {
                " (the marks below are from your previous save)"
            } else {
                ""
            };
            wrapped(
                &format!("● Checking your program, {which}…{about}"),
                width,
                theme.strong(),
                lines,
            );
        }
        (Checking::Failed(why), _) => {
            wrapped(&format!("✗ {}", visible(why)), width, theme.bad(), lines)
        }
        (Checking::Judged, Some(verdict)) => verdict_status(page, verdict, width, theme, lines),
        (Checking::Judged, None) => {}
    }
}

/// The outcome of a finished check: every check passes (and what comes next), or how many do
/// not.
fn verdict_status(
    page: &ExercisePage,
    verdict: &Verdict,
    width: u16,
    theme: &Theme,
    lines: &mut Vec<Line<'static>>,
) {
    let total = verdict.checks.len();
    let failed = verdict.checks.iter().filter(|c| !c.passed).count();
    let runs = verdict.runs.len();
    let how = format!(
        "Checked in {:.1} s: {runs} run{} on Python {}.",
        verdict.judged_ms / 1000.0,
        if runs == 1 { "" } else { "s" },
        visible(&verdict.python)
    );
    if !verdict.passed {
        let said = format!(
            "✗ {failed} of {total} check{} not passed yet: change your program and save it",
            if total == 1 { "" } else { "s" }
        );
        wrapped(&said, width, theme.bad(), lines);
        wrapped(&how, width, theme.muted(), lines);
        return;
    }
    let said = format!(
        "✓ Every check passes ({total} of {total}). Exercise done: it is recorded in your progress."
    );
    wrapped(&said, width, theme.good(), lines);
    wrapped(&how, width, theme.muted(), lines);
    let next = match &page.next {
        Some((_, title)) => format!("Press n for the next exercise: {}.", visible(title)),
        None => "That was the last exercise.".to_string(),
    };
    wrapped(&next, width, theme.strong(), lines);
}

/// Each check with its mark and, under it, the evidence of the last check.
fn check_lines(page: &ExercisePage, width: u16, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    lines.extend(markdown::render("## Checks", width, theme));
    let Some(verdict) = &page.verdict else {
        wrapped(
            "The checks appear here after the first check of your file.",
            width,
            theme.muted(),
            lines,
        );
        return;
    };
    let inner = width.saturating_sub(MARK);
    for check in &verdict.checks {
        let (mark, style) = if check.passed {
            ("✓ ", theme.good())
        } else {
            ("✗ ", theme.bad())
        };
        for (row, part) in text::wrap(&visible(&check.asks), inner)
            .into_iter()
            .enumerate()
        {
            let lead = if row == 0 { mark } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(lead, style),
                Span::styled(part, theme.strong()),
            ]));
        }
        for part in text::wrap(&visible(&check.evidence), inner) {
            lines.push(Line::from(vec![Span::raw("  "), Span::raw(part)]));
        }
    }
}

/// The hints shown so far, numbered, and whether more are left (`h`); returns the rows of the
/// last one shown.
fn hint_lines(
    page: &ExercisePage,
    width: u16,
    theme: &Theme,
    lines: &mut Vec<Line<'static>>,
) -> Option<Range<usize>> {
    let hints = &page.exercise.hints;
    if hints.is_empty() {
        return None;
    }
    let mut last = None;
    lines.push(Line::default());
    let left = hints.len() - page.hints_shown.min(hints.len());
    let heading = format!("## Hints ({} of {})", page.hints_shown, hints.len());
    lines.extend(markdown::render(&heading, width, theme));
    for (i, hint) in hints.iter().take(page.hints_shown).enumerate() {
        let first = lines.len();
        let rendered = markdown::render(&escape(hint), width.saturating_sub(3), theme);
        for (row, mut line) in rendered.into_iter().enumerate() {
            let lead = if row == 0 {
                format!("{}. ", i + 1)
            } else {
                "   ".to_string()
            };
            line.spans.insert(0, Span::styled(lead, theme.strong()));
            lines.push(line);
        }
        last = Some(first..lines.len());
    }
    if left > 0 {
        let said = format!("h shows the next hint ({left} left).");
        wrapped(&said, width, theme.muted(), lines);
    }
    last
}
