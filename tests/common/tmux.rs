//! A real terminal for tests: a tmux server of its own running a plain shell, keys typed with
//! `send-keys`, the screen read with `capture-pane`. Every wait polls with a deadline; the server
//! is killed when the value is dropped, even on failure.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Long enough for a slow, busy two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(30);

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A tmux server of its own with one session running a plain shell; killed when dropped.
pub struct Tmux {
    socket: String,
    /// proclab's state folder (`XDG_STATE_HOME`), so the tests never touch the real home.
    pub state: tempfile::TempDir,
}

impl Tmux {
    pub fn start(width: u16, height: u16) -> Tmux {
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let tmux = Tmux {
            socket: format!("proclab-test-{}-{n}", std::process::id()),
            state: tempfile::tempdir().expect("a temporary folder"),
        };
        let state = format!("XDG_STATE_HOME={}", tmux.state.path().display());
        let (w, h) = (width.to_string(), height.to_string());
        let status = Command::new("tmux")
            .args([
                "-L",
                &tmux.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &w,
                "-y",
                &h,
                "-s",
                "main",
            ])
            .args([
                "env",
                "PS1=$ ",
                "TERM=xterm-256color",
                &state,
                "bash",
                "--norc",
                "--noprofile",
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types a command line into the shell and presses Enter.
    pub fn type_line(&self, line: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", line]);
        self.keys(&["Enter"]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main"])
    }

    /// Waits until `ready` holds on screen, noting every process below `root` meanwhile
    /// (looked for every millisecond or so: a short program's processes live for a few);
    /// returns the screen and the processes seen.
    pub fn watch_processes(
        &self,
        root: u64,
        what: &str,
        ready: impl FnMut(&str) -> bool,
    ) -> (String, std::collections::BTreeSet<u64>) {
        let done = Arc::new(AtomicBool::new(false));
        let looker = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeSet::new();
                while !done.load(Ordering::Relaxed) {
                    seen.extend(super::descendants(root));
                    std::thread::sleep(Duration::from_millis(1));
                }
                seen
            })
        };
        let screen = self.wait_for(what, ready);
        done.store(true, Ordering::Relaxed);
        (screen, looker.join().expect("the process watcher"))
    }

    /// Polls the screen until `ready` holds; panics with the last screen after the deadline.
    pub fn wait_for(&self, what: &str, mut ready: impl FnMut(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn shell_pid(&self) -> u32 {
        self.tmux(&["display-message", "-p", "-t", "main", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("a pane PID")
    }

    /// The PID of the proclab the pane's shell started (waits for it to start).
    pub fn proclab_pid(&self) -> u64 {
        let shell = u64::from(self.shell_pid());
        let start = Instant::now();
        loop {
            let found = super::children_of(shell).into_iter().find(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim() == "proclab")
            });
            if let Some(pid) = found {
                return pid;
            }
            assert!(start.elapsed() < DEADLINE, "proclab did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
