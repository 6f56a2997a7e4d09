//! What the lesson, trace and replay screens share: the reading pane on the left (pages of text,
//! or the program, with the instructor's notes over them) and the run panels on the right (the
//! run shown, the selected worker, the output's scroll), with the keys and clicks that move
//! about in them.

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::lesson::Lesson;
use crate::tui::app::checkpoints::{AnswerDraft, CheckpointState};
use crate::tui::app::exercise::ExercisePage;
use crate::tui::app::lanes::Lanes;
use crate::tui::app::live_run::LiveRun;
use crate::tui::runtime::keys::Action;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::layout::{self, LessonAreas};
use crate::tui::widgets::narrative::{self, PageText};
use crate::tui::widgets::{
    big_pids, big_text, exercise_page, highlight, markdown, notes_panel, processes, program,
};

/// Rows one mouse wheel step scrolls.
pub(crate) const WHEEL_ROWS: isize = 3;

/// What the reading pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The text, one page at a time.
    Narrative,
    /// The Python program.
    Program,
}

/// The panel the arrow keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The reading pane scrolls.
    Reading,
    /// The selected worker moves.
    Processes,
    /// The output scrolls.
    Output,
}

impl Focus {
    /// The next panel for Tab.
    pub(crate) fn next(self) -> Focus {
        match self {
            Focus::Reading => Focus::Processes,
            Focus::Processes => Focus::Output,
            Focus::Output => Focus::Reading,
        }
    }
}

/// A page proclab writes about what a screen shows when there is no lesson to show (a trace, a
/// recording whose lesson is not loaded), and the program beside it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AboutPage {
    /// The name in the pane's title (`trace`, or the recorded lesson's id).
    pub(crate) id: String,
    /// The title in the header.
    pub(crate) title: String,
    /// The page, Markdown.
    pub(crate) markdown: String,
    /// The Python program shown with `v` (empty if none).
    pub(crate) program: String,
    /// Its file name.
    pub(crate) program_name: String,
}

/// Where the reading pane's text comes from, borrowed from its screen.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text<'a> {
    /// A lesson's pages, its checkpoints shown as the learner stands with them.
    Lesson {
        lesson: &'a Lesson,
        /// The learner's standing with each checkpoint (none: not answered).
        checkpoints: &'a [CheckpointState],
        /// Whether its checkpoints can be answered here (not on a recording).
        answerable: bool,
    },
    /// One page written by proclab.
    About(&'a AboutPage),
    /// An exercise and how the learner's file stands with its checks.
    Exercise(&'a ExercisePage),
}

impl<'a> Text<'a> {
    /// The name in the pane's title.
    pub(crate) fn id(self) -> &'a str {
        match self {
            Text::Lesson { lesson, .. } => &lesson.id,
            Text::About(page) => &page.id,
            Text::Exercise(page) => &page.exercise.id,
        }
    }

    /// The title in the header.
    pub(crate) fn title(self) -> &'a str {
        match self {
            Text::Lesson { lesson, .. } => &lesson.title,
            Text::About(page) => &page.title,
            Text::Exercise(page) => &page.exercise.title,
        }
    }

    /// The program's file name.
    pub(crate) fn program_name(self) -> &'a str {
        match self {
            Text::Lesson { lesson, .. } => &lesson.program_name,
            Text::About(page) => &page.program_name,
            Text::Exercise(page) => page
                .file
                .file_name()
                .and_then(std::ffi::OsStr::to_str)
                .unwrap_or_default(),
        }
    }

    /// The lesson, if this is one (its notes, its checkpoints, its stages).
    pub(crate) fn lesson(self) -> Option<&'a Lesson> {
        match self {
            Text::Lesson { lesson, .. } => Some(lesson),
            Text::About(_) | Text::Exercise(_) => None,
        }
    }

    /// Page `page` laid out for the reading pane `area`.
    pub(crate) fn page_text(self, page: usize, area: Rect, theme: &Theme) -> PageText {
        let width = reading_width(area);
        match self {
            Text::Lesson {
                lesson,
                checkpoints,
                answerable,
            } => narrative::page_text(lesson, page, checkpoints, answerable, width, theme),
            Text::About(about) => PageText {
                lines: markdown::render(about.markdown.trim(), width, theme),
                ..PageText::default()
            },
            Text::Exercise(page) => exercise_page::page_text(page, width, theme),
        }
    }
}

/// The text width of the reading pane `area` (its right border excluded).
pub(crate) fn reading_width(area: Rect) -> u16 {
    area.width.saturating_sub(2)
}

/// The reading pane: which page, the program, what is scrolled where, and the notes over it.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The page shown, 0-based.
    pub page: usize,
    /// How many pages there are.
    pub pages: usize,
    /// The text or the program.
    pub showing: Reading,
    /// Rows of the page scrolled off the top.
    pub scroll: usize,
    /// The program, highlighted once when the screen opened.
    pub(crate) program: Vec<Line<'static>>,
    /// Rows of the program scrolled off the top.
    pub(crate) program_scroll: usize,
    /// The instructor's notes over the pane (key `i`): rows scrolled off their top.
    pub notes: Option<usize>,
}

impl Reader {
    /// A pane at the first page of `pages`, with `program` highlighted.
    pub(crate) fn new(pages: usize, program: &str, theme: &Theme) -> Reader {
        Reader {
            page: 0,
            pages: pages.max(1),
            showing: Reading::Narrative,
            scroll: 0,
            program: highlight::python(program, theme),
            program_scroll: 0,
            notes: None,
        }
    }

    /// The reading pane for `text`, at its first page.
    pub(crate) fn of(text: Text, program: &str, theme: &Theme) -> Reader {
        let pages = match text {
            Text::Lesson { lesson, .. } => lesson.pages().len(),
            Text::About(_) | Text::Exercise(_) => 1,
        };
        Reader::new(pages, program, theme)
    }

    /// Moves to page `page` (clamped), at its top.
    pub(crate) fn go_to_page(&mut self, page: usize) {
        let page = page.min(self.pages - 1);
        if page != self.page {
            self.page = page;
            self.scroll = 0;
            self.notes = self.notes.map(|_| 0);
        }
    }

    /// Scrolls what the pane `area` shows by `delta` rows, within its text: the notes when they
    /// are open, else the page or the program.
    pub(crate) fn scroll_by(&mut self, delta: isize, text: Text, area: Rect, theme: &Theme) {
        match (self.notes, text.lesson()) {
            (Some(scroll), Some(lesson)) => {
                let max = notes_panel::max_scroll(lesson, self.page, area, theme);
                self.notes = Some(scroll.saturating_add_signed(delta).min(max));
            }
            _ => self.scroll_text(delta, text, area, theme),
        }
    }

    /// Scrolls the page or the program by `delta` rows, within its text (0 keeps the scroll
    /// inside the text after the pane or the text changed).
    pub(crate) fn scroll_text(&mut self, delta: isize, text: Text, area: Rect, theme: &Theme) {
        let rows = area.height.saturating_sub(1) as usize;
        let (total, scroll) = match self.showing {
            Reading::Narrative => (
                text.page_text(self.page, area, theme).lines.len(),
                &mut self.scroll,
            ),
            Reading::Program => (
                program::rows(&self.program, area.width.saturating_sub(1), theme).len(),
                &mut self.program_scroll,
            ),
        };
        *scroll = scroll
            .saturating_add_signed(delta)
            .min(total.saturating_sub(rows));
    }

    /// Rows of the page below the pane `area` (0 when its end is in view, or the program or
    /// the notes are shown).
    pub(crate) fn rows_below(&self, text: Text, area: Rect, theme: &Theme) -> usize {
        if self.showing != Reading::Narrative || self.notes.is_some() {
            return 0;
        }
        let rows = area.height.saturating_sub(1) as usize;
        let total = text.page_text(self.page, area, theme).lines.len();
        total.saturating_sub(self.scroll + rows)
    }

    /// The program instead of the text, or back.
    pub(crate) fn toggle_program(&mut self) {
        self.showing = match self.showing {
            Reading::Narrative => Reading::Program,
            Reading::Program => Reading::Narrative,
        };
    }
}

/// The run panels: the run shown and where the learner is in them.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The current (or last) run.
    pub run: Option<LiveRun>,
    /// Where the arrow keys act (the reading pane or a run panel).
    pub focus: Focus,
    /// The worker slot `k` kills and the lists keep in view.
    pub selected_worker: usize,
    /// The first output line shown, or `None` to follow the newest lines.
    pub(crate) output_scroll: Option<usize>,
    /// The reading pane takes half the width after a run (an exercise's checks), not two
    /// fifths.
    pub(crate) wide_reading: bool,
}

impl Default for RunView {
    fn default() -> RunView {
        RunView {
            run: None,
            focus: Focus::Reading,
            selected_worker: 0,
            output_scroll: None,
            wide_reading: false,
        }
    }
}

impl RunView {
    /// Shows `run` from its start, following its newest output.
    pub(crate) fn show(&mut self, run: LiveRun) {
        self.run = Some(run);
        self.output_scroll = None;
    }

    /// The run shown, if it is going on (its workers may be running and it has not finished).
    pub(crate) fn running(&self) -> Option<&LiveRun> {
        self.run
            .as_ref()
            .filter(|run| run.is_live() && !run.record.is_finished())
    }

    /// Worker slots and cores of the run shown (zero before the first run).
    pub(crate) fn shape(&self) -> (usize, usize) {
        self.run.as_ref().map_or((0, 0), |run| {
            (run.record.workers.len(), run.record.cores as usize)
        })
    }

    /// Where everything goes in `body`. In projector mode the processes panel gets room for
    /// big PIDs when the window has it.
    pub fn areas(&self, body: Rect, projector: bool) -> LessonAreas {
        if self.run.is_none() {
            return layout::before_run(body);
        }
        let (workers, cores) = self.shape();
        if self.wide_reading {
            return layout::exercise(body, workers, cores);
        }
        if projector {
            let big = layout::lesson_with_pid_rows(body, workers, cores, big_text::ROWS);
            if big_pids::has_rows(big.run.processes, workers) {
                return big;
            }
        }
        layout::lesson(body, workers, cores)
    }

    /// The order the run's workers are shown in.
    fn lanes(&self) -> Lanes {
        self.run.as_ref().map_or(
            Lanes {
                rows: Vec::new(),
                drawn: 0,
            },
            |run| Lanes::of(&run.record),
        )
    }

    /// Moves the selection by `delta` rows, in the order the workers are shown.
    pub(crate) fn move_worker(&mut self, delta: isize) {
        let lanes = self.lanes();
        let Some(here) = lanes.position(self.selected_worker) else {
            self.selected_worker = lanes.rows.first().copied().unwrap_or(0);
            return;
        };
        let last = lanes.rows.len().saturating_sub(1);
        let row = here.saturating_add_signed(delta).min(last);
        self.selected_worker = lanes.rows[row];
    }

    /// Scrolls the output by `delta` lines when `rows` lines fit; reaching the end follows it
    /// again.
    pub(crate) fn scroll_output(&mut self, delta: isize, rows: usize) {
        let total = self.run.as_ref().map_or(0, |run| run.record.output.len());
        let max = total.saturating_sub(rows);
        let top = self
            .output_scroll
            .unwrap_or(max)
            .saturating_add_signed(delta)
            .min(max);
        self.output_scroll = (top < max).then_some(top);
    }

    /// Selects the worker at `row` of the processes panel or the timeline (whichever is at
    /// (`column`, `row`)).
    fn select_at(&mut self, areas: &LessonAreas, projector: bool, column: u16, row: u16) {
        let in_processes = layout::contains(areas.run.processes, column, row);
        if let Some(run) = self.run.as_ref().filter(|run| {
            projector && in_processes && big_pids::fits(areas.run.processes, &run.record)
        }) {
            let slot = big_pids::slot_at(areas.run.processes, &run.record, row);
            self.selected_worker = slot.unwrap_or(self.selected_worker);
            return;
        }
        let lanes = self.lanes();
        // The processes panel has a title and a header row; the timeline a title and an axis.
        let (area, header, footer, order) = if in_processes {
            (areas.run.processes, 2, 0, &lanes.rows[..])
        } else {
            (areas.run.timeline, 1, 1, lanes.drawn())
        };
        let rows = processes::worker_rows(area, header + footer);
        let selected = order.iter().position(|&s| s == self.selected_worker);
        let first = processes::first_visible(selected.unwrap_or(0), rows);
        let Some(offset) = (row - area.y).checked_sub(header) else {
            return;
        };
        if let Some(&slot) = order.get(first + offset as usize) {
            self.selected_worker = slot;
        }
    }
}

/// A screen's reading pane and run panels, with the text the pane reads from, borrowed for one
/// key or click.
pub(crate) struct Panes<'a> {
    /// The reading pane.
    pub(crate) reader: &'a mut Reader,
    /// The run panels.
    pub(crate) view: &'a mut RunView,
    /// What the pane reads from.
    pub(crate) text: Text<'a>,
    /// Where the panes are.
    pub(crate) areas: LessonAreas,
    /// The theme (the text's layout depends on it).
    pub(crate) theme: Theme,
}

impl Panes<'_> {
    /// Carries out the keys every such screen shares: pages, scrolling, focus, the program,
    /// the notes. Returns `false` for any other action.
    pub(crate) fn act(&mut self, action: Action) -> bool {
        let reader = &mut *self.reader;
        match action {
            // As a pager does: a long page scrolls to its end before the next page comes.
            Action::NextPage
                if reader.rows_below(self.text, self.areas.reading, &self.theme) > 0 =>
            {
                let page_rows = self.areas.reading.height.saturating_sub(3).max(1) as isize;
                let (text, area) = (self.text, self.areas.reading);
                reader.scroll_text(page_rows, text, area, &self.theme);
            }
            Action::NextPage => reader.go_to_page(reader.page + 1),
            Action::PrevPage => reader.go_to_page(reader.page.saturating_sub(1)),
            Action::Up | Action::Down => {
                let delta = if action == Action::Up { -1 } else { 1 };
                self.move_focused(delta);
            }
            Action::FocusNext => self.view.focus = self.view.focus.next(),
            Action::ToggleProgram => reader.toggle_program(),
            Action::Notes if self.text.lesson().is_some() => {
                reader.notes = reader.notes.xor(Some(0));
            }
            _ => return false,
        }
        true
    }

    /// Moves what has the focus by `delta` rows: the reading pane (or the notes over it), the
    /// selected worker, or the output.
    fn move_focused(&mut self, delta: isize) {
        match self.view.focus {
            Focus::Reading => {
                let area = self.areas.reading;
                self.reader.scroll_by(delta, self.text, area, &self.theme);
            }
            Focus::Processes => self.view.move_worker(delta),
            Focus::Output => {
                let rows = self.areas.run.output.height.saturating_sub(1) as usize;
                self.view.scroll_output(delta, rows);
            }
        }
    }

    /// A wheel step or a click in the panes: scrolls the panel under the pointer, or gives it
    /// the focus (selecting the worker clicked). A click on a checkpoint's box returns the
    /// answer to start.
    pub(crate) fn mouse(&mut self, mouse: MouseEvent, projector: bool) -> Option<AnswerDraft> {
        let (column, row) = (mouse.column, mouse.row);
        let areas = self.areas;
        let inside = |area: Rect| layout::contains(area, column, row);
        let wheel = match mouse.kind {
            MouseEventKind::ScrollUp => Some(-WHEEL_ROWS),
            MouseEventKind::ScrollDown => Some(WHEEL_ROWS),
            _ => None,
        };
        let click = mouse.kind == MouseEventKind::Down(MouseButton::Left);
        if inside(areas.reading) {
            if let Some(delta) = wheel {
                self.reader
                    .scroll_by(delta, self.text, areas.reading, &self.theme);
            } else if click {
                self.view.focus = Focus::Reading;
                return self.checkpoint_at(row);
            }
        } else if inside(areas.run.processes) || inside(areas.run.timeline) {
            if let Some(delta) = wheel {
                self.view.move_worker(delta.signum());
            } else if click {
                self.view.focus = Focus::Processes;
                self.view.select_at(&areas, projector, column, row);
            }
        } else if inside(areas.run.output) {
            let rows = areas.run.output.height.saturating_sub(1) as usize;
            if let Some(delta) = wheel {
                self.view.scroll_output(delta, rows);
            } else if click {
                self.view.focus = Focus::Output;
            }
        }
        None
    }

    /// The answer to the checkpoint whose box is at `row` of the narrative, if any.
    fn checkpoint_at(&self, row: u16) -> Option<AnswerDraft> {
        let Text::Lesson {
            lesson,
            checkpoints,
            answerable: true,
        } = self.text
        else {
            return None;
        };
        if self.reader.showing != Reading::Narrative || self.reader.notes.is_some() {
            return None;
        }
        let area = self.areas.reading;
        let line = ((row - area.y) as usize + self.reader.scroll).checked_sub(1)?;
        let page = self.text.page_text(self.reader.page, area, &self.theme);
        let (_, _, index) = page
            .checkpoint_rows
            .iter()
            .copied()
            .find(|(from, to, _)| (*from..*to).contains(&line))?;
        let state = checkpoints.get(index).cloned().unwrap_or_default();
        Some(AnswerDraft::new(index, &lesson.checkpoints[index], &state))
    }
}
