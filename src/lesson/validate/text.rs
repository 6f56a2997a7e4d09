//! Checks on the text a lesson holds: no terminal control codes anywhere (a lesson folder shared
//! with a class must not be able to set anyone's terminal title or clipboard), one-line fields,
//! placeholders that exist, ids and file names of the right shape.

use toml::Spanned;

use super::Problems;
use crate::lesson::problem::Problem;
use crate::limits;

/// Whether `c` is a control character a lesson may not hold: C0 but newline and tab, DEL, C1.
fn is_forbidden(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Whether `text` holds a control character a lesson may not hold.
pub(crate) fn holds_control(text: &str) -> bool {
    text.chars().any(is_forbidden)
}

fn control_message(prefix: &str, field: &str, c: char) -> String {
    format!(
        "{prefix}{field} holds the control character {c:?}: terminal control codes could clear or take over the learner's screen; remove it"
    )
}

/// `value` of any length and shape, if it holds no control character (else a problem).
pub(super) fn any_text(
    problems: &mut Problems,
    prefix: &str,
    field: &str,
    value: &Spanned<String>,
) -> String {
    if let Some(c) = value.get_ref().chars().find(|&c| is_forbidden(c)) {
        problems.at(value, control_message(prefix, field, c));
    }
    value.get_ref().clone()
}

/// `value` as a line a worker or the parent prints: no control character, no newline, at most
/// [`limits::MAX_TEXT_BYTES`].
pub(super) fn one_line(
    problems: &mut Problems,
    prefix: &str,
    field: &str,
    value: &Spanned<String>,
) -> String {
    let text = value.get_ref();
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n') {
        problems.at(value, control_message(prefix, field, c));
        return text.clone();
    }
    if text.len() > limits::MAX_TEXT_BYTES {
        problems.at(
            value,
            format!(
                "{prefix}{field} is {} bytes long: at most {}",
                text.len(),
                limits::MAX_TEXT_BYTES
            ),
        );
    }
    if text.contains('\n') {
        problems.at(
            value,
            format!("{prefix}{field} must be one line (no newline)"),
        );
    }
    text.clone()
}

/// Checks that every `{name}` in `value` is one of `allowed`.
pub(super) fn placeholders(
    problems: &mut Problems,
    prefix: &str,
    field: &str,
    value: &Spanned<String>,
    allowed: &[&str],
) {
    let mut rest = value.get_ref().as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            problems.at(
                value,
                format!("{prefix}{field}: '{{' without a closing '}}'"),
            );
            return;
        };
        let name = &rest[open + 1..open + close];
        if !allowed.contains(&name) {
            let list = allowed
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join(", ");
            problems.at(
                value,
                format!("{prefix}{field}: unknown placeholder {{{name}}}: use {list}"),
            );
        }
        rest = &rest[open + close + 1..];
    }
}

/// Every raw control character in a lesson's Markdown or program file (`\r` only before `\n`),
/// each at its line and column.
pub(crate) fn control_character_problems(file: &str, text: &str) -> Vec<Problem> {
    let mut chars = text.char_indices().peekable();
    let mut problems = Vec::new();
    while let Some((offset, c)) = chars.next() {
        let line_end = c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n');
        if is_forbidden(c) && !line_end {
            problems.push(Problem::at(
                file,
                text,
                offset,
                format!(
                    "the control character {c:?}: terminal control codes could clear or take over the learner's screen; remove it"
                ),
            ));
        }
    }
    problems
}

/// Whether `id` is a valid lesson id.
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether `name` names a file directly inside a lesson folder (no path, no `..`, no control
/// character).
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('/')
        && !name.contains('\\')
        && name != "."
        && name != ".."
        && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kebab_case() {
        assert!(is_valid_id("pool-sleep"));
        assert!(is_valid_id("a1"));
        assert!(!is_valid_id("Pool"));
        assert!(!is_valid_id("a--b"));
        assert!(!is_valid_id("-a"));
        assert!(!is_valid_id(""));
    }

    #[test]
    fn control_characters_in_files_are_found_where_they_are() {
        let text = "# Title\r\nline \u{1b}]0;x\u{7}\nok\ttab\n\u{9b}";
        let found: Vec<String> = control_character_problems("n.md", text)
            .iter()
            .map(|p| format!("{}:{}", p.line.unwrap(), p.col.unwrap()))
            .collect();
        assert_eq!(found, ["2:6", "2:11", "4:1"]);
    }
}
