//! What a run's tags are computed from: the event, ref and SHA, the payload, the repository,
//! the clock and the `DOCKER_METADATA_*` settings.

use jiff::Timestamp;
use serde_json::Value as Json;

use crate::ports::jsnum;

/// The short SHA length when `DOCKER_METADATA_SHORT_SHA_LENGTH` is not set.
pub const DEFAULT_SHORT_SHA_LENGTH: usize = 7;

/// The repository fields the base labels read (metadata-action reads them from the REST API;
/// gantry from the payload's `repository` object).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repository {
    pub name: String,
    pub description: String,
    pub html_url: String,
    /// The license's SPDX id.
    pub license: String,
}

/// The run, as the tag computation sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunContext {
    /// `GITHUB_EVENT_NAME` (empty when unknown).
    pub event_name: String,
    /// The full ref, after the `pull_request_target` rewrite.
    pub git_ref: String,
    /// The commit SHA (the PR head SHA with `DOCKER_METADATA_PR_HEAD_SHA=true`); may be empty.
    pub sha: String,
    /// The event payload (`{}` when there is none).
    pub payload: Json,
    /// The repository's default branch: `type=edge`'s branch, and `{{is_default_branch}}`'s
    /// when the payload does not name one.
    pub default_branch: Option<String>,
    pub repository: Repository,
    /// "Now": the `created` label and `{{date}}`.
    pub now: Timestamp,
    /// The commit's date: `{{commit_date}}`.
    pub commit_date: Timestamp,
    /// `DOCKER_METADATA_SHORT_SHA_LENGTH` as set, checked when a short SHA is needed.
    pub short_sha_length: Option<String>,
}

impl RunContext {
    /// A context for `event_name` on `git_ref` at `sha`, with no payload or repository, the
    /// clock at `now` (and the commit at the same instant).
    pub fn new(event_name: &str, git_ref: &str, sha: &str, now: Timestamp) -> Self {
        Self {
            event_name: event_name.to_owned(),
            git_ref: git_ref.to_owned(),
            sha: sha.to_owned(),
            payload: Json::Object(Default::default()),
            default_branch: None,
            repository: Repository::default(),
            now,
            commit_date: now,
            short_sha_length: None,
        }
    }

    /// Applies metadata-action's workflow-context rules: on `pull_request_target` the ref
    /// becomes `refs/pull/<number>/merge`; with `pr_head_sha` (`DOCKER_METADATA_PR_HEAD_SHA`
    /// containing `true`) a pull request's SHA becomes its head SHA.
    pub fn apply_workflow_rules(&mut self, pr_head_sha: bool) {
        if self.event_name.contains("pull_request_target") {
            let number = match self.payload.get("number") {
                Some(Json::Number(number)) => number.to_string(),
                Some(Json::String(text)) => text.clone(),
                _ => "undefined".to_owned(),
            };
            self.git_ref = format!("refs/pull/{number}/merge");
        }
        if pr_head_sha
            && self.event_name.contains("pull_request")
            && let Some(Json::String(head)) = self.payload.pointer("/pull_request/head/sha")
        {
            self.sha = head.clone();
        }
    }

    /// The branch of a `refs/heads/` ref.
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }

    /// The tag of a `refs/tags/` ref.
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/tags/")
    }

    /// `{{is_default_branch}}`: the ref is the default branch, or the event always runs on
    /// it (`create`, `discussion`, `issues`, `schedule`).
    pub fn is_default_branch(&self) -> bool {
        let branch = self.branch().unwrap_or(&self.git_ref);
        if branch.is_empty() {
            return false;
        }
        let default = self
            .payload
            .pointer("/repository/default_branch")
            .and_then(Json::as_str)
            .or(self.default_branch.as_deref());
        if default == Some(branch) {
            return true;
        }
        ["create", "discussion", "issues", "schedule"]
            .iter()
            .any(|event| self.event_name.contains(event))
    }

    /// The short SHA: `DOCKER_METADATA_SHORT_SHA_LENGTH` characters (7 by default), the
    /// whole SHA when that is longer.
    pub fn short_sha(&self) -> Result<String, String> {
        let length = match &self.short_sha_length {
            None => DEFAULT_SHORT_SHA_LENGTH,
            Some(text) => {
                let number = jsnum::number(text);
                if number.is_nan() {
                    return Err(format!(
                        "DOCKER_METADATA_SHORT_SHA_LENGTH is not a valid number: {text}"
                    ));
                }
                jsnum::to_length(number)
            }
        };
        Ok(self.sha.chars().take(length).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(event: &str, git_ref: &str) -> RunContext {
        RunContext::new(
            event,
            git_ref,
            "860c1904a1ce19322e91ac35af1ab07466440c37",
            Timestamp::UNIX_EPOCH,
        )
    }

    #[test]
    fn default_branch_rules() {
        let mut push = context("push", "refs/heads/main");
        assert!(!push.is_default_branch());
        push.default_branch = Some("main".into());
        assert!(push.is_default_branch());
        push.payload = serde_json::json!({"repository": {"default_branch": "master"}});
        assert!(!push.is_default_branch(), "the payload wins");
        assert!(context("schedule", "refs/heads/x").is_default_branch());
        assert!(context("create", "refs/tags/v1").is_default_branch());
        assert!(!context("schedule", "").is_default_branch());
    }

    #[test]
    fn workflow_rules() {
        let mut target = context("pull_request_target", "refs/heads/master");
        target.payload =
            serde_json::json!({"number": 15, "pull_request": {"head": {"sha": "abc"}}});
        target.apply_workflow_rules(false);
        assert_eq!(target.git_ref, "refs/pull/15/merge");
        assert!(target.sha.starts_with("860c"));
        target.apply_workflow_rules(true);
        assert_eq!(target.sha, "abc");
        let mut push = context("push", "refs/heads/master");
        push.payload = target.payload.clone();
        push.apply_workflow_rules(true);
        assert!(push.sha.starts_with("860c"), "only pull request events");
    }

    #[test]
    fn short_sha_lengths() {
        let mut run = context("push", "refs/heads/main");
        assert_eq!(run.short_sha().unwrap(), "860c190");
        let full = run.sha.clone();
        for (length, expected) in [
            ("12", "860c1904a1ce"),
            (" 3.9 ", "860"),
            ("-1", ""),
            ("99", &full),
        ] {
            run.short_sha_length = Some(length.into());
            assert_eq!(run.short_sha().unwrap(), expected, "{length}");
        }
        run.short_sha_length = Some("twelve".into());
        assert_eq!(
            run.short_sha().unwrap_err(),
            "DOCKER_METADATA_SHORT_SHA_LENGTH is not a valid number: twelve"
        );
    }
}
