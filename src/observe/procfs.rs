//! Reads a process's (or thread's) kernel state, parent and current core from `/proc`.

use std::fs;
use std::sync::OnceLock;
use std::time::Duration;

use crate::event::Event;

/// How often live processes' cores and states are sampled.
pub(crate) const SAMPLE_INTERVAL: Duration = Duration::from_millis(20);

/// What `/proc/<pid>/stat` says about a process right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcStat {
    /// State letter: R running, S sleeping, D disk wait, T stopped, Z zombie, …
    pub(crate) state: char,
    /// Parent PID.
    pub(crate) ppid: u32,
    /// The core it last ran on (field 39).
    pub(crate) cpu: u32,
    /// When it started, in clock ticks since boot (field 22): with the PID, who it is (a PID
    /// is reused once its process is gone, a start time is not).
    pub(crate) started: u64,
}

/// What was last reported about one process from `/proc`, so that only changes become events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Reported {
    /// The core in the last `cpu` event (or task event).
    pub(crate) cpu: Option<u32>,
    /// The state letter in the last `state` event.
    pub(crate) state: Option<char>,
    /// The parent PID in the last `state` event.
    pub(crate) ppid: Option<u32>,
}

impl Reported {
    /// The `state` and `cpu` events that `stat`, read at `t_ms`, adds to what was reported
    /// about worker slot `worker` (PID `pid`); a zombie has no core to report.
    pub(crate) fn changes(
        &mut self,
        stat: &ProcStat,
        t_ms: f64,
        worker: usize,
        pid: u32,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        if self.state != Some(stat.state) || self.ppid != Some(stat.ppid) {
            self.state = Some(stat.state);
            self.ppid = Some(stat.ppid);
            events.push(Event::State {
                t_ms,
                worker,
                pid,
                state: stat.state.to_string(),
                ppid: stat.ppid,
            });
        }
        if stat.state != 'Z' && self.cpu != Some(stat.cpu) {
            self.cpu = Some(stat.cpu);
            events.push(Event::Cpu {
                t_ms,
                worker,
                pid,
                cpu: stat.cpu,
            });
        }
        events
    }
}

/// Parses the text of a `stat` file. The command name (field 2) may hold spaces and `)`, so the
/// fields are counted from the LAST `)`.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is at 0, field 4 (ppid) at 1, field 22 (starttime) at
    // 19, field 39 (processor) at 36.
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        cpu: fields.get(36)?.parse().ok()?,
        started: fields.get(19)?.parse().ok()?,
    })
}

/// Where `/proc` is: `PROCLAB_PROC_ROOT` if set (to run as on a system without it, for
/// tests), else `/proc`.
fn proc_root() -> &'static str {
    static ROOT: OnceLock<String> = OnceLock::new();
    ROOT.get_or_init(|| std::env::var("PROCLAB_PROC_ROOT").unwrap_or_else(|_| "/proc".into()))
}

/// Reads a process's stat, or `None` if it is gone or `/proc` is unavailable.
pub(crate) fn read_process(pid: u32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("{}/{pid}/stat", proc_root())).ok()?)
}

/// Reads one thread's stat.
pub(crate) fn read_thread(pid: u32, tid: u32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("{}/{pid}/task/{tid}/stat", proc_root())).ok()?)
}

/// Whether `/proc` can tell proclab about its own process.
pub(crate) fn available() -> bool {
    read_process(std::process::id()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_name_with_spaces_and_parentheses() {
        let mut fields = vec!["S", "42"];
        fields.extend(std::iter::repeat_n("0", 17));
        fields.push("777");
        fields.extend(std::iter::repeat_n("0", 16));
        fields.push("3");
        fields.extend(["0", "0"]);
        let text = format!("1234 (a) b (c)) {}", fields.join(" "));
        assert_eq!(
            parse_stat(&text),
            Some(ProcStat {
                state: 'S',
                ppid: 42,
                cpu: 3,
                started: 777,
            })
        );
    }

    #[test]
    fn reads_our_own_process() {
        let me = read_process(std::process::id()).expect("/proc is mounted in tests");
        let this_thread =
            read_thread(std::process::id(), nix::unistd::gettid().as_raw() as u32).unwrap();
        assert_eq!(
            this_thread.state, 'R',
            "the thread reading its own stat is running"
        );
        assert_eq!(me.ppid, nix::unistd::getppid().as_raw() as u32);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_stat("no parenthesis"), None);
        assert_eq!(parse_stat("1 (x) S"), None);
    }
}
