//! The real binary in a real terminal: tmux runs `proclab open …` in a shell, the tests type keys
//! with `send-keys` and read the screen with `capture-pane`, and check the processes in /proc.
//! Every wait polls with a deadline; every tmux server is killed at the end, even on failure.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use common::tmux::{DEADLINE, Tmux};
use common::{proc_state as stat, workers_of};

fn open_command(args: &str) -> String {
    format!("{} open {args}", env!("CARGO_BIN_EXE_proclab"))
}

/// Leaves proclab with q (lesson → list → shell) and checks the terminal and the processes.
fn quit_and_check(tmux: &Tmux, proclab: u64, workers: &BTreeSet<u64>) {
    tmux.keys(&["q"]);
    tmux.wait_for("the lesson list", |s| s.contains("Lessons ("));
    tmux.keys(&["q"]);
    let start = Instant::now();
    while stat(proclab).is_some() {
        assert!(start.elapsed() < DEADLINE, "proclab did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    for worker in workers {
        assert!(stat(*worker).is_none(), "worker {worker} outlived proclab");
    }
    tmux.type_line("stty -a; echo STTY-DONE");
    let screen = tmux.wait_for("stty's output", |s| {
        s.lines().any(|line| line.trim() == "STTY-DONE")
    });
    let lines: Vec<&str> = screen.lines().collect();
    let from = lines
        .iter()
        .rposition(|line| line.contains("stty -a;"))
        .expect("the command line")
        + 1;
    let to = lines
        .iter()
        .rposition(|line| line.trim() == "STTY-DONE")
        .expect("the end mark");
    let words: Vec<&str> = lines[from..to]
        .iter()
        .flat_map(|line| line.split_whitespace())
        .collect();
    assert!(
        words.contains(&"icanon"),
        "the terminal is left without icanon:\n{screen}"
    );
    assert!(
        words.contains(&"echo"),
        "the terminal is left without echo:\n{screen}"
    );
}

/// The "done" column of the order panel, top to bottom.
fn completion_order(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(header) = lines.iter().position(|l| l.contains("#  sent")) else {
        return Vec::new();
    };
    let column = lines[header].chars().take_while(|c| *c != '#').count();
    lines[header + 1..]
        .iter()
        .map(|line| line.chars().skip(column).collect::<String>())
        .map_while(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            (words.len() >= 3 && words[0].parse::<usize>().is_ok()).then(|| words[2].to_string())
        })
        .collect()
}

#[test]
fn a_run_shows_real_worker_pids_their_lines_and_the_completion_order() {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&open_command("pool-sleep --speed 10"));
    tmux.wait_for("the lesson screen", |s| {
        s.contains("page 1 of") && s.contains("No run yet")
    });
    let proclab = tmux.proclab_pid();

    tmux.keys(&["r"]);
    let mut workers = BTreeSet::new();
    let start = Instant::now();
    let screen = loop {
        for child in workers_of(proclab) {
            if let Some((_, ppid)) = stat(child) {
                assert_eq!(ppid, proclab);
                workers.insert(child);
            }
        }
        let screen = tmux.screen();
        if screen.contains("finished in") {
            break screen;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the run did not finish:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let shown: Vec<&u64> = workers
        .iter()
        .filter(|pid| screen.contains(&pid.to_string()))
        .collect();
    assert!(
        shown.len() >= 2,
        "two worker PIDs seen as children of proclab ({workers:?}) should be on screen:\n{screen}"
    );
    assert_eq!(completion_order(&screen), ["B", "C", "A", "D"], "{screen}");
    for label in ["A", "B", "C", "D"] {
        let printed = shown
            .iter()
            .any(|pid| screen.contains(&format!("{pid} {label} ")));
        assert!(
            printed,
            "no line of task {label} with a worker PID:\n{screen}"
        );
    }
    quit_and_check(&tmux, proclab, &workers);
}

#[test]
fn space_pauses_the_real_workers_and_resumes_them() {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&open_command("pool-sleep --speed 1"));
    tmux.wait_for("the lesson screen", |s| s.contains("No run yet"));
    let proclab = tmux.proclab_pid();
    tmux.keys(&["r"]);
    let start = Instant::now();
    let workers: BTreeSet<u64> = loop {
        let children: BTreeSet<u64> = workers_of(proclab).into_iter().collect();
        if children.len() >= 2 {
            break children;
        }
        assert!(start.elapsed() < DEADLINE, "no workers started");
        std::thread::sleep(Duration::from_millis(20));
    };
    tmux.wait_for("both workers on screen", |s| {
        workers.iter().all(|pid| s.contains(&pid.to_string()))
    });

    tmux.keys(&["Space"]);
    let all_in = |wanted: fn(char) -> bool| {
        let start = Instant::now();
        while !workers
            .iter()
            .all(|pid| stat(*pid).is_some_and(|(state, _)| wanted(state)))
        {
            assert!(
                start.elapsed() < DEADLINE,
                "workers did not reach the state"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    all_in(|state| state == 'T');
    tmux.wait_for("the paused run", |s| {
        s.contains("paused") && s.matches("T stopped").count() >= 2
    });

    tmux.keys(&["Space"]);
    all_in(|state| state != 'T');
    // Resumed: no worker stopped, no pause going on; the run says it was paused, since a
    // paused run answers no checkpoint.
    tmux.wait_for("the resumed run", |s| {
        !s.contains("❚❚") && !s.contains("T stopped") && s.contains("was paused for")
    });
    quit_and_check(&tmux, proclab, &workers);
}

#[test]
fn a_small_window_says_so_and_the_layout_returns_when_it_grows() {
    let tmux = Tmux::start(40, 10);
    tmux.type_line(&open_command("pool-sleep --speed 10"));
    tmux.wait_for("the too-small message", |s| {
        s.contains("Window too small") && s.contains("80×24")
    });
    let proclab = tmux.proclab_pid();
    tmux.tmux(&["resize-window", "-t", "main", "-x", "120", "-y", "40"]);
    tmux.wait_for("the lesson layout", |s| {
        s.contains("page 1 of") && !s.contains("Window too small")
    });
    quit_and_check(&tmux, proclab, &BTreeSet::new());
}

/// Whether tmux's `capture-pane -e` output sets any foreground or background colour.
fn sets_a_colour(screen: &str) -> bool {
    screen.split('\x1b').skip(1).any(|sequence| {
        let Some(params) = sequence
            .strip_prefix('[')
            .and_then(|s| s.split_once('m'))
            .map(|(p, _)| p)
        else {
            return false;
        };
        params.split(';').any(|p| {
            matches!(
                p.parse::<u64>(),
                Ok(30..=37 | 38 | 40..=47 | 48 | 90..=97 | 100..=107)
            )
        })
    })
}

#[test]
fn no_color_turns_every_colour_off_in_a_real_terminal() {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!(
        "NO_COLOR=1 {}",
        open_command("pool-sleep --speed 10")
    ));
    tmux.wait_for("the lesson screen", |s| s.contains("No run yet"));
    let proclab = tmux.proclab_pid();
    tmux.keys(&["r"]);
    tmux.wait_for("the finished run", |s| s.contains("finished in"));
    assert!(sets_a_colour("\x1b[0;38;5;4mX") && !sets_a_colour("\x1b[1;7mX\x1b[39m"));
    let styled = tmux.tmux(&["capture-pane", "-e", "-p", "-t", "main"]);
    assert!(styled.contains("\x1b["), "capture-pane -e shows attributes");
    assert!(
        !sets_a_colour(&styled),
        "a colour was used with NO_COLOR set:\n{styled:?}"
    );
    quit_and_check(&tmux, proclab, &BTreeSet::new());
}

/// Starts `proclab ARGS` in the shell and waits for its first screen; returns its PID.
fn start_proclab(tmux: &Tmux, args: &str, ready: &str) -> u64 {
    tmux.type_line(&format!("clear; {} {args}", env!("CARGO_BIN_EXE_proclab")));
    let pid = tmux.proclab_pid();
    tmux.wait_for(ready, |s| s.contains(ready));
    pid
}

/// The 1-based number of lesson `id` in `proclab list` (the list's order), and the count.
fn list_position(id: &str) -> (usize, usize) {
    let output = Command::new(env!("CARGO_BIN_EXE_proclab"))
        .arg("list")
        .output()
        .expect("proclab list runs");
    let text = String::from_utf8(output.stdout).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let number = ids
        .iter()
        .position(|i| *i == id)
        .expect("the lesson is listed")
        + 1;
    (number, ids.len())
}

/// Leaves proclab with q (from a lesson: q twice) and waits until it has exited.
fn quit(tmux: &Tmux, proclab: u64, from_lesson: bool) {
    if from_lesson {
        tmux.keys(&["q"]);
        tmux.wait_for("the lesson list", |s| s.contains("Lessons ("));
    }
    tmux.keys(&["q"]);
    let start = Instant::now();
    while stat(proclab).is_some() {
        assert!(start.elapsed() < DEADLINE, "proclab did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn progress_survives_a_restart_and_resumes_at_the_last_page() {
    let tmux = Tmux::start(120, 40);
    let (number, total) = list_position("pool-sleep");
    let proclab = start_proclab(&tmux, "", "Lessons (");
    // pool-sleep by its number in the list.
    tmux.keys(&[&number.to_string()]);
    tmux.wait_for("the number typed", |s| {
        s.contains(&format!("go to lesson {number}_"))
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("pool-sleep's first page", |s| {
        s.contains("pool-sleep · page 1 of")
    });
    // → scrolls the long first page to its end first, as a pager does, then turns it.
    tmux.wait_for("page 2", |s| {
        let turned = s.contains("pool-sleep · page 2 of");
        if !turned {
            tmux.keys(&["Right"]);
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        turned
    });
    quit(&tmux, proclab, true);
    let saved = std::fs::read_to_string(tmux.state.path().join("proclab/progress.json"))
        .expect("progress.json is written");
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        saved["last"],
        serde_json::json!({"lesson": "pool-sleep", "page": 1}),
        "{saved}"
    );
    assert_eq!(saved["lessons"]["pool-sleep"]["visited"], true, "{saved}");

    let proclab = start_proclab(&tmux, "", "Lessons (");
    let screen = tmux.screen();
    let selected = screen
        .lines()
        .find(|line| line.starts_with('▶'))
        .expect("a selected lesson");
    assert!(selected.contains("pool-sleep"), "{screen}");
    assert!(selected.contains('●'), "marked as opened: {screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the resumed page", |s| {
        s.contains("pool-sleep · page 2 of") && s.contains("page 2 of 5 — resumed")
    });
    assert!(screen.contains("A pool of two workers"), "{screen}");
    quit(&tmux, proclab, true);

    // `proclab open` resumes too, in projector mode with its position always shown.
    let proclab = start_proclab(
        &tmux,
        "open pool-sleep --projector",
        &format!("lesson {number}/{total} · page 2/5"),
    );
    quit(&tmux, proclab, true);
}

#[test]
fn a_corrupt_progress_file_is_set_aside_with_a_notice() {
    let tmux = Tmux::start(120, 40);
    let folder = tmux.state.path().join("proclab");
    std::fs::create_dir_all(&folder).unwrap();
    let bad = r#"{"version": 1, "lessons": ["#;
    std::fs::write(folder.join("progress.json"), bad).unwrap();
    let proclab = start_proclab(&tmux, "", "Lessons (");
    let screen = tmux.wait_for("the notice", |s| s.contains("could not be read"));
    let aside: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("progress.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        screen.contains(&aside[0]),
        "the notice names {}:\n{screen}",
        aside[0]
    );
    assert_eq!(
        std::fs::read_to_string(folder.join(&aside[0])).unwrap(),
        bad
    );
    quit(&tmux, proclab, false);
}

/// `open --watch`: a lesson being written reloads on save; a broken file shows its problem in
/// place, exactly as `proclab check` words it, and fixing it takes the problem away.
#[test]
fn watch_reloads_on_save_and_shows_problems_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("pool-sleep");
    std::fs::create_dir(&folder).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/pool-sleep");
    for file in ["lesson.toml", "narrative.md", "program.py"] {
        std::fs::copy(source.join(file), folder.join(file)).unwrap();
    }
    let toml = folder.join("lesson.toml");
    let original = std::fs::read_to_string(&toml).unwrap();
    let old_title = "title = \"A pool of two workers and jobs that sleep\"";
    assert!(original.contains(old_title));
    // As an editor saves: a new file renamed over the old one.
    let save = |title: &str| {
        let temp = folder.join(".lesson.toml.swp");
        std::fs::write(&temp, original.replace(old_title, title)).unwrap();
        std::fs::rename(&temp, &toml).unwrap();
    };

    let tmux = Tmux::start(120, 40);
    tmux.type_line(&open_command(&format!(
        "pool-sleep --lessons {} --watch",
        dir.path().display()
    )));
    tmux.wait_for("the lesson, watched", |s| {
        s.contains("A pool of two workers and jobs that sleep") && s.contains("watching files")
    });
    let proclab = tmux.proclab_pid();

    save("title = \"Edited while proclab watches\"");
    tmux.wait_for("the new title", |s| {
        s.contains("Edited while proclab watches")
    });

    save("title = \"An unclosed title");
    let check = Command::new(env!("CARGO_BIN_EXE_proclab"))
        .arg("check")
        .arg(&folder)
        .output()
        .unwrap();
    let problem = String::from_utf8(check.stdout).unwrap();
    let problem = problem.lines().next().unwrap().to_string();
    assert!(problem.contains("lesson.toml:3:"), "{problem}");
    let screen = tmux.wait_for("the problem in place", |s| s.contains(&problem));
    assert!(
        screen.contains("Edited while proclab watches"),
        "the last good version stays:\n{screen}"
    );
    assert!(screen.contains("1 problem: fix and save"), "{screen}");

    save("title = \"Fixed and saved\"");
    tmux.wait_for("the fixed lesson, without the problem", |s| {
        s.contains("Fixed and saved") && !s.contains("fix and save")
    });
    quit_and_check(&tmux, proclab, &BTreeSet::new());
}

/// `proclab notes` in a terminal follows the page the lesson screen last wrote to the progress
/// file, and ←/→ still turn pages by hand.
#[test]
fn notes_window_follows_the_progress_file() {
    let state = tempfile::tempdir().unwrap();
    let progress = state.path().join("proclab/progress.json");
    let show = |lesson: &str, page: usize| {
        std::fs::create_dir_all(progress.parent().unwrap()).unwrap();
        let temp = progress.with_extension("tmp");
        let json = format!(r#"{{"version":1,"last":{{"lesson":"{lesson}","page":{page}}}}}"#);
        std::fs::write(&temp, json).unwrap();
        std::fs::rename(&temp, &progress).unwrap();
    };
    let tmux = Tmux::start(100, 30);
    tmux.type_line(&format!(
        "XDG_STATE_HOME={} {} notes",
        state.path().display(),
        env!("CARGO_BIN_EXE_proclab")
    ));
    tmux.wait_for("the waiting notes window", |s| {
        s.contains("Waiting for a lesson")
    });
    show("four-prints", 1);
    tmux.wait_for("four-prints, page 2", |s| {
        s.contains("Instructor notes · four-prints") && s.contains("This page (2 of 5)")
    });
    show("pool-sleep", 3);
    tmux.wait_for("pool-sleep, page 4", |s| {
        s.contains("Instructor notes · pool-sleep") && s.contains("This page (4 of 5)")
    });
    tmux.keys(&["Left"]);
    tmux.wait_for("page 3 by hand", |s| s.contains("This page (3 of 5)"));
    tmux.keys(&["q"]);
    // Typed before proclab has left, the line would go to it.
    tmux.wait_for("the shell", |s| s.trim_end().ends_with('$'));
    // Whole words only: a terminal left raw shows `-icanon -echo`.
    tmux.type_line(
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo | sort -u | tr '\\n' ' '; echo END",
    );
    tmux.wait_for("the terminal restored", |s| {
        s.lines().any(|l| l.trim() == "echo icanon END")
    });
}
