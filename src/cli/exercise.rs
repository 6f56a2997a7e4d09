//! `proclab exercises` and `proclab exercise …`: list the exercises, write a starting program,
//! judge a program, print a solution, grade a folder of submissions.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{interrupt_flag, load_catalog};
use crate::exercise::{self, Exercise, Interpreter, JudgeOptions, Snapshot};
use crate::lesson::Catalog;
use crate::progress::store::ProgressStore;
use crate::text::{visible, visible_line};

/// Exit code of a usage problem (an unknown id, a file that cannot be read): not a verdict.
const USAGE: u8 = 2;

/// `proclab exercise`: an exercise's starting program, or one of the actions.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  proclab exercises\n  proclab exercise four-prints-in-order\n  proclab exercise check four-prints-in-order proclab-exercises/four-prints-in-order.py\n  proclab exercise grade four-prints-in-order submissions/ --csv"
)]
pub struct ExerciseArgs {
    /// What to do with an exercise.
    #[command(subcommand)]
    pub action: Option<ExerciseAction>,
    /// The exercise's id (see `proclab exercises`): writes its starting program into DIR.
    #[arg(required = true)]
    pub id: Option<String>,
    /// The folder the starting program is written into (created if missing).
    #[arg(long, value_name = "DIR", default_value = exercise::DEFAULT_WORKSPACE)]
    pub dir: PathBuf,
}

/// The actions of `proclab exercise`.
#[derive(Debug, Subcommand)]
pub enum ExerciseAction {
    /// Trace a program and judge it: each check ✓/✗ with its evidence; exit 0 if all pass.
    Check {
        /// The exercise's id.
        id: String,
        /// The Python program to judge.
        file: PathBuf,
        /// Print the verdict as one JSON object.
        #[arg(long)]
        json: bool,
        /// How to judge.
        #[command(flatten)]
        judging: JudgeFlags,
    },
    /// Print the exercise's reference solution.
    Solution {
        /// The exercise's id.
        id: String,
    },
    /// Judge every .py in a folder of submissions, each on its own with the time limit, and
    /// print a table: file, pass or fail per check, evidence, time; exit 0 if all pass.
    Grade {
        /// The exercise's id.
        id: String,
        /// The folder of submissions (its .py files).
        folder: PathBuf,
        /// The table as CSV.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// The table as one JSON object.
        #[arg(long)]
        json: bool,
        /// How to judge.
        #[command(flatten)]
        judging: JudgeFlags,
    },
}

/// How programs are judged.
#[derive(Debug, Clone, Args)]
pub struct JudgeFlags {
    /// The Python interpreter that runs the program (default: python3 on PATH).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Traced runs per start method, instead of the exercise's own count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub runs: Option<u32>,
}

/// `proclab exercise …`.
pub(crate) fn exercise(
    args: ExerciseArgs,
    lessons: Option<&PathBuf>,
    projector: bool,
) -> Result<ExitCode> {
    let catalog = load_catalog(lessons)?;
    match args.action {
        Some(ExerciseAction::Check {
            id,
            file,
            json,
            judging,
        }) => check(&catalog, &id, &file, json, &judging),
        Some(ExerciseAction::Solution { id }) => {
            let Some(found) = exercise::find(&catalog, &id) else {
                return usage(&exercise::unknown(&catalog, &id));
            };
            std::io::stdout()
                .lock()
                .write_all(visible(&found.solution.text).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(ExerciseAction::Grade {
            id,
            folder,
            csv,
            json,
            judging,
        }) => {
            let format = match (csv, json) {
                (true, _) => GradeFormat::Csv,
                (_, true) => GradeFormat::Json,
                _ => GradeFormat::Text,
            };
            grade(&catalog, &id, &folder, format, &judging)
        }
        None => {
            let id = args.id.unwrap_or_default();
            let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
            if terminal && exercise::find(&catalog, &id).is_some() {
                // The watch screen writes the starting program too, and checks it on every save.
                return Ok(crate::tui::exercise(catalog, &id, args.dir, projector)?.into());
            }
            start(&catalog, &id, &args.dir)
        }
    }
}

/// How `grade` prints its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GradeFormat {
    Text,
    Csv,
    Json,
}

/// `proclab exercise grade`.
fn grade(
    catalog: &Catalog,
    id: &str,
    folder: &Path,
    format: GradeFormat,
    judging: &JudgeFlags,
) -> Result<ExitCode> {
    use crate::exercise::grade;

    let Some(found) = exercise::find(catalog, id) else {
        return usage(&exercise::unknown(catalog, id));
    };
    let files = match grade::submissions(folder) {
        Ok(files) => files,
        Err(error) => return unreadable(folder, &error),
    };
    let (options, interrupted) = match judge_options(judging)? {
        Ok(judging) => judging,
        Err(code) => return Ok(code),
    };
    let _cap = exercise::cap::ProcessCap::apply();
    let tell = std::io::stderr().is_terminal();
    let total = files.len();
    let mut done = 0;
    let graded = grade::grade(found, &files, &options, &mut |file, progress| {
        if let (true, exercise::JudgeProgress::RunStarted { run: 0, .. }) = (tell, &progress) {
            done += 1;
            eprintln!("judging {} ({done} of {total})…", visible_line(file));
        }
    });
    let table = match format {
        GradeFormat::Text => grade::to_text(found, &graded),
        GradeFormat::Csv => grade::to_csv(found, &graded),
        GradeFormat::Json => grade::to_json(found, &graded) + "\n",
    };
    std::io::stdout().lock().write_all(table.as_bytes())?;
    Ok(judged_exit(
        &interrupted,
        graded.iter().all(grade::Graded::passed),
    ))
}

/// How to judge, from the command line's flags, with the flag Ctrl-C sets; `Err` is the exit
/// code of a usage error (no such interpreter), already told.
fn judge_options(
    judging: &JudgeFlags,
) -> Result<Result<(JudgeOptions, Arc<AtomicBool>), ExitCode>> {
    let python = match Interpreter::find(judging.python.as_deref()) {
        Ok(python) => python,
        Err(message) => return usage(&message).map(Err),
    };
    let interrupted = interrupt_flag()?;
    let options = JudgeOptions {
        python,
        runs: judging.runs,
        interrupted: Some(Arc::clone(&interrupted)),
    };
    Ok(Ok((options, interrupted)))
}

/// 130 after Ctrl-C; else 0 if what was judged passed, 1 if not.
fn judged_exit(interrupted: &AtomicBool, passed: bool) -> ExitCode {
    if interrupted.load(Ordering::Relaxed) {
        ExitCode::from(130)
    } else if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The usage error for a file or folder that cannot be read.
fn unreadable(path: &Path, error: &std::io::Error) -> Result<ExitCode> {
    usage(&format!(
        "{}: {}",
        visible_line(&path.display().to_string()),
        describe(error)
    ))
}

fn usage(message: &str) -> Result<ExitCode> {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    Ok(ExitCode::from(USAGE))
}

/// `proclab exercises`: one line per exercise, id first, in lesson order, ✓ for those passed.
pub(crate) fn list(lessons: Option<&PathBuf>) -> Result<ExitCode> {
    let catalog = load_catalog(lessons)?;
    let loaded = ProgressStore::in_state_dir().load();
    if let Some(notice) = &loaded.notice {
        eprintln!("{notice}");
    }
    let mut out = std::io::stdout().lock();
    for (lesson, exercise) in exercise::all(&catalog) {
        let done = if loaded.progress.exercises_passed.contains(&exercise.id) {
            "✓"
        } else {
            " "
        };
        writeln!(
            out,
            "{:<32} {:<24} {done} {}",
            exercise.id,
            lesson.id,
            visible_line(&exercise.title)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `proclab exercise check`.
fn check(
    catalog: &Catalog,
    id: &str,
    file: &Path,
    json: bool,
    judging: &JudgeFlags,
) -> Result<ExitCode> {
    let Some(found) = exercise::find(catalog, id) else {
        return usage(&exercise::unknown(catalog, id));
    };
    let program = match Snapshot::read(file) {
        Ok(program) => program,
        Err(error) => return unreadable(file, &error),
    };
    let (options, interrupted) = match judge_options(judging)? {
        Ok(judging) => judging,
        Err(code) => return Ok(code),
    };
    let _cap = exercise::cap::ProcessCap::apply();
    let verdict = exercise::judge(found, &program, &options, &mut |_| {});
    if verdict.passed {
        record_pass(&found.id);
    }
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", verdict.to_json())?;
    } else {
        writeln!(
            out,
            "{} — {}\n{}\n",
            found.id,
            visible_line(&found.title),
            visible_line(&file.display().to_string())
        )?;
        write!(out, "{}", verdict.to_text())?;
        if !verdict.passed
            && let Some(hint) = found.hints.first()
        {
            writeln!(out, "Hint: {}", visible(hint))?;
        }
    }
    Ok(judged_exit(&interrupted, verdict.passed))
}

fn describe(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".into(),
        _ => error.to_string(),
    }
}

/// Records in the progress file that exercise `id` passed (a problem saving is only said).
fn record_pass(id: &str) {
    let mut store = ProgressStore::in_state_dir();
    let mut loaded = store.load();
    loaded.progress.exercise_passed(id);
    if let Some(notice) = loaded
        .notice
        .into_iter()
        .chain(store.save(&loaded.progress))
        .next()
    {
        eprintln!("{notice}");
    }
}

/// `proclab exercise <id> [--dir D]`: writes `D/<id>.py` from the starting program unless it
/// exists (the learner's file is never overwritten), then says what to do next.
fn start(catalog: &Catalog, id: &str, dir: &Path) -> Result<ExitCode> {
    let Some(found) = exercise::find(catalog, id) else {
        return usage(&exercise::unknown(catalog, id));
    };
    let path = found.workspace_file(dir);
    let written = found
        .write_start(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", about(found))?;
    let shown = visible_line(&path.display().to_string()).into_owned();
    if written {
        writeln!(
            out,
            "\nYour program: {shown} (a copy of the starting program)"
        )?;
    } else {
        writeln!(
            out,
            "\nYour program: {shown} (already there: kept as it is)"
        )?;
    }
    writeln!(
        out,
        "Edit it, then check it:\n  proclab exercise check {} {shown}",
        found.id
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The exercise's title, task and checks as text.
fn about(exercise: &Exercise) -> String {
    let mut text = format!(
        "{} — {}\n{}\n\n{}\n\nChecks:\n",
        exercise.id,
        visible_line(&exercise.title),
        visible_line(&exercise.summary),
        visible(exercise.task.trim_end())
    );
    for spec in &exercise.checks {
        text.push_str(&format!("  ○ {}\n", visible(&spec.check.describe())));
    }
    text
}

/// `proclab new --exercise <lesson> <id>` (with `--lessons DIR`).
pub(crate) fn new_exercise(lessons: Option<&Path>, lesson: &str, id: &str) -> Result<ExitCode> {
    let Some(root) = lessons else {
        use clap::CommandFactory;
        super::Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                format!(
                    "--exercise needs --lessons DIR: the exercise goes into DIR/{lesson}/exercises/{id}/.\n\
                     For example: proclab --lessons my-lessons new --exercise {lesson} {id}"
                ),
            )
            .exit()
    };
    let made = crate::scaffold::exercise::scaffold_exercise(root, lesson, id)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Created the exercise {id:?} in {}:",
        made.folder.display()
    )?;
    let about = [
        "the exercise: task, hints and checks, every field commented",
        "the starting program (fails a check)",
        "the reference solution (passes every check)",
    ];
    for (path, about) in made.files.iter().zip(about) {
        writeln!(out, "  {:<56} {about}", path.display().to_string())?;
    }
    let (root, folder) = (root.display(), made.folder.display());
    writeln!(out, "\nNext:")?;
    writeln!(out, "  proclab check {root}")?;
    writeln!(
        out,
        "  proclab --lessons {root} exercise check {id} {folder}/start.py"
    )?;
    writeln!(
        out,
        "  proclab --lessons {root} exercise check {id} {folder}/solution.py"
    )?;
    Ok(ExitCode::SUCCESS)
}
