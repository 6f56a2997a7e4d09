//! `proclab bench`: proclab against Python's `multiprocessing` doing the same work, side by side
//! in one run on this machine. Nothing here is a test with a time limit: it measures and prints.
//!
//! Honest by construction: both sides do the same work (no sleeps on either side), the two run
//! alternately in pairs (which one goes first alternates too), and each comparison is the median
//! of the pairs' ratios, with the smallest and largest.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::engine::plan::{NumberFn, StageTasks};
use crate::engine::{self, RunOptions, RunPlan, StagePlan, child};
use crate::event::Event;
use crate::lesson::Catalog;
use crate::lesson::model::{Buffering, CounterScope, Join, Pin, ResultOrder, StageKind};
use crate::protocol::WorkerConfig;
use crate::protocol::report::Report;

mod races;
mod trace;

/// Options of `proclab bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Pairs of runs for each comparison (the median ratio is reported, with its range).
    #[arg(long, default_value = "7", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Workers started (and processes spawned) per round of the start measurement.
    #[arg(long, default_value = "200", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub spawns: u32,
    /// Items mapped in the pool measurement.
    #[arg(long, default_value = "100000", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub items: u64,
    /// The Python interpreter to compare with.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Runs of the chunksize lesson (as `proclab run chunksize`, text and `--json`), for its
    /// stage times and peak memory; 0 leaves it out.
    #[arg(long, default_value = "7", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub lesson_rounds: u32,
    /// Runs of each race lesson (shared-state, pool-pids against Python's pool); 0 leaves them
    /// out.
    #[arg(long, default_value = "20", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub race_runs: u32,
    /// Pairs of runs of each Python program alone and under `proclab trace`; 0 leaves them out.
    #[arg(long, default_value = "3", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub trace_rounds: u32,
}

/// What Python runs for each comparison: the same work as proclab's side, timed inside the
/// program (interpreter start and imports excluded on one side as proclab's start is on the
/// other), printed in seconds on the last line.
const PYTHON_PROGRAMS: &str = r#"
import os, sys, time
from multiprocessing import Pool, Process

def square(n):
    return n * n

def say_square(n):
    print(f"square: {n} x {n} = {n * n}", flush=True)

def say_cube(n):
    print(f"cube: {n} x {n} x {n} = {n * n * n}", flush=True)

def say(text):
    print(text, flush=True)

def square_and_pid(n):
    return n * n, os.getpid()

def start_and_join(processes):
    for p in processes:
        p.start()
    for p in processes:
        p.join()

if __name__ == "__main__":
    what = sys.argv[1]
    start = time.perf_counter()
    if what == "process-create":
        start_and_join([Process(target=say_square, args=(10,)), Process(target=say_cube, args=(10,))])
        print("parent: both children joined, done", flush=True)
    elif what == "four-prints":
        start_and_join([Process(target=say, args=(t,)) for t in ("3", "2", "1", "7")])
        print("parent: all four children finished", flush=True)
    elif what == "map":
        items, chunksize = int(sys.argv[2]), sys.argv[3]
        with Pool(2) as pool:
            pool.map(square, range(1, items + 1), None if chunksize == "default" else int(chunksize))
    elif what == "pids":
        with Pool(2) as pool:
            print(len({pid for _, pid in pool.map(square_and_pid, range(1, 6))}))
    print(time.perf_counter() - start)
"#;

/// A comparison's pairs: (proclab's time, the other side's time).
struct Pairs(Vec<(Duration, Duration)>);

impl Pairs {
    /// Runs `rounds` pairs, alternating which side goes first.
    fn measure(
        rounds: u32,
        mut ours: impl FnMut() -> Result<Duration>,
        mut theirs: impl FnMut() -> Result<Duration>,
    ) -> Result<Pairs> {
        let mut pairs = Vec::new();
        for round in 0..rounds {
            let pair = if round % 2 == 0 {
                let a = ours()?;
                (a, theirs()?)
            } else {
                let b = theirs()?;
                (ours()?, b)
            };
            pairs.push(pair);
        }
        Ok(Pairs(pairs))
    }

    fn median_of(mut values: Vec<f64>) -> f64 {
        values.sort_by(f64::total_cmp);
        let mid = values.len() / 2;
        if values.len().is_multiple_of(2) {
            (values[mid - 1] + values[mid]) / 2.0
        } else {
            values[mid]
        }
    }

    /// The other side's time over proclab's, per pair: median, smallest, largest.
    fn ratios(&self) -> (f64, f64, f64) {
        self.ratios_by(|ours, theirs| theirs / ours.max(1e-9))
    }

    /// proclab's time over the other side's, per pair: median, smallest, largest.
    fn inverse_ratios(&self) -> (f64, f64, f64) {
        self.ratios_by(|ours, theirs| ours / theirs.max(1e-9))
    }

    fn ratios_by(&self, ratio: impl Fn(f64, f64) -> f64) -> (f64, f64, f64) {
        let ratios: Vec<f64> = self
            .0
            .iter()
            .map(|(ours, theirs)| ratio(ours.as_secs_f64(), theirs.as_secs_f64()))
            .collect();
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ratios.iter().copied().fold(0.0, f64::max);
        (Pairs::median_of(ratios), min, max)
    }

    fn median(&self, side: impl Fn(&(Duration, Duration)) -> Duration) -> Duration {
        let secs = self.0.iter().map(|p| side(p).as_secs_f64()).collect();
        Duration::from_secs_f64(Pairs::median_of(secs))
    }

    /// "proclab 1.2 ms   python 25.3 ms   python ÷ proclab 21.1× [18.0–24.9]".
    fn line(&self, other: &str) -> String {
        let (median, min, max) = self.ratios();
        format!(
            "proclab {:>9}   {other} {:>9}   {other} ÷ proclab {} [{}–{}]",
            ms(self.median(|p| p.0)),
            ms(self.median(|p| p.1)),
            times(median),
            times(min),
            times(max),
        )
    }
}

/// Runs every measurement and prints the table.
pub fn main(args: &BenchArgs) -> Result<ExitCode> {
    let python = which_python(&args.python)?;
    let catalog =
        Catalog::load(None).map_err(|_| anyhow::anyhow!("the built-in lessons are invalid"))?;
    let folder = tempfile::tempdir().context("Failed to make a temporary folder")?;
    let script = folder.path().join("same_work.py");
    std::fs::write(&script, PYTHON_PROGRAMS).context("Failed to write the Python programs")?;
    let python = PythonSide { python, script };
    // First, while this process is still small: the kernel counts a child's peak memory from
    // the moment it was started as a copy of this one (see `peak_rss_of`).
    let peak = (args.lesson_rounds > 0)
        .then(chunksize_peak_memory)
        .transpose()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "proclab bench · {} · {}", machine(), python.version())?;
    writeln!(
        out,
        "{} paired rounds, which side goes first alternating; each line: medians, then the \
         median of the pairs' ratios [smallest–largest]\n",
        args.rounds
    )?;

    writeln!(
        out,
        "The same work on both sides, no sleeps on either: timed inside each, and as a whole \
         command (proclab's and the interpreter's own start included); map: square over {} \
         items, pool start and close included",
        args.items
    )?;
    for id in ["process-create", "four-prints"] {
        let lesson = catalog.get(id).context("built-in lesson missing")?;
        let options = RunOptions {
            // The one declared wait of these stages (a delayed join) is scaled away.
            speed: crate::limits::MAX_SPEED,
            ..RunOptions::default()
        };
        let mut plan = engine::plan(lesson, &options, engine::available_cores())?;
        plan.stages.truncate(1);
        let pairs = Pairs::measure(
            args.rounds,
            || first_stage_time(&plan),
            || python.time(&[id]),
        )?;
        let label = format!("{id}, first stage");
        writeln!(out, "  {label:<40} {}", pairs.line("python"))?;
        let pairs = Pairs::measure(
            args.rounds,
            || whole_first_stage(id),
            || python.whole(&[id]),
        )?;
        let label = format!("{id}, the whole command");
        writeln!(out, "  {label:<40} {}", pairs.line("python"))?;
    }
    for chunksize in [Some(1), None] {
        let name = chunksize.map_or("default".to_string(), |c| c.to_string());
        let items = args.items.to_string();
        let pairs = Pairs::measure(
            args.rounds,
            || pool_time(args.items, chunksize),
            || python.time(&["map", &items, &name]),
        )?;
        let label = format!("map, a pool of 2, chunksize {name}");
        writeln!(out, "  {label:<40} {}", pairs.line("python"))?;
    }

    writeln!(
        out,
        "\nStarting a process ({} a round): a worker, from the request to its hello, against \
         posix_spawn of /bin/true until it has exited",
        args.spawns
    )?;
    let pairs = Pairs::measure(
        args.rounds,
        || worker_starts(args.spawns),
        || true_spawns(args.spawns),
    )?;
    let per = |d: Duration| d / args.spawns;
    let (median, min, max) = pairs.ratios();
    writeln!(
        out,
        "  proclab worker {:>9}   /bin/true {:>9}   /bin/true ÷ worker {} [{}–{}]",
        us(per(pairs.median(|p| p.0))),
        us(per(pairs.median(|p| p.1))),
        times(median),
        times(min),
        times(max),
    )?;

    if let Some(peak) = peak {
        chunksize_lesson(&mut out, args.lesson_rounds, peak)?;
    }
    if args.race_runs > 0 {
        races::print(&mut out, &python, args.race_runs)?;
    }
    if args.trace_rounds > 0 {
        trace::print(&mut out, &python, &catalog, args.trace_rounds)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the chunksize lesson's stage times over `rounds` runs (text report and `--json`) and
/// its peak memory, `peak` (measured earlier).
fn chunksize_lesson(out: &mut impl Write, rounds: u32, peak: PeakMemory) -> Result<()> {
    writeln!(
        out,
        "\nThe chunksize lesson, as `proclab run chunksize` shows it (each stage's own time)"
    )?;
    for json in [false, true] {
        let stages = (0..rounds)
            .map(|_| chunksize_stages(json))
            .collect::<Result<Vec<_>>>()?;
        writeln!(
            out,
            "  {:<19} {}",
            if json {
                "--json to a file:"
            } else {
                "the text report:"
            },
            chunksize_line(&stages)
        )?;
    }
    writeln!(
        out,
        "  peak memory of `proclab run chunksize`: {:.1} MB (the kernel's count for it and its \
         workers; this bench held {:.1} MB when it started it)",
        peak.child as f64 / 1e6,
        peak.bench as f64 / 1e6,
    )?;
    Ok(())
}

/// The interpreter and the program it runs.
pub(crate) struct PythonSide {
    python: PathBuf,
    script: PathBuf,
}

impl PythonSide {
    fn version(&self) -> String {
        Command::new(&self.python)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }

    /// Runs the program with `args`; the time from starting the interpreter until it exited.
    fn whole(&self, args: &[&str]) -> Result<Duration> {
        time_command(Command::new(&self.python).arg(&self.script).args(args))
    }

    /// How many different worker PIDs a `Pool(2).map` over five items used.
    fn distinct_pids(&self) -> Result<usize> {
        let output = Command::new(&self.python)
            .arg(&self.script)
            .arg("pids")
            .stderr(Stdio::null())
            .output()
            .context("Failed to run Python")?;
        let text = String::from_utf8_lossy(&output.stdout);
        text.lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("Python's pids program said {text:?}"))
    }

    /// Runs the program with `args`; the time it measured inside.
    fn time(&self, args: &[&str]) -> Result<Duration> {
        let output = Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .context("Failed to run Python")?;
        let text = String::from_utf8_lossy(&output.stdout);
        let secs: f64 = text
            .lines()
            .last()
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("Python's program {args:?} said {text:?}"))?;
        Ok(Duration::from_secs_f64(secs))
    }
}

/// The interpreter `python` names, as a path to the interpreter itself: a version manager's
/// shim (pyenv's is a shell script) would add its own start to every Python run.
fn which_python(python: &str) -> Result<PathBuf> {
    let output = Command::new(python)
        .arg("-c")
        .arg("import multiprocessing, sys; print(sys.executable)")
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let real = PathBuf::from(&text);
            Ok(if real.is_absolute() && real.is_file() {
                real
            } else {
                PathBuf::from(python)
            })
        }
        _ => bail!(
            "{python} with multiprocessing is needed to compare against: install Python 3 or pass --python PATH"
        ),
    }
}

/// The processor, the cores proclab may use and the kernel.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown processor".into());
    let kernel = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        "{cpu} · {} cores · Linux {kernel}",
        engine::available_cores()
    )
}

/// "1.5 ms".
fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// "180 µs".
fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// "21.1×", or "0.35×".
fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{ratio:.2}×")
    }
}

/// Runs `plan` here and returns the wall time of its first stage, as the run measured it.
fn first_stage_time(plan: &RunPlan) -> Result<Duration> {
    let mut wall = None;
    engine::run(
        plan,
        &mut |event| {
            if let Event::StageFinished { wall_ms, stage, .. } = event
                && stage == 0
            {
                wall = Some(wall_ms);
            }
            true
        },
        None,
    )?;
    let wall = wall.context("the stage did not finish")?;
    Ok(Duration::from_secs_f64(wall / 1e3))
}

/// `proclab run <id>`'s first stage as a whole command, with its declared waits scaled away:
/// from starting proclab until it exited.
fn whole_first_stage(id: &str) -> Result<Duration> {
    let exe = crate::protocol::own_binary()?;
    let speed = crate::limits::MAX_SPEED.to_string();
    time_command(Command::new(exe).args(["run", id, "--speed", &speed, "--repeat", "1"]))
}

/// Runs `command` with its output thrown away; how long it took.
fn time_command(command: &mut Command) -> Result<Duration> {
    let start = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("Failed to run a command")?;
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(elapsed)
}

/// proclab's own pool over `items` numbers: the stage a lesson would run, here; its wall time
/// (workers started, every item mapped, workers joined).
fn pool_time(items: u64, chunksize: Option<u64>) -> Result<Duration> {
    let tasks = StageTasks::numbers(0, NumberFn::Square, 1, items as i64, None);
    let stage = StagePlan {
        name: "bench".into(),
        kind: StageKind::Pool,
        workers: 2,
        chunksize: chunksize.unwrap_or_else(|| engine::plan::default_chunksize(tasks.len(), 2)),
        result_order: ResultOrder::Map,
        join: Join::All,
        join_delay: Duration::ZERO,
        parent_says: None,
        buffering: Buffering::Line,
        counter: CounterScope::Own,
        pin: Pin::None,
        sweep: None,
        declared_stage: 0,
        tasks,
    };
    let plan = RunPlan {
        lesson: "bench".into(),
        speed: 1.0,
        cores: engine::available_cores(),
        time_limit: Duration::from_secs(600),
        stages: vec![stage],
    };
    let mut finished = 0u64;
    let mut wall = None;
    engine::run(
        &plan,
        &mut |event| {
            match event {
                Event::TaskFinished { .. } => finished += 1,
                Event::StageFinished { wall_ms, .. } => wall = Some(wall_ms),
                _ => {}
            }
            true
        },
        None,
    )?;
    if finished != items {
        bail!("the pool finished {finished} of {items} items");
    }
    Ok(Duration::from_secs_f64(
        wall.context("the stage did not finish")? / 1e3,
    ))
}

/// Starts `count` workers one after the other, each from the request to its hello; their
/// closing and reaping are not counted.
fn worker_starts(count: u32) -> Result<Duration> {
    let config = WorkerConfig {
        buffering: Buffering::Line,
        counter: CounterScope::Own,
        pin: None,
    };
    let mut total = Duration::ZERO;
    for _ in 0..count {
        let start = Instant::now();
        // No command: it says hello, finds its stdin closed, and exits.
        let mut worker = child::spawn(&child::Start {
            config,
            extra: child::ExtraFds::default(),
            command: None,
        })?;
        // The report pipe is non-blocking: wait until the hello is there.
        if let Some(file) = worker.reports.file() {
            let mut fds = [nix::poll::PollFd::new(
                std::os::fd::AsFd::as_fd(file),
                nix::poll::PollFlags::POLLIN,
            )];
            nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE)?;
        }
        worker.reports.read(false);
        let hello = worker.reports.next_report();
        total += start.elapsed();
        if !matches!(hello, Ok(Some(Report::Hello { .. }))) {
            bail!("a worker did not say hello");
        }
        worker.wait();
    }
    Ok(total)
}

/// `count` runs of `/bin/true`, each from `posix_spawn` until it has exited and is reaped.
fn true_spawns(count: u32) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..count {
        Command::new("/bin/true").spawn()?.wait()?;
    }
    Ok(start.elapsed())
}

/// The four stage times of one `proclab run chunksize`, in ms: as a text report (its events
/// recorded to a file), or as `--json` into a file.
fn chunksize_stages(json: bool) -> Result<[f64; 4]> {
    let folder = tempfile::tempdir()?;
    let events = folder.path().join("chunksize.jsonl");
    let exe = crate::protocol::own_binary()?;
    let mut command = Command::new(exe);
    command.args(["run", "chunksize"]);
    if json {
        command
            .arg("--json")
            .stdout(std::fs::File::create(&events)?);
    } else {
        command.arg("--record").arg(&events).stdout(Stdio::null());
    }
    let status = command.stderr(Stdio::null()).status()?;
    if !status.success() {
        bail!("proclab run chunksize failed: {status}");
    }
    let walls: Vec<f64> = std::fs::read_to_string(&events)?
        .lines()
        .filter_map(|line| match serde_json::from_str(line) {
            Ok(Event::StageFinished { wall_ms, .. }) => Some(wall_ms),
            _ => None,
        })
        .collect();
    walls
        .try_into()
        .map_err(|walls: Vec<f64>| anyhow::anyhow!("{} stages, not 4", walls.len()))
}

/// Median stage times, then chunksize 1 ÷ default and no pool ÷ default, as medians of the
/// runs' ratios with their ranges.
fn chunksize_line(runs: &[[f64; 4]]) -> String {
    let median = |i: usize| Pairs::median_of(runs.iter().map(|r| r[i]).collect());
    let ratio = |a: usize, b: usize| {
        let ratios: Vec<f64> = runs.iter().map(|r| r[a] / r[b]).collect();
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ratios.iter().copied().fold(0.0, f64::max);
        format!(
            "{} [{}–{}]",
            times(Pairs::median_of(ratios)),
            times(min),
            times(max)
        )
    };
    format!(
        "no pool {:.1} ms, chunksize 1 {:.1} ms, default {:.1} ms, 50,000 {:.1} ms; \
         chunksize 1 ÷ default {}, no pool ÷ default {}",
        median(0),
        median(1),
        median(2),
        median(3),
        ratio(1, 2),
        ratio(0, 2)
    )
}

/// Peak resident memory, in bytes: of a child and the processes it waited for, and of this
/// bench when it started the child.
#[derive(Debug, Clone, Copy)]
struct PeakMemory {
    child: u64,
    bench: u64,
}

/// This process's peak resident memory so far (`VmHWM`), in bytes.
fn own_peak_memory() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// Peak resident memory of `proclab run chunksize` (the text report), as the kernel counted it
/// for that process and the processes it waited for.
fn chunksize_peak_memory() -> Result<PeakMemory> {
    let bench = own_peak_memory();
    let exe = crate::protocol::own_binary()?;
    // Waited for below with wait4, which also says how much memory it took.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(exe)
        .args(["run", "chunksize"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let child = peak_rss_of(child.id(), "proclab run chunksize")?;
    Ok(PeakMemory { child, bench })
}

/// Waits for child `pid` and returns its peak resident memory (`wait4`), in bytes. The kernel
/// counts it from the child's first moment, when it was still a copy of this process (Rust
/// starts children with `vfork`, sharing this process's memory until `exec`): measure while
/// this process is small.
fn peak_rss_of(pid: u32, what: &str) -> Result<u64> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with pointers to locals that outlive the call.
    let waited = unsafe { nix::libc::wait4(pid as i32, &mut status, 0, &mut usage) };
    if waited != pid as i32 {
        bail!("{what} could not be waited for");
    }
    Ok(usage.ru_maxrss as u64 * 1024)
}
