//! What the claims tests share: a lesson's live run and its events; the lesson's own words; its
//! `program.py`, copied and edited as a "try this" says, run by one Python.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::of_kind;
use crate::common::python::Python;

/// One live run of a lesson, as the events `proclab run --json` printed.
pub struct Run {
    pub events: Vec<Value>,
}

impl Run {
    /// `proclab run LESSON ARGS --json`, which must succeed.
    pub fn of(lesson: &str, args: &[&str]) -> Run {
        let mut all = vec![lesson];
        all.extend_from_slice(args);
        Run {
            events: crate::common::run_json(&all),
        }
    }

    /// The events of `proclab run LESSON ARGS --json` up to the first for which `enough` holds;
    /// then proclab is stopped (SIGTERM: it ends its workers and exits), for claims about a
    /// lesson's first stages that need not wait for the rest.
    pub fn until(lesson: &str, args: &[&str], enough: impl Fn(&Value) -> bool) -> Run {
        let mut child = Command::new(crate::common::PROCLAB)
            .args(["run", lesson, "--json"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("proclab runs");
        let mut events = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let event: Value = serde_json::from_str(&line.expect("proclab's output")).unwrap();
            let done = enough(&event);
            events.push(event);
            if done {
                break;
            }
        }
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = child.wait();
        Run { events }
    }

    /// `proclab run LESSON --repeat TIMES ARGS --json`: the first stage, `times` runs.
    pub fn repeated(lesson: &str, times: usize, args: &[&str]) -> Vec<Run> {
        let times = times.to_string();
        let mut all = vec![lesson, "--repeat", &times];
        all.extend_from_slice(args);
        let mut runs: Vec<Run> = Vec::new();
        for event in crate::common::run_json(&all) {
            if event["event"] == "run_started" {
                runs.push(Run { events: Vec::new() });
            }
            runs.last_mut()
                .expect("run_started first")
                .events
                .push(event);
        }
        runs
    }

    /// The cores the run could use, as its header says.
    pub fn cores(&self) -> u64 {
        self.events[0]["cores"]
            .as_u64()
            .expect("run_started has cores")
    }

    /// Events of one kind.
    pub fn kind(&self, kind: &str) -> Vec<&Value> {
        of_kind(&self.events, kind)
    }

    /// The stage each worker slot belongs to.
    pub fn stage_of_worker(&self) -> HashMap<u64, u64> {
        self.kind("spawned")
            .iter()
            .map(|e| (num(e, "worker"), num(e, "stage")))
            .collect()
    }

    /// Events of one kind from the workers of `stage`.
    pub fn in_stage(&self, kind: &str, stage: u64) -> Vec<&Value> {
        let stages = self.stage_of_worker();
        self.kind(kind)
            .into_iter()
            .filter(|e| {
                e["worker"]
                    .as_u64()
                    .is_some_and(|w| stages.get(&w) == Some(&stage))
            })
            .collect()
    }

    /// The lines `stage`'s workers printed to stdout, in the order they arrived.
    pub fn lines(&self, stage: u64) -> Vec<String> {
        self.in_stage("output", stage)
            .iter()
            .filter(|e| e["stream"] == "stdout")
            .map(|e| text(e).to_string())
            .collect()
    }

    /// The parent's own lines, in order.
    pub fn parent_lines(&self) -> Vec<String> {
        self.kind("output")
            .iter()
            .filter(|e| e["worker"].is_null())
            .map(|e| text(e).to_string())
            .collect()
    }

    /// How long `stage` took, in milliseconds.
    pub fn wall_ms(&self, stage: u64) -> f64 {
        self.kind("stage_finished")
            .iter()
            .find(|e| num(e, "stage") == stage)
            .and_then(|e| e["wall_ms"].as_f64())
            .unwrap_or_else(|| panic!("stage {stage} finished"))
    }

    /// Migrations of `stage`'s workers: each change of core between two of its samples.
    pub fn migrations(&self, stage: u64) -> usize {
        let mut last: HashMap<u64, u64> = HashMap::new();
        let mut moves = 0;
        for e in self
            .events
            .iter()
            .filter(|e| e.get("cpu").is_some_and(Value::is_u64))
        {
            let Some(worker) = e["worker"].as_u64() else {
                continue;
            };
            if self.stage_of_worker().get(&worker) != Some(&stage) {
                continue;
            }
            let cpu = num(e, "cpu");
            if last.insert(worker, cpu).is_some_and(|before| before != cpu) {
                moves += 1;
            }
        }
        moves
    }

    /// The last event, `run_finished`.
    pub fn finished(&self) -> &Value {
        let last = self.events.last().expect("events");
        assert_eq!(last["event"], "run_finished");
        last
    }
}

/// A number field of an event.
pub fn num(event: &Value, field: &str) -> u64 {
    event[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {event}"))
}

/// The `text` of an output event.
pub fn text(event: &Value) -> &str {
    event["text"].as_str().expect("output has text")
}

/// The folder of a built-in lesson.
pub fn lesson_dir(lesson: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(lesson)
}

/// Asserts that the lesson says `words` (in `narrative.md` or `lesson.toml`, with line breaks
/// and indentation taken as spaces): the check beside it is about what the learner reads.
pub fn says(lesson: &str, words: &str) {
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let read = |file: &str| std::fs::read_to_string(lesson_dir(lesson).join(file)).unwrap();
    let all = squeeze(&format!(
        "{}\n{}",
        read("narrative.md"),
        read("lesson.toml").replace("\\\n", " ")
    ));
    assert!(
        all.contains(&squeeze(words)),
        "{lesson} no longer says {words:?}: change this test with the text"
    );
}

/// A lesson's `program.py`, copied into a folder of its own so a test can edit it.
pub struct Program {
    dir: tempfile::TempDir,
}

impl Program {
    pub fn of(lesson: &str) -> Program {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::copy(
            lesson_dir(lesson).join("program.py"),
            dir.path().join("program.py"),
        )
        .expect("the lesson has a program.py");
        Program { dir }
    }

    /// Replaces `old`, which must occur exactly once, by `new`: the edit a "try this" asks for.
    pub fn edit(self, old: &str, new: &str) -> Program {
        let path = self.dir.path().join("program.py");
        let source = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            source.matches(old).count(),
            1,
            "program.py holds {old:?} once"
        );
        std::fs::write(&path, source.replace(old, new)).unwrap();
        self
    }

    /// A folder with one file of the lesson's own words, `name` holding `text` (as the
    /// narrative's `noguard.py`), to run with [`Program::script`].
    pub fn written(name: &str, text: &str) -> Program {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join(name), text).unwrap();
        Program { dir }
    }

    /// `python program.py ARGS` in the program's folder, output into pipes, without the
    /// `PYTHONUNBUFFERED` a developer's environment may set, in a process group of its own.
    pub fn command(&self, python: &Python, args: &[&str]) -> Command {
        self.script(python, "program.py", args)
    }

    /// `python FILE ARGS`, as [`Program::command`] runs `program.py`.
    pub fn script(&self, python: &Python, file: &str, args: &[&str]) -> Command {
        let mut command = Command::new(&python.path);
        command
            .arg(file)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("PYTHONUNBUFFERED")
            .stdin(Stdio::null())
            .process_group(0);
        command
    }

    /// Runs it to the end (at most `limit`), and asserts it exited 0.
    pub fn run(&self, python: &Python, args: &[&str], limit: Duration) -> Ran {
        let ran = Ran::of(self.command(python, args), limit);
        ran.assert_ok(&format!("Python {} program.py {args:?}", python.version()));
        ran
    }
}

/// Restricts a command to the first core this test may use, as `taskset -c N` does.
pub fn on_one_core(command: &mut Command) -> &mut Command {
    let first = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
        .ok()
        .and_then(|set| (0..nix::sched::CpuSet::count()).find(|&c| set.is_set(c).unwrap_or(false)))
        .unwrap_or(0);
    // SAFETY: between fork and exec only sched_setaffinity runs, which is async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let mut one = nix::sched::CpuSet::new();
            one.set(first).map_err(std::io::Error::from)?;
            nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &one)
                .map_err(std::io::Error::from)
        })
    }
}

/// What a program did: its exit, and each stdout line with when it arrived.
pub struct Ran {
    pub status: Option<ExitStatus>,
    pub lines: Vec<(Duration, String)>,
    pub stderr: String,
}

impl Ran {
    /// Runs `command` with stdout and stderr piped, stamping each stdout line as it arrives; a
    /// program still running after `limit` is killed with its process group (status `None`).
    pub fn of(mut command: Command, limit: Duration) -> Ran {
        let start = Instant::now();
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let lines = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .map(|line| (start.elapsed(), line))
                .collect::<Vec<_>>()
        });
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let status = wait_within(&mut child, limit);
        Ran {
            status,
            lines: lines.join().unwrap(),
            stderr: errors.join().unwrap(),
        }
    }

    /// Runs `command` on a pty, as in a terminal (stdout and stderr both on it), stamping each
    /// line as it arrives.
    pub fn in_terminal(mut command: Command, limit: Duration) -> Ran {
        let pty = nix::pty::openpty(None, None).expect("a pty");
        let terminal = || -> Stdio {
            std::fs::File::from(pty.slave.as_fd().try_clone_to_owned().unwrap()).into()
        };
        let start = Instant::now();
        let mut child = command
            .stdout(terminal())
            .stderr(terminal())
            .spawn()
            .expect("the program starts");
        // The command holds its copies of the slave until it is dropped.
        drop(command);
        drop(pty.slave);
        let master = std::fs::File::from(pty.master);
        let lines = std::thread::spawn(move || {
            // Reading the master ends with EIO once every holder of the slave is gone.
            BufReader::new(master)
                .lines()
                .map_while(Result::ok)
                .map(|line| (start.elapsed(), line.trim_end_matches('\r').to_string()))
                .collect::<Vec<_>>()
        });
        let status = wait_within(&mut child, limit);
        Ran {
            status,
            lines: lines.join().unwrap(),
            stderr: String::new(),
        }
    }

    pub fn assert_ok(&self, what: &str) {
        assert!(
            self.status.is_some_and(|s| s.success()),
            "{what} ended {:?}:\n{}\n{}",
            self.status,
            self.stdout(),
            self.stderr
        );
    }

    /// All of stdout.
    pub fn stdout(&self) -> String {
        self.lines.iter().map(|(_, l)| format!("{l}\n")).collect()
    }

    /// The first stdout line that contains `needle`.
    pub fn line(&self, needle: &str) -> &str {
        self.lines
            .iter()
            .map(|(_, l)| l.as_str())
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", self.stdout()))
    }
}

/// Waits for `child` at most `limit`; past it, kills its process group and returns `None`.
fn wait_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The numbers in `line`, in order (`1,234` read as 1234, `-9` as -9, `0.25` as 0.25).
pub fn numbers(line: &str) -> Vec<f64> {
    let mut found = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, found: &mut Vec<f64>| {
        let cleaned: String = current.trim_end_matches('.').replace(',', "");
        if let Ok(n) = cleaned.parse() {
            found.push(n);
        }
        current.clear();
    };
    for c in line.chars() {
        let continues = c.is_ascii_digit()
            || (c == '.' || c == ',') && !current.is_empty()
            || c == '-' && current.is_empty();
        if continues {
            current.push(c);
        } else {
            flush(&mut current, &mut found);
        }
    }
    flush(&mut current, &mut found);
    found
}

/// The CPythons a version claim is checked with: the oldest and the newest this machine has
/// (3.9 and 3.13 on the machine the lessons were written on), or the one `python3` if that is
/// all there is.
pub fn oldest_and_newest() -> Vec<Python> {
    let all = crate::common::python::pythons();
    assert!(
        !all.is_empty(),
        "a CPython 3.9 or newer is installed (see .ci/run)"
    );
    let mut ends = vec![all[0].clone()];
    if all.len() > 1 {
        ends.push(all[all.len() - 1].clone());
    }
    ends
}

/// `work` for each item at the same time, one thread each, results in the items' order: the
/// programs a test runs mostly sleep or wait for their children, so they need not queue.
pub fn at_once<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let running: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(|| work(item)))
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("a program run does not panic"))
            .collect()
    })
}
