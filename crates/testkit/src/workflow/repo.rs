//! Test repositories and the events GitHub would send for them: a working clone and its bare
//! `origin` (what `actions/checkout` fetches from), with the refs GitHub keeps
//! (`refs/pull/N/head`, `refs/pull/N/merge`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// What triggered a run: the event's name and payload, and the `GITHUB_*` values that go with
/// it.
#[derive(Debug, Clone)]
pub struct Event {
    /// `push`, `pull_request`, `schedule`, `workflow_dispatch`, ...
    pub name: String,
    pub payload: Value,
    /// `GITHUB_SHA`: the commit the workflow file and the checkout come from.
    pub sha: String,
    /// `GITHUB_REF`.
    pub git_ref: String,
    /// `GITHUB_HEAD_REF` and `GITHUB_BASE_REF` (pull requests only).
    pub head_ref: String,
    pub base_ref: String,
    pub actor: String,
}

impl Event {
    /// An event on the default branch `main` at `sha` with `payload` (schedule,
    /// workflow_dispatch, ...).
    pub fn on_main(name: &str, sha: &str, payload: Value) -> Event {
        Event {
            name: name.to_owned(),
            payload,
            sha: sha.to_owned(),
            git_ref: "refs/heads/main".to_owned(),
            head_ref: String::new(),
            base_ref: String::new(),
            actor: "octocat".to_owned(),
        }
    }

    /// `GITHUB_REF_NAME`: the branch or tag name, `N/merge` for a pull request.
    pub fn ref_name(&self) -> &str {
        ["refs/heads/", "refs/tags/", "refs/pull/"]
            .iter()
            .find_map(|prefix| self.git_ref.strip_prefix(prefix))
            .unwrap_or(&self.git_ref)
    }

    /// `GITHUB_REF_TYPE`.
    pub fn ref_type(&self) -> &str {
        if self.git_ref.starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        }
    }
}

/// A repository `owner/name`: a working clone on `main` and its bare origin.
pub struct GitRepo {
    dir: tempfile::TempDir,
    full_name: String,
}

impl GitRepo {
    /// A repository holding `files`, committed once on `main` and pushed.
    pub fn new(full_name: &str, files: &[(&str, &str)]) -> GitRepo {
        let repo = Self::empty(full_name);
        for (path, text) in files {
            repo.write(path, text);
        }
        repo.commit("initial");
        repo.git(&["push", "-q", "origin", "main"]);
        repo
    }

    /// A repository holding a copy of the directory `source`, committed and pushed.
    pub fn from_dir(full_name: &str, source: &Path) -> GitRepo {
        let repo = Self::empty(full_name);
        copy_tree(source, &repo.path());
        repo.commit("initial");
        repo.git(&["push", "-q", "origin", "main"]);
        repo
    }

    fn empty(full_name: &str) -> GitRepo {
        let dir = tempfile::Builder::new()
            .prefix("gantry-repo-")
            .tempdir()
            .expect("create a repository directory");
        let repo = GitRepo {
            dir,
            full_name: full_name.to_owned(),
        };
        std::fs::create_dir(repo.path()).expect("create the working clone");
        git_in(repo.dir.path(), &["init", "-q", "--bare", "origin.git"]);
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&[
            "remote",
            "add",
            "origin",
            &repo.origin().display().to_string(),
        ]);
        repo
    }

    /// `owner/name`.
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    /// The working clone.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The bare origin.
    pub fn origin(&self) -> PathBuf {
        self.dir.path().join("origin.git")
    }

    pub fn write(&self, path: &str, text: &str) {
        let file = self.path().join(path);
        std::fs::create_dir_all(file.parent().expect("a file has a parent"))
            .expect("create the file's directory");
        std::fs::write(&file, text).unwrap_or_else(|error| panic!("write {path}: {error}"));
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path))
            .unwrap_or_else(|error| panic!("read {path}: {error}"))
    }

    /// Commits everything on the current branch; returns the commit.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// Commits `files` on `main`, pushes, and returns the push event.
    pub fn push(&self, message: &str, files: &[(&str, &str)]) -> Event {
        let before = self.head();
        for (path, text) in files {
            self.write(path, text);
        }
        let after = self.commit(message);
        self.git(&["push", "-q", "origin", "main"]);
        let payload = json!({
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "created": false,
            "deleted": false,
            "forced": false,
            "base_ref": null,
            "head_commit": self.commit_payload(&after, message),
            "commits": [self.commit_payload(&after, message)],
            "pusher": {"name": "octocat"},
            "repository": self.repository_payload(),
            "sender": {"login": "octocat"},
        });
        Event::on_main("push", &after, payload)
    }

    /// Opens pull request `number` from a new branch `branch` with `files` committed on it:
    /// GitHub's `refs/pull/N/head` and the test merge `refs/pull/N/merge` are pushed, and the
    /// `pull_request` event (`opened`) returned.
    pub fn pull_request(&self, number: u64, branch: &str, files: &[(&str, &str)]) -> Event {
        let base = self.head();
        self.git(&["checkout", "-q", "-b", branch]);
        for (path, text) in files {
            self.write(path, text);
        }
        let head = self.commit(&format!("change on {branch}"));
        self.git(&["checkout", "-q", "--detach", "main"]);
        self.git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge {head} into {base}"),
            branch,
        ]);
        let merge = self.head();
        self.git(&["checkout", "-q", "main"]);
        self.git(&[
            "push",
            "-q",
            "origin",
            &format!("{branch}:refs/heads/{branch}"),
            &format!("{head}:refs/pull/{number}/head"),
            &format!("{merge}:refs/pull/{number}/merge"),
        ]);
        let side = |name: &str, sha: &str| json!({"ref": name, "sha": sha, "label": format!("{}:{name}", self.owner()), "repo": self.repository_payload()});
        let payload = json!({
            "action": "opened",
            "number": number,
            "pull_request": {
                "number": number,
                "title": format!("change on {branch}"),
                "state": "open",
                "head": side(branch, &head),
                "base": side("main", &base),
                "merge_commit_sha": merge,
                "html_url": format!("https://github.com/{}/pull/{number}", self.full_name),
                "user": {"login": "octocat"},
            },
            "repository": self.repository_payload(),
            "sender": {"login": "octocat"},
        });
        Event {
            name: "pull_request".to_owned(),
            payload,
            sha: merge,
            git_ref: format!("refs/pull/{number}/merge"),
            head_ref: branch.to_owned(),
            base_ref: "main".to_owned(),
            actor: "octocat".to_owned(),
        }
    }

    /// A `schedule` event at the head of `main`.
    pub fn schedule(&self, cron: &str) -> Event {
        let payload = json!({"schedule": cron, "repository": self.repository_payload()});
        Event::on_main("schedule", &self.head(), payload)
    }

    /// A `workflow_dispatch` event on `main` with `inputs`.
    pub fn workflow_dispatch(&self, inputs: Value) -> Event {
        let payload = json!({
            "inputs": inputs,
            "ref": "refs/heads/main",
            "repository": self.repository_payload(),
            "sender": {"login": "octocat"},
        });
        Event::on_main("workflow_dispatch", &self.head(), payload)
    }

    /// A `repository_dispatch` event on the default branch: what `POST /repos/{owner}/{repo}/dispatches`
    /// with `event_type` and `client_payload` starts (the payload's `action` is the event
    /// type, which `on.repository_dispatch.types` filters).
    pub fn repository_dispatch(&self, event_type: &str, client_payload: Value) -> Event {
        let payload = json!({
            "action": event_type,
            "branch": "main",
            "client_payload": client_payload,
            "repository": self.repository_payload(),
            "sender": {"login": "octocat"},
        });
        Event::on_main("repository_dispatch", &self.head(), payload)
    }

    /// A commit as push payloads list it.
    fn commit_payload(&self, sha: &str, message: &str) -> Value {
        let tree = self.git(&["rev-parse", &format!("{sha}^{{tree}}")]);
        let person =
            json!({"name": "gantry", "email": "gantry@example.com", "username": "octocat"});
        json!({
            "id": sha,
            "tree_id": tree,
            "distinct": true,
            "message": message,
            "timestamp": "2025-01-01T00:00:00Z",
            "url": format!("https://github.com/{}/commit/{sha}", self.full_name),
            "author": person,
            "committer": person,
            "added": [],
            "removed": [],
            "modified": [],
        })
    }

    fn owner(&self) -> &str {
        self.full_name.split('/').next().unwrap_or_default()
    }

    fn repository_payload(&self) -> Value {
        let name = self.full_name.split('/').nth(1).unwrap_or_default();
        json!({
            "name": name,
            "full_name": self.full_name,
            "private": false,
            "owner": {"login": self.owner()},
            "default_branch": "main",
            "html_url": format!("https://github.com/{}", self.full_name),
            "clone_url": format!("https://github.com/{}.git", self.full_name),
            "description": null,
            "license": {"spdx_id": "MIT"},
        })
    }

    /// Runs git in the working clone; returns stdout, trimmed.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.path(), args)
    }
}

/// Variables that keep git away from the user's and the system's configuration, with a fixed
/// identity and date: every git the simulator or a test repository runs gets them.
pub const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_AUTHOR_NAME", "gantry"),
    ("GIT_AUTHOR_EMAIL", "gantry@example.com"),
    ("GIT_COMMITTER_NAME", "gantry"),
    ("GIT_COMMITTER_EMAIL", "gantry@example.com"),
    ("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z"),
    ("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z"),
    ("GIT_TERMINAL_PROMPT", "0"),
];

/// Runs git in `dir` with [`GIT_ENV`]; returns stdout, trimmed; panics on failure.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    try_git_in(dir, args).unwrap_or_else(|error| panic!("{error}"))
}

/// [`git_in`] that returns the failure.
pub fn try_git_in(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(GIT_ENV.iter().copied())
        .output()
        .map_err(|error| format!("run git {args:?}: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {args:?} in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Copies the files under `source` into `target`.
fn copy_tree(source: &Path, target: &Path) {
    for entry in std::fs::read_dir(source)
        .unwrap_or_else(|error| panic!("read {}: {error}", source.display()))
    {
        let entry = entry.expect("a directory entry");
        let to = target.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&to).expect("create a directory");
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).expect("copy a file");
        }
    }
}
