//! Instructor notes inside a narrative: a block that opens with a line `::: notes` and closes
//! with a line `:::` belongs to the page it is on. It is taken out of the text learners see and
//! kept per page, for `proclab notes` and the `i` panel.

use super::problem::Problem;

/// A narrative with its notes taken out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NarrativeNotes {
    /// The narrative as learners see it: every `::: notes` block removed, nothing else changed.
    pub narrative: String,
    /// The notes of each page of [`NarrativeNotes::narrative`] (as `split_pages` cuts it),
    /// blocks of one page joined by a blank line; empty for a page without notes.
    pub page_notes: Vec<String>,
}

/// What a `:::` line says.
#[derive(Debug, PartialEq, Eq)]
enum Marker<'a> {
    /// `::: notes`
    Notes,
    /// `:::` alone: closes notes.
    Close,
    /// `::: checkpoint <id>`
    Checkpoint,
    /// Anything else after `:::`.
    Other(&'a str),
}

fn marker(line: &str) -> Option<Marker<'_>> {
    let rest = line.trim().strip_prefix(":::")?.trim();
    Some(match rest {
        "" => Marker::Close,
        "notes" => Marker::Notes,
        _ if rest.split_whitespace().next() == Some("checkpoint") => Marker::Checkpoint,
        other => Marker::Other(other),
    })
}

/// One page as the notes are being taken out of it.
#[derive(Default)]
struct Page {
    learner_text: bool,
    notes: Vec<String>,
    /// Byte offset of the page's first `::: notes`, to name it in a problem.
    first_notes: Option<usize>,
}

/// An open `::: notes` block: where its `:::` is, and its lines so far.
struct Open {
    offset: usize,
    line: usize,
    body: String,
}

/// Takes the `::: notes` blocks out of `narrative` (the text of the file named `file`).
/// Returns the learner's narrative with the notes of each page, and every problem found, each
/// naming `file:line:col` and the fix: a block never closed, a `:::` that closes nothing, a page
/// break or another `:::` marker inside notes, empty notes, notes on a page with nothing else,
/// and a `:::` marker proclab does not know.
pub(crate) fn split_notes(file: &str, narrative: &str) -> (NarrativeNotes, Vec<Problem>) {
    let mut splitter = Splitter {
        file,
        narrative,
        problems: Vec::new(),
        learner: String::with_capacity(narrative.len()),
        pages: vec![Page::default()],
        open: None,
    };
    let mut offset = 0;
    for (index, line) in narrative.split_inclusive('\n').enumerate() {
        let at = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        match splitter.open.take() {
            Some(block) => splitter.in_notes(block, line, at),
            None => splitter.outside_notes(line, index + 1, at),
        }
    }
    splitter.finish()
}

/// The state of [`split_notes`] between lines.
struct Splitter<'a> {
    file: &'a str,
    narrative: &'a str,
    problems: Vec<Problem>,
    /// The learner's narrative so far.
    learner: String,
    pages: Vec<Page>,
    /// The notes block the last line was in, if any.
    open: Option<Open>,
}

impl Splitter<'_> {
    fn problem(&mut self, at: usize, message: impl Into<String>) {
        let problem = Problem::at(self.file, self.narrative, at, message);
        self.problems.push(problem);
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("there is always a page")
    }

    /// A line inside the notes `block` (which stays open unless the line closes it).
    fn in_notes(&mut self, mut block: Open, line: &str, at: usize) {
        match marker(line) {
            Some(Marker::Close) => {
                let body = block.body.trim();
                if body.is_empty() {
                    self.problem(block.offset, "these notes are empty: write what to say between `::: notes` and `:::`, or remove both lines");
                } else {
                    let page = self.page();
                    page.notes.push(body.to_string());
                    page.first_notes.get_or_insert(block.offset);
                }
                return;
            }
            Some(Marker::Notes | Marker::Checkpoint | Marker::Other(_)) => self.problem(
                at,
                format!(
                    "`{}` inside the notes opened at line {}: close the notes with a line `:::` first",
                    line.trim(),
                    block.line
                ),
            ),
            None if line.trim_end() == "---" => self.problem(
                at,
                format!(
                    "a page break `---` inside the notes opened at line {}: close the notes with a line `:::` before the page ends",
                    block.line
                ),
            ),
            None => block.body.push_str(line),
        }
        self.open = Some(block);
    }

    /// A line of the learner's narrative, or one that opens notes (line `number`).
    fn outside_notes(&mut self, line: &str, number: usize, at: usize) {
        match marker(line) {
            Some(Marker::Notes) => {
                self.open = Some(Open {
                    offset: at,
                    line: number,
                    body: String::new(),
                });
                return;
            }
            Some(Marker::Close) => {
                self.problem(at, "this `:::` closes nothing: notes open with a line `::: notes`; add it above, or remove this line");
                return;
            }
            Some(Marker::Other(text)) => self.problem(at, unknown_marker(text)),
            Some(Marker::Checkpoint) | None => {}
        }
        if line.trim_end() == "---" {
            self.pages.push(Page::default());
        } else if !line.trim().is_empty() {
            self.page().learner_text = true;
        }
        self.learner.push_str(line);
    }

    /// The narrative and notes, after the last line: an open block and notes on a page with
    /// nothing else are problems.
    fn finish(mut self) -> (NarrativeNotes, Vec<Problem>) {
        if let Some(block) = self.open.take() {
            self.problem(
                block.offset,
                "these notes are never closed: end them with a line that holds only `:::`",
            );
        }
        let mut page_notes = Vec::new();
        for page in std::mem::take(&mut self.pages) {
            if page.learner_text {
                page_notes.push(page.notes.join("\n\n"));
            } else if let Some(at) = page.first_notes {
                self.problem(at, "these notes are on a page with nothing for learners (pages are cut at `---`): move them onto the page they are about");
            }
        }
        let notes = NarrativeNotes {
            narrative: self.learner,
            page_notes,
        };
        (notes, self.problems)
    }
}

fn unknown_marker(text: &str) -> String {
    let word = text.split_whitespace().next().unwrap_or(text);
    if word.starts_with("note") {
        format!("`::: {text}` is not a marker: notes open with a line that holds only `::: notes`")
    } else {
        format!(
            "`::: {text}` is not a marker proclab knows: use `::: checkpoint <id>` or `::: notes` … `:::`"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::split_pages;

    const FILE: &str = "x/narrative.md";

    fn problems(narrative: &str) -> Vec<String> {
        split_notes(FILE, narrative)
            .1
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn notes_leave_the_learners_text_and_stay_with_their_page() {
        let text = "# One\nsay hi\n::: notes\nAsk the room.\n:::\n---\n# Two\n\n  ::: notes\nPoint at PIDs.\n  :::\nmore\n::: notes\nSecond block.\n:::\n---\n# Three\n";
        let (notes, found) = split_notes(FILE, text);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(
            notes.narrative,
            "# One\nsay hi\n---\n# Two\n\nmore\n---\n# Three\n"
        );
        assert_eq!(
            notes.page_notes,
            vec!["Ask the room.", "Point at PIDs.\n\nSecond block.", ""]
        );
        assert_eq!(split_pages(&notes.narrative).len(), notes.page_notes.len());
    }

    #[test]
    fn empty_pages_are_skipped_as_split_pages_skips_them() {
        let (notes, found) = split_notes(FILE, "---\n\n---\n# A\n::: notes\nN\n:::\n---\n\n");
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(notes.page_notes, vec!["N"]);
        assert_eq!(split_pages(&notes.narrative), vec!["# A"]);
    }

    #[test]
    fn a_narrative_without_notes_is_unchanged() {
        let text = "# A\n::: checkpoint x\n---\nB";
        let (notes, found) = split_notes(FILE, text);
        assert!(found.is_empty());
        assert_eq!(notes.narrative, text);
        assert_eq!(notes.page_notes, vec!["", ""]);
    }

    #[test]
    fn unclosed_notes_are_named_where_they_open() {
        assert_eq!(
            problems("# A\n\n  ::: notes\nsay this\n"),
            vec![
                "x/narrative.md:3:3: these notes are never closed: end them with a line that holds only `:::`"
            ]
        );
    }

    #[test]
    fn a_page_break_inside_notes_is_named() {
        assert_eq!(
            problems("# A\n::: notes\nsay\n---\n# B\n:::\n"),
            vec![
                "x/narrative.md:4:1: a page break `---` inside the notes opened at line 2: close the notes with a line `:::` before the page ends"
            ]
        );
    }

    #[test]
    fn markers_inside_notes_are_named() {
        assert_eq!(
            problems("# A\n::: notes\n::: checkpoint x\n::: notes\n:::\n"),
            vec![
                "x/narrative.md:3:1: `::: checkpoint x` inside the notes opened at line 2: close the notes with a line `:::` first",
                "x/narrative.md:4:1: `::: notes` inside the notes opened at line 2: close the notes with a line `:::` first",
                "x/narrative.md:2:1: these notes are empty: write what to say between `::: notes` and `:::`, or remove both lines",
            ]
        );
    }

    #[test]
    fn a_stray_close_and_unknown_markers_are_named() {
        assert_eq!(
            problems("# A\n:::\n ::: note\n::: warning\n"),
            vec![
                "x/narrative.md:2:1: this `:::` closes nothing: notes open with a line `::: notes`; add it above, or remove this line",
                "x/narrative.md:3:2: `::: note` is not a marker: notes open with a line that holds only `::: notes`",
                "x/narrative.md:4:1: `::: warning` is not a marker proclab knows: use `::: checkpoint <id>` or `::: notes` … `:::`",
            ]
        );
    }

    #[test]
    fn notes_alone_on_a_page_are_named() {
        assert_eq!(
            problems("# A\n---\n::: notes\nlost\n:::\n"),
            vec![
                "x/narrative.md:3:1: these notes are on a page with nothing for learners (pages are cut at `---`): move them onto the page they are about"
            ]
        );
    }

    proptest::proptest! {
        /// Whatever the lines, no panic; a narrative without problems has one notes entry per
        /// page the learner sees, and keeps no notes line in the learner's text.
        #[test]
        fn notes_always_line_up_with_pages(lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "::: notes", "  ::: notes ", ":::", "---", "--- ", "text", "", "é ü",
                "::: checkpoint a", "::: note", "notes",
            ]),
            0..40,
        )) {
            let text = lines.join("\n");
            let (notes, found) = split_notes(FILE, &text);
            if found.is_empty() {
                proptest::prop_assert_eq!(
                    split_pages(&notes.narrative).len().max(1),
                    notes.page_notes.len().max(1)
                );
                proptest::prop_assert!(!notes.narrative.lines().any(|l| l.trim() == "::: notes"));
            }
            for problem in found {
                proptest::prop_assert!(problem.line.is_some_and(|l| l <= lines.len().max(1)));
            }
        }
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(
            problems("é\n\tü ::: notes x\n")
                .first()
                .map(|p| p[..p.find(": ").unwrap()].to_string()),
            None,
            "a marker must start its line; text before ::: is ordinary Markdown"
        );
        assert_eq!(
            problems("é\n  :::\n")[0][..20].to_string(),
            "x/narrative.md:2:3: "
        );
    }
}
