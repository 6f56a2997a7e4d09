//! The lesson screen's state: which page, what is scrolled where, the learner's answers, the
//! open dialog, and the current run.

use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::lesson::Lesson;
use crate::trace::TraceSpec;
use crate::tui::app::checkpoints::{AnswerDraft, CheckpointState};
use crate::tui::app::live_run::{LiveRun, Series};
use crate::tui::app::replay::Replay;
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::big_pids;
use crate::tui::widgets::big_text;
use crate::tui::widgets::highlight;
use crate::tui::widgets::layout::{self, LessonAreas};
use crate::tui::widgets::narrative::{self, PageText};
use crate::tui::widgets::notes_panel;

/// What the reading pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The narrative, one page at a time.
    Narrative,
    /// The lesson's Python program.
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
    pub fn next(self) -> Focus {
        match self {
            Focus::Reading => Focus::Processes,
            Focus::Processes => Focus::Output,
            Focus::Output => Focus::Reading,
        }
    }
}

/// A dialog over the lesson screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Answering a checkpoint.
    Answer(AnswerDraft),
    /// Changing the speed and the lesson's knobs; row 0 is the speed, row `i` knob `i - 1`.
    Knobs {
        /// The selected row.
        selected: usize,
    },
}

/// One open lesson.
#[derive(Debug, Clone)]
pub struct LessonScreen {
    /// The lesson.
    pub lesson: Lesson,
    /// The page shown, 0-based.
    pub page: usize,
    /// How many pages the narrative has.
    pub pages: usize,
    /// Narrative or program.
    pub reading: Reading,
    /// Rows of the narrative page scrolled off the top.
    pub scroll: usize,
    /// The program, highlighted once when the lesson opened.
    pub program: Vec<Line<'static>>,
    /// Rows of the program scrolled off the top.
    pub program_scroll: usize,
    /// Where the arrow keys act.
    pub focus: Focus,
    /// The worker slot `k` kills and the lists keep in view.
    pub selected_worker: usize,
    /// The first output line shown, or `None` to follow the newest lines.
    pub output_scroll: Option<usize>,
    /// The learner's standing with each checkpoint, in the lesson's order.
    pub checkpoints: Vec<CheckpointState>,
    /// The open dialog.
    pub dialog: Option<Dialog>,
    /// The current (or last) run.
    pub run: Option<LiveRun>,
    /// Many runs in a row, while `n` is going.
    pub series: Option<Series>,
    /// A short note for the learner (why a key did nothing, what will happen).
    pub notice: Option<String>,
    /// When the run shown is a recording being played back.
    pub replay: Option<Replay>,
    /// On the screen of `proclab trace`: the command `r` traces again.
    pub trace: Option<TraceSpec>,
    /// Projector mode: the processes panel gets room for big PIDs.
    pub projector: bool,
    /// The instructor's notes over the reading pane (key `i`): rows scrolled off their top.
    pub notes: Option<usize>,
}

impl LessonScreen {
    /// Opens `lesson` at its first page.
    pub fn new(lesson: Lesson, theme: &Theme) -> LessonScreen {
        let program = highlight::python(&lesson.program, theme);
        let pages = lesson.pages().len().max(1);
        let checkpoints = vec![CheckpointState::default(); lesson.checkpoints.len()];
        LessonScreen {
            lesson,
            page: 0,
            pages,
            reading: Reading::Narrative,
            scroll: 0,
            program,
            program_scroll: 0,
            focus: Focus::Reading,
            selected_worker: 0,
            output_scroll: None,
            checkpoints,
            dialog: None,
            run: None,
            series: None,
            notice: None,
            replay: None,
            trace: None,
            projector: false,
            notes: None,
        }
    }

    /// Worker slots and cores of the current run (zero before the first run).
    pub fn run_shape(&self) -> (usize, usize) {
        self.run.as_ref().map_or((0, 0), |run| {
            (run.record.workers.len(), run.record.cores as usize)
        })
    }

    /// Where everything goes in `body`.
    /// In projector mode the processes panel gets room for big PIDs when the window has it.
    pub fn areas(&self, body: Rect) -> LessonAreas {
        let (workers, cores) = self.run_shape();
        if self.projector {
            let big = layout::lesson_with_pid_rows(body, workers, cores, big_text::ROWS);
            if big_pids::has_rows(big.run.processes, workers) {
                return big;
            }
        }
        layout::lesson(body, workers, cores)
    }

    /// The current page laid out for the reading pane `area`.
    pub fn page_text(&self, area: Rect, theme: &Theme) -> PageText {
        narrative::page_text(
            &self.lesson,
            self.page,
            &self.checkpoints,
            reading_width(area),
            theme,
        )
    }

    /// The checkpoints the current page asks, as indices into the lesson's.
    pub fn page_checkpoints(&self) -> Vec<usize> {
        narrative::page_checkpoints(&self.lesson, self.page)
    }

    /// Scrolls the reading pane `area` by `delta` rows, within its text.
    pub fn scroll_reading(&mut self, delta: isize, area: Rect, theme: &Theme) {
        let rows = area.height.saturating_sub(1) as usize;
        let total = match self.reading {
            Reading::Narrative => self.page_text(area, theme).lines.len(),
            Reading::Program => self.program.len(),
        };
        let scroll = match self.reading {
            Reading::Narrative => &mut self.scroll,
            Reading::Program => &mut self.program_scroll,
        };
        let max = total.saturating_sub(rows);
        *scroll = scroll.saturating_add_signed(delta).min(max);
    }

    /// Moves to page `page` (clamped), at its top.
    pub fn go_to_page(&mut self, page: usize) {
        let page = page.min(self.pages - 1);
        if page != self.page {
            self.page = page;
            self.scroll = 0;
            self.notes = self.notes.map(|_| 0);
        }
    }

    /// Moves the selected worker by `delta`, within the run's workers.
    pub fn move_worker(&mut self, delta: isize) {
        let (workers, _) = self.run_shape();
        let last = workers.saturating_sub(1);
        self.selected_worker = self.selected_worker.saturating_add_signed(delta).min(last);
    }

    /// Scrolls the output by `delta` lines when `rows` lines fit; reaching the end follows it again.
    pub fn scroll_output(&mut self, delta: isize, rows: usize) {
        let total = self.run.as_ref().map_or(0, |run| run.record.output.len());
        let max = total.saturating_sub(rows);
        let top = self
            .output_scroll
            .unwrap_or(max)
            .saturating_add_signed(delta)
            .min(max);
        self.output_scroll = (top < max).then_some(top);
    }
}

impl LessonScreen {
    /// Scrolls the open notes panel, drawn over the reading pane `area`, by `delta` rows.
    pub fn scroll_notes(&mut self, delta: isize, area: Rect, theme: &Theme) {
        let max = notes_panel::max_scroll(&self.lesson, self.page, area, theme);
        if let Some(scroll) = &mut self.notes {
            *scroll = scroll.saturating_add_signed(delta).min(max);
        }
    }
}

/// The text width of the reading pane `area` (its right border excluded).
pub fn reading_width(area: Rect) -> u16 {
    area.width.saturating_sub(2)
}
