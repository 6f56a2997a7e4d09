//! Task functions that start processes of the worker's own: an orphan, and children started by
//! `fork` or by `spawn` (fork, then exec of a fresh program), for the lessons about them.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, getppid};

use crate::task::StartMethod;

/// The hidden subcommand an orphan runs.
pub const ORPHAN_ARG: &str = "__orphan";
/// The hidden subcommand a spawned child runs: it reports what it sees and exits.
pub const PROBE_ARG: &str = "__probe";

/// The variable a `start_children` task sets to 42 before starting children. A forked child
/// has a copy of it (42); a spawned child is a fresh program, where it is still 0.
static VALUE: AtomicU64 = AtomicU64::new(0);

/// What a child saw: the variable and how many file descriptors it had open.
fn probe_line() -> String {
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count().saturating_sub(1));
    format!("{} {fds}\n", VALUE.load(Ordering::SeqCst))
}

/// `proclab __probe`: prints what a fresh program sees, then exits.
pub fn probe_main() -> ! {
    let _ = std::io::stdout().write_all(probe_line().as_bytes());
    std::process::exit(0)
}

/// Starts `times` children by `method`, waiting for each; returns the line to print and the
/// mean microseconds per start, exit and wait.
pub fn start_children(method: StartMethod, times: u64) -> (String, f64) {
    VALUE.store(42, Ordering::SeqCst);
    let mut seen = String::new();
    let start = Instant::now();
    for _ in 0..times {
        seen = match method {
            StartMethod::Fork => fork_one(),
            StartMethod::Spawn => spawn_one(),
        }
        .unwrap_or_else(|error| format!("failed: {error}"));
    }
    let mean_us = start.elapsed().as_secs_f64() * 1e6 / times.max(1) as f64;
    let mut fields = seen.split_whitespace();
    let (value, fds) = (fields.next().unwrap_or("?"), fields.next().unwrap_or("?"));
    let line = format!(
        "{}: {times} children; each saw VALUE = {value} (this worker set it to 42 before \
         starting them); {fds} file descriptors open in the child; {mean_us:.0} µs per start, \
         exit and wait (mean of {times})",
        method.name()
    );
    (line, mean_us)
}

/// One forked child: it reports through a pipe and exits at once.
fn fork_one() -> std::io::Result<String> {
    let (read, write) = nix::unistd::pipe()?;
    // SAFETY: the worker runs tasks on its only thread, so the child is a copy of a
    // single-threaded process and may allocate; it writes its line and leaves with _exit.
    match unsafe { fork() }? {
        ForkResult::Child => {
            drop(read);
            let _ = nix::unistd::write(&write, probe_line().as_bytes());
            // SAFETY: ends the child without running the parent's exit handlers twice.
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(write);
            let mut line = String::new();
            std::fs::File::from(read).read_to_string(&mut line)?;
            waitpid(child, None)?;
            Ok(line)
        }
    }
}

/// One spawned child: a fresh run of this binary that reports what it sees.
fn spawn_one() -> std::io::Result<String> {
    let output = Command::new(crate::protocol::own_binary()?)
        .arg(PROBE_ARG)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// How long the worker stays after its orphan-to-be has said who its parent is, so that
/// proclab's sampling (every 20 ms) sees the worker as its parent before the change.
pub const LINGER: Duration = Duration::from_millis(60);

/// Starts an orphan-to-be that lives `secs` seconds and waits until it has said who its parent
/// is (it writes one byte back when it has); returns its PID. The worker then reports it and
/// stays [`LINGER`] longer before it exits.
pub fn start_orphan(secs: f64) -> std::io::Result<u32> {
    let proclab = getppid().as_raw();
    let (ready_read, ready_write) = nix::unistd::pipe()?;
    // The child's stdin is the write end of a pipe: it writes one byte there once it has
    // printed its first line, and the worker leaves only after reading it.
    let child = Command::new(crate::protocol::own_binary()?)
        .args([ORPHAN_ARG, &secs.to_string(), &proclab.to_string()])
        .stdin(Stdio::from(ready_write))
        .spawn()?;
    let mut byte = [0u8; 1];
    let _ = std::fs::File::from(ready_read).read(&mut byte);
    Ok(child.id())
}

/// `proclab __orphan SECS PROCLAB_PID`: says who its parent is, and again each time that
/// changes, for `SECS` seconds. It leaves early if proclab itself is gone.
///
/// It must outlive its parent (that is the lesson), so its parent's death cannot kill it; it
/// continues it instead (`PR_SET_PDEATHSIG` with SIGCONT, harmless to a running process): an
/// orphan that proclab paused (SIGSTOP) and that then loses proclab runs again, sees that
/// nobody is watching, and leaves.
pub fn orphan_main(args: &[String]) -> ! {
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGCONT);
    let secs: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let proclab: i32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let me = std::process::id();
    let started_by = getppid();
    say(&format!(
        "orphan {me}: my parent is {started_by}, the worker that started me"
    ));
    // Tell the worker it may leave now (stdin is the write end of its pipe).
    let _ = nix::unistd::write(std::io::stdin(), b"!");
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut parent = started_by;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        let now = getppid();
        if now != parent {
            parent = now;
            say(&format!(
                "orphan {me}: my parent is now {now}: the worker exited and I was re-parented"
            ));
        }
        if parent != started_by && parent != Pid::from_raw(proclab) {
            std::process::exit(1); // proclab is gone too: nobody is watching
        }
    }
    say(&format!("orphan {me}: done; my parent {parent} reaps me"));
    std::process::exit(0)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(1); // the pipe to proclab is closed: proclab is gone
    }
}

/// Marks `file` close-on-exec, so programs the worker starts do not inherit it.
pub fn close_on_exec<F: AsRawFd>(file: &F) {
    // SAFETY: F_SETFD on a descriptor this process owns.
    unsafe { nix::libc::fcntl(file.as_raw_fd(), nix::libc::F_SETFD, nix::libc::FD_CLOEXEC) };
}
