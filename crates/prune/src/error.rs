//! Everything gantry-prune can fail with, and the exit status each means.

use gantry_cli::{Classify, ExitStatus};
use jiff::Timestamp;

/// Which tokens the Packages API takes, for every token error.
const TOKEN_HELP: &str = "The GitHub Packages API needs one of: a classic personal access token with \
read:packages and delete:packages; a GitHub App installation token with packages: write; or \
GITHUB_TOKEN with `permissions: packages: write` AND the workflow's repository given the Admin \
role under the package's settings → Manage Actions access. GITHUB_TOKEN cannot delete \
user-owned packages (\"Resource not accessible by integration\"), and fine-grained personal \
access tokens do not work with the Packages API at all.";

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PruneError {
    #[error("{0}")]
    #[diagnostic(code(gantry::prune::input))]
    BadInput(String),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Glob(#[from] crate::rules::GlobError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Credentials(#[from] gantry_registry::CredentialsError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] gantry_manifest::ManifestError),

    #[error("GITHUB_TOKEN is not set")]
    #[diagnostic(
        code(gantry::prune::no_token),
        help(
            "the GHCR backend lists and deletes through the GitHub API: set GITHUB_TOKEN in the step's env (see docs/prune.md for which token)"
        )
    )]
    MissingToken,

    #[error("GitHub knows no user or organisation `{owner}`")]
    #[diagnostic(
        code(gantry::prune::owner),
        help("--owner is the account that owns the packages, as in ghcr.io/OWNER/PACKAGE")
    )]
    UnknownOwner { owner: String },

    #[error("cannot list the container packages of {owner}: {answer}")]
    #[diagnostic(
        code(gantry::prune::cannot_list_packages),
        help(
            "package globs need a token that can list packages: GITHUB_TOKEN cannot. Give exact package names in --packages, or use a classic PAT (read:packages, delete:packages) or a GitHub App token"
        )
    )]
    CannotListPackages { owner: String, answer: String },

    #[error("GitHub refused the token ({status} on {request}: {answer})")]
    #[diagnostic(code(gantry::prune::token), help("{TOKEN_HELP}"))]
    Token {
        status: u16,
        request: String,
        answer: String,
    },

    #[error("GitHub's rate limit is spent ({request}: {answer}){}", reset.map(|at| format!("; it resets at {at}")).unwrap_or_default())]
    #[diagnostic(
        code(gantry::prune::rate_limited),
        help("the next run continues where this one stopped")
    )]
    RateLimited {
        request: String,
        reset: Option<Timestamp>,
        answer: String,
    },

    #[error("{request} answered {status}: {answer}")]
    #[diagnostic(code(gantry::prune::api))]
    Status {
        request: String,
        status: u16,
        answer: String,
    },

    #[error("{request} answered outside the API's contract: {problem}")]
    #[diagnostic(code(gantry::prune::bad_answer))]
    BadAnswer { request: String, problem: String },

    #[error(transparent)]
    #[diagnostic(code(gantry::prune::network))]
    Transport(gantry_http::HttpError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Registry(#[from] gantry_registry::RegistryError),
}

impl PruneError {
    /// Errors after which no further request can succeed: the run stops.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            PruneError::Token { .. } | PruneError::RateLimited { .. }
        ) || matches!(
            self,
            PruneError::Registry(gantry_registry::RegistryError::DeleteUnsupported { .. })
        )
    }
}

impl Classify for PruneError {
    fn exit_status(&self) -> ExitStatus {
        match self {
            PruneError::BadInput(_)
            | PruneError::Glob(_)
            | PruneError::Credentials(_)
            | PruneError::Manifest(_)
            | PruneError::MissingToken
            | PruneError::UnknownOwner { .. }
            | PruneError::CannotListPackages { .. }
            | PruneError::BadAnswer { .. } => ExitStatus::BadInput,
            PruneError::Registry(err) if err.is_input_error() => ExitStatus::BadInput,
            _ => ExitStatus::Failure,
        }
    }
}
