//! The command line: parsing (clap) and one function per subcommand.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::engine::{self, RunOptions};
use crate::event::Event;
use crate::lesson::{Catalog, Lesson, check_paths};
use crate::limits;
use crate::record::observe::observe;
use crate::record::{RunRecord, report};

/// proclab: learn multiprocessing by watching real processes.
#[derive(Debug, Parser)]
#[command(name = "proclab", version, about, long_about = None)]
pub struct Cli {
    /// Also load lessons from this folder (a lesson folder, or a folder of them); a lesson with
    /// the id of a built-in one replaces it.
    #[arg(long, global = true, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// What to do; without one, the lesson list opens in the terminal UI.
    #[command(subcommand)]
    pub command: Option<Commands>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Open the terminal UI at a lesson.
    Open {
        /// The lesson's id (see `proclab list`).
        id: String,
        /// Run settings.
        #[command(flatten)]
        run: RunFlags,
    },
    /// List lesson ids and titles.
    List,
    /// Run a lesson's live scenario without the UI and print a report.
    Run {
        /// The lesson's id (see `proclab list`).
        id: String,
        /// Print the events as JSON lines instead of the report.
        #[arg(long)]
        json: bool,
        /// Run the first stage this many times and show the distribution of print orders.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=limits::MAX_REPEAT as i64))]
        repeat: Option<u32>,
        /// Run settings.
        #[command(flatten)]
        run: RunFlags,
    },
    /// Check lesson files or folders; report every problem as file:line:col.
    Check {
        /// Lesson folders, lesson.toml files, or folders of lessons.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Measure proclab against Python's multiprocessing on this machine.
    Bench(crate::bench::BenchArgs),
    /// Run a command and show its processes (a Python program's tasks too) as a run.
    Trace(TraceArgs),
}

/// Settings shared by `run` and `open`.
#[derive(Debug, Clone, Args)]
pub struct RunFlags {
    /// Divide every declared duration by X (10 runs ten times faster).
    #[arg(long, value_name = "X", default_value = "1", allow_negative_numbers = true, value_parser = parse_speed)]
    pub speed: f64,
    /// Use N workers where the lesson lets the count vary (pool size, copies of a process).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..=limits::MAX_WORKERS as i64))]
    pub workers: Option<u32>,
    /// Set a lesson knob, e.g. --set chunksize=2 (the lesson lists its knobs).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, f64)>,
}

impl RunFlags {
    /// The engine's options.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            speed: self.speed,
            workers: self.workers,
            settings: self.settings.clone(),
        }
    }
}

fn parse_speed(text: &str) -> Result<f64, String> {
    let range = format!(
        "a number from {} to {}",
        limits::MIN_SPEED,
        limits::MAX_SPEED
    );
    match text.trim().parse::<f64>() {
        Ok(x) if (limits::MIN_SPEED..=limits::MAX_SPEED).contains(&x) => Ok(x),
        _ => Err(format!(
            "must be {range} (for example --speed 10 runs ten times faster)"
        )),
    }
}

fn parse_setting(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| "must look like NAME=VALUE, for example --set chunksize=2".to_string())?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("the value of {name} must be a number, for example --set {name}=2"))?;
    if !value.is_finite() {
        return Err(format!("the value of {name} must be a finite number"));
    }
    Ok((name.trim().to_string(), value))
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        // A closed pipe (`proclab list | head -1`) is the reader's choice, not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn load_catalog(lessons: Option<&PathBuf>) -> Result<Catalog> {
    Catalog::load(lessons.map(PathBuf::as_path)).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the lessons in --lessons have problems:\n{}",
            list.join("\n")
        )
    })
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => open(None, None, cli.lessons),
        Some(Commands::Open { id, run }) => open(Some(id), Some(run), cli.lessons),
        Some(Commands::List) => {
            let catalog = load_catalog(cli.lessons.as_ref())?;
            let mut out = std::io::stdout().lock();
            for lesson in &catalog.lessons {
                writeln!(out, "{:<26} {}", lesson.id, lesson.title)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Commands::Check { paths }) => check(&paths),
        Some(Commands::Run {
            id,
            json,
            repeat,
            run,
        }) => {
            let catalog = load_catalog(cli.lessons.as_ref())?;
            let lesson = catalog
                .get(&id)
                .ok_or_else(|| anyhow::anyhow!(catalog.unknown(&id)))?;
            run_headless(lesson, &run.options(), json, repeat)
        }
        Some(Commands::Bench(args)) => crate::bench::main(&args),
        Some(Commands::Trace(args)) => trace(args),
    }
}

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
    let (checked, problems) = check_paths(paths);
    let mut out = std::io::stdout().lock();
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if problems.is_empty() {
        writeln!(
            out,
            "{checked} lesson{} checked: all valid",
            plural(checked)
        )?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(
            out,
            "{} problem{} found",
            problems.len(),
            plural(problems.len())
        )?;
        Ok(ExitCode::from(1))
    }
}

fn open(id: Option<String>, run: Option<RunFlags>, lessons: Option<PathBuf>) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        let example = id.as_deref().unwrap_or("pool-sleep");
        bail!(
            "the lesson screens need a terminal, and this output is not one.\n\
             To run a lesson without the UI, use: proclab run {example}\n\
             (add --json for machine-readable events; `proclab list` shows every lesson)"
        );
    }
    let catalog = load_catalog(lessons.as_ref())?;
    if let Some(id) = &id
        && catalog.get(id).is_none()
    {
        bail!(catalog.unknown(id));
    }
    let options = run.map(|r| r.options()).unwrap_or_default();
    crate::tui::run(catalog, id, options)?;
    Ok(ExitCode::SUCCESS)
}

/// Sets a flag on SIGINT, SIGTERM and SIGHUP so a headless run stops, kills and reaps its
/// workers, and exits cleanly.
fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .context("Failed to install a signal handler")?;
    }
    Ok(flag)
}

/// One headless run; `print_json` streams its events as they happen. `first_stage_only` runs
/// just the first stage (what `--repeat` compares).
fn run_once(
    lesson: &Lesson,
    options: &RunOptions,
    print_json: bool,
    first_stage_only: bool,
    interrupted: &Arc<AtomicBool>,
) -> Result<RunRecord> {
    let mut plan = engine::plan(lesson, options, engine::available_cores())?;
    if first_stage_only {
        plan.stages.truncate(1);
    }
    let mut record = RunRecord::new();
    let stdout = std::io::stdout();
    let mut sink = |event: Event| {
        if print_json {
            let mut out = stdout.lock();
            if writeln!(out, "{}", event.to_json())
                .and_then(|()| out.flush())
                .is_err()
            {
                return false;
            }
        }
        record.push(event);
        true
    };
    engine::run(&plan, &mut sink, Some(Arc::clone(interrupted)))
        .context("Failed to start the run")?;
    Ok(record)
}

fn run_headless(
    lesson: &Lesson,
    options: &RunOptions,
    json: bool,
    repeat: Option<u32>,
) -> Result<ExitCode> {
    let interrupted = interrupt_flag()?;
    let runs = repeat.unwrap_or(1);
    let mut outcomes = Vec::new();
    let mut parent_last = 0;
    let mut last = RunRecord::new();
    for _ in 0..runs {
        last = run_once(lesson, options, json, repeat.is_some(), &interrupted)?;
        if last.stopped {
            break;
        }
        if let Some(order) = observe(&last, crate::lesson::model::Observation::PrintOrder) {
            outcomes.push(order);
        }
        if last.output.back().is_some_and(|line| line.worker.is_none()) {
            parent_last += 1;
        }
    }
    if !json {
        let mut out = std::io::stdout().lock();
        if repeat.is_some() {
            write!(out, "{}", report::distribution(&outcomes))?;
            writeln!(
                out,
                "  The parent's own line came last in {parent_last} of {} runs.",
                outcomes.len()
            )?;
            writeln!(
                out,
                "\nThe last run in full (--repeat runs the first stage only):\n"
            )?;
        }
        write!(out, "{}", report::render(&last, Some(lesson)))?;
    }
    if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(ExitCode::from(130));
    }
    Ok(if last.stopped {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `proclab trace`: what to run and how to show it.
#[derive(Debug, Args)]
#[command(
    override_usage = "proclab trace [OPTIONS] -- COMMAND [ARGS]...",
    after_help = "Examples:\n  proclab trace -- python3 my_program.py\n  proclab trace --json --speed 20 -- python3 program.py\n  proclab trace -- sh -c 'sleep 0.3 & sleep 0.2 & wait'"
)]
pub struct TraceArgs {
    /// Print the events as JSON lines (the program's own output goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also save the events to FILE, to replay or export later.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Give the program pipes instead of a terminal (Python then block-buffers its prints).
    #[arg(long)]
    pub pipe: bool,
    /// Divide Python's time.sleep durations by X (timing only; results are unchanged).
    #[arg(long, value_name = "X", default_value = "1", allow_negative_numbers = true, value_parser = parse_speed)]
    pub speed: f64,
    /// The command to run and its arguments (put them after --).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<std::ffi::OsString>,
}

/// Traces a command: its output echoed live (stdout, or stderr with --json), then the report
/// (or the events as JSON lines). Exits with the command's code (128 + signal if killed), 130
/// if interrupted.
fn trace(args: TraceArgs) -> Result<ExitCode> {
    use crate::recording::RecordingWriter;
    use crate::trace::{Echo, TraceSpec};

    let interrupted = interrupt_flag()?;
    let mut recording = match &args.record {
        Some(path) => Some(RecordingWriter::create(path).with_context(|| {
            format!(
                "Failed to create the recording {}: choose a FILE in a folder you can write",
                path.display()
            )
        })?),
        None => None,
    };
    let spec = TraceSpec {
        command: args.command,
        pipe: args.pipe,
        speed: args.speed,
        echo: if args.json {
            Echo::Stderr
        } else {
            Echo::Stdout
        },
    };
    let mut record = RunRecord::new();
    let mut recording_error = None;
    let stdout = std::io::stdout();
    let mut sink = |event: Event| {
        if args.json {
            let mut out = stdout.lock();
            if writeln!(out, "{}", event.to_json())
                .and_then(|()| out.flush())
                .is_err()
            {
                return false;
            }
        }
        if let Some(writer) = recording.as_mut()
            && recording_error.is_none()
            && let Err(error) = writer.push(&event)
        {
            recording_error = Some(error);
        }
        record.push(event);
        true
    };
    let outcome = crate::trace::run(&spec, &mut sink, Some(Arc::clone(&interrupted)))?;
    if let (Some(path), Some(writer)) = (&args.record, recording) {
        match recording_error {
            Some(error) => Err(error),
            None => writer.finish(),
        }
        .with_context(|| format!("Failed to write the recording {}", path.display()))?;
    }
    if !args.json {
        let mut out = std::io::stdout().lock();
        write!(out, "\n{}", report::render(&record, None))?;
    }
    if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::from(outcome.shell_code()))
}
