//! Instructor notes away from the learner's screen: the notes of a lesson as plain text
//! (`proclab notes <id>` without a terminal), and which lesson and page the lesson screen shows,
//! read from the `last` field of the progress file, for the notes window to follow.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::files::read_regular;
use crate::lesson::Lesson;
use crate::limits;
use crate::progress_store::ProgressStore;

/// The lesson and page (0-based) the lesson screen shows: the `last` place of the progress file.
pub use crate::tui::progress::Place as Shown;

/// The part of the progress file the notes follow; every other field is left to its owner.
#[derive(Deserialize)]
struct ProgressLast {
    last: Option<Shown>,
}

/// The progress file the lesson screen writes, if proclab has a state folder.
pub fn progress_path() -> Option<PathBuf> {
    ProgressStore::default_path()
}

/// What the progress file at `path` says is shown; `None` when it is missing, unreadable, being
/// replaced, or names nothing.
pub fn read_shown(path: &Path) -> Option<Shown> {
    let bytes = read_regular(path, limits::MAX_PROGRESS_BYTES).ok()?;
    serde_json::from_slice::<ProgressLast>(&bytes).ok()?.last
}

/// The title of a page: its first Markdown heading, else its first line.
pub fn page_title(page: &str) -> &str {
    let first = page
        .lines()
        .find(|line| line.trim_start().starts_with('#'))
        .or_else(|| page.lines().find(|line| !line.trim().is_empty()))
        .unwrap_or("");
    first.trim().trim_start_matches('#').trim()
}

/// Every note of `lesson` as plain text: the lesson-wide notes, then each page's, under its
/// number and title.
pub fn plain_text(lesson: &Lesson) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Instructor notes: {} ({})", lesson.title, lesson.id);
    let _ = writeln!(out, "\nThe whole lesson");
    let _ = writeln!(out, "{}", indent(&lesson.instructor_notes, "(none)"));
    let pages = lesson.pages();
    for (index, page) in pages.iter().enumerate() {
        let _ = writeln!(
            out,
            "\nPage {} of {}: {}",
            index + 1,
            pages.len(),
            page_title(page)
        );
        let _ = writeln!(out, "{}", indent(lesson.notes_of_page(index), "(none)"));
    }
    out
}

fn indent(text: &str, empty: &str) -> String {
    let text = text.trim();
    let text = if text.is_empty() { empty } else { text };
    text.lines()
        .map(|line| format!("  {line}").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Catalog;
    use crate::state::PROGRESS_FILE;

    #[test]
    fn reads_the_last_shown_page_and_ignores_the_rest() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(PROGRESS_FILE);
        assert_eq!(read_shown(&path), None);
        std::fs::write(
            &path,
            r#"{"version":1,"lessons":{},"last":{"lesson":"pool-sleep","page":2}}"#,
        )
        .unwrap();
        assert_eq!(
            read_shown(&path),
            Some(Shown {
                lesson: "pool-sleep".into(),
                page: 2
            })
        );
        std::fs::write(&path, r#"{"lessons":{}}"#).unwrap();
        assert_eq!(read_shown(&path), None);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(read_shown(&path), None);
    }

    #[test]
    fn page_titles_are_headings() {
        assert_eq!(page_title("intro\n## What happened\ntext"), "What happened");
        assert_eq!(page_title("\nplain first line\n"), "plain first line");
    }

    #[test]
    fn plain_text_has_the_lesson_notes_and_every_page() {
        let catalog = Catalog::load(None).unwrap();
        let lesson = catalog.get("pool-sleep").unwrap();
        let text = plain_text(lesson);
        assert!(text.starts_with("Instructor notes: A pool of two workers"));
        assert!(text.contains(lesson.instructor_notes.lines().next().unwrap()));
        let pages = lesson.pages().len();
        assert!(
            text.contains(&format!("Page {pages} of {pages}: ")),
            "{text}"
        );
        assert!(
            !lesson.notes_of_page(0).is_empty(),
            "pool-sleep has page notes"
        );
        assert!(text.contains(lesson.notes_of_page(0).lines().next().unwrap()));
    }
}
