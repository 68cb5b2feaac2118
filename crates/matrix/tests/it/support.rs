//! Real git repositories in temporary directories, and the binary run against them.
//!
//! Commits use fixed names and dates, so their SHAs are the same on every run and reports
//! can be snapshotted.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The manifest of the test monorepo: libraries two deep, a Dockerfile outside its context,
/// `watch`, `ignore`, `global`, a context with a space.
pub const MANIFEST: &str = r#"version: 1
registry: ghcr.io/acme
global: [gantry.yml, ".github/workflows/**"]
libraries:
  lib-b:
    paths: ["libs/b/**"]
  lib-a:
    paths: ["libs/a/**"]
    depends-on: [lib-b]
services:
  api:
    context: services/api
    ignore: ["**/*.md"]
    depends-on: [lib-a]
    platforms: [linux/amd64, linux/arm64]
    build-args: {PYTHON_VERSION: "3.12"}
  web:
    context: services/web
    dockerfile: ../../docker/web.Dockerfile
  worker:
    context: services/worker
    watch: ["proto/**"]
  spaced:
    context: "services/my api"
"#;

/// The files of the test monorepo.
pub const FILES: &[(&str, &str)] = &[
    ("gantry.yml", MANIFEST),
    ("README.md", "# shop\n"),
    ("services/api/Dockerfile", "FROM python:3.12\n"),
    ("services/api/main.py", "print('api')\n"),
    ("services/api/README.md", "# api\n"),
    ("services/web/index.html", "<h1>web</h1>\n"),
    ("docker/web.Dockerfile", "FROM nginx\n"),
    ("services/worker/Dockerfile", "FROM python:3.12\n"),
    ("services/worker/worker.py", "print('worker')\n"),
    ("proto/jobs.proto", "syntax = \"proto3\";\n"),
    ("libs/a/a.py", "A = 1\n"),
    ("libs/b/b.py", "B = 1\n"),
    ("services/my api/Dockerfile", "FROM scratch\n"),
    ("services/my api/main file.py", "print('spaced')\n"),
    (".github/workflows/ci.yml", "on: push\n"),
];

/// A directory holding repositories (and the git configuration the tests use).
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gitconfig"), "").unwrap();
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The environment every git and gantry-matrix process of the tests gets: no user or
    /// system configuration, fixed identities and dates.
    pub fn env(&self) -> Vec<(String, String)> {
        let config = self.path("gitconfig");
        [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("HOME", self.dir.path().display().to_string()),
            ("GIT_CONFIG_GLOBAL", config.display().to_string()),
            ("GIT_CONFIG_NOSYSTEM", "1".to_owned()),
            ("GIT_AUTHOR_NAME", "Gantry Test".to_owned()),
            ("GIT_AUTHOR_EMAIL", "test@gantry.invalid".to_owned()),
            ("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z".to_owned()),
            ("GIT_COMMITTER_NAME", "Gantry Test".to_owned()),
            ("GIT_COMMITTER_EMAIL", "test@gantry.invalid".to_owned()),
            ("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// A new repository `name` on branch `main` with the test monorepo committed.
    pub fn monorepo(&self, name: &str) -> Repo {
        let repo = self.repo(name);
        repo.write_all(FILES);
        repo.commit("initial");
        repo
    }

    /// A new, empty repository `name` on branch `main`.
    pub fn repo(&self, name: &str) -> Repo {
        let repo = Repo {
            dir: self.path(name),
            env: self.env(),
        };
        std::fs::create_dir_all(&repo.dir).unwrap();
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A work directory at `dir`, which need not be a repository.
    pub fn at(&self, dir: &Path) -> Repo {
        Repo {
            dir: dir.to_owned(),
            env: self.env(),
        }
    }

    /// A bare repository `name` (an `origin`), on branch `main`.
    pub fn bare(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        let env = self.env();
        git_in(
            self.dir.path(),
            &env,
            &["init", "-q", "--bare", "-b", "main", name],
        );
        dir
    }

    /// `git clone <args> file://<origin> <name>`.
    pub fn clone(&self, origin: &Path, name: &str, args: &[&str]) -> Repo {
        let url = format!("file://{}", origin.display());
        let mut all = vec!["clone", "-q"];
        all.extend_from_slice(args);
        all.extend([url.as_str(), name]);
        git_in(self.dir.path(), &self.env(), &all);
        Repo {
            dir: self.path(name),
            env: self.env(),
        }
    }
}

/// A work tree.
pub struct Repo {
    pub dir: PathBuf,
    env: Vec<(String, String)>,
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run ended with `code`, printed no report, and its stderr holds every one of
    /// `parts` and no panic.
    #[track_caller]
    pub fn assert_refused(&self, code: i32, parts: &[&str]) {
        assert_eq!(self.code, code, "{self:#?}");
        assert_eq!(self.stdout, "", "no report");
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "{part:?} missing from:\n{}",
                self.stderr
            );
        }
        assert!(!self.stderr.contains("internal error"), "{}", self.stderr);
    }

    /// stdout as the JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:#?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }
}

impl Repo {
    pub fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn write_all(&self, files: &[(&str, &str)]) {
        for (path, text) in files {
            self.write(path, text);
        }
    }

    /// Runs git; its trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir, &self.env, args)
    }

    /// Commits everything; the new SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.sha("HEAD")
    }

    pub fn sha(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev])
    }

    /// gantry-matrix in this work tree, with `env` added to the sandbox environment.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_gantry-matrix"))
            .args(args)
            .current_dir(&self.dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// `--format json` with `args`; the document.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        self.run(&all, &[]).json()
    }

    /// The reasons of the JSON document of a run with `args`, as (service, reason) pairs
    /// in manifest order.
    #[track_caller]
    pub fn reasons(&self, args: &[&str]) -> Vec<(String, String)> {
        reasons(&self.json(args))
    }
}

/// The `reasons` of a JSON document as pairs, checked against `services` and `count`.
#[track_caller]
pub fn reasons(document: &Value) -> Vec<(String, String)> {
    let pairs: Vec<(String, String)> = document["reasons"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(document["services"], serde_json::json!(names));
    assert_eq!(document["count"], names.len());
    pairs
}

/// `(service, reason)` pairs from string slices.
pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn git_in(dir: &Path, env: &[(String, String)], args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("git must be installed for these tests");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .trim_end()
        .to_owned()
}

/// A developer repository (`dev`) with the test monorepo on `main`, pushed to a bare
/// `origin.git`.
pub struct Remote {
    pub sandbox: Sandbox,
    pub dev: Repo,
    pub origin: PathBuf,
}

impl Remote {
    pub fn new() -> Self {
        Self::with(FILES)
    }

    /// The developer repository with `files` committed instead of the test monorepo.
    pub fn with(files: &[(&str, &str)]) -> Self {
        let sandbox = Sandbox::new();
        let dev = sandbox.repo("dev");
        dev.write_all(files);
        dev.commit("initial");
        let origin = sandbox.bare("origin.git");
        dev.git(&["remote", "add", "origin", &origin.display().to_string()]);
        dev.git(&["push", "-q", "origin", "main"]);
        Self {
            sandbox,
            dev,
            origin,
        }
    }

    /// Commits `files` on the current branch of `dev`; the SHA.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        self.dev.write_all(files);
        self.dev.commit(message)
    }

    pub fn push(&self, args: &[&str]) {
        let mut all = vec!["push", "-q", "origin"];
        all.extend_from_slice(args);
        self.dev.git(&all);
    }

    /// A CI checkout of `branch` (`clone_args` e.g. `--depth=1`).
    pub fn checkout(&self, branch: &str, clone_args: &[&str]) -> Repo {
        let mut args = vec!["--branch", branch];
        args.extend_from_slice(clone_args);
        let name = format!("ci-{}", branch.replace('/', "-"));
        self.sandbox.clone(&self.origin, &name, &args)
    }
}

/// A runner-like step: Actions on, empty output and summary files, an event payload.
pub struct Step {
    dir: tempfile::TempDir,
}

impl Step {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("output"), "").unwrap();
        std::fs::write(dir.path().join("summary"), "").unwrap();
        Self { dir }
    }

    /// Writes the event payload; its path.
    pub fn event(&self, payload: &Value) -> String {
        let path = self.dir.path().join("event.json");
        std::fs::write(&path, payload.to_string()).unwrap();
        path.display().to_string()
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The Actions variables, and `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            ("GITHUB_ACTIONS".to_owned(), "true".to_owned()),
            ("GITHUB_OUTPUT".to_owned(), self.file("output")),
            ("GITHUB_STEP_SUMMARY".to_owned(), self.file("summary")),
        ];
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env
    }

    /// Runs in `repo` as a step.
    pub fn run(&self, repo: &Repo, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let env = self.env(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        repo.run(args, &env)
    }

    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.file("summary")).unwrap()
    }

    /// The outputs written, read back with the runner's rules (`name=value` lines and
    /// `name<<DELIMITER` heredocs).
    pub fn outputs(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.file("output")).unwrap();
        let mut outputs = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            match (line.find('='), line.find("<<")) {
                (Some(eq), heredoc) if heredoc.is_none_or(|h| eq < h) => {
                    outputs.push((line[..eq].to_owned(), line[eq + 1..].to_owned()));
                }
                (_, Some(h)) => {
                    let delimiter = &line[h + 2..];
                    let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
                    outputs.push((line[..h].to_owned(), value.join("\n")));
                }
                _ => panic!("not an output line: {line:?}"),
            }
        }
        outputs
    }

    /// Output `name`, which must have been written once.
    #[track_caller]
    pub fn output(&self, name: &str) -> String {
        let found: Vec<String> = self
            .outputs()
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(found.len(), 1, "output {name}: {found:?}");
        found.into_iter().next().unwrap()
    }
}
