//! Lessons: the file as written ([`raw`]), checked ([`validate`]) into the typed lesson the
//! rest of proclab uses ([`model`], [`Lesson`]); loading, built-in and from `--lessons` folders.

mod folder;
pub mod load;
pub mod model;
pub mod notes;
pub mod problem;
pub mod raw;
pub(crate) mod validate;

use std::path::PathBuf;

pub use load::{Catalog, check_paths};
pub use model::{Checkpoint, Knob, KnobTarget, Stage};
pub use problem::Problem;

/// A lesson that passed validation: everything needed to show it and run it.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// Unique id (`proclab run <id>`).
    pub id: String,
    /// The title the lesson list and the lesson's heading show.
    pub title: String,
    /// One line about it, shown under its title in the list.
    pub summary: String,
    /// The narrative as learners see it, Markdown; pages separated by lines of `---`. Its
    /// `::: notes` blocks are in [`Lesson::page_notes`] instead.
    pub narrative: String,
    /// The lesson's Python program.
    pub program: String,
    /// The program's file name, e.g. `program.py`.
    pub program_name: String,
    /// Seconds after which a run is stopped (before `--speed`).
    pub time_limit_s: f64,
    /// The live run's stages, in order.
    pub stages: Vec<Stage>,
    /// Predict-then-run questions.
    pub checkpoints: Vec<Checkpoint>,
    /// Values the learner may change.
    pub knobs: Vec<Knob>,
    /// Notes for the instructor about the whole lesson (`instructor_notes` in lesson.toml).
    pub instructor_notes: String,
    /// The instructor's notes of each page (its `::: notes` blocks), by page; empty for a page
    /// without any.
    pub page_notes: Vec<String>,
    /// Its exercises (`exercises/<id>/` in its folder), in the order of their ids.
    pub exercises: Vec<crate::exercise::Exercise>,
    /// Where the lesson came from.
    pub origin: Origin,
}

/// Where a lesson was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    Builtin,
    /// A lesson folder on disk.
    Folder(PathBuf),
}

impl Lesson {
    /// The narrative split into pages (at lines that hold only `---`).
    pub fn pages(&self) -> Vec<&str> {
        split_pages(&self.narrative)
    }

    /// The instructor's notes of page `page` (0-based), empty when it has none.
    pub fn notes_of_page(&self, page: usize) -> &str {
        self.page_notes.get(page).map_or("", String::as_str)
    }
}

/// Splits Markdown into pages at lines that hold only `---`.
pub fn split_pages(narrative: &str) -> Vec<&str> {
    let mut pages = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in narrative.split_inclusive('\n') {
        if line.trim_end() == "---" {
            pages.push(&narrative[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    pages.push(&narrative[start..]);
    pages
        .into_iter()
        .map(str::trim)
        .filter(|page| !page.is_empty())
        .collect()
}

/// The checkpoint ids the narrative places with `::: checkpoint <id>` lines, with their 1-based
/// line numbers.
pub fn checkpoint_markers(narrative: &str) -> Vec<(usize, &str)> {
    narrative
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let id = line
                .trim()
                .strip_prefix(":::")?
                .trim()
                .strip_prefix("checkpoint")?;
            Some((index + 1, id.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pages_at_rules_only() {
        let pages = split_pages("# One\ntext\n---\n# Two\n- a\n---\n\n");
        assert_eq!(pages, vec!["# One\ntext", "# Two\n- a"]);
    }

    #[test]
    fn finds_checkpoint_markers() {
        let markers = checkpoint_markers("intro\n::: checkpoint last-job\nmore\n");
        assert_eq!(markers, vec![(2, "last-job")]);
    }
}
