//! [`Commits`] over a real repository: looks commits up, and fetches from `origin` what a
//! shallow or partial checkout lacks (the default `actions/checkout` has one commit).
//!
//! - A missing commit is fetched by SHA (`--depth=1` in a shallow clone), a missing remote
//!   branch by name.
//! - A merge base that the shallow history does not reach is found by fetching both sides
//!   deeper, doubling the depth from [`INITIAL_DEPTH`] up to [`MAX_DEPTH`], then by
//!   `--unshallow` as a last resort.
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

    fn depth_one(&self) -> Result<Option<&'static str>, GitError> {
        Ok(self.git.is_shallow()?.then_some("--depth=1"))
    }
}

impl Commits for History<'_> {
    type Error = GitError;

    fn commit(&mut self, rev: Rev<'_>) -> Result<Option<String>, GitError> {
        let (local, refspec) = match rev {
            Rev::Name(name) => {
                if let Some(branch) = name.strip_prefix(&format!("{REMOTE}/")) {
                    (name.to_owned(), Some(branch_refspec(branch)))
                } else {
                    let fetchable = is_full_sha(name);
                    (name.to_owned(), fetchable.then(|| name.to_owned()))
                }
            }
            Rev::Branch(branch) => (
                format!("refs/remotes/{REMOTE}/{branch}"),
                Some(branch_refspec(branch)),
            ),
        };
        if let Some(sha) = self.git.commit(&local)? {
            return Ok(Some(sha));
        }
        let Some(refspec) = refspec else {
            return Ok(None);
        };
        let mut args: Vec<&str> = self.depth_one()?.into_iter().collect();
        args.extend([REMOTE, &refspec]);
        if !self.fetch(&args, &format!("{local} is not in the checkout"))? {
            return Ok(None);
        }
        self.git.commit(&local)
    }

    fn merge_base(&mut self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        if let Some(base) = self.git.merge_base(a, b)? {
            return Ok(Some(base));
        }
        let why = "looking for the merge base";
        let mut depth = INITIAL_DEPTH;
        while self.git.is_shallow()? && depth <= MAX_DEPTH {
            let depth_arg = format!("--depth={depth}");
            if !self.fetch(&[&depth_arg, REMOTE, a, b], why)? {
                break;
            }
            if let Some(base) = self.git.merge_base(a, b)? {
                return Ok(Some(base));
            }
            depth *= 2;
        }
        if !self.git.is_shallow()? {
            // The whole history is here: the commits really have no merge base.
            return Ok(None);
        }
        // Last resort: the whole history of every branch.
        self.fetch(&["--unshallow", REMOTE], why)?;
        self.git.merge_base(a, b)
    }
}

fn branch_refspec(branch: &str) -> String {
    format!("+refs/heads/{branch}:refs/remotes/{REMOTE}/{branch}")
}
