//! `proclab new --exercise <lesson> <id>`: a new exercise in a lesson folder of `--lessons`,
//! that already works (`exercise.toml` with every field commented, a `start.py` that fails a
//! check, a `solution.py` that passes them all), to edit from.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{ScaffoldError, Scaffolded, title_of};
use crate::exercise::load::{EXERCISE_FILE, EXERCISES_FOLDER, SOLUTION_FILE, START_FILE};
use crate::files;
use crate::lesson::load::LESSON_FILE;
use crate::lesson::validate::is_valid_id;

/// The lesson folder `lesson` under `root` (a folder of lessons, or that lesson's folder).
fn lesson_folder(root: &Path, lesson: &str) -> Option<PathBuf> {
    let inside = root.join(lesson);
    if fs::symlink_metadata(inside.join(LESSON_FILE)).is_ok() {
        return Some(inside);
    }
    let is_it = root.file_name().is_some_and(|name| name == lesson)
        && fs::symlink_metadata(root.join(LESSON_FILE)).is_ok();
    is_it.then(|| root.to_path_buf())
}

/// Creates `<lesson folder>/exercises/<id>/` with a working exercise in it.
pub(crate) fn scaffold_exercise(
    root: &Path,
    lesson: &str,
    id: &str,
) -> Result<Scaffolded, ScaffoldError> {
    if !is_valid_id(id) {
        return Err(ScaffoldError::InvalidId { id: id.to_string() });
    }
    let Some(folder) = lesson_folder(root, lesson) else {
        return Err(ScaffoldError::NoLesson {
            lesson: lesson.to_string(),
            root: root.to_path_buf(),
        });
    };
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io { path, source }
    };
    let exercises = folder.join(EXERCISES_FOLDER);
    fs::create_dir_all(&exercises).map_err(io_error(&exercises))?;
    let folder = exercises.join(id);
    // create_dir fails on anything already there, a symbolic link included.
    fs::create_dir(&folder).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => ScaffoldError::Exists {
            folder: folder.clone(),
        },
        _ => io_error(&folder)(source),
    })?;
    let mut written = Vec::new();
    let title = title_of(id);
    for (name, text) in [
        (EXERCISE_FILE, EXERCISE_TOML),
        (START_FILE, START_PY),
        (SOLUTION_FILE, SOLUTION_PY),
    ] {
        let path = folder.join(name);
        let text = text.replace("@TITLE@", &title);
        files::write_atomically(&path, text.as_bytes()).map_err(io_error(&path))?;
        written.push(path);
    }
    Ok(Scaffolded {
        folder,
        files: written,
    })
}

const EXERCISE_TOML: &str = r#"# A proclab exercise, made by `proclab new --exercise`. Edit it, then:
#   proclab check <your lessons folder>
#   proclab --lessons <your lessons folder> exercise check <id> start.py      (must fail)
#   proclab --lessons <your lessons folder> exercise check <id> solution.py   (must pass)
# The exercise's id is the name of this folder.

# format_version = 1                  # optional; 1 is the only version so far

# Shown in `proclab exercises` and as the heading (at most 80 characters).
title = "@TITLE@"
# One line under the title.
summary = "Wait for the worker before reporting how it ended."
# What to change and why, in Markdown.
task = """
`start.py` starts a worker process and reports its exit code at once, before the worker has
ended: the code is still `None`. Make the parent report the worker's real exit code, 0.
"""
# How many traced runs one verdict takes (1 to 20, default 1): races need several.
runs = 3
# Seconds one run may take before proclab ends it and everything it started (1 to 120, default 20).
time_limit_s = 20
# Shown one at a time, in order.
hints = [
  "start() returns at once; the worker runs on its own.",
  "Which method of Process waits until the worker has ended?",
]

# The checks, from a fixed vocabulary (see EXERCISES.md or the README's "Exercises"):
# exit_code, output_matches, output_order, processes_started, task_pids, tasks_finished,
# completion_order, results, workers_clean, no_process_left, no_zombies, wall_time, speedup,
# start_methods. Each passes when every run shows it; `every_run = false`: one run is enough.

[[check]]
kind = "exit_code"                   # the program's own exit code
equals = 0

[[check]]
kind = "output_matches"              # lines matching a regular expression
pattern = "^parent: the worker ended with exit code 0$"
process = "main"                     # "main", "child" or "any" (default)
# stream = "stdout"                  # "stdout", "stderr" or "any" (default)
min = 1
max = 1

[[check]]
kind = "processes_started"           # multiprocessing's own helpers are not counted
min = 1
max = 1

# [[check]]
# kind = "output_order"              # these lines, in this relative order
# lines = ["worker: done", "parent: the worker ended with exit code 0"]

# [[check]]
# kind = "start_methods"             # every other check under each method
# methods = ["fork", "spawn", "forkserver"]
"#;

const START_PY: &str = r#""""@TITLE@: the starting program (it fails a check)."""
import time
from multiprocessing import Process


def work():
    """Runs in the worker process."""
    time.sleep(0.2)
    print("worker: done")


if __name__ == "__main__":
    worker = Process(target=work)
    worker.start()
    print(f"parent: the worker ended with exit code {worker.exitcode}")
"#;

const SOLUTION_PY: &str = r#""""@TITLE@: the reference solution (it passes every check)."""
import time
from multiprocessing import Process


def work():
    """Runs in the worker process."""
    time.sleep(0.2)
    print("worker: done")


if __name__ == "__main__":
    worker = Process(target=work)
    worker.start()
    worker.join()  # waits until the worker has ended; then its exit code is known
    print(f"parent: the worker ended with exit code {worker.exitcode}")
"#;
