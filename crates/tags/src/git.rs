//! What gantry-tags reads from the local checkout with the git CLI: HEAD's ref, SHA and
//! committer date (`--context git`), a commit's date, and the existing tags.

use std::path::PathBuf;
use std::process::Command;

use jiff::Timestamp;

use crate::node_semver::SemVer;

/// A git command that failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GitError {
    #[error("cannot run git in {}: {source}", dir.display())]
    #[diagnostic(
        code(gantry::tags::git),
        help("--context git needs the git CLI and a checkout (actions/checkout)")
    )]
    Spawn {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`git {command}` failed in {}: {message}", dir.display())]
    #[diagnostic(
        code(gantry::tags::git),
        help("--context git needs a git checkout with at least one commit")
    )]
    Failed {
        dir: PathBuf,
        command: String,
        message: String,
    },
    #[error(
        "HEAD is detached at {sha} and no branch or tag points at it, so the ref cannot be known"
    )]
    #[diagnostic(
        code(gantry::tags::detached_head),
        help(
            "pass --ref refs/heads/<branch> or refs/tags/<tag> (GITHUB_REF is used when set), \
             or check out a branch"
        )
    )]
    DetachedHead { sha: String },
}

/// The git CLI in a directory.
#[derive(Clone, Debug)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Runs `git args` and returns its trimmed standard output.
    fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let output = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .map_err(|source| GitError::Spawn {
                dir: self.dir.clone(),
                source,
            })?;
        if !output.status.success() {
            return Err(GitError::Failed {
                dir: self.dir.clone(),
                command: args.join(" "),
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The SHA of HEAD.
    pub fn head_sha(&self) -> Result<String, GitError> {
        self.run(&["rev-parse", "HEAD"])
    }

    /// HEAD's ref: the checked-out branch; when HEAD is detached, `fallback` (GITHUB_REF)
    /// if given, else a tag pointing at HEAD (the highest version when several do), else a
    /// local or remote branch pointing at it.
    pub fn head_ref(&self, fallback: Option<&str>) -> Result<String, GitError> {
        if let Ok(branch) = self.run(&["symbolic-ref", "-q", "HEAD"]) {
            return Ok(branch);
        }
        if let Some(fallback) = fallback.filter(|r| !r.is_empty()) {
            return Ok(fallback.to_owned());
        }
        let refs = self.run(&["for-each-ref", "--points-at", "HEAD", "--format=%(refname)"])?;
        let refs: Vec<&str> = refs.lines().collect();
        let mut tags: Vec<&str> = refs
            .iter()
            .filter(|r| r.starts_with("refs/tags/"))
            .copied()
            .collect();
        tags.sort_by_key(|r| {
            let version = SemVer::parse(&r["refs/tags/".len()..], false);
            (version.as_ref().and_then(SemVer::precedence), r.to_string())
        });
        if let Some(tag) = tags.last() {
            return Ok((*tag).to_owned());
        }
        if let Some(branch) = refs.iter().find(|r| r.starts_with("refs/heads/")) {
            return Ok((*branch).to_owned());
        }
        let remote_branch = refs.iter().find_map(|r| {
            let (_, branch) = r.strip_prefix("refs/remotes/")?.split_once('/')?;
            (branch != "HEAD").then(|| format!("refs/heads/{branch}"))
        });
        remote_branch.ok_or_else(|| GitError::DetachedHead {
            sha: self.head_sha().unwrap_or_else(|_| "HEAD".into()),
        })
    }

    /// The committer date of `revision`.
    pub fn commit_date(&self, revision: &str) -> Result<Timestamp, GitError> {
        let date = self.run(&["log", "-1", "--format=%cI", revision, "--"])?;
        date.parse().map_err(|error| GitError::Failed {
            dir: self.dir.clone(),
            command: format!("log -1 --format=%cI {revision}"),
            message: format!("unreadable date `{date}`: {error}"),
        })
    }

    /// The names of the tags in the checkout.
    pub fn tags(&self) -> Result<Vec<String>, GitError> {
        let tags = self.run(&["for-each-ref", "refs/tags", "--format=%(refname:strip=2)"])?;
        Ok(tags.lines().map(str::to_owned).collect())
    }
}
