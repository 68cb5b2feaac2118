//! A small Markdown builder for `GITHUB_STEP_SUMMARY`, and GitHub's size limit for it.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::commands::runner_lines;

/// GitHub rejects a step summary larger than this (1 MiB per step).
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// Replaces what did not fit.
pub const TRUNCATION_NOTE: &str =
    "\n\n> [!WARNING]\n> This summary was truncated: GitHub shows at most 1 MiB per step.\n";

/// GitHub-flavoured Markdown, block by block. Every block ends with a blank line.
///
/// Text passed to [`Summary::heading`], [`Summary::paragraph`] and [`Summary::list`] is
/// Markdown; table cells are [`Cell`]s (plain text unless the caller says Markdown) and
/// `<details>` titles are escaped, so neither can break the structure around them. Nothing
/// added keeps a control character: ANSI escape sequences, other C0/C1 controls and bidi
/// overrides are dropped (tabs and line breaks stay).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    markdown: String,
}

impl Summary {
    pub fn new() -> Self {
        Self::default()
    }

    /// `## text` (level clamped to 1..=6; line breaks become spaces).
    pub fn heading(&mut self, level: usize, text: &str) -> &mut Self {
        let hashes = "#".repeat(level.clamp(1, 6));
        self.push(&format!("{hashes} {}\n\n", one_line(text)))
    }

    /// A paragraph.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        self.push(&format!("{}\n\n", text.trim_end()))
    }

    /// A bullet list; an item's later lines are indented to stay inside the item.
    pub fn list<S: AsRef<str>>(&mut self, items: impl IntoIterator<Item = S>) -> &mut Self {
        let mut list = String::new();
        for item in items {
            let item = item.as_ref().trim_end().replace("\r\n", "\n");
            let _ = writeln!(list, "- {}", item.replace('\n', "\n  "));
        }
        list.push('\n');
        self.push(&list)
    }

    /// A table with a header row (the headers are Markdown). Each cell is a [`Cell`]: a
    /// `String` or `&str` is plain text, rendered literally.
    pub fn table<R, C>(&mut self, header: &[&str], rows: impl IntoIterator<Item = R>) -> &mut Self
    where
        R: IntoIterator<Item = C>,
        C: Into<Cell>,
    {
        let mut table = table_row(header.iter().map(|&title| Cell::markdown(title)));
        table.push_str(&table_row(header.iter().map(|_| Cell::markdown("---"))));
        for row in rows {
            table.push_str(&table_row(row.into_iter().map(Into::into)));
        }
        table.push('\n');
        self.push(&table)
    }

    /// A fenced code block; the fence is longer than any run of backticks in `code`.
    pub fn code_block(&mut self, language: &str, code: &str) -> &mut Self {
        let longest_run = code
            .split(|character| character != '`')
            .map(str::len)
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest_run.max(2) + 1);
        let code = code.strip_suffix('\n').unwrap_or(code);
        self.push(&format!(
            "{fence}{}\n{code}\n{fence}\n\n",
            one_line(language)
        ))
    }

    /// A collapsed `<details>` section titled `title` holding `body`.
    pub fn details(&mut self, title: &str, body: &Summary) -> &mut Self {
        self.push(&format!(
            "<details><summary>{}</summary>\n\n{}</details>\n\n",
            escape_html(&one_line(title)),
            body.markdown
        ))
    }

    /// Markdown added as is (but for control characters).
    pub fn raw(&mut self, markdown: &str) -> &mut Self {
        self.push(markdown)
    }

    /// Appends `text` without its control characters.
    fn push(&mut self, text: &str) -> &mut Self {
        self.markdown.push_str(&strip_controls(text));
        self
    }

    pub fn as_str(&self) -> &str {
        &self.markdown
    }

    pub fn is_empty(&self) -> bool {
        self.markdown.is_empty()
    }
}

/// A table cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Shown literally: Markdown and HTML characters are escaped (see [`escape_markdown`]).
    /// File names, tags, reasons and anything else from input or a server belong here.
    Text(String),
    /// Markdown the caller built from escaped parts (code spans, links to known pages).
    Markdown(String),
}

impl Cell {
    pub fn markdown(markdown: impl Into<String>) -> Cell {
        Cell::Markdown(markdown.into())
    }

    /// `text` as an inline code span (see [`inline_code`]).
    pub fn code(text: &str) -> Cell {
        Cell::Markdown(inline_code(text))
    }

    /// The cell's Markdown inside a table row: `|` escaped, line breaks as `<br>`.
    fn to_markdown(&self) -> String {
        let lines = match self {
            Cell::Text(text) => runner_lines(&strip_controls(text))
                .map(escape_markdown)
                .collect::<Vec<_>>(),
            Cell::Markdown(markdown) => runner_lines(&strip_controls(markdown))
                .map(str::to_owned)
                .collect(),
        };
        lines.join("<br>").replace('|', "\\|")
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Cell {
        Cell::Text(text.clone())
    }
}

fn table_row(cells: impl Iterator<Item = Cell>) -> String {
    let mut row = String::from("|");
    for cell in cells {
        let _ = write!(row, " {} |", cell.to_markdown());
    }
    row.push('\n');
    row
}

/// `text` without control characters: ANSI escape sequences (CSI `ESC [ … final`, OSC
/// `ESC ] … BEL/ST`, and two-character ones) whole, other C0 and C1 controls, DEL, and the
/// bidi embedding, override and isolate marks that reorder what a reader sees. Tabs and
/// line breaks stay.
pub fn strip_controls(text: &str) -> Cow<'_, str> {
    let is_stripped = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(is_stripped) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            match chars.next() {
                // CSI: parameters and intermediates up to a final byte in @..~.
                Some('[') => while chars.next().is_some_and(|c| !('@'..='~').contains(&c)) {},
                // OSC (hyperlinks, titles): up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            }
        } else if !is_stripped(c) {
            clean.push(c);
        }
    }
    Cow::Owned(clean)
}

/// What of `text` fits in a step summary that already holds `existing` bytes: all of it, or
/// its first lines followed by [`TRUNCATION_NOTE`]; nothing when not even the note fits.
pub fn fit_to_limit(existing: usize, text: &str) -> Cow<'_, str> {
    if existing.saturating_add(text.len()) <= SUMMARY_LIMIT {
        return Cow::Borrowed(text);
    }
    let Some(room) = SUMMARY_LIMIT.checked_sub(existing + TRUNCATION_NOTE.len()) else {
        return Cow::Borrowed("");
    };
    let mut cut = room;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    // Prefer ending on a whole line.
    let cut = text[..cut].rfind('\n').map_or(cut, |newline| newline + 1);
    Cow::Owned(format!("{}{TRUNCATION_NOTE}", &text[..cut]))
}

/// `text` rendered literally in a paragraph, list item or table cell: every ASCII punctuation
/// character but `|` backslash-escaped (so no emphasis, link, autolink, heading or HTML tag
/// can form), line breaks as spaces. [`Summary::table`] escapes `|` itself; elsewhere a lone
/// `|` is plain text.
pub fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 4);
    for c in one_line(text).chars() {
        if c.is_ascii_punctuation() && c != '|' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `text` as an inline code span, on one line: fenced with more backticks than any run in it
/// (padded with spaces when it starts or ends with one), so neither Markdown nor HTML in it
/// renders.
pub fn inline_code(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return "` `".to_owned();
    }
    let longest_run = text
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn one_line(text: &str) -> String {
    text.trim().replace("\r\n", " ").replace(['\n', '\r'], " ")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_every_block() {
        let mut details = Summary::new();
        details.code_block("json", "{\"a\": 1}\n");
        let mut summary = Summary::new();
        summary
            .heading(2, "Services\nto build")
            .paragraph("Base `abc`, head `def`.")
            .table(
                &["Service", "Reason"],
                [
                    [Cell::code("api"), Cell::from("file a|b.py")],
                    [
                        Cell::markdown("**web**"),
                        Cell::from("line one\r\nline two"),
                    ],
                ],
            )
            .list(["first", "second\nmore"])
            .details("Full <JSON>", &details)
            .raw("raw\n");
        insta::assert_snapshot!(summary.as_str(), @r#"
        ## Services to build

        Base `abc`, head `def`.

        | Service | Reason |
        | --- | --- |
        | `api` | file a\|b\.py |
        | **web** | line one<br>line two |

        - first
        - second
          more

        <details><summary>Full &lt;JSON&gt;</summary>

        ```json
        {"a": 1}
        ```

        </details>

        raw
        "#);
    }

    #[test]
    fn untrusted_text_renders_literally() {
        assert_eq!(
            escape_markdown("<img src=x> *bold* [a](b)\n# h | c"),
            "\\<img src\\=x\\> \\*bold\\* \\[a\\]\\(b\\) \\# h | c"
        );
        assert_eq!(escape_markdown("https://x.io"), "https\\:\\/\\/x\\.io");
        assert_eq!(inline_code("ghcr.io/a:v1"), "`ghcr.io/a:v1`");
        assert_eq!(inline_code("a `b` c"), "``a `b` c``");
        assert_eq!(inline_code("`x``"), "``` `x`` ```");
        assert_eq!(inline_code("two\nlines"), "`two lines`");
        assert_eq!(inline_code(""), "` `");
    }

    #[test]
    fn text_cells_render_literally_without_controls() {
        let hostile = "<img src=x onerror=alert(1)> \u{1b}[31mred\u{1b}[0m *b* [l](javascript:x) \u{202e}txt.exe\u{7}";
        let mut summary = Summary::new();
        summary.table(&["File"], [[hostile]]);
        assert_eq!(
            summary.as_str(),
            "| File |\n| --- |\n| \\<img src\\=x onerror\\=alert\\(1\\)\\> red \\*b\\* \\[l\\]\\(javascript\\:x\\) txt\\.exe |\n\n"
        );
        // Markdown cells keep their Markdown but lose control characters too.
        let mut summary = Summary::new();
        summary.table(&["Image"], [[Cell::code("a\u{1b}]8;;http://x\u{7}b")]]);
        assert_eq!(summary.as_str(), "| Image |\n| --- |\n| `ab` |\n\n");
    }

    #[test]
    fn control_characters_never_reach_the_summary() {
        let mut summary = Summary::new();
        summary
            .heading(2, "a\u{1b}[1mb")
            .paragraph("c\u{0}d\u{9b}e")
            .list(["f\u{8}g"])
            .raw("h\u{7f}i\tj\n");
        assert_eq!(summary.as_str(), "## ab\n\ncde\n\n- fg\n\nhi\tj\n");
        assert_eq!(strip_controls("plain"), Cow::Borrowed("plain"));
    }

    #[test]
    fn heading_levels_are_clamped() {
        assert_eq!(Summary::new().heading(0, "a").as_str(), "# a\n\n");
        assert_eq!(Summary::new().heading(9, "a").as_str(), "###### a\n\n");
    }

    #[test]
    fn code_fences_outgrow_backtick_runs() {
        let mut summary = Summary::new();
        summary.code_block("", "a ```` b");
        assert_eq!(summary.as_str(), "`````\na ```` b\n`````\n\n");
    }

    #[test]
    fn small_text_fits_whole() {
        assert_eq!(fit_to_limit(0, "abc"), "abc");
        assert_eq!(fit_to_limit(SUMMARY_LIMIT - 3, "abc"), "abc");
    }

    #[test]
    fn large_text_is_cut_at_a_line_with_a_note() {
        let line = "x".repeat(99) + "\n";
        let text = line.repeat(20_000); // 2 MB
        let fitted = fit_to_limit(1000, &text);
        assert!(fitted.len() + 1000 <= SUMMARY_LIMIT);
        assert!(fitted.ends_with(TRUNCATION_NOTE));
        let kept = fitted.strip_suffix(TRUNCATION_NOTE).unwrap();
        assert!(kept.ends_with('\n') && kept.len().is_multiple_of(100));
    }

    #[test]
    fn cuts_on_a_char_boundary_without_lines() {
        let text = "é".repeat(SUMMARY_LIMIT);
        let fitted = fit_to_limit(0, &text);
        assert!(fitted.len() <= SUMMARY_LIMIT);
        assert!(fitted.ends_with(TRUNCATION_NOTE));
    }

    #[test]
    fn a_full_summary_gets_nothing_more() {
        assert_eq!(fit_to_limit(SUMMARY_LIMIT - 10, &"x".repeat(100)), "");
    }
}
