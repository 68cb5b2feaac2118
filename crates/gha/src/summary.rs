//! A small Markdown builder for `GITHUB_STEP_SUMMARY`, and GitHub's size limit for it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// GitHub rejects a step summary larger than this (1 MiB per step).
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// Replaces what did not fit.
pub const TRUNCATION_NOTE: &str =
    "\n\n> [!WARNING]\n> This summary was truncated: GitHub shows at most 1 MiB per step.\n";

/// GitHub-flavoured Markdown, block by block. Every block ends with a blank line.
///
/// Text passed to [`Summary::heading`], [`Summary::paragraph`] and [`Summary::list`] is
/// Markdown; table cells and `<details>` titles are escaped so they cannot break the
/// structure around them.
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
        let _ = write!(self.markdown, "{hashes} {}\n\n", one_line(text));
        self
    }

    /// A paragraph.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        let _ = write!(self.markdown, "{}\n\n", text.trim_end());
        self
    }

    /// A bullet list; an item's later lines are indented to stay inside the item.
    pub fn list<S: AsRef<str>>(&mut self, items: impl IntoIterator<Item = S>) -> &mut Self {
        for item in items {
            let item = item.as_ref().trim_end().replace("\r\n", "\n");
            let _ = writeln!(self.markdown, "- {}", item.replace('\n', "\n  "));
        }
        self.markdown.push('\n');
        self
    }

    /// A table with a header row. Cells are escaped: `|` → `\|`, line breaks → `<br>`.
    pub fn table<R, S>(&mut self, header: &[&str], rows: impl IntoIterator<Item = R>) -> &mut Self
    where
        R: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.table_row(header.iter());
        self.table_row(header.iter().map(|_| "---"));
        for row in rows {
            self.table_row(row.into_iter());
        }
        self.markdown.push('\n');
        self
    }

    fn table_row<S: AsRef<str>>(&mut self, cells: impl Iterator<Item = S>) {
        self.markdown.push('|');
        for cell in cells {
            let _ = write!(self.markdown, " {} |", escape_cell(cell.as_ref()));
        }
        self.markdown.push('\n');
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
        let _ = write!(
            self.markdown,
            "{fence}{}\n{code}\n{fence}\n\n",
            one_line(language)
        );
        self
    }

    /// A collapsed `<details>` section titled `title` holding `body`.
    pub fn details(&mut self, title: &str, body: &Summary) -> &mut Self {
        let _ = write!(
            self.markdown,
            "<details><summary>{}</summary>\n\n{}</details>\n\n",
            escape_html(&one_line(title)),
            body.markdown
        );
        self
    }

    /// Markdown added as is.
    pub fn raw(&mut self, markdown: &str) -> &mut Self {
        self.markdown.push_str(markdown);
        self
    }

    pub fn as_str(&self) -> &str {
        &self.markdown
    }

    pub fn is_empty(&self) -> bool {
        self.markdown.is_empty()
    }
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

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
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
                [["api", "file a|b.py"], ["web", "line one\r\nline two"]],
            )
            .list(["first", "second\nmore"])
            .details("Full <JSON>", &details)
            .raw("raw\n");
        insta::assert_snapshot!(summary.as_str(), @r#"
        ## Services to build

        Base `abc`, head `def`.

        | Service | Reason |
        | --- | --- |
        | api | file a\|b.py |
        | web | line one<br>line two |

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
