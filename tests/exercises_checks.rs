//! Each kind of check judged on real traced programs: pool tasks (which PIDs ran them, how many
//! finished, in what order, with what results), zombies, processes left running, wall time,
//! and a speedup against a serial reference.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::PROCLAB;
use common::tracing::have_python;
use serde_json::Value;

const LESSON: &str = "format_version = 1\nid = \"checks\"\ntitle = \"Checks\"\nsummary = \"Every kind of check.\"\n\n[[stage]]\nkind = \"serial\"\n\n[[stage.tasks]]\nlabel = \"A\"\nfn = \"sleep\"\nsecs = 0.1\n";

/// A lessons folder with one lesson holding the exercise `id` (its `exercise.toml` and, by
/// name, its other files).
fn lessons_with(id: &str, toml: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let lesson = root.path().join("checks");
    let exercise = lesson.join("exercises").join(id);
    std::fs::create_dir_all(&exercise).unwrap();
    std::fs::write(lesson.join("lesson.toml"), LESSON).unwrap();
    std::fs::write(lesson.join("narrative.md"), "# Checks\n\nEvery kind.\n").unwrap();
    std::fs::write(lesson.join("program.py"), "print('hello')\n").unwrap();
    std::fs::write(exercise.join("exercise.toml"), toml).unwrap();
    std::fs::write(exercise.join("start.py"), "print('start')\n").unwrap();
    std::fs::write(exercise.join("solution.py"), "print('solution')\n").unwrap();
    for (name, text) in files {
        std::fs::write(exercise.join(name), text).unwrap();
    }
    root
}

/// The verdict on `program` (written to a file) as JSON, and the exit code.
fn judge(lessons: &Path, id: &str, program: &str) -> (Option<i32>, Value) {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("program.py");
    std::fs::write(&file, program).unwrap();
    let output = Command::new(PROCLAB)
        .arg("--lessons")
        .arg(lessons)
        .args(["exercise", "check", id, file.to_str().unwrap(), "--json"])
        .env("XDG_STATE_HOME", work.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(text.trim())
        .unwrap_or_else(|_| panic!("JSON: {text}\n{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), value)
}

fn check<'a>(verdict: &'a Value, kind: &str) -> &'a Value {
    verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {verdict}"))
}

const POOL_CHECKS: &str = r#"title = "A pool"
summary = "Tasks on a pool."
task = "Run the tasks on a pool of two."

[[check]]
kind = "task_pids"
min = 2
max = 2

[[check]]
kind = "tasks_finished"
count = 4

[[check]]
kind = "completion_order"
order = ["B", "C", "A", "D"]

[[check]]
kind = "results"
values = ["'A'", "'B'", "'C'", "'D'"]

[[check]]
kind = "workers_clean"

[[check]]
kind = "wall_time"
at_most_s = 10
"#;

const POOL: &str = r#"import time
from multiprocessing import Pool

def job(item):
    name, secs = item
    time.sleep(secs)
    return name

if __name__ == "__main__":
    pool = Pool(2)
    print(pool.map(job, [("A", 0.5), ("B", 0.2), ("C", 0.1), ("D", 0.3)], chunksize=1))
    pool.close()
    pool.join()
"#;

const POOL_LEFT_BUSY: &str = r#"import time
from multiprocessing import Pool

def job(item):
    name, secs = item
    time.sleep(secs)
    return name

if __name__ == "__main__":
    with Pool(2) as pool:
        pending = pool.map_async(job, [("A", 30), ("B", 30)], chunksize=1)
        time.sleep(0.3)
"#;

#[test]
fn task_checks_see_which_pids_ran_which_task_and_in_what_order() {
    if !have_python("task_checks_see_which_pids_ran_which_task_and_in_what_order") {
        return;
    }
    let lessons = lessons_with("a-pool", POOL_CHECKS, &[]);
    let (code, verdict) = judge(lessons.path(), "a-pool", POOL);
    assert_eq!(code, Some(0), "{verdict:#}");
    let pids = check(&verdict, "task_pids")["evidence"].as_str().unwrap();
    assert!(
        pids.starts_with("4 tasks ran in 2 processes (PIDs "),
        "{pids}"
    );
    assert_eq!(
        check(&verdict, "tasks_finished")["evidence"],
        "4 of 4 tasks finished"
    );
    assert_eq!(
        check(&verdict, "completion_order")["evidence"],
        "tasks finished in the order B C A D"
    );
    assert_eq!(
        check(&verdict, "results")["evidence"],
        "the results were 'A', 'B', 'C', 'D'"
    );

    // A pool left through `with` while its workers are still busy: `terminate()` kills them.
    // (Idle workers may read the pool's stop sentinel and exit 0 before `terminate()` reaches
    // them, so the busy workers are what makes this deterministic.)
    let (code, verdict) = judge(lessons.path(), "a-pool", POOL_LEFT_BUSY);
    assert_eq!(code, Some(1), "{verdict:#}");
    let clean = check(&verdict, "workers_clean")["evidence"]
        .as_str()
        .unwrap();
    assert!(clean.contains("was killed by SIGTERM (15)"), "{clean}");
    assert!(clean.contains("call close() and join() first"), "{clean}");
}

const ZOMBIE_CHECKS: &str = r#"title = "No zombies"
summary = "Children are joined."
task = "Join every child."

[[check]]
kind = "no_zombies"

[[check]]
kind = "no_process_left"
"#;

const ZOMBIE: &str = r#"import os, time
child = os.fork()
if child == 0:
    os._exit(0)          # the child ends at once...
time.sleep(0.5)          # ...and the parent never waits for it
"#;

const ORPHAN: &str = r#"import os, time
if os.fork() == 0:
    time.sleep(0.6)      # the child outlives its parent
    os._exit(0)
time.sleep(0.1)
"#;

#[test]
fn a_zombie_and_a_process_left_running_are_named_with_their_pids() {
    if !have_python("a_zombie_and_a_process_left_running_are_named_with_their_pids") {
        return;
    }
    let lessons = lessons_with("no-zombies", ZOMBIE_CHECKS, &[]);
    let (code, verdict) = judge(lessons.path(), "no-zombies", ZOMBIE);
    assert_eq!(code, Some(1), "{verdict:#}");
    let zombies = check(&verdict, "no_zombies");
    assert_eq!(zombies["passed"], false, "{verdict:#}");
    let evidence = zombies["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("was a zombie (ended, never joined)"),
        "{evidence}"
    );
    assert_eq!(
        check(&verdict, "no_process_left")["passed"],
        true,
        "{verdict:#}"
    );

    let (code, verdict) = judge(lessons.path(), "no-zombies", ORPHAN);
    assert_eq!(code, Some(1), "{verdict:#}");
    let left = check(&verdict, "no_process_left");
    assert_eq!(left["passed"], false, "{verdict:#}");
    let evidence = left["evidence"].as_str().unwrap();
    let named = evidence.contains("was still running when the main process ended")
        || evidence.contains("after the main process ended");
    assert!(named, "{evidence}");
    assert_eq!(check(&verdict, "no_zombies")["passed"], true, "{verdict:#}");
}

const SPEEDUP_CHECKS: &str = r#"title = "Faster"
summary = "Sleep in parallel."
task = "Sleep in two processes at once."
runs = 2

[[check]]
kind = "speedup"
at_least = 1.4
serial = "serial.py"
cores = 1
"#;

const SERIAL: &str = "import time\nfor _ in range(2):\n    time.sleep(0.8)\n";

const PARALLEL: &str = r#"import time
from multiprocessing import Process

if __name__ == "__main__":
    workers = [Process(target=time.sleep, args=(0.8,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
"#;

#[test]
fn a_speedup_is_measured_against_the_serial_reference_in_alternating_runs() {
    if !have_python("a_speedup_is_measured_against_the_serial_reference_in_alternating_runs") {
        return;
    }
    let lessons = lessons_with("faster", SPEEDUP_CHECKS, &[("serial.py", SERIAL)]);
    let (code, verdict) = judge(lessons.path(), "faster", PARALLEL);
    assert_eq!(code, Some(0), "{verdict:#}");
    let evidence = check(&verdict, "speedup")["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("medians of 2 alternating runs"),
        "{evidence}"
    );
    let (code, verdict) = judge(lessons.path(), "faster", SERIAL);
    assert_eq!(
        code,
        Some(1),
        "the serial program is not faster than itself: {verdict:#}"
    );
}
