//! `proclab trace` runs the command as a shell would: from a session leader of its own (proclab
//! run again), in a process group of its own, so the command's exit hangs nothing up. Python's
//! helper processes (the resource tracker, the forkserver) then see the signals they would in a
//! terminal; a daemon the program leaves is followed to its end, or ended with the trace, and
//! named in the report; and nothing the program starts, in any session, survives proclab, even
//! a SIGKILL of it.
//!
//! Every process a test starts carries a marker in its environment (the command and everything
//! it starts inherit it), so "nothing left" is checked over all of `/proc`. This test process is
//! a child subreaper, as PID 1 here does not reap orphans.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::tracing::{have_python, pythons};
use common::{PROCLAB, become_subreaper, dead_and_reaped, eventually, of_kind};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

const MARKER: &str = "PROCLAB_SESSION_TEST_MARKER";

/// A marker value no other test's processes carry.
fn new_marker() -> String {
    static TRIAL: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        TRIAL.fetch_add(1, Ordering::Relaxed)
    )
}

/// Processes whose environment holds `MARKER=marker`.
fn marked(marker: &str) -> Vec<u64> {
    let wanted = format!("{MARKER}={marker}");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == wanted.as_bytes()))
        })
        .collect()
}

/// Waits (5 s at most) until no marked process is left, reaping the zombies handed to this
/// process; kills and names any left.
fn nothing_left(marker: &str, what: &str) {
    let clean = eventually(5.0, || {
        marked(marker)
            .into_iter()
            .all(|pid| dead_and_reaped(pid) && !Path::new(&format!("/proc/{pid}")).exists())
    });
    let left = marked(marker);
    for &pid in &left {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        dead_and_reaped(pid);
    }
    assert!(clean, "{what}: left behind: {left:?}");
}

/// `proclab trace --json ARGS` with a marker, its events read as they come.
struct Traced {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    events: Vec<Value>,
    marker: String,
}

impl Traced {
    fn start(args: &[&str]) -> Traced {
        become_subreaper();
        let marker = new_marker();
        let mut child = Command::new(PROCLAB)
            .arg("trace")
            .arg("--json")
            .args(args)
            .env(MARKER, &marker)
            .env_remove("PYTHONUNBUFFERED")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Traced {
            child,
            lines,
            events: Vec::new(),
            marker,
        }
    }

    /// Reads events until `until` holds for the last one; panics at the end of the output.
    fn read_until(&mut self, what: &str, until: impl Fn(&Value) -> bool) {
        for line in self.lines.by_ref() {
            let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
            let done = until(&event);
            self.events.push(event);
            if done {
                return;
            }
        }
        panic!("no {what} in {:?}", self.events);
    }

    /// Reads every event to the end and waits for proclab; its exit code.
    fn finish(&mut self) -> Option<i32> {
        for line in self.lines.by_ref() {
            self.events
                .push(serde_json::from_str(&line.unwrap()).unwrap());
        }
        self.child.wait().unwrap().code()
    }

    fn of(&self, kind: &str) -> Vec<&Value> {
        of_kind(&self.events, kind)
    }

    /// The exit of `pid` in the events: (code, signal).
    fn exit_of(&self, pid: u64) -> Option<(Option<i64>, Option<i64>)> {
        self.of("exited")
            .into_iter()
            .find(|e| e["pid"].as_u64() == Some(pid))
            .map(|e| (e["code"].as_i64(), e["signal"].as_i64()))
    }
}

/// Whether a Python program printed `text` (an output event holding it).
fn printed(events: &[Value], text: &str) -> bool {
    of_kind(events, "output")
        .iter()
        .any(|e| e["text"].as_str().is_some_and(|t| t.contains(text)))
}

const LEAK: &str = "from multiprocessing import shared_memory\n\
                    import sys\n\
                    block = shared_memory.SharedMemory(create=True, size=4096, name=sys.argv[1])\n\
                    block.buf[0] = 7\n\
                    block.close()  # and no unlink: the resource tracker must clean it up\n\
                    print('left', block.name, flush=True)\n";

#[test]
fn a_leaked_shared_memory_block_is_cleaned_up_and_warned_about_as_without_trace() {
    if !have_python("a_leaked_shared_memory_block_is_cleaned_up") {
        return;
    }
    for (version, python) in pythons() {
        let python = python.to_str().unwrap();
        let block = |how: &str| format!("proclab-leak-{}-{version}-{how}", std::process::id());
        // Without trace, first: what Python does.
        let plain = Command::new(python)
            .args(["-c", LEAK, &block("plain")])
            .output()
            .unwrap();
        let gone = |name: &str| eventually(5.0, || !Path::new("/dev/shm").join(name).exists());
        assert!(
            gone(&block("plain")),
            "{version}: Python cleans up a leaked block"
        );
        let warning = "leaked shared_memory objects to clean up at shutdown";
        assert!(
            String::from_utf8_lossy(&plain.stderr).contains(warning),
            "{version}: and warns about it"
        );
        for mode in ["pty", "pipe"] {
            let name = block(mode);
            let mut args = vec!["--", python, "-c", LEAK, &name];
            if mode == "pipe" {
                args.insert(0, "--pipe");
            }
            let mut traced = Traced::start(&args);
            assert_eq!(traced.finish(), Some(0), "{version} {mode}");
            let cleaned = gone(&name);
            let _ = std::fs::remove_file(Path::new("/dev/shm").join(&name));
            assert!(
                cleaned,
                "{version} {mode}: the block is cleaned up under trace too"
            );
            assert!(
                printed(&traced.events, warning),
                "{version} {mode}: and warned about"
            );
            // The resource tracker ended as in a terminal: exit code 0, no SIGHUP.
            for exited in traced.of("exited") {
                assert_ne!(
                    exited["signal"].as_i64(),
                    Some(1),
                    "{version} {mode}: {exited}"
                );
            }
            nothing_left(&traced.marker, &format!("{version} {mode}"));
        }
    }
}

#[test]
fn pythons_helper_processes_end_as_they_would_in_a_terminal() {
    if !have_python("pythons_helper_processes_end_as_they_would_in_a_terminal") {
        return;
    }
    for (version, python) in pythons() {
        helpers_end_as_in_a_terminal(&version, python.to_str().unwrap());
    }
}

/// The forkserver pool program under trace with `python`, in a pty and with pipes: its
/// helper processes exit 0, as in a terminal.
fn helpers_end_as_in_a_terminal(version: &str, python: &str) {
    for mode in ["pty", "pipe"] {
        let mode_name = format!("{version} {mode}");
        let mode = mode_name.as_str();
        let mut args = vec!["--", python, "tests/fixtures/trace/forkserver_pool.py"];
        if mode.ends_with("pipe") {
            args.insert(0, "--pipe");
        }
        let mut traced = Traced::start(&args);
        assert_eq!(traced.finish(), Some(0), "{mode}");
        assert!(printed(&traced.events, "[0, 1, 4, 9]"), "{mode}");
        // Nothing is hung up; the processes that outlive the program (its resource tracker and
        // fork server, which end when they see it gone) exit 0, as in a terminal.
        for exited in traced.of("exited") {
            assert_ne!(exited["signal"].as_i64(), Some(1), "{mode}: {exited}");
        }
        let main = traced.of("spawned")[0]["pid"].as_u64().unwrap();
        let main_end = traced.exit_of(main).map(|_| {
            let exited = traced.of("exited");
            let main_exit = exited.iter().find(|e| e["pid"].as_u64() == Some(main));
            main_exit.and_then(|e| e["t_ms"].as_f64()).unwrap()
        });
        // (The pool's workers end by its terminate(), SIGTERM, as the program exits.)
        let last_moments = main_end.map(|t| t - 100.0);
        let later: Vec<&Value> = traced
            .of("exited")
            .into_iter()
            .filter(|e| e["t_ms"].as_f64() > last_moments && e["signal"].as_i64() != Some(15))
            .filter(|e| e["pid"].as_u64() != Some(main))
            .collect();
        assert!(
            later.len() >= 2,
            "{mode}: the tracker and the fork server: {later:?}"
        );
        for exited in later {
            assert_eq!(exited["code"].as_i64(), Some(0), "{mode}: {exited}");
        }
        nothing_left(&traced.marker, mode);
    }
}

/// A shell that leaves three daemons of 1.5 s (a `setsid -f` one, a double-forked one with
/// its fds closed, and one under `nohup`) and exits at once.
const DAEMONS: &str = "setsid -f sleep 1.5\n\
                       (setsid sh -c 'exec sleep 1.5 </dev/null >/dev/null 2>&1' &)\n\
                       nohup sleep 1.5 >/dev/null 2>&1 &\n\
                       exit 0";

#[test]
fn daemons_the_program_leaves_are_followed_to_their_end_and_named() {
    for mode in ["pty", "pipe"] {
        let mut args = vec!["--", "sh", "-c", DAEMONS];
        if mode == "pipe" {
            args.insert(0, "--pipe");
        }
        let mut traced = Traced::start(&args);
        assert_eq!(traced.finish(), Some(0), "{mode}");
        let sleeps: Vec<u64> = traced
            .of("spawned")
            .iter()
            .filter_map(|e| e["pid"].as_u64())
            .filter(|&pid| traced.exit_of(pid).is_some())
            .collect();
        let root = traced.of("spawned")[0]["pid"].as_u64().unwrap();
        let root_end = traced
            .of("exited")
            .iter()
            .find(|e| e["pid"].as_u64() == Some(root))
            .and_then(|e| e["t_ms"].as_f64())
            .unwrap();
        // Each daemon is in the events, ended on its own (exit 0), well after the command.
        let daemons: Vec<(u64, f64)> = traced
            .of("exited")
            .iter()
            .filter(|e| e["code"].as_i64() == Some(0))
            .filter_map(|e| Some((e["pid"].as_u64()?, e["t_ms"].as_f64()?)))
            .filter(|&(_, t)| t > root_end + 1000.0)
            .collect();
        assert_eq!(
            daemons.len(),
            3,
            "{mode}: {daemons:?} of {sleeps:?}: {:?}",
            traced.events
        );
        nothing_left(&traced.marker, mode);
    }
}

#[test]
fn daemons_still_running_when_the_trace_is_stopped_are_ended_and_named() {
    let script = "setsid -f sleep 60\n(setsid sh -c 'exec sleep 60 </dev/null >/dev/null 2>&1' &)\n\
                  echo started";
    let mut traced = Traced::start(&["--", "sh", "-c", script]);
    // The command exits at once; proclab says the daemons still run, and waits for them.
    traced.read_until("the notice that processes still run", |e| {
        e["event"] == "notice" && e["text"].as_str().is_some_and(|t| t.contains("still run"))
    });
    // The second daemon's subshell may still be forking it when the notice comes.
    let alive = || -> Vec<u64> {
        marked(&traced.marker)
            .into_iter()
            .filter(|&pid| pid != traced.child.id() as u64)
            .collect()
    };
    assert!(
        eventually(10.0, || alive().len() >= 3),
        "two daemons and the session leader: {:?}",
        alive()
    );
    kill(Pid::from_raw(traced.child.id() as i32), Signal::SIGTERM).unwrap();
    assert_eq!(traced.finish(), Some(130));
    // Both daemons are named, ended by proclab.
    let ended: Vec<&Value> = traced
        .of("exited")
        .into_iter()
        .filter(|e| e["signal"].as_i64().is_some())
        .collect();
    assert!(ended.len() >= 2, "{:?}", traced.events);
    nothing_left(&traced.marker, "stopped");
}

/// A Python program that starts, and leaves running: a child in a new session
/// (`Popen(start_new_session=True)`), a child under `nohup`, a `setsid -f` daemon and a
/// double-forked daemon of its own, then waits.
const ESCAPERS: &str = "import os, subprocess, sys, time\n\
                        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n\
                        subprocess.Popen(['nohup', 'sleep', '60'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
                        subprocess.run(['setsid', '-f', 'sleep', '60'])\n\
                        if os.fork() == 0:\n\
                        \x20   os.setsid()\n\
                        \x20   if os.fork() == 0:\n\
                        \x20       os.closerange(0, 100)\n\
                        \x20       time.sleep(60)\n\
                        \x20   os._exit(0)\n\
                        print('all started', flush=True)\n\
                        time.sleep(60)\n";

#[test]
fn sigkill_of_proclab_leaves_no_descendant_in_any_session() {
    if !have_python("sigkill_of_proclab_leaves_no_descendant_in_any_session") {
        return;
    }
    for mode in ["pty", "pipe"] {
        let mut args = vec!["--", "python3", "-c", ESCAPERS];
        if mode == "pipe" {
            args.insert(0, "--pipe");
        }
        let mut traced = Traced::start(&args);
        traced.read_until("all started", |e| {
            e["text"]
                .as_str()
                .is_some_and(|t| t.contains("all started"))
        });
        // The five sleepers (four escapers and the program) and the session leader.
        let ready = eventually(10.0, || marked(&traced.marker).len() >= 7);
        assert!(ready, "{mode}: {:?}", marked(&traced.marker));
        traced.child.kill().unwrap();
        traced.child.wait().unwrap();
        nothing_left(&traced.marker, mode);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a shell says about itself: its PID, process group and session (from its `stat`) and its
/// cgroup; then, as the same process (exec), the blocked and ignored signals it starts programs
/// with (read from the shell itself, they would show what it blocks while it forks).
const WHO_AM_I: &str = "cut -d' ' -f1,5,6 /proc/$$/stat\n\
                        grep '^0::' /proc/$$/cgroup\n\
                        exec grep -E '^Sig(Blk|Ign)' /proc/self/status";

/// Whether this machine lets this process make a cgroup (v2) below its own.
fn cgroups_allowed() -> bool {
    let Ok(own) = std::fs::read_to_string("/proc/self/cgroup") else {
        return false;
    };
    let Some(path) = own.lines().find_map(|l| l.strip_prefix("0::")) else {
        return false;
    };
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .iter()
        .map(|mount| format!("{mount}{path}/proclab-session-test-{}", std::process::id()))
        .any(|dir| std::fs::create_dir(&dir).is_ok() && std::fs::remove_dir(&dir).is_ok())
}

/// The signals a shell gives its foreground program at their defaults, whatever it inherited,
/// and proclab's leader likewise (with their numbers on Linux).
const SHELL_SIGNALS: [(&str, u32); 8] = [
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGTERM", 15),
    ("SIGCHLD", 17),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
];

/// The mask in a `Sig…:\t<hex>` line of /proc/PID/status.
fn mask(line: &str) -> u64 {
    u64::from_str_radix(line.split('\t').nth(1).unwrap().trim(), 16).unwrap()
}

#[test]
fn the_command_runs_as_a_shell_runs_it_in_a_group_of_its_own_with_its_signals() {
    let plain = Command::new("sh").args(["-c", WHO_AM_I]).output().unwrap();
    let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
    let plain_blocked = plain.lines().find(|l| l.starts_with("SigBlk:"));
    let plain_ignored = plain.lines().find(|l| l.starts_with("SigIgn:"));
    for mode in ["pty", "pipe"] {
        let mut args = vec!["--", "sh", "-c", WHO_AM_I];
        if mode == "pipe" {
            args.insert(0, "--pipe");
        }
        let mut traced = Traced::start(&args);
        assert_eq!(traced.finish(), Some(0), "{mode}");
        let lines: Vec<String> = traced
            .of("output")
            .iter()
            .filter_map(|e| e["text"].as_str().map(str::to_string))
            .collect();
        let ids: Vec<u64> = lines[0].split(' ').map(|n| n.parse().unwrap()).collect();
        let leader = traced.of("run_started")[0]["parent_pid"].as_u64().unwrap();
        assert_eq!(
            ids[0], ids[1],
            "{mode}: a process group of its own: {lines:?}"
        );
        assert_eq!(
            ids[2], leader,
            "{mode}: in the session proclab's leader leads"
        );
        assert_ne!(ids[2], ids[0], "{mode}: the command leads no session");
        // Nothing blocked, and none of the signals proclab's leader takes or ignores is ignored
        // in the command: it gets them as a shell's foreground program does, whatever this
        // test inherited (run in the background, it ignores SIGINT and SIGQUIT itself).
        let signal = |name: &str| lines.iter().find(|l| l.starts_with(name)).cloned();
        assert_eq!(plain_blocked, Some("SigBlk:\t0000000000000000"));
        assert_eq!(signal("SigBlk:").as_deref(), plain_blocked, "{mode}");
        let ignored = mask(&signal("SigIgn:").unwrap());
        for (name, number) in SHELL_SIGNALS {
            assert_eq!(
                ignored & (1 << (number - 1)),
                0,
                "{mode}: {name} is ignored in the command"
            );
        }
        // What other standard signal this test ignores, the command ignores too (a shell passes
        // it on). Signals 32 and 33 are the C library's own: it may have put a handler on them in
        // proclab, which exec then resets.
        let others = 0x7fff_ffff
            & !SHELL_SIGNALS
                .iter()
                .fold(0u64, |m, (_, n)| m | (1 << (n - 1)));
        let plain_others = plain_ignored.map(mask).unwrap_or(0) & others;
        assert_eq!(ignored & plain_others, plain_others, "{mode}");
        let cgroup = lines.iter().find(|l| l.starts_with("0::")).unwrap();
        if cgroups_allowed() {
            assert!(
                cgroup.ends_with(&format!("/proclab-trace-{leader}")),
                "{mode}: in the trace's own cgroup: {cgroup}"
            );
        } else {
            eprintln!("note: this machine allows no cgroup here; {mode}: {cgroup}");
        }
        nothing_left(&traced.marker, mode);
    }
}
