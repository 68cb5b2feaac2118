use oci_client::errors::OciErrorCode;

use crate::manifest::ManifestError;
use crate::reference::ReferenceError;

/// Everything a registry operation can fail with.
///
/// [`RegistryError::is_input_error`] separates bad input (a reference, a URL, or an answer from
/// the server that breaks the protocol; exit 2) from failed operations (exit 1).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RegistryError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadReference(#[from] ReferenceError),

    #[error("invalid registry URL {url:?}: {problem}")]
    #[diagnostic(
        code(gantry::registry::url),
        help(
            "give the registry as scheme://host[:port], e.g. https://ghcr.io or http://127.0.0.1:5000"
        )
    )]
    BadRegistryUrl { url: String, problem: String },

    #[error("{registry} refused access to {repository} ({answer})")]
    #[diagnostic(code(gantry::registry::auth), help("{hint}"))]
    Auth {
        registry: String,
        repository: String,
        /// What the registry said: status and code.
        answer: String,
        hint: String,
    },

    #[error("{what} not found in {registry}/{repository}")]
    #[diagnostic(code(gantry::registry::not_found))]
    NotFound {
        registry: String,
        repository: String,
        /// `manifest v1`, `manifest sha256:…`, `repository`.
        what: String,
    },

    #[error("{registry} does not allow deleting manifests through the registry API")]
    #[diagnostic(
        code(gantry::registry::delete_unsupported),
        help(
            "ghcr.io deletes only through the GitHub Packages API (--backend ghcr); a self-hosted distribution registry needs storage.delete.enabled: true"
        )
    )]
    DeleteUnsupported { registry: String },

    #[error("{registry}/{repository}: {reference} is not a readable manifest")]
    #[diagnostic(code(gantry::registry::bad_manifest))]
    BadManifest {
        registry: String,
        repository: String,
        reference: String,
        #[source]
        source: ManifestError,
    },

    #[error("{registry}/{repository}: the bytes of {reference} hash to {actual}, not {expected}")]
    #[diagnostic(
        code(gantry::registry::digest_mismatch),
        help(
            "the registry (or something between it and gantry) altered the manifest; nothing was changed"
        )
    )]
    DigestMismatch {
        registry: String,
        repository: String,
        reference: String,
        expected: String,
        actual: String,
    },

    #[error("{registry} rejected {operation}: {answer}")]
    #[diagnostic(code(gantry::registry::rejected))]
    Rejected {
        registry: String,
        operation: String,
        answer: String,
    },

    #[error("{registry} answered {operation} outside the distribution protocol: {answer}")]
    #[diagnostic(code(gantry::registry::protocol))]
    Protocol {
        registry: String,
        operation: String,
        answer: String,
    },

    #[error("{operation} on {registry} failed: {answer}")]
    #[diagnostic(
        code(gantry::registry::unavailable),
        help("the registry or the network failed (gantry retried); try again later")
    )]
    Unavailable {
        registry: String,
        operation: String,
        answer: String,
    },
}

impl RegistryError {
    /// Bad input: a reference or URL that does not parse, or a server answer that is not a
    /// valid manifest or breaks the protocol (exit status 2). Everything else is an operation
    /// that failed (exit status 1).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            RegistryError::BadReference(_)
                | RegistryError::BadRegistryUrl { .. }
                | RegistryError::BadManifest { .. }
                | RegistryError::DigestMismatch { .. }
                | RegistryError::Protocol { .. }
        )
    }

    /// Worth retrying: the network failed, the registry had a 5xx or asked us to slow down.
    pub fn is_transient(&self) -> bool {
        matches!(self, RegistryError::Unavailable { .. })
    }
}

/// What an operation was doing, for the errors it may end with.
pub(crate) struct Context<'a> {
    pub registry: &'a str,
    pub repository: &'a str,
    /// `read manifest v1`, `push manifest v2`, `list tags`, `delete manifest sha256:…`.
    pub operation: String,
    /// What the operation addressed, for not-found errors (`manifest v1`, `repository`).
    pub subject: String,
    /// How to fix an auth failure with the credentials in use.
    pub auth_hint: &'a str,
}

impl Context<'_> {
    pub fn auth(&self, answer: impl Into<String>) -> RegistryError {
        RegistryError::Auth {
            registry: self.registry.to_owned(),
            repository: self.repository.to_owned(),
            answer: answer.into(),
            hint: self.auth_hint.to_owned(),
        }
    }

    pub fn not_found(&self) -> RegistryError {
        RegistryError::NotFound {
            registry: self.registry.to_owned(),
            repository: self.repository.to_owned(),
            what: self.subject.clone(),
        }
    }

    pub fn rejected(&self, answer: impl Into<String>) -> RegistryError {
        RegistryError::Rejected {
            registry: self.registry.to_owned(),
            operation: self.operation.clone(),
            answer: answer.into(),
        }
    }

    pub fn protocol(&self, answer: impl Into<String>) -> RegistryError {
        RegistryError::Protocol {
            registry: self.registry.to_owned(),
            operation: self.operation.clone(),
            answer: answer.into(),
        }
    }

    pub fn unavailable(&self, answer: impl Into<String>) -> RegistryError {
        RegistryError::Unavailable {
            registry: self.registry.to_owned(),
            operation: self.operation.clone(),
            answer: answer.into(),
        }
    }

    pub fn digest_mismatch(&self, expected: &str, actual: &str) -> RegistryError {
        RegistryError::DigestMismatch {
            registry: self.registry.to_owned(),
            repository: self.repository.to_owned(),
            reference: self.subject.clone(),
            expected: expected.to_owned(),
            actual: actual.to_owned(),
        }
    }

    /// Sorts an HTTP status (and the distribution error code, when there is one) into an error.
    pub fn status_error(
        &self,
        status: u16,
        code: Option<&OciErrorCode>,
        text: &str,
    ) -> RegistryError {
        let answer = match code {
            Some(code) => format!("{status} {}: {text}", code_name(code)),
            None => format!("{status}: {text}"),
        };
        match (status, code) {
            (
                _,
                Some(
                    OciErrorCode::ManifestUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound,
                ),
            )
            | (404, _) => self.not_found(),
            (_, Some(OciErrorCode::Unauthorized | OciErrorCode::Denied)) | (401 | 403, _) => {
                self.auth(answer)
            }
            (_, Some(OciErrorCode::Toomanyrequests)) | (429 | 408, _) => self.unavailable(answer),
            (501 | 505, _) => self.rejected(answer),
            (500..=599, _) => self.unavailable(answer),
            _ => self.rejected(answer),
        }
    }

    /// No usable answer: the network failed or time ran out (exit 1), or the answer was too
    /// large to be one the protocol allows (exit 2).
    pub fn no_answer(&self, err: &gantry_http::HttpError) -> RegistryError {
        if err.is_too_large() {
            self.protocol(err.to_string())
        } else {
            self.unavailable(err.to_string())
        }
    }
}

fn code_name(code: &OciErrorCode) -> String {
    match code {
        OciErrorCode::Other(name) => name.clone(),
        known => serde_json::to_value(known)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{known:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context<'static> {
        Context {
            registry: "ghcr.io",
            repository: "acme/api",
            operation: "read manifest v1".to_owned(),
            subject: "manifest v1".to_owned(),
            auth_hint: "set GITHUB_TOKEN",
        }
    }

    #[test]
    fn statuses_map_to_the_right_kind() {
        let context = context();
        assert!(matches!(
            context.status_error(404, None, ""),
            RegistryError::NotFound { .. }
        ));
        assert!(matches!(
            context.status_error(401, None, ""),
            RegistryError::Auth { .. }
        ));
        assert!(matches!(
            context.status_error(403, None, ""),
            RegistryError::Auth { .. }
        ));
        assert!(context.status_error(503, None, "").is_transient());
        assert!(context.status_error(429, None, "").is_transient());
        assert!(matches!(
            context.status_error(501, None, ""),
            RegistryError::Rejected { .. }
        ));
        assert!(matches!(
            context.status_error(400, Some(&OciErrorCode::ManifestInvalid), "bad"),
            RegistryError::Rejected { .. }
        ));
        assert!(matches!(
            context.status_error(400, Some(&OciErrorCode::ManifestUnknown), ""),
            RegistryError::NotFound { .. }
        ));
        assert!(matches!(
            context.status_error(200, Some(&OciErrorCode::Denied), ""),
            RegistryError::Auth { .. }
        ));
    }

    #[test]
    fn error_codes_read_as_the_registry_wrote_them() {
        let err = context().status_error(
            400,
            Some(&OciErrorCode::ManifestInvalid),
            "manifest invalid",
        );
        assert_eq!(
            err.to_string(),
            "ghcr.io rejected read manifest v1: 400 MANIFEST_INVALID: manifest invalid"
        );
        let err = context().status_error(400, Some(&OciErrorCode::Other("QUOTA".into())), "full");
        assert!(err.to_string().ends_with("400 QUOTA: full"), "{err}");
    }

    #[test]
    fn auth_errors_carry_the_hint() {
        let err = context().status_error(401, None, "");
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert_eq!(help, "set GITHUB_TOKEN");
        assert!(!err.is_input_error() && !err.is_transient());
    }
}
