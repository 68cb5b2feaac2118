//! Workflow commands (`::name key=value::message`), formatted and escaped as `@actions/core`
//! does. Every function returns a complete line, newline included: a command without one can
//! swallow the next.

use std::fmt::Write as _;

/// Escapes a command's message: `%` → `%25`, CR → `%0D`, LF → `%0A`.
pub fn escape_data(text: &str) -> String {
    escape(text, false)
}

/// Escapes a property value: as [`escape_data`], and also `:` → `%3A`, `,` → `%2C`, so a
/// crafted file name or title cannot end the property list or add a property.
pub fn escape_property(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, property: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '%' => escaped.push_str("%25"),
            '\r' => escaped.push_str("%0D"),
            '\n' => escaped.push_str("%0A"),
            ':' if property => escaped.push_str("%3A"),
            ',' if property => escaped.push_str("%2C"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `::name k1=v1,k2=v2::message` and a newline; property values and the message escaped.
pub fn command(name: &str, properties: &[(&str, String)], message: &str) -> String {
    let mut line = format!("::{name}");
    for (index, (key, value)) in properties.iter().enumerate() {
        let separator = if index == 0 { ' ' } else { ',' };
        let _ = write!(line, "{separator}{key}={}", escape_property(value));
    }
    let _ = writeln!(line, "::{}", escape_data(message));
    line
}

/// How severe an annotation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnotationLevel {
    Error,
    Warning,
    Notice,
}

impl AnnotationLevel {
    /// The command name, which is also the word used outside Actions (`error: ...`).
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationLevel::Error => "error",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Notice => "notice",
        }
    }
}

/// An error, warning or notice shown on the run page and, with a file, next to the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub level: AnnotationLevel,
    pub message: String,
    pub title: Option<String>,
    /// Path relative to the repository root.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<usize>,
    pub end_line: Option<usize>,
    /// 1-based.
    pub col: Option<usize>,
    pub end_column: Option<usize>,
}

impl Annotation {
    /// An annotation of `level` with `message` and no location.
    pub fn new(level: AnnotationLevel, message: impl Into<String>) -> Self {
        Self {
            level,
            message: message.into(),
            title: None,
            file: None,
            line: None,
            end_line: None,
            col: None,
            end_column: None,
        }
    }

    /// An `::error::` annotation.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(AnnotationLevel::Error, message)
    }

    /// A `::warning::` annotation.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(AnnotationLevel::Warning, message)
    }

    /// A `::notice::` annotation.
    pub fn notice(message: impl Into<String>) -> Self {
        Self::new(AnnotationLevel::Notice, message)
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn end_line(mut self, end_line: usize) -> Self {
        self.end_line = Some(end_line);
        self
    }

    pub fn col(mut self, col: usize) -> Self {
        self.col = Some(col);
        self
    }

    pub fn end_column(mut self, end_column: usize) -> Self {
        self.end_column = Some(end_column);
        self
    }

    /// The workflow command, for a run under Actions.
    pub fn to_command(&self) -> String {
        let number = |value: Option<usize>| value.map(|value| value.to_string());
        let properties: Vec<(&str, String)> = [
            ("file", self.file.clone()),
            ("line", number(self.line)),
            ("endLine", number(self.end_line)),
            ("col", number(self.col)),
            ("endColumn", number(self.end_column)),
            ("title", self.title.clone()),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect();
        command(self.level.as_str(), &properties, &self.message)
    }

    /// A plain line for a terminal: `error: gantry.yml:3:7: title: message`.
    pub fn to_plain(&self) -> String {
        let mut line = format!("{}: ", self.level.as_str());
        if let Some(file) = &self.file {
            line.push_str(file);
            for number in [self.line, self.col].into_iter().map_while(|number| number) {
                let _ = write!(line, ":{number}");
            }
            line.push_str(": ");
        }
        if let Some(title) = &self.title {
            let _ = write!(line, "{title}: ");
        }
        let _ = writeln!(line, "{}", self.message);
        line
    }
}

/// The lines the runner reads from a step's stdout and stderr: text ends a line at `\r\n`, `\r`
/// or `\n`, as .NET's `StreamReader.ReadLine` does (actions/runner
/// `src/Runner.Sdk/ProcessInvoker.cs`, `StartReadStream`); a final line break ends the last
/// line and starts no empty one.
pub fn runner_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text).filter(|text| !text.is_empty());
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            None => {
                rest = None;
                Some(current)
            }
            Some(end) => {
                let after = if current[end..].starts_with("\r\n") {
                    end + 2
                } else {
                    end + 1
                };
                rest = Some(&current[after..]).filter(|next| !next.is_empty());
                Some(&current[..end])
            }
        }
    })
}

/// Whether the runner could read a workflow command somewhere in `text` (a conservative
/// answer: `true` whenever it might).
///
/// The runner checks every line (see [`runner_lines`]) that contains `::` or the legacy
/// `##[` (actions/runner `src/Runner.Worker/Handlers/OutputManager.cs`, `OnDataReceived`):
/// a line whose text, after leading whitespace, starts with `::` (`ActionCommand.TryParseV2`),
/// or one holding `##[` anywhere (`ActionCommand.TryParse`, the legacy `##[name k=v;]data`).
/// Both use .NET's culture-sensitive `StartsWith`/`IndexOf`, which skip characters the
/// collation ignores (controls, soft hyphens, zero-width and bidi marks), so those are left
/// out before looking.
pub fn may_hold_command(text: &str) -> bool {
    runner_lines(text).any(|line| {
        let visible: String = line
            .chars()
            .filter(|&c| !is_collation_ignorable(c))
            .collect();
        visible.trim_start().starts_with("::") || visible.contains("##[")
    })
}

/// Characters that ICU's root collation ignores in a culture-sensitive comparison (and so
/// .NET's `StartsWith`/`IndexOf`): C0 and C1 controls other than the whitespace ones, and the
/// default-ignorable format characters. Wider than the exact set on purpose.
fn is_collation_ignorable(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{e}'..='\u{1f}'
        | '\u{7f}'..='\u{84}'
        | '\u{86}'..='\u{9f}'
        | '\u{ad}'
        | '\u{34f}'
        | '\u{61c}'
        | '\u{115f}'..='\u{1160}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff0}'..='\u{fffb}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}')
}

/// `::add-mask::value`.
pub fn add_mask(value: &str) -> String {
    command("add-mask", &[], value)
}

/// `::debug::message`.
pub fn debug(message: &str) -> String {
    command("debug", &[], message)
}

/// `::group::title`.
pub fn group(title: &str) -> String {
    command("group", &[], title)
}

/// `::endgroup::`.
pub fn end_group() -> String {
    command("endgroup", &[], "")
}

/// `::stop-commands::token`: the runner ignores commands until `::token::`.
pub fn stop_commands(token: &str) -> String {
    command("stop-commands", &[], token)
}

/// `::token::`: commands are processed again.
pub fn resume_commands(token: &str) -> String {
    command(token, &[], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escaping() {
        assert_eq!(
            escape_data("100% done\r\nnext: a,b"),
            "100%25 done%0D%0Anext: a,b"
        );
    }

    #[test]
    fn property_escaping() {
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn annotation_with_every_property() {
        let annotation = Annotation::error("bad value")
            .file("gantry.yml")
            .line(3)
            .end_line(4)
            .col(7)
            .end_column(9)
            .title("config");
        assert_eq!(
            annotation.to_command(),
            "::error file=gantry.yml,line=3,endLine=4,col=7,endColumn=9,title=config::bad value\n"
        );
    }

    #[test]
    fn annotation_without_properties() {
        assert_eq!(Annotation::notice("hi").to_command(), "::notice::hi\n");
    }

    #[test]
    fn crafted_file_name_and_message_cannot_forge_commands() {
        let annotation = Annotation::warning("50% ::error::forged\n::add-mask::x")
            .file("a,line=1:b.yml")
            .title("t,file=x");
        assert_eq!(
            annotation.to_command(),
            "::warning file=a%2Cline=1%3Ab.yml,title=t%2Cfile=x::50%25 ::error::forged%0A::add-mask::x\n"
        );
    }

    #[test]
    fn plain_rendering() {
        let annotation = Annotation::error("unknown key `servces`")
            .file("gantry.yml")
            .line(3)
            .col(1)
            .title("config");
        assert_eq!(
            annotation.to_plain(),
            "error: gantry.yml:3:1: config: unknown key `servces`\n"
        );
        assert_eq!(Annotation::warning("w").to_plain(), "warning: w\n");
        assert_eq!(
            Annotation::warning("w").file("f").col(2).to_plain(),
            "warning: f: w\n",
            "a column without a line is meaningless"
        );
    }

    #[test]
    fn runner_lines_end_at_cr_lf_and_crlf() {
        let lines: Vec<&str> = runner_lines("a\rb\nc\r\nd\r\r\ne\n").collect();
        assert_eq!(lines, ["a", "b", "c", "d", "", "e"]);
        assert_eq!(runner_lines("").count(), 0);
        assert_eq!(runner_lines("\n").collect::<Vec<_>>(), [""]);
        assert_eq!(runner_lines("x").collect::<Vec<_>>(), ["x"]);
    }

    #[test]
    fn commands_are_found_where_the_runner_finds_them() {
        for text in [
            "::error::x",
            "  \t::warning::x",
            "ok\n::set-output name=a::b",
            "ok\r::error::x",
            "file name ##[set-output name=x;]y",
            "\u{3000}::error::x",
            "\u{ad}::error::x",
            "\u{200b} ::error::x",
            "#\u{200d}#[error]x",
            "a\u{0}\n::debug::x",
        ] {
            assert!(may_hold_command(text), "{text:?}");
        }
        for text in [
            "",
            "gantry::manifest::read",
            "  × cannot read: a :: b",
            "## [error] spaced",
            "x ::error::x",
        ] {
            assert!(!may_hold_command(text), "{text:?}");
        }
    }

    #[test]
    fn simple_commands() {
        assert_eq!(add_mask("a\nb"), "::add-mask::a%0Ab\n");
        assert_eq!(debug("d"), "::debug::d\n");
        assert_eq!(group("Build: api"), "::group::Build: api\n");
        assert_eq!(end_group(), "::endgroup::\n");
        assert_eq!(stop_commands("tok"), "::stop-commands::tok\n");
        assert_eq!(resume_commands("tok"), "::tok::\n");
    }
}
