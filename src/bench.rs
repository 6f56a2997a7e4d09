//! `proclab bench`: proclab against Python's `multiprocessing` doing the same work, side by side
//! in one run on this machine. Nothing here is a test with a time limit: it measures and prints.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::engine::plan::{NumberFn, StageTasks};
use crate::engine::{self, RunPlan, StagePlan, child};
use crate::lesson::Catalog;
use crate::lesson::model::{Buffering, CounterScope, Join, Pin, ResultOrder, StageKind};
use crate::protocol::WorkerConfig;

/// Options of `proclab bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value = "5", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Workers started and reaped for the spawn measurement.
    #[arg(long, default_value = "200", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub spawns: u32,
    /// Items mapped in the pool measurement.
    #[arg(long, default_value = "100000", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub items: u64,
    /// The Python interpreter to compare with.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

/// Times Python's `Pool(2).map` of a trivial function, pool start and close included.
const PYTHON_POOL: &str = r#"
import sys, time
from multiprocessing import Pool

def square(n):
    return n * n

if __name__ == "__main__":
    items, chunksize = int(sys.argv[1]), sys.argv[2]
    start = time.perf_counter()
    with Pool(2) as pool:
        results = pool.map(square, range(1, items + 1), chunksize=None if chunksize == "default" else int(chunksize))
    print(time.perf_counter() - start)
"#;

/// Runs every measurement and prints the table.
pub fn main(args: &BenchArgs) -> Result<ExitCode> {
    let python = which_python(&args.python)?;
    let catalog =
        Catalog::load(None).map_err(|_| anyhow::anyhow!("the built-in lessons are invalid"))?;
    let exe = crate::protocol::own_binary().context("Failed to find proclab's own binary")?;
    let folder = tempfile::tempdir().context("Failed to make a temporary folder")?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "proclab bench · {} cores · {} · median of {} rounds\n",
        engine::available_cores(),
        python_version(&python),
        args.rounds
    )?;

    writeln!(
        out,
        "Overhead: a whole lesson, proclab (durations scaled away) vs python3 program.py"
    )?;
    for id in ["process-create", "four-prints"] {
        let lesson = catalog.get(id).context("built-in lesson missing")?;
        let program = folder.path().join(format!("{id}.py"));
        std::fs::write(&program, &lesson.program).context("Failed to write the Python program")?;
        let ours = median(args.rounds, || {
            time_command(Command::new(&exe).args(["run", id, "--speed", "1000000"]))
        })?;
        let theirs = median(args.rounds, || {
            time_command(Command::new(&python).arg(&program))
        })?;
        writeln!(out, "  {id:<16} {}", side_by_side(ours, theirs))?;
    }

    writeln!(
        out,
        "\nPool throughput: map square over {} items with 2 workers, start and close included",
        args.items
    )?;
    let script = folder.path().join("pool_map.py");
    std::fs::write(&script, PYTHON_POOL).context("Failed to write the Python benchmark")?;
    for chunksize in [Some(1), None] {
        let name = chunksize.map_or("default".to_string(), |c| c.to_string());
        let ours = median(args.rounds, || time_pool(args.items, chunksize))?;
        let theirs = median(args.rounds, || {
            python_pool(&python, &script, args.items, &name)
        })?;
        writeln!(out, "  chunksize {name:<8} {}", side_by_side(ours, theirs))?;
    }

    writeln!(
        out,
        "\nSpawn: one worker started, said hello, and reaped, vs Command::new(\"/bin/true\")"
    )?;
    let ours = median(args.rounds, || time_spawns(args.spawns))?;
    let theirs = median(args.rounds, || time_true(args.spawns))?;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(args.spawns);
    writeln!(
        out,
        "  proclab worker {:>7.0} µs   /bin/true {:>7.0} µs   overhead {:+.0}%",
        per(ours),
        per(theirs),
        (per(ours) / per(theirs) - 1.0) * 100.0
    )?;
    Ok(ExitCode::SUCCESS)
}

fn which_python(python: &str) -> Result<PathBuf> {
    let status = Command::new(python)
        .arg("-c")
        .arg("import multiprocessing")
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Ok(PathBuf::from(python)),
        _ => bail!(
            "{python} with multiprocessing is needed to compare against: install Python 3 or pass --python PATH"
        ),
    }
}

fn python_version(python: &Path) -> String {
    Command::new(python)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// proclab's time, Python's, and how they compare.
fn side_by_side(ours: Duration, theirs: Duration) -> String {
    format!(
        "proclab {:>9}   python {:>9}   {}",
        ms(ours),
        ms(theirs),
        compare(ours, theirs)
    )
}

/// "3.2× faster" or "1.4× slower": proclab's time against Python's.
fn compare(ours: Duration, theirs: Duration) -> String {
    let ratio = theirs.as_secs_f64() / ours.as_secs_f64();
    if ratio >= 1.0 {
        format!("proclab {ratio:.1}× faster")
    } else {
        format!("proclab {:.1}× slower", 1.0 / ratio)
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(rounds: u32, mut measure: impl FnMut() -> Result<Duration>) -> Result<Duration> {
    let mut times = (0..rounds).map(|_| measure()).collect::<Result<Vec<_>>>()?;
    times.sort();
    Ok(times[times.len() / 2])
}

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

fn python_pool(python: &Path, script: &Path, items: u64, chunksize: &str) -> Result<Duration> {
    let output = Command::new(python)
        .arg(script)
        .arg(items.to_string())
        .arg(chunksize)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let secs: f64 = text
        .trim()
        .parse()
        .with_context(|| format!("Python's pool benchmark said {text:?}"))?;
    Ok(Duration::from_secs_f64(secs))
}

/// proclab's own pool: the same plan a lesson would make, run in this process.
fn time_pool(items: u64, chunksize: Option<u64>) -> Result<Duration> {
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
    let start = Instant::now();
    engine::run(
        &plan,
        &mut |event| {
            if let crate::event::Event::TaskFinished { .. } = event {
                finished += 1;
            }
            true
        },
        None,
    )?;
    let elapsed = start.elapsed();
    if finished != items {
        bail!("the pool finished {finished} of {items} items");
    }
    Ok(elapsed)
}

fn time_spawns(count: u32) -> Result<Duration> {
    let config = WorkerConfig {
        buffering: Buffering::Line,
        counter: CounterScope::Own,
        pin: None,
    };
    let start = Instant::now();
    for _ in 0..count {
        let mut worker = child::spawn(config, &child::ExtraFds::default())?;
        // The report pipe is non-blocking: wait until the hello is there.
        if let Some(file) = worker.reports.file() {
            let mut fds = [nix::poll::PollFd::new(
                file.as_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE)?;
        }
        let hello = worker.reports.read_once();
        if hello.lines.first().is_none_or(|l| !l.starts_with("H ")) {
            bail!("a worker did not say hello");
        }
        worker.close();
        worker.wait();
    }
    Ok(start.elapsed())
}

fn time_true(count: u32) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..count {
        Command::new("/bin/true").spawn()?.wait()?;
    }
    Ok(start.elapsed())
}
