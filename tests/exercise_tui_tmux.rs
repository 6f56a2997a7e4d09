//! An exercise's watch screen in a real terminal (tmux), with real Python programs: the
//! starting program fails, writing the solution over it turns ✗ into ✓, and no process of a
//! check outlives proclab, whether it leaves with `q`, Ctrl-C or SIGTERM.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use common::tmux::Tmux;

fn python3() -> bool {
    let ok = Process::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipped: python3 is not installed");
    }
    ok
}

/// The lessons folder with the fixture exercise `two-children`.
fn fixture_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exercise-lessons")
}

fn solution() -> PathBuf {
    fixture_folder().join("children-demo/exercises/two-children/solution.py")
}

/// Starts `proclab exercise two-children` in `tmux`, its files in `dir`, writing its exit code
/// to `status`; returns proclab's PID.
fn open(tmux: &Tmux, dir: &Path, status: &Path) -> u64 {
    tmux.type_line(&format!(
        "{} --lessons {} exercise two-children --dir {}; echo $? > {}",
        common::PROCLAB,
        fixture_folder().display(),
        dir.display(),
        status.display()
    ));
    tmux.proclab_pid()
}

fn exit_code(status: &Path) -> String {
    let written = || std::fs::read_to_string(status).unwrap_or_default();
    assert!(common::eventually(10.0, || !written().trim().is_empty()));
    written().trim().to_string()
}

#[test]
fn writing_the_solution_over_the_file_turns_the_failing_checks_into_passing_ones() {
    if !python3() {
        return;
    }
    let tmux = Tmux::start(120, 40);
    let dir = tmux.state.path().join("work");
    let status = tmux.state.path().join("status");
    let proclab = open(&tmux, &dir, &status);
    let mut seen = tmux
        .watch_processes(proclab, "the starting program's verdict", |s| {
            s.contains("✗ 2 of 4 checks not passed yet")
        })
        .1;
    let file = dir.join("two-children.py");
    let start = std::fs::read_to_string(&file).unwrap();
    assert!(
        start.contains("child = Process(target=hello, args=(1,))"),
        "{start}"
    );
    let screen = tmux.screen();
    assert!(
        screen.contains("✗ the program starts exactly 2 processes"),
        "{screen}"
    );
    assert!(
        screen.contains("✓ the program exits with code 0"),
        "{screen}"
    );
    assert!(
        screen.contains("the exercise asks for exactly 2"),
        "{screen}"
    );

    // An editor's save: the new text in a temporary file, renamed over the old one.
    let saved = Instant::now();
    let temporary = dir.join(".two-children.py.swp");
    std::fs::copy(solution(), &temporary).unwrap();
    std::fs::rename(&temporary, &file).unwrap();
    seen.extend(
        tmux.watch_processes(proclab, "every check to pass", |s| {
            s.contains("✓ Every check passes (4 of 4)")
        })
        .1,
    );
    eprintln!(
        "save → verdict of 2 runs on screen: {:.0} ms",
        saved.elapsed().as_secs_f64() * 1000.0
    );
    let screen = tmux.screen();
    assert!(
        screen.contains("✓ the program starts exactly 2 processes"),
        "{screen}"
    );
    assert!(screen.contains("✓ passed"), "{screen}");
    assert!(!screen.contains('✗'), "{screen}");
    let progress = tmux.state.path().join("proclab/progress.json");
    let progress = std::fs::read_to_string(progress).unwrap();
    assert!(progress.contains("\"two-children\""), "{progress}");
    // The checks' processes were seen below proclab, and the file was never written over.
    assert!(!seen.is_empty());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        std::fs::read_to_string(solution()).unwrap()
    );

    tmux.keys(&["q"]);
    common::gone(proclab, &seen);
    assert_eq!(exit_code(&status), "0");
}

/// A program that sleeps, so that a check is going on when proclab is asked to end.
const SLEEPER: &str = "import time\nfrom multiprocessing import Process\n\nif __name__ == '__main__':\n    child = Process(target=time.sleep, args=(60,))\n    child.start()\n    time.sleep(60)\n";

/// Opens the exercise on a file that sleeps, waits until its check's processes run, and ends
/// proclab with `end`; nothing of the check is left, and proclab exits with `code`.
fn ended_during_a_check(end: impl FnOnce(&Tmux, u64), code: &str) {
    if !python3() {
        return;
    }
    let tmux = Tmux::start(120, 40);
    let dir = tmux.state.path().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("two-children.py"), SLEEPER).unwrap();
    let status = tmux.state.path().join("status");
    let proclab = open(&tmux, &dir, &status);
    let seen = tmux
        .watch_processes(proclab, "the check's processes", |s| {
            s.contains("Checking your program, run 1 of 2")
                && s.contains("Processes (2 started, 2 alive)")
        })
        .1;
    assert!(!seen.is_empty());
    end(&tmux, proclab);
    common::gone(proclab, &seen);
    assert_eq!(exit_code(&status), code);
    // The learner's file is theirs: never written over.
    assert_eq!(
        std::fs::read_to_string(dir.join("two-children.py")).unwrap(),
        SLEEPER
    );
}

#[test]
fn q_during_a_check_leaves_no_process_behind() {
    ended_during_a_check(|tmux, _| tmux.keys(&["q"]), "0");
}

#[test]
fn ctrl_c_during_a_check_exits_130_and_leaves_no_process_behind() {
    ended_during_a_check(|tmux, _| tmux.keys(&["C-c"]), "130");
}

#[test]
fn sigterm_during_a_check_leaves_no_process_behind() {
    ended_during_a_check(
        |_, proclab| {
            let pid = nix::unistd::Pid::from_raw(proclab as i32);
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        },
        "130",
    );
}

/// SIGKILL of proclab while a check runs: proclab cannot clean up, yet the program's processes
/// end with it (their socket to proclab closes, the main one gets `PR_SET_PDEATHSIG`).
#[test]
fn sigkill_during_a_check_leaves_no_python_behind() {
    if !python3() {
        return;
    }
    common::become_subreaper();
    let tmux = Tmux::start(120, 40);
    let dir = tmux.state.path().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("two-children.py"), SLEEPER).unwrap();
    let status = tmux.state.path().join("status");
    let proclab = open(&tmux, &dir, &status);
    let seen = tmux
        .watch_processes(proclab, "the check's processes", |s| {
            s.contains("Processes (2 started, 2 alive)")
        })
        .1;
    let pid = nix::unistd::Pid::from_raw(proclab as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    for pid in &seen {
        assert!(
            common::eventually(5.0, || common::dead_and_reaped(*pid)),
            "{pid} outlived a SIGKILLed proclab"
        );
    }
}
