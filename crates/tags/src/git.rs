//! What gantry-tags reads from the local checkout with the git CLI: HEAD's ref, SHA and
//! committer date (`--context git`), a commit's date, and the existing tags.

use std::path::PathBuf;
use std::process::Command;

use jiff::Timestamp;

use crate::ports::jsregex::JsRegex;
use crate::ports::jsstring;

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
    #[error("HEAD is detached at {sha} and its ref cannot be known: {reason}")]
    #[diagnostic(
        code(gantry::tags::detached_head),
        help(
            "check out a branch or a tag, or use --context workflow with --ref \
             refs/heads/<branch> or refs/tags/<tag>"
        )
    )]
    DetachedHead { sha: String, reason: String },
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

    /// HEAD's ref, read as metadata-action v6 reads it (@docker/actions-toolkit 0.92
    /// `Git.ref()`): the checked-out branch; on a detached HEAD, the first ref `git show
    /// -s --pretty=%D` names (a tag, a `pull/<n>/merge` ref, a remote branch), and when none
    /// points at HEAD, the most recently committed local branch containing it, else such a
    /// remote branch, else the first tag containing it.
    pub fn head_ref(&self) -> Result<String, GitError> {
        if !self.run(&["branch", "--show-current"])?.is_empty() {
            return self.run(&["symbolic-ref", "HEAD"]);
        }
        let decorations = self.run(&["show", "-s", "--pretty=%D"])?;
        let detached = |reason: &str| GitError::DetachedHead {
            sha: self.head_sha().unwrap_or_else(|_| "HEAD".into()),
            reason: format!("{reason} (`git show -s --pretty=%D` says `{decorations}`)"),
        };
        let normalized = decorations
            .strip_prefix("grafted, ")
            .unwrap_or(&decorations)
            .trim();
        if normalized == "HEAD" {
            return self
                .containing_ref()?
                .ok_or_else(|| detached("no branch or tag contains it"));
        }
        let Some(names) = normalized.strip_prefix("HEAD, ").map(str::trim) else {
            return Err(detached("HEAD is not the first decoration"));
        };
        if names.starts_with("tag: ") {
            return self
                .decorated_tag(names)?
                .ok_or_else(|| detached("the tag it names cannot be found"));
        }
        // The toolkit's own regular expressions, so that odd names split as they do there.
        let first_group = |pattern: &str| {
            let regex = JsRegex::new(pattern, "").expect("a valid regular expression");
            regex
                .string_match(names)
                .ok()
                .flatten()
                .map(|groups| groups.into_iter().nth(1).flatten().unwrap_or_default())
        };
        if first_group(r"^pull\/\d+\/(head|merge)$").is_some() {
            return Ok(format!("refs/{names}"));
        }
        // `<remote>/<branch>, <branch>`, then `<remote>/<branch>` (a checkout by SHA).
        first_group(r"^[^/]+\/[^/]+, (.+)$")
            .or_else(|| first_group(r"^[^/]+\/(.+)$"))
            .map(|branch| format!("refs/heads/{}", jsstring::trim(&branch)))
            .ok_or_else(|| detached("its ref is of no kind metadata-action reads"))
    }

    /// The tag of a `tag: <name>[, ...]` decoration list: the longest tag at HEAD whose
    /// decoration starts the list, else the only tag at HEAD.
    fn decorated_tag(&self, names: &str) -> Result<Option<String>, GitError> {
        let refs = self.run(&[
            "for-each-ref",
            "--format=%(refname)",
            "--points-at",
            "HEAD",
            "refs/tags/",
        ])?;
        let mut refs: Vec<&str> = refs
            .lines()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        // JavaScript's sort by length, longest first, stable for equal lengths.
        refs.sort_by_key(|r| std::cmp::Reverse(r.encode_utf16().count()));
        let found = refs.iter().find(|r| {
            let decoration = format!("tag: {}", &r["refs/tags/".len()..]);
            names == decoration || names.starts_with(&format!("{decoration}, "))
        });
        Ok(found
            .or(if refs.len() == 1 { refs.first() } else { None })
            .map(|r| (*r).to_owned()))
    }

    /// The ref containing HEAD when none points at it: the most recently committed local
    /// branch, else remote branch (as `refs/heads/<branch>`), else the first tag.
    fn containing_ref(&self) -> Result<Option<String>, GitError> {
        let newest = |scope: &str| -> Result<Option<String>, GitError> {
            let refs = self.run(&[
                "for-each-ref",
                "--format=%(refname)",
                "--contains",
                "HEAD",
                "--sort=-committerdate",
                scope,
            ])?;
            Ok(refs
                .lines()
                .map(str::trim)
                .find(|r| !r.is_empty())
                .map(str::to_owned))
        };
        if let Some(branch) = newest("refs/heads/")? {
            return Ok(Some(branch));
        }
        if let Some(remote) = newest("refs/remotes/")? {
            let branch = remote
                .strip_prefix("refs/remotes/")
                .and_then(|rest| rest.split_once('/'))
                .filter(|(remote, branch)| !remote.is_empty() && !branch.is_empty());
            return Ok(Some(match branch {
                Some((_, branch)) => format!("refs/heads/{branch}"),
                None => remote,
            }));
        }
        let tags = self.run(&["tag", "--contains", "HEAD"])?;
        Ok(tags
            .lines()
            .map(str::trim)
            .find(|tag| !tag.is_empty())
            .map(|tag| format!("refs/tags/{tag}")))
    }

    /// The default branch the checkout knows: where `origin/HEAD` points.
    pub fn default_branch(&self) -> Option<String> {
        let target = self
            .run(&["symbolic-ref", "-q", "refs/remotes/origin/HEAD"])
            .ok()?;
        target
            .strip_prefix("refs/remotes/origin/")
            .filter(|branch| !branch.is_empty())
            .map(str::to_owned)
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
