//! Text that came from a file or a program, made safe to print: a control character is shown
//! as an escape (`\u{1b}`), never sent, so printing it cannot clear the screen, set the
//! terminal's title or write the clipboard.
//!
//! Every text proclab prints that it did not write itself goes through [`visible`] or
//! [`visible_line`]: error messages that quote input, lesson strings, recordings, a trace's
//! report. (A program's own output echoed by `proclab trace` is the program's business.)

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) except newline and tab escaped.
pub fn visible(text: &str) -> Cow<'_, str> {
    escape(text, |c| c.is_control() && c != '\n' && c != '\t')
}

/// `text` as one line: every control character escaped, newline and tab included.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    escape(text, char::is_control)
}

fn escape(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(visible("pool of 2 · ✓"), Cow::Borrowed(_)));
        assert_eq!(visible("a\n\tb"), "a\n\tb");
    }

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(
            visible("\u{1b}]0;owned\u{7}title"),
            "\\u{1b}]0;owned\\u{7}title"
        );
        assert_eq!(visible("\u{9b}2J\u{7f}"), "\\u{9b}2J\\u{7f}");
        assert_eq!(visible_line("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    }
}
