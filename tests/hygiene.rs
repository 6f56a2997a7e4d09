//! Process hygiene: however a run ends — `q`, Ctrl-C, SIGTERM, SIGKILL, a closed terminal, a
//! panic inside the UI, or SIGKILL while a worker is stopped — within one second of the damage no
//! process started by proclab remains (neither running nor a zombie), and a TUI run leaves the
//! terminal sane (`stty`: icanon and echo; cursor visible; main screen back). Every case runs
//! [`REPEATS`] times, headless (`proclab run pool-sleep --json`) and in the TUI (`proclab open
//! pool-sleep` in a 120×40 tmux pane), and allows zero failures.
//!
//! How "no process remains" is checked. PID 1 in this sandbox does not reap orphans, so this test
//! process makes itself a child subreaper ([`become_subreaper`]) before it starts anything: a worker
//! orphaned by a killed proclab is handed to it, and the test checks it is dead (a zombie, parent =
//! this process) and reaps it, as a working init would. That also holds inside tmux: tmux's server
//! daemonises with a double fork, so its server, started after the subreaper is set, is handed to
//! this process too (checked in [`Tmux::start`]); the pane's shell and proclab descend from it, and
//! proclab's orphans come here, not to PID 1. So no case needs the weak "gone, or a zombie that no
//! longer runs" check: every case asks for gone, or — only where proclab was killed and cannot
//! reap — a zombie handed to this process and reaped by it. Where proclab survives the damage long
//! enough to clean up (`q`, Ctrl-C, SIGTERM, SIGHUP, a panic), proclab must reap every worker
//! itself: a worker handed to the subreaper there is a failure.
//!
//! Processes are named by PID *and* start time: PIDs wrap at 32768 here, so a PID alone could name
//! a newer process. The one-second clock starts once the damage is done (the signal sent, the key
//! delivered to the pane); set-up waits have generous deadlines. Trials run in parallel threads
//! (each with a tmux server of its own), at most [`AT_ONCE`] at a time in the whole file.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{PROCLAB, become_subreaper, eventually};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// How many times each case runs.
const REPEATS: usize = 20;
/// The requirement: after the damage, no process started by proclab remains within this.
const WITHIN_SECS: f64 = 1.0;
/// Deadline for set-up steps (a screen to appear, workers to start, proclab to exit): long enough
/// for a slow, busy two-core machine; never part of the one-second requirement.
const SETUP: Duration = Duration::from_secs(30);
/// Most trials running at once in this file (each is a proclab with two workers, most in a tmux
/// server of their own).
const AT_ONCE: usize = 6;
/// How long a failed trial keeps watching leftovers, to report when (if ever) they went.
const OBSERVE_AFTER_FAILURE: f64 = 10.0;
/// Texts of the UI that must not be left on the main screen after it ends (the key bar, panel
/// titles, the lesson list's title).
const UI_TEXTS: [&str; 5] = [
    "? help",
    "No run yet",
    "Processes (",
    "page 1 of",
    "Lessons (",
];

// ----- the binary --------------------------------------------------------------------------

/// The proclab binary as built when this test process started: a hard link to it (a copy if
/// that fails) in a folder of this process's own.
///
/// Why: a rebuild of `target/debug/proclab` while these tests run would otherwise put later
/// repetitions on a different build than earlier ones.
fn proclab_bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Folders left by earlier runs whose test process is gone.
        if let Ok(entries) = std::fs::read_dir(tmp) {
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("hygiene-")
                    && pid.parse::<u32>().is_ok()
                    && !Path::new(&format!("/proc/{pid}")).exists()
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir: PathBuf = tmp.join(format!("hygiene-{}", me()));
        std::fs::create_dir_all(&dir).expect("a folder for the binary");
        let bin = dir.join("proclab");
        let _ = std::fs::remove_file(&bin);
        if std::fs::hard_link(PROCLAB, &bin).is_err() {
            std::fs::copy(PROCLAB, &bin).expect("a copy of the binary");
        }
        bin.to_string_lossy().into_owned()
    })
}

// ----- processes ---------------------------------------------------------------------------

/// A process, named by PID and start time (field 22 of `/proc/<pid>/stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Proc {
    pid: u32,
    start: u64,
}

/// What `/proc/<pid>/stat` says of a process.
#[derive(Clone, Copy, Debug)]
struct Stat {
    state: char,
    ppid: u32,
    start: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start at field 3, the state.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        start: fields.get(22 - 3)?.parse().ok()?,
    })
}

fn me() -> u32 {
    std::process::id()
}

impl Proc {
    fn of(pid: u32) -> Option<Proc> {
        stat(pid).map(|s| Proc {
            pid,
            start: s.start,
        })
    }

    /// Its state now; `None` once it is gone (reaped), even if its PID names a newer process.
    fn now(self) -> Option<Stat> {
        stat(self.pid).filter(|s| s.start == self.start)
    }

    fn describe(self) -> String {
        let Some(s) = self.now() else {
            return format!("{} (gone)", self.pid);
        };
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", self.pid))
            .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
            .unwrap_or_default();
        format!(
            "{} (state {}, parent {}{}: {})",
            self.pid,
            s.state,
            s.ppid,
            if s.ppid == me() { " = this test" } else { "" },
            cmdline.trim()
        )
    }

    /// Reaps it if it is a zombie child of this process (an orphan handed to the subreaper).
    /// True once it is gone.
    fn reap_if_ours(self) -> bool {
        match self.now() {
            None => true,
            Some(s) if s.state == 'Z' && s.ppid == me() => {
                // A zombie cannot be replaced under its PID until it is reaped, and only its
                // parent (this process) can reap it: the PID is still this process.
                let _ = waitpid(Pid::from_raw(self.pid as i32), Some(WaitPidFlag::WNOHANG));
                true
            }
            Some(_) => false,
        }
    }

    fn signal(self, signal: Signal) -> Result<(), String> {
        kill(Pid::from_raw(self.pid as i32), signal)
            .map_err(|e| format!("{signal} to {}: {e}", self.pid))
    }
}

/// Every process whose parent is `parent`.
fn children_of(parent: Proc) -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let s = stat(pid)?;
            // A child started after `parent` (its PID could name an older, unrelated parent).
            (s.ppid == parent.pid && s.start >= parent.start).then_some(Proc {
                pid,
                start: s.start,
            })
        })
        .collect()
}

/// Every process below `root`: the processes it started, theirs, and so on.
fn descendants(root: Proc) -> BTreeSet<Proc> {
    common::below(root, children_of)
}

/// The workers among `proclab`'s children: all but its fork server.
fn workers_of(proclab: Proc) -> Vec<Proc> {
    children_of(proclab)
        .into_iter()
        .filter(|&p| !is_fork_server(p))
        .collect()
}

/// Whether `p` is proclab's fork server (a child of proclab that lives as long as proclab).
fn is_fork_server(p: Proc) -> bool {
    comm(p) == proclab::engine::fork_server::SERVER_NAME
}

fn comm(p: Proc) -> String {
    std::fs::read_to_string(format!("/proc/{}/comm", p.pid))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Who reaps the workers once the damage is done.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reaper {
    /// proclab lives on long enough to clean up and must reap every worker itself; a worker
    /// handed to this process (the subreaper) means proclab left it behind.
    Proclab,
    /// proclab was killed: its orphans are handed to this process, standing in for init, which
    /// checks they are dead and reaps them. Their deaths are the workers' own doing
    /// (`PR_SET_PDEATHSIG`, EOF of stdin): nothing here kills them.
    Init,
}

/// One look at the processes still `left`: drops the ones that are gone, reaps the ones handed
/// to this process, and notes in `problem` a worker proclab should have reaped itself.
fn sweep(left: &mut BTreeSet<Proc>, reaper: Reaper, problem: &mut Option<String>) {
    left.retain(|&p| match p.now() {
        None => false,
        Some(s) if s.state == 'Z' && s.ppid == me() => {
            p.reap_if_ours();
            if reaper == Reaper::Proclab && problem.is_none() {
                *problem = Some(format!(
                    "process {} was not reaped by proclab: it was orphaned and died as a zombie \
                     handed to init (this test)",
                    p.pid
                ));
            }
            false
        }
        Some(_) => true,
    });
}

/// After the damage (done at `since`): within one second every process in `started` is gone.
/// Returns how long that took. On failure, keeps watching for a while to say when (if ever) the
/// leftovers went, then kills them so they disturb nothing else.
fn none_remain(
    started: &BTreeSet<Proc>,
    reaper: Reaper,
    since: Instant,
) -> Result<Duration, String> {
    let mut left = started.clone();
    let mut problem = None;
    let mut took = None;
    let budget = (WITHIN_SECS - since.elapsed().as_secs_f64()).max(0.0);
    let done = eventually(budget, || {
        sweep(&mut left, reaper, &mut problem);
        if left.is_empty() && took.is_none() {
            took = Some(since.elapsed());
        }
        left.is_empty() || problem.is_some()
    });
    if let Some(problem) = problem {
        return Err(problem);
    }
    if done && let Some(took) = took {
        return Ok(took);
    }
    let remaining: Vec<String> = left.iter().map(|p| p.describe()).collect();
    let later = eventually(OBSERVE_AFTER_FAILURE, || {
        sweep(&mut left, reaper, &mut problem);
        left.is_empty()
    });
    let fate = if later {
        format!(
            "all gone {:.0} ms after the damage",
            since.elapsed().as_secs_f64() * 1e3
        )
    } else {
        format!("still there {OBSERVE_AFTER_FAILURE} s later")
    };
    kill_leftovers(&left);
    Err(format!(
        "{} process(es) started by proclab remained {WITHIN_SECS} s after the damage: {}; {fate}",
        remaining.len(),
        remaining.join(", ")
    ))
}

/// SIGKILLs whatever of `procs` still runs and reaps what is handed to this process.
fn kill_leftovers(procs: &BTreeSet<Proc>) {
    for p in procs {
        if p.now().is_some_and(|s| s.state != 'Z') {
            let _ = p.signal(Signal::SIGKILL);
        }
    }
    let mut left = procs.clone();
    eventually(2.0, || {
        left.retain(|p| !p.reap_if_ours() && p.now().is_some_and(|s| s.ppid == me()));
        left.is_empty()
    });
}

/// Waits until `worker` is stopped (state T).
fn stopped(worker: Proc) -> Result<(), String> {
    worker.signal(Signal::SIGSTOP)?;
    if eventually(SETUP.as_secs_f64(), || {
        worker.now().is_some_and(|s| s.state == 'T')
    }) {
        Ok(())
    } else {
        Err(format!("worker {} did not stop", worker.describe()))
    }
}

// ----- running trials in parallel ----------------------------------------------------------

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// A place among the [`AT_ONCE`] trials that may run at the same time.
struct Permit;

impl Permit {
    fn take() -> Permit {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= AT_ONCE {
            running = FREED.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Permit
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        FREED.notify_one();
    }
}

/// Runs `trial` [`REPEATS`] times in parallel threads and fails, listing every failed repetition,
/// unless all pass. Prints how long the processes took to go (see it with `--nocapture`).
fn repeat(case: &str, trial: impl Fn() -> Result<Duration, String> + Sync) {
    become_subreaper();
    let started = Instant::now();
    let results: Vec<Result<Duration, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..REPEATS)
            .map(|_| {
                scope.spawn(|| {
                    let _permit = Permit::take();
                    trial()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|panic| {
                    Err(panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "the trial panicked".into()))
                })
            })
            .collect()
    });
    let mut times: Vec<f64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    times.sort_by(f64::total_cmp);
    let failures: Vec<String> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("  run {}: {e}", i + 1)))
        .collect();
    eprintln!(
        "hygiene {case}: {REPEATS} runs, {} failed; processes gone after median {:.0} ms, \
         max {:.0} ms (polled every 20 ms); {:.1} s in all, waits for a free place included",
        failures.len(),
        times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        times.last().copied().unwrap_or(f64::NAN),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{case}: {} of {REPEATS} runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ----- headless runs started directly ------------------------------------------------------

/// `proclab run pool-sleep --json`, mid-run: both workers are in their first sleep.
struct Headless {
    proclab: Child,
    me: Proc,
    workers: Vec<Proc>,
    /// Every process below proclab when the damage is done.
    started: BTreeSet<Proc>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

impl Headless {
    fn start() -> Result<Headless, String> {
        become_subreaper();
        let mut proclab = Command::new(proclab_bin())
            .args(["run", "pool-sleep", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("proclab does not start: {e}"))?;
        let stdout = proclab.stdout.take().expect("stdout is piped");
        let mut stderr = proclab.stderr.take().expect("stderr is piped");
        let (line_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line_tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (err_tx, stderr_text) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = err_tx.send(text);
        });
        let me = Proc::of(proclab.id()).ok_or("proclab vanished at once")?;
        let mut run = Headless {
            proclab,
            me,
            workers: Vec::new(),
            started: BTreeSet::new(),
            lines,
            stderr: stderr_text,
        };
        let deadline = Instant::now() + SETUP;
        let mut pids = BTreeSet::new();
        while pids.len() < 2 {
            let line = run
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .map_err(|_| format!("no two task_started events; stderr: {}", run.stderr()))?;
            let event: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
            if event["event"] == "task_started" {
                pids.insert(event["pid"].as_u64().ok_or("task_started without pid")? as u32);
            }
        }
        for pid in pids {
            let worker = Proc::of(pid).ok_or(format!("worker {pid} is gone mid-run"))?;
            let parent = worker.now().map(|s| s.ppid);
            if parent != Some(me.pid) {
                return Err(format!("worker {pid} has parent {parent:?}, not proclab"));
            }
            run.workers.push(worker);
        }
        run.started = descendants(me);
        if !run.workers.iter().all(|w| run.started.contains(w)) {
            return Err(format!(
                "workers {:?} not among proclab's {:?}",
                run.workers, run.started
            ));
        }
        Ok(run)
    }

    fn stderr(&self) -> String {
        self.stderr
            .recv_timeout(Duration::from_millis(100))
            .unwrap_or_default()
    }

    /// Waits for proclab's exit code and its last line of output.
    fn finish(&mut self) -> Result<(Option<i32>, String), String> {
        let deadline = Instant::now() + SETUP;
        let status = loop {
            if let Some(status) = self.proclab.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if Instant::now() > deadline {
                return Err("proclab did not exit".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut last = String::new();
        loop {
            match self.lines.recv_timeout(SETUP) {
                Ok(line) => last = line,
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => return Err("proclab's stdout stayed open".into()),
            }
        }
        Ok((status.code(), last))
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.proclab.kill();
        let _ = self.proclab.wait();
        kill_leftovers(&self.started);
    }
}

fn headless_sigterm() -> Result<Duration, String> {
    let mut run = Headless::start()?;
    run.me.signal(Signal::SIGTERM)?;
    let took = none_remain(&run.started, Reaper::Proclab, Instant::now())?;
    let (code, last) = run.finish()?;
    if code != Some(130) || !last.contains("\"stopped\":true") {
        return Err(format!(
            "after SIGTERM: exit code {code:?} (want 130), last line {last}; stderr: {}",
            run.stderr()
        ));
    }
    Ok(took)
}

fn headless_sigkill(stop_a_worker_first: bool) -> Result<Duration, String> {
    let mut run = Headless::start()?;
    if stop_a_worker_first {
        stopped(run.workers[0])?;
    }
    run.me.signal(Signal::SIGKILL)?;
    let since = Instant::now();
    let took = none_remain(&run.started, Reaper::Init, since)?;
    let _ = run.proclab.wait();
    Ok(took)
}

// ----- tmux ---------------------------------------------------------------------------------

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A tmux server of its own (120×40, one session "main" running a plain bash), handed to this
/// process as subreaper. Dropping it kills the server and reaps what it leaves to this process.
struct Tmux {
    socket: String,
    /// The server's socket file, which tmux leaves behind when its server ends.
    socket_path: Option<PathBuf>,
    server: Option<Proc>,
    shell: Option<Proc>,
    /// More processes to reap if they are handed to this process (proclab, its workers).
    tracked: BTreeSet<Proc>,
    /// proclab's state folder (saved progress), so the tests never touch the real home.
    state: tempfile::TempDir,
}

impl Tmux {
    fn start() -> Result<Tmux, String> {
        become_subreaper();
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let mut tmux = Tmux {
            socket: format!("proclab-hygiene-{}-{n}", me()),
            socket_path: None,
            server: None,
            shell: None,
            tracked: BTreeSet::new(),
            state: tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?,
        };
        let output = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "120", "-y", "40", "-s", "main"])
            // RUST_BACKTRACE=0: a panic prints three lines, not a screenful.
            .args(["env", "PS1=$ ", "TERM=xterm-256color", "RUST_BACKTRACE=0"])
            .arg(format!("XDG_STATE_HOME={}", tmux.state.path().display()))
            .args(["bash", "--norc", "--noprofile"])
            .output()
            .map_err(|e| format!("tmux does not run: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "tmux new-session failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let path = tmux.tmux(&["display-message", "-p", "-t", "main", "#{socket_path}"]);
        tmux.socket_path = Some(PathBuf::from(path.trim())).filter(|p| p.is_absolute());
        let ids = tmux.tmux(&["display-message", "-p", "-t", "main", "#{pid} #{pane_pid}"]);
        let mut ids = ids
            .split_whitespace()
            .filter_map(|id| id.parse::<u32>().ok());
        let (Some(server), Some(shell)) = (ids.next(), ids.next()) else {
            return Err("tmux did not say its PIDs".into());
        };
        tmux.server = Proc::of(server);
        tmux.shell = Proc::of(shell);
        let server_parent = tmux.server.and_then(|p| p.now()).map(|s| s.ppid);
        if server_parent != Some(me()) {
            return Err(format!(
                "the tmux server {server} has parent {server_parent:?}, not this test ({}): \
                 orphans of a proclab in the pane would go elsewhere and could not be checked",
                me()
            ));
        }
        Ok(tmux)
    }

    fn tmux(&self, args: &[&str]) -> String {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn type_line(&self, line: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", line]);
        self.keys(&["Enter"]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main"])
    }

    /// The screen and the scrollback.
    fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main", "-S", "-1000"])
    }

    /// `(alternate screen on, cursor visible, cursor row)`.
    fn flags(&self) -> (String, String, usize) {
        let text = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "main",
            "#{alternate_on} #{cursor_flag} #{cursor_y}",
        ]);
        let mut words = text.split_whitespace();
        let alternate = words.next().unwrap_or("?").to_string();
        let cursor = words.next().unwrap_or("?").to_string();
        let row = words
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or(usize::MAX);
        (alternate, cursor, row)
    }

    /// Polls the screen until `ready` holds.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + SETUP;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return Ok(screen);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out waiting for {what}; the screen:\n{screen}"
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The proclab the pane's shell started (maybe through a shell of its own).
    fn proclab(&mut self) -> Result<Proc, String> {
        let shell = self.shell.ok_or("no shell")?;
        let deadline = Instant::now() + SETUP;
        loop {
            if let Some(p) = descendants(shell)
                .into_iter()
                .find(|&p| comm(p) == "proclab")
            {
                self.tracked.insert(p);
                return Ok(p);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "proclab did not start; the screen:\n{}",
                    self.screen()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
        let mut left: BTreeSet<Proc> = self.tracked.clone();
        left.extend(self.server);
        left.extend(self.shell);
        // The server and the shell end on kill-server and are this process's to reap; anything
        // of proclab's still alive here belongs to a failed trial: make sure it ends.
        eventually(3.0, || {
            left.retain(|p| !p.reap_if_ours());
            left.is_empty()
        });
        kill_leftovers(&left);
    }
}

/// Whether `pid` is on `screen` as a number of its own.
fn shows_number(screen: &str, pid: u32) -> bool {
    let pid = pid.to_string();
    screen
        .split(|c: char| !c.is_ascii_digit())
        .any(|word| word == pid)
}

// ----- headless runs in a terminal ----------------------------------------------------------

/// How a headless run in a terminal ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Terminal {
    /// Ctrl-C typed in the pane: the terminal sends SIGINT to the whole foreground job, proclab
    /// and its workers alike.
    CtrlC,
    /// The terminal is closed (`tmux kill-session`): SIGHUP, and the terminal is gone. (bash
    /// passes the SIGHUP on to the whole foreground job, so the workers get it too.)
    Hangup,
}

fn headless_in_terminal(how: Terminal) -> Result<Duration, String> {
    let mut tmux = Tmux::start()?;
    tmux.type_line(&format!("{} run pool-sleep --json", proclab_bin()));
    let proclab = tmux.proclab()?;
    // Mid-run: both tasks started (their events are printed) and both workers are proclab's.
    let deadline = Instant::now() + SETUP;
    loop {
        let text = tmux.history();
        if text.matches("{\"event\":\"task_started\"").count() >= 2
            && workers_of(proclab).len() >= 2
        {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the run did not get going; the screen:\n{text}"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let started = descendants(proclab);
    if started.len() < 2 {
        return Err(format!("proclab's workers vanished: {started:?}"));
    }
    tmux.tracked.extend(&started);
    match how {
        Terminal::CtrlC => tmux.keys(&["C-c"]),
        Terminal::Hangup => {
            tmux.tmux(&["kill-session", "-t", "main"]);
        }
    }
    let took = none_remain(&started, Reaper::Proclab, Instant::now())?;
    if how == Terminal::CtrlC {
        tmux.wait_for("the run's last event", |s| s.contains("\"stopped\":true"))?;
        if !eventually(SETUP.as_secs_f64(), || proclab.now().is_none()) {
            return Err(format!("proclab did not exit: {}", proclab.describe()));
        }
    }
    Ok(took)
}

// ----- the TUI ------------------------------------------------------------------------------

/// What is done to a TUI mid-run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Damage {
    /// `q` on the lesson screen (back to the list, which stops the run), then `q` to leave.
    Q,
    /// Ctrl-C typed: in raw mode it is a key, and it leaves proclab.
    CtrlC,
    /// `kill -TERM`.
    Sigterm,
    /// `kill -KILL`: the workers must notice by themselves.
    Sigkill,
    /// One worker SIGSTOPped, then proclab SIGKILLed: the stopped worker must go too.
    StopThenKill,
    /// The terminal closed: `tmux kill-session` (SIGHUP).
    Hangup,
    /// F12 with `PROCLAB_DEBUG_PANIC_ON_F12=1`: a panic inside the UI.
    Panic,
}

/// `proclab open pool-sleep` in a tmux pane, `r` pressed, and the run going: both workers are
/// proclab's children and the processes panel shows their PIDs.
struct Tui {
    tmux: Tmux,
    proclab: Proc,
    workers: Vec<Proc>,
    started: BTreeSet<Proc>,
}

fn open_tui_mid_run(env: &str, damage: Damage) -> Result<Tui, String> {
    let mut tmux = Tmux::start()?;
    let status = exit_status_file(&tmux);
    let command = format!(
        "{env}{} open pool-sleep; echo $? > {}",
        proclab_bin(),
        status.display()
    );
    if damage == Damage::Hangup {
        // Closing the terminal takes the pane's shell with it: a shell of its own, whose trap
        // lets it outlive the SIGHUP (and run once proclab has ended), writes the status.
        tmux.type_line(&format!("bash -c 'trap : HUP; {command}'"));
        // That shell is this test's to reap once the pane's shell is gone.
        let _ = tmux.proclab()?;
        let shell = tmux.shell.ok_or("no shell")?;
        tmux.tracked.extend(descendants(shell));
    } else {
        tmux.type_line(&command);
    }
    let proclab = tmux.proclab()?;
    tmux.wait_for("the lesson screen", |s| s.contains("No run yet"))?;
    tmux.keys(&["r"]);
    let deadline = Instant::now() + SETUP;
    let workers = loop {
        let workers = workers_of(proclab);
        if workers.len() >= 2 {
            let screen = tmux.screen();
            if screen.contains("running") && workers.iter().all(|w| shows_number(&screen, w.pid)) {
                break workers;
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no run with its workers on screen; children {workers:?}; the screen:\n{}",
                tmux.screen()
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let started = descendants(proclab);
    if !workers.iter().all(|w| started.contains(w)) {
        return Err(format!(
            "workers {workers:?} not among proclab's {started:?}"
        ));
    }
    tmux.tracked.extend(&started);
    Ok(Tui {
        tmux,
        proclab,
        workers,
        started,
    })
}

/// Where the shell in the pane writes proclab's exit status once proclab has ended.
fn exit_status_file(tmux: &Tmux) -> PathBuf {
    tmux.state.path().join("proclab-exit-status")
}

/// proclab's exit status, as the shell that started it wrote it.
fn exit_status(tmux: &Tmux) -> Result<i32, String> {
    let file = exit_status_file(tmux);
    let mut status = None;
    eventually(SETUP.as_secs_f64(), || {
        status = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| text.trim().parse().ok());
        status.is_some()
    });
    status.ok_or_else(|| format!("no exit status in {}", file.display()))
}

/// After proclab has left: the main screen is back with the shell's prompt where the cursor is,
/// no UI text is left on it, the cursor is visible, and `stty` shows icanon and echo.
fn check_terminal(tmux: &Tmux, proclab: Proc) -> Result<(), String> {
    if !eventually(SETUP.as_secs_f64(), || proclab.now().is_none()) {
        return Err(format!("proclab did not exit: {}", proclab.describe()));
    }
    let deadline = Instant::now() + SETUP;
    let (screen, cursor) = loop {
        let (alternate, cursor, row) = tmux.flags();
        let screen = tmux.screen();
        let prompt = screen.lines().nth(row).is_some_and(|l| l.trim_end() == "$");
        if alternate == "0" && prompt {
            break (screen, cursor);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no prompt on the main screen (alternate screen {alternate}, cursor row \
                 {row}); the screen:\n{screen}"
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    if cursor != "1" {
        return Err(format!("the cursor is left hidden; the screen:\n{screen}"));
    }
    if let Some(text) = UI_TEXTS.iter().find(|t| screen.contains(*t)) {
        return Err(format!(
            "the UI's {text:?} is left on the screen:\n{screen}"
        ));
    }
    tmux.type_line(
        "echo \"STTY:$(stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | tr '\\n' ,)END\"",
    );
    let screen = tmux.wait_for("stty's answer", |s| {
        s.lines()
            .any(|l| l.starts_with("STTY:") && l.contains("END"))
    })?;
    let answer = screen
        .lines()
        .rfind(|l| l.starts_with("STTY:"))
        .and_then(|l| l["STTY:".len()..].split_once("END"))
        .map(|(words, _)| words.split(',').collect::<Vec<_>>())
        .unwrap_or_default();
    if !answer.contains(&"icanon") || !answer.contains(&"echo") {
        return Err(format!(
            "the terminal is left without icanon or echo:\n{screen}"
        ));
    }
    Ok(())
}

fn tui(damage: Damage) -> Result<Duration, String> {
    let env = if damage == Damage::Panic {
        "PROCLAB_DEBUG_PANIC_ON_F12=1 "
    } else {
        ""
    };
    let tui = open_tui_mid_run(env, damage)?;
    if damage == Damage::StopThenKill {
        stopped(tui.workers[0])?;
    }
    match damage {
        Damage::Q => tui.tmux.keys(&["q"]),
        Damage::CtrlC => tui.tmux.keys(&["C-c"]),
        Damage::Sigterm => tui.proclab.signal(Signal::SIGTERM)?,
        Damage::Sigkill | Damage::StopThenKill => tui.proclab.signal(Signal::SIGKILL)?,
        Damage::Hangup => {
            tui.tmux.tmux(&["kill-session", "-t", "main"]);
        }
        Damage::Panic => tui.tmux.keys(&["F12"]),
    }
    let since = Instant::now();
    let reaper = match damage {
        Damage::Sigkill | Damage::StopThenKill => Reaper::Init,
        _ => Reaper::Proclab,
    };
    // After `q` proclab is still running (at the lesson list), and so is its fork server: the
    // run's processes must be gone now, the server once proclab has left.
    let (fork_server, run_processes): (BTreeSet<Proc>, BTreeSet<Proc>) = match damage {
        Damage::Q => tui.started.iter().partition(|&&p| is_fork_server(p)),
        _ => (BTreeSet::new(), tui.started.clone()),
    };
    let took = none_remain(&run_processes, reaper, since)?;
    match damage {
        Damage::Q => {
            tui.tmux
                .wait_for("the lesson list", |s| s.contains("Lessons ("))?;
            tui.tmux.keys(&["q"]);
            check_terminal(&tui.tmux, tui.proclab)?;
            none_remain(&fork_server, Reaper::Proclab, Instant::now())?;
        }
        Damage::CtrlC | Damage::Sigterm | Damage::Panic => {
            check_terminal(&tui.tmux, tui.proclab)?;
        }
        // Nothing can catch SIGKILL, so proclab cannot restore the terminal: the shell is left
        // with raw mode and the alternate screen. Only the processes are checked.
        Damage::Sigkill | Damage::StopThenKill => {}
        // The pane and its terminal are gone: only the processes are checked.
        Damage::Hangup => {}
    }
    // Interrupted (Ctrl-C, SIGTERM, SIGHUP) is 130, as README promises; a panic is Rust's 101.
    let want = match damage {
        Damage::Q => Some(0),
        Damage::CtrlC | Damage::Sigterm | Damage::Hangup => Some(130),
        Damage::Panic => Some(101),
        Damage::Sigkill | Damage::StopThenKill => None,
    };
    if let Some(want) = want {
        let status = exit_status(&tui.tmux)?;
        if status != want {
            return Err(format!(
                "proclab exited with {status}, not {want} after {damage:?}"
            ));
        }
    }
    Ok(took)
}

/// `zombies-and-orphans` in the TUI, paused (Space: SIGSTOP to every process of the run) while
/// the orphan that proclab adopted runs, then SIGKILL to proclab: the stopped orphan goes too.
///
/// The shell runs without job control (`set +m`), so proclab shares its process group: the
/// kernel's rule for orphaned process groups (SIGHUP and SIGCONT to a group that loses its last
/// link outside and has a stopped member) does not apply, as when a script starts proclab, and
/// nothing but proclab's own care ends the stopped orphan.
fn tui_paused_orphan_then_sigkill() -> Result<Duration, String> {
    let mut tmux = Tmux::start()?;
    tmux.type_line("set +m");
    tmux.type_line(&format!(
        "{} open zombies-and-orphans --speed 2",
        proclab_bin()
    ));
    let proclab = tmux.proclab()?;
    tmux.wait_for("the lesson screen", |s| s.contains("No run yet"))?;
    tmux.keys(&["r"]);
    let deadline = Instant::now() + SETUP;
    let orphan = loop {
        if let Some(orphan) = workers_of(proclab)
            .into_iter()
            .find(|&p| cmdline(p).contains("__orphan"))
        {
            break orphan;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "proclab never adopted the orphan; the screen:\n{}",
                tmux.screen()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let started = descendants(proclab);
    tmux.tracked.extend(&started);
    tmux.keys(&["Space"]);
    if !eventually(SETUP.as_secs_f64(), || {
        orphan.now().is_some_and(|s| s.state == 'T')
    }) {
        return Err(format!("the orphan was not paused: {}", orphan.describe()));
    }
    proclab.signal(Signal::SIGKILL)?;
    none_remain(&started, Reaper::Init, Instant::now())
}

fn cmdline(p: Proc) -> String {
    std::fs::read(format!("/proc/{}/cmdline", p.pid))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .unwrap_or_default()
}

// ----- the cases ----------------------------------------------------------------------------

#[test]
fn run_ctrl_c_mid_run_leaves_no_process() {
    repeat("run: Ctrl-C", || headless_in_terminal(Terminal::CtrlC));
}

#[test]
fn run_sigterm_leaves_no_process() {
    repeat("run: SIGTERM", headless_sigterm);
}

#[test]
fn run_sigkill_workers_notice_by_themselves() {
    repeat("run: SIGKILL", || headless_sigkill(false));
}

#[test]
fn run_sigkill_with_a_stopped_worker_leaves_no_process() {
    repeat("run: SIGSTOP a worker, SIGKILL", || headless_sigkill(true));
}

#[test]
fn run_terminal_closed_sighup_leaves_no_process() {
    repeat("run: SIGHUP (kill-session)", || {
        headless_in_terminal(Terminal::Hangup)
    });
}

#[test]
fn tui_q_mid_run_leaves_no_process_and_a_sane_terminal() {
    repeat("TUI: q", || tui(Damage::Q));
}

#[test]
fn tui_ctrl_c_mid_run_leaves_no_process_and_a_sane_terminal() {
    repeat("TUI: Ctrl-C", || tui(Damage::CtrlC));
}

#[test]
fn tui_sigterm_leaves_no_process_and_a_sane_terminal() {
    repeat("TUI: SIGTERM", || tui(Damage::Sigterm));
}

#[test]
fn tui_sigkill_workers_notice_by_themselves() {
    repeat("TUI: SIGKILL", || tui(Damage::Sigkill));
}

#[test]
fn tui_sigkill_with_a_stopped_worker_leaves_no_process() {
    repeat("TUI: SIGSTOP a worker, SIGKILL", || {
        tui(Damage::StopThenKill)
    });
}

#[test]
fn tui_pause_then_sigkill_leaves_no_stopped_orphan() {
    repeat(
        "TUI: pause with an orphan, SIGKILL",
        tui_paused_orphan_then_sigkill,
    );
}

#[test]
fn tui_terminal_closed_sighup_leaves_no_process() {
    repeat("TUI: SIGHUP (kill-session)", || tui(Damage::Hangup));
}

#[test]
fn tui_panic_leaves_no_process_and_a_sane_terminal() {
    repeat("TUI: panic", || tui(Damage::Panic));
}

/// After a panic in the UI, the panic message stays readable: the shell's prompt comes below it,
/// so what is typed next does not overwrite it.
///
/// This guards against restoring the terminal twice (once in the panic hook, before the message,
/// and again while unwinding): the second `ESC[?1049l` would restore the cursor saved when the UI
/// started (xterm and tmux do so even on the main screen) and put the prompt above the message.
#[test]
fn tui_panic_leaves_the_prompt_below_the_panic_message() {
    become_subreaper();
    let tui = open_tui_mid_run("PROCLAB_DEBUG_PANIC_ON_F12=1 ", Damage::Panic).unwrap();
    tui.tmux.keys(&["F12"]);
    assert!(
        none_remain(&tui.started, Reaper::Proclab, Instant::now()).is_ok(),
        "workers left behind"
    );
    let screen = tui
        .tmux
        .wait_for("the panic message and a prompt", |s| {
            s.contains("a deliberate panic") && s.lines().any(|l| l.trim_end() == "$")
        })
        .unwrap();
    let message_row = screen
        .lines()
        .position(|l| l.contains("a deliberate panic"))
        .unwrap();
    let (_, _, cursor_row) = tui.tmux.flags();
    assert!(
        cursor_row > message_row,
        "the prompt (cursor row {cursor_row}) is above the panic message (row {message_row}): \
         the next command overwrites it:\n{screen}"
    );
}
