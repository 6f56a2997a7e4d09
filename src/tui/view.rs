//! Draws the model: reads the [`App`], never changes it, and draws it with the widgets.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::tui::app::exercise::{ExerciseScreen, all_exercises, exercise_number};
use crate::tui::app::lesson::{Dialog, LessonScreen};
use crate::tui::app::list::Tab;
use crate::tui::app::panes::{Reader, Reading, RunView, Text};
use crate::tui::app::{App, Screen};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::answer_dialog::AnswerDialog;
use crate::tui::widgets::header::Header;
use crate::tui::widgets::help::HelpOverlay;
use crate::tui::widgets::key_bar::KeyBar;
use crate::tui::widgets::knob_panel::{KnobPanel, number};
use crate::tui::widgets::layout;
use crate::tui::widgets::lesson_list::progress_mark;
use crate::tui::widgets::narrative::NarrativePanel;
use crate::tui::widgets::notes_panel::NotesPanel;
use crate::tui::widgets::problems::ProblemsPanel;
use crate::tui::widgets::program::ProgramPanel;
use crate::tui::widgets::projector;
use crate::tui::widgets::run_panel::RunPanel;
use crate::tui::widgets::text;
use crate::tui::widgets::too_small::TooSmall;

/// Draws the whole UI into the frame.
pub(crate) fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    render(app, area, frame.buffer_mut());
}

/// Draws the whole UI into a buffer (the terminal's, or a test's).
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    if layout::too_small(area) {
        (&TooSmall { theme }).render(area, buf);
        if app.projector {
            projector::high_contrast(buf, area, theme);
        }
        return;
    }
    let screen_areas = app.screen_areas();
    match &app.screen {
        Screen::List => render_list(app, screen_areas, buf),
        Screen::Lesson(screen) => render_lesson(app, screen, screen_areas, buf),
        Screen::Trace(screen) => {
            let status = "a traced command · r traces it again".to_string();
            let panes = (&screen.reader, &screen.view, Text::About(&screen.about));
            render_panes(app, panes, status, screen_areas, None, buf);
        }
        Screen::Exercise(screen) => {
            let status = exercise_status(app, screen);
            let panes = (&screen.reader, &screen.view, screen.text());
            render_panes(app, panes, status, screen_areas, None, buf);
        }
        Screen::Replay(screen) => {
            let status = screen.view.run.as_ref().map_or(String::new(), |run| {
                format!(
                    "a recording · {} cores · speed ×{}",
                    run.record.cores,
                    number(run.record.speed)
                )
            });
            let panes = (&screen.reader, &screen.view, screen.text());
            let extra = Extra {
                series: None,
                replay: Some(&screen.replay),
            };
            render_panes(app, panes, status, screen_areas, Some(extra), buf);
        }
    }
    if app.projector {
        render_projector_top(app, screen_areas.header, buf);
    }
    (&KeyBar {
        context: app.context(),
        theme,
        essential_only: app.projector,
        on: app.space_on(),
    })
        .render(screen_areas.key_bar, buf);
    if let Some(notice) = app.status_line() {
        render_status_line(&notice, screen_areas.key_bar, theme, buf);
    }
    if let Some(watch) = app.watch.as_ref().filter(|w| !w.problems.is_empty()) {
        (&ProblemsPanel { watch, theme }).render(screen_areas.body, buf);
    }
    if let Some(scroll) = app.help {
        (&HelpOverlay {
            context: app.context(),
            scroll,
            theme,
        })
            .render(area, buf);
    }
    if app.projector {
        projector::high_contrast(buf, area, theme);
    }
}

/// The reading pane's title in `width` columns: the lesson, the page and the rows left below
/// it; the id gives way first, then the rows left, never the page number. An exercise has one
/// page, and its title says only what is left below.
fn narrative_title(text: Text, reader: &Reader, below: usize, width: u16) -> String {
    let id = text.id();
    let page = match text {
        Text::Exercise(_) => "exercise".to_string(),
        _ => format!("page {} of {}", reader.page + 1, reader.pages),
    };
    let more = format!("↓ {below} more row{}", if below == 1 { "" } else { "s" });
    let mut choices = Vec::new();
    if below > 0 {
        choices.push(format!("{id} · {page} · {more}"));
        choices.push(format!("{page} · {more}"));
    }
    choices.push(format!("{id} · {page}"));
    choices
        .into_iter()
        .find(|title| text::width(title) <= usize::from(width))
        .unwrap_or_else(|| text::fit(&page, width))
}

/// Most rows the status line may take above the key bar (a long question wraps).
const STATUS_ROWS: usize = 3;

/// The status line above the key bar: `notice` wrapped, never cut, over as many rows as it
/// needs (up to [`STATUS_ROWS`], the last ending with "…" past them).
fn render_status_line(notice: &str, key_bar: Rect, theme: &Theme, buf: &mut Buffer) {
    let width = key_bar.width.saturating_sub(2);
    let mut lines = text::wrap(notice, width);
    if lines.len() > STATUS_ROWS {
        let rest = lines.split_off(STATUS_ROWS - 1).join(" ");
        lines.push(text::fit(&rest, width));
    }
    let rows = (lines.len() as u16).min(key_bar.y);
    let area = Rect {
        y: key_bar.y - rows,
        height: rows,
        ..key_bar
    };
    Clear.render(area, buf);
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|line| {
            Line::styled(
                format!(" {line:<w$} ", w = width as usize),
                theme.selected(),
            )
        })
        .collect();
    Paragraph::new(lines).render(area, buf);
}

/// Projector mode's header (title and "lesson N/M · page p/q") and big title.
fn render_projector_top(app: &App, header: Rect, buf: &mut Buffer) {
    let place = app
        .shown_panes()
        .map_or("Lessons", |(_, _, text)| text.title());
    Clear.render(header, buf);
    (&projector::Header {
        place,
        position: projector::position(app),
        theme: &app.theme,
    })
        .render(header, buf);
    projector::render_title(&projector::frame(app), &app.theme, buf);
}

/// The header's status on an exercise's screen: which exercise of how many, and whether it is
/// passed.
fn exercise_status(app: &App, screen: &ExerciseScreen) -> String {
    let id = &screen.page.exercise.id;
    let (number, total) = exercise_number(&app.lessons, id);
    let mark = if app.progress.exercises_passed.contains(id) {
        "✓ passed"
    } else {
        "○ not passed yet"
    };
    format!("exercise {number} of {total} · {mark}")
}

fn render_list(app: &App, areas: layout::Screen, buf: &mut Buffer) {
    let theme = &app.theme;
    if app.list.tab == Tab::Exercises {
        let total = all_exercises(&app.lessons).count();
        let passed = all_exercises(&app.lessons)
            .filter(|e| app.progress.exercises_passed.contains(&e.id))
            .count();
        let header = Header {
            place: "exercises".into(),
            status: format!("{passed} of {total} exercises passed"),
            theme,
        };
        (&header).render(areas.header, buf);
        (&app.exercise_list_panel()).render(areas.body, buf);
        return;
    }
    let visible = app.list.visible(&app.lessons);
    let right: usize = app.progress.lessons.values().map(|l| l.right.len()).sum();
    let total: usize = app.lessons.iter().map(|l| l.checkpoints.len()).sum();
    let header = Header {
        place: "lessons".into(),
        status: format!("{right} of {total} checkpoints right"),
        theme,
    };
    (&header).render(areas.header, buf);
    let panel = app.list_panel(&visible);
    (&panel).render(areas.body, buf);
}

fn render_lesson(app: &App, screen: &LessonScreen, areas: layout::Screen, buf: &mut Buffer) {
    let theme = &app.theme;
    let lesson = &screen.lesson;
    let workers = screen.next_run.workers.map_or(String::new(), |n| {
        format!(" · {n} worker{}", if n == 1 { "" } else { "s" })
    });
    let watching = if app.watch.is_some() {
        "watching files · "
    } else {
        ""
    };
    let paused = screen
        .view
        .running()
        .filter(|run| run.state == crate::tui::app::live_run::RunState::Paused)
        .map_or(String::new(), |run| {
            format!("❚❚ paused {:.1} s · ", run.paused_ms() / 1000.0)
        });
    let status = format!(
        "{paused}{watching}{} · next run: speed ×{}{workers}",
        progress_mark(lesson, &app.progress).trim_end(),
        number(app.setup.options.speed)
    );
    let extra = Extra {
        series: screen.series.as_ref(),
        replay: None,
    };
    let panes = (&screen.reader, &screen.view, screen.text());
    render_panes(app, panes, status, areas, Some(extra), buf);
    match &screen.dialog {
        Some(Dialog::Answer(draft)) => {
            let index = draft.checkpoint;
            let dialog = AnswerDialog {
                checkpoint: &lesson.checkpoints[index],
                state: &screen.checkpoints[index],
                draft,
                theme,
            };
            (&dialog).render(areas.body, buf);
        }
        Some(Dialog::Knobs { selected }) => {
            (&KnobPanel {
                speed: app.setup.options.speed,
                rows: &screen.next_run.rows,
                selected: *selected,
                theme,
            })
                .render(areas.body, buf);
        }
        None => {}
    }
}

/// What the run panel shows besides the run: many runs' outcomes, where playback is.
#[derive(Default)]
struct Extra<'a> {
    series: Option<&'a crate::tui::app::live_run::Series>,
    replay: Option<&'a crate::tui::app::replay::Replay>,
}

/// The header, the reading pane (and the notes over it) and the run panels of a lesson, a
/// trace or a replay.
fn render_panes(
    app: &App,
    (reader, view, text): (&Reader, &RunView, Text),
    status: String,
    areas: layout::Screen,
    extra: Option<Extra>,
    buf: &mut Buffer,
) {
    let theme = &app.theme;
    (&Header {
        place: text.title().to_string(),
        status,
        theme,
    })
        .render(areas.header, buf);
    let panes = view.areas(areas.body, app.projector);
    render_reading(reader, view, text, panes.reading, theme, buf);
    let extra = extra.unwrap_or_default();
    RunPanel {
        view,
        lesson: text.lesson(),
        series: extra.series,
        replay: extra.replay,
        projector: app.projector,
        areas: panes.run,
        theme,
    }
    .render(buf);
}

/// The reading pane: the page or the program, and the notes over them.
fn render_reading(
    reader: &Reader,
    view: &RunView,
    text: Text,
    area: Rect,
    theme: &crate::tui::runtime::theme::Theme,
    buf: &mut Buffer,
) {
    let focused = view.focus == crate::tui::app::panes::Focus::Reading;
    match reader.showing {
        Reading::Narrative => {
            let page = text.page_text(reader.page, area, theme);
            let below = page
                .lines
                .len()
                .saturating_sub(reader.scroll + area.height as usize - 1);
            let title = narrative_title(text, reader, below, area.width.saturating_sub(2));
            (&NarrativePanel {
                page: &page,
                title,
                scroll: reader.scroll,
                focused,
                theme,
            })
                .render(area, buf);
        }
        Reading::Program => {
            (&ProgramPanel {
                name: text.program_name(),
                lines: &reader.program,
                scroll: reader.program_scroll,
                focused,
                theme,
            })
                .render(area, buf);
        }
    }
    if let (Some(scroll), Some(lesson)) = (reader.notes, text.lesson()) {
        (&NotesPanel {
            lesson,
            page: reader.page,
            scroll,
            keys: "i closes · ↑↓ scroll",
            theme,
        })
            .render(area, buf);
    }
}
