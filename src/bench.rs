//! `proclab bench`: proclab against Python's multiprocessing, side by side in one run.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

/// Options of `proclab bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Repetitions of each measurement.
    #[arg(long, default_value = "5")]
    pub rounds: u32,
}

/// Runs the benchmarks and prints a table.
pub fn main(_args: &BenchArgs) -> Result<ExitCode> {
    anyhow::bail!("not yet")
}
