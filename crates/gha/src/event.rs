//! Typed views of the webhook payloads at `GITHUB_EVENT_PATH`: only the fields gantry reads.
//! Unknown fields are ignored; the raw JSON stays available in [`crate::Payload::raw`].
//!
//! Read as leniently as `@actions/github` reads them (it never validates a payload): a missing
//! field is empty (`""`, `0`, `false`, no commits), because act, Gitea and Forgejo runners and
//! test fixtures send thinner payloads than GitHub.com. A tool that needs a value checks it
//! and names the missing field; a field of the wrong type is still an error.

use serde::Deserialize;
use serde_json::{Map, Value};

/// The SHA GitHub puts in `before` for a new ref and in `after` for a deleted one.
pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// `true` for the all-zero "no commit" SHA (40 hex digits, or 64 in a SHA-256 repository).
pub fn is_zero_sha(sha: &str) -> bool {
    matches!(sha.len(), 40 | 64) && sha.bytes().all(|byte| byte == b'0')
}

/// The event that triggered the run, typed by `GITHUB_EVENT_NAME`.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `push`, to a branch or a tag (see [`PushEvent::tag`]).
    Push(PushEvent),
    /// `pull_request`.
    PullRequest(PullRequestEvent),
    /// `pull_request_target`: same payload, runs with the base repository's secrets.
    PullRequestTarget(PullRequestEvent),
    /// `merge_group`.
    MergeGroup(MergeGroupEvent),
    /// `workflow_dispatch`.
    WorkflowDispatch(WorkflowDispatchEvent),
    /// `schedule`.
    Schedule(ScheduleEvent),
    /// `release`.
    Release(ReleaseEvent),
    /// Any other event; read what you need from [`crate::Payload::raw`].
    Other {
        /// The event name, as in `GITHUB_EVENT_NAME`.
        name: String,
    },
}

impl Event {
    /// The event name, as in `GITHUB_EVENT_NAME`.
    pub fn name(&self) -> &str {
        match self {
            Event::Push(_) => "push",
            Event::PullRequest(_) => "pull_request",
            Event::PullRequestTarget(_) => "pull_request_target",
            Event::MergeGroup(_) => "merge_group",
            Event::WorkflowDispatch(_) => "workflow_dispatch",
            Event::Schedule(_) => "schedule",
            Event::Release(_) => "release",
            Event::Other { name } => name,
        }
    }

    /// The pull request, for `pull_request` and `pull_request_target`.
    pub fn pull_request(&self) -> Option<&PullRequestEvent> {
        match self {
            Event::PullRequest(event) | Event::PullRequestTarget(event) => Some(event),
            _ => None,
        }
    }
}

/// A `push` payload.
#[derive(Clone, Debug, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct PushEvent {
    /// The full ref pushed: `refs/heads/main`, `refs/tags/v1.2.3`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The tip before the push; [`ZERO_SHA`] when the ref was created.
    pub before: String,
    /// The tip after the push; [`ZERO_SHA`] when the ref was deleted.
    pub after: String,
    pub created: bool,
    pub deleted: bool,
    /// A force push: `before` may not be an ancestor of `after`.
    pub forced: bool,
    /// For a tag push, the branch the tagged commit is on (when GitHub knows it).
    pub base_ref: Option<String>,
    pub commits: Vec<Commit>,
    pub head_commit: Option<Commit>,
}

impl PushEvent {
    /// The tag name when a tag was pushed (`refs/tags/v1` → `v1`).
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/tags/")
    }

    /// The branch name when a branch was pushed (`refs/heads/main` → `main`).
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }

    /// `before` is the zero SHA: the ref is new, so there is no previous tip to diff against.
    pub fn before_is_zero(&self) -> bool {
        is_zero_sha(&self.before)
    }
}

/// One commit of a `push`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Commit {
    pub id: String,
    /// ISO 8601, as GitHub sends it (`2024-05-01T12:00:00+02:00`).
    pub timestamp: String,
}

/// A `pull_request` or `pull_request_target` payload.
#[derive(Clone, Debug, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct PullRequestEvent {
    /// `opened`, `synchronize`, `closed`, ...
    pub action: Option<String>,
    pub number: u64,
    pub pull_request: PullRequest,
}

/// The `pull_request` object.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct PullRequest {
    /// The branch the pull request merges into. Its `sha` can lag the branch tip.
    pub base: BranchTip,
    /// The branch with the changes.
    pub head: BranchTip,
}

/// A branch name and the commit it pointed at.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct BranchTip {
    /// The branch name, without `refs/heads/`.
    #[serde(rename = "ref")]
    pub branch: String,
    pub sha: String,
}

/// A `merge_group` payload.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MergeGroupEvent {
    pub merge_group: MergeGroup,
}

/// The `merge_group` object.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MergeGroup {
    /// The queue parent: `base_sha..head_sha` holds only this entry's changes.
    pub base_sha: String,
    pub head_sha: String,
    /// Full ref, `refs/heads/main`.
    pub base_ref: String,
    /// Full ref, `refs/heads/gh-readonly-queue/main/pr-1-...`.
    pub head_ref: String,
}

/// A `workflow_dispatch` payload.
#[derive(Clone, Debug, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct WorkflowDispatchEvent {
    /// The branch or tag the run was started on (full ref).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The inputs as sent: strings, but booleans and numbers are possible.
    #[serde(deserialize_with = "null_as_empty")]
    pub inputs: Map<String, Value>,
}

impl WorkflowDispatchEvent {
    /// Input `name` as text (`true`, `3`, `text`); `None` when absent or null.
    pub fn input(&self, name: &str) -> Option<String> {
        match self.inputs.get(name)? {
            Value::Null => None,
            Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// A `schedule` payload.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleEvent {
    /// The cron expression that fired.
    pub schedule: String,
}

/// A `release` payload.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ReleaseEvent {
    /// `published`, `created`, `prereleased`, ...
    pub action: Option<String>,
    pub release: Release,
}

/// The `release` object.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Release {
    pub tag_name: String,
    pub name: Option<String>,
    pub prerelease: bool,
    pub draft: bool,
}

/// The payload's `repository` object: what OCI labels and the default branch come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Repository {
    /// `gantry`.
    #[serde(default)]
    pub name: Option<String>,
    /// `gantry-rs/gantry`.
    #[serde(default)]
    pub full_name: Option<String>,
    /// `https://github.com/gantry-rs/gantry`.
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub license: Option<License>,
    #[serde(default)]
    pub owner: Option<Owner>,
}

impl Repository {
    /// The license's SPDX id (`MIT`), when GitHub detected one. GitHub reports
    /// `NOASSERTION` for a license it could not identify; that is passed on as is.
    pub fn spdx_id(&self) -> Option<&str> {
        self.license.as_ref()?.spdx_id.as_deref()
    }

    /// The owner's login (`gantry-rs`).
    pub fn owner_login(&self) -> Option<&str> {
        self.owner.as_ref()?.login.as_deref()
    }
}

/// `repository.license`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct License {
    #[serde(default)]
    pub spdx_id: Option<String>,
}

/// `repository.owner`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Owner {
    #[serde(default)]
    pub login: Option<String>,
}

/// `inputs: null` is what GitHub sends for a dispatch without inputs in some payloads.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sha_is_detected_for_sha1_and_sha256_only() {
        assert!(is_zero_sha(ZERO_SHA));
        assert!(is_zero_sha(&"0".repeat(64)));
        assert!(!is_zero_sha("0"));
        assert!(!is_zero_sha(""));
        assert!(!is_zero_sha(&format!("{}1", &ZERO_SHA[1..])));
    }

    #[test]
    fn push_ref_helpers() {
        let push = |git_ref: &str| PushEvent {
            git_ref: git_ref.to_owned(),
            before: ZERO_SHA.to_owned(),
            after: "a".repeat(40),
            created: true,
            deleted: false,
            forced: false,
            base_ref: None,
            commits: vec![],
            head_commit: None,
        };
        assert_eq!(push("refs/tags/v1.2.3").tag(), Some("v1.2.3"));
        assert_eq!(push("refs/tags/v1.2.3").branch(), None);
        assert_eq!(push("refs/heads/feature/x").branch(), Some("feature/x"));
        assert!(push("refs/heads/main").before_is_zero());
    }

    #[test]
    fn dispatch_inputs_render_as_text() {
        let event: WorkflowDispatchEvent = serde_json::from_str(
            r#"{"ref":"refs/heads/main","inputs":{"a":"x","b":true,"c":3,"d":null}}"#,
        )
        .unwrap();
        assert_eq!(event.input("a").as_deref(), Some("x"));
        assert_eq!(event.input("b").as_deref(), Some("true"));
        assert_eq!(event.input("c").as_deref(), Some("3"));
        assert_eq!(event.input("d"), None);
        assert_eq!(event.input("e"), None);
        let event: WorkflowDispatchEvent =
            serde_json::from_str(r#"{"ref":"refs/heads/main","inputs":null}"#).unwrap();
        assert!(event.inputs.is_empty());
    }
}
