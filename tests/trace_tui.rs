//! Traces in the terminal UI: `p` on a lesson runs its Python program under trace beside the
//! lesson, and `proclab trace` in a terminal shows the traced command live. Real processes,
//! a real terminal (tmux), nothing left behind.

mod common;

use std::collections::BTreeSet;
use std::process::Command as Process;

use common::screens;
use common::tmux::Tmux;
use proclab::engine::RunOptions;
use proclab::lesson::Catalog;
use proclab::trace::TraceSpec;
use proclab::tui::app::message::{Command, Message};
use proclab::tui::app::{App, Exit};
use proclab::tui::runtime::keys::Context;
use proclab::tui::runtime::theme::Theme;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

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

fn key(c: char) -> Message {
    Message::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn lesson_app(id: &str, speed: f64) -> App {
    App::new(
        Catalog::load(None).unwrap().lessons,
        Some(id),
        RunOptions {
            speed,
            ..RunOptions::default()
        },
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    )
}

#[test]
fn p_asks_for_a_trace_of_the_lessons_program_at_the_lessons_speed() {
    let mut app = lesson_app("pool-sleep", 10.0);
    app.set_python(true, false);
    let Some(Command::Trace { spec, program, .. }) = app.update(key('p')) else {
        panic!("p traces the program")
    };
    assert_eq!(spec.command, vec![std::ffi::OsString::from("python3")]);
    assert_eq!(spec.speed, 10.0);
    let program = program.expect("the lesson's program goes along");
    assert_eq!(program.name, "program.py");
    assert!(program.text.contains("Pool(processes=2)"));
    let run = app.lesson_screen().unwrap().view.run.as_ref().unwrap();
    assert_eq!(run.traced.as_deref(), Some("python3 program.py"));
}

#[test]
fn p_without_python_says_how_to_get_it() {
    let mut app = lesson_app("pool-sleep", 1.0);
    app.set_python(false, false);
    assert_eq!(app.update(key('p')), None);
    let notice = app.status_line().unwrap();
    assert!(notice.contains("python3 is not on your PATH"), "{notice}");
    assert!(notice.contains("install"), "{notice}");
}

/// The fixture lessons' folder (`--lessons`), whose `pool-demo` has a `program.py`.
fn fixture_lessons() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons")
}

#[test]
fn p_on_a_lesson_folders_program_asks_first_and_only_y_runs_it() {
    let mut app = App::new(
        Catalog::load(Some(&fixture_lessons())).unwrap().lessons,
        Some("pool-demo"),
        RunOptions::default(),
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    );
    app.set_python(true, false);
    let path = fixture_lessons().join("pool-demo/program.py");
    for (answer, piped) in [('n', 'p'), ('\u{1b}', 'P')] {
        assert_eq!(app.update(key(piped)), None, "{piped} asks first");
        let question = app.status_line().unwrap();
        assert!(question.contains(&path.display().to_string()), "{question}");
        assert!(question.contains("y/n"), "{question}");
        let answer = match answer {
            '\u{1b}' => Message::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            c => key(c),
        };
        assert_eq!(app.update(answer), None, "only y runs it");
        assert_eq!(
            app.status_line().as_deref(),
            Some("The program was not run.")
        );
        assert!(app.lesson_screen().unwrap().view.run.is_none());
    }
    app.update(key('P'));
    let Some(Command::Trace { spec, program, .. }) = app.update(key('y')) else {
        panic!("y runs the program")
    };
    assert!(spec.pipe, "as P asked: into pipes");
    assert!(program.unwrap().text.contains("Pool(processes=2)"));
    let Some(Command::Trace { spec, .. }) = app.update(key('p')) else {
        panic!("once said yes, p runs it without asking again")
    };
    assert!(!spec.pipe);
}

#[test]
fn p_in_a_terminal_shows_the_question_and_runs_nothing_until_y() {
    if !python3() {
        return;
    }
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!(
        "{} --lessons {} open pool-demo --speed 20",
        common::PROCLAB,
        fixture_lessons().display()
    ));
    tmux.wait_for("the lesson", |s| s.contains("pool-demo · page 1"));
    let proclab = tmux.proclab_pid();
    tmux.keys(&["p"]);
    let path = fixture_lessons().join("pool-demo/program.py");
    let screen = tmux.wait_for("the question", |s| s.contains("y/n"));
    assert!(screen.contains(&path.display().to_string()), "{screen}");
    assert!(
        common::workers_of(proclab).is_empty(),
        "nothing runs before the answer"
    );
    tmux.keys(&["y"]);
    let (_, seen) = tmux.watch_processes(proclab, "the program's pool at work", |s| {
        s.contains("traced: python3 program.py") && s.contains("B waiting 2 s")
    });
    assert!(!seen.is_empty());
    tmux.keys(&["q"]);
    tmux.wait_for("the list", |s| s.contains("Lessons ("));
    tmux.keys(&["q"]);
    common::gone(proclab, &seen);
}

/// A `proclab trace` screen of `sleep 1`, as the UI opens it (the trace is asked for, not run).
fn trace_app() -> App {
    let spec = TraceSpec::new(vec!["sleep".into(), "1".into()]);
    let mut app = App::tracing(
        Catalog::load(None).unwrap().lessons,
        spec,
        2,
        Theme::monochrome(),
        Rect::new(0, 0, 120, 40),
    );
    assert!(matches!(app.take_startup(), Some(Command::Trace { .. })));
    app
}

#[test]
fn a_trace_screen_has_its_own_keys_and_lists_only_those() {
    let mut app = trace_app();
    assert_eq!(app.context(), Context::Trace);
    for c in ['n', 'c', 's', 'h', 'w', 'p', 'P', 'i', '+'] {
        assert_eq!(app.update(key(c)), None, "{c}");
        assert_eq!(
            app.status_line(),
            None,
            "{c} says nothing: it is not a key here"
        );
        assert_eq!(app.context(), Context::Trace, "{c}");
    }
    let bar = screens::text(&screens::render(&app));
    let bar = bar.lines().last().unwrap();
    for label in ["again", "pause", "quit", "help"] {
        assert!(bar.contains(label), "{label} in {bar}");
    }
    for label in ["answer", "×20", "knobs", "python"] {
        assert!(!bar.contains(label), "{label} in {bar}");
    }
    app.update(key('?'));
    let help = screens::text(&screens::render(&app));
    assert!(help.contains("Tracing a command"), "{help}");
    assert!(help.contains("trace the command again"), "{help}");
    assert!(!help.contains("answer this page's checkpoints"), "{help}");
    app.update(key('x'));
    let Some(Command::Trace { spec, program, .. }) = app.update(key('r')) else {
        panic!("r traces the command again")
    };
    assert_eq!(spec.command, ["sleep", "1"]);
    assert_eq!(program, None);
    assert_eq!(app.update(key('q')), Some(Command::Quit));
    assert_eq!(app.exit(), Some(Exit::Quit), "q leaves proclab");
}

/// Runs `proclab trace` on a shell with two background sleeps (`env` set before it) until its
/// three processes show; returns proclab's PID and the processes seen.
fn trace_two_sleepers(tmux: &Tmux, env: &str) -> (u64, BTreeSet<u64>) {
    tmux.type_line(&format!(
        "{env} {} trace -- sh -c 'sleep 30 & sleep 30 & wait'",
        common::PROCLAB
    ));
    let proclab = tmux.proclab_pid();
    let (_, seen) = tmux.watch_processes(proclab, "three processes", |s| {
        s.contains("traced: sh -c") && s.contains("Processes (3 started, 3 alive)")
    });
    (proclab, seen)
}

/// Opens pool-sleep and presses `p` until the pool's workers are at work; returns proclab's PID
/// and the processes seen.
fn pool_sleep_under_p(tmux: &Tmux) -> (u64, BTreeSet<u64>) {
    tmux.type_line(&format!("clear; {} open pool-sleep", common::PROCLAB));
    tmux.wait_for("the lesson", |s| s.contains("pool-sleep · page 1"));
    let proclab = tmux.proclab_pid();
    tmux.keys(&["p"]);
    let (_, seen) = tmux.watch_processes(proclab, "the pool's workers at work", |s| {
        s.contains("B waiting 2 s")
    });
    (proclab, seen)
}

fn signal(pid: u64, signal: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
}

#[test]
fn p_on_process_create_runs_the_python_program_live() {
    if !python3() {
        return;
    }
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!("{} open process-create", common::PROCLAB));
    tmux.wait_for("the lesson", |s| s.contains("process-create · page 1"));
    let proclab = tmux.proclab_pid();
    tmux.keys(&["p"]);
    let (screen, seen) = tmux.watch_processes(proclab, "the traced run to finish", |s| {
        s.contains("traced: python3 program.py") && s.contains("finished in")
    });
    // The timeline has a lane per process of the program: the parent and its children.
    let lanes: Vec<u64> = screen
        .lines()
        .filter_map(|line| {
            // Right of the reading pane's border (a scrollbar when its page is long).
            let lane = line.split(['│', '█', '║', '▲', '▼']).nth(1)?;
            let mut words = lane.trim_start_matches('▶').split_whitespace();
            words.next().filter(|w| w.starts_with('w'))?;
            words.next()?.parse().ok()
        })
        .collect();
    assert!(lanes.len() >= 2, "{screen}");
    // The first lane is the parent: the PID the program itself printed (os.getpid()).
    assert!(
        screen.contains(&format!("parent: my pid is {}", lanes[0])),
        "{lanes:?}\n{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("the list", |s| s.contains("Lessons ("));
    tmux.keys(&["q"]);
    common::gone(proclab, &seen);
}

/// `proclab trace` in a terminal exits 130 after Ctrl-C (0 after `q`, below), as README says.
#[test]
fn ctrl_c_in_a_trace_screen_exits_130() {
    let tmux = Tmux::start(120, 40);
    let status = tmux.state.path().join("status");
    tmux.type_line(&format!(
        "{} trace -- sleep 30; echo $? > {}",
        common::PROCLAB,
        status.display()
    ));
    tmux.wait_for("the trace", |s| s.contains("traced: sleep 30"));
    let proclab = tmux.proclab_pid();
    tmux.keys(&["C-c"]);
    common::gone(proclab, &BTreeSet::new());
    let written = || std::fs::read_to_string(&status).unwrap_or_default();
    assert!(common::eventually(10.0, || !written().trim().is_empty()));
    assert_eq!(written().trim(), "130");
}

#[test]
fn trace_in_a_terminal_shows_the_command_tree_and_q_ends_it() {
    let tmux = Tmux::start(120, 40);
    let (proclab, seen) = trace_two_sleepers(&tmux, "");
    assert!(seen.len() >= 3, "{seen:?}");
    tmux.keys(&["q"]);
    common::gone(proclab, &seen);
}

/// The traced program's processes below proclab (its session leader, proclab's own helper, is
/// not one of them).
fn programs_processes(proclab: u64) -> BTreeSet<u64> {
    let leaders: Vec<u64> = common::children_of(proclab);
    common::descendants(proclab)
        .into_iter()
        .filter(|pid| !leaders.contains(pid))
        .collect()
}

#[test]
fn space_pauses_and_resumes_the_whole_tree_shift_k_kills_one_and_q_ends_the_rest() {
    let tmux = Tmux::start(120, 40);
    let (proclab, seen) = trace_two_sleepers(&tmux, "");
    let program = programs_processes(proclab);
    assert_eq!(program.len(), 3, "sh and its two sleeps: {program:?}");
    let all_in = |state: char| {
        common::eventually(10.0, || {
            program
                .iter()
                .all(|&pid| common::proc_state(pid).is_some_and(|(s, _)| s == state))
        })
    };
    tmux.keys(&["Space"]);
    assert!(all_in('T'), "paused: {program:?}");
    tmux.keys(&["Space"]);
    assert!(all_in('S'), "resumed: {program:?}");
    // `K`, then `y`, kills the selected process, the first: the shell. Its sleeps run on.
    let leaders = common::children_of(proclab);
    let shell = *program
        .iter()
        .find(|&&pid| common::proc_state(pid).is_some_and(|(_, ppid)| leaders.contains(&ppid)))
        .unwrap();
    tmux.keys(&["K"]);
    tmux.wait_for("the kill question", |s| {
        s.contains(&format!("(PID {shell}) with SIGKILL? y/n"))
    });
    tmux.keys(&["y"]);
    assert!(common::eventually(10.0, || !common::children_of(proclab)
        .iter()
        .any(|&leader| common::children_of(leader).contains(&shell))));
    assert_eq!(
        programs_processes(proclab).len(),
        2,
        "the two sleeps run on"
    );
    tmux.keys(&["q"]);
    common::gone(proclab, &seen);
}

/// SIGKILL of proclab while `p` runs a pool: the pool's processes end too (their socket to
/// proclab closes), and nothing is left.
#[test]
fn sigkill_of_proclab_during_p_leaves_no_python_behind() {
    if !python3() {
        return;
    }
    common::become_subreaper();
    let tmux = Tmux::start(120, 40);
    let (proclab, seen) = pool_sleep_under_p(&tmux);
    assert!(seen.len() >= 3, "{seen:?}");
    signal(proclab, nix::sys::signal::Signal::SIGKILL);
    for pid in &seen {
        assert!(
            common::eventually(5.0, || common::dead_and_reaped(*pid)),
            "{pid} outlived a SIGKILLed proclab"
        );
    }
}

/// A panic in the UI while `proclab trace` follows a tree, and SIGTERM to proclab while `p`
/// runs a pool: either way the traced processes end with proclab.
#[test]
fn a_ui_panic_or_sigterm_during_a_trace_leaves_nothing_behind() {
    let tmux = Tmux::start(120, 40);
    let (proclab, seen) = trace_two_sleepers(&tmux, "PROCLAB_DEBUG_PANIC_ON_F12=1");
    tmux.keys(&["F12"]);
    common::gone(proclab, &seen);
    tmux.wait_for("the panic message", |s| s.contains("deliberate panic"));

    if !python3() {
        return;
    }
    let (proclab, seen) = pool_sleep_under_p(&tmux);
    signal(proclab, nix::sys::signal::Signal::SIGTERM);
    common::gone(proclab, &seen);
    tmux.wait_for("the shell", |s| s.trim_end().ends_with('$'));
}
