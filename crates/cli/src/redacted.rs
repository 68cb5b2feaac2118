//! A redacted copy of a diagnostic, made before miette renders it.
//!
//! miette wraps long lines at the report width; a secret inside a long word (a URL, an echoed
//! header) can be split across two lines, and then no redaction of the rendered text finds
//! either half. So every text of the diagnostic (message, causes, help, labels, related
//! diagnostics, the source code of its snippets) is redacted first, and only this copy is
//! rendered. The copy also drops a cause whose text its parent's message already ends with
//! (`cannot read x: No such file or directory` caused by `No such file or directory`),
//! which miette would print twice.

use std::fmt;

use gantry_gha::Redactor;
use miette::{Diagnostic, LabeledSpan, MietteError, NamedSource, Severity, SourceCode, SourceSpan};

/// The redacted copy of a diagnostic; it renders as the original would, minus secrets.
#[derive(Debug)]
pub(crate) struct Redacted {
    message: String,
    code: Option<String>,
    severity: Option<Severity>,
    help: Option<String>,
    url: Option<String>,
    source_code: Option<Source>,
    labels: Vec<LabeledSpan>,
    related: Vec<Redacted>,
    cause: Option<Cause>,
}

#[derive(Debug)]
enum Cause {
    /// A `diagnostic_source`: rendered with its own snippets and help.
    Diagnostic(Box<Redacted>),
    /// A plain `source` chain.
    Error(Box<RedactedError>),
}

/// One plain error of a cause chain, redacted.
#[derive(Debug)]
struct RedactedError {
    text: String,
    source: Option<Box<RedactedError>>,
}

/// The whole source text of a diagnostic, redacted with offsets kept so labels still fit.
#[derive(Debug)]
enum Source {
    Named(NamedSource<String>),
    Unnamed(String),
}

impl Redacted {
    pub(crate) fn new(diagnostic: &dyn Diagnostic, redactor: &Redactor) -> Redacted {
        let redact = |text: &str| redactor.redact(text).into_owned();
        let message = redact(&diagnostic.to_string());
        let cause = match diagnostic.diagnostic_source() {
            Some(inner) => Some(Cause::Diagnostic(Box::new(Redacted::new(inner, redactor)))),
            None => RedactedError::chain(diagnostic.source(), &message, redactor)
                .map(|error| Cause::Error(Box::new(error))),
        };
        let source_code = diagnostic
            .source_code()
            .and_then(|source| Source::copy(source, redactor));
        let labels = match &source_code {
            // Labels without the source they point into cannot be rendered.
            None => Vec::new(),
            Some(_) => diagnostic
                .labels()
                .into_iter()
                .flatten()
                .map(|label| {
                    let text = label.label().map(redact);
                    if label.primary() {
                        LabeledSpan::new_primary_with_span(text, *label.inner())
                    } else {
                        LabeledSpan::new_with_span(text, *label.inner())
                    }
                })
                .collect(),
        };
        Redacted {
            message,
            code: diagnostic.code().map(|code| redact(&code.to_string())),
            severity: diagnostic.severity(),
            help: diagnostic.help().map(|help| redact(&help.to_string())),
            url: diagnostic.url().map(|url| redact(&url.to_string())),
            source_code,
            labels,
            related: diagnostic
                .related()
                .into_iter()
                .flatten()
                .map(|related| Redacted::new(related, redactor))
                .collect(),
            cause,
        }
    }
}

impl RedactedError {
    /// The redacted chain from `error` on, leaving out each error whose text the one before
    /// it (`parent`, at first) already ends with.
    fn chain(
        error: Option<&(dyn std::error::Error + 'static)>,
        parent: &str,
        redactor: &Redactor,
    ) -> Option<RedactedError> {
        let error = error?;
        let text = redactor.redact(&error.to_string()).into_owned();
        if parent.ends_with(&text) {
            return RedactedError::chain(error.source(), parent, redactor);
        }
        let source = RedactedError::chain(error.source(), &text, redactor).map(Box::new);
        Some(RedactedError { text, source })
    }
}

impl Source {
    /// The whole text of `source` (read as one span from the start to the end), redacted.
    fn copy(source: &dyn SourceCode, redactor: &Redactor) -> Option<Source> {
        let whole = source
            .read_span(&SourceSpan::from((0, 0)), 0, usize::MAX)
            .ok()?;
        let text = String::from_utf8_lossy(whole.data());
        let text = redactor.redact_keeping_offsets(&text).into_owned();
        Some(match whole.name() {
            Some(name) => {
                let named = NamedSource::new(name, text);
                Source::Named(match whole.language() {
                    Some(language) => named.with_language(language),
                    None => named,
                })
            }
            None => Source::Unnamed(text),
        })
    }

    fn as_source_code(&self) -> &dyn SourceCode {
        match self {
            Source::Named(named) => named,
            Source::Unnamed(text) => text,
        }
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, MietteError> {
        self.as_source_code()
            .read_span(span, context_lines_before, context_lines_after)
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Redacted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Some(Cause::Diagnostic(inner)) => Some(inner.as_ref()),
            Some(Cause::Error(error)) => Some(error.as_ref()),
            None => None,
        }
    }
}

impl Diagnostic for Redacted {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|code| Box::new(code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<Severity> {
        self.severity
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|url| Box::new(url) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source_code
            .as_ref()
            .map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(
                self.related
                    .iter()
                    .map(|related| related as &dyn Diagnostic),
            ) as Box<dyn Iterator<Item = &dyn Diagnostic>>
        })
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        match &self.cause {
            Some(Cause::Diagnostic(inner)) => Some(inner.as_ref()),
            _ => None,
        }
    }
}

impl fmt::Display for RedactedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for RedactedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|error| error as &(dyn std::error::Error + 'static))
    }
}
