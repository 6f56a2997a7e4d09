//! Draws the model: reads the [`App`], never changes it.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::tui::app::lesson_screen::{Dialog, Focus, LessonScreen, Reading};
use crate::tui::app::{App, Screen};
use crate::tui::widgets::answer_dialog::AnswerDialog;
use crate::tui::widgets::header::Header;
use crate::tui::widgets::help::HelpOverlay;
use crate::tui::widgets::key_bar::KeyBar;
use crate::tui::widgets::knob_panel::{KnobPanel, number};
use crate::tui::widgets::layout;
use crate::tui::widgets::lesson_list::{LessonListPanel, progress_mark};
use crate::tui::widgets::narrative::NarrativePanel;
use crate::tui::widgets::notes_panel::NotesPanel;
use crate::tui::widgets::problems::ProblemsPanel;
use crate::tui::widgets::program::ProgramPanel;
use crate::tui::widgets::projector;
use crate::tui::widgets::run_panel::RunPanel;
use crate::tui::widgets::too_small::TooSmall;

/// Draws the whole UI into the frame.
pub fn draw(frame: &mut Frame, app: &App) {
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
    }
    if app.projector {
        render_projector_top(app, screen_areas.header, buf);
    }
    (&KeyBar {
        context: app.context(),
        theme,
        essential_only: app.projector,
    })
        .render(screen_areas.key_bar, buf);
    if let Some(notice) = app.status_line() {
        let row = Rect {
            y: screen_areas.key_bar.y - 1,
            height: 1,
            ..screen_areas.key_bar
        };
        Clear.render(row, buf);
        Paragraph::new(Line::styled(format!(" {notice}"), theme.selected())).render(row, buf);
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

/// Projector mode's header (title and "lesson N/M · page p/q") and big title.
fn render_projector_top(app: &App, header: Rect, buf: &mut Buffer) {
    let place = match &app.screen {
        Screen::List => "Lessons",
        Screen::Lesson(screen) => &screen.lesson.title,
    };
    Clear.render(header, buf);
    (&projector::Header {
        place,
        position: projector::position(app),
        theme: &app.theme,
    })
        .render(header, buf);
    projector::render_title(&projector::frame(app), &app.theme, buf);
}

fn render_list(app: &App, areas: layout::Screen, buf: &mut Buffer) {
    let theme = &app.theme;
    let visible = app.list.visible(&app.lessons);
    let right: usize = app.progress.lessons.values().map(|l| l.right.len()).sum();
    let total: usize = app.lessons.iter().map(|l| l.checkpoints.len()).sum();
    let header = Header {
        place: "lessons".into(),
        status: format!("{right} of {total} checkpoints right"),
        theme,
    };
    (&header).render(areas.header, buf);
    let panel = LessonListPanel {
        lessons: &app.lessons,
        visible: &visible,
        selected: app.list.selected,
        progress: &app.progress,
        filter: &app.list.filter,
        filtering: app.list.filtering,
        theme,
    };
    (&panel).render(areas.body, buf);
}

fn render_lesson(app: &App, screen: &LessonScreen, areas: layout::Screen, buf: &mut Buffer) {
    let theme = &app.theme;
    let lesson = &screen.lesson;
    let workers = app
        .plan_cache
        .get(lesson, &app.options, app.cores)
        .workers
        .map_or(String::new(), |n| {
            format!(" · {n} worker{}", if n == 1 { "" } else { "s" })
        });
    let watching = if app.watch.is_some() {
        "watching files · "
    } else {
        ""
    };
    let status = match &screen.run {
        _ if screen.trace.is_some() => "a traced command · r traces it again".to_string(),
        Some(run) if screen.replay.is_some() => format!(
            "a recording · {} cores · speed ×{}",
            run.record.cores,
            number(run.record.speed)
        ),
        _ => format!(
            "{watching}{} · next run: speed ×{}{workers}",
            progress_mark(lesson, &app.progress),
            number(app.options.speed)
        ),
    };
    (&Header {
        place: lesson.title.clone(),
        status,
        theme,
    })
        .render(areas.header, buf);
    let lesson_areas = screen.areas(areas.body);
    let focused = screen.focus == Focus::Reading;
    match screen.reading {
        Reading::Narrative => {
            let page = screen.page_text(lesson_areas.reading, theme);
            let title = format!(
                "{} · page {} of {}",
                lesson.id,
                screen.page + 1,
                screen.pages
            );
            (&NarrativePanel {
                page: &page,
                title,
                scroll: screen.scroll,
                focused,
                theme,
            })
                .render(lesson_areas.reading, buf);
        }
        Reading::Program => {
            let panel = ProgramPanel {
                name: &lesson.program_name,
                lines: &screen.program,
                scroll: screen.program_scroll,
                focused,
                theme,
            };
            (&panel).render(lesson_areas.reading, buf);
        }
    }
    if let Some(scroll) = screen.notes {
        (&NotesPanel {
            lesson,
            page: screen.page,
            scroll,
            keys: "i closes · ↑↓ scroll",
            theme,
        })
            .render(lesson_areas.reading, buf);
    }
    RunPanel {
        screen,
        areas: lesson_areas.run,
        theme,
    }
    .render(buf);
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
            let rows = app.plan_cache.get(lesson, &app.options, app.cores).rows;
            (&KnobPanel {
                speed: app.options.speed,
                rows: &rows,
                selected: *selected,
                theme,
            })
                .render(areas.body, buf);
        }
        None => {}
    }
}
