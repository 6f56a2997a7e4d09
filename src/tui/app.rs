//! The UI's model and its update function: every [`Message`] goes through [`App::update`],
//! which changes the model and may ask for a [`Command`] (start or stop a run, save it, leave).
//! Nothing here draws, touches the terminal or writes a file, so all of it is tested with plain
//! values.
//!
//! The model is split by screen: the lesson list ([`list`], with its exercises tab), a lesson
//! ([`lesson`]), a trace ([`trace`]), a recording played back ([`replay`]) and an exercise's
//! watch screen ([`exercise`]). The last four share the reading pane and the run panels
//! ([`panes`]); runs are started and followed in `runs`.

pub mod checkpoints;
pub mod exercise;
mod exercise_list;
pub(crate) mod knobs;
pub mod lanes;
pub mod lesson;
pub mod list;
pub mod live_run;
pub mod message;
pub(crate) mod notes_window;
pub mod panes;
pub mod placement;
mod places;
pub mod replay;
pub(crate) mod runs;
pub mod trace;
pub mod watch;

use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use self::exercise::ExerciseScreen;
use self::lesson::{Dialog, LessonScreen};
use self::list::ListState;
use self::message::{Command, Message, RunId};
use self::panes::{Panes, Text, WHEEL_ROWS};
use self::replay::ReplayScreen;
use self::trace::TraceScreen;
use self::watch::WatchState;
use crate::engine::RunOptions;
use crate::lesson::Lesson;
use crate::progress::Progress;
use crate::tui::runtime::keys::{self, Action, Context};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::{help, key_bar, layout};

pub use places::{Prompt, ResetScope};

/// Which screen is shown.
#[derive(Debug, Clone)]
pub enum Screen {
    /// The lesson list.
    List,
    /// A lesson.
    Lesson(Box<LessonScreen>),
    /// `proclab trace`: a command traced live.
    Trace(Box<TraceScreen>),
    /// `proclab replay`: a recorded run played back.
    Replay(Box<ReplayScreen>),
    /// An exercise's watch screen: the learner's file checked on every save.
    Exercise(Box<ExerciseScreen>),
}

/// How the UI ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The learner left (`q`).
    Quit,
    /// proclab was interrupted: Ctrl-C, or SIGINT, SIGTERM or SIGHUP from outside.
    Interrupted,
}

impl From<Exit> for std::process::ExitCode {
    /// 0 when the learner left, 130 when proclab was interrupted (as a shell reports SIGINT).
    fn from(exit: Exit) -> std::process::ExitCode {
        match exit {
            Exit::Quit => std::process::ExitCode::SUCCESS,
            Exit::Interrupted => std::process::ExitCode::from(130),
        }
    }
}

/// What the next run needs to know about the machine and the learner's choices.
#[derive(Debug, Clone)]
pub(crate) struct RunSetup {
    /// The options the next run uses.
    pub(crate) options: RunOptions,
    /// The options proclab was started with (what a knob's reset goes back to).
    pub(crate) start_options: RunOptions,
    /// Cores available to proclab.
    pub(crate) cores: u32,
    /// Whether `python3` is on the `PATH`, for `p` (run the lesson's Python program).
    pub(crate) python: bool,
    /// Whether `PYTHONUNBUFFERED` is set, which turns off the buffering `P` is there to show.
    pub(crate) python_unbuffered: bool,
    /// The number the next run gets.
    pub(crate) next_run: RunId,
    /// Lesson folders' programs the learner said `p` may run (asked once per program).
    pub(crate) allowed_programs: Vec<PathBuf>,
    /// The options each lesson left was run with: speed and knobs belong to a lesson, so a
    /// lesson opened again gets its own back and any other starts from `start_options`.
    pub(crate) per_lesson: HashMap<String, RunOptions>,
    /// The folder the learner's exercise files are in (`--dir`, else `./proclab-exercises`).
    pub(crate) exercise_dir: PathBuf,
}

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// Every lesson, in the catalog's order.
    pub(crate) lessons: Vec<Lesson>,
    /// What the learner has done.
    pub(crate) progress: Progress,
    /// What the next run needs.
    pub(crate) setup: RunSetup,
    /// Colours or not.
    pub(crate) theme: Theme,
    /// The terminal's size.
    pub(crate) area: Rect,
    /// Projector mode: high contrast, big text, only the essential keys shown.
    pub(crate) projector: bool,
    /// The lesson list's state (kept while a lesson is open).
    pub(crate) list: ListState,
    /// The screen shown.
    pub(crate) screen: Screen,
    /// The help overlay's scroll position, while it is open.
    pub(crate) help: Option<usize>,
    /// A question or a number being typed on the status line.
    pub(crate) prompt: Option<Prompt>,
    /// A one-line note for the learner (why a key did nothing, what will happen); the next key
    /// clears it.
    pub(crate) notice: Option<String>,
    /// `--watch`: the lesson folder followed and its problems.
    pub(crate) watch: Option<WatchState>,
    /// Set once the UI should end.
    pub(crate) exit: Option<Exit>,
    /// A command to carry out as soon as the UI starts (`proclab trace` starts its trace).
    pub(crate) startup: Option<Command>,
}

impl App {
    /// A UI at the lesson list, or at lesson `start` if it exists.
    pub fn new(
        lessons: Vec<Lesson>,
        start: Option<&str>,
        options: RunOptions,
        cores: u32,
        theme: Theme,
        area: Rect,
    ) -> App {
        let mut app = App {
            lessons,
            progress: Progress::default(),
            setup: RunSetup {
                start_options: options.clone(),
                options,
                cores,
                python: false,
                python_unbuffered: false,
                next_run: RunId(1),
                allowed_programs: Vec::new(),
                per_lesson: HashMap::new(),
                exercise_dir: PathBuf::from(crate::exercise::DEFAULT_WORKSPACE),
            },
            theme,
            area,
            projector: false,
            list: ListState::default(),
            screen: Screen::List,
            help: None,
            prompt: None,
            notice: None,
            watch: None,
            exit: None,
            startup: None,
        };
        if let Some(index) = start.and_then(|id| app.lessons.iter().position(|l| l.id == id)) {
            app.list.selected = index;
            app.open_lesson(index);
        }
        app
    }

    // ----- what tests and the runtime read -----

    /// Every lesson, in the catalog's order.
    pub fn lessons(&self) -> &[Lesson] {
        &self.lessons
    }

    /// What the learner has done.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The options the next run uses.
    pub fn options(&self) -> &RunOptions {
        &self.setup.options
    }

    /// The lesson list's state.
    pub fn list(&self) -> &ListState {
        &self.list
    }

    /// The screen shown.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The lesson screen, if one is open.
    pub fn lesson_screen(&self) -> Option<&LessonScreen> {
        match &self.screen {
            Screen::Lesson(screen) => Some(screen),
            _ => None,
        }
    }

    /// The trace screen, if it is shown.
    pub fn trace_screen(&self) -> Option<&TraceScreen> {
        match &self.screen {
            Screen::Trace(screen) => Some(screen),
            _ => None,
        }
    }

    /// The replay screen, if it is shown.
    pub fn replay_screen(&self) -> Option<&ReplayScreen> {
        match &self.screen {
            Screen::Replay(screen) => Some(screen),
            _ => None,
        }
    }

    /// The exercise's watch screen, if it is shown.
    pub fn exercise_screen(&self) -> Option<&ExerciseScreen> {
        match &self.screen {
            Screen::Exercise(screen) => Some(screen),
            _ => None,
        }
    }

    /// The help overlay's scroll position, while it is open.
    pub fn help(&self) -> Option<usize> {
        self.help
    }

    /// The terminal's size.
    pub fn area(&self) -> Rect {
        self.area
    }

    /// Whether projector mode is on.
    pub fn projector(&self) -> bool {
        self.projector
    }

    /// The question or number on the status line, if any.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    /// `--watch`: the lesson followed and its problems.
    pub fn watch(&self) -> Option<&WatchState> {
        self.watch.as_ref()
    }

    /// How the UI ended, once it has.
    pub fn exit(&self) -> Option<Exit> {
        self.exit
    }

    // ----- what the runtime sets up -----

    /// Says whether `python3` is on the `PATH` and whether `PYTHONUNBUFFERED` is set.
    pub fn set_python(&mut self, found: bool, unbuffered: bool) {
        self.setup.python = found;
        self.setup.python_unbuffered = unbuffered;
    }

    /// Starts in projector mode (or not).
    pub(crate) fn set_projector(&mut self, on: bool) {
        self.projector = on;
    }

    /// The folder the learner's exercise files go in.
    pub fn set_exercise_dir(&mut self, dir: PathBuf) {
        self.setup.exercise_dir = dir;
    }

    /// `--watch`: follows the lesson in `state`'s folder.
    pub fn set_watch(&mut self, state: WatchState) {
        self.watch = Some(state);
    }

    /// The command to carry out as the UI starts, once.
    pub fn take_startup(&mut self) -> Option<Command> {
        self.startup.take()
    }

    // ----- time -----

    /// How long the UI may wait for a message before time should move on: while a run is live
    /// (to move the "now" line) or a recording plays (until its next event is due, at most
    /// `tick`); `None` when nothing moves by itself.
    pub fn tick_wait(&self, tick: Duration) -> Option<Duration> {
        if let Screen::Replay(screen) = &self.screen {
            return screen
                .replay
                .next_due()
                .map(|due| due.clamp(Duration::from_millis(1), tick));
        }
        self.run_view()?.running().map(|_| tick)
    }

    // ----- update -----

    /// Applies one message; returns what the outside world should do about it.
    pub fn update(&mut self, message: Message) -> Option<Command> {
        let command = self.apply(message);
        if matches!(command, Some(Command::Start { .. } | Command::Trace { .. })) {
            // A first run narrows the reading pane: its text wraps again.
            self.clamp_scrolls();
        }
        self.note_place();
        self.refresh_next_run();
        command
    }

    /// Works out again what the open lesson's next run looks like, if the lesson or the
    /// options changed (the view only reads it).
    fn refresh_next_run(&mut self) {
        if let Screen::Lesson(screen) = &mut self.screen {
            let setup = &self.setup;
            screen
                .next_run
                .refresh(&screen.lesson, &setup.options, setup.cores);
        }
    }

    fn apply(&mut self, message: Message) -> Option<Command> {
        match message {
            Message::Key(key) => self.on_key(key),
            Message::Mouse(mouse) => self.on_mouse(mouse),
            Message::Resize(width, height) => {
                self.area = Rect::new(0, 0, width, height);
                self.clamp_scrolls();
                None
            }
            Message::Engine { run, event, at } => {
                self.on_event(run, event, at);
                None
            }
            Message::RunEnded(run) => self.on_run_ended(run),
            Message::Tick(at) => {
                self.on_tick(at);
                None
            }
            Message::Notice(text) => {
                self.notice = Some(text);
                None
            }
            Message::Terminate => self.leave(Exit::Interrupted),
            Message::LessonReloaded(reloaded) => self.on_lesson_reloaded(reloaded),
            Message::Shown(_) => None,
            Message::ExerciseSaved(saved) => self.on_exercise_saved(saved),
            Message::Judging { session, report } => {
                self.on_judging(session, report);
                None
            }
        }
    }

    /// Keeps the open lesson's speed and knobs for when it is opened again.
    fn keep_lesson_options(&mut self) {
        if let Screen::Lesson(screen) = &self.screen {
            let setup = &mut self.setup;
            setup
                .per_lesson
                .insert(screen.lesson.id.clone(), setup.options.clone());
        }
    }

    fn leave(&mut self, exit: Exit) -> Option<Command> {
        self.exit = Some(exit);
        Some(Command::Quit)
    }

    /// Opens lesson `index` of the catalog at its first page (or where the learner left it),
    /// with the speed and knobs it had when it was left (or the ones proclab started with).
    pub(crate) fn open_lesson(&mut self, index: usize) {
        if index >= self.lessons.len() {
            return;
        }
        self.keep_lesson_options();
        let lesson = &self.lessons[index];
        let setup = &mut self.setup;
        setup.options = (setup.per_lesson.get(&lesson.id))
            .unwrap_or(&setup.start_options)
            .clone();
        let screen = LessonScreen::new(lesson.clone(), &self.theme);
        self.screen = Screen::Lesson(Box::new(screen));
        self.refresh_next_run();
        self.resume_page();
    }

    // ----- keys -----

    fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        self.notice = None;
        let context = self.context();
        if self.help.is_some() {
            return self.help_key(context, &key);
        }
        let action = keys::action(context, &key)?;
        match (context, action) {
            // Any other key cancels the number, then does its own job.
            (Context::Number, Action::No) => {
                self.prompt = None;
                let context = self.context();
                let action = keys::action(context, &key)?;
                self.act(context, action)
            }
            (_, Action::Type | Action::Jump) => match key.code {
                KeyCode::Char(c) => self.type_char(context, c),
                _ => None,
            },
            _ => self.act(context, action),
        }
    }

    /// A key while the help is open: its own keys scroll it, Ctrl-C still leaves, any other key
    /// closes it.
    fn help_key(&mut self, context: Context, key: &KeyEvent) -> Option<Command> {
        let max = help::max_scroll(self.area, context, &self.theme);
        let scroll = self.help.as_mut()?;
        match keys::action(Context::Help, key) {
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::Down) => *scroll = (*scroll + 1).min(max),
            Some(Action::PrevPage) => *scroll = scroll.saturating_sub(help::PAGE_ROWS),
            Some(Action::NextPage) => *scroll = (*scroll + help::PAGE_ROWS).min(max),
            Some(Action::Quit) => return self.leave(Exit::Interrupted),
            _ => self.help = None,
        }
        None
    }

    /// A character typed into the filter, an answer or a number.
    fn type_char(&mut self, context: Context, c: char) -> Option<Command> {
        match context {
            Context::Filter => self.list.type_filter(c),
            Context::List | Context::Lesson | Context::Number => self.type_digit(c),
            Context::Answer | Context::Typing => {
                let Screen::Lesson(screen) = &mut self.screen else {
                    return None;
                };
                if screen.type_answer(c) == Some(lesson::Typed::Chosen) {
                    return self.confirm_answer();
                }
            }
            _ => {}
        }
        None
    }

    fn act(&mut self, context: Context, action: Action) -> Option<Command> {
        match (context, action) {
            (_, Action::Help) => {
                self.help = Some(0);
                None
            }
            (_, Action::Quit) => self.leave(Exit::Interrupted),
            (_, Action::Zoom) => {
                self.toggle_projector();
                None
            }
            // The runtime panics on it before the model sees it, when asked to.
            (_, Action::DebugPanic) => None,
            // On a projector the notes would show the room the answers: ask first.
            (Context::Lesson | Context::Replay, Action::Notes)
                if self.projector
                    && self
                        .shown_panes()
                        .is_some_and(|(r, _, _)| r.notes.is_none()) =>
            {
                self.prompt = Some(Prompt::ShowNotes);
                None
            }
            (Context::List | Context::Filter, _) => self.list_action(action),
            (Context::Number, _) => self.number_action(action),
            (Context::Lesson, _) => self.lesson_action(action),
            (Context::Answer | Context::Typing, _) => self.answer_action(action),
            (Context::Knobs, _) => self.knobs_action(action),
            (Context::Trace, _) => self.trace_action(action),
            (Context::Replay, _) => self.replay_action(action),
            (Context::Exercise, _) => self.exercise_action(action),
            (Context::Exercises, _) => self.exercise_list_action(action),
            (Context::Question, Action::Yes | Action::No) => {
                self.answer_prompt(action == Action::Yes)
            }
            (Context::Global | Context::Help | Context::Notes | Context::Question, _) => None,
        }
    }

    /// Where the keyboard is.
    pub fn context(&self) -> Context {
        match (&self.prompt, &self.screen) {
            (Some(Prompt::Jump(_)), _) => return Context::Number,
            (Some(_), _) => return Context::Question,
            (None, _) => {}
        }
        match &self.screen {
            Screen::List if self.list.tab == list::Tab::Exercises => Context::Exercises,
            Screen::List if self.list.filtering => Context::Filter,
            Screen::List => Context::List,
            Screen::Lesson(screen) => match &screen.dialog {
                Some(Dialog::Answer(draft)) => {
                    let kind = screen.lesson.checkpoints[draft.checkpoint].answer_kind;
                    if kind == crate::lesson::model::AnswerKind::Choice {
                        Context::Answer
                    } else {
                        Context::Typing
                    }
                }
                Some(Dialog::Knobs { .. }) => Context::Knobs,
                None => Context::Lesson,
            },
            Screen::Trace(_) => Context::Trace,
            Screen::Replay(_) => Context::Replay,
            Screen::Exercise(_) => Context::Exercise,
        }
    }

    // ----- the panes of lessons, traces and replays -----

    /// Whether what Space toggles is on: the run shown is paused, or the recording plays.
    pub(crate) fn space_on(&self) -> bool {
        match &self.screen {
            Screen::Replay(screen) => screen.replay.is_playing(),
            _ => self
                .run_view()
                .and_then(|view| view.running())
                .is_some_and(|run| run.state == live_run::RunState::Paused),
        }
    }

    /// The run panels of the screen shown, if it has them.
    pub(crate) fn run_view(&self) -> Option<&panes::RunView> {
        self.shown_panes().map(|(_, view, _)| view)
    }

    /// The reading pane, the run panels and the text of the screen shown, if it has them.
    pub(crate) fn shown_panes(&self) -> Option<(&panes::Reader, &panes::RunView, Text<'_>)> {
        match &self.screen {
            Screen::List => None,
            Screen::Lesson(screen) => Some((&screen.reader, &screen.view, screen.text())),
            Screen::Trace(screen) => {
                Some((&screen.reader, &screen.view, Text::About(&screen.about)))
            }
            Screen::Replay(screen) => Some((&screen.reader, &screen.view, screen.text())),
            Screen::Exercise(screen) => Some((&screen.reader, &screen.view, screen.text())),
        }
    }

    /// The reading pane and run panels of the screen shown, laid out for the window.
    pub(crate) fn panes(&mut self) -> Option<Panes<'_>> {
        let body = self.screen_areas().body;
        let (theme, projector) = (self.theme, self.projector);
        let (reader, view, text) = match &mut self.screen {
            Screen::List => return None,
            Screen::Lesson(screen) => (
                &mut screen.reader,
                &mut screen.view,
                Text::Lesson {
                    lesson: &screen.lesson,
                    checkpoints: &screen.checkpoints,
                    answerable: true,
                },
            ),
            Screen::Trace(screen) => (
                &mut screen.reader,
                &mut screen.view,
                Text::About(&screen.about),
            ),
            Screen::Replay(screen) => (
                &mut screen.reader,
                &mut screen.view,
                screen.text.text(&screen.checkpoints),
            ),
            Screen::Exercise(screen) => (
                &mut screen.reader,
                &mut screen.view,
                Text::Exercise(&screen.page),
            ),
        };
        let areas = view.areas(body, projector);
        Some(Panes {
            reader,
            view,
            text,
            areas,
            theme,
        })
    }

    /// Keeps scroll positions inside their text after a resize.
    fn clamp_scrolls(&mut self) {
        if let Some(panes) = self.panes() {
            let area = panes.areas.reading;
            panes.reader.scroll_text(0, panes.text, area, &panes.theme);
        }
    }

    // ----- mouse -----

    fn on_mouse(&mut self, mouse: MouseEvent) -> Option<Command> {
        if layout::too_small(self.area) {
            return None;
        }
        let (column, row) = (mouse.column, mouse.row);
        let screen_areas = self.screen_areas();
        let help_max = help::max_scroll(self.area, self.context(), &self.theme);
        if let Some(scroll) = &mut self.help {
            let step = WHEEL_ROWS as usize;
            match mouse.kind {
                MouseEventKind::ScrollUp => *scroll = scroll.saturating_sub(step),
                MouseEventKind::ScrollDown => *scroll = (*scroll + step).min(help_max),
                MouseEventKind::Down(_) => self.help = None,
                _ => {}
            }
            return None;
        }
        let context = self.context();
        if mouse.kind == MouseEventKind::Down(MouseButton::Left)
            && layout::contains(screen_areas.key_bar, column, row)
        {
            let (bar, projector, on) = (screen_areas.key_bar, self.projector, self.space_on());
            let action = key_bar::hit(context, bar, column, projector, on)?;
            return self.act(context, action);
        }
        match &self.screen {
            Screen::List if self.list.tab == list::Tab::Exercises => {
                self.exercise_list_mouse(mouse, screen_areas.body)
            }
            Screen::List => self.list_mouse(mouse, screen_areas.body),
            Screen::Lesson(screen) if screen.dialog.is_some() => None,
            _ => {
                let projector = self.projector;
                let draft = self.panes()?.mouse(mouse, projector)?;
                if let Screen::Lesson(screen) = &mut self.screen {
                    screen.dialog = Some(Dialog::Answer(draft));
                }
                None
            }
        }
    }
}
