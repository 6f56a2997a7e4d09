//! The command line: parsing (clap) and one function per subcommand.

mod exercise;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::engine::{self, RunOptions};
use crate::event::{Event, Sink};
use crate::lesson::{Catalog, Lesson, check_paths};
use crate::limits;
use crate::record::observe::observe;
use crate::record::{RunRecord, report};
use crate::recording::{Recording, RecordingWriter};

/// proclab: learn multiprocessing by watching real processes.
#[derive(Debug, Parser)]
#[command(name = "proclab", version, about, long_about = None)]
pub struct Cli {
    /// Also load lessons from this folder (a lesson folder, or a folder of them); a lesson with
    /// the id of a built-in one replaces it.
    #[arg(long, global = true, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// Projector mode for the terminal UI: high contrast, big text, less on screen (`z`
    /// toggles it).
    #[arg(long, global = true)]
    pub projector: bool,
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
        /// Reload the lesson when its files in --lessons change, showing problems in place.
        #[arg(long)]
        watch: bool,
        /// Run settings.
        #[command(flatten)]
        run: RunFlags,
    },
    /// Show a lesson's instructor notes (page by page, following the lesson screen).
    Notes {
        /// The lesson's id; without it, the notes follow whichever lesson proclab shows.
        id: Option<String>,
        /// Stay on the page chosen with ←/→ instead of following the lesson screen.
        #[arg(long, requires = "id")]
        no_follow: bool,
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
        /// Also save every event to FILE, to show later with `proclab replay FILE` or
        /// `proclab export FILE`.
        #[arg(long, value_name = "FILE", conflicts_with = "repeat")]
        record: Option<PathBuf>,
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
    /// Play back a recorded run in the terminal UI, with pause, step and seek.
    Replay {
        /// A recording made with `--record FILE` (or the output of `run --json`).
        file: PathBuf,
    },
    /// Export a recorded run (`proclab run <id> --record FILE`) as the text report or as an SVG
    /// timeline for slides and handouts.
    #[command(
        after_help = "Examples:\n  proclab run pool-sleep --speed 10 --record run.jsonl\n  proclab export run.jsonl --svg run.svg\n  proclab export run.jsonl --format text"
    )]
    Export(crate::export::ExportArgs),
    /// Start a new lesson: DIR/<id>/ with lesson.toml (every field commented), narrative.md and
    /// program.py, ready to check, run and edit.
    ///
    /// With --exercise LESSON EXERCISE (and --lessons DIR): a new exercise in DIR/LESSON/exercises/.
    New {
        /// The new lesson's id: lowercase letters, digits and single '-' between words (with
        /// --exercise: the lesson the exercise belongs to).
        id: String,
        /// With --exercise: the new exercise's id.
        #[arg(requires = "exercise")]
        exercise_id: Option<String>,
        /// Make an exercise in the lesson ID of --lessons instead of a lesson.
        #[arg(long, requires = "exercise_id")]
        exercise: bool,
        /// The folder to create the lesson folder in (created if missing).
        #[arg(
            long,
            value_name = "DIR",
            default_value = ".",
            conflicts_with = "exercise"
        )]
        dir: PathBuf,
    },
    /// Print a shell completion script, e.g. `proclab completions bash > ~/.local/share/bash-completion/completions/proclab`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write proclab.1 and one page per subcommand into DIR.
    Man {
        /// Write the pages into this folder (created if missing) instead of printing proclab.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run a command and show its processes (a Python program's tasks too) as a run.
    Trace(TraceArgs),
    /// List the exercises: id, lesson, ✓ when passed, title.
    Exercises,
    /// Write an exercise's starting program, or check, grade or show a solution.
    Exercise(exercise::ExerciseArgs),
}

impl Commands {
    /// Whether the command may run a lesson's workers (the terminal UI, `run`, `bench`).
    fn runs_lessons(&self) -> bool {
        matches!(
            self,
            Commands::Open { .. } | Commands::Run { .. } | Commands::Bench(_)
        )
    }
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
    pub(crate) fn options(&self) -> RunOptions {
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
    // Before any thread: workers are forked from this copy of proclab (see engine::fork_server).
    let runs_lessons = cli.command.as_ref().is_none_or(Commands::runs_lessons);
    let _fork_server = match runs_lessons.then(engine::fork_server::start) {
        Some(Err(error)) => {
            eprintln!("error: cannot start proclab's fork server: {error}");
            return ExitCode::from(1);
        }
        started => started.and_then(Result::ok),
    };
    match dispatch(cli) {
        Ok(code) => code,
        // A closed pipe (`proclab list | head -1`) is the reader's choice, not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // Not eprintln!: it panics when stderr is a terminal that is gone.
            // An error may quote a file or a program: its control characters are shown.
            let message = format!("{error:#}");
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                crate::text::visible(&message)
            );
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
        None => open(None, None, cli.lessons, cli.projector),
        Some(Commands::Open {
            id,
            watch: true,
            run,
        }) => open_watching(&id, &run, cli.lessons, cli.projector),
        Some(Commands::Open { id, run, .. }) => {
            open(Some(id), Some(run), cli.lessons, cli.projector)
        }
        Some(Commands::Notes { id, no_follow }) => notes(id, !no_follow, cli.lessons.as_ref()),
        Some(Commands::List) => {
            let catalog = load_catalog(cli.lessons.as_ref())?;
            let mut out = std::io::stdout().lock();
            for lesson in &catalog.lessons {
                let title = crate::text::visible_line(&lesson.title);
                writeln!(out, "{:<26} {title}", lesson.id)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Commands::Check { paths }) => check(&paths),
        Some(Commands::Run {
            id,
            json,
            repeat,
            record,
            run,
        }) => {
            let catalog = load_catalog(cli.lessons.as_ref())?;
            let lesson = catalog
                .get(&id)
                .ok_or_else(|| anyhow::anyhow!(catalog.unknown(&id)))?;
            let output = Output {
                json,
                record: record.as_deref(),
            };
            run_headless(lesson, &run.options(), output, repeat)
        }
        Some(Commands::Bench(args)) => crate::bench::main(&args),
        Some(Commands::Replay { file }) => replay(&file, cli.lessons, cli.projector),
        Some(Commands::Export(args)) => export(&args, cli.lessons.as_ref()),
        Some(Commands::New {
            id,
            exercise_id: Some(exercise_id),
            ..
        }) => exercise::new_exercise(cli.lessons.as_deref(), &id, &exercise_id),
        Some(Commands::New { id, dir, .. }) => new_lesson(&id, &dir),
        Some(Commands::Completions { shell }) => completions(shell),
        Some(Commands::Man { dir }) => man(dir.as_deref()),
        Some(Commands::Trace(args)) => trace(args, cli.lessons, cli.projector),
        Some(Commands::Exercises) => exercise::list(cli.lessons.as_ref()),
        Some(Commands::Exercise(args)) => {
            exercise::exercise(args, cli.lessons.as_ref(), cli.projector)
        }
    }
}

fn replay(file: &Path, lessons: Option<PathBuf>, projector: bool) -> Result<ExitCode> {
    let recording = Recording::read(file)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "replay needs a terminal, and this output is not one.\n\
             To read the recording as text, use: proclab export {} --format text",
            file.display()
        );
    }
    let catalog = load_catalog(lessons.as_ref())?;
    Ok(crate::tui::replay(catalog, recording, file, projector)?.into())
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

fn open(
    id: Option<String>,
    run: Option<RunFlags>,
    lessons: Option<PathBuf>,
    projector: bool,
) -> Result<ExitCode> {
    need_terminal(id.as_deref())?;
    let catalog = load_catalog(lessons.as_ref())?;
    if let Some(id) = &id
        && catalog.get(id).is_none()
    {
        bail!(catalog.unknown(id));
    }
    let options = run.map(|r| r.options()).unwrap_or_default();
    Ok(crate::tui::run(catalog, id, options, projector, None)?.into())
}

/// Fails unless both stdin and stdout are a terminal, pointing at what works without one.
fn need_terminal(id: Option<&str>) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        let example = id.unwrap_or("pool-sleep");
        bail!(
            "the lesson screens need a terminal, and this output is not one.\n\
             To run a lesson without the UI, use: proclab run {example}\n\
             (add --json for machine-readable events; `proclab list` shows every lesson)"
        );
    }
    Ok(())
}

/// `open <id> --lessons DIR --watch`.
fn open_watching(
    id: &str,
    run: &RunFlags,
    lessons: Option<PathBuf>,
    projector: bool,
) -> Result<ExitCode> {
    let Some(dir) = lessons else {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                format!(
                    "--watch needs --lessons DIR: it reloads a lesson from the folder you edit \
                     (the built-in lessons are compiled in).\n\
                     For example: proclab open {id} --lessons my-lessons --watch"
                ),
            )
            .exit()
    };
    need_terminal(Some(id))?;
    let (catalog, watched) = crate::tui::app::watch::Watched::load(&dir, id)?;
    let exit = crate::tui::run(
        catalog,
        Some(id.to_string()),
        run.options(),
        projector,
        Some(watched),
    )?;
    Ok(exit.into())
}

/// `notes [id]`: the notes window in a terminal, else every note as plain text.
fn notes(id: Option<String>, follow: bool, lessons: Option<&PathBuf>) -> Result<ExitCode> {
    let catalog = load_catalog(lessons)?;
    if let Some(id) = &id
        && catalog.get(id).is_none()
    {
        bail!(catalog.unknown(id));
    }
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        let exit = crate::tui::runtime::notes::run(catalog.lessons, id.as_deref(), follow)?;
        return Ok(exit.into());
    }
    let shown = crate::notes::shown();
    let id = id.or(shown.map(|shown| shown.lesson)).ok_or_else(|| {
        anyhow::anyhow!(
            "name the lesson: proclab notes <id> (`proclab list` shows every id); \
             without one, the notes follow the lesson proclab shows, which needs a terminal"
        )
    })?;
    let lesson = catalog
        .get(&id)
        .ok_or_else(|| anyhow::anyhow!(catalog.unknown(&id)))?;
    write!(
        std::io::stdout().lock(),
        "{}",
        crate::notes::plain_text(lesson)
    )?;
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

/// Where a headless run's events go besides its record.
#[derive(Debug, Clone, Copy)]
struct Output<'a> {
    /// Print them as JSON lines.
    json: bool,
    /// Save them to this recording.
    record: Option<&'a Path>,
}

/// The one sink of a headless run or trace: every event goes to the recording (if asked for),
/// then to standard output as a JSON line (with `--json`), then into the record the report is
/// drawn from. A recording that cannot be written stops the run, and [`EventSink::finish`]
/// says why; a closed standard output stops it quietly (the reader chose to stop reading).
struct EventSink<'a> {
    output: Output<'a>,
    /// JSON lines not written yet: they go out when the run's reader has caught up (or this
    /// holds [`JSON_HELD_BYTES`]), so that a stage's thousands of events take a few writes.
    json_lines: Vec<u8>,
    recording: Option<RecordingWriter>,
    recording_error: Option<std::io::Error>,
    record: RunRecord,
}

impl<'a> EventSink<'a> {
    /// Starts the recording asked for, with an error that names the file.
    fn start(output: Output<'a>) -> Result<EventSink<'a>> {
        let recording = output
            .record
            .map(|path| {
                RecordingWriter::create(path)
                    .with_context(|| format!("cannot write the recording {}", path.display()))
            })
            .transpose()?;
        Ok(EventSink {
            output,
            json_lines: Vec::new(),
            recording,
            recording_error: None,
            record: RunRecord::without_events(),
        })
    }

    /// Writes out the JSON lines held back; `false` if standard output is closed.
    fn write_json_lines(&mut self) -> bool {
        if self.json_lines.is_empty() {
            return true;
        }
        let mut out = std::io::stdout().lock();
        let written = out.write_all(&self.json_lines).and_then(|()| out.flush());
        self.json_lines.clear();
        written.is_ok()
    }

    /// Puts the recording in place and says where it is; returns the run's record.
    fn finish(mut self) -> Result<RunRecord> {
        self.write_json_lines();
        let (Some(writer), Some(path)) = (self.recording, self.output.record) else {
            return Ok(self.record);
        };
        let context = || format!("cannot write the recording {}", path.display());
        if let Some(error) = self.recording_error {
            return Err(error).with_context(context);
        }
        writer.finish().with_context(context)?;
        eprintln!(
            "Recorded to {}: show it with `proclab replay {0}`",
            path.display()
        );
        Ok(self.record)
    }
}

/// Most bytes of JSON lines held back before they are written.
const JSON_HELD_BYTES: usize = 64 * 1024;

impl Sink for EventSink<'_> {
    fn take(&mut self, event: Event) -> bool {
        if let Some(writer) = self.recording.as_mut()
            && let Err(error) = writer.push(&event)
        {
            self.recording_error = Some(error);
            return false;
        }
        if self.output.json {
            self.json_lines
                .extend_from_slice(event.to_json().as_bytes());
            self.json_lines.push(b'\n');
            if self.json_lines.len() >= JSON_HELD_BYTES && !self.write_json_lines() {
                return false;
            }
        }
        self.record.push(event);
        true
    }

    fn caught_up(&mut self) -> bool {
        self.write_json_lines()
    }
}

/// One headless run; `--json` streams its events as they happen. `first_stage_only` runs
/// just the first stage (what `--repeat` compares).
fn run_once(
    lesson: &Lesson,
    options: &RunOptions,
    output: Output,
    first_stage_only: bool,
    interrupted: &Arc<AtomicBool>,
) -> Result<RunRecord> {
    let mut plan = engine::plan(lesson, options, engine::available_cores())?;
    if first_stage_only {
        plan.stages.truncate(1);
    }
    let mut sink = EventSink::start(output)?;
    engine::run(&plan, &mut sink, Some(Arc::clone(interrupted)))
        .context("Failed to start the run")?;
    sink.finish()
}

fn run_headless(
    lesson: &Lesson,
    options: &RunOptions,
    output: Output,
    repeat: Option<u32>,
) -> Result<ExitCode> {
    let interrupted = interrupt_flag()?;
    let runs = repeat.unwrap_or(1);
    let mut outcomes = Vec::new();
    let mut parent_last = 0;
    let mut last = RunRecord::new();
    for _ in 0..runs {
        last = run_once(lesson, options, output, repeat.is_some(), &interrupted)?;
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
    if !output.json {
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

/// `proclab export`: the lessons are loaded only for the text report's title and checkpoints.
fn export(args: &crate::export::ExportArgs, lessons: Option<&PathBuf>) -> Result<ExitCode> {
    let catalog = match args.target().0 {
        crate::export::Format::Text => Some(load_catalog(lessons)?),
        crate::export::Format::Svg => None,
    };
    crate::export::export(args, catalog.as_ref(), &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// `proclab new`: scaffolds the lesson and says what to try next.
fn new_lesson(id: &str, dir: &std::path::Path) -> Result<ExitCode> {
    let made = crate::scaffold::scaffold(id, dir)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Created the lesson {id:?} in {}:",
        made.folder.display()
    )?;
    let about = [
        "the lesson's data: every field commented",
        "two pages, each with a checkpoint",
        "the Python program it is about",
    ];
    for (path, about) in made.files.iter().zip(about) {
        writeln!(out, "  {:<40} {about}", path.display().to_string())?;
    }
    let (folder, dir) = (made.folder.display(), dir.display());
    writeln!(out, "\nNext:")?;
    writeln!(out, "  proclab check {folder}")?;
    writeln!(out, "  proclab --lessons {dir} run {id} --speed 20")?;
    writeln!(out, "  proclab --lessons {dir} open {id}")?;
    writeln!(out, "  python3 {folder}/program.py")?;
    if crate::lesson::load::CURRICULUM_ORDER.contains(&id) {
        writeln!(
            out,
            "\nNote: {id:?} is also a built-in lesson; with --lessons {dir} yours replaces it."
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `proclab completions <shell>`: the completion script on standard output.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "proclab", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// `proclab man`: proclab.1 on standard output, or every page (proclab.1, proclab-run.1, …)
/// written into `dir` through [`crate::files::write_atomically`].
fn man(dir: Option<&std::path::Path>) -> Result<ExitCode> {
    use clap::CommandFactory;
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        std::io::stdout().lock().write_all(&page)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let mut pages = vec![command.clone()];
    pages.extend(
        command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned(),
    );
    let mut out = std::io::stdout().lock();
    for page in pages {
        let man = clap_mangen::Man::new(page);
        let path = dir.join(man.get_filename());
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        crate::files::write_atomically(&path, &roff)
            .with_context(|| format!("Failed to write {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
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

/// `proclab trace`: live in the terminal UI when there is a terminal (and neither `--json` nor
/// `--record` asks for a stream); else the program's output echoed live (on stderr with
/// `--json`), then the report or the events as JSON lines. Exits with the command's code
/// (128 + signal if killed), 130 if interrupted.
fn trace(args: TraceArgs, lessons: Option<PathBuf>, projector: bool) -> Result<ExitCode> {
    use crate::trace::{Echo, TraceSpec};

    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !args.json && args.record.is_none() {
        crate::trace::find_command(&args.command[0])
            .with_context(|| format!("cannot run {}", args.command[0].to_string_lossy()))?;
        let mut spec = TraceSpec::new(args.command);
        spec.pipe = args.pipe;
        spec.speed = args.speed;
        let exit = crate::tui::trace(load_catalog(lessons.as_ref())?, spec, projector)?;
        return Ok(exit.into());
    }
    let interrupted = interrupt_flag()?;
    let mut sink = EventSink::start(Output {
        json: args.json,
        record: args.record.as_deref(),
    })?;
    let spec = TraceSpec {
        command: args.command,
        pipe: args.pipe,
        speed: args.speed,
        echo: if args.json {
            Echo::Stderr
        } else {
            Echo::Stdout
        },
        start_method: None,
    };
    let outcome = crate::trace::run(&spec, &mut sink, Some(Arc::clone(&interrupted)))?;
    let record = sink.finish()?;
    if !args.json {
        let mut out = std::io::stdout().lock();
        write!(out, "\n{}", report::render(&record, None))?;
    }
    if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::from(outcome.shell_code()))
}
