//! `proclab new <id>`: a new lesson folder that already works (`lesson.toml` with every field
//! commented, a two-page narrative with a checkpoint, a runnable `program.py`), to edit from.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::files;
use crate::lesson::validate::is_valid_id;

pub(crate) mod exercise;

/// Why a lesson could not be scaffolded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScaffoldError {
    /// The id breaks the rules for lesson ids.
    #[error(
        "{id:?} is not a valid lesson id: use lowercase letters, digits and single '-' between words, 1-40 characters (for example \"three-sleepers\")"
    )]
    InvalidId {
        /// The id given.
        id: String,
    },
    /// The lesson folder is already there; nothing was written.
    #[error(
        "{} already exists: proclab new never overwrites a folder; choose another id or --dir, or remove it first",
        folder.display()
    )]
    Exists {
        /// The lesson folder that is in the way.
        folder: PathBuf,
    },
    /// `--exercise` names a lesson that is not a folder of `--lessons`.
    #[error(
        "{} holds no lesson folder {lesson:?}: make it with `proclab new {lesson} --dir {}` first",
        root.display(),
        root.display()
    )]
    NoLesson {
        /// The lesson named.
        lesson: String,
        /// The `--lessons` folder.
        root: PathBuf,
    },
    /// A folder or file could not be created.
    #[error("could not create {}: {source}", path.display())]
    Io {
        /// What could not be created.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// What [`scaffold`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scaffolded {
    /// The new lesson folder, `DIR/<id>`.
    pub folder: PathBuf,
    /// The files written in it, in order.
    pub files: Vec<PathBuf>,
}

/// The file names and contents of a new lesson with this id (already validated).
pub(crate) fn lesson_files(id: &str) -> [(&'static str, String); 3] {
    let fill = |template: &str| {
        template
            .replace("@ID@", id)
            .replace("@TITLE@", &title_of(id))
    };
    [
        ("lesson.toml", fill(LESSON_TOML)),
        ("narrative.md", fill(NARRATIVE_MD)),
        ("program.py", fill(PROGRAM_PY)),
    ]
}

/// Creates `dir/<id>/` with a working lesson in it. `dir` is created if missing; the lesson
/// folder must not exist.
pub(crate) fn scaffold(id: &str, dir: &Path) -> Result<Scaffolded, ScaffoldError> {
    if !is_valid_id(id) {
        return Err(ScaffoldError::InvalidId { id: id.to_string() });
    }
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let folder = dir.join(id);
    // create_dir fails on anything already there, a symbolic link included.
    fs::create_dir(&folder).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => ScaffoldError::Exists {
            folder: folder.clone(),
        },
        _ => io_error(&folder)(source),
    })?;
    let mut written = Vec::new();
    for (name, text) in lesson_files(id) {
        let path = folder.join(name);
        files::write_atomically(&path, text.as_bytes()).map_err(io_error(&path))?;
        written.push(path);
    }
    Ok(Scaffolded {
        folder,
        files: written,
    })
}

/// "three-sleepers" → "Three sleepers".
pub(crate) fn title_of(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

const LESSON_TOML: &str = r#"# A proclab lesson, made by `proclab new`. Edit it, then:
#   proclab check <this folder>                 every problem as file:line:col
#   proclab --lessons <its parent> run @ID@     the live run, as a report
# A line starting with # is a comment; commented-out fields show their default or an example.

# The file format: always 1 for now.
format_version = 1
# Unique id: lowercase letters, digits and single '-' between words, 1-40 characters.
# A lesson with the id of a built-in one replaces it.
id = "@ID@"
# Shown in the lesson list and as the heading.
title = "@TITLE@"
# One line for the lesson list.
summary = "Three sleeping jobs on a pool of two workers: who waits, and how long does it take?"
# The narrative (Markdown) and the Python program: file names inside this folder.
narrative = "narrative.md"
program = "program.py"
# A run that lasts longer than this (seconds, after --speed) is stopped and its workers
# killed: more than 0, at most 3600. Default 120.
time_limit_s = 60
# Notes for an instructor, not shown to learners by default.
instructor_notes = "Ask the room which job finishes last before running it; then point at the two lanes."

# What the live run does: 1 to 8 [[stage]] tables, run one after the other.
[[stage]]
# Shown above the stage in the report and the timeline. {workers} is filled in with the
# count the run uses (after --workers and knobs); also {chunksize} (pools), {join_delay_s}
# (processes).
name = "a pool of {workers}"
# "processes": one process per task (or `workers` copies of `each`), started, then joined;
# "pool": `workers` long-lived processes taking chunks of tasks, as multiprocessing.Pool does;
# "threads": one thread per task inside a single process;
# "serial": every task one after another in a single process.
kind = "pool"
# Pool size, number of threads, or copies of `each`: 1 to 256, or "cores", "cores+N", "cores*N"
# (which must give 1 to 256 workers on every machine with 1 to 128 cores).
workers = 2
# Pools: tasks per message. Default: Python's ceil(tasks / (4 * workers)).
# chunksize = 1
# Pools: "map" (results in input order) or "unordered" (as they finish, like imap_unordered).
result_order = "map"
# Processes: "all" (the parent joins every child before its own last line) or "skip".
# join = "all"
# Processes: seconds the parent waits before it joins (a finished child is a zombie meanwhile).
# join_delay_s = 0
# A line the parent prints after the stage ({workers}, {counter} and {expected} are filled in).
# A processes stage whose `join` a knob changes gives one line per join mode instead:
#   parent_says = { all = "parent: both joined", skip = "parent: done, without joining" }
# parent_says = "parent: all jobs done"
# How workers' prints reach proclab: "line" (as on a terminal) or "block" (as into a pipe).
# buffering = "line"
# The counter `count` tasks add to: "own", "shared" (threads), "shared-memory" or
# "shared-memory-locked" (processes and pools).
# counter = "own"
# Processes and pools: "none", "one-core" (all workers on one core) or "spread".
# pin = "none"
# Processes with `each`: a speedup sweep from 1 to `workers` processes sharing `each`'s work,
# each point after `serial_secs` of work done alone (Amdahl's serial part).
# sweep = false
# serial_secs = 0
# Instead of [[stage.tasks]]: one task every process runs (processes only)...
# each = { fn = "spin", secs = 1 }
# ...or numbered tasks: `fn` ("square" or "cube") applied to every integer from `from` to `to`.
# items = { fn = "square", from = 1, to = 10, after = "{n} squared is {result}" }

# The work items, in input order. Work comes only from proclab's fixed vocabulary:
#   sleep, spin (secs)         wait, or use the CPU, for `secs` seconds (at most 600)
#   square, cube (n)           compute n*n or n*n*n; the result is returned to the parent
#   print (text; times, secs)  print `text` `times` times, `secs` apart ({i} is the line number)
#   count (times)              add 1 to the stage's counter `times` times
#   exit (code), signal (signal: "SIGKILL", "SIGTERM", "SIGSEGV", "SIGABRT", "SIGINT"), panic
#   flood (bytes, line_bytes), orphan (secs), start_children (method: "fork"/"spawn", times)
[[stage.tasks]]
# Display name (default: the task's index).
label = "A"
fn = "sleep"
secs = 3
# Lines printed when the task starts and ends: {label}, {secs}, {n} and {pid} are filled in;
# `after` may also use {result}.
before = "{label} waits {secs} s in process {pid}"
after = "{label} done"

[[stage.tasks]]
label = "B"
fn = "sleep"
secs = 1
before = "{label} waits {secs} s in process {pid}"
after = "{label} done"

[[stage.tasks]]
label = "C"
fn = "sleep"
secs = 1
before = "{label} waits {secs} s in process {pid}"
after = "{label} done"

# Predict-then-run questions. The narrative asks each at a line `::: checkpoint <id>`.
[[checkpoint]]
# Unique within the lesson.
id = "last-job"
# Asked before the run.
question = "Two workers take the jobs A (3 s), B (1 s) and C (1 s), in that order. Which job finishes last?"
# "choice" (pick one of `choices`), "order" (task labels, e.g. "B C A") or "number".
answer_kind = "choice"
choices = ["A", "B", "C"]
# The expected answer when the machine does not decide it: a choice, an order, or a number.
answer = "A"
# What the run measures, to compare with the prediction: completion_order, last_finished,
# total_seconds, distinct_pids, print_order, slowdown_factor, migrations, lost_updates,
# best_speedup, exit_codes.
observe = "last_finished"
# Shown after the run: why the answer is what it is.
explanation = "One worker sleeps 3 s on A. The other runs B, then C: free again after 2 s. A ends last, at 3 s."
# Revealed one at a time before the answer.
hints = ["Both workers start at once. Which one is free first, and what does it take next?"]

[[checkpoint]]
id = "total-time"
question = "How many seconds does the whole map take?"
answer_kind = "number"
answer = "3"
# number answers: how far from `answer` still counts as right.
tolerance = 0.5
observe = "total_seconds"
explanation = "The map ends with its last job: A, at 3 s. One after another the jobs would take 3 + 1 + 1 = 5 s."
hints = ["Add up the jobs per worker, not all the jobs."]

# Values a learner may change without editing files: `--set name=value`, or `s` in the UI.
# name: workers, chunksize (pools), join and join_delay_s (processes), secs (scales every
# duration; 1 = as written) or task.<label>.secs (a sleep or spin task's seconds).
# Text anywhere in this file may not hold terminal control codes (such as \u001b).
[[knob]]
name = "workers"
# The stage it changes, from 0.
stage = 0
min = 1
max = 3
# Step for the + and - keys (default 1).
step = 1
help = "pool size: 1 takes 5 s, 2 or 3 take 3 s"

[[knob]]
name = "task.A.secs"
stage = 0
min = 0.5
max = 10
step = 0.5
help = "how long job A sleeps"
"#;

const NARRATIVE_MD: &str = r#"# @TITLE@

Three jobs that do nothing but wait:

| job | sleeps |
| --- | --- |
| A | 3 s |
| B | 1 s |
| C | 1 s |

The program makes a **pool of two worker processes** and calls `pool.map(wait, JOBS)`. A free
worker takes the next job from the list, so the two workers share the three jobs.

Before you run it, predict.

::: checkpoint last-job

---

# What the run showed

The timeline has one lane per worker, labelled with its PID. One worker spent the whole run on
A; the other ran B and then C, one after the other.

- Sleeping uses no CPU, so both workers overlap even on a single core.
- The pool is done when its **last** job is done: the longest lane decides the time.
- `map` still returns the results in input order: A, B, C.

Try the knobs: `--set workers=1` runs the jobs one after another, and `--set task.A.secs=1`
makes the lanes even.

::: checkpoint total-time
"#;

const PROGRAM_PY: &str = r#""""@TITLE@: three jobs that sleep, on a pool of two worker processes.

Run it with:  python3 program.py
"""
import os
import time
from multiprocessing import Pool

# Each job is (label, seconds to sleep).
JOBS = [("A", 3), ("B", 1), ("C", 1)]


def wait(job):
    """Runs inside a worker process: announce the job, sleep, announce the end."""
    label, secs = job
    print(f"{label} waits {secs} s in process {os.getpid()}", flush=True)
    time.sleep(secs)
    print(f"{label} done", flush=True)
    return label


if __name__ == "__main__":
    start = time.monotonic()
    with Pool(processes=2) as pool:
        results = pool.map(wait, JOBS)
    elapsed = time.monotonic() - start
    # map returns the results in the order of JOBS, not in the order they finished.
    print("results (input order):", results)
    print(f"the map took {elapsed:.1f} s; one after another: {sum(s for _, s in JOBS)} s")
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_id() {
        assert_eq!(title_of("three-sleepers"), "Three sleepers");
        assert_eq!(title_of("a1"), "A1");
    }

    #[test]
    fn refuses_bad_ids_and_existing_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            scaffold("Bad_Id", dir.path()),
            Err(ScaffoldError::InvalidId { .. })
        ));
        let made = scaffold("my-lesson", dir.path()).unwrap();
        assert_eq!(made.files.len(), 3);
        let again = scaffold("my-lesson", dir.path()).unwrap_err();
        assert!(again.to_string().contains("already exists"), "{again}");
    }
}
