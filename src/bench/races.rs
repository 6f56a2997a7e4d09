//! What the race lessons show over many runs: how often the unlocked shared counter loses
//! updates (and the locked one does not), and how often both workers of a pool of 2 take items
//! in `pool-pids`, against Python's `Pool(2)` doing the same on this machine.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::PythonSide;

/// The events of `proclab run <args> --json`.
fn run_events(args: &[&str]) -> Result<Vec<Value>> {
    let exe = crate::protocol::own_binary()?;
    let output = Command::new(exe)
        .arg("run")
        .args(args)
        .arg("--json")
        .stderr(Stdio::null())
        .output()
        .context("Failed to run proclab")?;
    if !output.status.success() {
        bail!("proclab run {args:?} failed: {}", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// Updates lost by each shared counter of one `proclab run shared-state`: (no lock, lock).
fn shared_state_losses() -> Result<(u64, u64)> {
    let events = run_events(&["shared-state"])?;
    let lost: Vec<u64> = events
        .iter()
        .filter(|e| e["event"] == "shared_counter")
        .filter_map(|e| Some(e["expected"].as_u64()?.saturating_sub(e["value"].as_u64()?)))
        .collect();
    match lost[..] {
        [unlocked, locked] => Ok((unlocked, locked)),
        _ => bail!(
            "shared-state reported {} shared counters, not 2",
            lost.len()
        ),
    }
}

/// How many different worker PIDs ran the five items of one `proclab run pool-pids` with 2
/// workers.
fn pool_pids_distinct() -> Result<usize> {
    let events = run_events(&["pool-pids", "--workers", "2"])?;
    let pids: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["event"] == "task_finished")
        .filter_map(|e| e["pid"].as_u64())
        .collect();
    Ok(pids.len())
}

/// Prints the race lessons' outcomes over `runs` runs each.
pub(super) fn print(out: &mut impl Write, python: &PythonSide, runs: u32) -> Result<()> {
    writeln!(
        out,
        "\nRaces, over {runs} runs each (which side goes first alternating for pool-pids)"
    )?;
    let mut unlocked_runs = 0;
    let mut locked_runs = 0;
    let mut unlocked_lost = Vec::new();
    for _ in 0..runs {
        let (unlocked, locked) = shared_state_losses()?;
        unlocked_runs += u32::from(unlocked > 0);
        locked_runs += u32::from(locked > 0);
        unlocked_lost.push(unlocked);
    }
    unlocked_lost.sort_unstable();
    writeln!(
        out,
        "  shared-state: no lock lost updates in {unlocked_runs} of {runs} runs (lost {}–{} of \
         80,000,000); with a lock, in {locked_runs} of {runs}",
        unlocked_lost.first().copied().unwrap_or(0),
        unlocked_lost.last().copied().unwrap_or(0),
    )?;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for run in 0..runs {
        if run % 2 == 0 {
            ours.push(pool_pids_distinct()?);
            theirs.push(python.distinct_pids()?);
        } else {
            theirs.push(python.distinct_pids()?);
            ours.push(pool_pids_distinct()?);
        }
    }
    let both = |counts: &[usize]| counts.iter().filter(|&&n| n >= 2).count();
    writeln!(
        out,
        "  pool-pids, a pool of 2 over 5 items: both workers took items in {} of {runs} runs \
         (proclab), {} of {runs} (Python's Pool(2).map)",
        both(&ours),
        both(&theirs),
    )?;
    Ok(())
}
