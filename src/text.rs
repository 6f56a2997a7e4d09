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

/// `json` with DEL and the C1 controls written as `\u` escapes, which a JSON reader reads back
/// as the same characters. serde_json escapes only C0, so without this a C1 CSI (U+009B) in a
/// string would reach a terminal that prints the JSON (`--json`, `cat` of a recording).
pub(crate) fn json_visible(json: String) -> String {
    // DEL is 0x7f and every C1 control starts with 0xc2 in UTF-8: most lines have neither.
    if !json.bytes().any(|b| b == 0x7f || b == 0xc2) || !json.chars().any(char::is_control) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 12);
    for c in json.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// One control character as [`visible`] shows it (`\u{1b}`, `\n`…).
pub(crate) fn escaped(c: char) -> String {
    match c {
        '\n' => "\\n".to_string(),
        '\t' => "\\t".to_string(),
        '\r' => "\\r".to_string(),
        c => format!("\\u{{{:x}}}", c as u32),
    }
}

fn escape(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            c => out.push_str(&escaped(c)),
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

    #[test]
    fn json_keeps_its_meaning_without_raw_controls() {
        let json = serde_json::to_string("\u{1b}]0;x\u{7}\u{9b}2J\u{7f}·").unwrap();
        let shown = json_visible(json);
        assert_eq!(shown, r#""\u001b]0;x\u0007\u009b2J\u007f·""#);
        let back: String = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, "\u{1b}]0;x\u{7}\u{9b}2J\u{7f}·");
    }
}
