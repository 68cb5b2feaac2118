//! The errors of a gantry-tags run, as miette diagnostics with their exit status.

use std::fmt;
use std::path::PathBuf;

use gantry_cli::{Classify, ExitStatus};
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};

use crate::git::GitError;
use crate::spec::InputError;

/// Why gantry-tags stopped.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum TagsError {
    /// A list input, a template or an environment setting that cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(Box<InputReport>),
    /// Warnings that `--strict` refuses.
    #[error("{} problem{} that --strict refuses:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, list(problems))]
    #[diagnostic(
        code(gantry::tags::strict),
        help("fix these lines, or drop --strict to get warnings instead")
    )]
    Strict {
        /// Each problem with its place.
        problems: Vec<String>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] gantry_manifest::ManifestError),
    #[error("service `{name}` is not in {manifest}")]
    #[diagnostic(code(gantry::tags::unknown_service))]
    UnknownService {
        name: String,
        manifest: String,
        #[help]
        help: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Context(#[from] gantry_gha::ContextError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    #[error("{name}={value:?} is not valid: {expected}")]
    #[diagnostic(code(gantry::tags::environment))]
    Environment {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("cannot write the bake files in {}: {source}", dir.display())]
    #[diagnostic(
        code(gantry::tags::bake_files),
        help("bake files go to RUNNER_TEMP, or the system's temporary directory outside Actions")
    )]
    BakeFiles {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    EnvFile(#[from] gantry_gha::EnvFileError),
}

impl Classify for TagsError {
    fn exit_status(&self) -> ExitStatus {
        match self {
            TagsError::BakeFiles { .. } | TagsError::EnvFile(_) => ExitStatus::Failure,
            _ => ExitStatus::BadInput,
        }
    }
}

fn list(problems: &[String]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An [`InputError`], with the manifest text around it when the line came from gantry.yml.
#[derive(Debug)]
pub struct InputReport {
    pub error: InputError,
    /// The manifest and the span of the offending line (or attribute) in it.
    pub source: Option<(NamedSource<String>, SourceSpan)>,
}

impl fmt::Display for InputReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for InputReport {}

impl Diagnostic for InputReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("gantry::tags::input"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source
            .as_ref()
            .map(|(source, _)| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, span) = self.source.as_ref()?;
        let label = match self
            .error
            .at
            .as_ref()
            .and_then(|at| at.attribute.as_deref())
        {
            Some(attribute) => format!("`{attribute}`"),
            None => "this line".to_owned(),
        };
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(label), *span),
        )))
    }
}
