//! The run's context: the standard `GITHUB_*` variables and the event payload they point at.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Env;
use crate::event::{
    Event, MergeGroupEvent, PullRequestEvent, PushEvent, ReleaseEvent, Repository, ScheduleEvent,
    WorkflowDispatchEvent,
};

/// GitHub.com's web address, used when `GITHUB_SERVER_URL` is not set.
pub const DEFAULT_SERVER_URL: &str = "https://github.com";
/// GitHub.com's REST API, used when `GITHUB_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The raw context values, as the variables (or the flags that stand in for them) give them.
/// `None` and `Some("")` both mean unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextVars {
    /// `GITHUB_ACTIONS=true`.
    pub actions: bool,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_REF`.
    pub git_ref: Option<String>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// `GITHUB_REPOSITORY`.
    pub repository: Option<String>,
    /// `GITHUB_SERVER_URL`.
    pub server_url: Option<String>,
    /// `GITHUB_API_URL`.
    pub api_url: Option<String>,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
    /// `GITHUB_RUN_ATTEMPT`.
    pub run_attempt: Option<String>,
    /// `GITHUB_BASE_REF` (pull requests only).
    pub base_ref: Option<String>,
    /// `GITHUB_HEAD_REF` (pull requests only).
    pub head_ref: Option<String>,
}

impl ContextVars {
    /// The values of the standard variables in `env`.
    pub fn from_env(env: &Env) -> Self {
        let var = |name: &str| env.get(name).map(str::to_owned);
        Self {
            actions: env.is_actions(),
            event_name: var("GITHUB_EVENT_NAME"),
            event_path: var("GITHUB_EVENT_PATH").map(PathBuf::from),
            git_ref: var("GITHUB_REF"),
            sha: var("GITHUB_SHA"),
            repository: var("GITHUB_REPOSITORY"),
            server_url: var("GITHUB_SERVER_URL"),
            api_url: var("GITHUB_API_URL"),
            run_id: var("GITHUB_RUN_ID"),
            run_attempt: var("GITHUB_RUN_ATTEMPT"),
            base_ref: var("GITHUB_BASE_REF"),
            head_ref: var("GITHUB_HEAD_REF"),
        }
    }
}

/// The run's context, validated. Built by [`Context::load`].
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    /// Running as an Actions step (`GITHUB_ACTIONS=true`).
    pub actions: bool,
    /// `push`, `pull_request`, ...; `None` for a local run that named no event.
    pub event_name: Option<String>,
    /// The full ref (`refs/heads/main`).
    pub git_ref: Option<String>,
    /// The commit SHA.
    pub sha: Option<String>,
    /// `owner/repo`.
    pub repository: Option<String>,
    /// Web address of the GitHub instance, without a trailing slash.
    pub server_url: String,
    /// REST API address, without a trailing slash.
    pub api_url: String,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<u64>,
    /// `GITHUB_RUN_ATTEMPT`, from 1.
    pub run_attempt: Option<u32>,
    /// `GITHUB_BASE_REF`: the pull request's base branch.
    pub base_ref: Option<String>,
    /// `GITHUB_HEAD_REF`: the pull request's head branch.
    pub head_ref: Option<String>,
    /// The event payload, when an event path was given.
    pub payload: Option<Payload>,
}

/// The event payload file, read and typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// Where it was read from.
    pub path: PathBuf,
    /// The typed event.
    pub event: Event,
    /// The payload's `repository` object, when it has one.
    pub repository: Option<Repository>,
    /// The whole payload, for tools that need a field the typed view does not have.
    pub raw: Value,
}

/// A context value or event payload that cannot be used: bad input (exit status 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ContextError {
    /// The payload file could not be read.
    #[error("cannot read the event payload {}: {source}", path.display())]
    #[diagnostic(
        code(gantry::context::payload_unreadable),
        help("the payload path comes from GITHUB_EVENT_PATH or --event-path")
    )]
    PayloadUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The payload is not JSON, or a field has the wrong type.
    #[error(
        "invalid event payload {}{}: {message} at line {line}, column {column}",
        path.display(),
        json_path.as_deref().map(|at| format!(" at `{at}`")).unwrap_or_default()
    )]
    #[diagnostic(
        code(gantry::context::payload_invalid),
        help(
            "the payload must be a GitHub webhook payload for the event named by GITHUB_EVENT_NAME or --event-name"
        )
    )]
    PayloadInvalid {
        path: PathBuf,
        /// Where in the document, as `pull_request.head.sha`; `None` for a syntax error.
        json_path: Option<String>,
        /// serde_json's description of the problem.
        message: String,
        line: usize,
        column: usize,
    },
    /// An event payload was given without saying which event it is.
    #[error("an event payload ({}) was given without an event name", path.display())]
    #[diagnostic(
        code(gantry::context::no_event_name),
        help("set GITHUB_EVENT_NAME or pass --event-name (push, pull_request, ...)")
    )]
    PayloadWithoutEventName { path: PathBuf },
    /// A variable that must be a number is not.
    #[error("{name} must be a positive whole number, not `{value}`")]
    #[diagnostic(code(gantry::context::not_a_number))]
    NotANumber { name: &'static str, value: String },
}

impl Context {
    /// Validates `vars` and reads the event payload they point at.
    pub fn load(vars: ContextVars) -> Result<Self, ContextError> {
        let vars = ContextVars {
            event_name: non_empty(vars.event_name),
            event_path: vars.event_path.filter(|path| !path.as_os_str().is_empty()),
            ..vars
        };
        let payload = match (&vars.event_path, &vars.event_name) {
            (None, _) => None,
            (Some(path), None) => {
                return Err(ContextError::PayloadWithoutEventName { path: path.clone() });
            }
            (Some(path), Some(name)) => Some(Payload::read(path, name)?),
        };
        Ok(Self {
            actions: vars.actions,
            event_name: vars.event_name,
            git_ref: non_empty(vars.git_ref),
            sha: non_empty(vars.sha),
            repository: non_empty(vars.repository),
            server_url: url_or(vars.server_url, DEFAULT_SERVER_URL),
            api_url: url_or(vars.api_url, DEFAULT_API_URL),
            run_id: parse_number("GITHUB_RUN_ID", vars.run_id)?,
            run_attempt: parse_number("GITHUB_RUN_ATTEMPT", vars.run_attempt)?,
            base_ref: non_empty(vars.base_ref),
            head_ref: non_empty(vars.head_ref),
            payload,
        })
    }

    /// The typed event, when a payload was read.
    pub fn event(&self) -> Option<&Event> {
        self.payload.as_ref().map(|payload| &payload.event)
    }

    /// The payload's `repository` object.
    pub fn payload_repository(&self) -> Option<&Repository> {
        self.payload.as_ref()?.repository.as_ref()
    }

    /// The short ref name: `refs/heads/main` → `main`, `refs/tags/v1` → `v1`,
    /// `refs/pull/7/merge` → `7/merge` (as `GITHUB_REF_NAME`).
    pub fn ref_name(&self) -> Option<&str> {
        let git_ref = self.git_ref.as_deref()?;
        ["refs/heads/", "refs/tags/", "refs/pull/"]
            .iter()
            .find_map(|prefix| git_ref.strip_prefix(prefix))
            .or(Some(git_ref))
    }

    /// The owner part of `owner/repo`.
    pub fn repository_owner(&self) -> Option<&str> {
        Some(self.repository.as_deref()?.split_once('/')?.0)
    }

    /// The name part of `owner/repo`.
    pub fn repository_name(&self) -> Option<&str> {
        Some(self.repository.as_deref()?.split_once('/')?.1)
    }
}

impl Payload {
    /// Reads the payload at `path` as the event `event_name`.
    pub fn read(path: &Path, event_name: &str) -> Result<Self, ContextError> {
        let bytes = std::fs::read(path).map_err(|source| ContextError::PayloadUnreadable {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &bytes, event_name)
    }

    /// Parses payload `bytes`; `path` names the file in errors.
    pub fn parse(path: &Path, bytes: &[u8], event_name: &str) -> Result<Self, ContextError> {
        // The untyped parse first, so a syntax error is reported as one, at its position only.
        let raw: Value =
            serde_json::from_slice(bytes).map_err(|error| invalid(path, None, &error))?;
        let event = match event_name {
            "push" => Event::Push(parse_json::<PushEvent>(path, bytes)?),
            "pull_request" => Event::PullRequest(parse_json::<PullRequestEvent>(path, bytes)?),
            "pull_request_target" => {
                Event::PullRequestTarget(parse_json::<PullRequestEvent>(path, bytes)?)
            }
            "merge_group" => Event::MergeGroup(parse_json::<MergeGroupEvent>(path, bytes)?),
            "workflow_dispatch" => {
                Event::WorkflowDispatch(parse_json::<WorkflowDispatchEvent>(path, bytes)?)
            }
            "schedule" => Event::Schedule(parse_json::<ScheduleEvent>(path, bytes)?),
            "release" => Event::Release(parse_json::<ReleaseEvent>(path, bytes)?),
            other => Event::Other {
                name: other.to_owned(),
            },
        };
        let repository = parse_json::<RepositoryField>(path, bytes)?.repository;
        Ok(Self {
            path: path.to_owned(),
            event,
            repository,
            raw,
        })
    }
}

#[derive(serde::Deserialize)]
struct RepositoryField {
    #[serde(default)]
    repository: Option<Repository>,
}

/// Deserializes `bytes` (known to be JSON), reporting the JSON path, line and column of a problem.
fn parse_json<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, ContextError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let json_path = error.path().to_string();
        invalid(path, Some(json_path), error.inner())
    })
}

fn invalid(path: &Path, json_path: Option<String>, error: &serde_json::Error) -> ContextError {
    ContextError::PayloadInvalid {
        path: path.to_owned(),
        json_path: json_path.filter(|json_path| json_path != "."),
        message: strip_position(&error.to_string()),
        line: error.line(),
        column: error.column(),
    }
}

/// serde_json appends " at line L column C" to its messages; the error reports those itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.is_empty())
}

fn url_or(value: Option<String>, default: &str) -> String {
    non_empty(value)
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| default.to_owned())
}

fn parse_number<T: std::str::FromStr>(
    name: &'static str,
    value: Option<String>,
) -> Result<Option<T>, ContextError> {
    non_empty(value)
        .map(|value| {
            value
                .trim()
                .parse()
                .map_err(|_| ContextError::NotANumber { name, value })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> ContextVars {
        ContextVars {
            event_name: Some("push".into()),
            git_ref: Some("refs/heads/main".into()),
            repository: Some("acme/shop".into()),
            ..ContextVars::default()
        }
    }

    #[test]
    fn defaults_urls_and_trims_trailing_slashes() {
        let context = Context::load(vars()).unwrap();
        assert_eq!(context.server_url, DEFAULT_SERVER_URL);
        assert_eq!(context.api_url, DEFAULT_API_URL);
        let context = Context::load(ContextVars {
            server_url: Some("https://ghes.example.com/".into()),
            api_url: Some("https://ghes.example.com/api/v3/".into()),
            ..vars()
        })
        .unwrap();
        assert_eq!(context.server_url, "https://ghes.example.com");
        assert_eq!(context.api_url, "https://ghes.example.com/api/v3");
    }

    #[test]
    fn empty_values_are_unset() {
        let context = Context::load(ContextVars {
            event_name: Some(String::new()),
            event_path: Some(PathBuf::new()),
            sha: Some(String::new()),
            run_id: Some(String::new()),
            api_url: Some(String::new()),
            ..vars()
        })
        .unwrap();
        assert_eq!(context.event_name, None);
        assert_eq!(context.payload, None);
        assert_eq!(context.sha, None);
        assert_eq!(context.run_id, None);
        assert_eq!(context.api_url, DEFAULT_API_URL);
    }

    #[test]
    fn run_numbers_are_validated() {
        let context = Context::load(ContextVars {
            run_id: Some("9876543210".into()),
            run_attempt: Some("2".into()),
            ..vars()
        })
        .unwrap();
        assert_eq!(context.run_id, Some(9_876_543_210));
        assert_eq!(context.run_attempt, Some(2));
        let error = Context::load(ContextVars {
            run_attempt: Some("-1".into()),
            ..vars()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "GITHUB_RUN_ATTEMPT must be a positive whole number, not `-1`"
        );
    }

    #[test]
    fn ref_and_repository_helpers() {
        let context = Context::load(vars()).unwrap();
        assert_eq!(context.ref_name(), Some("main"));
        assert_eq!(context.repository_owner(), Some("acme"));
        assert_eq!(context.repository_name(), Some("shop"));
        let context = Context::load(ContextVars {
            git_ref: Some("refs/tags/v1.0.0".into()),
            repository: Some("no-slash".into()),
            ..vars()
        })
        .unwrap();
        assert_eq!(context.ref_name(), Some("v1.0.0"));
        assert_eq!(context.repository_owner(), None);
    }

    #[test]
    fn a_payload_needs_an_event_name() {
        let error = Context::load(ContextVars {
            event_name: None,
            event_path: Some("event.json".into()),
            ..vars()
        })
        .unwrap_err();
        assert!(matches!(
            error,
            ContextError::PayloadWithoutEventName { .. }
        ));
    }

    #[test]
    fn trailing_garbage_is_a_syntax_error() {
        let error = Payload::parse(Path::new("e.json"), b"{} x", "schedule").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid event payload e.json: trailing characters at line 1, column 4"
        );
    }

    #[test]
    fn unknown_events_keep_the_raw_payload() {
        let payload = Payload::parse(
            Path::new("e.json"),
            br#"{"action":"created","issue":{"number":3}}"#,
            "issue_comment",
        )
        .unwrap();
        assert_eq!(
            payload.event,
            Event::Other {
                name: "issue_comment".into()
            }
        );
        assert_eq!(payload.raw["issue"]["number"], 3);
        assert_eq!(payload.repository, None);
    }
}
