//! The UI loop and the threads that feed it: one channel of [`Message`]s from an input thread,
//! a signal thread and one forwarder thread per run; the loop blocks on it, updates the model,
//! carries out the model's [`Command`]s and redraws. Ticks are made only while a run is live, so
//! an idle screen uses no CPU.

use std::io::stdout;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, KeyEventKind, MouseEventKind,
};
use ratatui::crossterm::execute;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::app::App;
use super::message::{Command, Message, ProgramFile, RunId};
use super::view;
use crate::engine::{self, RunHandle};
use crate::event::Event;
use crate::progress::ProgressStore;
use crate::trace;

/// How often the "now" line moves while a run is live.
pub const TICK: Duration = Duration::from_millis(100);
/// Longest time spent taking in messages before a redraw: a burst of engine events is drawn
/// once per frame, however many there are.
const FRAME: Duration = Duration::from_millis(16);

/// The terminal in raw mode on the alternate screen with mouse capture; restored when dropped,
/// and by the panic hook if the UI panics.
pub struct TerminalSession {
    /// The terminal.
    pub terminal: DefaultTerminal,
}

impl TerminalSession {
    /// Sets the terminal up (and the panic hook that puts it back).
    pub fn enter() -> Result<TerminalSession> {
        let terminal = ratatui::try_init().context("Failed to set up the terminal")?;
        let ratatui_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(stdout(), DisableMouseCapture);
            ratatui_hook(info);
        }));
        let session = TerminalSession { terminal };
        execute!(stdout(), EnableMouseCapture).context("Failed to turn on the mouse")?;
        Ok(session)
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The panic hook has restored the terminal already and printed the message below
            // the UI; restoring again would move the cursor back above the message. Only the
            // cursor is left to show.
            let _ = execute!(stdout(), ratatui::crossterm::cursor::Show);
            return;
        }
        let _ = execute!(stdout(), DisableMouseCapture);
        if ratatui::try_restore().is_err() {
            // The terminal is gone (hung up): there is nothing to restore, and a message printed
            // on it would fail and panic, and a panic here aborts proclab before it reaps its
            // children. What is printed from now on goes nowhere.
            if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
                let _ = nix::unistd::dup2_stdout(&null);
                let _ = nix::unistd::dup2_stderr(&null);
            }
        }
    }
}

/// The run in progress, as the loop holds it.
#[derive(Default)]
struct Runs {
    current: Option<(RunId, RunHandle)>,
    /// The private folder holding the program a trace runs; removed after the trace stops.
    program_folder: Option<tempfile::TempDir>,
    /// The interpreter `python3` really is, found once (see [`real_python`]).
    python: Option<PathBuf>,
}

impl Runs {
    /// Stops the current run, if any, and waits until its workers are reaped.
    fn stop(&mut self) {
        if let Some((_, handle)) = self.current.take() {
            handle.stop();
        }
        self.program_folder = None;
    }

    /// Lets go of run `run` once it has ended by itself (its engine thread is finishing).
    fn ended(&mut self, run: RunId) {
        if self.current.as_ref().is_some_and(|(id, _)| *id == run) {
            self.stop();
        }
    }

    /// Forwards the events of `handle`, the run numbered `run`, and keeps it as the current run.
    fn follow(&mut self, run: RunId, mut handle: RunHandle, messages: &SyncSender<Message>) {
        let events = std::mem::replace(&mut handle.events, mpsc::channel().1);
        forward_events(run, events, messages.clone());
        self.current = Some((run, handle));
    }

    fn execute(&mut self, command: Command, messages: &SyncSender<Message>) {
        match command {
            Command::Start { run, plan } => {
                self.stop();
                self.follow(run, engine::start(*plan), messages);
            }
            Command::Trace { run, spec, program } => {
                self.stop();
                let mut spec = *spec;
                if let Some(program) = program {
                    let python = self.python.get_or_insert_with(real_python);
                    spec.command[0] = python.clone().into_os_string();
                    match write_program(&program) {
                        Ok((folder, path)) => {
                            spec.command.push(path.into_os_string());
                            self.program_folder = Some(folder);
                        }
                        Err(error) => {
                            let text = format!("Cannot write {} to run it: {error}", program.name);
                            let _ = messages.send(Message::Engine {
                                run,
                                event: Event::Notice { t_ms: 0.0, text },
                                at: Instant::now(),
                            });
                            let _ = messages.send(Message::RunEnded(run));
                            return;
                        }
                    }
                }
                self.follow(run, trace::start(spec), messages);
            }
            Command::Control(control) => {
                if let Some((_, handle)) = &self.current {
                    handle.send(control);
                }
            }
            Command::Stop | Command::Quit => self.stop(),
        }
    }
}

/// The interpreter behind `python3`: a version manager's shim (pyenv's is a shell script that
/// starts a dozen helpers) would crowd a lesson's trace, so a lesson's program runs on the
/// interpreter itself. Falls back to `python3` if it cannot tell.
fn real_python() -> PathBuf {
    std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| PathBuf::from(text.trim()))
        .filter(|path| path.is_absolute() && path.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Writes a lesson's program into a private temporary folder; returns the folder and the path.
fn write_program(program: &ProgramFile) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    let folder = trace::private_folder("program")?;
    let path = folder.path().join(&program.name);
    crate::files::write_atomically(&path, program.text.as_bytes())?;
    Ok((folder, path))
}

/// Sends run `run`'s events into the UI channel, then [`Message::RunEnded`]; ends early if the
/// UI is gone.
fn forward_events(run: RunId, events: Receiver<Event>, messages: SyncSender<Message>) {
    std::thread::spawn(move || {
        for event in events {
            if messages
                .send(Message::Engine {
                    run,
                    event,
                    at: Instant::now(),
                })
                .is_err()
            {
                return;
            }
        }
        let _ = messages.send(Message::RunEnded(run));
    });
}

/// Reads the terminal's keys, mouse and resizes into the UI channel until the UI is gone.
pub fn read_input(messages: SyncSender<Message>) {
    std::thread::spawn(move || {
        loop {
            let message = match event::read() {
                Ok(event::Event::Key(key)) if key.kind != KeyEventKind::Release => {
                    Message::Key(key)
                }
                Ok(event::Event::Mouse(mouse))
                    if !matches!(mouse.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) =>
                {
                    Message::Mouse(mouse)
                }
                Ok(event::Event::Resize(width, height)) => Message::Resize(width, height),
                Ok(_) => continue,
                Err(_) => Message::Terminate,
            };
            let last = matches!(message, Message::Terminate);
            if messages.send(message).is_err() || last {
                return;
            }
        }
    });
}

/// Turns SIGTERM, SIGHUP and SIGINT into [`Message::Terminate`], so proclab stops its workers
/// and restores the terminal before it ends.
pub fn watch_signals(messages: SyncSender<Message>) -> Result<signal_hook::iterator::Handle> {
    let mut signals =
        Signals::new([SIGTERM, SIGHUP, SIGINT]).context("Failed to install signal handlers")?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if messages.send(Message::Terminate).is_err() {
                return;
            }
        }
    });
    Ok(handle)
}

/// Waits for the next message: blocking while idle, or until the next tick while a run is live.
fn next_message(app: &App, messages: &Receiver<Message>) -> Option<Message> {
    if let Some(wait) = app.tick_wait(TICK) {
        match messages.recv_timeout(wait) {
            Ok(message) => Some(message),
            Err(RecvTimeoutError::Timeout) => Some(Message::Tick(Instant::now())),
            Err(RecvTimeoutError::Disconnected) => None,
        }
    } else {
        messages.recv().ok()
    }
}

/// Messages that may wait for the UI loop.
const UI_QUEUE: usize = 4096;

/// Set to `1` to make F12 panic inside the UI: a hidden hook for the tests that prove the
/// terminal is restored and every worker reaped when the UI panics.
pub const DEBUG_PANIC_ENV: &str = "PROCLAB_DEBUG_PANIC_ON_F12";

fn panic_if_asked(message: &Message) {
    if let Message::Key(key) = message
        && key.code == event::KeyCode::F(12)
        && std::env::var(DEBUG_PANIC_ENV).is_ok_and(|v| v == "1")
    {
        panic!("F12 pressed with {DEBUG_PANIC_ENV}=1: a deliberate panic to test recovery");
    }
}

/// The UI's one channel. Bounded, so a run that produces events faster than they can be drawn
/// waits for the UI.
pub fn channel() -> (SyncSender<Message>, Receiver<Message>) {
    mpsc::sync_channel(UI_QUEUE)
}

/// Runs the UI until the learner leaves, saving progress in `store` as it changes and taking
/// messages from `messages` (other producers may hold senders of it too); every run is stopped
/// and reaped before this returns.
pub fn run_loop(
    terminal: &mut DefaultTerminal,
    mut app: App,
    store: &mut ProgressStore,
    sender: SyncSender<Message>,
    messages: Receiver<Message>,
) -> Result<()> {
    read_input(sender.clone());
    let signals = watch_signals(sender.clone())?;
    let mut runs = Runs::default();
    if let Some(command) = app.startup.take() {
        runs.execute(command, &sender);
    }
    let result = (|| -> Result<()> {
        terminal
            .draw(|frame| view::draw(frame, &app))
            .context("Failed to draw")?;
        while let Some(first) = next_message(&app, &messages) {
            let mut message = Some(first);
            let frame_start = Instant::now();
            while let Some(current) = message.take() {
                if let Message::RunEnded(run) = current {
                    runs.ended(run);
                }
                panic_if_asked(&current);
                if let Some(command) = app.update(current) {
                    runs.execute(command, &sender);
                }
                if let Some(notice) = store.save(&app.progress) {
                    app.notice = Some(notice);
                }
                if app.quit || frame_start.elapsed() >= FRAME {
                    break;
                }
                message = messages.try_recv().ok();
            }
            if app.quit {
                break;
            }
            terminal
                .draw(|frame| view::draw(frame, &app))
                .context("Failed to draw")?;
        }
        Ok(())
    })();
    runs.stop();
    signals.close();
    result
}
