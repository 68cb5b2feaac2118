//! Located errors and warnings, rendered with miette.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use serde_saphyr::{Location, MessageFormatter};

use crate::names;

/// One problem at one place of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub message: String,
    /// A short note shown at the place.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Byte range in the manifest text.
    pub span: SourceSpan,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub column: usize,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.span),
        )))
    }
}

/// A manifest that cannot be used. Every variant is bad input (exit status 2).
///
/// [`ManifestError::Invalid`] renders the first problem with its source snippet and the
/// others as related diagnostics; its [`Diagnostic::labels`] are the first problem's, so
/// `::error file=,line=,col=::` can be derived from the first label (or, for all of them,
/// from [`ManifestError::problems`]).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read (not found, no permission, ...).
    #[error("cannot read the manifest {}: {source}", path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The path is a directory.
    #[error("the manifest {} is a directory, not a file", path.display())]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The file is larger than any sensible manifest.
    #[error("the manifest {} has {size} bytes, more than the {} a manifest may have", path.display(), crate::MAX_MANIFEST_BYTES)]
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The file is not UTF-8 text.
    #[error("the manifest {} is not UTF-8 text: invalid byte at line {line}, column {column}", path.display())]
    NotUtf8 {
        /// The path given.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
    },
    /// The text is not a valid manifest: one or more located problems.
    #[error("{}", problems[0])]
    Invalid {
        /// The manifest's name as given (used in annotations).
        file: String,
        /// The manifest text (with secret-looking values masked).
        source_code: NamedSource<Arc<str>>,
        /// The problems in file order; never empty.
        problems: Vec<Problem>,
    },
}

impl ManifestError {
    /// The manifest's name as given, for annotations (`::error file=...`).
    pub fn file(&self) -> Cow<'_, str> {
        match self {
            Self::Read { path, .. }
            | Self::IsDirectory { path }
            | Self::TooLarge { path, .. }
            | Self::NotUtf8 { path, .. } => path.to_string_lossy(),
            Self::Invalid { file, .. } => Cow::Borrowed(file),
        }
    }

    /// The located problems (empty for errors about the file as a whole).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

impl Diagnostic for ManifestError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match self {
            Self::Read { .. } | Self::IsDirectory { .. } => "gantry::manifest::read",
            Self::TooLarge { .. } => "gantry::manifest::too_large",
            Self::NotUtf8 { .. } => "gantry::manifest::encoding",
            Self::Invalid { .. } => "gantry::manifest::invalid",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help: String = match self {
            Self::Read { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                "create gantry.yml at the repository root, or give its path with --manifest \
                 or GANTRY_MANIFEST"
                    .into()
            }
            Self::Read { .. } => "check that the file exists and is readable".into(),
            Self::IsDirectory { path } => {
                format!(
                    "give the file itself, e.g. {}",
                    path.join("gantry.yml").display()
                )
            }
            Self::TooLarge { .. } => {
                "a gantry.yml is a few kilobytes; check that the path names the manifest".into()
            }
            Self::NotUtf8 { .. } => "save the file as UTF-8".into(),
            Self::Invalid { problems, .. } => return problems[0].help(),
        };
        Some(Box::new(help))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.problems().first()?.labels()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self {
            Self::Invalid { source_code, .. } => Some(source_code),
            _ => None,
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        let rest = self.problems().get(1..)?;
        Some(Box::new(rest.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// Something worth fixing that does not stop the manifest from working, such as a
/// build context that does not exist. Renders as a miette warning with its snippet.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", problem.message)]
pub struct Warning {
    /// The manifest's name as given (used in annotations).
    pub file: String,
    /// What and where.
    pub problem: Problem,
    source_code: NamedSource<Arc<str>>,
}

impl Diagnostic for Warning {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Warning)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.problem.help()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.problem.labels()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source_code)
    }
}

/// The manifest text being checked: turns parser locations into byte spans and builds
/// problems and the final error.
pub(crate) struct Source<'t> {
    pub file: &'t str,
    pub text: &'t str,
}

impl Source<'_> {
    /// The byte span of a parser location (which counts characters).
    pub fn span(&self, at: &Location) -> SourceSpan {
        if *at == Location::UNKNOWN {
            return SourceSpan::from((0, 0));
        }
        let span = at.span();
        if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
            return SourceSpan::from((offset as usize, len as usize));
        }
        let byte_at = |chars: u64| {
            self.text
                .char_indices()
                .nth(chars as usize)
                .map_or(self.text.len(), |(i, _)| i)
        };
        let start = byte_at(span.offset());
        let end = byte_at(span.offset() + span.len());
        SourceSpan::from((start, end - start))
    }

    /// A problem at a parser location.
    pub fn problem(
        &self,
        at: &Location,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Problem {
        let span = self.span(at);
        // The parser knows the line and column: counting them from the top for every
        // problem would make thousands of warnings (a service each) quadratic.
        let place = match (usize::try_from(at.line()), usize::try_from(at.column())) {
            (Ok(line @ 1..), Ok(column @ 1..)) if *at != Location::UNKNOWN => (line, column),
            _ => line_column(self.text, span.offset()),
        };
        located(span, place, message, label, help)
    }

    /// A problem at a byte span.
    pub fn problem_at(
        &self,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Problem {
        let place = line_column(self.text, span.offset());
        located(span, place, message, label, help)
    }

    fn named_source(&self) -> NamedSource<Arc<str>> {
        NamedSource::new(self.file, Arc::from(mask_secrets(self.text)))
    }

    /// The error for these problems (at least one), in file order.
    pub fn error(&self, mut problems: Vec<Problem>) -> ManifestError {
        problems.sort_by_key(|p| p.span.offset());
        ManifestError::Invalid {
            file: self.file.to_owned(),
            source_code: self.named_source(),
            problems,
        }
    }

    /// Warnings for these problems, in file order.
    pub fn warnings(&self, mut problems: Vec<Problem>) -> Vec<Warning> {
        problems.sort_by_key(|p| p.span.offset());
        let source_code = self.named_source();
        problems
            .into_iter()
            .map(|problem| Warning {
                file: self.file.to_owned(),
                problem,
                source_code: source_code.clone(),
            })
            .collect()
    }

    /// A YAML parser or deserializer error, explained for gantry.yml writers.
    pub fn parse_problem(&self, err: &serde_saphyr::Error) -> Problem {
        let mut err = err.without_snippet();
        while let serde_saphyr::Error::AliasError { error, .. } = err {
            err = error.without_snippet();
        }
        let at = err.location().unwrap_or(Location::UNKNOWN);
        let (message, label, help) = explain(err);
        self.problem(&at, message, label, help)
    }
}

/// A problem at `span`, which starts at (line, column) `place`.
fn located(
    span: SourceSpan,
    (line, column): (usize, usize),
    message: impl Into<String>,
    label: impl Into<String>,
    help: Option<String>,
) -> Problem {
    Problem {
        message: message.into(),
        label: label.into(),
        help,
        span,
        line,
        column,
    }
}

/// Message, label and help for a serde-saphyr error.
fn explain(err: &serde_saphyr::Error) -> (String, String, Option<String>) {
    use serde_saphyr::Error as E;
    match err {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let known = expected.join(", ");
            if names::is_secret_key(field) {
                (
                    format!("`{field}` is not a gantry.yml key, and secrets never belong in it"),
                    "secrets do not go here".into(),
                    Some(names::SECRET_HELP.into()),
                )
            } else {
                let suggestion = names::did_you_mean(field, expected.iter().copied());
                (
                    format!("unknown key `{field}`"),
                    "unknown key".into(),
                    Some(format!("{suggestion}keys allowed here: {known}")),
                )
            }
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            format!("unknown value `{variant}`"),
            "unknown value".into(),
            Some(format!(
                "{}allowed values: {}",
                names::did_you_mean(variant, expected.iter().copied()),
                expected.join(", ")
            )),
        ),
        E::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().unwrap_or("this key");
            (
                format!("`{key}` is defined twice in the same mapping"),
                "defined again here".into(),
                Some(format!(
                    "keep one `{key}` entry: merge the two, or rename one of them"
                )),
            )
        }
        E::QuotingRequired { value, .. } => (
            format!("`{value}` must be quoted: YAML reads it as a number or boolean, not text"),
            "not a string".into(),
            Some(format!("quote the value: \"{value}\"")),
        ),
        E::NullIntoString { .. } => (
            "a value is missing here".into(),
            "empty value".into(),
            Some("write a value, or remove the key".into()),
        ),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => {
            let (expected, help) = plain_expected(expected);
            (
                format!("expected {expected}, found {unexpected}"),
                "wrong type".into(),
                help,
            )
        }
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => {
            let (expected, help) = plain_expected(expected);
            (
                format!("expected {expected}, found {unexpected}"),
                "invalid value".into(),
                help,
            )
        }
        E::InvalidScalar { ty: expected, .. } | E::Unexpected { expected, .. } => {
            let (expected, help) = plain_expected(expected);
            (format!("expected {expected}"), "wrong type".into(), help)
        }
        E::ExternalMessage { msg, .. } => (
            format!("invalid YAML: {msg}"),
            "invalid YAML".into(),
            Some("check the indentation, brackets and quotes here and on the lines above".into()),
        ),
        E::MultipleDocuments { .. } => (
            "the manifest has more than one YAML document".into(),
            "a second document starts here".into(),
            Some(
                "remove the `---` separator and everything after it, or merge the documents".into(),
            ),
        ),
        E::Budget { breach, .. } => (
            format!("the manifest is too large or too deeply nested ({breach:?})"),
            "limit reached here".into(),
            Some("a gantry.yml is a few kilobytes with a few levels of nesting".into()),
        ),
        other => (
            serde_saphyr::UserMessageFormatter
                .format_message(other)
                .into_owned(),
            "here".into(),
            None,
        ),
    }
}

/// serde's type words (`u32`, `a sequence`, `string scalar`) in the manifest's terms,
/// with how to write such a value.
fn plain_expected(expected: &str) -> (String, Option<String>) {
    let (plain, help) = match expected {
        "u32" | "u64" | "u8" | "u16" | "usize" => (
            "a whole number (0 or more)",
            "write a number without quotes, e.g. `10`",
        ),
        "a string" | "string scalar" | "string" => (
            "a string",
            "write the text, in quotes if it contains `:`, `#` or looks like a number",
        ),
        "a sequence" | "sequence start" => (
            "a list",
            "write a list: `[a, b]` on one line, or one `- a` per line",
        ),
        "a map" | "mapping start" => (
            "a mapping",
            "write `key: value` entries, indented below the key, or `{key: value}`",
        ),
        crate::model::KEEP_EXPECTED => (
            crate::model::KEEP_EXPECTED,
            "write how many of the newest versions to keep, e.g. `keep: 3`, or `keep: all`",
        ),
        other => return (other.to_owned(), None),
    };
    (plain.to_owned(), Some(help.to_owned()))
}

/// 1-based line and character column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The text with the value of every secret-looking key (`api-key: ...`, `token: ...`) and
/// the credentials of every URL (`https://user:password@host`) replaced by `*`, byte for
/// byte so spans stay valid: an error must not print a secret someone put in the file.
pub(crate) fn mask_secrets(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        masked.push_str(&mask_url_credentials(&mask_line(line)));
    }
    masked
}

fn stars(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_whitespace() {
                c.to_string()
            } else {
                "*".repeat(c.len_utf8())
            }
        })
        .collect()
}

fn mask_url_credentials(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| {
                c == '/' || c.is_whitespace() || matches!(c, ',' | '}' | ']' | '"' | '\'')
            })
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str(&stars(&after[..at]));
                rest = &after[at..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

fn mask_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    // Each `key:` on the line (block or flow style); mask the value after a secret one.
    while let Some(colon) = rest.find(':') {
        let (before, after) = rest.split_at(colon);
        let key = before
            .rsplit(|c: char| c.is_whitespace() || matches!(c, '{' | ',' | '['))
            .next()
            .unwrap_or("")
            .trim_matches(|c| c == '"' || c == '\'');
        out.push_str(before);
        out.push(':');
        let after = &after[1..];
        let value_end = after.find([',', '}', '#', '\n']).unwrap_or(after.len());
        if !key.is_empty() && names::is_secret_key(key) {
            let (value, tail) = after.split_at(value_end);
            out.push_str(&stars(value));
            rest = tail;
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\ncé d\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 7), (2, 4));
        assert_eq!(line_column(text, 100), (3, 1));
    }

    #[test]
    fn secret_values_are_masked_byte_for_byte() {
        let text = "deploy:\n  api-key: s3cr€t # note\n  x: {token: abc, url: https://x}\n";
        let masked = mask_secrets(text);
        assert_eq!(masked.len(), text.len());
        assert!(
            !masked.contains("s3cr") && !masked.contains("abc"),
            "{masked}"
        );
        assert!(masked.contains("# note") && masked.contains("url: https://x"));
        assert_eq!(
            mask_secrets("url: https://a.b:8080/x\n"),
            "url: https://a.b:8080/x\n"
        );
    }
}
