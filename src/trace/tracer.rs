//! The trace loop: one thread starts the command, then waits on its output, the socket and a
//! 5 ms clock; finds new processes in `/proc`, samples cores and states every 20 ms, reaps what
//! is proclab's to reap, and turns all of it into [`Event`]s in the order proclab learned it.
//!
//! Whatever happens (the end, a stop, a panic unwinding through here), `Drop for Tracer` kills
//! every process of the trace that is still running and reaps proclab's own children.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::command::{PythonMode, command_line, cut, python_mode};
use super::launch;
use super::message::{Items, Kind, Message};
use super::output::ProgramOutput;
use super::server::Server;
use super::session::{Report, Session};
use super::tasks::{TaskNews, TaskTable};
use super::tree;
use super::workspace::Workspace;
use super::{TraceOutcome, TraceSpec};
use crate::event::{Event, RunSource, StageKind, Stream};
use crate::limits;
use crate::observe::clock::{Period, RunClock, monotonic_ns};
use crate::observe::controls::{Control, Controlled, Controls, StopCause};
use crate::observe::emitter::Emitter;
use crate::observe::exit::{self, ExitStatus};
use crate::observe::lines::LineReader;
use crate::observe::outbox::Outbox;
use crate::observe::procfs::{self, Reported, SAMPLE_INTERVAL};
use crate::observe::ready;

/// How often the process tree is searched for new processes and ended ones.
const SCAN_INTERVAL: Duration = Duration::from_millis(5);
/// How long reports may gather once the socket has one, before a turn reads them.
const GATHER: Duration = Duration::from_millis(1);
/// Reports gather only while the last turn read fewer bytes than this.
const GATHER_BELOW_BYTES: usize = 16 * 1024;
/// How long an ended process's exit code may take to arrive from its (instrumented) parent.
const EXIT_GRACE: Duration = Duration::from_millis(200);
/// How long an ended process's exit code may take to arrive from the session leader, which
/// reports each process it reaps as soon as it has (it may be busy on a loaded machine).
const LEADER_GRACE: Duration = Duration::from_millis(50);
/// Most extra reads while a report waits for its caller's `queued`.
const CATCH_UP_READS: usize = 16;
/// Most reads of what ended processes left in the socket.
const FINAL_READS: usize = 64;
/// How long a stop waits after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(500);
/// How long a stop waits after SIGKILL before it finishes regardless.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long output may keep arriving after every traced process ended.
const OUTPUT_GRACE: Duration = Duration::from_millis(300);
/// Longest API name kept (the instrumentation's are short: `Pool.imap_unordered`).
const MAX_API_CHARS: usize = 64;
/// How long a `/proc` reading for task events is reused.
const READING_REUSE: Duration = Duration::from_millis(1);
/// Most processes one trace follows.
const MAX_TRACED: usize = limits::MAX_WORKERS as usize * 4;

/// One process of the traced program.
#[derive(Debug)]
struct Traced {
    pid: u32,
    slot: usize,
    /// Its `exited` event is out.
    ended: bool,
    /// When it was first seen gone from `/proc` or a zombie.
    gone_ns: Option<u64>,
    /// Gone from `/proc`: reaped by someone.
    joined: bool,
    /// Its `joined` event is out.
    join_announced: bool,
    /// How it ended, from a source that knows: proclab's own wait, its zombie's `stat`, or its
    /// parent's `process_exited`.
    status: Option<ExitStatus>,
    /// The code it said it was about to exit with.
    exiting_code: Option<i32>,
    /// What its events last said about its state, parent and core.
    reported: Reported,
    /// The last reading of its core for a task event: when, and the core.
    task_core: Option<(u64, Option<u32>)>,
    /// Tasks it started and has not finished, with their labels.
    in_flight: Vec<(usize, String)>,
    /// Its start time (`/proc` ticks), once read: a live process with its PID and another start
    /// time is another process, which took the PID over.
    started: Option<u64>,
}

/// Per-process splitters of the text in `output` messages.
type OutputSplitters = HashMap<(u32, u8), LineReader>;

/// A trace in progress.
pub struct Tracer {
    out: Emitter,
    controls: Controls,
    me: u32,
    /// The session leader's start time, to tell it from a process that took its PID over once
    /// it ended.
    leader_started: Option<u64>,
    /// The command's session: its leader is the command's parent, the subreaper of all it
    /// starts, and reaps them.
    session: Session,
    /// The command.
    root: u32,
    /// Its exit status came.
    root_reaped: bool,
    /// Children of proclab found not to be the program's (a lesson's worker, another
    /// command); proclab adopts the program's only if its session leader died.
    foreign: HashSet<u32>,
    /// Its pty, or its stdout and stderr pipes.
    output: ProgramOutput,
    server: Option<Server>,
    _workspace: Workspace,
    python: PythonMode,
    /// Some Python process said hello: its output comes with its PID in messages.
    instrumented: bool,
    splitters: OutputSplitters,
    procs: Vec<Traced>,
    by_pid: HashMap<u32, usize>,
    /// PIDs that connected but are not part of the program.
    strangers: HashSet<u32>,
    tasks: TaskTable,
    lost: Vec<usize>,
    children_files: bool,
    scanning: Period,
    sampling: Period,
    stopped: bool,
    term_deadline_ns: Option<u64>,
    kill_deadline_ns: Option<u64>,
    all_ended_ns: Option<u64>,
    said_still_running: bool,
    said_too_many: bool,
    was_subreaper: bool,
}

impl Tracer {
    /// Starts `spec`'s command and announces the run; its events go to `outbox`.
    pub fn start(
        spec: &TraceSpec,
        outbox: Outbox,
        control: Option<Receiver<Control>>,
        interrupted: Option<Arc<AtomicBool>>,
    ) -> std::io::Result<Tracer> {
        let Some(name) = spec.command.first() else {
            return Err(std::io::Error::new(
                ErrorKind::InvalidInput,
                "no command to trace: give one after --, e.g. proclab trace -- python3 prog.py",
            ));
        };
        let program = launch::resolve(name)?;
        let python = python_mode(&spec.command);
        let workspace = Workspace::create(python == PythonMode::Instrumented)?;
        let server = Server::bind(&workspace.socket_path())?;
        let mut env: Vec<(OsString, OsString)> = Vec::new();
        if python == PythonMode::Instrumented {
            let mut path = OsString::from(workspace.path());
            if let Some(old) = std::env::var_os("PYTHONPATH").filter(|p| !p.is_empty()) {
                path.push(":");
                path.push(old);
            }
            env.push(("PYTHONPATH".into(), path));
            env.push((
                "PROCLAB_TRACE_SOCKET".into(),
                workspace.socket_path().into_os_string(),
            ));
            env.push(("PROCLAB_TRACE_EXIT_WITH_PROCLAB".into(), "1".into()));
            env.push((
                "PROCLAB_TRACE_MAX_TASKS".into(),
                limits::MAX_TASKS.to_string().into(),
            ));
            if spec.speed != 1.0 {
                env.push(("PROCLAB_TRACE_SPEED".into(), spec.speed.to_string().into()));
            }
            if let Some(method) = spec.start_method {
                env.push(("PROCLAB_TRACE_START_METHOD".into(), method.name().into()));
            }
        }
        let me = std::process::id();
        let was_subreaper = nix::sys::prctl::get_child_subreaper().unwrap_or(false);
        // Should the session leader die, what it leaves is re-parented to proclab, which then
        // follows and reaps it.
        nix::sys::prctl::set_child_subreaper(true)?;
        let clock = RunClock::start_now();
        let (session, raw_output) = match Session::start(&program, &spec.command, &env, spec.pipe) {
            Ok(started) => started,
            Err(error) => {
                if !was_subreaper {
                    let _ = nix::sys::prctl::set_child_subreaper(false);
                }
                return Err(error);
            }
        };
        let launched_ns = monotonic_ns();
        let root = session.command();
        let leader_started = procfs::read_process(session.leader()).map(|stat| stat.started);
        let mut tracer = Tracer {
            out: Emitter::new(outbox, clock),
            controls: Controls::new(control, interrupted),
            me,
            leader_started,
            session,
            root,
            root_reaped: false,
            foreign: HashSet::new(),
            output: ProgramOutput::new(raw_output, spec.echo),
            server: Some(server),
            _workspace: workspace,
            python,
            instrumented: false,
            splitters: HashMap::new(),
            procs: Vec::new(),
            by_pid: HashMap::new(),
            strangers: HashSet::new(),
            tasks: TaskTable::default(),
            lost: Vec::new(),
            children_files: tree::children_files_available(),
            scanning: Period::new(SCAN_INTERVAL, launched_ns),
            sampling: Period::new(SAMPLE_INTERVAL, launched_ns),
            stopped: false,
            term_deadline_ns: None,
            kill_deadline_ns: None,
            all_ended_ns: None,
            said_still_running: false,
            said_too_many: false,
            was_subreaper,
        };
        tracer.announce(spec, launched_ns);
        Ok(tracer)
    }

    fn announce(&mut self, spec: &TraceSpec, launched_ns: u64) {
        self.emit(Event::RunStarted {
            t_ms: 0.0,
            lesson: super::LESSON.into(),
            source: RunSource::Trace,
            parent_pid: self.session.leader(),
            cores: crate::engine::available_cores(),
            workers: 1,
            speed: spec.speed,
            stages: 1,
            version: env!("CARGO_PKG_VERSION").to_string(),
        });
        self.emit(Event::StageStarted {
            t_ms: 0.0,
            stage: 0,
            name: command_line(&spec.command),
            kind: StageKind::Processes,
            workers: 1,
            chunksize: None,
            tasks: 0,
            sweep_workers: None,
            sweep_part: None,
        });
        let spawn_us = launched_ns.saturating_sub(self.out.clock.start_ns()) as f64 / 1e3;
        self.track(self.root, self.session.leader(), spawn_us);
        match &self.python {
            PythonMode::Blocked(flag) => self.notice(format!(
                "python was started with {flag}, which keeps proclab's instrumentation from \
                 loading: process-level detail only (no tasks; output is the main process's)"
            )),
            PythonMode::NotPython if spec.speed != 1.0 => self.notice(
                "--speed only shortens Python's time.sleep; this command is not Python and runs \
                 at its own pace",
            ),
            _ => {}
        }
        if !procfs::available() {
            self.notice(
                "/proc is not readable here: proclab cannot follow the program's processes",
            );
        }
    }

    fn t_ms(&self, t_ns: u64) -> f64 {
        self.out.clock.ms(t_ns)
    }

    fn now_ms(&self) -> f64 {
        self.out.clock.now_ms()
    }

    fn emit(&mut self, event: Event) {
        if self.out.emit(event).is_err() {
            self.end_program();
        }
    }

    fn notice(&mut self, text: impl Into<String>) {
        if self.out.notice(text).is_err() {
            self.end_program();
        }
    }

    /// Follows a new process of the program; returns its index, `None` past the limit.
    fn track(&mut self, pid: u32, ppid: u32, spawn_us: f64) -> Option<usize> {
        if let Some(&index) = self.by_pid.get(&pid) {
            return Some(index);
        }
        if self.procs.len() >= MAX_TRACED {
            if !self.said_too_many {
                self.said_too_many = true;
                self.notice(format!(
                    "the program started more than {MAX_TRACED} processes: proclab follows the \
                     first {MAX_TRACED} only"
                ));
            }
            return None;
        }
        let index = self.procs.len();
        self.procs.push(Traced {
            pid,
            slot: index,
            ended: false,
            gone_ns: None,
            joined: false,
            join_announced: false,
            status: None,
            exiting_code: None,
            reported: Reported::default(),
            task_core: None,
            in_flight: Vec::new(),
            started: None,
        });
        self.by_pid.insert(pid, index);
        // A stranger's PID, reused by a process of the program.
        self.strangers.remove(&pid);
        let t_ms = self.now_ms();
        self.emit(Event::Spawned {
            t_ms,
            worker: index,
            pid,
            ppid,
            stage: 0,
            tid: None,
            spawn_us,
            pinned: None,
            adopted: false,
        });
        // A first sample now: a process living less than a sampling period still shows its
        // state and core.
        self.sample_one(index, monotonic_ns());
        Some(index)
    }

    /// Runs until the program and every process it started have ended (or it is stopped),
    /// then finishes the run.
    pub fn run(mut self) -> std::io::Result<TraceOutcome> {
        while !self.done() {
            self.pump();
        }
        Ok(self.finish())
    }

    fn done(&mut self) -> bool {
        let now = monotonic_ns();
        if let Some(deadline) = self.kill_deadline_ns
            && now > deadline
        {
            return true;
        }
        let all_ended = self.root_reaped && self.procs.iter().all(|p| p.ended);
        if !all_ended {
            self.all_ended_ns = None;
            return false;
        }
        let since = *self.all_ended_ns.get_or_insert(now);
        self.output.is_finished()
            || self.stopped
            || now.saturating_sub(since) > OUTPUT_GRACE.as_nanos() as u64
    }

    /// One turn: waits for output, messages or the next scan; handles what came.
    fn pump(&mut self) {
        let wait = self.scanning.until(monotonic_ns()).min(SCAN_INTERVAL);
        let (socket_ready, outputs_ready) = self.wait_for_input(wait);
        if socket_ready {
            // Small reports (one a chunk of one item) come one by one: read as soon as the
            // first is there, each would cost a turn (and its worker a wake-up of proclab);
            // a moment later, a turn reads many. Big ones are read at once, so a worker never
            // waits for room in its socket.
            if self
                .server
                .as_ref()
                .is_some_and(|s| s.last_read_bytes < GATHER_BELOW_BYTES)
            {
                std::thread::sleep(GATHER);
            }
            self.receive_messages();
        }
        let reports = self.session.reports();
        self.session_reports(reports);
        // Highest first: an output at its end is removed, which moves those after it.
        for index in outputs_ready.into_iter().rev() {
            let (stream, lines) = self.output.read(index);
            self.raw_lines(stream, lines);
        }
        let now = monotonic_ns();
        if self.scanning.due(now) {
            self.scan();
        }
        if self.sampling.due(now) {
            self.sample();
        }
        self.settle_exits();
        self.check_controls();
        self.escalate();
    }

    /// Polls the socket and the outputs; returns whether the socket side has something and
    /// which outputs do.
    fn wait_for_input(&self, wait: Duration) -> (bool, Vec<usize>) {
        let mut fds = self.server.as_ref().map_or(Vec::new(), Server::fds);
        let socket_count = fds.len();
        fds.extend(self.output.fds());
        let output_count = fds.len() - socket_count;
        // The session's reports are read every turn: polling its channel only wakes the turn.
        fds.extend(self.session.fd());
        let ready = ready::readable(&fds, wait);
        let socket = ready.iter().any(|&i| i < socket_count);
        let outputs = ready
            .into_iter()
            .filter(|&i| i >= socket_count && i < socket_count + output_count)
            .map(|i| i - socket_count)
            .collect();
        (socket, outputs)
    }

    /// What the session leader reported: the processes it reaped (the command, and orphans
    /// of the program it was handed), each named in the run even if it was never seen alive.
    fn session_reports(&mut self, reports: Vec<Report>) {
        for report in reports {
            let Report::Reaped { pid, status, t_ns } = report else {
                continue;
            };
            if pid == self.root {
                self.root_reaped = true;
            }
            let index = match self.by_pid.get(&pid) {
                Some(&index) => Some(index),
                // Its end can be known before this report (its zombie's status, read from
                // `/proc`), and its PID then forgotten: the same process, not a new one.
                None => self
                    .ended_child_of_leader(pid)
                    .or_else(|| self.track(pid, self.session.leader(), 0.0)),
            };
            if let Some(index) = index {
                let proc = &mut self.procs[index];
                proc.status.get_or_insert(status);
                proc.gone_ns.get_or_insert(t_ns);
                proc.joined = true;
            }
        }
    }

    /// The process with PID `pid` that ended as a child of the session leader (the command,
    /// or an orphan handed to it), if proclab followed it.
    fn ended_child_of_leader(&self, pid: u32) -> Option<usize> {
        if pid == self.root {
            return Some(0); // the command is always the first process followed
        }
        let leader = self.session.leader();
        self.procs
            .iter()
            .rposition(|p| p.pid == pid && p.ended && p.reported.ppid == Some(leader))
    }

    /// Makes the program's raw output lines into events, attributed to the command, unless
    /// the instrumentation reports the same text with the PID that wrote it.
    fn raw_lines(&mut self, stream: Stream, lines: Vec<String>) {
        if self.instrumented {
            return;
        }
        // The command is always the first process followed.
        let root_slot = self.procs.first().map(|p| p.slot);
        for text in lines {
            let event = Event::Output {
                t_ms: self.now_ms(),
                worker: root_slot,
                pid: self.root,
                stream,
                text,
            };
            self.emit(event);
        }
    }

    /// Reads and handles what the instrumented processes sent (a bounded share of each
    /// connection); returns how many messages that was.
    fn receive_messages(&mut self) -> usize {
        let Some(server) = self.server.as_mut() else {
            return 0;
        };
        let messages = server.receive();
        self.handle_messages(messages)
    }

    /// Reads and handles everything an ended process sent that is still unread: it comes
    /// before its `exited`, and a process gone from `/proc` would no longer be recognized.
    fn receive_rest_of(&mut self, pid: u32) {
        if let Some(server) = self.server.as_mut() {
            let messages = server.receive_rest_of(pid);
            self.handle_messages(messages);
        }
    }

    /// Handles a batch of messages in the order they were sent; returns how many.
    fn handle_messages(&mut self, mut messages: Vec<Message>) -> usize {
        let Some(server) = self.server.as_mut() else {
            return 0;
        };
        // A worker's report may be read before its caller's `queued` (each process has its own
        // connection, read one after the other); the caller sent that first, so it is there
        // to read now: read on until it comes, then go by the times.
        let mut read_on = 0;
        while read_on < CATCH_UP_READS && self.tasks.awaits_queued_in(&messages) {
            read_on += 1;
            let more = server.receive();
            if more.is_empty() {
                break;
            }
            messages.extend(more);
        }
        if read_on > 0 {
            messages.sort_by(|a, b| a.t.total_cmp(&b.t));
        }
        let count = messages.len();
        for message in messages {
            self.handle_message(message);
        }
        count
    }

    /// The index of the process that sent a message, taking it in if it is a newly seen
    /// descendant; `None` for a process outside the program (or past the limit).
    fn sender(&mut self, pid: u32, ppid: Option<u32>) -> Option<usize> {
        if let Some(&index) = self.by_pid.get(&pid) {
            return Some(index);
        }
        if self.strangers.contains(&pid) {
            return None;
        }
        // It may be newer than the last scan: look again, then up its ancestry.
        self.scan();
        if let Some(&index) = self.by_pid.get(&pid) {
            return Some(index);
        }
        let mut chain = vec![pid];
        // The kernel's word first; the message's only if the process is already gone.
        let mut current = procfs::read_process(pid).map(|s| s.ppid).or(ppid);
        while let Some(parent) = current {
            // A parent that has ended since is still the program's (a child's messages may be
            // read only after its parent is gone).
            let ours =
                self.by_pid.contains_key(&parent) || self.procs.iter().any(|p| p.pid == parent);
            if ours {
                let mut index = None;
                let mut above = parent;
                for &pid in chain.iter().rev() {
                    index = self.track(pid, above, 0.0);
                    above = pid;
                }
                return index;
            }
            if parent <= 1 || parent == self.me || chain.len() > 64 {
                break;
            }
            chain.push(parent);
            current = procfs::read_process(parent).map(|s| s.ppid);
        }
        self.strangers.insert(pid);
        None
    }

    fn handle_message(&mut self, message: Message) {
        let ppid = match message.kind {
            Kind::Hello { ppid, .. } => Some(ppid),
            _ => None,
        };
        let Some(index) = self.sender(message.pid, ppid) else {
            return;
        };
        let t_ms = self.out.clock.secs_ms(message.t);
        let pid = message.pid;
        match message.kind {
            Kind::Hello { .. } => self.instrumented = true,
            Kind::ProcessStarted { child } => {
                // Taken in only if /proc agrees it is the sender's child.
                let is_child = procfs::read_process(child).is_some_and(|s| s.ppid == pid);
                if !self.by_pid.contains_key(&child) && is_child {
                    self.track(child, pid, 0.0);
                }
            }
            Kind::ProcessExited { child, code } => {
                // Its parent waited for it and saw it end: it had ended by then, however late
                // a scan of /proc on a busy machine would notice.
                let seen_ns =
                    (message.t.is_finite() && message.t > 0.0).then_some((message.t * 1e9) as u64);
                if let Some(&child) = self.by_pid.get(&child) {
                    let child = &mut self.procs[child];
                    if child.status.is_none() {
                        child.status = Some(ExitStatus::from_python(code));
                    }
                    if let Some(seen_ns) = seen_ns {
                        child.gone_ns = Some(child.gone_ns.map_or(seen_ns, |g| g.min(seen_ns)));
                    }
                }
            }
            Kind::Exiting { code } => self.procs[index].exiting_code = Some(code),
            Kind::Call {
                api,
                n,
                chunksize,
                workers,
                ..
            } => {
                if !self.tasks.is_full() {
                    let worker = self.procs[index].slot;
                    self.emit(Event::PoolCall {
                        t_ms,
                        worker,
                        pid,
                        api: cut(&api, MAX_API_CHARS),
                        tasks: n,
                        chunksize,
                        workers,
                    });
                }
            }
            Kind::Queued {
                call,
                first,
                count,
                followed,
            } => self.tasks.queued(&call, first, count, followed),
            Kind::Items(items) => self.task_news(index, items),
            Kind::Output { stream, text } => {
                let key = (pid, stream as u8);
                let lines = self
                    .splitters
                    .entry(key)
                    .or_insert_with(line_splitter)
                    .push_bytes(text.as_bytes());
                let worker = self.procs[index].slot;
                for line in lines {
                    let text = line.strip_suffix('\r').unwrap_or(&line).to_string();
                    self.emit(Event::Output {
                        t_ms,
                        worker: Some(worker),
                        pid,
                        stream,
                        text,
                    });
                }
            }
        }
    }

    /// Turns a worker's report on its items into task events.
    fn task_news(&mut self, index: usize, items: Items) {
        let news = self.tasks.report(items);
        if news.is_empty() {
            return;
        }
        let cpu = self.task_core(index);
        let (pid, worker) = (self.procs[index].pid, self.procs[index].slot);
        for item in news {
            let event = match item {
                TaskNews::Started {
                    task,
                    label,
                    t_ns,
                    running,
                } => {
                    if running {
                        self.procs[index].in_flight.push((task, label.clone()));
                    }
                    Event::TaskStarted {
                        t_ms: self.t_ms(t_ns),
                        task,
                        label,
                        worker,
                        pid,
                        cpu,
                    }
                }
                TaskNews::Finished {
                    task,
                    label,
                    t_ns,
                    result,
                    cpu_ns,
                } => {
                    let in_flight = &mut self.procs[index].in_flight;
                    if !in_flight.is_empty() {
                        in_flight.retain(|&(t, _)| t != task);
                    }
                    Event::TaskFinished {
                        t_ms: self.t_ms(t_ns),
                        task,
                        label,
                        worker,
                        pid,
                        cpu,
                        result,
                        cpu_ms: cpu_ns as f64 / 1e6,
                    }
                }
            };
            self.emit(event);
        }
    }

    /// The core a process is on, from `/proc`, for the task events of one report. A reading
    /// less than [`READING_REUSE`] old is reused, so a program reporting many small batches
    /// does not make proclab read `/proc` for each. The core is remembered so no `cpu` event
    /// repeats it.
    fn task_core(&mut self, index: usize) -> Option<u32> {
        let now = monotonic_ns();
        let proc = &mut self.procs[index];
        if let Some((at, cpu)) = proc.task_core
            && now.saturating_sub(at) < READING_REUSE.as_nanos() as u64
        {
            return cpu;
        }
        let cpu = procfs::read_process(proc.pid).map(|s| s.cpu);
        proc.task_core = Some((now, cpu));
        if cpu.is_some() {
            proc.reported.cpu = cpu;
        }
        cpu
    }

    /// Looks for new children of every live process of the program (and orphans handed to
    /// proclab), and notices processes that are gone.
    fn scan(&mut self) {
        let now = monotonic_ns();
        let live: Vec<u32> = self
            .procs
            .iter()
            .filter(|p| p.gone_ns.is_none())
            .map(|p| p.pid)
            .collect();
        let mut found: Vec<(u32, u32)> = Vec::new();
        let leader = self.session.leader();
        if self.children_files {
            let me = self.me;
            for parent in live.into_iter().chain([leader, me]) {
                match tree::children_of(parent) {
                    Some(children) => found.extend(children.into_iter().map(|c| (c, parent))),
                    None => self.gone(parent, now),
                }
            }
        } else {
            let mut parents: HashSet<u32> = live.iter().copied().collect();
            parents.insert(leader);
            parents.insert(self.me);
            found = tree::scan_by_parent(&parents);
            for pid in live {
                if !tree::exists(pid) {
                    self.gone(pid, now);
                }
            }
        }
        let mine: HashSet<u32> = found
            .iter()
            .filter(|&&(_, parent)| parent == self.me)
            .map(|&(pid, _)| pid)
            .collect();
        self.foreign.retain(|pid| mine.contains(pid));
        for (pid, parent) in found {
            if !self.by_pid.contains_key(&pid) && !self.still_there(parent) {
                // The parent ended and its PID went to another process: not the program's.
                self.gone(parent, now);
                continue;
            }
            if parent == self.me {
                if !self.is_programs(pid) {
                    continue;
                }
                // An orphan of the program handed to proclab (its child subreaper) because
                // the session leader died: proclab follows it and reaps it.
                if self.track(pid, parent, 0.0).is_some() {
                    self.reap_if_ended(pid);
                }
            } else if !self.by_pid.contains_key(&pid) {
                // A child of a process of the program, or of the session leader: the command,
                // or an orphan of the program, in whatever session it made.
                self.track(pid, parent, 0.0);
            }
        }
    }

    /// Whether `pid` (proclab, the session leader or a process of the program) is still the
    /// process proclab knows by that PID, not another that took the PID over after it ended.
    fn still_there(&self, pid: u32) -> bool {
        if pid == self.me {
            return true;
        }
        let known = if pid == self.session.leader() {
            self.leader_started
        } else {
            self.by_pid
                .get(&pid)
                .and_then(|&index| self.procs[index].started)
        };
        match (known, procfs::read_process(pid)) {
            (_, None) => false,
            (Some(started), Some(stat)) => stat.started == started,
            (None, Some(_)) => true,
        }
    }

    /// Whether a child of proclab belongs to the traced program: one it follows already, or
    /// one in the command's session. Others (a lesson's workers) are never touched.
    fn is_programs(&mut self, pid: u32) -> bool {
        if self.by_pid.contains_key(&pid) {
            return true;
        }
        if pid == self.session.leader() {
            return false;
        }
        if self.foreign.contains(&pid) {
            return false;
        }
        if tree::session_of(pid) == Some(self.session.leader()) {
            return true;
        }
        self.foreign.insert(pid);
        false
    }

    fn gone(&mut self, pid: u32, now: u64) {
        if let Some(&index) = self.by_pid.get(&pid) {
            let proc = &mut self.procs[index];
            proc.gone_ns.get_or_insert(now);
            if !tree::exists(pid) {
                proc.joined = true;
            }
        }
    }

    /// Reaps `pid` if it is proclab's child (an orphan adopted after the session leader
    /// died) and has ended.
    fn reap_if_ended(&mut self, pid: u32) {
        let Some(status) = exit::reap_if_ended(pid) else {
            return;
        };
        if let Some(&index) = self.by_pid.get(&pid) {
            let proc = &mut self.procs[index];
            proc.status = Some(status);
            proc.gone_ns.get_or_insert(monotonic_ns());
            proc.joined = true;
        }
    }

    /// Samples the core, state and parent of every live process.
    fn sample(&mut self) {
        let now = monotonic_ns();
        for index in 0..self.procs.len() {
            if !self.procs[index].joined {
                self.sample_one(index, now);
            }
        }
    }

    /// Samples one process: `state` and `cpu` events when they changed; notes its end.
    fn sample_one(&mut self, index: usize, now: u64) {
        let pid = self.procs[index].pid;
        let Some(stat) = procfs::read_process(pid) else {
            self.gone(pid, now);
            return;
        };
        let t_ms = self.now_ms();
        let proc = &mut self.procs[index];
        proc.started.get_or_insert(stat.started);
        if stat.state == 'Z' {
            proc.gone_ns.get_or_insert(now);
            if proc.status.is_none() {
                proc.status = tree::zombie_status(pid);
            }
        }
        let slot = proc.slot;
        for event in proc.reported.changes(&stat, t_ms, slot, pid) {
            self.emit(event);
        }
        if stat.state == 'Z' && stat.ppid == self.me {
            self.reap_if_ended(pid);
        }
    }

    /// Emits `exited` for processes that ended, once their status is known or has had time
    /// to arrive, then `joined` once they are gone from `/proc`.
    fn settle_exits(&mut self) {
        // The session leader reports the processes it reaps just after they go from `/proc`.
        // Taken first: a process it names ended, and is read to the end just below.
        let reports = self.session.reports();
        self.session_reports(reports);
        self.read_rest_of_ended();
        let now = monotonic_ns();
        for index in 0..self.procs.len() {
            let proc = &self.procs[index];
            let Some(gone_ns) = proc.gone_ns else {
                continue;
            };
            if !proc.ended {
                // How it ended may still come: from the session leader, if it reaped it, or
                // from an instrumented parent.
                let grace = if self.instrumented {
                    EXIT_GRACE
                } else {
                    LEADER_GRACE
                };
                let waited = now.saturating_sub(gone_ns) > grace.as_nanos() as u64;
                let status = match (proc.status, proc.exiting_code) {
                    (Some(status), _) => status,
                    _ if !waited && !self.stopped => continue,
                    (None, Some(code)) => ExitStatus::from_python(code),
                    (None, None) => ExitStatus::Unknown,
                };
                self.exited(index, status);
            }
            let proc = &mut self.procs[index];
            if proc.ended && !proc.joined && !tree::exists(proc.pid) {
                proc.joined = true;
            }
            if proc.ended && proc.joined && !proc.join_announced {
                proc.join_announced = true;
                let (pid, slot) = (proc.pid, proc.slot);
                // A PID reused later names a new process.
                if self.by_pid.get(&pid) == Some(&index) {
                    self.by_pid.remove(&pid);
                }
                let t_ms = self.now_ms();
                self.emit(Event::Joined {
                    t_ms,
                    worker: slot,
                    pid,
                });
            }
        }
        if self.root_reaped
            && !self.said_still_running
            && !self.stopped
            && self.procs.iter().any(|p| p.gone_ns.is_none())
        {
            self.said_still_running = true;
            let running = self.procs.iter().filter(|p| p.gone_ns.is_none()).count();
            self.notice(format!(
                "the command exited, but {running} process{} it started still run{}: proclab \
                 waits for them (Ctrl-C stops them)",
                if running == 1 { "" } else { "es" },
                if running == 1 { "s" } else { "" },
            ));
        }
    }

    /// Reads to the end what every ended process not yet announced sent: it comes before its
    /// `exited`, and once it is `joined` its PID no longer names it.
    fn read_rest_of_ended(&mut self) {
        let ending: Vec<u32> = self
            .procs
            .iter()
            .filter(|p| p.gone_ns.is_some() && !p.ended)
            .map(|p| p.pid)
            .collect();
        for pid in ending {
            self.receive_rest_of(pid);
        }
    }

    /// Emits `exited` (at the time the process was first seen ended) and `task_lost` for
    /// the tasks it held.
    fn exited(&mut self, index: usize, status: ExitStatus) {
        let ended_ns = self.procs[index].gone_ns.unwrap_or_else(monotonic_ns);
        let t_ms = self.t_ms(ended_ns);
        let proc = &mut self.procs[index];
        proc.ended = true;
        let (pid, slot) = (proc.pid, proc.slot);
        let lost: Vec<(usize, String)> = proc.in_flight.drain(..).collect();
        for (task, label) in lost {
            self.lost.push(task);
            self.emit(Event::TaskLost {
                t_ms,
                task,
                label,
                worker: slot,
                pid,
            });
        }
        self.emit(Event::Exited {
            t_ms,
            worker: slot,
            pid,
            code: status.code(),
            signal: status.signal(),
        });
    }

    /// Sends `signal` to the command's process group and to every live process of the
    /// program (they may have made groups or sessions of their own).
    fn signal_program(&self, signal: Signal) {
        if !self.root_reaped {
            let _ = kill(Pid::from_raw(-(self.root as i32)), signal);
        }
        for proc in self.procs.iter().filter(|p| p.gone_ns.is_none()) {
            let _ = kill(Pid::from_raw(proc.pid as i32), signal);
        }
    }

    /// Asks every process of the program to end (SIGTERM); [`Tracer::escalate`] sends
    /// SIGKILL to what is left after [`TERM_GRACE`].
    fn end_program(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.signal_program(Signal::SIGTERM);
        self.signal_program(Signal::SIGCONT);
        self.term_deadline_ns = Some(monotonic_ns() + TERM_GRACE.as_nanos() as u64);
    }

    fn escalate(&mut self) {
        let Some(deadline) = self.term_deadline_ns else {
            return;
        };
        if monotonic_ns() < deadline || self.kill_deadline_ns.is_some() {
            return;
        }
        self.signal_program(Signal::SIGKILL);
        self.kill_deadline_ns = Some(monotonic_ns() + KILL_GRACE.as_nanos() as u64);
    }

    /// Emits the last events; returns how the command ended.
    fn finish(&mut self) -> TraceOutcome {
        // The last messages of processes that just ended may still wait in the socket (a
        // process that ended holds at most its send buffer: a few turns).
        for _ in 0..FINAL_READS {
            if self.receive_messages() == 0 {
                break;
            }
        }
        self.flush_partial_lines();
        let (malformed, at_capacity) = self
            .server
            .take()
            .map_or((0, false), |s| (s.malformed, s.at_capacity));
        // The session ends with the trace: its leader ends whatever is left (a process born
        // since the last scan included), and each is named.
        self.kill_everything();
        self.read_rest_of_ended();
        for index in 0..self.procs.len() {
            if !self.procs[index].ended {
                let status = self.procs[index].status.unwrap_or(ExitStatus::Unknown);
                self.exited(index, status);
            }
        }
        if at_capacity {
            self.notice(format!(
                "more than {} processes reported at once: the others only lost their detail",
                super::server::MAX_CONNECTIONS
            ));
        }
        if malformed > 0 {
            let n = malformed;
            self.notice(format!(
                "{n} message{} from the instrumentation could not be read and were ignored",
                if n == 1 { "" } else { "s" }
            ));
        }
        if self.python == PythonMode::Instrumented && !self.instrumented {
            self.notice(
                "no Python process reported to proclab (an old Python, or the program replaced \
                 PYTHONPATH): process-level detail only",
            );
        }
        if self.tasks.skipped > 0 {
            let n = self.tasks.skipped;
            self.notice(format!(
                "{n} tasks past the first {} were not followed",
                limits::MAX_TASKS
            ));
        }
        let t_ms = self.now_ms();
        self.emit(Event::StageFinished {
            t_ms,
            stage: 0,
            wall_ms: t_ms,
        });
        let results = self.tasks.results();
        let event = Event::RunFinished {
            t_ms,
            completion_order: self.tasks.completion(),
            result_order: (0..results.len()).collect(),
            results: results.into(),
            lost: self.lost.clone(),
            stopped: self.stopped,
        };
        self.emit(event);
        // The command is always the first process followed.
        let status = self
            .procs
            .first()
            .and_then(|p| p.status)
            .unwrap_or(ExitStatus::Unknown);
        TraceOutcome {
            code: status.code(),
            signal: status.signal(),
            stopped: self.stopped,
        }
    }

    /// Emits the unterminated last line each process wrote, if any.
    fn flush_partial_lines(&mut self) {
        let mut partial: Vec<((u32, u8), String)> = self
            .splitters
            .iter_mut()
            .filter_map(|(&key, splitter)| Some((key, splitter.take_partial()?)))
            .collect();
        partial.sort_by_key(|&(key, _)| key);
        let t_ms = self.now_ms();
        for ((pid, stream), text) in partial {
            // The latest process with that PID (a joined one has left `by_pid`).
            let worker = self
                .procs
                .iter()
                .rev()
                .find(|p| p.pid == pid)
                .map(|p| p.slot);
            let stream = if stream == Stream::Stderr as u8 {
                Stream::Stderr
            } else {
                Stream::Stdout
            };
            self.emit(Event::Output {
                t_ms,
                worker,
                pid,
                stream,
                text,
            });
        }
    }

    /// SIGKILL to everything of the program that may still run: the session leader ends (and
    /// reports) every process left in the session; proclab reaps its own adopted children.
    fn kill_everything(&mut self) {
        self.signal_program(Signal::SIGKILL);
        let reports = self.session.end();
        self.session_reports(reports);
        self.root_reaped = true;
        // Orphans handed to proclab (if the leader died): reap those that died, give the rest
        // a moment.
        for _ in 0..50 {
            let mine: Vec<u32> = tree::children_of(self.me)
                .unwrap_or_default()
                .into_iter()
                .filter(|&pid| self.is_programs(pid))
                .collect();
            if mine.is_empty() {
                break;
            }
            for pid in mine {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                self.reap_if_ended(pid);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Controlled for Tracer {
    fn controls(&self) -> &Controls {
        &self.controls
    }

    fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn signal_all(&mut self, signal: Signal) {
        self.signal_program(signal);
    }

    fn kill_slot(&mut self, slot: usize) {
        if let Some(proc) = self.procs.get(slot).filter(|p| p.gone_ns.is_none()) {
            let _ = kill(Pid::from_raw(proc.pid as i32), Signal::SIGKILL);
        }
    }

    fn stop(&mut self, cause: StopCause) {
        self.notice(match cause {
            StopCause::Interrupted => "interrupted: proclab stops the traced program",
            StopCause::Requested => "proclab stopped the traced program",
        });
        self.end_program();
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        if !self.root_reaped || self.procs.iter().any(|p| p.gone_ns.is_none()) {
            self.kill_everything();
        }
        if !self.was_subreaper {
            let _ = nix::sys::prctl::set_child_subreaper(false);
        }
    }
}

/// A splitter of output into lines of at most [`limits::MAX_LINE_BYTES`].
fn line_splitter() -> LineReader {
    LineReader::splitter(limits::MAX_LINE_BYTES)
}
