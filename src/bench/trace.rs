//! What `proclab trace` costs the program it watches: the same Python program run alone and
//! under `proclab trace --json`, as whole commands, in alternating pairs.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{Pairs, PythonSide, time_command, times};
use crate::event::Event;
use crate::lesson::Catalog;

/// Many tiny tasks: a pool of 2 maps a function that does nothing over 250,000 numbers.
const MANY_TINY_TASKS: &str = r#"
from multiprocessing import Pool

def same(n):
    return n

if __name__ == "__main__":
    with Pool(2) as pool:
        print(sum(pool.map(same, range(250_000))))
"#;

/// The lessons whose `program.py` is traced: one with a few processes and tasks, and the
/// heaviest for the tracer (300,000 tasks, 100,000 of them one chunk each, past its limit of
/// 200,000).
const LESSONS: [&str; 2] = ["shared-state", "chunksize"];

/// Runs `proclab trace --json -- python program` (the program's output thrown away, the events
/// into `events`); how long the whole command took, and how long the program ran as the trace
/// saw it (from its launch until its first process exited).
fn traced(python: &Path, program: &Path, events: &Path) -> Result<(Duration, Duration)> {
    let exe = crate::protocol::own_binary()?;
    let start = Instant::now();
    let status = Command::new(exe)
        .args(["trace", "--json", "--"])
        .arg(python)
        .arg(program)
        .stdout(std::fs::File::create(events)?)
        .stderr(Stdio::null())
        .status()
        .context("Failed to run proclab trace")?;
    let whole = start.elapsed();
    if !status.success() {
        bail!("proclab trace of {} failed: {status}", program.display());
    }
    let text = std::fs::read_to_string(events)?;
    let mut root = None;
    for line in text.lines() {
        match serde_json::from_str(line) {
            Ok(Event::Spawned { pid, .. }) if root.is_none() => root = Some(pid),
            Ok(Event::Exited { pid, t_ms, .. }) if Some(pid) == root => {
                return Ok((whole, Duration::from_secs_f64(t_ms / 1e3)));
            }
            _ => {}
        }
    }
    bail!("the trace of {} never saw it exit", program.display())
}

/// Prints the traced ÷ alone ratios over `rounds` pairs for each program.
pub(super) fn print(
    out: &mut impl Write,
    python: &PythonSide,
    catalog: &Catalog,
    rounds: u32,
) -> Result<()> {
    writeln!(
        out,
        "\nWhat tracing costs: the same Python program alone and under `proclab trace --json`; \
         the program's run (as the trace saw it, from its launch to its exit), and the whole \
         command (proclab writing every event included)"
    )?;
    let folder = tempfile::tempdir().context("Failed to make a temporary folder")?;
    let mut programs = vec![(
        "Pool(2).map of 250,000 tiny tasks".to_string(),
        MANY_TINY_TASKS.to_string(),
    )];
    for id in LESSONS {
        let lesson = catalog.get(id).context("built-in lesson missing")?;
        programs.push((format!("{id}'s program.py"), lesson.program.clone()));
    }
    for (index, (label, text)) in programs.iter().enumerate() {
        let path = folder.path().join(format!("program_{index}.py"));
        std::fs::write(&path, text).context("Failed to write a Python program")?;
        let events = folder.path().join("events.jsonl");
        let mut wholes = Vec::new();
        let pairs = Pairs::measure(
            rounds,
            || {
                let (whole, program) = traced(&python.python, &path, &events)?;
                wholes.push(whole);
                Ok(program)
            },
            || time_command(Command::new(&python.python).arg(&path)),
        )?;
        let alone: Vec<Duration> = pairs.0.iter().map(|p| p.1).collect();
        let whole = Pairs(wholes.into_iter().zip(alone).collect());
        for (what, pairs) in [("the program", &pairs), ("the whole command", &whole)] {
            let (median, min, max) = pairs.inverse_ratios();
            let label = format!("{label}, {what}");
            writeln!(
                out,
                "  {label:<60} traced {:>9}   alone {:>9}   traced ÷ alone {} [{}–{}]",
                super::ms(pairs.median(|p| p.0)),
                super::ms(pairs.median(|p| p.1)),
                times(median),
                times(min),
                times(max),
            )?;
        }
    }
    Ok(())
}
