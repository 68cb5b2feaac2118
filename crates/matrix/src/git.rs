//! The git CLI, run as a user would run it: no libgit2, so shallow clones, credentials set
//! up by actions/checkout, `safe.directory` and every other git setting behave as they do
//! for the workflow's own `git` steps.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The remote gantry fetches missing history from.
pub const REMOTE: &str = "origin";

/// git could not be used at all (as opposed to a commit that cannot be found).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GitError {
    /// No `git` on `PATH`.
    #[error("git is not installed (or not on PATH)")]
    #[diagnostic(
        code(gantry::matrix::git_missing),
        help("gantry-matrix reads the change set with the git CLI; install git")
    )]
    NotInstalled,
    /// git could not be started for another reason.
    #[error("cannot run git: {0}")]
    #[diagnostic(code(gantry::matrix::git_spawn))]
    Spawn(#[source] std::io::Error),
    /// The manifest is not inside a git work tree.
    #[error("{} is not inside a git repository", dir.display())]
    #[diagnostic(
        code(gantry::matrix::not_a_repository),
        help(
            "check out the repository first (actions/checkout), or pass --all or --services to \
             choose services without a change set"
        )
    )]
    NotARepository { dir: PathBuf },
    /// git refuses the repository because another user owns it (containers, actions/checkout).
    #[error("git refuses the repository at {}: it is owned by another user", dir.display())]
    #[diagnostic(
        code(gantry::matrix::dubious_ownership),
        help(
            "this happens in container jobs, where actions/checkout runs as another user; mark \
             the checkout as safe first: `git config --global --add safe.directory \"$GITHUB_WORKSPACE\"`"
        )
    )]
    DubiousOwnership { dir: PathBuf },
    /// Any other failure.
    #[error("`{command}` failed ({status}): {stderr}")]
    #[diagnostic(code(gantry::matrix::git_failed))]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
}

/// A git work tree, addressed through the directory holding the manifest.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

/// What a `git fetch` said.
#[derive(Debug)]
pub struct Fetched {
    pub ok: bool,
    /// git's messages (it reports progress and errors on stderr).
    pub stderr: String,
}

impl Git {
    /// git run in `dir` (any directory inside the work tree).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory git runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where [`Git::dir`] is below the top of the work tree, with a trailing `/` (empty at the
    /// top). Also the first call, so it reports an unusable repository.
    pub fn show_prefix(&self) -> Result<String, GitError> {
        let output = self.checked(&["rev-parse", "--show-prefix"])?;
        Ok(stdout_line(&output))
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        let output = self.checked(&["rev-parse", "--is-shallow-repository"])?;
        Ok(stdout_line(&output) == "true")
    }

    /// The full SHA of the commit `rev` names, if this repository has it.
    pub fn commit(&self, rev: &str) -> Result<Option<String>, GitError> {
        let peeled = format!("{rev}^{{commit}}");
        let args = [
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &peeled,
        ];
        let output = self.run(&args)?;
        Ok(output.status.success().then(|| stdout_line(&output)))
    }

    /// The merge base of two commits, if they have one in the local history.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        let output = self.run(&["merge-base", "--end-of-options", a, b])?;
        match output.status.code() {
            Some(0) => Ok(Some(stdout_line(&output))),
            // 1: no merge base (or, in a shallow clone, none within the fetched history).
            Some(1) => Ok(None),
            _ => Err(self.failure(&["merge-base", a, b], &output)),
        }
    }

    /// `git fetch --no-tags --no-recurse-submodules <args>`. A failed fetch is an answer
    /// (the commit is not on the remote, no network), not an error.
    pub fn fetch(&self, args: &[&str]) -> Result<Fetched, GitError> {
        let mut all = vec!["fetch", "--no-tags", "--no-recurse-submodules"];
        all.extend_from_slice(args);
        let output = self.run(&all)?;
        self.refused(&output)?;
        Ok(Fetched {
            ok: output.status.success(),
            stderr: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_owned(),
        })
    }

    /// Up to `count` commits of `head`'s history, newest first (`head` itself first), as full
    /// SHAs; fewer when the (possibly shallow) history ends.
    pub fn ancestors(&self, head: &str, count: usize) -> Result<Vec<String>, GitError> {
        let count = format!("--max-count={count}");
        let output = self.checked(&["rev-list", &count, "--end-of-options", head, "--"])?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// The files that differ between two commits, as paths from the top of the work tree,
    /// in git's order. A rename is the old path and the new one; any byte is allowed in a
    /// name (names that are not UTF-8 are converted lossily).
    pub fn changed_files(&self, base: &str, head: &str) -> Result<Vec<String>, GitError> {
        let args = [
            "-c",
            "diff.relative=false",
            "diff",
            "--name-only",
            "--no-renames",
            "-z",
            base,
            head,
            "--",
        ];
        let output = self.checked(&args)?;
        Ok(split_nul(&output.stdout))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.dir)
            .args(["-c", "core.quotepath=off"])
            .args(args)
            // Never wait for a password that nobody will type; English messages to read.
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env_remove("LANGUAGE");
        command
    }

    fn run(&self, args: &[&str]) -> Result<Output, GitError> {
        tracing::debug!("git {}", args.join(" "));
        self.command(args).output().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                GitError::NotInstalled
            } else {
                GitError::Spawn(e)
            }
        })
    }

    /// Runs git and requires success.
    fn checked(&self, args: &[&str]) -> Result<Output, GitError> {
        let output = self.run(args)?;
        self.refused(&output)?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(self.failure(args, &output))
        }
    }

    /// The errors that make every other git command fail too, read from git's stderr.
    fn refused(&self, output: &Output) -> Result<(), GitError> {
        match refusal(&String::from_utf8_lossy(&output.stderr), &self.dir) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn failure(&self, args: &[&str], output: &Output) -> GitError {
        if let Err(refused) = self.refused(output) {
            return refused;
        }
        GitError::Failed {
            command: format!("git {}", args.join(" ")),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }
    }
}

/// The error git's `stderr` (in the C locale) reports about the repository itself, if any.
fn refusal(stderr: &str, dir: &Path) -> Option<GitError> {
    let dir = dir.to_owned();
    if stderr.contains("detected dubious ownership") {
        Some(GitError::DubiousOwnership { dir })
    } else if stderr.contains("not a git repository") {
        Some(GitError::NotARepository { dir })
    } else {
        None
    }
}

fn stdout_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

/// NUL-terminated names (`-z` output).
pub fn split_nul(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect()
}

/// `true` for a full commit SHA: 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.
pub fn is_full_sha(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first 7 characters of a SHA, as git abbreviates them.
pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_separated_names_keep_every_character() {
        assert_eq!(
            split_nul(b"a b/c.txt\0\xc3\xa9t\xc3\xa9/x\0new\nline\0"),
            ["a b/c.txt", "été/x", "new\nline"]
        );
        assert!(split_nul(b"").is_empty());
        assert_eq!(split_nul(b"bad\xff\0"), ["bad\u{fffd}"]);
    }

    #[test]
    fn refusals_are_recognised_in_git_messages() {
        // git 2.47, running as root in a checkout owned by another user.
        let dubious = "fatal: detected dubious ownership in repository at '/w/r'\nTo add an \
                       exception for this directory, call:\n\n\tgit config --global --add \
                       safe.directory /w/r\n";
        let error = refusal(dubious, Path::new("/w/r")).unwrap();
        assert!(matches!(error, GitError::DubiousOwnership { .. }));
        let help = miette::Diagnostic::help(&error).unwrap().to_string();
        assert!(help.contains("safe.directory"), "{help}");
        let outside = "fatal: not a git repository (or any of the parent directories): .git\n";
        assert!(matches!(
            refusal(outside, Path::new(".")),
            Some(GitError::NotARepository { .. })
        ));
        assert!(refusal("fatal: bad revision 'x'", Path::new(".")).is_none());
    }

    #[test]
    fn full_shas() {
        assert!(is_full_sha(&"a".repeat(40)));
        assert!(is_full_sha(&"0".repeat(64)));
        assert!(!is_full_sha("abc1234"));
        assert!(!is_full_sha(&"g".repeat(40)));
        assert_eq!(short("0123456789abcdef"), "0123456");
        assert_eq!(short("012"), "012");
    }
}
