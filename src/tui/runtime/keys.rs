//! Every key binding, in one table: the update logic, the key bar and the help overlay all read
//! it, so what the help says is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the keyboard is: each place has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Keys that work on every screen (the help, projector mode, Ctrl-C).
    Global,
    /// The lesson list.
    List,
    /// Typing a filter in the lesson list.
    Filter,
    /// A lesson.
    Lesson,
    /// Answering a checkpoint by picking a choice.
    Answer,
    /// Answering a checkpoint by typing an order or a number.
    Typing,
    /// Typing a lesson or page number (after a digit on the list or a lesson).
    Number,
    /// A yes/no question on the status line.
    Question,
    /// Changing the knobs.
    Knobs,
    /// `proclab trace`: a command traced live.
    Trace,
    /// `proclab replay`: a recording played back.
    Replay,
    /// The exercises tab of the list.
    Exercises,
    /// An exercise's watch screen: the learner's file checked on every save.
    Exercise,
    /// The help overlay, while it is open (any key not bound here closes it).
    Help,
    /// The notes window of `proclab notes`.
    Notes,
}

impl Context {
    /// The heading of this context in the help overlay.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::List => "Lesson list",
            Context::Filter => "Filtering the list",
            Context::Lesson => "Lesson",
            Context::Answer => "Answering a checkpoint (choices)",
            Context::Typing => "Answering a checkpoint (an order or a number)",
            Context::Number => "Typing a number",
            Context::Question => "A yes/no question",
            Context::Knobs => "Knobs (try this)",
            Context::Trace => "Tracing a command",
            Context::Replay => "Replaying a recording",
            Context::Exercises => "Exercise list",
            Context::Exercise => "Exercise (your file is checked on every save)",
            Context::Help => "This help",
            Context::Notes => "Instructor notes (proclab notes)",
        }
    }

    /// The places the help lists when the keyboard is here: this one first, then the others of
    /// the same screen, then the keys that work everywhere.
    pub(crate) fn help_order(self) -> &'static [Context] {
        match self {
            Context::List | Context::Filter | Context::Global => &[
                Context::List,
                Context::Filter,
                Context::Exercises,
                Context::Number,
                Context::Question,
                Context::Help,
                Context::Global,
            ],
            Context::Lesson | Context::Number | Context::Question => &[
                Context::Lesson,
                Context::Answer,
                Context::Typing,
                Context::Knobs,
                Context::Number,
                Context::Question,
                Context::Help,
                Context::Global,
            ],
            Context::Answer | Context::Typing => &[
                Context::Answer,
                Context::Typing,
                Context::Lesson,
                Context::Knobs,
                Context::Help,
                Context::Global,
            ],
            Context::Knobs => &[
                Context::Knobs,
                Context::Lesson,
                Context::Answer,
                Context::Typing,
                Context::Help,
                Context::Global,
            ],
            Context::Trace => &[
                Context::Trace,
                Context::Question,
                Context::Help,
                Context::Global,
            ],
            Context::Replay => &[Context::Replay, Context::Help, Context::Global],
            Context::Exercises => &[
                Context::Exercises,
                Context::List,
                Context::Help,
                Context::Global,
            ],
            Context::Exercise => &[Context::Exercise, Context::Help, Context::Global],
            Context::Help => &[Context::Help, Context::Global],
            Context::Notes => &[Context::Notes],
        }
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Move up (selection, or scroll).
    Up,
    /// Move down.
    Down,
    /// Open the selected lesson, or confirm.
    Confirm,
    /// Start typing a filter.
    Filter,
    /// Close, go back, or leave.
    Back,
    /// Leave proclab from anywhere.
    Quit,
    /// Show or hide the help.
    Help,
    /// The next page of the narrative.
    NextPage,
    /// The previous page.
    PrevPage,
    /// Give the keyboard to the next panel.
    FocusNext,
    /// Show the program instead of the narrative, or back.
    ToggleProgram,
    /// Run the lesson (again).
    Run,
    /// Run it many times and show the outcomes.
    Repeat,
    /// Pause or resume the workers.
    Pause,
    /// Faster runs (or a knob up, in the knobs panel).
    Faster,
    /// Slower runs (or a knob down).
    Slower,
    /// Kill the selected worker.
    Kill,
    /// One more worker.
    MoreWorkers,
    /// One fewer worker.
    FewerWorkers,
    /// Open the knobs panel.
    Knobs,
    /// Answer the checkpoints of this page.
    Answer,
    /// Reveal the next hint.
    Hint,
    /// Switch the list between lessons and exercises.
    SwitchTab,
    /// Open the next exercise.
    NextExercise,
    /// Put a knob back to the lesson's value.
    Reset,
    /// Save the run shown to a recording file.
    Record,
    /// Run the lesson's Python program under trace.
    TracePython,
    /// Run it under trace with pipes for its output instead of a terminal.
    TracePythonPiped,
    /// Replay: show the next event.
    StepForward,
    /// Replay: show one event fewer.
    StepBack,
    /// Replay: move later.
    SeekForward,
    /// Replay: move earlier.
    SeekBack,
    /// Replay: go to the start.
    JumpStart,
    /// Replay: go to the end.
    JumpEnd,
    /// Projector mode on or off.
    Zoom,
    /// Forget the progress of the selected lesson (after a y/n question).
    ResetLesson,
    /// Forget the progress of every lesson (after a y/n question).
    ResetAll,
    /// Go to a lesson or page by number (digits, then Enter; taken before the table is read).
    Jump,
    /// Show or hide the instructor's notes.
    Notes,
    /// A key that would start or change a live run, on a recording: says it cannot.
    LiveOnly,
    /// A character typed into a filter or an answer.
    Type,
    /// Take back the last character typed.
    Erase,
    /// Yes to the question asked.
    Yes,
    /// No to the question asked (any key but `y`).
    No,
    /// Panic on purpose, for the tests that check the terminal is restored (only with
    /// `PROCLAB_DEBUG_PANIC_ON_F12=1`).
    DebugPanic,
}

/// A key, as bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// A printable character (with or without Shift).
    Char(char),
    /// A special key.
    Code(KeyCode),
    /// A letter with Ctrl.
    Ctrl(char),
    /// Any printable character (what a filter or a typed answer takes).
    Printable,
    /// Any letter (what picks a choice).
    Letter,
    /// Any key without Ctrl (the "no" of a y/n question; Ctrl-C keeps its meaning).
    Any,
}

impl Key {
    /// Whether the key event is this key.
    pub(crate) fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Char(c) => !ctrl && !alt && event.code == KeyCode::Char(c),
            Key::Code(code) => !ctrl && !alt && event.code == code,
            Key::Ctrl(c) => ctrl && event.code == KeyCode::Char(c),
            Key::Printable => !ctrl && !alt && matches!(event.code, KeyCode::Char(_)),
            Key::Letter => {
                !ctrl && !alt && matches!(event.code, KeyCode::Char(c) if c.is_alphabetic())
            }
            Key::Any => !ctrl,
        }
    }
}

/// One binding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding {
    /// Where it applies.
    pub(crate) context: Context,
    /// The keys that trigger it.
    pub(crate) keys: &'static [Key],
    /// How the keys are written in the help (empty: a hidden binding the help leaves out).
    pub(crate) shown: &'static str,
    /// What it does.
    pub(crate) action: Action,
    /// What the help says about it.
    pub(crate) help: &'static str,
    /// The short name in the key bar, if it is shown there.
    pub(crate) bar: Option<&'static str>,
    /// The key bar's name while what the key toggles is on (Space: "resume" while paused).
    pub(crate) bar_on: Option<&'static str>,
}

impl Binding {
    /// The same binding, named `label` in the key bar while what it toggles is on.
    const fn when_on(self, label: &'static str) -> Binding {
        Binding {
            bar_on: Some(label),
            ..self
        }
    }

    /// Its name in the key bar, given whether what it toggles is on.
    pub(crate) fn bar_label(&self, on: bool) -> Option<&'static str> {
        match self.bar_on {
            Some(label) if on => Some(label),
            _ => self.bar,
        }
    }
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    shown: &'static str,
    action: Action,
    help: &'static str,
    bar: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        keys,
        shown,
        action,
        help,
        bar,
        bar_on: None,
    }
}

use Context::{
    Answer as InAnswer, Exercise as InExercise, Exercises as InExercises, Filter as InFilter,
    Global, Help as InHelp, Knobs as InKnobs, Lesson as InLesson, List as InList, Notes as InNotes,
    Number as InNumber, Question as InQuestion, Replay as InReplay, Trace as InTrace,
    Typing as InTyping,
};
use Key::{Any, Char, Code, Ctrl, Letter, Printable};

/// The digit keys, which type a lesson or page number.
const DIGITS: &[Key] = &[
    Char('0'),
    Char('1'),
    Char('2'),
    Char('3'),
    Char('4'),
    Char('5'),
    Char('6'),
    Char('7'),
    Char('8'),
    Char('9'),
];

/// Every binding, grouped by context; the first matching one wins.
pub(crate) const BINDINGS: &[Binding] = &[
    bind(
        Global,
        &[Char('?')],
        "?",
        Action::Help,
        "show or hide this help",
        Some("help"),
    ),
    bind(
        Global,
        &[Ctrl('c')],
        "Ctrl-C",
        Action::Quit,
        "leave proclab (running workers are stopped first)",
        None,
    ),
    bind(
        Global,
        &[Char('z')],
        "z",
        Action::Zoom,
        "zoom: projector mode (big text, high contrast) on or off",
        None,
    ),
    bind(
        Global,
        &[Code(KeyCode::F(12))],
        "",
        Action::DebugPanic,
        "",
        None,
    ),
    bind(
        InList,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "previous lesson",
        None,
    ),
    bind(
        InList,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "next lesson",
        None,
    ),
    bind(
        InList,
        &[Code(KeyCode::Enter)],
        "Enter",
        Action::Confirm,
        "open the lesson (or click it)",
        Some("open"),
    ),
    bind(
        InList,
        &[Char('/')],
        "/",
        Action::Filter,
        "filter the list by id, title or summary",
        Some("filter"),
    ),
    bind(
        InList,
        DIGITS,
        "N Enter",
        Action::Jump,
        "open lesson N, as numbered in the list (Esc cancels)",
        None,
    ),
    bind(
        InList,
        &[Char('x')],
        "x",
        Action::ResetLesson,
        "reset the selected lesson's progress (asks y/n)",
        None,
    ),
    bind(
        InList,
        &[Char('X')],
        "X",
        Action::ResetAll,
        "reset the progress of every lesson (asks y/n)",
        None,
    ),
    bind(
        InList,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::SwitchTab,
        "the exercises: programs you write, checked as they run",
        Some("exercises"),
    ),
    bind(
        InList,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "clear the filter, or leave proclab",
        Some("quit"),
    ),
    bind(
        InFilter,
        &[Code(KeyCode::Up)],
        "↑",
        Action::Up,
        "previous match",
        None,
    ),
    bind(
        InFilter,
        &[Code(KeyCode::Down)],
        "↓",
        Action::Down,
        "next match",
        None,
    ),
    bind(
        InFilter,
        &[Code(KeyCode::Enter)],
        "Enter",
        Action::Confirm,
        "open the selected match",
        Some("open"),
    ),
    bind(
        InFilter,
        &[Code(KeyCode::Esc)],
        "Esc",
        Action::Back,
        "clear the filter",
        Some("clear"),
    ),
    bind(
        InFilter,
        &[Code(KeyCode::Backspace)],
        "⌫",
        Action::Erase,
        "take back the last character",
        None,
    ),
    bind(
        InFilter,
        &[Printable],
        "text",
        Action::Type,
        "type to filter by id, title or summary",
        None,
    ),
    bind(
        InLesson,
        &[Code(KeyCode::Right), Code(KeyCode::PageDown)],
        "→ PgDn",
        Action::NextPage,
        "next page",
        Some("page"),
    ),
    bind(
        InLesson,
        &[Code(KeyCode::Left), Code(KeyCode::PageUp)],
        "← PgUp",
        Action::PrevPage,
        "previous page",
        None,
    ),
    bind(
        InLesson,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "scroll up, or select the previous worker",
        None,
    ),
    bind(
        InLesson,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "scroll down, or select the next worker",
        None,
    ),
    bind(
        InLesson,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::FocusNext,
        "move the keyboard to the next panel (text, processes, output)",
        None,
    ),
    bind(
        InLesson,
        DIGITS,
        "N Enter",
        Action::Jump,
        "go to page N (Esc cancels)",
        None,
    ),
    bind(
        InLesson,
        &[Char('v')],
        "v",
        Action::ToggleProgram,
        "show the Python program instead of the text, or back",
        None,
    ),
    bind(
        InLesson,
        &[Char('c')],
        "c",
        Action::Answer,
        "answer this page's checkpoints before the run",
        Some("answer"),
    ),
    bind(
        InLesson,
        &[Char('h')],
        "h",
        Action::Hint,
        "reveal the next hint of this page's checkpoint",
        None,
    ),
    bind(
        InLesson,
        &[Char('r')],
        "r",
        Action::Run,
        "run the lesson with real processes (again)",
        Some("run"),
    ),
    bind(
        InLesson,
        &[Char('n')],
        "n",
        Action::Repeat,
        "run it 20 times and show how the outcome varies",
        None,
    ),
    bind(
        InLesson,
        &[Char(' ')],
        "Space",
        Action::Pause,
        "pause the workers (SIGSTOP) or resume them (SIGCONT); a paused run answers no checkpoint",
        Some("pause"),
    )
    .when_on("resume"),
    bind(
        InLesson,
        &[Char('K')],
        "K",
        Action::Kill,
        "kill the selected worker with SIGKILL (asks y/n, naming its PID)",
        None,
    ),
    bind(
        InLesson,
        &[Char('+'), Char('=')],
        "+",
        Action::Faster,
        "faster: the next run divides durations by more",
        None,
    ),
    bind(
        InLesson,
        &[Char('-')],
        "-",
        Action::Slower,
        "slower: the next run divides durations by less",
        None,
    ),
    bind(
        InLesson,
        &[Char('w')],
        "w",
        Action::MoreWorkers,
        "one worker more for the next run",
        None,
    ),
    bind(
        InLesson,
        &[Char('W')],
        "W",
        Action::FewerWorkers,
        "one worker fewer for the next run",
        None,
    ),
    bind(
        InLesson,
        &[Char('s')],
        "s",
        Action::Knobs,
        "change the lesson's knobs (try this)",
        Some("knobs"),
    ),
    bind(
        InLesson,
        &[Char('p')],
        "p",
        Action::TracePython,
        "run the lesson's Python program for real, traced (python3)",
        Some("python"),
    ),
    bind(
        InLesson,
        &[Char('P')],
        "P",
        Action::TracePythonPiped,
        "the same into pipes: see Python's block buffering",
        None,
    ),
    bind(
        InLesson,
        &[Char('R')],
        "R",
        Action::Record,
        "save the run shown to a file, to replay or export later",
        None,
    ),
    bind(
        InLesson,
        &[Char('i')],
        "i",
        Action::Notes,
        "show or hide the instructor's notes of the lesson and this page",
        None,
    ),
    bind(
        InLesson,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "back to the lesson list (stops a run)",
        Some("back"),
    ),
    bind(
        InAnswer,
        &[Code(KeyCode::Up)],
        "↑",
        Action::Up,
        "previous choice",
        None,
    ),
    bind(
        InAnswer,
        &[Code(KeyCode::Down)],
        "↓",
        Action::Down,
        "next choice",
        None,
    ),
    bind(
        InAnswer,
        &[Code(KeyCode::Enter)],
        "Enter",
        Action::Confirm,
        "keep this answer (a letter picks a choice at once)",
        Some("answer"),
    ),
    bind(
        InAnswer,
        &[Char('h'), Code(KeyCode::Tab)],
        "h Tab",
        Action::Hint,
        "reveal the next hint",
        Some("hint"),
    ),
    bind(
        InAnswer,
        &[Code(KeyCode::Esc)],
        "Esc",
        Action::Back,
        "close without answering",
        Some("close"),
    ),
    bind(
        InAnswer,
        &[Letter],
        "a b c…",
        Action::Type,
        "pick that choice: it is your answer at once",
        None,
    ),
    bind(
        InTyping,
        &[Code(KeyCode::Enter)],
        "Enter",
        Action::Confirm,
        "keep this answer",
        Some("answer"),
    ),
    bind(
        InTyping,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::Hint,
        "reveal the next hint (h would be typed)",
        Some("hint"),
    ),
    bind(
        InTyping,
        &[Code(KeyCode::Esc)],
        "Esc",
        Action::Back,
        "close without answering",
        Some("close"),
    ),
    bind(
        InTyping,
        &[Code(KeyCode::Backspace)],
        "⌫",
        Action::Erase,
        "take back the last character",
        None,
    ),
    bind(
        InTyping,
        &[Printable],
        "text",
        Action::Type,
        "type the order (labels separated by spaces) or the number",
        None,
    ),
    bind(
        InNumber,
        DIGITS,
        "0-9",
        Action::Type,
        "type the lesson or page number",
        None,
    ),
    bind(
        InNumber,
        &[Code(KeyCode::Backspace)],
        "⌫",
        Action::Erase,
        "take back the last digit",
        None,
    ),
    bind(
        InNumber,
        &[Code(KeyCode::Enter)],
        "Enter",
        Action::Confirm,
        "go to that lesson or page",
        Some("go"),
    ),
    bind(
        InNumber,
        &[Code(KeyCode::Esc)],
        "Esc",
        Action::Back,
        "cancel",
        Some("cancel"),
    ),
    bind(
        InNumber,
        &[Any],
        "other",
        Action::No,
        "cancel, then the key does its own job",
        None,
    ),
    bind(
        InQuestion,
        &[Char('y')],
        "y",
        Action::Yes,
        "yes: do it",
        Some("yes"),
    ),
    bind(
        InQuestion,
        &[Any],
        "other",
        Action::No,
        "no: any other key does nothing",
        Some("no"),
    ),
    bind(
        InTrace,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "scroll up, or select the previous process",
        None,
    ),
    bind(
        InTrace,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "scroll down, or select the next process",
        None,
    ),
    bind(
        InTrace,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::FocusNext,
        "move the keyboard to the next panel (text, processes, output)",
        None,
    ),
    bind(
        InTrace,
        &[Char('v')],
        "v",
        Action::ToggleProgram,
        "show the traced Python program instead of the text, or back",
        None,
    ),
    bind(
        InTrace,
        &[Char('r')],
        "r",
        Action::Run,
        "trace the command again",
        Some("again"),
    ),
    bind(
        InTrace,
        &[Char(' ')],
        "Space",
        Action::Pause,
        "pause every traced process (SIGSTOP) or resume them (SIGCONT)",
        Some("pause"),
    )
    .when_on("resume"),
    bind(
        InTrace,
        &[Char('K')],
        "K",
        Action::Kill,
        "kill the selected process with SIGKILL (asks y/n, naming its PID)",
        None,
    ),
    bind(
        InTrace,
        &[Char('R')],
        "R",
        Action::Record,
        "save the run shown to a file, to replay or export later",
        None,
    ),
    bind(
        InTrace,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "leave proclab (the traced processes are stopped first)",
        Some("quit"),
    ),
    bind(
        InExercises,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "previous exercise",
        None,
    ),
    bind(
        InExercises,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "next exercise",
        None,
    ),
    bind(
        InExercises,
        &[Code(KeyCode::Enter)],
        "Enter",
        Action::Confirm,
        "open the exercise: writes its starting program (never over yours) and checks it on every save",
        Some("open"),
    ),
    bind(
        InExercises,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::SwitchTab,
        "back to the lessons",
        Some("lessons"),
    ),
    bind(
        InExercises,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "leave proclab",
        Some("quit"),
    ),
    bind(
        InExercise,
        &[Char('h')],
        "h",
        Action::Hint,
        "show the next hint",
        Some("hint"),
    ),
    bind(
        InExercise,
        &[Char('r')],
        "r",
        Action::Run,
        "check your file again now (a save does it by itself)",
        Some("check"),
    ),
    bind(
        InExercise,
        &[Char('n')],
        "n",
        Action::NextExercise,
        "open the next exercise",
        Some("next"),
    ),
    bind(
        InExercise,
        &[Char('v')],
        "v",
        Action::ToggleProgram,
        "show your program as last saved instead of the exercise, or back",
        Some("program"),
    ),
    bind(
        InExercise,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "scroll up, or select the previous process",
        None,
    ),
    bind(
        InExercise,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "scroll down, or select the next process",
        None,
    ),
    bind(
        InExercise,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::FocusNext,
        "move the keyboard to the next panel (exercise, processes, output)",
        None,
    ),
    bind(
        InExercise,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "back to the exercise list, or leave proclab if you came with proclab exercise (the checking runs are stopped first)",
        Some("quit"),
    ),
    bind(
        InReplay,
        &[Char(' ')],
        "Space",
        Action::Pause,
        "play or pause the recording",
        Some("play"),
    )
    .when_on("pause"),
    bind(
        InReplay,
        &[Char('.')],
        ".",
        Action::StepForward,
        "show the next event (pauses)",
        Some("step"),
    ),
    bind(
        InReplay,
        &[Char(',')],
        ",",
        Action::StepBack,
        "take back the last event shown (pauses)",
        Some("back"),
    ),
    bind(
        InReplay,
        &[Char(']')],
        "]",
        Action::SeekForward,
        "move a twentieth of the run later",
        None,
    ),
    bind(
        InReplay,
        &[Char('[')],
        "[",
        Action::SeekBack,
        "move a twentieth of the run earlier",
        Some("seek"),
    ),
    bind(
        InReplay,
        &[Code(KeyCode::Home), Char('g')],
        "Home g",
        Action::JumpStart,
        "go to the start",
        None,
    ),
    bind(
        InReplay,
        &[Code(KeyCode::End), Char('G')],
        "End G",
        Action::JumpEnd,
        "go to the end",
        None,
    ),
    bind(
        InReplay,
        &[Char('>'), Char('+'), Char('=')],
        "> +",
        Action::Faster,
        "play faster (up to ×16)",
        None,
    ),
    bind(
        InReplay,
        &[Char('<'), Char('-')],
        "< -",
        Action::Slower,
        "play slower (down to ×¼)",
        None,
    ),
    bind(
        InReplay,
        &[Char('r')],
        "r",
        Action::Run,
        "play the recording again from the start",
        None,
    ),
    bind(
        InReplay,
        &[Code(KeyCode::Right), Code(KeyCode::PageDown)],
        "→ PgDn",
        Action::NextPage,
        "next page",
        None,
    ),
    bind(
        InReplay,
        &[Code(KeyCode::Left), Code(KeyCode::PageUp)],
        "← PgUp",
        Action::PrevPage,
        "previous page",
        None,
    ),
    bind(
        InReplay,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "scroll up, or select the previous worker",
        None,
    ),
    bind(
        InReplay,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "scroll down, or select the next worker",
        None,
    ),
    bind(
        InReplay,
        &[Code(KeyCode::Tab)],
        "Tab",
        Action::FocusNext,
        "move the keyboard to the next panel (text, processes, output)",
        None,
    ),
    bind(
        InReplay,
        &[Char('v')],
        "v",
        Action::ToggleProgram,
        "show the Python program instead of the text, or back",
        None,
    ),
    bind(
        InReplay,
        &[Char('i')],
        "i",
        Action::Notes,
        "show or hide the instructor's notes of the lesson and this page",
        None,
    ),
    bind(
        InReplay,
        &[Char('h')],
        "h",
        Action::Hint,
        "reveal the next hint of this page's checkpoint",
        None,
    ),
    bind(
        InReplay,
        &[
            Char('n'),
            Char('c'),
            Char('K'),
            Char('w'),
            Char('W'),
            Char('s'),
            Char('p'),
            Char('P'),
        ],
        "n c K s p…",
        Action::LiveOnly,
        "keys that answer, run or change a live lesson: a recording shows what happened then",
        None,
    ),
    bind(
        InReplay,
        &[Char('R')],
        "R",
        Action::Record,
        "(save the run: it is a recording already)",
        None,
    ),
    bind(
        InReplay,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "close the notes, or leave proclab",
        None,
    ),
    bind(
        InKnobs,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "previous knob",
        None,
    ),
    bind(
        InKnobs,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "next knob",
        None,
    ),
    bind(
        InKnobs,
        &[Char('+'), Char('='), Code(KeyCode::Right)],
        "+ →",
        Action::Faster,
        "raise the selected value",
        Some("raise"),
    ),
    bind(
        InKnobs,
        &[Char('-'), Code(KeyCode::Left)],
        "- ←",
        Action::Slower,
        "lower the selected value",
        Some("lower"),
    ),
    bind(
        InKnobs,
        &[Code(KeyCode::Backspace), Char('0')],
        "0 ⌫",
        Action::Reset,
        "back to the lesson's own value",
        Some("reset"),
    ),
    bind(
        InKnobs,
        &[Char('r')],
        "r",
        Action::Run,
        "close and run with these values",
        Some("run"),
    ),
    bind(
        InKnobs,
        &[
            Code(KeyCode::Esc),
            Code(KeyCode::Enter),
            Char('s'),
            Char('q'),
        ],
        "Esc",
        Action::Back,
        "close the panel",
        Some("close"),
    ),
    bind(
        InHelp,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "scroll the help up (any other key closes it)",
        None,
    ),
    bind(
        InHelp,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "scroll the help down",
        None,
    ),
    bind(
        InHelp,
        &[Code(KeyCode::PageUp)],
        "PgUp",
        Action::PrevPage,
        "scroll the help up a page",
        None,
    ),
    bind(
        InHelp,
        &[Code(KeyCode::PageDown)],
        "PgDn",
        Action::NextPage,
        "scroll the help down a page",
        None,
    ),
    bind(
        InNotes,
        &[Code(KeyCode::Right), Code(KeyCode::PageDown)],
        "→ PgDn",
        Action::NextPage,
        "next page",
        Some("next page"),
    ),
    bind(
        InNotes,
        &[Code(KeyCode::Left), Code(KeyCode::PageUp)],
        "← PgUp",
        Action::PrevPage,
        "previous page",
        Some("previous"),
    ),
    bind(
        InNotes,
        &[Code(KeyCode::Up), Char('k')],
        "↑ k",
        Action::Up,
        "scroll up",
        None,
    ),
    bind(
        InNotes,
        &[Code(KeyCode::Down), Char('j')],
        "↓ j",
        Action::Down,
        "scroll down",
        Some("scroll"),
    ),
    bind(
        InNotes,
        &[Char('q'), Code(KeyCode::Esc)],
        "q Esc",
        Action::Back,
        "close the notes window",
        Some("quit"),
    ),
];

/// The action `key` triggers in `context` (its own bindings first, then the global ones).
pub(crate) fn action(context: Context, key: &KeyEvent) -> Option<Action> {
    let find = |wanted: Context| {
        BINDINGS
            .iter()
            .filter(|b| b.context == wanted)
            .find(|b| b.keys.iter().any(|k| k.matches(key)))
            .map(|b| b.action)
    };
    find(context).or_else(|| find(Context::Global))
}

/// Whether the key bar of `context` shows the keys that work everywhere (`?`, `z`): not where
/// keys are typed or a question waits (they would be typed, or answer it), nor in the notes
/// window.
pub(crate) fn takes_global_keys(context: Context) -> bool {
    !matches!(
        context,
        Context::Filter | Context::Typing | Context::Number | Context::Question | Context::Notes
    )
}

/// The bindings shown in the key bar of `context`, in order, then the global ones where they
/// work.
pub(crate) fn bar(context: Context) -> impl Iterator<Item = &'static Binding> {
    let global = takes_global_keys(context);
    BINDINGS
        .iter()
        .filter(move |b| b.context == context && b.bar.is_some())
        .chain(
            BINDINGS
                .iter()
                .filter(move |b| global && b.context == Context::Global && b.bar.is_some()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn context_bindings_come_before_global_ones() {
        assert_eq!(
            action(Context::Lesson, &key(KeyCode::Char('k'))),
            Some(Action::Up)
        );
        assert_eq!(
            action(Context::Lesson, &key(KeyCode::Char('K'))),
            Some(Action::Kill)
        );
        assert_eq!(
            action(Context::Answer, &key(KeyCode::Char('h'))),
            Some(Action::Hint)
        );
        assert_eq!(
            action(Context::Typing, &key(KeyCode::Char('h'))),
            Some(Action::Type)
        );
        assert_eq!(
            action(Context::Question, &key(KeyCode::Char('n'))),
            Some(Action::No)
        );
        assert_eq!(
            action(
                Context::Question,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            action(Context::List, &key(KeyCode::Char('k'))),
            Some(Action::Up)
        );
        assert_eq!(
            action(Context::Lesson, &key(KeyCode::Char('?'))),
            Some(Action::Help)
        );
        assert_eq!(
            action(
                Context::List,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            action(
                Context::Lesson,
                &KeyEvent::new(KeyCode::Char('W'), KeyModifiers::SHIFT)
            ),
            Some(Action::FewerWorkers)
        );
        assert_eq!(action(Context::Lesson, &key(KeyCode::Char('x'))), None);
    }

    #[test]
    fn no_key_means_two_things_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context == b.context {
                    assert!(
                        !a.keys.iter().any(|k| b.keys.contains(k)),
                        "{} and {} share a key",
                        a.shown,
                        b.shown
                    );
                }
            }
        }
    }
}
