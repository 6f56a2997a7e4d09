//! Instructor notes away from the learner's screen: the notes of a lesson as plain text
//! (`proclab notes <id>` without a terminal), and which lesson and page the lesson screen shows
//! (the `last` place of the saved progress), for the notes window to follow.

use std::fmt::Write;

use crate::lesson::Lesson;
use crate::progress::{Place, ProgressStore};

/// The lesson and page the lesson screen shows now, as the progress file says; `None` when
/// there is no file, it cannot be read, or it names no place.
pub(crate) fn shown() -> Option<Place> {
    ProgressStore::in_state_dir().peek_place()
}

/// The title of a page: its first Markdown heading, else its first line.
pub(crate) fn page_title(page: &str) -> &str {
    let first = page
        .lines()
        .find(|line| line.trim_start().starts_with('#'))
        .or_else(|| page.lines().find(|line| !line.trim().is_empty()))
        .unwrap_or("");
    first.trim().trim_start_matches('#').trim()
}

/// Every note of `lesson` as plain text: the lesson-wide notes, then each page's, under its
/// number and title; a control character from the files is shown, not sent.
pub(crate) fn plain_text(lesson: &Lesson) -> String {
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
    crate::text::visible(&out).into_owned()
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
