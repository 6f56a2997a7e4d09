//! Bad submissions: a program that hangs, forks thousands of processes, floods its output,
//! deletes its own file or is not Python gets a clear verdict from `proclab exercise grade`
//! and `check`, and nothing it started is left running.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::PROCLAB;
use common::tracing::have_python;
use serde_json::Value;

/// A lesson folder with one exercise: exit with 0 after printing `done`, leaving nothing
/// behind, within 3 s.
fn lessons() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let lesson = root.path().join("bad-input");
    let exercise = lesson.join("exercises/print-done");
    std::fs::create_dir_all(&exercise).unwrap();
    std::fs::write(
        lesson.join("lesson.toml"),
        "format_version = 1\nid = \"bad-input\"\ntitle = \"Bad input\"\nsummary = \"Programs that misbehave.\"\n\n[[stage]]\nkind = \"serial\"\n\n[[stage.tasks]]\nlabel = \"A\"\nfn = \"sleep\"\nsecs = 0.1\n",
    )
    .unwrap();
    std::fs::write(
        lesson.join("narrative.md"),
        "# Bad input\n\nPrograms that misbehave.\n",
    )
    .unwrap();
    std::fs::write(lesson.join("program.py"), "print('hello')\n").unwrap();
    std::fs::write(
        exercise.join("exercise.toml"),
        "title = \"Print done\"\nsummary = \"Print done and exit.\"\ntask = \"Print `done`.\"\ntime_limit_s = 3\n\n[[check]]\nkind = \"exit_code\"\nequals = 0\n\n[[check]]\nkind = \"output_matches\"\npattern = \"^done$\"\nprocess = \"main\"\n\n[[check]]\nkind = \"no_process_left\"\n",
    )
    .unwrap();
    std::fs::write(exercise.join("start.py"), "print('not yet')\n").unwrap();
    std::fs::write(exercise.join("solution.py"), "print('done')\n").unwrap();
    root
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| {
            let line = std::fs::read(e.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&line).replace('\0', " ");
            line.contains(marker)
                .then(|| format!("{}: {line}", e.file_name().to_string_lossy()))
        })
        .collect()
}

/// Waits up to 2 s for every process whose command line holds `marker` to be gone.
fn nothing_left(marker: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let left = processes_with(marker);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn proclab(lessons: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(PROCLAB)
        .arg("--lessons")
        .arg(lessons)
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .expect("proclab runs")
}

const HANGS: &str = r#"import os, signal, time
from multiprocessing import Process

def stubborn():
    os.setsid()  # a session of its own, out of the program's process group
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    time.sleep(600)

if __name__ == "__main__":
    Process(target=stubborn).start()
    time.sleep(600)
"#;

const FORKS: &str = r#"import os, time
# A bounded fork bomb: up to 10,000 processes, each a /bin/sleep that would last a minute.
for _ in range(10_000):
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "61.25"])
time.sleep(600)
"#;

const FLOODS: &str = r#"import sys
line = "flood " * 20 + "\n"
for _ in range(5_000_000):
    sys.stdout.write(line)
print("done")
"#;

const DELETES_ITSELF: &str = r#"import os
os.remove(__file__)
print("done")
"#;

const NOT_PYTHON: &str = "#!/bin/sh\necho \"this is a shell script\"\nexit 0\n";

#[test]
fn bad_submissions_get_a_clear_verdict_and_leave_nothing_running() {
    if !have_python("bad_submissions_get_a_clear_verdict_and_leave_nothing_running") {
        return;
    }
    let lessons = lessons();
    let state = tempfile::tempdir().unwrap();
    let submissions = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 6] = [
        ("deletes_itself.py", DELETES_ITSELF.as_bytes()),
        ("floods.py", FLOODS.as_bytes()),
        ("forks.py", FORKS.as_bytes()),
        ("hangs.py", HANGS.as_bytes()),
        ("not_python.py", NOT_PYTHON.as_bytes()),
        ("terminal_codes.py", b"\x1b]0;pwned\x07\x00\xff"),
    ];
    for (name, text) in files {
        std::fs::write(submissions.path().join(name), text).unwrap();
    }
    let began = Instant::now();
    let output = proclab(
        lessons.path(),
        state.path(),
        &[
            "exercise",
            "grade",
            "print-done",
            submissions.path().to_str().unwrap(),
            "--json",
        ],
    );
    let took = began.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let graded: Value = serde_json::from_str(stdout.trim()).unwrap();
    let verdict = |file: &str| -> &Value {
        &graded["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["file"] == file)
            .unwrap_or_else(|| panic!("{file} graded: {stdout}"))["verdict"]
    };
    let evidence = |file: &str, check: usize| {
        verdict(file)["checks"][check]["evidence"]
            .as_str()
            .unwrap()
            .to_string()
    };

    assert_eq!(
        verdict("deletes_itself.py")["passed"],
        true,
        "a fresh copy each run"
    );
    assert!(
        submissions.path().join("deletes_itself.py").exists(),
        "the submission itself is kept"
    );

    assert_eq!(verdict("hangs.py")["passed"], false);
    assert_eq!(verdict("hangs.py")["runs"][0]["timed_out"], true);
    let hung = evidence("hangs.py", 0);
    assert!(hung.contains("still running at the time limit"), "{hung}");
    // The fork bomb ends at the time limit, or earlier when the process cap makes a fork fail.
    assert_eq!(verdict("forks.py")["passed"], false);
    let bomb = evidence("forks.py", 0);
    let stopped =
        bomb.contains("still running at the time limit") || bomb.contains("BlockingIOError");
    assert!(stopped, "{bomb}");
    assert_eq!(verdict("floods.py")["passed"], false);

    assert_eq!(verdict("not_python.py")["passed"], false);
    assert!(
        evidence("not_python.py", 0).contains("exited with code 1 after printing \"SyntaxError"),
        "{}",
        evidence("not_python.py", 0)
    );
    assert_eq!(verdict("terminal_codes.py")["passed"], false);

    assert!(
        took < Duration::from_secs(120),
        "six submissions with a 3 s limit took {took:?}"
    );
    for marker in ["61.25", "/hangs.py", "/forks.py", "/floods.py"] {
        let left = nothing_left(marker);
        assert!(left.is_empty(), "left running: {left:?}");
    }

    // The text and CSV tables, on the quick submissions only.
    for slow in ["floods.py", "forks.py", "hangs.py"] {
        std::fs::remove_file(submissions.path().join(slow)).unwrap();
    }
    let text = proclab(
        lessons.path(),
        state.path(),
        &[
            "exercise",
            "grade",
            "print-done",
            submissions.path().to_str().unwrap(),
        ],
    );
    let text_out = String::from_utf8_lossy(&text.stdout);
    assert!(
        !text.stdout.contains(&0x1b),
        "no terminal codes reach the terminal: {text_out}"
    );
    assert!(text_out.contains("deletes_itself.py"), "{text_out}");
    assert!(text_out.contains("1 of 3 passed."), "{text_out}");
    let csv = proclab(
        lessons.path(),
        state.path(),
        &[
            "exercise",
            "grade",
            "print-done",
            submissions.path().to_str().unwrap(),
            "--csv",
            "--runs",
            "1",
        ],
    );
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(
        csv.starts_with(
            "file,passed,1_exit_code,2_output_matches,3_no_process_left,seconds,evidence\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("\ndeletes_itself.py,true,pass,pass,pass,"),
        "{csv}"
    );
    for marker in ["61.25", "/hangs.py", "/forks.py", "/floods.py"] {
        let left = nothing_left(marker);
        assert!(left.is_empty(), "left running: {left:?}");
    }
}

#[test]
fn a_hung_check_is_killed_at_the_time_limit_and_says_so() {
    if !have_python("a_hung_check_is_killed_at_the_time_limit_and_says_so") {
        return;
    }
    let lessons = lessons();
    let state = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("hangs_alone.py");
    std::fs::write(&file, HANGS).unwrap();
    let began = Instant::now();
    let output = proclab(
        lessons.path(),
        state.path(),
        &["exercise", "check", "print-done", file.to_str().unwrap()],
    );
    let took = began.elapsed();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the program was still running at the time limit: proclab ended it and every process it started"),
        "{text}"
    );
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(30),
        "{took:?}"
    );
    let left = nothing_left("/hangs_alone.py");
    assert!(left.is_empty(), "left running: {left:?}");
}
