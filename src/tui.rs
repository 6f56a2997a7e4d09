//! The terminal UI.

mod highlight;
mod markdown;
mod theme;

use anyhow::Result;

use crate::engine::RunOptions;
use crate::lesson::Catalog;

/// Opens the terminal UI at the lesson list, or at `start` if given.
pub fn run(_catalog: Catalog, _start: Option<String>, _options: RunOptions) -> Result<()> {
    anyhow::bail!("the terminal UI is not built yet: use `proclab run <id>`")
}
