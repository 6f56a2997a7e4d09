//! Everything that can happen to the UI, as one type: the single channel into the UI loop
//! carries these, and [`crate::tui::app::App::update`] is the only place that reacts to them.

use std::time::Instant;

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::engine::{Control, RunPlan};
use crate::event::Event;
use crate::lesson::{Lesson, Problem};
use crate::progress::Place;
use crate::trace::TraceSpec;
use crate::tui::app::exercise::{ExerciseFile, JudgeReport};

/// Which run an engine message belongs to; a new run gets the next number, so events still on
/// their way from a stopped run are recognised and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub u64);

/// An input to the model.
#[derive(Debug, Clone)]
pub enum Message {
    /// A key was pressed.
    Key(KeyEvent),
    /// The mouse was clicked, scrolled or moved.
    Mouse(MouseEvent),
    /// The terminal is now this many columns and rows.
    Resize(u16, u16),
    /// The engine reported an event of run `run`; `at` is when it reached the UI.
    Engine {
        /// The run it belongs to (older runs' events are dropped).
        run: RunId,
        /// What happened.
        event: Event,
        /// When the UI received it (to move the "now" line between events).
        at: Instant,
    },
    /// Run `run` sent its last event: every worker is reaped.
    RunEnded(RunId),
    /// Time passed while a run is live (sent only then, to move the "now" line).
    Tick(Instant),
    /// A note for the learner from outside the model (where a saved run went).
    Notice(String),
    /// proclab was asked to end (SIGTERM, SIGHUP, SIGINT from outside the terminal).
    Terminate,
    /// `--watch`: the watched lesson's files changed and were loaded again: the lesson, or
    /// every problem found (as `proclab check` reports them).
    LessonReloaded(Result<Box<Lesson>, Vec<Problem>>),
    /// The lesson screen (maybe in another proclab) now shows this lesson and page; the notes
    /// window follows it.
    Shown(Place),
    /// The exercise's file was saved (or read for the first time): its text, or why it could
    /// not be read.
    ExerciseSaved(Result<String, String>),
    /// A report of the check numbered `session` of an exercise's file (reports of a check that
    /// was replaced are dropped).
    Judging {
        /// The check it belongs to.
        session: RunId,
        /// What happened.
        report: JudgeReport,
    },
}

/// What the model asks the outside world to do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Stop the current run if any (reaping its workers), then start `plan` as run `run`.
    Start {
        /// Its number, for its events.
        run: RunId,
        /// What to run.
        plan: Box<RunPlan>,
    },
    /// Stop the current run if any, then trace `spec` as run `run`; with `program`, write it to
    /// a private temporary folder first and add its path to the command.
    Trace {
        /// Its number, for its events.
        run: RunId,
        /// What to trace.
        spec: Box<TraceSpec>,
        /// A program to write out and run (a lesson's `program.py`).
        program: Option<ProgramFile>,
    },
    /// Pass this to the current run.
    Control(Control),
    /// Save the run on screen as a recording, and say where it went ([`Message::Notice`]).
    SaveRun,
    /// Stop the current run (or check) and wait until its workers are reaped.
    Stop,
    /// Follow an exercise's file: write its starting program there first unless the file
    /// exists (never over the learner's), then send its text now and after every save
    /// ([`Message::ExerciseSaved`]). `None` stops following, and stops any check.
    WatchExercise(Option<Box<ExerciseFile>>),
    /// Stop any run or check, then check the learner's file as check `session`, reporting in
    /// [`Message::Judging`].
    Judge {
        /// Its number, for its reports.
        session: RunId,
        /// What to check.
        target: Box<ExerciseFile>,
    },
    /// Stop the current run, reap its workers, and leave the UI.
    Quit,
}

/// A lesson's program, to be written to a file so a traced interpreter can run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramFile {
    /// Its file name, e.g. `program.py`.
    pub name: String,
    /// The program itself.
    pub text: String,
}
