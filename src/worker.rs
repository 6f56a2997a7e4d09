//! The worker side: a fork of proclab's fork server ([`crate::engine::fork_server`]).
//!
//! A worker reads commands (JSON lines) from stdin, runs task functions from the fixed
//! vocabulary, prints what the tasks print to its own stdout, and reports starts and finishes on
//! fd 3. It exits when stdin closes (the pool is closed, or proclab died), when a report cannot be
//! written (proclab died), or by the kernel's `PR_SET_PDEATHSIG` set as it was forked.

use std::fs::File;
use std::io::{BufRead, BufWriter, Read, Write};
use std::os::fd::{AsFd, FromRawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::engine::plan::StageTasks;
use crate::engine::shared::SharedRegion;
use crate::lesson::model::{Buffering, CounterScope};
use crate::observe::clock::monotonic_ns;
use crate::protocol::report::{FrameWriter, ItemRecord, Report, TaskValue};
use crate::protocol::{
    Command, PACKET_BYTES, Packet, QUEUE_FD, QUEUE_LOCK_FD, REPORT_FD, SHARED_FD, WorkerConfig,
};
use crate::task::{Task, TaskFn};

pub mod children;

/// Runs the worker set up by `config`; never returns.
pub(crate) fn run(config: WorkerConfig) -> ! {
    // SAFETY: the fork server places the write end of the report pipe on fd 3 before this runs.
    let reports = unsafe { File::from_raw_fd(REPORT_FD) };
    children::close_on_exec(&reports);
    if let Some(core) = config.pin {
        pin_to(core);
    }
    // The hello goes out with the first report written (or as the worker ends), so that
    // proclab is woken once for both; its time and core are those of now.
    let mut hello = FrameWriter::default();
    hello.push(&Report::Hello {
        cpu: current_cpu(),
        t_ns: monotonic_ns(),
    });
    let worker = Worker {
        reports: Mutex::new(Reports {
            file: reports,
            hello: Some(hello.take()),
        }),
        printer: Printer::new(config.buffering),
        pid: std::process::id().to_string(),
        counter: AtomicU64::new(0),
        shared_counter: config.counter == CounterScope::Shared,
        memory: SharedMemory::open(config.counter),
    };
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Command>(&line) {
            Ok(Command::Run { tasks }) => {
                let mut frames = FrameWriter::default();
                let all = tasks.worker_range(tasks.indices());
                worker.run_chunk(all, &worker.counter, &mut frames);
            }
            Ok(Command::Threads { tasks }) => worker.run_threads(&tasks),
            Ok(Command::Pool { tasks }) => worker.run_pool(&tasks),
            Err(error) => {
                eprintln!("proclab worker: unreadable command: {error}");
                worker.exit(2);
            }
        }
    }
    worker.exit(0)
}

/// A worker's report pipe, and its hello until it is written.
struct Reports {
    file: File,
    hello: Option<Vec<u8>>,
}

/// A worker's shared state: its report pipe, its stdout, its counter.
struct Worker {
    reports: Mutex<Reports>,
    printer: Printer,
    /// Its PID, as `{pid}` in a task's lines shows it.
    pid: String,
    counter: AtomicU64,
    shared_counter: bool,
    /// The stage's counter in shared memory, in stages that have one.
    memory: Option<SharedMemory>,
}

/// The counter every worker of a stage maps (fd 5), and the lock beside it.
struct SharedMemory {
    region: SharedRegion,
    locked: bool,
}

impl SharedMemory {
    /// Maps fd 5 when the stage shares a counter in memory.
    fn open(counter: CounterScope) -> Option<SharedMemory> {
        let locked = match counter {
            CounterScope::SharedMemory => false,
            CounterScope::SharedMemoryLocked => true,
            _ => return None,
        };
        // SAFETY: the fork server places the stage's memfd on fd 5 in such stages; the File
        // closes it after mapping (the mapping stays).
        let file = unsafe { File::from_raw_fd(SHARED_FD) };
        let region = SharedRegion::open(file.as_fd()).ok()?;
        Some(SharedMemory { region, locked })
    }

    /// Adds 1, `times` times: a load then a store, which another process can interleave with
    /// (a lost update), unless the lock is held around them. Returns the counter afterwards.
    fn add(&self, times: u64) -> u64 {
        let counter = self.region.counter();
        for _ in 0..times {
            let guard = self.locked.then(|| self.region.lock().lock());
            // The barriers keep the compiler from merging iterations (or reusing its own last
            // store): every iteration really reads the shared counter, then writes it.
            let value = counter.load(Ordering::Relaxed);
            memory_barrier();
            counter.store(value + 1, Ordering::Relaxed);
            memory_barrier();
            drop(guard);
        }
        counter.load(Ordering::SeqCst)
    }
}

/// Tells the compiler that memory may have changed, so that it reads and writes for real
/// around this point instead of keeping values in registers. No instruction is emitted.
fn memory_barrier() {
    // SAFETY: an empty assembly block: it does nothing, and without `nomem` the compiler must
    // assume it reads and writes any memory.
    unsafe { std::arch::asm!("", options(nostack, preserves_flags)) }
}

/// Pins this process to `core` (`sched_setaffinity`); a core it may not use is left alone.
fn pin_to(core: u32) {
    let mut set = nix::sched::CpuSet::new();
    if set.set(core as usize).is_ok() {
        let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set);
    }
}

impl Worker {
    /// Writes report frames at once, after the hello if it is not out yet. A failed write
    /// means proclab is gone: exit.
    fn write(&self, frames: &[u8]) {
        let mut reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        let written = match reports.hello.take() {
            Some(mut hello) => {
                hello.extend_from_slice(frames);
                reports.file.write_all(&hello)
            }
            None if frames.is_empty() => return,
            None => reports.file.write_all(frames),
        };
        if written.is_err() {
            leave(1);
        }
    }

    /// Writes one report at once.
    fn send(&self, report: &Report) {
        let mut frames = FrameWriter::default();
        frames.push(report);
        self.write(&frames.take());
    }

    /// Runs `tasks` one after the other and reports them: instant items together, in one write
    /// at the end (with what `frames` holds already; a long chunk in writes of [`PIPE_BYTES`]),
    /// and any task that takes time at its start and at its end.
    fn run_chunk(
        &self,
        tasks: impl Iterator<Item = Task>,
        counter: &AtomicU64,
        frames: &mut FrameWriter,
    ) {
        // Where the next instant item starts: where the one before it ended.
        let mut boundary = (monotonic_ns(), current_cpu());
        for task in tasks {
            let index = task.index as u32;
            if is_instant(&task.function) {
                if !frames.items_open() {
                    frames.open_items(index, boundary.0, boundary.1);
                }
                let value = self.run_task(&task, counter);
                boundary = (monotonic_ns(), current_cpu());
                frames.push_item(&ItemRecord {
                    end_ns: boundary.0,
                    cpu: boundary.1,
                    cpu_ns: 0,
                    value,
                });
                if frames.len() >= PIPE_BYTES {
                    // A long chunk goes out in pieces of what the pipe holds: a bigger write
                    // would wait for proclab anyway, and proclab reads this piece meanwhile.
                    self.write(&frames.take());
                }
                continue;
            }
            let (start_ns, start_cpu) = (monotonic_ns(), current_cpu());
            frames.push(&Report::Started {
                task: index,
                cpu: start_cpu,
                t_ns: start_ns,
            });
            self.write(&frames.take());
            let cpu_before = thread_cpu_ns();
            let value = self.run_task(&task, counter);
            let cpu_ns = thread_cpu_ns().saturating_sub(cpu_before);
            boundary = (monotonic_ns(), current_cpu());
            frames.push(&Report::Items {
                first: index,
                start_ns,
                start_cpu,
                items: vec![ItemRecord {
                    end_ns: boundary.0,
                    cpu: boundary.1,
                    cpu_ns,
                    value,
                }],
            });
            self.write(&frames.take());
        }
        self.write(&frames.take());
    }

    /// Takes chunks from the pool's shared queue (fd 4) until the sentinel, then exits, as a
    /// Python pool worker does.
    fn run_pool(&self, tasks: &StageTasks) -> ! {
        // SAFETY: the fork server places the queue's read end on fd 4 and its lock on fd 6 of
        // every pool worker.
        let mut queue = unsafe { File::from_raw_fd(QUEUE_FD) };
        // SAFETY: as above.
        let lock_file = unsafe { File::from_raw_fd(QUEUE_LOCK_FD) };
        let Ok(lock) = SharedRegion::open(lock_file.as_fd()) else {
            eprintln!("proclab worker: the pool's queue lock cannot be mapped");
            self.exit(2);
        };
        drop(lock_file);
        // proclab queues the first chunk only once every worker has said hello.
        self.write(&[]);
        let mut frames = FrameWriter::default();
        loop {
            let mut bytes = [0; PACKET_BYTES];
            // As Python's pool workers do: one reader at a time, holding the queue's lock while
            // it waits for the next chunk; the others sleep on the lock.
            let guard = lock.lock().lock();
            if queue.read_exact(&mut bytes).is_err() {
                self.exit(1); // the queue is gone: so is proclab
            }
            drop(guard);
            let packet = Packet::from_bytes(bytes);
            if packet == Packet::SENTINEL {
                self.exit(0);
            }
            let chunk = packet.first as usize..packet.first as usize + packet.len as usize;
            if !tasks.contains(chunk.start) || !tasks.contains(chunk.end - 1) {
                eprintln!("proclab worker: chunk {chunk:?} is not among this pool's tasks");
                self.exit(2);
            }
            frames.push(&Report::Took {
                first: packet.first,
                len: packet.len,
            });
            self.run_chunk(tasks.worker_range(chunk), &self.counter, &mut frames);
        }
    }

    fn run_threads(&self, tasks: &[Task]) {
        std::thread::scope(|scope| {
            for (thread, task) in tasks.iter().enumerate() {
                let asked = monotonic_ns();
                let own_counter = AtomicU64::new(0);
                scope.spawn(move || {
                    let started = monotonic_ns();
                    let tid = nix::unistd::gettid().as_raw() as u32;
                    self.send(&Report::ThreadStarted {
                        thread: thread as u32,
                        tid,
                        t_ns: started,
                        spawn_ns: started - asked,
                    });
                    let counter = if self.shared_counter {
                        &self.counter
                    } else {
                        &own_counter
                    };
                    let mut frames = FrameWriter::default();
                    self.run_chunk(std::iter::once(task.clone()), counter, &mut frames);
                });
            }
        });
        if self.shared_counter {
            let total = self.counter.load(Ordering::SeqCst);
            self.printer.line(&format!(
                "counter shared by {} threads = {total}",
                tasks.len()
            ));
        }
    }

    /// Runs one task with its `before` and `after` lines; its result.
    fn run_task(&self, task: &Task, counter: &AtomicU64) -> TaskValue {
        if let Some(before) = &task.before {
            self.printer.line(&before.replace("{pid}", &self.pid));
        }
        let value = self.call(task, counter);
        if let Some(after) = &task.after {
            self.printer.line(
                &after
                    .replace("{pid}", &self.pid)
                    .replace("{result}", &value.shown()),
            );
        }
        value
    }

    fn call(&self, task: &Task, counter: &AtomicU64) -> TaskValue {
        match &task.function {
            TaskFn::Sleep { secs } => {
                std::thread::sleep(Duration::from_secs_f64(*secs));
                TaskValue::text(&task.label)
            }
            TaskFn::Spin { secs } => TaskValue::Int(spin(*secs) as i64),
            TaskFn::Square { n } => TaskValue::Int(n * n),
            TaskFn::Cube { n } => TaskValue::Int(n * n * n),
            TaskFn::Print { text, times, secs } => {
                for i in 0..*times {
                    if i > 0 {
                        std::thread::sleep(Duration::from_secs_f64(*secs));
                    }
                    self.printer.line(&text.replace("{i}", &i.to_string()));
                }
                TaskValue::Null
            }
            TaskFn::Count { times } if self.memory.is_some() => {
                TaskValue::Int(self.memory.as_ref().map_or(0, |memory| memory.add(*times)) as i64)
            }
            TaskFn::Orphan { secs } => match children::start_orphan(*secs) {
                Ok(pid) => {
                    self.send(&Report::Adopt { pid });
                    std::thread::sleep(children::LINGER);
                    TaskValue::Int(i64::from(pid))
                }
                Err(error) => TaskValue::text(&format!("could not start an orphan: {error}")),
            },
            TaskFn::StartChildren { method, times } => {
                let (line, mean_us) = children::start_children(*method, *times);
                self.printer.line(&line);
                TaskValue::Float((mean_us * 10.0).round() / 10.0)
            }
            TaskFn::Count { times } => {
                for _ in 0..*times {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                TaskValue::Int(counter.load(Ordering::SeqCst) as i64)
            }
            TaskFn::Exit { code } => self.exit(i32::from(*code)),
            TaskFn::Signal { signal } => {
                let signal = signal.to_nix();
                let _ = nix::sys::signal::raise(signal);
                // SIGINT and SIGTERM are not caught here, so the worker is already gone.
                std::process::exit(128 + signal as i32)
            }
            TaskFn::Flood { bytes, line_bytes } => {
                self.printer.flood(*bytes, *line_bytes);
                TaskValue::Int(*bytes as i64)
            }
            TaskFn::Panic => panic!("this task panics on purpose (a worker crash for the lesson)"),
        }
    }

    /// Flushes what the worker printed, then exits with `code` (its reports are written
    /// already).
    fn exit(&self, code: i32) -> ! {
        self.printer.flush();
        self.write(&[]);
        leave(code)
    }
}

impl Drop for Worker {
    /// A task that panicked unwinds through here: its hello still goes out before it ends.
    fn drop(&mut self) {
        self.write(&[]);
    }
}

/// Ends the worker at once with `code`, as a Python worker process ends (`os._exit`): nothing
/// of proclab's or the C library's exit path runs in a worker (it is a copy of the fork
/// server, which has nothing to clean up), so its exit costs only what the kernel does.
/// Whatever it printed must be flushed first.
fn leave(code: i32) -> ! {
    // SAFETY: _exit ends the process at once; nothing is left to flush.
    unsafe { nix::libc::_exit(code) }
}

/// Bytes a pipe holds (Linux's default): the most a worker's report write can hand over at once.
const PIPE_BYTES: usize = 64 * 1024;

/// Whether a task is over in far less time than a report costs (square, cube): such items are
/// reported with their chunk only.
fn is_instant(function: &TaskFn) -> bool {
    matches!(function, TaskFn::Square { .. } | TaskFn::Cube { .. })
}

/// Burns CPU until this thread has used `secs` of CPU time; returns the loop count.
fn spin(secs: f64) -> u64 {
    let start = thread_cpu_ns();
    let budget = (secs * 1e9) as u64;
    let mut rounds: u64 = 0;
    let mut x: u64 = 1;
    while thread_cpu_ns().saturating_sub(start) < budget {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        rounds += 1;
    }
    rounds
}

/// CPU time of the calling thread, nanoseconds.
fn thread_cpu_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// The core this thread runs on now, as the kernel says.
pub fn current_cpu() -> Option<u32> {
    nix::sched::sched_getcpu().ok().map(|cpu| cpu as u32)
}

/// Where a worker's prints go: straight out per line, or into an 8 KiB buffer written when it
/// fills or the worker exits (what Python does when stdout is a pipe).
enum Printer {
    Line,
    Block(Mutex<BufWriter<File>>),
}

impl Printer {
    fn new(buffering: Buffering) -> Printer {
        match buffering {
            Buffering::Line => Printer::Line,
            // SAFETY: fd 1 is this process's stdout, open for its whole life; this File is the
            // only writer to it in block mode (std's `stdout()` is not used then).
            Buffering::Block => {
                Printer::Block(Mutex::new(BufWriter::with_capacity(8192, unsafe {
                    File::from_raw_fd(1)
                })))
            }
        }
    }

    fn line(&self, text: &str) {
        match self {
            Printer::Line => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{text}").and_then(|()| out.flush());
            }
            Printer::Block(buffer) => {
                let mut buffer = buffer.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(buffer, "{text}");
            }
        }
    }

    /// Writes `bytes` bytes: lines of `line_bytes` (newline included) made of `x`, or with
    /// `line_bytes = 0` one endless line with no newline at all.
    fn flood(&self, bytes: u64, line_bytes: u64) {
        static XS: [u8; 64 * 1024] = [b'x'; 64 * 1024];
        self.flush();
        let mut out = BufWriter::with_capacity(XS.len(), std::io::stdout().lock());
        let (mut left, mut in_line) = (bytes, 0u64);
        while left > 0 {
            let written = if line_bytes > 0 && in_line + 1 == line_bytes {
                in_line = 0;
                out.write_all(b"\n").map(|()| 1)
            } else {
                let room = if line_bytes > 0 {
                    line_bytes - 1 - in_line
                } else {
                    u64::MAX
                };
                let n = left.min(room).min(XS.len() as u64);
                in_line += n;
                out.write_all(&XS[..n as usize]).map(|()| n)
            };
            match written {
                Ok(n) => left -= n,
                Err(_) => return,
            }
        }
        let _ = out.flush();
    }

    fn flush(&self) {
        match self {
            Printer::Line => {
                let _ = std::io::stdout().flush();
            }
            Printer::Block(buffer) => {
                let _ = buffer.lock().unwrap_or_else(|e| e.into_inner()).flush();
            }
        }
    }
}
