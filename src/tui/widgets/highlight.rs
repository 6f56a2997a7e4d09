//! Python syntax highlighting with syntect's Python grammar, mapped onto the [`Theme`]'s styles
//! (not onto a syntect colour theme, so the colours follow the terminal and `NO_COLOR`).

use std::sync::OnceLock;

use ratatui::text::{Line, Span};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::tui::runtime::theme::{Theme, TokenKind};

static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();

fn syntaxes() -> &'static SyntaxSet {
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Loads the grammar now (it takes a few milliseconds), so opening the first lesson does not
/// wait for it. Call it from a background thread at start-up.
pub(crate) fn warm_up() {
    syntaxes();
}

/// Classifies the innermost scope that says what a token is.
fn kind_of(stack: &ScopeStack) -> TokenKind {
    for scope in stack.as_slice().iter().rev() {
        if let Some(kind) = kind_of_scope(*scope) {
            return kind;
        }
    }
    TokenKind::Plain
}

fn kind_of_scope(scope: Scope) -> Option<TokenKind> {
    let name = scope.build_string();
    let starts = |prefix: &str| name.starts_with(prefix);
    if starts("comment") || name.contains("docstring") {
        Some(TokenKind::Comment)
    } else if starts("string") {
        Some(TokenKind::String)
    } else if starts("constant.numeric") || starts("constant.language") {
        Some(TokenKind::Constant)
    } else if starts("keyword") || starts("storage") {
        Some(TokenKind::Keyword)
    } else if starts("entity.name.function") || starts("entity.name.class") {
        Some(TokenKind::Definition)
    } else if starts("support.function.builtin") || starts("support.type") {
        Some(TokenKind::Builtin)
    } else {
        None
    }
}

/// Highlights Python `source`, one [`Line`] per source line (tabs expanded to four spaces). If
/// the grammar fails on a line, that line and the rest are shown plain.
pub(crate) fn python(source: &str, theme: &Theme) -> Vec<Line<'static>> {
    let syntaxes = syntaxes();
    let Some(syntax) = syntaxes.find_syntax_by_extension("py") else {
        return plain(source);
    };
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut lines = Vec::new();
    let mut failed = false;
    for line in LinesWithEndings::from(source) {
        let ops = if failed {
            None
        } else {
            state.parse_line(line, syntaxes).ok()
        };
        let Some(ops) = ops else {
            failed = true;
            lines.push(Line::raw(expand(line)));
            continue;
        };
        let mut spans = Vec::new();
        let mut from = 0;
        for (at, op) in ops {
            if at > from {
                spans.push(Span::styled(
                    expand(&line[from..at]),
                    theme.syntax(kind_of(&stack)),
                ));
                from = at;
            }
            if stack.apply(&op).is_err() {
                failed = true;
                break;
            }
        }
        if from < line.len() {
            spans.push(Span::styled(
                expand(&line[from..]),
                theme.syntax(kind_of(&stack)),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

fn plain(source: &str) -> Vec<Line<'static>> {
    source.lines().map(|line| Line::raw(expand(line))).collect()
}

/// Drops the line ending and expands tabs.
fn expand(text: &str) -> String {
    text.trim_end_matches(['\n', '\r']).replace('\t', "    ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds_of(line: &Line, theme: &Theme, kind: TokenKind) -> Vec<String> {
        line.spans
            .iter()
            .filter(|span| span.style == theme.syntax(kind) && !span.content.trim().is_empty())
            .map(|span| span.content.trim().to_string())
            .collect()
    }

    #[test]
    fn marks_keywords_strings_comments_and_definitions() {
        let theme = Theme::colored();
        let lines = python(
            "import os\n# a comment\ndef wait(job):\n    print(\"hi\", 5)\n",
            &theme,
        );
        assert_eq!(lines.len(), 4);
        assert!(kinds_of(&lines[0], &theme, TokenKind::Keyword).contains(&"import".to_string()));
        assert!(
            lines[1]
                .spans
                .iter()
                .all(|span| span.style == theme.syntax(TokenKind::Comment))
        );
        assert!(kinds_of(&lines[2], &theme, TokenKind::Definition).contains(&"wait".to_string()));
        assert!(
            kinds_of(&lines[3], &theme, TokenKind::String)
                .concat()
                .contains("hi")
        );
        assert_eq!(kinds_of(&lines[3], &theme, TokenKind::Constant), ["5"]);
        let text: String = lines[3].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "    print(\"hi\", 5)");
    }
}
