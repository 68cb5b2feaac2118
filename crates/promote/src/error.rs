//! What a promotion can fail with, and the exit status of each.

use gantry_cli::{Classify, ExitStatus};
use gantry_registry::{CredentialsError, RegistryError};

/// Everything `gantry-promote` can fail with.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PromoteError {
    /// A bad `--image`, tag or `--registry-url`, or a failed registry operation.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Registry(#[from] RegistryError),

    /// A bad `--image`, `--tags` or `--registry-url` value, named so the message says which
    /// input to fix.
    #[error("{flag}: {reason}")]
    #[diagnostic(code(gantry::promote::bad_input), help("{help}"))]
    BadInput {
        flag: &'static str,
        reason: String,
        help: String,
    },

    #[error("no tags to promote to: --tags is empty")]
    #[diagnostic(
        code(gantry::promote::no_tags),
        help("give the new tags separated by commas or newlines, e.g. --tags production,v1.2.3")
    )]
    NoTags,

    #[error("`{entry}` in --tags is not a plain tag")]
    #[diagnostic(code(gantry::promote::not_a_tag), help("{help}"))]
    NotATag { entry: String, help: String },

    /// The manifest of `--environment` cannot be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(gantry_manifest::ManifestError),

    /// A user name without its password or the other way round.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Credentials(#[from] CredentialsError),

    #[error("manifest unknown: {reference} does not exist{asked}")]
    #[diagnostic(
        code(gantry::promote::manifest_unknown),
        help(
            "check the tag or digest in --image (was the image pushed under that name?); nothing was written"
        )
    )]
    SourceMissing {
        reference: String,
        /// ` (asked http://…)` when `--registry-url` sent the request elsewhere.
        asked: String,
    },

    #[error(
        "{reference} ({digest}) lists {count} manifest(s) missing from the repository: {missing}; no tag was written",
        count = missing.len(),
        missing = missing.join(", ")
    )]
    #[diagnostic(
        code(gantry::promote::missing_child),
        help(
            "the index is broken (a cleanup may have deleted its children): push the image again or promote a complete one"
        )
    )]
    MissingChildren {
        reference: String,
        digest: String,
        /// `sha256:… (linux/arm64)`, each with the index that lists it when that is not the
        /// promoted one.
        missing: Vec<String>,
    },

    #[error("after the push, {reference} resolves to {actual}, not {expected}")]
    #[diagnostic(
        code(gantry::promote::digest_changed),
        help(
            "the registry stored other bytes than gantry sent (or another client moved the tag at the same moment); check the tag"
        )
    )]
    DigestChanged {
        reference: String,
        expected: String,
        actual: String,
    },
}

impl Classify for PromoteError {
    fn exit_status(&self) -> ExitStatus {
        match self {
            PromoteError::Registry(err) if err.is_input_error() => ExitStatus::BadInput,
            PromoteError::BadInput { .. }
            | PromoteError::NoTags
            | PromoteError::NotATag { .. }
            | PromoteError::Credentials(_)
            | PromoteError::Manifest(_) => ExitStatus::BadInput,
            PromoteError::Registry(_)
            | PromoteError::SourceMissing { .. }
            | PromoteError::MissingChildren { .. }
            | PromoteError::DigestChanged { .. } => ExitStatus::Failure,
        }
    }
}

impl PromoteError {
    /// `err`, a bad value of `flag`, as [`PromoteError::BadInput`].
    pub(crate) fn bad_input(flag: &'static str, err: impl Into<RegistryError>) -> Self {
        let err = err.into();
        PromoteError::BadInput {
            flag,
            reason: err.to_string(),
            help: miette::Diagnostic::help(&err).map_or_else(String::new, |help| help.to_string()),
        }
    }
}
