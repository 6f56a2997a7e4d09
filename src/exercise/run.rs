//! One traced run of a learner's program: a fresh copy of the file in a private folder, run by
//! the chosen interpreter under `proclab trace`'s machinery (its own session, every process
//! followed, everything ended and reaped when the run ends), stopped at the time limit.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::check::StartMethod;
use super::facts::{FactsBuilder, RunEnd, RunFacts};
use crate::event::Event;
use crate::trace::{self, TraceSpec};

/// Largest program file judged, in bytes.
pub const MAX_PROGRAM_BYTES: u64 = 1024 * 1024;

/// The Python interpreter that runs the programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// Its executable (what `sys.executable` says: a version manager's shim is looked through,
    /// so its own helper processes are not counted as the program's).
    pub path: PathBuf,
    /// `3.11.7`.
    pub version: String,
}

impl Interpreter {
    /// The interpreter `python` names (a path or a name on `PATH`; default `python3`), asked
    /// for its real executable and version.
    pub fn find(python: Option<&Path>) -> Result<Interpreter, String> {
        let name = python.unwrap_or(Path::new("python3"));
        let program = trace::find_command(name.as_os_str()).map_err(|_| {
            format!(
                "{} was not found: install Python 3 (3.9 or newer), or name one with --python PATH",
                name.display()
            )
        })?;
        let output = Command::new(&program)
            .args([
                "-I",
                "-c",
                "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])",
            ])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("{} cannot be run: {e}", program.display()))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        match (output.status.success(), lines.next(), lines.next()) {
            (true, Some(executable), Some(version)) if !executable.is_empty() => Ok(Interpreter {
                path: PathBuf::from(executable),
                version: version.to_string(),
            }),
            _ => Err(format!(
                "{} is not a working Python 3 interpreter",
                program.display()
            )),
        }
    }
}

/// The program being judged, read once: every run gets a fresh copy, so a program that
/// deletes or rewrites its own file, or a save in the middle of a verdict, changes nothing.
#[derive(Debug, Clone)]
pub struct Snapshot {
    name: String,
    bytes: Vec<u8>,
}

impl Snapshot {
    /// Reads `file` (a regular file of at most [`MAX_PROGRAM_BYTES`]).
    pub fn read(file: &Path) -> io::Result<Snapshot> {
        let metadata = std::fs::metadata(file)?;
        if !metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is not a regular file",
            ));
        }
        if metadata.len() > MAX_PROGRAM_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "is {} bytes: a program judged may be at most {MAX_PROGRAM_BYTES} bytes",
                    metadata.len()
                ),
            ));
        }
        let bytes = std::fs::read(file)?;
        let name = file.file_name().map_or_else(
            || "program.py".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Snapshot { name, bytes })
    }

    /// A program given as text (a solution, a reference), named `name`.
    pub fn of_text(name: &str, text: &str) -> Snapshot {
        Snapshot {
            name: name.to_string(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    /// Writes a fresh copy into a new private folder; the folder goes when the guard drops
    /// (or, if proclab is killed first, when a later proclab makes a folder of its own).
    fn materialize(&self) -> io::Result<(tempfile::TempDir, PathBuf)> {
        let dir = trace::private_folder("exercise")?;
        let name = if self.name.ends_with(".py") {
            self.name.clone()
        } else {
            format!("{}.py", self.name)
        };
        let path = dir.path().join(name);
        std::fs::write(&path, &self.bytes)?;
        Ok((dir, path))
    }
}

/// How one run is made.
#[derive(Debug, Clone)]
pub struct RunSpec<'a> {
    /// Who runs it.
    pub python: &'a Interpreter,
    /// Under which start method (`None`: Python's default).
    pub method: Option<StartMethod>,
    /// Killed past this.
    pub time_limit: Duration,
    /// Set from outside to stop the run now (a newer save, Ctrl-C).
    pub interrupted: Option<Arc<AtomicBool>>,
}

/// Traces one run of `program`, handing each event to `on_event` as it comes; the facts once
/// every process of it has ended and been reaped.
pub fn run_once(
    program: &Snapshot,
    spec: &RunSpec,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> RunFacts {
    let mut builder = FactsBuilder::new(spec.method);
    let (dir, path) = match program.materialize() {
        Ok(made) => made,
        Err(error) => {
            let mut facts = builder.finish(false);
            facts.end = RunEnd::NotStarted(format!(
                "cannot copy the program to a private folder: {error}"
            ));
            return facts;
        }
    };
    let mut trace_spec = TraceSpec::new(vec![spec.python.path.clone().into(), path.into()]);
    trace_spec.start_method = spec.method;
    let stop = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = {
        let stop = Arc::clone(&stop);
        let timed_out = Arc::clone(&timed_out);
        let outside = spec.interrupted.clone();
        let limit = spec.time_limit;
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + limit;
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    timed_out.store(true, Ordering::Relaxed);
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                match finished.recv_timeout(left.min(Duration::from_millis(50))) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if outside.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
                            stop.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                    _ => return,
                }
            }
        })
    };
    let mut sink = |event: Event| {
        builder.push(&event);
        on_event(&event);
        true
    };
    let outcome = trace::run(&trace_spec, &mut sink, Some(Arc::clone(&stop)));
    drop(done);
    let _ = watchdog.join();
    drop(dir);
    let timed_out = timed_out.load(Ordering::Relaxed);
    let mut facts = builder.finish(timed_out);
    if let Err(error) = outcome {
        facts.end = RunEnd::NotStarted(error.to_string());
    } else if !timed_out && stop.load(Ordering::Relaxed) {
        facts.end = RunEnd::NotStarted("stopped before it ended".into());
    }
    facts
        .notices
        .retain(|n| !n.starts_with("interrupted: proclab stops"));
    facts
}
