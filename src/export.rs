//! `proclab export`: a recorded run as the text report of `proclab run`, or as an SVG timeline
//! for slides and handouts ([`svg`]).

pub(crate) mod svg;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::files;
use crate::lesson::Catalog;
use crate::record::{RunRecord, report};
use crate::recording::{self, RecordingError};

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The readable report `proclab run` prints.
    Text,
    /// A timeline picture: one lane per worker, one bar per task, coloured by core.
    Svg,
}

/// The arguments of `proclab export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// A recorded run: the JSON lines of `proclab run <id> --json > FILE`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write an SVG timeline to OUT (the same as --format svg -o OUT).
    #[arg(long, value_name = "OUT", conflicts_with_all = ["format", "output"])]
    pub svg: Option<PathBuf>,
    /// What to write [default: svg when OUT ends in .svg, else text].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to OUT instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

impl ExportArgs {
    /// The format to write and where (`None`: standard output).
    pub(crate) fn target(&self) -> (Format, Option<&Path>) {
        if let Some(svg) = &self.svg {
            return (Format::Svg, Some(svg));
        }
        let output = self.output.as_deref().filter(|p| *p != Path::new("-"));
        let by_name = output
            .and_then(Path::extension)
            .filter(|ext| ext.eq_ignore_ascii_case("svg"))
            .map(|_| Format::Svg);
        (self.format.or(by_name).unwrap_or(Format::Text), output)
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    /// The recording could not be read (names the file, line and column).
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// The output could not be written.
    #[error("could not write {}: {}", path.display(), explain(error))]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        error: io::Error,
    },
    /// The output is the recording being read.
    #[error(
        "{} is the recording being exported: writing there would replace it; name another file with -o",
        path.display()
    )]
    OverInput {
        /// The output path.
        path: PathBuf,
    },
    /// Standard output could not be written.
    #[error("could not write the export to standard output: {0}")]
    Stdout(io::Error),
}

/// An I/O error in words that say what to do.
fn explain(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "its folder does not exist: create it first".into(),
        io::ErrorKind::PermissionDenied => {
            "permission denied: choose a folder you can write to".into()
        }
        _ => error.to_string(),
    }
}

/// The run of a recording in `format`. The text report uses the lesson from `catalog` (for its
/// title and checkpoints) when the recorded lesson is there.
pub(crate) fn render(record: &RunRecord, format: Format, catalog: Option<&Catalog>) -> String {
    match format {
        Format::Text => report::render(record, catalog.and_then(|c| c.get(&record.lesson))),
        Format::Svg => svg::render(record),
    }
}

/// Reads the recording, renders it and writes it to a file (atomically) or to `stdout`; when it
/// writes a file, says so on `stdout`.
pub(crate) fn export(
    args: &ExportArgs,
    catalog: Option<&Catalog>,
    stdout: &mut dyn Write,
) -> Result<(), ExportError> {
    let (format, output) = args.target();
    if let Some(path) = output
        && same_file(&args.file, path)
    {
        return Err(ExportError::OverInput {
            path: path.to_path_buf(),
        });
    }
    let mut record = RunRecord::without_events();
    recording::read_events(&args.file, |event| record.push(event))?;
    let text = render(&record, format, catalog);
    match output {
        None => stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(ExportError::Stdout),
        Some(path) => {
            files::write_atomically(path, text.as_bytes()).map_err(|source| {
                ExportError::Write {
                    path: path.to_path_buf(),
                    error: source,
                }
            })?;
            let what = match format {
                Format::Text => "the report".to_string(),
                Format::Svg => format!(
                    "a timeline of {} workers and {} tasks",
                    record.workers.iter().filter(|w| w.pid != 0).count(),
                    record.tasks.len()
                ),
            };
            writeln!(
                stdout,
                "wrote {} ({what}, {} KiB)",
                path.display(),
                text.len().div_ceil(1024)
            )
            .map_err(ExportError::Stdout)
        }
    }
}

/// Whether `output` names the file `input` is (the same file, whatever the path says).
fn same_file(input: &Path, output: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(input), std::fs::symlink_metadata(output)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(svg: Option<&str>, format: Option<Format>, output: Option<&str>) -> ExportArgs {
        ExportArgs {
            file: "run.jsonl".into(),
            svg: svg.map(PathBuf::from),
            format,
            output: output.map(PathBuf::from),
        }
    }

    #[test]
    fn the_format_follows_the_flags_then_the_file_name() {
        assert_eq!(args(None, None, None).target(), (Format::Text, None));
        assert_eq!(
            args(Some("a.svg"), None, None).target(),
            (Format::Svg, Some(Path::new("a.svg")))
        );
        assert_eq!(
            args(None, None, Some("b.SVG")).target(),
            (Format::Svg, Some(Path::new("b.SVG")))
        );
        assert_eq!(
            args(None, Some(Format::Text), Some("b.svg")).target().0,
            Format::Text
        );
        assert_eq!(
            args(None, Some(Format::Svg), Some("-")).target(),
            (Format::Svg, None)
        );
    }
}
