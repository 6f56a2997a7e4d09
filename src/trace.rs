//! `proclab trace -- COMMAND [ARGS…]`: runs a command the user typed and follows its processes
//! live, producing the same [`Event`]s as a lesson's run, so the TUI, the text report, `--json`
//! and recordings show a trace as they show a run.
//!
//! Any command gets process-level detail from `/proc` (descendants, parents, states, cores,
//! lifetimes, exit statuses). A Python command also gets task-level detail: proclab puts
//! instrumentation on its `PYTHONPATH` (`python/sitecustomize.py`, `python/_proclab_trace.py`)
//! that reports over a Unix socket in a private temporary folder.

mod command;
mod launch;
mod message;
mod output;
mod pty;
mod server;
mod session;
mod tasks;
mod tracer;
mod tree;
mod workspace;

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use command::command_line;
pub use launch::resolve as find_command;
pub use session::leader::{ARG as SESSION_ARG, main as session_main};
pub use workspace::private_folder;

use crate::event::Sink;
use crate::observe::outbox::observed;
use crate::observe::runner::{RunHandle, start_runner};

/// The `lesson` of a trace's `run_started` event.
pub const LESSON: &str = "trace";

/// Where the program's raw output (what it wrote, byte for byte) is echoed as it arrives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Echo {
    /// Nowhere (the TUI shows the output events instead).
    #[default]
    Off,
    /// proclab's stdout (the text report follows it).
    Stdout,
    /// proclab's stderr (stdout carries `--json`).
    Stderr,
}

/// A multiprocessing start method, which a trace can make the program's default (as if it
/// called `multiprocessing.set_start_method` first; the program may still choose its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StartMethod {
    /// `fork`: a copy of the parent.
    Fork,
    /// `spawn`: a fresh interpreter.
    Spawn,
    /// `forkserver`: forked from a clean server process.
    Forkserver,
}

impl StartMethod {
    /// Every method, in the order messages list them.
    pub const ALL: [StartMethod; 3] = [
        StartMethod::Fork,
        StartMethod::Spawn,
        StartMethod::Forkserver,
    ];

    /// Python's name for it.
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Fork => "fork",
            StartMethod::Spawn => "spawn",
            StartMethod::Forkserver => "forkserver",
        }
    }

    /// The method Python calls `word`.
    pub fn parse(word: &str) -> Option<StartMethod> {
        StartMethod::ALL.into_iter().find(|m| m.name() == word)
    }
}

impl fmt::Display for StartMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to trace and how.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSpec {
    /// The command and its arguments, as typed; the first is looked up on `PATH`.
    pub command: Vec<OsString>,
    /// Pipes instead of a pty for the program's output (it then sees no terminal, and Python
    /// block-buffers its prints).
    pub pipe: bool,
    /// Python's `time.sleep` durations are divided by this (timing only, never results).
    pub speed: f64,
    /// Where to echo the raw output.
    pub echo: Echo,
    /// For Python: the start method multiprocessing uses by default (`None`: Python's own).
    pub start_method: Option<StartMethod>,
}

impl TraceSpec {
    /// A pty-mode trace of `command` at speed 1 with no echo.
    pub fn new(command: Vec<OsString>) -> TraceSpec {
        TraceSpec {
            command,
            pipe: false,
            speed: 1.0,
            echo: Echo::Off,
            start_method: None,
        }
    }
}

/// How the traced command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOutcome {
    /// Its exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    /// proclab stopped it (Ctrl-C, `q`, a stop request).
    pub stopped: bool,
}

impl TraceOutcome {
    /// The exit code a shell would report for the command: its own, or 128 + the signal.
    pub fn shell_code(&self) -> u8 {
        match (self.code, self.signal) {
            (Some(code), _) => (code & 0xff) as u8,
            (None, Some(signal)) => (128 + signal).clamp(0, 255) as u8,
            (None, None) => 1,
        }
    }
}

/// Traces `spec`, handing each event to `sink` on this thread (`false` stops the trace).
/// `interrupted` (set by a signal handler) stops it too. Returns once every process of the
/// program has ended and proclab's children are reaped. A command that cannot be started
/// (`command not found: X`) is an error and no event is emitted.
pub fn run(
    spec: &TraceSpec,
    sink: &mut dyn Sink,
    interrupted: Option<Arc<AtomicBool>>,
) -> io::Result<TraceOutcome> {
    observed(sink, &|_| String::new(), |outbox| {
        tracer::Tracer::start(spec, outbox, None, interrupted)?.run()
    })
}

/// Starts a trace in a background thread, controlled like a lesson's run: `Pause`/`Resume`
/// send SIGSTOP/SIGCONT to every traced process, `Kill(slot)` SIGKILLs one, `Stop` ends the
/// whole tree (SIGTERM, then SIGKILL after 0.5 s).
pub fn start(spec: TraceSpec) -> RunHandle {
    start_runner("proclab-trace", move |sink, control, stop| {
        observed(sink, &|_| String::new(), |outbox| {
            tracer::Tracer::start(&spec, outbox, Some(control), Some(stop))?
                .run()
                .map(drop)
        })
    })
}
