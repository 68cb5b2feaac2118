//! [`Commits`] over a real repository: looks commits up, and fetches from `origin` what a
//! shallow or partial checkout lacks (the default `actions/checkout` has one commit).
//!
//! - A missing commit is fetched by SHA (`--depth=1` in a shallow clone), a missing remote
//!   branch by name. A branch or tag name that the checkout lacks (`--base main` in an
//!   actions/checkout clone, which has no local `main`; `--base v1.0.0` in a depth-1 clone)
//!   is looked up on `origin`: its branch first, then its tag.
//! - A merge base (or, for `--since-last-build`, a service's last build) that the shallow
//!   history does not reach is found by fetching deeper ([`Deepening`]), doubling the depth
//!   from [`INITIAL_DEPTH`] up to [`MAX_DEPTH`], then by `--unshallow` as a last resort.
//!
//! Every fetch is logged in its own `::group::`. A fetch that fails is an answer ("not
//! found"), not an error.

use gantry_gha::Runtime;

use crate::base::{Commits, Rev};
use crate::git::{Git, GitError, REMOTE, is_full_sha};

/// The first depth fetched when looking for a merge base.
pub const INITIAL_DEPTH: u32 = 100;
/// The deepest fetch before giving up and fetching the whole history.
pub const MAX_DEPTH: u32 = 6400;

/// A repository that fetches what it lacks.
pub struct History<'a> {
    git: &'a Git,
    runtime: &'a Runtime,
}

impl<'a> History<'a> {
    pub fn new(git: &'a Git, runtime: &'a Runtime) -> Self {
        Self { git, runtime }
    }

    /// `git fetch <args>` in a log group; whether it worked.
    fn fetch(&self, args: &[&str], why: &str) -> Result<bool, GitError> {
        let _group = self
            .runtime
            .group(&format!("git fetch {} ({why})", args.join(" ")));
        let fetched = self.git.fetch(args)?;
        if !fetched.stderr.is_empty() {
            self.runtime.echo_untrusted(&fetched.stderr);
        }
        if !fetched.ok {
            self.runtime.info("the fetch failed");
        }
        Ok(fetched.ok)
    }

    /// Fetches `refspec` (one commit deep in a shallow clone), then looks up `local`.
    fn fetch_one(
        &self,
        refspec: &str,
        local: &str,
        asked: &str,
    ) -> Result<Option<String>, GitError> {
        let mut args: Vec<&str> = self
            .git
            .is_shallow()?
            .then_some("--depth=1")
            .into_iter()
            .collect();
        args.extend([REMOTE, refspec]);
        if !self.fetch(&args, &format!("{asked} is not in the checkout"))? {
            return Ok(None);
        }
        self.git.commit(local)
    }

    /// The commit of the remote's branch or tag `name` (asked for as `asked`): from the
    /// checkout's copy of it, else fetched.
    fn remote_ref(
        &self,
        name: &str,
        kind: &Remote,
        asked: &str,
    ) -> Result<Option<String>, GitError> {
        let (local, refspec) = kind.local_and_refspec(name);
        match self.git.commit(&local)? {
            Some(sha) => Ok(Some(sha)),
            None => self.fetch_one(&refspec, &local, asked),
        }
    }

    /// Deepening the checkout, for `why` (logged with each fetch).
    pub fn deepening(&self, why: &'static str) -> Deepening<'_, 'a> {
        Deepening {
            history: self,
            why,
            depth: INITIAL_DEPTH,
            unshallowed: false,
        }
    }
}

impl Commits for History<'_> {
    type Error = GitError;

    fn commit(&mut self, rev: Rev<'_>) -> Result<Option<String>, GitError> {
        let name = match rev {
            Rev::Name(name) => name,
            Rev::Branch(branch) => {
                return self.remote_ref(branch, &Remote::Branch, &format!("{REMOTE}/{branch}"));
            }
        };
        if let Some(sha) = self.git.commit(name)? {
            return Ok(Some(sha));
        }
        if let Some(branch) = name.strip_prefix(&format!("{REMOTE}/")) {
            return self.remote_ref(branch, &Remote::Branch, name);
        }
        if is_full_sha(name) {
            return self.fetch_one(name, name, name);
        }
        if !is_ref_name(name) {
            return Ok(None);
        }
        // A name the checkout lacks: the remote's branch, else its tag.
        let (kinds, short): (&[Remote], &str) =
            if let Some(branch) = name.strip_prefix("refs/heads/") {
                (&[Remote::Branch], branch)
            } else if let Some(tag) = name.strip_prefix("refs/tags/") {
                (&[Remote::Tag], tag)
            } else {
                (&[Remote::Branch, Remote::Tag], name)
            };
        for kind in kinds {
            if let Some(sha) = self.remote_ref(short, kind, name)? {
                return Ok(Some(sha));
            }
        }
        Ok(None)
    }

    fn merge_base(&mut self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        if let Some(base) = self.git.merge_base(a, b)? {
            return Ok(Some(base));
        }
        let mut deepening = self.deepening("looking for the merge base");
        while deepening.next(&[a, b])? {
            if let Some(base) = self.git.merge_base(a, b)? {
                return Ok(Some(base));
            }
        }
        // The whole history is here: the commits really have no merge base.
        Ok(None)
    }
}

/// Fetches more and more of a shallow checkout's history.
pub struct Deepening<'h, 'a> {
    history: &'h History<'a>,
    why: &'static str,
    depth: u32,
    unshallowed: bool,
}

impl Deepening<'_, '_> {
    /// Fetches `commits` deeper: both sides' history to depth 100, 200, 400 … 6,400, then,
    /// as a last resort, the whole history of every branch. `false` once there is nothing
    /// more to fetch (the checkout is complete, or the last resort was taken).
    pub fn next(&mut self, commits: &[&str]) -> Result<bool, GitError> {
        if !self.history.git.is_shallow()? {
            return Ok(false);
        }
        if self.depth <= MAX_DEPTH {
            let depth = format!("--depth={}", self.depth);
            self.depth *= 2;
            let mut args = vec![depth.as_str(), REMOTE];
            args.extend_from_slice(commits);
            if self.history.fetch(&args, self.why)? {
                return Ok(true);
            }
            self.depth = MAX_DEPTH + 1;
        }
        if std::mem::replace(&mut self.unshallowed, true) {
            return Ok(false);
        }
        self.history.fetch(&["--unshallow", REMOTE], self.why)?;
        Ok(true)
    }
}

/// A ref of the remote, by kind.
enum Remote {
    Branch,
    Tag,
}

impl Remote {
    /// Where the ref lands locally, and the refspec that fetches it there.
    fn local_and_refspec(&self, name: &str) -> (String, String) {
        match self {
            Remote::Branch => {
                let local = format!("refs/remotes/{REMOTE}/{name}");
                let refspec = format!("+refs/heads/{name}:{local}");
                (local, refspec)
            }
            Remote::Tag => {
                let local = format!("refs/tags/{name}");
                (local.clone(), format!("+{local}:{local}"))
            }
        }
    }
}

/// Whether `name` could be a branch or tag name (not `HEAD~2`, `a..b` or an option).
fn is_ref_name(name: &str) -> bool {
    !name.is_empty()
        && name != "HEAD"
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.contains("..")
        && !name.contains("@{")
        && !name
            .chars()
            .any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c))
}
