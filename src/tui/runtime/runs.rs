//! Carries out the model's [`Command`]s: starts a lesson's run or a trace, passes controls to
//! it, and stops it (reaping every worker); forwards each run's events into the UI channel.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Instant;

use crate::engine::{self, RunHandle};
use crate::event::Event;
use crate::trace;
use crate::tui::app::message::{Command, Message, ProgramFile, RunId};
use crate::tui::runtime::exercise;

/// The run in progress, as the loop holds it.
#[derive(Default)]
pub(super) struct Runs {
    current: Option<(RunId, RunHandle)>,
    /// The check of an exercise's file going on; dropping it stops it.
    judge: Option<crate::exercise::JudgeHandle>,
    /// The exercise's file followed, while its screen is open.
    exercise_watch: Option<crate::watch::FolderWatch>,
    /// While an exercise's screen is open, proclab is in a pids cgroup of its own, as
    /// `proclab exercise check` is, so that a fork bomb's forks fail past the cap.
    exercise_cap: Option<crate::exercise::cap::ProcessCap>,
    /// The interpreter exercises are checked with, once found.
    exercise_python: exercise::Python,
    /// The private folder holding the program a trace runs; removed after the trace stops.
    program_folder: Option<tempfile::TempDir>,
    /// The interpreter `python3` really is, found once (see [`real_python`]).
    python: Option<PathBuf>,
}

impl Runs {
    /// Stops the current run, if any, and waits until its workers are reaped.
    pub(super) fn stop(&mut self) {
        if let Some((_, handle)) = self.current.take() {
            handle.stop();
        }
        // Dropping a check stops it and waits for its processes.
        self.judge = None;
        self.program_folder = None;
    }

    /// Lets go of run `run` once it has ended by itself (its engine thread is finishing).
    pub(super) fn ended(&mut self, run: RunId) {
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

    pub(super) fn execute(&mut self, command: Command, messages: &SyncSender<Message>) {
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
            Command::WatchExercise(target) => {
                self.stop();
                self.exercise_watch = None;
                if target.is_none() {
                    self.exercise_cap = None;
                }
                if let Some(target) = target {
                    if self.exercise_cap.is_none() {
                        self.exercise_cap = crate::exercise::cap::ProcessCap::apply();
                    }
                    match exercise::follow(&target, messages.clone()) {
                        Ok(watch) => self.exercise_watch = Some(watch),
                        Err(error) => {
                            let why = format!("{error:#}");
                            let _ = messages.send(Message::ExerciseSaved(Err(why)));
                        }
                    }
                }
            }
            Command::Judge { session, target } => {
                self.stop();
                let python = &self.exercise_python;
                self.judge = exercise::judge(session, *target, python, messages.clone());
            }
            // The loop saves runs: it has the record.
            Command::SaveRun => {}
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
