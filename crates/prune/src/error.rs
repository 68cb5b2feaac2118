//! Everything gantry-prune can fail with, and the exit status each means.

use gantry_cli::{Classify, ExitStatus};
use jiff::Timestamp;

/// Which tokens the Packages API takes, for every token error.
const TOKEN_HELP: &str = "The GitHub Packages API takes one of: a classic personal access token with \
read:packages and delete:packages, of an account that administers the packages; or \
GITHUB_TOKEN with `permissions: packages: write` AND the workflow's repository given the Admin \
role under the package's settings → Manage Actions access (organisation packages, exact names). \
GitHub App installation tokens and fine-grained personal access tokens do not work with the \
Packages API at all.";

/// An installation token refused by the Packages API.
const INTEGRATION_HELP: &str = "GitHub App installation tokens cannot use the Packages API: GitHub's \
REST description marks every packages operation `enabledForGitHubApps: false`. GITHUB_TOKEN gets \
the same answer without `permissions: packages: write`, and always on packages owned by a user: \
GITHUB_TOKEN cannot delete user-owned packages. Use a classic personal access token with \
read:packages and delete:packages, or, for an organisation's package, GITHUB_TOKEN with \
packages: write and the Admin role (package settings → Manage Actions access).";

/// What lets a token that can read a package delete its versions.
pub const DELETE_FIX: &str = "the token can read this package but not delete from it: deleting \
needs the Admin role on the package. Give the workflow's repository the Admin role under the \
package's settings → Manage Actions access (GITHUB_TOKEN), or use a classic personal access \
token with delete:packages of an account that administers the package";

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
            "package globs need a token that can list packages: GITHUB_TOKEN cannot. Give exact package names in --packages, or use a classic PAT (read:packages, delete:packages)"
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

    #[error("GitHub refused the token ({request}: {answer})")]
    #[diagnostic(code(gantry::prune::integration_token), help("{INTEGRATION_HELP}"))]
    Integration { request: String, answer: String },

    #[error(
        "GitHub answered 404 to DELETE {request}, but the version is still there: nothing was deleted"
    )]
    #[diagnostic(code(gantry::prune::delete_refused), help("{DELETE_FIX}"))]
    DeleteRefused { request: String },

    #[error(
        "{request} answered {answer:?}: GitHub lists no further (it documents a window of page × per_page ≤ 10,000 for package listings)"
    )]
    #[diagnostic(
        code(gantry::prune::listing_window),
        help(
            "the versions beyond cannot be read, and without them gantry cannot tell which of them list the versions it would delete: nothing in this package is pruned"
        )
    )]
    ListingWindow { request: String, answer: String },

    #[error("{request}: the listing goes on past {pages} pages")]
    #[diagnostic(
        code(gantry::prune::listing_too_long),
        help("a listing that does not end cannot be trusted: nothing in this package is pruned")
    )]
    ListingTooLong { request: String, pages: u64 },

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

    #[error(
        "{package} changed between the plan and the first delete: {change}; nothing was deleted in it and the run stops"
    )]
    #[diagnostic(
        code(gantry::prune::inventory_changed),
        help(
            "something pushed or tagged while the run planned; run again to plan from the new inventory"
        )
    )]
    InventoryChanged { package: String, change: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Registry(#[from] gantry_registry::RegistryError),
}

impl PruneError {
    /// Errors after which no further delete in the same package can succeed: the package's
    /// remaining deletions are not attempted, other packages still are.
    pub fn stops_package(&self) -> bool {
        matches!(self, PruneError::DeleteRefused { .. })
    }

    /// Errors after which no further request can succeed: the run stops.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            PruneError::Token { .. }
                | PruneError::Integration { .. }
                | PruneError::RateLimited { .. }
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
