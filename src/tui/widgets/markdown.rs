//! Markdown to terminal lines: headings, emphasis, code spans and blocks, lists, block quotes and
//! tables, word-wrapped to a width (so a list item's later lines line up under its text).

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::runtime::theme::Theme;
use crate::tui::widgets::text;

/// Renders `markdown` into lines at most `width` cells wide.
pub(crate) fn render(markdown: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mut renderer = Renderer::new(width.max(8) as usize, theme);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        renderer.event(event);
    }
    renderer.lines
}

/// One level of list nesting.
struct ListLevel {
    /// The next number of an ordered list.
    next: Option<u64>,
    /// Width of this level's marker, for the indentation of later lines.
    indent: usize,
}

/// A table being collected.
#[derive(Default)]
struct Table {
    alignments: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    header_rows: usize,
}

struct Renderer<'t> {
    width: usize,
    theme: &'t Theme,
    lines: Vec<Line<'static>>,
    /// Inline styles in force (innermost last).
    styles: Vec<Style>,
    /// The paragraph being collected.
    inline: Vec<(String, Style)>,
    lists: Vec<ListLevel>,
    /// The marker of a list item whose first line is not out yet.
    pending_marker: Option<String>,
    quote_depth: usize,
    code_block: Option<String>,
    table: Option<Table>,
    cell: String,
}

impl<'t> Renderer<'t> {
    fn new(width: usize, theme: &'t Theme) -> Self {
        Renderer {
            width,
            theme,
            lines: Vec::new(),
            styles: Vec::new(),
            inline: Vec::new(),
            lists: Vec::new(),
            pending_marker: None,
            quote_depth: 0,
            code_block: None,
            table: None,
            cell: String::new(),
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, style: Style) {
        let combined = self.style().patch(style);
        self.styles.push(combined);
    }

    /// A blank line between blocks (not at the top, not twice, not inside a tight list).
    fn block_gap(&mut self) {
        let last_blank = self.lines.last().is_none_or(|line| {
            line.width() == 0 || line.spans.iter().all(|s| s.content.trim().is_empty())
        });
        if !last_blank && self.pending_marker.is_none() {
            let blank = self.prefix_line(false);
            self.lines.push(blank);
        }
    }

    /// The indentation of a line: block quote bars and list indentation, with the pending list
    /// marker on the first line of an item.
    fn prefix(&mut self, take_marker: bool) -> String {
        let mut prefix = "│ ".repeat(self.quote_depth);
        let levels = self.lists.len();
        let marker = if take_marker {
            self.pending_marker.take()
        } else {
            None
        };
        for (i, level) in self.lists.iter().enumerate() {
            if i + 1 == levels
                && let Some(marker) = &marker
            {
                prefix.push_str(marker);
            } else {
                prefix.push_str(&" ".repeat(level.indent));
            }
        }
        prefix
    }

    fn prefix_line(&mut self, take_marker: bool) -> Line<'static> {
        let prefix = self.prefix(take_marker);
        Line::raw(prefix.trim_end().to_string())
    }

    /// Word-wraps the collected inline text into lines.
    fn flush_inline(&mut self) {
        if self.inline.is_empty() {
            return;
        }
        let fragments = std::mem::take(&mut self.inline);
        let first_prefix = self.prefix(true);
        let rest_prefix = self.prefix(false);
        for line in wrap(&fragments, &first_prefix, &rest_prefix, self.width) {
            self.lines.push(line);
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(code) = &mut self.code_block {
            code.push_str(text);
        } else if self.table.is_some() {
            self.cell.push_str(text);
        } else {
            let style = self.style();
            self.inline.push((text.to_string(), style));
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => {
                if self.table.is_some() {
                    self.cell.push_str(&code);
                } else {
                    let style = self.style().patch(self.theme.code());
                    self.inline.push((code.to_string(), style));
                }
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => {
                let style = self.style();
                self.inline.push(("\n".into(), style));
            }
            Event::Rule => {
                self.flush_inline();
                self.block_gap();
                let prefix = self.prefix(false);
                let rule = "─".repeat(self.width.saturating_sub(prefix.chars().count()));
                self.lines.push(Line::from(vec![
                    Span::raw(prefix),
                    Span::styled(rule, self.theme.muted()),
                ]));
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::FootnoteReference(_)
            | Event::TaskListMarker(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => {
                self.flush_inline();
                self.block_gap();
            }
            Tag::Heading { level, .. } => {
                self.flush_inline();
                self.block_gap();
                let style = if level <= HeadingLevel::H2 {
                    self.theme.heading()
                } else {
                    self.theme.strong()
                };
                self.push_style(style);
            }
            Tag::BlockQuote(_) => {
                self.flush_inline();
                self.block_gap();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(_) => {
                self.flush_inline();
                self.block_gap();
                self.code_block = Some(String::new());
            }
            Tag::List(first) => {
                self.flush_inline();
                if self.lists.is_empty() {
                    self.block_gap();
                }
                let indent = first.map_or(2, |n| format!("{n}. ").len());
                self.lists.push(ListLevel {
                    next: first,
                    indent,
                });
            }
            Tag::Item => {
                self.flush_inline();
                if let Some(level) = self.lists.last_mut() {
                    let marker = match &mut level.next {
                        Some(n) => {
                            let marker = format!("{n}. ");
                            *n += 1;
                            format!("{marker:<width$}", width = level.indent)
                        }
                        None => "• ".to_string(),
                    };
                    self.pending_marker = Some(marker);
                }
            }
            Tag::Emphasis => self.push_style(self.theme.emphasis()),
            Tag::Strong => self.push_style(self.theme.strong()),
            Tag::Strikethrough => self.push_style(Style::new().crossed_out()),
            Tag::Link { .. } => self.push_style(Style::new().underlined()),
            Tag::Table(alignments) => {
                self.flush_inline();
                self.block_gap();
                self.table = Some(Table {
                    alignments,
                    ..Table::default()
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.cell.clear(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush_inline(),
            TagEnd::Heading(level) => {
                self.flush_inline();
                self.styles.pop();
                if level == HeadingLevel::H1
                    && let Some(last) = self.lines.last()
                {
                    let underline = "═".repeat(last.width());
                    self.lines
                        .push(Line::styled(underline, self.theme.heading()));
                }
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                let code = self.code_block.take().unwrap_or_default();
                let prefix = format!("{}  ", self.prefix(true));
                let room = self.width.saturating_sub(prefix.chars().count());
                for line in code.trim_end_matches('\n').lines() {
                    let cut: String = line.chars().take(room).collect();
                    self.lines.push(Line::from(vec![
                        Span::raw(prefix.clone()),
                        Span::styled(cut, self.theme.code()),
                    ]));
                }
            }
            TagEnd::List(_) => {
                self.flush_inline();
                self.lists.pop();
            }
            TagEnd::Item => {
                self.flush_inline();
                self.pending_marker = None;
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => {
                self.styles.pop();
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.cell);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell.trim().to_string());
                }
            }
            TagEnd::TableHead => {
                if let Some(table) = &mut self.table {
                    table.header_rows = table.rows.len();
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.render_table(&table);
                }
            }
            _ => {}
        }
    }

    /// A table at the renderer's width: its columns as wide as their cells, or narrowed (the
    /// widest first) with each cell wrapped inside its column; where even that does not fit,
    /// each row as a block of "column: cell" lines. Nothing is cut.
    fn render_table(&mut self, table: &Table) {
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![1usize; columns];
        for row in &table.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(text::width(cell));
            }
        }
        let prefix = self.prefix(false);
        let room = self
            .width
            .saturating_sub(text::width(&prefix) + 3 * columns.saturating_sub(1));
        while widths.iter().sum::<usize>() > room {
            let widest = (0..columns).max_by_key(|&i| widths[i]).unwrap_or(0);
            if widths[widest] <= TABLE_COLUMN_MIN {
                return self.render_table_as_blocks(table, &prefix);
            }
            widths[widest] -= 1;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let style = if r < table.header_rows {
                self.theme.strong()
            } else {
                self.theme.text()
            };
            let cells: Vec<Vec<String>> = (0..columns)
                .map(|i| text::wrap(row.get(i).map_or("", String::as_str), widths[i] as u16))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for line in 0..height {
                let parts: Vec<String> = (0..columns)
                    .map(|i| {
                        let cell = cells[i].get(line).map_or("", String::as_str);
                        let pad = widths[i].saturating_sub(text::width(cell));
                        match table.alignments.get(i) {
                            Some(Alignment::Right) => format!("{}{cell}", " ".repeat(pad)),
                            Some(Alignment::Center) => format!(
                                "{}{cell}{}",
                                " ".repeat(pad / 2),
                                " ".repeat(pad - pad / 2)
                            ),
                            _ => format!("{cell}{}", " ".repeat(pad)),
                        }
                    })
                    .collect();
                let text = format!("{prefix}{}", parts.join(" │ "));
                self.lines
                    .push(Line::styled(text.trim_end().to_string(), style));
            }
            if r + 1 == table.header_rows {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                let text = format!("{prefix}{}", rule.join("─┼─"));
                self.lines.push(Line::styled(text, self.theme.muted()));
            }
        }
    }

    /// A table too wide even with narrowed columns: each body row as its first cell (bold),
    /// then one "header: cell" line per other column, wrapped.
    fn render_table_as_blocks(&mut self, table: &Table, prefix: &str) {
        let headers = table.rows.first().filter(|_| table.header_rows > 0);
        let width = self.width.saturating_sub(text::width(prefix)).max(8) as u16;
        for (r, row) in table.rows.iter().enumerate().skip(table.header_rows) {
            if r > table.header_rows {
                self.lines.push(Line::default());
            }
            for (i, cell) in row.iter().enumerate() {
                let name = headers.and_then(|h| h.get(i)).map_or("", String::as_str);
                let (text, style) = match (i, name.trim().is_empty()) {
                    (0, _) | (_, true) => (cell.clone(), self.theme.strong()),
                    _ => (format!("{name}: {cell}"), self.theme.text()),
                };
                for line in text::wrap(&text, width) {
                    self.lines
                        .push(Line::styled(format!("{prefix}{line}"), style));
                }
            }
        }
    }
}

/// The narrowest a table's column gets before the table is shown as blocks instead.
const TABLE_COLUMN_MIN: usize = 8;

/// Greedy word wrap of styled fragments; `"\n"` fragments force a break.
fn wrap(
    fragments: &[(String, Style)],
    first_prefix: &str,
    rest_prefix: &str,
    width: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans: Vec<Span<'static>> = vec![Span::raw(first_prefix.to_string())];
    let mut used = first_prefix.chars().count();
    let start_line =
        |spans: &mut Vec<Span<'static>>, used: &mut usize, lines: &mut Vec<Line<'static>>| {
            lines.push(Line::from(std::mem::take(spans)));
            spans.push(Span::raw(rest_prefix.to_string()));
            *used = rest_prefix.chars().count();
        };
    let mut at_line_start = true;
    for (text, style) in fragments {
        if text == "\n" {
            start_line(&mut spans, &mut used, &mut lines);
            at_line_start = true;
            continue;
        }
        for word in split_words(text) {
            let is_space = word.starts_with(' ');
            let len = word.chars().count();
            if is_space {
                if !at_line_start {
                    if used + 1 > width {
                        start_line(&mut spans, &mut used, &mut lines);
                        at_line_start = true;
                    } else {
                        spans.push(Span::styled(" ", *style));
                        used += 1;
                    }
                }
                continue;
            }
            if used + len > width && !at_line_start {
                // Drop the space that ended the previous line.
                if spans.last().is_some_and(|s| s.content == " ") {
                    spans.pop();
                }
                start_line(&mut spans, &mut used, &mut lines);
            }
            let mut rest: &str = word;
            while used + rest.chars().count() > width && width > used {
                let room = width - used;
                let cut = rest.char_indices().nth(room).map_or(rest.len(), |(i, _)| i);
                spans.push(Span::styled(rest[..cut].to_string(), *style));
                rest = &rest[cut..];
                start_line(&mut spans, &mut used, &mut lines);
            }
            if !rest.is_empty() {
                used += rest.chars().count();
                spans.push(Span::styled(rest.to_string(), *style));
            }
            at_line_start = false;
        }
    }
    lines.push(Line::from(spans));
    lines
}

/// Splits text into words and single-space separators (runs of whitespace become one space).
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if rest.starts_with(char::is_whitespace) {
            let end = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            rest = &rest[end..];
            return Some(" ");
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|line| {
                line.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn wraps_paragraphs_and_indents_list_items() {
        let theme = Theme::monochrome();
        let lines = render(
            "# Title\n\nsome words that wrap here\n\n- one two three four\n- five\n",
            14,
            &theme,
        );
        assert_eq!(
            texts(&lines),
            [
                "Title",
                "═════",
                "",
                "some words",
                "that wrap here",
                "",
                "• one two",
                "  three four",
                "• five"
            ]
        );
    }

    #[test]
    fn styles_emphasis_and_code_spans() {
        let theme = Theme::colored();
        let lines = render("a **bold** and `code` and *it*", 80, &theme);
        let spans = &lines[0].spans;
        let find = |text: &str| spans.iter().find(|s| s.content == text).map(|s| s.style);
        assert_eq!(find("bold"), Some(theme.strong()));
        assert_eq!(find("code"), Some(theme.code()));
        assert_eq!(find("it"), Some(theme.emphasis()));
    }

    #[test]
    fn renders_numbered_lists_code_blocks_and_tables() {
        let theme = Theme::monochrome();
        let lines = render(
            "1. first\n2. second\n\n```\nx = 1\n```\n\n| a | bb |\n| - | -- |\n| 1 | 2 |\n",
            40,
            &theme,
        );
        assert_eq!(
            texts(&lines),
            [
                "1. first",
                "2. second",
                "",
                "  x = 1",
                "",
                "a │ bb",
                "──┼───",
                "1 │ 2"
            ]
        );
    }

    #[test]
    fn a_wide_table_wraps_its_cells_and_a_too_wide_one_becomes_blocks() {
        let theme = Theme::monochrome();
        let table = "| | processes | threads |\n| --- | --- | --- |\n\
                     | identity | one PID each | one PID for all; each its own TID |\n";
        let narrow = texts(&render(table, 40, &theme));
        assert!(narrow.iter().all(|l| text::width(l) <= 40), "{narrow:?}");
        let all = narrow.join(" ");
        for word in ["threads", "TID", "identity", "each"] {
            assert!(all.contains(word), "{word} in {narrow:?}");
        }
        let blocks = texts(&render(table, 24, &theme));
        assert_eq!(blocks[0], "identity");
        assert!(
            blocks.contains(&"processes: one PID each".to_string()),
            "{blocks:?}"
        );
        assert!(blocks.iter().all(|l| text::width(l) <= 24), "{blocks:?}");
    }
}
