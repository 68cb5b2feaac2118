//! What a run can fail with, and how each failure reads: bad plans and names (exit 2), a
//! target Dokploy refused, a failed deploy, and every failure of a Dokploy request.

use gantry_cli::{Classify, ExitStatus};
use gantry_http::HttpError;

use crate::plan::PlanError;
use crate::resolve::ResolveError;

impl Classify for PlanError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

impl Classify for crate::running::RunningError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

impl Classify for ResolveError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

/// A Dokploy error about one target: which one, then Dokploy's answer.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{what}")]
#[diagnostic(forward(source))]
pub struct TargetError {
    pub what: String,
    #[source]
    pub source: ApiError,
}

impl Classify for TargetError {
    fn exit_status(&self) -> ExitStatus {
        self.source.exit_status()
    }
}

/// The deploy did not succeed; the report has the details.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{headline}")]
#[diagnostic(code(gantry::dokploy::failed), help("{details}"))]
pub struct DeployFailed {
    pub headline: String,
    pub details: String,
}

/// A failed Dokploy request, or a Dokploy answer gantry cannot use.
///
/// Messages quote Dokploy's own error text (message and validation issues) but never a body
/// of a successful answer: those carry secrets in plain text (`env`, registry passwords).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ApiError {
    #[error("DOKPLOY_API_KEY is not set")]
    #[diagnostic(
        code(gantry::dokploy::no_api_key),
        help(
            "create an API key in Dokploy (Settings → Profile → API/CLI) and pass it as a secret: \
             `env: DOKPLOY_API_KEY: ${{{{ secrets.DOKPLOY_API_KEY }}}}`"
        )
    )]
    NoApiKey,

    #[error("DOKPLOY_API_KEY holds characters an HTTP header cannot carry")]
    #[diagnostic(
        code(gantry::dokploy::bad_api_key),
        help("copy the key again from Dokploy; a stray newline or quote is the usual cause")
    )]
    BadKey,

    #[error("invalid Dokploy URL `{url}`: {problem}")]
    #[diagnostic(
        code(gantry::dokploy::url),
        help(
            "give the server's address, e.g. https://dokploy.example.com (--dokploy-url or deploy.dokploy.url)"
        )
    )]
    BadUrl { url: String, problem: String },

    #[error("Dokploy at {server} refused the API key (401 Unauthorized on {procedure})")]
    #[diagnostic(
        code(gantry::dokploy::unauthorized),
        help(
            "check DOKPLOY_API_KEY: the key must exist, not be expired, and belong to an organisation. \
             Dokploy also answers 401 when a key's own rate limit or quota is used up"
        )
    )]
    Unauthorized { server: String, procedure: String },

    #[error("Dokploy denied {procedure} ({status}): {message}")]
    #[diagnostic(code(gantry::dokploy::forbidden), help("{hint}"))]
    Forbidden {
        procedure: String,
        status: u16,
        message: String,
        /// What the key's user needs for this procedure.
        hint: String,
    },

    #[error("Dokploy answered {procedure} with an HTML page ({status}{title}){via}")]
    #[diagnostic(
        code(gantry::dokploy::html),
        help(
            "something in front of Dokploy answered instead of its API: check the URL (it must \
             be the Dokploy panel itself), and let the runner through a proxy or bot protection"
        )
    )]
    Html {
        procedure: String,
        status: u16,
        /// `, "Attention Required! | Cloudflare"` or empty.
        title: String,
        /// ` (through Cloudflare)` or empty.
        via: String,
    },

    #[error("Dokploy rejected {procedure} ({status}{}): {message}", spaced(.code))]
    #[diagnostic(code(gantry::dokploy::rejected))]
    Rejected {
        procedure: String,
        status: u16,
        /// Dokploy's error code (`NOT_FOUND`, `BAD_REQUEST`, ...), or empty.
        code: String,
        /// Dokploy's message, with the validation issues when there are some.
        message: String,
    },

    #[error("cannot reach Dokploy ({procedure}): {source}")]
    #[diagnostic(code(gantry::dokploy::transport))]
    Transport {
        procedure: String,
        #[source]
        source: HttpError,
    },

    #[error("Dokploy's answer to {procedure} is not what gantry expects: {problem}")]
    #[diagnostic(
        code(gantry::dokploy::bad_answer),
        help(
            "is this a Dokploy server (v0.19.0 or later)? `GET /api/settings.getDokployVersion` should answer its version"
        )
    )]
    BadAnswer { procedure: String, problem: String },
}

impl ApiError {
    /// A refusal inside a handler: the key is valid, its user may not do this.
    pub fn forbidden(procedure: String, status: u16, message: String) -> ApiError {
        let access = "a `member` also needs access to the service itself (Dokploy → Settings \
                      → Users → permissions), and the service must belong to the key's \
                      organisation";
        let hint = match crate::api::permission(&procedure) {
            Some("service:create") => format!(
                "{procedure} needs the `service:create` permission (Dokploy v0.28.7+): give the \
                 key's user \"Create Services\" (Settings → Users → permissions), or use a key \
                 of an owner, an admin or a custom role holding it; {access}"
            ),
            Some(permission) => format!(
                "{procedure} needs the `{permission}` permission (Dokploy v0.28.7+): owners, \
                 admins and members hold it, a custom role must list it; {access}"
            ),
            None => format!("the API key is valid but its user may not do this: {access}"),
        };
        ApiError::Forbidden {
            procedure,
            status,
            message,
            hint,
        }
    }

    /// The error with what to do about it where that is a permission of the key, for
    /// messages that end up in the report rather than as a diagnostic.
    pub fn explained(&self) -> String {
        match self {
            ApiError::Forbidden { hint, .. } => format!("{self} ({hint})"),
            _ => self.to_string(),
        }
    }

    /// Dokploy's status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { status, .. }
            | ApiError::Html { status, .. }
            | ApiError::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A 404: a missing service, or a procedure this server does not have.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The request may or may not have reached Dokploy's handler: a 5xx, an HTML error page
    /// from a proxy, or a transport failure after the connection was made.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            ApiError::Transport { source, .. } => !source.is_connect(),
            ApiError::Html { status, .. } | ApiError::Rejected { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// Worth waiting out while polling: a server error or no answer at all.
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::Transport { .. }) || self.status().is_some_and(|s| s >= 500)
    }
}

/// ` CODE`, or nothing for an empty code.
fn spaced(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(" {code}")
    }
}

impl Classify for ApiError {
    fn exit_status(&self) -> ExitStatus {
        if self.is_transient() {
            ExitStatus::Failure
        } else {
            ExitStatus::BadInput
        }
    }
}
