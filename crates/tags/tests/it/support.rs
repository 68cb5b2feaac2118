//! Running the gantry-tags binary in a controlled environment, as a workflow step would.

use std::path::{Path, PathBuf};
use std::process::Command;

use gantry_testkit::process::parse_outputs;
use tempfile::TempDir;

/// A gantry-tags invocation: arguments and environment, with nothing inherited but `PATH`.
pub struct Step {
    args: Vec<String>,
    env: Vec<(String, String)>,
    actions: bool,
    cwd: Option<PathBuf>,
    pub dir: TempDir,
}

/// What a finished step left behind.
pub struct Finished {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// `$GITHUB_OUTPUT` as the runner reads it.
    pub outputs: Vec<(String, String)>,
    /// `$GITHUB_ENV` as the runner reads it.
    pub exported: Vec<(String, String)>,
    pub summary: String,
    /// The run's temporary directory (also `RUNNER_TEMP`'s parent).
    pub dir: TempDir,
}

impl Finished {
    pub fn output(&self, name: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `text` with the temporary directory and the bake directory's random name replaced.
    pub fn redact_paths(&self, text: &str) -> String {
        let text = text.replace(&self.dir.path().display().to_string(), "[TMP]");
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("gantry-tags-") {
            out.push_str(&rest[..at]);
            out.push_str("gantry-tags-[RANDOM]");
            let after = &rest[at + "gantry-tags-".len()..];
            let end = after
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(after.len());
            rest = &after[end..];
        }
        out.push_str(rest);
        out
    }
}

impl Step {
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            actions: false,
            cwd: None,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Run as an Actions step: `GITHUB_ACTIONS=true` and the runner's files.
    pub fn actions(mut self) -> Self {
        self.actions = true;
        self
    }

    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_owned());
        self
    }

    /// The event and its payload from `fixtures/payloads/<file>`.
    pub fn event(self, name: &str, file: &str) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it/fixtures/payloads")
            .join(file);
        self.env("GITHUB_EVENT_NAME", name)
            .env("GITHUB_EVENT_PATH", &path.display().to_string())
    }

    pub fn run(self) -> Finished {
        let root = self.dir.path();
        let file = |name: &str| {
            let path = root.join(name);
            std::fs::write(&path, "").unwrap();
            path.display().to_string()
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_gantry-tags"));
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", root)
            .env("TMPDIR", root)
            .current_dir(self.cwd.as_deref().unwrap_or(root));
        if self.actions {
            let runner_temp = root.join("runner-temp");
            std::fs::create_dir_all(&runner_temp).unwrap();
            command
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_OUTPUT", file("output"))
                .env("GITHUB_ENV", file("env"))
                .env("GITHUB_STEP_SUMMARY", file("summary"))
                .env("RUNNER_TEMP", runner_temp);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let output = command.output().unwrap();
        let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
        Finished {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs: parse_outputs(&read("output")),
            exported: parse_outputs(&read("env")),
            summary: read("summary"),
            dir: self.dir,
        }
    }
}

/// A git repository in `dir` on branch `main`, with one commit per message, the n-th
/// committed on 2024-05-0n at 12:00 (+02:00).
pub fn git_repo(dir: &Path, commits: &[&str]) {
    git(dir, &["init", "-q", "-b", "main"]);
    for (index, message) in commits.iter().enumerate() {
        std::fs::write(dir.join("file"), message).unwrap();
        git(dir, &["add", "file"]);
        let date = format!("2024-05-0{}T12:00:00+02:00", index + 1);
        git_at(dir, &["commit", "-q", "-m", message], &date);
    }
}

/// Runs git in `dir`, returning its trimmed output; the test fails if git does.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_at(dir, args, "2024-06-01T12:00:00+02:00")
}

/// [`git`] with commits dated `date` and a fixed identity, whatever the machine's config.
fn git_at(dir: &Path, args: &[&str], date: &str) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git must be installed for these tests");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
