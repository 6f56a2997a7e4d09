//! The UI's model and its update function: every [`Message`] goes through [`App::update`],
//! which changes the model and may ask for a [`Command`] (start or stop a run, leave). Nothing
//! here draws or touches the terminal, so all of it is tested with plain values.

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use std::time::{Duration, Instant};

use self::checkpoints::{AnswerDraft, choice_of_letter};
use self::lesson_screen::{Dialog, Focus, LessonScreen, Reading};
use self::live_run::{LiveRun, RunState, Series};
use self::message::{Command, Message, ProgramFile, RunId};
use self::replay::Replay;
use crate::engine::{self, Control, RunOptions};
use crate::event::Event;
use crate::lesson::Lesson;
use crate::lesson::model::{AnswerKind, Observation};
use crate::progress::Progress;
use crate::record::WorkerStatus;
use crate::record::observe::observe;
use crate::trace::TraceSpec;
use crate::tui::runtime::keys::{self, Action, Context};
use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::big_pids;
use crate::tui::widgets::key_bar;
use crate::tui::widgets::layout;
use crate::tui::widgets::lesson_list;
use crate::tui::widgets::processes;

pub mod checkpoints;
pub mod knobs;
pub mod lesson_screen;
pub mod live_run;
pub mod message;
pub mod notes_window;
pub mod placement;
mod places;
pub mod recorder;
pub mod replay;
pub mod trace_screen;
pub mod watch;

pub use places::ResetScope;

/// How many runs `n` asks for.
pub const SERIES_RUNS: u32 = 20;
/// Rows one mouse wheel step scrolls.
const WHEEL_ROWS: isize = 3;

/// Which screen is shown.
#[derive(Debug, Clone)]
pub enum Screen {
    /// The lesson list.
    List,
    /// A lesson.
    Lesson(Box<LessonScreen>),
}

/// The lesson list's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    /// Position of the selection among the lessons that match the filter.
    pub selected: usize,
    /// The filter text.
    pub filter: String,
    /// Whether keys go into the filter.
    pub filtering: bool,
}

impl ListState {
    /// Indices of the lessons that match the filter (id, title or summary, any case).
    pub fn visible(&self, lessons: &[Lesson]) -> Vec<usize> {
        let filter = self.filter.to_lowercase();
        lessons
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                filter.is_empty()
                    || [&l.id, &l.title, &l.summary]
                        .iter()
                        .any(|text| text.to_lowercase().contains(&filter))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// Every lesson, in the catalog's order.
    pub lessons: Vec<Lesson>,
    /// What the learner has done.
    pub progress: Progress,
    /// The options the next run uses.
    pub options: RunOptions,
    /// The options proclab was started with (what "reset" goes back to).
    pub start_options: RunOptions,
    /// Cores available to proclab.
    pub cores: u32,
    /// Colours or not.
    pub theme: Theme,
    /// The terminal's size.
    pub area: Rect,
    /// The lesson list.
    pub list: ListState,
    /// The screen shown.
    pub screen: Screen,
    /// The help overlay's scroll position, while it is open.
    pub help: Option<usize>,
    /// The number the next run gets.
    pub next_run: RunId,
    /// Set once the UI should end.
    pub quit: bool,
    /// What the next run looks like, worked out once per change of lesson or options.
    pub plan_cache: knobs::NextRunCache,
    /// A command to carry out as soon as the UI starts (`proclab trace` starts its trace).
    pub startup: Option<Command>,
    /// Whether `python3` is on the `PATH`, for `p` (run the lesson's Python program).
    pub python: bool,
    /// Whether `PYTHONUNBUFFERED` is set, which turns off the buffering `P` is there to show.
    pub python_unbuffered: bool,
    /// Projector mode: high contrast, big text, only the essential keys shown.
    pub projector: bool,
    /// The digits typed so far to jump to a lesson (list) or a page (lesson).
    pub jump: Option<String>,
    /// A reset waiting for its y/n answer.
    pub confirm: Option<ResetScope>,
    /// A one-line notice not tied to a lesson (saved progress, resets); the next key clears it.
    pub notice: Option<String>,
    /// `--watch`: the lesson folder followed and its problems.
    pub watch: Option<crate::tui::app::watch::WatchState>,
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
            start_options: options.clone(),
            options,
            cores,
            theme,
            area,
            list: ListState::default(),
            screen: Screen::List,
            help: None,
            next_run: RunId(1),
            quit: false,
            plan_cache: knobs::NextRunCache::default(),
            startup: None,
            python: false,
            python_unbuffered: false,
            projector: false,
            jump: None,
            confirm: None,
            notice: None,
            watch: None,
        };
        if let Some(index) = start.and_then(|id| app.lessons.iter().position(|l| l.id == id)) {
            app.list.selected = index;
            app.open_lesson(index);
        }
        app
    }

    /// A UI playing back `events` on the screen of `lesson` (paused at the start).
    pub fn replaying(
        lessons: Vec<Lesson>,
        lesson: Lesson,
        events: Vec<Event>,
        cores: u32,
        theme: Theme,
        area: Rect,
    ) -> App {
        let mut app = App::new(lessons, None, RunOptions::default(), cores, theme, area);
        if let Some(index) = app.lessons.iter().position(|l| l.id == lesson.id) {
            app.list.selected = index;
        }
        let mut screen = LessonScreen::new(lesson, &app.theme);
        let mut replay = Replay::new(events);
        screen.run = Some(replay.start(app.next_run));
        screen.replay = Some(replay);
        screen.notice = Some("A recording, paused at its start: Space plays it, . and , step one event, [ and ] seek.".into());
        app.next_run = RunId(app.next_run.0 + 1);
        app.screen = Screen::Lesson(Box::new(screen));
        app
    }

    /// A UI tracing `spec` on the screen of `lesson` (a stand-in that describes the trace); the
    /// trace starts with the UI.
    pub fn tracing(
        lessons: Vec<Lesson>,
        lesson: Lesson,
        spec: TraceSpec,
        cores: u32,
        theme: Theme,
        area: Rect,
    ) -> App {
        let mut app = App::new(lessons, None, RunOptions::default(), cores, theme, area);
        let mut screen = LessonScreen::new(lesson, &app.theme);
        screen.trace = Some(spec);
        app.screen = Screen::Lesson(Box::new(screen));
        app.startup = app.start_trace(None);
        app
    }

    /// The lesson screen, if one is open.
    pub fn lesson_screen(&self) -> Option<&LessonScreen> {
        match &self.screen {
            Screen::Lesson(screen) => Some(screen),
            Screen::List => None,
        }
    }

    fn lesson_screen_mut(&mut self) -> Option<&mut LessonScreen> {
        match &mut self.screen {
            Screen::Lesson(screen) => Some(screen),
            Screen::List => None,
        }
    }

    /// Where the keyboard is.
    pub fn context(&self) -> Context {
        match &self.screen {
            Screen::List if self.list.filtering => Context::Filter,
            Screen::List => Context::List,
            Screen::Lesson(screen) => match screen.dialog {
                Some(Dialog::Answer(_)) => Context::Answer,
                Some(Dialog::Knobs { .. }) => Context::Knobs,
                None if screen.replay.is_some() => Context::Replay,
                None => Context::Lesson,
            },
        }
    }

    /// How long the UI may wait for a message before time should move on: while a run is live
    /// (to move the "now" line) or a recording plays (until its next event is due, at most
    /// `tick`); `None` when nothing moves by itself.
    pub fn tick_wait(&self, tick: Duration) -> Option<Duration> {
        let screen = self.lesson_screen()?;
        if let Some(replay) = &screen.replay {
            return replay
                .next_due()
                .map(|due| due.clamp(Duration::from_millis(1), tick));
        }
        let run = screen.run.as_ref()?;
        (run.is_live() && !run.record.is_finished()).then_some(tick)
    }

    /// Applies one message; returns what the outside world should do about it.
    pub fn update(&mut self, message: Message) -> Option<Command> {
        let command = self.apply(message);
        self.note_place();
        command
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
                let screen = self.lesson_screen_mut()?;
                let live = screen.run.as_mut().filter(|live| live.id == run)?;
                live.push(event, at);
                // Checkpoints are judged on the lesson's own run, not on a traced program.
                if live.record.is_finished() && live.traced.is_none() {
                    self.judge_checkpoints(run);
                }
                None
            }
            Message::RunEnded(run) => self.on_run_ended(run),
            Message::Tick(at) => {
                let screen = self.lesson_screen_mut()?;
                match (&mut screen.replay, &mut screen.run) {
                    (Some(replay), Some(run)) => replay.tick(run, at),
                    (None, Some(run)) => run.tick(at),
                    _ => {}
                }
                None
            }
            Message::Terminate => self.leave(),
            Message::LessonReloaded(reloaded) => self.on_lesson_reloaded(reloaded),
            Message::Shown(_) => None,
        }
    }

    fn leave(&mut self) -> Option<Command> {
        self.quit = true;
        Some(Command::Quit)
    }

    /// Opens lesson `index` of [`App::lessons`] at its first page.
    pub(crate) fn open_lesson(&mut self, index: usize) {
        let Some(lesson) = self.lessons.get(index) else {
            return;
        };
        self.screen = Screen::Lesson(Box::new(LessonScreen::new(lesson.clone(), &self.theme)));
        self.resume_page();
    }

    // ----- keys -----

    fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        self.notice = None;
        if self.answer_reset(&key) {
            return None;
        }
        let context = self.context();
        let help_max = crate::tui::widgets::help::max_scroll(self.area, context, &self.theme);
        if let Some(scroll) = &mut self.help {
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(help_max),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                KeyCode::PageDown => *scroll = (*scroll + 10).min(help_max),
                _ if keys::action(context, &key) == Some(Action::Quit) => return self.leave(),
                _ => self.help = None,
            }
            return None;
        }
        if let Some(command) = self
            .jump_key(context, &key)
            .or_else(|| self.typed(context, &key))
        {
            return command;
        }
        let action = keys::action(context, &key)?;
        self.act(context, action)
    }

    /// Keys that type text (the filter, an answer); `Some` when the key was taken.
    fn typed(&mut self, context: Context, key: &KeyEvent) -> Option<Option<Command>> {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        match context {
            Context::Filter => match key.code {
                KeyCode::Char(c) => {
                    self.list.filter.push(c);
                    self.list.selected = 0;
                    Some(None)
                }
                KeyCode::Backspace => {
                    self.list.filter.pop();
                    self.list.selected = 0;
                    Some(None)
                }
                _ => None,
            },
            Context::Answer => {
                let screen = self.lesson_screen_mut()?;
                let Some(Dialog::Answer(draft)) = &mut screen.dialog else {
                    return None;
                };
                let checkpoint = screen.lesson.checkpoints.get(draft.checkpoint)?;
                match (checkpoint.answer_kind, key.code) {
                    (AnswerKind::Choice, KeyCode::Char(c)) => {
                        draft.choice = choice_of_letter(c, checkpoint.choices.len())?;
                        Some(self.confirm_answer())
                    }
                    (_, KeyCode::Char(c)) => {
                        draft.type_char(checkpoint.answer_kind, c).then_some(None)
                    }
                    (AnswerKind::Order | AnswerKind::Number, KeyCode::Backspace) => {
                        draft.text.pop();
                        Some(None)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn act(&mut self, context: Context, action: Action) -> Option<Command> {
        match (context, action) {
            (_, Action::Help) => {
                self.help = Some(0);
                None
            }
            (_, Action::Quit) => self.leave(),
            (_, Action::Zoom) => {
                self.toggle_projector();
                None
            }
            (Context::List | Context::Filter, _) => self.list_action(action),
            (Context::Lesson, _) => self.lesson_action(action),
            (Context::Answer, _) => self.answer_action(action),
            (Context::Knobs, _) => self.knobs_action(action),
            (Context::Replay, _) => self.replay_action(action),
            (Context::Global, _) => None,
        }
    }

    fn list_action(&mut self, action: Action) -> Option<Command> {
        let visible = self.list.visible(&self.lessons);
        match action {
            Action::Up => self.list.selected = self.list.selected.saturating_sub(1),
            Action::Down => {
                self.list.selected = (self.list.selected + 1).min(visible.len().saturating_sub(1))
            }
            Action::Confirm => {
                self.list.filtering = false;
                if let Some(&index) = visible.get(self.list.selected) {
                    self.open_lesson(index);
                }
            }
            Action::Filter => self.list.filtering = true,
            Action::ResetLesson | Action::ResetAll => self.ask_reset(action == Action::ResetAll),
            Action::Back if self.list.filtering || !self.list.filter.is_empty() => {
                self.list.filtering = false;
                self.list.filter.clear();
                self.list.selected = 0;
            }
            Action::Back => return self.leave(),
            _ => {}
        }
        None
    }

    fn lesson_action(&mut self, action: Action) -> Option<Command> {
        let theme = self.theme;
        let body = self.screen_areas().body;
        let cores = self.cores;
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        screen.notice = None;
        let areas = screen.areas(body);
        match action {
            Action::Back if screen.notes.is_some() => screen.notes = None,
            // `proclab trace` and `proclab replay` open on a screen of their own, not from the
            // list: leaving it leaves proclab.
            Action::Back if screen.trace.is_some() || screen.replay.is_some() => {
                return self.leave();
            }
            Action::Back => {
                let live = screen.run.as_ref().is_some_and(LiveRun::is_live);
                self.screen = Screen::List;
                return live.then_some(Command::Stop);
            }
            Action::NextPage => screen.go_to_page(screen.page + 1),
            Action::PrevPage => screen.go_to_page(screen.page.saturating_sub(1)),
            Action::Up | Action::Down => {
                let delta = if action == Action::Up { -1 } else { 1 };
                match screen.focus {
                    Focus::Reading if screen.notes.is_some() => {
                        screen.scroll_notes(delta, areas.reading, &theme)
                    }
                    Focus::Reading => screen.scroll_reading(delta, areas.reading, &theme),
                    Focus::Processes => screen.move_worker(delta),
                    Focus::Output => screen
                        .scroll_output(delta, areas.run.output.height.saturating_sub(1) as usize),
                }
            }
            Action::FocusNext => screen.focus = screen.focus.next(),
            Action::ToggleProgram => {
                screen.reading = match screen.reading {
                    Reading::Narrative => Reading::Program,
                    Reading::Program => Reading::Narrative,
                }
            }
            Action::Answer => {
                let on_page = screen.page_checkpoints();
                let first = on_page
                    .iter()
                    .copied()
                    .find(|&i| screen.checkpoints[i].prediction.is_none())
                    .or(on_page.first().copied());
                match first {
                    Some(index) => {
                        let draft = AnswerDraft::new(
                            index,
                            &screen.lesson.checkpoints[index],
                            &screen.checkpoints[index],
                        );
                        screen.dialog = Some(Dialog::Answer(draft));
                    }
                    None => {
                        screen.notice = Some(
                            "This page asks no question; checkpoints are marked ▶ in the text."
                                .into(),
                        )
                    }
                }
            }
            Action::Hint => {
                let on_page = screen.page_checkpoints();
                let revealed = on_page
                    .iter()
                    .any(|&i| screen.checkpoints[i].reveal_hint(&screen.lesson.checkpoints[i]));
                if !revealed {
                    screen.notice = Some("No more hints on this page.".into());
                }
            }
            Action::Run if screen.trace.is_some() => return self.start_trace(None),
            Action::Run => {
                screen.series = None;
                return self.start_run();
            }
            Action::TracePython => return self.start_trace(Some(false)),
            Action::TracePythonPiped => return self.start_trace(Some(true)),
            Action::Repeat => {
                let observation = series_observation(&screen.lesson);
                screen.series = Some(Series {
                    total: SERIES_RUNS,
                    observation,
                    outcomes: Vec::new(),
                    missing: 0,
                });
                return self.start_run();
            }
            Action::Pause => {
                let Some(run) = screen
                    .run
                    .as_mut()
                    .filter(|run| run.is_live() && !run.record.is_finished())
                else {
                    screen.notice = Some("Nothing is running: press r to run.".into());
                    return None;
                };
                let (state, control) = match run.state {
                    RunState::Paused => (RunState::Running, Control::Resume),
                    _ => (RunState::Paused, Control::Pause),
                };
                run.state = state;
                return Some(Command::Control(control));
            }
            Action::Faster | Action::Slower => {
                self.options.speed =
                    knobs::step_speed(self.options.speed, action == Action::Faster);
                screen.notice = Some(format!(
                    "The next run goes at speed ×{}.",
                    self.options.speed
                ));
            }
            Action::Kill => return kill_selected(screen),
            Action::MoreWorkers | Action::FewerWorkers => {
                if knobs::step_workers(
                    &screen.lesson,
                    &mut self.options,
                    cores,
                    action == Action::MoreWorkers,
                ) {
                    let workers =
                        knobs::planned_workers(&screen.lesson, &self.options, cores).unwrap_or(0);
                    screen.notice = Some(format!(
                        "The next run starts {workers} worker{}.",
                        if workers == 1 { "" } else { "s" }
                    ));
                } else {
                    screen.notice = Some(
                        "This lesson starts one process per task: its worker count is fixed."
                            .into(),
                    );
                }
            }
            Action::Knobs => screen.dialog = Some(Dialog::Knobs { selected: 0 }),
            Action::Record => {
                screen.notice = Some(match &screen.run {
                    Some(run) => crate::tui::app::recorder::save(&screen.lesson.id, &run.record),
                    None => "Nothing to save yet: press r to run first.".into(),
                })
            }
            Action::Notes => screen.notes = screen.notes.xor(Some(0)),
            _ => {}
        }
        None
    }

    fn answer_action(&mut self, action: Action) -> Option<Command> {
        let screen = self.lesson_screen_mut()?;
        let Some(Dialog::Answer(draft)) = &mut screen.dialog else {
            return None;
        };
        let checkpoint = &screen.lesson.checkpoints[draft.checkpoint];
        match action {
            Action::Up => draft.choice = draft.choice.saturating_sub(1),
            Action::Down => {
                draft.choice = (draft.choice + 1).min(checkpoint.choices.len().saturating_sub(1))
            }
            Action::Hint => {
                let index = draft.checkpoint;
                screen.checkpoints[index].reveal_hint(&screen.lesson.checkpoints[index]);
            }
            Action::Back => screen.dialog = None,
            Action::Confirm => return self.confirm_answer(),
            _ => {}
        }
        None
    }

    /// Keeps the dialog's answer and moves on to the page's next unanswered checkpoint.
    fn confirm_answer(&mut self) -> Option<Command> {
        let next_run = self.next_run;
        let screen = self.lesson_screen_mut()?;
        let Some(Dialog::Answer(draft)) = &screen.dialog else {
            return None;
        };
        let index = draft.checkpoint;
        let Some(answer) = draft.answer(&screen.lesson.checkpoints[index]) else {
            screen.notice = Some("Type an answer first.".into());
            return None;
        };
        screen.checkpoints[index].predict(answer, next_run);
        let on_page = screen.page_checkpoints();
        let next = on_page
            .iter()
            .copied()
            .find(|&i| i != index && screen.checkpoints[i].prediction.is_none());
        screen.dialog = next.map(|i| {
            Dialog::Answer(AnswerDraft::new(
                i,
                &screen.lesson.checkpoints[i],
                &screen.checkpoints[i],
            ))
        });
        if next.is_none() {
            screen.notice = Some("Answer kept. Press r to run and see what really happens.".into());
        }
        None
    }

    fn knobs_action(&mut self, action: Action) -> Option<Command> {
        let cores = self.cores;
        let start_speed = self.start_options.speed;
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        let Some(Dialog::Knobs { selected }) = &mut screen.dialog else {
            return None;
        };
        let rows = screen.lesson.knobs.len() + 1;
        let row = *selected;
        match action {
            Action::Up => *selected = row.saturating_sub(1),
            Action::Down => *selected = (row + 1).min(rows - 1),
            Action::Back => screen.dialog = None,
            Action::Run => {
                screen.dialog = None;
                screen.series = None;
                return self.start_run();
            }
            Action::Faster | Action::Slower | Action::Reset => {
                let lesson = screen.lesson.clone();
                let options = &mut self.options;
                match (row, action) {
                    (0, Action::Reset) => options.speed = start_speed,
                    (0, _) => {
                        options.speed = knobs::step_speed(options.speed, action == Action::Faster)
                    }
                    (_, Action::Reset) => knobs::reset_knob(&lesson, options, row - 1),
                    (_, _) => {
                        knobs::step_knob(&lesson, options, cores, row - 1, action == Action::Faster)
                    }
                }
            }
            _ => {}
        }
        None
    }

    /// Keys while a recording plays back; the lesson's own keys that would start or steer a
    /// real run are refused with a note.
    fn replay_action(&mut self, action: Action) -> Option<Command> {
        let at = Instant::now();
        let screen = self.lesson_screen_mut()?;
        let (Some(replay), Some(run)) = (&mut screen.replay, &mut screen.run) else {
            return None;
        };
        screen.notice = None;
        match action {
            Action::Pause => replay.toggle(run, at),
            Action::StepForward => replay.step_forward(run),
            Action::StepBack => replay.step_back(run),
            Action::SeekForward | Action::SeekBack => {
                replay.seek(run, action == Action::SeekForward, at)
            }
            Action::JumpStart | Action::JumpEnd => replay.jump(run, action == Action::JumpEnd, at),
            Action::Faster | Action::Slower => {
                replay.change_rate(action == Action::Faster, at);
                screen.notice = Some(format!("Playing at ×{}.", replay.rate()));
            }
            Action::Run => {
                replay.jump(run, false, at);
                replay.toggle(run, at);
            }
            Action::Repeat
            | Action::TracePython
            | Action::TracePythonPiped
            | Action::Kill
            | Action::MoreWorkers
            | Action::FewerWorkers
            | Action::Knobs => {
                screen.notice = Some(
                    "This is a recording: it shows what happened then. Space plays it; open the lesson from the list to run it live."
                        .into(),
                );
            }
            Action::Record => {
                screen.notice = Some("This run is already a recording.".into());
            }
            _ => return self.lesson_action(action),
        }
        None
    }

    // ----- runs -----

    /// Traces the `proclab trace` screen's command again, or runs the lesson's Python program
    /// under trace, as the next run; `pipe` chooses pipes or a terminal for its output (`None`:
    /// as the command was given).
    fn start_trace(&mut self, pipe: Option<bool>) -> Option<Command> {
        let run = self.next_run;
        let (speed, python) = (self.options.speed, self.python);
        let unbuffered = self.python_unbuffered && pipe == Some(true);
        let screen = self.lesson_screen_mut()?;
        screen.series = None;
        let (spec, program) = match &screen.trace {
            Some(spec) => (spec.clone(), None),
            None if screen.lesson.program.trim().is_empty() => {
                screen.notice = Some("This lesson has no Python program to run.".into());
                return None;
            }
            None if !python => {
                screen.notice = Some(
                    "p runs the lesson's Python program, but python3 is not on your PATH: install Python 3 (Debian/Ubuntu: sudo apt install python3) and press p again."
                        .into(),
                );
                return None;
            }
            None => {
                let mut spec = TraceSpec::new(vec!["python3".into()]);
                spec.speed = speed;
                let program = ProgramFile {
                    name: screen.lesson.program_name.clone(),
                    text: screen.lesson.program.clone(),
                };
                (spec, Some(program))
            }
        };
        let mut spec = spec;
        spec.pipe = pipe.unwrap_or(spec.pipe);
        let mut live = LiveRun::new(run);
        let command = match &program {
            Some(program) => format!("python3 {}", program.name),
            None => crate::trace::command_line(&spec.command),
        };
        let into = if spec.pipe { " → pipes" } else { "" };
        live.traced = Some(format!("{command}{into}"));
        screen.run = Some(live);
        screen.output_scroll = None;
        if unbuffered {
            screen.notice = Some(
                "PYTHONUNBUFFERED is set here, so Python writes at once even into pipes; run `env -u PYTHONUNBUFFERED proclab` to see block buffering."
                    .into(),
            );
        }
        self.next_run = RunId(run.0 + 1);
        Some(Command::Trace {
            run,
            spec: Box::new(spec),
            program,
        })
    }

    /// Plans the current lesson with the current options and asks for a new run.
    fn start_run(&mut self) -> Option<Command> {
        let run = self.next_run;
        let (options, cores) = (self.options.clone(), self.cores);
        let screen = self.lesson_screen_mut()?;
        match engine::plan(&screen.lesson, &options, cores) {
            Ok(plan) => {
                screen.run = Some(LiveRun::new(run));
                screen.output_scroll = None;
                self.next_run = RunId(run.0 + 1);
                Some(Command::Start {
                    run,
                    plan: Box::new(plan),
                })
            }
            Err(error) => {
                screen.notice = Some(format!("Cannot run: {error}"));
                screen.series = None;
                None
            }
        }
    }

    fn judge_checkpoints(&mut self, run: RunId) {
        let Screen::Lesson(screen) = &mut self.screen else {
            return;
        };
        let Some(live) = &screen.run else { return };
        for (index, state) in screen.checkpoints.iter_mut().enumerate() {
            let checkpoint = &screen.lesson.checkpoints[index];
            if state.judge(checkpoint, run, &live.record) == Some(true) {
                self.progress
                    .answered_right(&screen.lesson.id, &checkpoint.id);
            }
        }
    }

    fn on_run_ended(&mut self, run: RunId) -> Option<Command> {
        let screen = self.lesson_screen_mut()?;
        let live = screen.run.as_mut().filter(|live| live.id == run)?;
        live.end();
        let finished = live.record.is_finished() && !live.record.stopped;
        let series = screen.series.as_mut()?;
        match observe(&live.record, series.observation).filter(|_| finished) {
            Some(outcome) => series.outcomes.push(outcome),
            None => series.missing += 1,
        }
        if series.done() < series.total && finished {
            return self.start_run();
        }
        None
    }

    // ----- mouse -----

    fn on_mouse(&mut self, mouse: MouseEvent) -> Option<Command> {
        if layout::too_small(self.area) {
            return None;
        }
        let (column, row) = (mouse.column, mouse.row);
        let screen_areas = self.screen_areas();
        let help_max =
            crate::tui::widgets::help::max_scroll(self.area, self.context(), &self.theme);
        if let Some(scroll) = &mut self.help {
            match mouse.kind {
                MouseEventKind::ScrollUp => *scroll = scroll.saturating_sub(WHEEL_ROWS as usize),
                MouseEventKind::ScrollDown => {
                    *scroll = (*scroll + WHEEL_ROWS as usize).min(help_max)
                }
                MouseEventKind::Down(_) => self.help = None,
                _ => {}
            }
            return None;
        }
        let context = self.context();
        if mouse.kind == MouseEventKind::Down(MouseButton::Left)
            && layout::contains(screen_areas.key_bar, column, row)
        {
            let action = key_bar::hit(context, screen_areas.key_bar, column, self.projector)?;
            return self.act(context, action);
        }
        match &self.screen {
            Screen::List => self.list_mouse(mouse, screen_areas.body),
            Screen::Lesson(_) => self.lesson_mouse(mouse, screen_areas.body),
        }
    }

    fn list_mouse(&mut self, mouse: MouseEvent, body: Rect) -> Option<Command> {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.list_action(Action::Up),
            MouseEventKind::ScrollDown => self.list_action(Action::Down),
            MouseEventKind::Down(MouseButton::Left) => {
                let visible = self.list.visible(&self.lessons);
                let position = lesson_list::hit(
                    body,
                    self.list.selected,
                    visible.len(),
                    mouse.column,
                    mouse.row,
                )?;
                self.list.selected = position;
                self.list_action(Action::Confirm)
            }
            _ => None,
        }
    }

    fn lesson_mouse(&mut self, mouse: MouseEvent, body: Rect) -> Option<Command> {
        let theme = self.theme;
        let Screen::Lesson(screen) = &mut self.screen else {
            return None;
        };
        if screen.dialog.is_some() {
            return None;
        }
        let areas = screen.areas(body);
        let (column, row) = (mouse.column, mouse.row);
        let inside = |area: Rect| layout::contains(area, column, row);
        let wheel = match mouse.kind {
            MouseEventKind::ScrollUp => Some(-WHEEL_ROWS),
            MouseEventKind::ScrollDown => Some(WHEEL_ROWS),
            _ => None,
        };
        let click = mouse.kind == MouseEventKind::Down(MouseButton::Left);
        if inside(areas.reading) {
            if let Some(delta) = wheel {
                if screen.notes.is_some() {
                    screen.scroll_notes(delta, areas.reading, &theme);
                } else {
                    screen.scroll_reading(delta, areas.reading, &theme);
                }
            } else if click {
                screen.focus = Focus::Reading;
                if screen.reading == Reading::Narrative && screen.notes.is_none() {
                    let line = (row - areas.reading.y) as usize + screen.scroll;
                    let line = line.checked_sub(1)?;
                    let page = screen.page_text(areas.reading, &theme);
                    let (_, _, index) = page
                        .checkpoint_rows
                        .iter()
                        .copied()
                        .find(|(from, to, _)| (*from..*to).contains(&line))?;
                    let draft = AnswerDraft::new(
                        index,
                        &screen.lesson.checkpoints[index],
                        &screen.checkpoints[index],
                    );
                    screen.dialog = Some(Dialog::Answer(draft));
                }
            }
        } else if inside(areas.run.processes) || inside(areas.run.timeline) {
            if let Some(delta) = wheel {
                screen.move_worker(delta.signum());
            } else if click {
                screen.focus = Focus::Processes;
                if let Some(run) = screen.run.as_ref().filter(|run| {
                    screen.projector
                        && inside(areas.run.processes)
                        && big_pids::fits(areas.run.processes, &run.record)
                }) {
                    let slot = big_pids::slot_at(areas.run.processes, &run.record, row);
                    screen.selected_worker = slot.unwrap_or(screen.selected_worker);
                    return None;
                }
                let (workers, _) = screen.run_shape();
                // The processes panel has a title and a header row; the timeline a title and an axis.
                let (area, header, footer) = if inside(areas.run.processes) {
                    (areas.run.processes, 2, 0)
                } else {
                    (areas.run.timeline, 1, 1)
                };
                let rows = processes::worker_rows(area, header + footer);
                let first = processes::first_visible(screen.selected_worker, rows);
                let offset = (row - area.y).checked_sub(header)? as usize;
                let slot = first + offset;
                if slot < workers {
                    screen.selected_worker = slot;
                }
            }
        } else if inside(areas.run.output) {
            let rows = areas.run.output.height.saturating_sub(1) as usize;
            if let Some(delta) = wheel {
                screen.scroll_output(delta, rows);
            } else if click {
                screen.focus = Focus::Output;
            }
        }
        None
    }

    /// Keeps scroll positions inside their text after a resize.
    fn clamp_scrolls(&mut self) {
        let theme = self.theme;
        let body = self.screen_areas().body;
        if let Screen::Lesson(screen) = &mut self.screen {
            let areas = screen.areas(body);
            screen.scroll_reading(0, areas.reading, &theme);
        }
    }
}

/// What `n` compares between runs: the print order if a checkpoint asks about it, else the
/// completion order.
fn series_observation(lesson: &Lesson) -> Observation {
    let asks_print_order = lesson
        .checkpoints
        .iter()
        .any(|c| c.observe == Some(Observation::PrintOrder));
    if asks_print_order {
        Observation::PrintOrder
    } else {
        Observation::CompletionOrder
    }
}

fn kill_selected(screen: &mut LessonScreen) -> Option<Command> {
    let slot = screen.selected_worker;
    let live = screen
        .run
        .as_ref()
        .filter(|run| run.is_live() && !run.record.is_finished());
    let worker = live.and_then(|run| run.record.workers.get(slot).filter(|w| w.pid != 0));
    match worker {
        Some(worker) if worker.status == WorkerStatus::Alive => {
            screen.notice = Some(format!(
                "Sent SIGKILL to worker {slot} (PID {}).",
                worker.pid
            ));
            Some(Command::Control(Control::Kill(slot)))
        }
        Some(worker) => {
            screen.notice = Some(format!(
                "Worker {slot} (PID {}) has already ended.",
                worker.pid
            ));
            None
        }
        None => {
            screen.notice = Some(
                "No live worker is selected: run the lesson, then select one with Tab and ↑↓."
                    .into(),
            );
            None
        }
    }
}
