//! A problem found in a lesson file, with its place.
//!
//! A message may quote the file (a bad key, an id), and a file's name comes from the disk, so
//! both are kept with their control characters shown, never sent: printing a problem cannot
//! take over the terminal.

use std::fmt;

use crate::text::{visible, visible_line};

/// One problem in one file: shown as `file:line:col: message`; its file and message hold no
/// control characters (they are escaped when the problem is made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as the user named it (or `builtin:<id>/<file>`).
    pub file: String,
    /// 1-based line, when a place is known.
    pub line: Option<usize>,
    /// 1-based column in characters, when a place is known.
    pub col: Option<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// A problem at a byte offset of `source`.
    pub(crate) fn at(
        file: &str,
        source: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Problem {
        let (line, col) = line_col(source, offset);
        Problem::new(file, Some((line, col)), message.into())
    }

    /// A problem at a 1-based line, column 1.
    pub(crate) fn at_line(file: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem::new(file, Some((line, 1)), message.into())
    }

    /// A problem with the whole file (it is missing, too large, unreadable).
    pub(crate) fn whole_file(file: &str, message: impl Into<String>) -> Problem {
        Problem::new(file, None, message.into())
    }

    fn new(file: &str, place: Option<(usize, usize)>, message: String) -> Problem {
        Problem {
            file: visible_line(file).into_owned(),
            line: place.map(|(line, _)| line),
            col: place.map(|(_, col)| col),
            message: visible(&message).into_owned(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (Some(line), Some(col)) => write!(f, "{}:{line}:{col}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end clamp to it.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_in_characters() {
        let source = "a = 1\nbé = 2\n";
        assert_eq!(line_col(source, 0), (1, 1));
        assert_eq!(line_col(source, 6), (2, 1));
        assert_eq!(line_col(source, 9), (2, 3));
        assert_eq!(line_col(source, 999), (3, 1));
    }

    #[test]
    fn displays_with_and_without_place() {
        let p = Problem::at("x/lesson.toml", "a\nb", 2, "bad");
        assert_eq!(p.to_string(), "x/lesson.toml:2:1: bad");
        assert_eq!(
            Problem::whole_file("y", "missing").to_string(),
            "y: missing"
        );
    }
}
