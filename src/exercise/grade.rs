//! `proclab exercise grade`: every `.py` of a folder of submissions judged on its own (one
//! trace session each, one private copy each, the exercise's time limit), then a table as
//! text, CSV or JSON: file, pass or fail per check, the evidence, how long judging took.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Exercise;
use super::judge::{JudgeOptions, JudgeProgress, judge};
use super::run::Snapshot;
use super::verdict::Verdict;
use crate::text::visible_line;

/// Most submissions one folder may hold.
pub const MAX_SUBMISSIONS: usize = 1_000;

/// One submission and its verdict (or why it could not be judged).
#[derive(Debug, Clone, Serialize)]
pub struct Graded {
    /// The file's name in the folder.
    pub file: String,
    /// The verdict.
    pub verdict: Option<Verdict>,
    /// Why it was not judged (unreadable, too large).
    pub error: Option<String>,
}

impl Graded {
    /// It passed every check.
    pub fn passed(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| v.passed)
    }
}

/// The `.py` files directly in `folder`, by name.
pub fn submissions(folder: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    if files.len() > MAX_SUBMISSIONS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "holds {} .py files: grade at most {MAX_SUBMISSIONS} at a time",
                files.len()
            ),
        ));
    }
    Ok(files)
}

/// Judges each of `files` in turn; `progress` hears which file starts, then its runs.
pub fn grade(
    exercise: &Exercise,
    files: &[PathBuf],
    options: &JudgeOptions,
    progress: &mut (dyn FnMut(&str, JudgeProgress) + Send),
) -> Vec<Graded> {
    let mut graded = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let stopped = options
            .interrupted
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed));
        if stopped {
            break;
        }
        let one = match Snapshot::read(path) {
            Ok(program) => Graded {
                verdict: Some(judge(exercise, &program, options, &mut |p| {
                    progress(&file, p)
                })),
                error: None,
                file,
            },
            Err(error) => Graded {
                file,
                verdict: None,
                error: Some(error.to_string()),
            },
        };
        graded.push(one);
    }
    graded
}

/// The table as text: one row per file (✓/✗ per check, numbered as in the legend, and the
/// time judging took), then the evidence of every failed check.
pub fn to_text(exercise: &Exercise, graded: &[Graded]) -> String {
    let mut text = String::from("Checks:\n");
    for (i, spec) in exercise.checks.iter().enumerate() {
        text.push_str(&format!("  {:>2}  {}\n", i + 1, spec.check.describe()));
    }
    let width = graded
        .iter()
        .map(|g| g.file.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    let numbers: String = (1..=exercise.checks.len())
        .map(|i| format!("{:>3}", i % 100))
        .collect();
    text.push_str(&format!("\n{:<width$}  result {numbers}    time\n", "file"));
    for one in graded {
        let name = visible_line(&one.file);
        match (&one.verdict, &one.error) {
            (Some(verdict), _) => {
                let marks: String = verdict
                    .checks
                    .iter()
                    .map(|c| format!("{:>3}", if c.passed { "✓" } else { "✗" }))
                    .collect();
                let result = if verdict.passed { "pass" } else { "FAIL" };
                text.push_str(&format!(
                    "{name:<width$}  {result:<6} {marks}  {:>5.1} s\n",
                    verdict.judged_ms / 1000.0
                ));
            }
            (None, error) => {
                let error = error.as_deref().unwrap_or("not judged");
                text.push_str(&format!("{name:<width$}  error  {}\n", visible_line(error)));
            }
        }
    }
    let failed: Vec<&Graded> = graded.iter().filter(|g| !g.passed()).collect();
    if !failed.is_empty() {
        text.push_str("\nEvidence:\n");
    }
    for one in failed {
        let Some(verdict) = &one.verdict else {
            continue;
        };
        for (i, check) in verdict.checks.iter().enumerate().filter(|(_, c)| !c.passed) {
            text.push_str(&format!(
                "  {} ✗{}: {}\n",
                visible_line(&one.file),
                i + 1,
                visible_line(&check.evidence)
            ));
        }
    }
    let passed = graded.iter().filter(|g| g.passed()).count();
    text.push_str(&format!("\n{passed} of {} passed.\n", graded.len()));
    text
}

/// One CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
fn csv_field(value: &str) -> String {
    let value = visible_line(value);
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.into_owned()
    };
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The table as CSV: a header, then one row per file (`pass`/`fail` per check, the seconds
/// judging took, the evidence of the failed checks).
pub fn to_csv(exercise: &Exercise, graded: &[Graded]) -> String {
    let mut header = vec!["file".to_string(), "passed".to_string()];
    header.extend(
        exercise
            .checks
            .iter()
            .enumerate()
            .map(|(i, spec)| format!("{}_{}", i + 1, spec.check.kind())),
    );
    header.extend(["seconds".to_string(), "evidence".to_string()]);
    let mut csv = header.join(",") + "\n";
    for one in graded {
        let mut row = vec![csv_field(&one.file)];
        match &one.verdict {
            Some(verdict) => {
                row.push(verdict.passed.to_string());
                row.extend(
                    verdict
                        .checks
                        .iter()
                        .map(|c| if c.passed { "pass" } else { "fail" }.to_string()),
                );
                row.push(format!("{:.2}", verdict.judged_ms / 1000.0));
                let evidence: Vec<String> = verdict
                    .checks
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !c.passed)
                    .map(|(i, c)| format!("{}: {}", i + 1, c.evidence))
                    .collect();
                row.push(csv_field(&evidence.join("; ")));
            }
            None => {
                row.push("false".into());
                row.extend(exercise.checks.iter().map(|_| "error".to_string()));
                row.push(String::new());
                row.push(csv_field(one.error.as_deref().unwrap_or("not judged")));
            }
        }
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    csv
}

/// The table as one JSON object: the exercise and each file's verdict.
pub fn to_json(exercise: &Exercise, graded: &[Graded]) -> String {
    serde_json::json!({ "exercise": exercise.id, "submissions": graded }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }
}
