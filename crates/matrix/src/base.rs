//! Which commits to compare: a pure function of the event, the flags and what git answers
//! (through [`Commits`]), so every event rule is tested without a repository.
//!
//! | event | base | head |
//! |---|---|---|
//! | `--base B` | merge base of `B` and head (`B` itself when it is an ancestor) | `--head`, else as below |
//! | `push` | `before` | `after` |
//! | `push` creating a branch, forced, or with `before` unknown | merge base with the default branch | `after` |
//! | `push` forced to the default branch | `before` (the tip the last build saw) | `after` |
//! | `push` creating the default branch, or a tag | none: every service | `after` |
//! | `push` deleting a ref | nothing to build | — |
//! | `pull_request`, `pull_request_target` | merge base of `pull_request.base.sha` and head | `pull_request.head.sha` |
//! | `merge_group` | `merge_group.base_sha` | `merge_group.head_sha` |
//! | anything else | none: every service | `GITHUB_SHA`, else `HEAD` |
//!
//! A base that cannot be found (even after fetching, which [`Commits`] does) means every
//! service, with the reason in the note: never an empty matrix by accident.

use gantry_gha::event::{Event, is_zero_sha};

use crate::git::{is_full_sha, short};

/// What the run asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// `--base`.
    pub base: Option<&'a str>,
    /// `--head`.
    pub head: Option<&'a str>,
    /// The event, from the payload.
    pub event: Option<&'a Event>,
    /// The repository's default branch (`repository.default_branch` of the payload).
    pub default_branch: Option<&'a str>,
    /// `GITHUB_SHA` / `--sha`.
    pub sha: Option<&'a str>,
}

/// A commit to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rev<'a> {
    /// A revision as given: a SHA, a branch, `HEAD~2`, `origin/main`.
    Name(&'a str),
    /// A branch of the remote (`origin/<branch>`).
    Branch(&'a str),
}

/// What git knows, fetching what it lacks.
pub trait Commits {
    type Error;
    /// The full SHA of the commit `rev` names, if it can be found.
    fn commit(&mut self, rev: Rev<'_>) -> Result<Option<String>, Self::Error>;
    /// The merge base of two commits, if they have one.
    fn merge_base(&mut self, a: &str, b: &str) -> Result<Option<String>, Self::Error>;
}

/// The change set to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The files that differ between `base` and `head`.
    Diff { base: String, head: String },
    /// No usable base: every service is affected.
    Everything { head: Option<String> },
    /// Nothing can have changed (a deleted ref).
    Nothing,
}

/// The change set and, for people, where its base came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub change: Change,
    /// e.g. `merge base of origin/main and the new branch refs/heads/x`.
    pub note: String,
}

/// A SHA in the event payload that is not one: bad input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSha {
    /// Where in the payload, as `pull_request.head.sha`.
    pub field: &'static str,
    pub value: String,
}

/// Checks the payload SHAs gantry-matrix uses.
pub fn check_event(event: &Event) -> Result<(), BadSha> {
    let shas: Vec<(&'static str, &str)> = match event {
        Event::Push(push) => vec![("before", &push.before), ("after", &push.after)],
        Event::PullRequest(pr) | Event::PullRequestTarget(pr) => vec![
            ("pull_request.base.sha", &pr.pull_request.base.sha),
            ("pull_request.head.sha", &pr.pull_request.head.sha),
        ],
        Event::MergeGroup(group) => vec![
            ("merge_group.base_sha", &group.merge_group.base_sha),
            ("merge_group.head_sha", &group.merge_group.head_sha),
        ],
        _ => vec![],
    };
    match shas.into_iter().find(|(_, sha)| !is_full_sha(sha)) {
        Some((field, value)) => Err(BadSha {
            field,
            value: value.to_owned(),
        }),
        None => Ok(()),
    }
}

/// The head commit of `request` and how to name it; or, when there is none to build (a
/// deleted ref, a head that cannot be found), the resolution that says so.
pub fn head_commit<C: Commits>(
    request: &Request<'_>,
    git: &mut C,
) -> Result<Result<(String, String), Resolution>, C::Error> {
    if let Some(Event::Push(push)) = request.event
        && (push.deleted || is_zero_sha(&push.after))
    {
        return Ok(Err(Resolution {
            change: Change::Nothing,
            note: format!("the push deleted {}: nothing to build", push.git_ref),
        }));
    }
    let (head_rev, head_label) = head(request);
    Ok(match git.commit(Rev::Name(head_rev))? {
        Some(head) => Ok((head, head_label)),
        None => Err(everything(
            None,
            format!("cannot find the head commit {head_label}"),
        )),
    })
}

/// Resolves the change set for `request`.
pub fn resolve<C: Commits>(request: &Request<'_>, git: &mut C) -> Result<Resolution, C::Error> {
    let (head, head_label) = match head_commit(request, git)? {
        Ok(found) => found,
        Err(resolution) => return Ok(resolution),
    };
    let resolver = Resolver {
        git,
        head,
        head_label,
    };
    if let Some(base) = request.base {
        return resolver.merge_base_with(Rev::Name(base), &format!("{base} (--base)"), None);
    }
    match request.event {
        Some(Event::Push(push)) => {
            let on_default = push.branch().is_some() && push.branch() == request.default_branch;
            let before = (!push.before_is_zero()).then_some(push.before.as_str());
            if push.tag().is_some() {
                return Ok(resolver
                    .everything(format!("a tag push ({}) has no base commit", push.git_ref)));
            }
            // `before` is the base unless the push rewrote or created the branch; after a
            // forced push to the default branch it is still what the last build saw.
            if let Some(before) = before
                && (!push.forced || on_default)
                && let Some(base) = resolver.git.commit(Rev::Name(before))?
            {
                let note = if push.forced {
                    format!(
                        "forced push to the default branch: its previous tip {} (before)",
                        short(&base)
                    )
                } else {
                    format!("previous tip {} of {} (before)", short(&base), push.git_ref)
                };
                return Ok(resolver.diff(base, note));
            }
            let why = match before {
                None => format!("the push created {}", push.git_ref),
                Some(_) if push.forced => format!("forced push to {}", push.git_ref),
                Some(before) => format!(
                    "`before` {} is neither in the repository nor on {}",
                    short(before),
                    crate::git::REMOTE
                ),
            };
            if on_default {
                return Ok(resolver.everything(format!("{why}, the default branch: no base")));
            }
            let Some(default) = request.default_branch else {
                return Ok(resolver.everything(format!(
                    "{why}, and the default branch is unknown (the payload has no \
                     repository.default_branch)"
                )));
            };
            let label = format!("{}/{default}", crate::git::REMOTE);
            resolver.merge_base_with(Rev::Branch(default), &label, Some(&why))
        }
        Some(Event::PullRequest(pr) | Event::PullRequestTarget(pr)) => {
            let base = &pr.pull_request.base;
            let label = format!(
                "the pull request base {} ({})",
                base.branch,
                short(&base.sha)
            );
            resolver.merge_base_with(Rev::Name(&base.sha), &label, None)
        }
        Some(Event::MergeGroup(group)) => {
            let group = &group.merge_group;
            let Some(base) = resolver.git.commit(Rev::Name(&group.base_sha))? else {
                return Ok(resolver.everything(format!(
                    "cannot find the merge group base {}",
                    short(&group.base_sha)
                )));
            };
            let note = format!("merge group base {} (base_sha)", short(&base));
            Ok(resolver.diff(base, note))
        }
        Some(other) => Ok(resolver.everything(format!(
            "a {} event has no base commit (pass --base to compare with one)",
            other.name()
        ))),
        None => {
            Ok(resolver.everything("no event and no --base: nothing to compare with".to_owned()))
        }
    }
}

/// The head revision to look up and how to name it.
fn head<'a>(request: &Request<'a>) -> (&'a str, String) {
    if let Some(head) = request.head {
        return (head, head.to_owned());
    }
    let from_event = match request.event {
        Some(Event::Push(push)) => Some(push.after.as_str()),
        Some(Event::PullRequest(pr) | Event::PullRequestTarget(pr)) => {
            Some(pr.pull_request.head.sha.as_str())
        }
        Some(Event::MergeGroup(group)) => Some(group.merge_group.head_sha.as_str()),
        _ => None,
    };
    match from_event.or(request.sha) {
        Some(sha) => (sha, short(sha).to_owned()),
        None => ("HEAD", "HEAD".to_owned()),
    }
}

fn everything(head: Option<String>, note: String) -> Resolution {
    Resolution {
        change: Change::Everything { head },
        note,
    }
}

/// The steps after the head is known.
struct Resolver<'g, C> {
    git: &'g mut C,
    head: String,
    head_label: String,
}

impl<C: Commits> Resolver<'_, C> {
    fn diff(self, base: String, note: String) -> Resolution {
        Resolution {
            change: Change::Diff {
                base,
                head: self.head,
            },
            note,
        }
    }

    fn everything(self, note: String) -> Resolution {
        everything(Some(self.head), note)
    }

    /// Diff from the merge base of `rev` (named `label`) and the head; `why` prefixes the note.
    fn merge_base_with(
        self,
        rev: Rev<'_>,
        label: &str,
        why: Option<&str>,
    ) -> Result<Resolution, C::Error> {
        let prefix = why.map(|why| format!("{why}: ")).unwrap_or_default();
        let Some(base) = self.git.commit(rev)? else {
            return Ok(self.everything(format!("{prefix}cannot find {label}")));
        };
        let Some(merge_base) = self.git.merge_base(&base, &self.head)? else {
            let note = format!("{prefix}{label} and {} have no merge base", self.head_label);
            return Ok(self.everything(note));
        };
        let note = format!("{prefix}merge base of {label} and {}", self.head_label);
        Ok(self.diff(merge_base, note))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::convert::Infallible;

    use gantry_gha::event::{
        BranchTip, MergeGroup, MergeGroupEvent, PullRequest, PullRequestEvent, PushEvent,
        ScheduleEvent, ZERO_SHA,
    };

    use super::*;

    /// A repository with named commits, remote branches and merge bases.
    #[derive(Default)]
    struct FakeRepo {
        commits: HashMap<String, String>,
        merge_bases: HashMap<(String, String), String>,
        looked_up: Vec<String>,
    }

    impl FakeRepo {
        fn with(mut self, rev: &str, sha: &str) -> Self {
            self.commits.insert(rev.into(), sha.into());
            self
        }
        fn merge_base(mut self, a: &str, b: &str, base: &str) -> Self {
            self.merge_bases.insert((a.into(), b.into()), base.into());
            self
        }
    }

    impl Commits for FakeRepo {
        type Error = Infallible;
        fn commit(&mut self, rev: Rev<'_>) -> Result<Option<String>, Infallible> {
            let key = match rev {
                Rev::Name(name) => name.to_owned(),
                Rev::Branch(branch) => format!("origin/{branch}"),
            };
            self.looked_up.push(key.clone());
            Ok(self.commits.get(&key).cloned())
        }
        fn merge_base(&mut self, a: &str, b: &str) -> Result<Option<String>, Infallible> {
            Ok(self.merge_bases.get(&(a.into(), b.into())).cloned())
        }
    }

    fn sha(c: char) -> String {
        c.to_string().repeat(40)
    }

    fn push(before: &str, forced: bool, git_ref: &str) -> Event {
        Event::Push(PushEvent {
            git_ref: git_ref.into(),
            before: before.into(),
            after: sha('a'),
            created: before == ZERO_SHA,
            deleted: false,
            forced,
            base_ref: None,
            commits: vec![],
            head_commit: None,
        })
    }

    fn run(request: Request<'_>, repo: &mut FakeRepo) -> Resolution {
        let Ok(resolution) = resolve(&request, repo);
        resolution
    }

    fn diff(base: &str, head: &str) -> Change {
        Change::Diff {
            base: base.into(),
            head: head.into(),
        }
    }

    /// head `a`, previous tip `b`, origin/main `m`, merge base of main and head `c`.
    fn repo() -> FakeRepo {
        FakeRepo::default()
            .with(&sha('a'), &sha('a'))
            .with(&sha('b'), &sha('b'))
            .with("origin/main", &sha('m'))
            .merge_base(&sha('m'), &sha('a'), &sha('c'))
    }

    fn on_main(event: &Event) -> Request<'_> {
        Request {
            event: Some(event),
            default_branch: Some("main"),
            ..Request::default()
        }
    }

    #[test]
    fn a_push_diffs_from_before() {
        let event = push(&sha('b'), false, "refs/heads/feature");
        let resolution = run(on_main(&event), &mut repo());
        assert_eq!(resolution.change, diff(&sha('b'), &sha('a')));
        assert_eq!(
            resolution.note,
            "previous tip bbbbbbb of refs/heads/feature (before)"
        );
    }

    #[test]
    fn a_new_branch_diffs_from_the_merge_base_with_the_default_branch() {
        let event = push(ZERO_SHA, false, "refs/heads/feature");
        let resolution = run(on_main(&event), &mut repo());
        assert_eq!(resolution.change, diff(&sha('c'), &sha('a')));
        assert_eq!(
            resolution.note,
            "the push created refs/heads/feature: merge base of origin/main and aaaaaaa"
        );
    }

    #[test]
    fn a_forced_push_ignores_before_except_on_the_default_branch() {
        let event = push(&sha('b'), true, "refs/heads/feature");
        let mut fake = repo();
        let resolution = run(on_main(&event), &mut fake);
        assert_eq!(resolution.change, diff(&sha('c'), &sha('a')));
        assert!(!fake.looked_up.contains(&sha('b')), "{:?}", fake.looked_up);
        assert_eq!(
            resolution.note,
            "forced push to refs/heads/feature: merge base of origin/main and aaaaaaa"
        );

        let event = push(&sha('b'), true, "refs/heads/main");
        let resolution = run(on_main(&event), &mut repo());
        assert_eq!(resolution.change, diff(&sha('b'), &sha('a')));
        assert_eq!(
            resolution.note,
            "forced push to the default branch: its previous tip bbbbbbb (before)"
        );
    }

    #[test]
    fn an_unknown_before_falls_back_to_the_merge_base() {
        let event = push(&sha('e'), false, "refs/heads/feature");
        let resolution = run(on_main(&event), &mut repo());
        assert_eq!(resolution.change, diff(&sha('c'), &sha('a')));
        assert_eq!(
            resolution.note,
            "`before` eeeeeee is neither in the repository nor on origin: merge base of \
             origin/main and aaaaaaa"
        );
    }

    #[test]
    fn pushes_without_a_usable_base_build_everything() {
        let everything = Change::Everything {
            head: Some(sha('a')),
        };
        for (event, default_branch, note) in [
            (
                push(ZERO_SHA, false, "refs/heads/main"),
                Some("main"),
                "the push created refs/heads/main, the default branch: no base",
            ),
            (
                push(ZERO_SHA, false, "refs/tags/v1.0.0"),
                Some("main"),
                "a tag push (refs/tags/v1.0.0) has no base commit",
            ),
            (
                push(&sha('e'), true, "refs/heads/main"),
                Some("main"),
                "forced push to refs/heads/main, the default branch: no base",
            ),
            (
                push(ZERO_SHA, false, "refs/heads/x"),
                None,
                "the push created refs/heads/x, and the default branch is unknown (the \
                 payload has no repository.default_branch)",
            ),
            (
                push(ZERO_SHA, false, "refs/heads/x"),
                Some("trunk"),
                "the push created refs/heads/x: cannot find origin/trunk",
            ),
            (
                push(ZERO_SHA, false, "refs/heads/x"),
                Some("orphan"),
                "the push created refs/heads/x: origin/orphan and aaaaaaa have no merge base",
            ),
        ] {
            let request = Request {
                event: Some(&event),
                default_branch,
                ..Request::default()
            };
            let resolution = run(request, &mut repo().with("origin/orphan", &sha('o')));
            assert_eq!(resolution.change, everything, "{note}");
            assert_eq!(resolution.note, note);
        }
    }

    #[test]
    fn a_deleted_ref_has_nothing_to_build() {
        let Event::Push(mut deleted) = push(&sha('b'), false, "refs/heads/gone") else {
            unreachable!()
        };
        deleted.after = ZERO_SHA.into();
        deleted.deleted = true;
        let event = Event::Push(deleted);
        let resolution = run(on_main(&event), &mut FakeRepo::default());
        assert_eq!(resolution.change, Change::Nothing);
        assert_eq!(
            resolution.note,
            "the push deleted refs/heads/gone: nothing to build"
        );
    }

    fn pull_request() -> Event {
        Event::PullRequest(PullRequestEvent {
            action: Some("synchronize".into()),
            number: 7,
            pull_request: PullRequest {
                base: BranchTip {
                    branch: "main".into(),
                    sha: sha('b'),
                },
                head: BranchTip {
                    branch: "feature".into(),
                    sha: sha('h'),
                },
            },
        })
    }

    #[test]
    fn a_pull_request_diffs_its_head_from_the_merge_base() {
        let event = pull_request();
        let mut fake = FakeRepo::default()
            .with(&sha('b'), &sha('b'))
            .with(&sha('h'), &sha('h'))
            .merge_base(&sha('b'), &sha('h'), &sha('c'));
        let request = Request {
            sha: Some(&"f".repeat(40)), // the test merge commit: not the head
            ..on_main(&event)
        };
        let resolution = run(request, &mut fake);
        assert_eq!(resolution.change, diff(&sha('c'), &sha('h')));
        assert_eq!(
            resolution.note,
            "merge base of the pull request base main (bbbbbbb) and hhhhhhh"
        );
    }

    #[test]
    fn a_merge_group_diffs_from_base_sha() {
        let event = Event::MergeGroup(MergeGroupEvent {
            merge_group: MergeGroup {
                base_sha: sha('b'),
                head_sha: sha('a'),
                base_ref: "refs/heads/main".into(),
                head_ref: "refs/heads/gh-readonly-queue/main/pr-7-x".into(),
            },
        });
        let resolution = run(on_main(&event), &mut repo());
        assert_eq!(resolution.change, diff(&sha('b'), &sha('a')));
        assert_eq!(resolution.note, "merge group base bbbbbbb (base_sha)");

        let resolution = run(
            on_main(&event),
            &mut FakeRepo::default().with(&sha('a'), &sha('a')),
        );
        assert_eq!(resolution.note, "cannot find the merge group base bbbbbbb");
        assert_eq!(
            resolution.change,
            Change::Everything {
                head: Some(sha('a'))
            }
        );
    }

    #[test]
    fn other_events_and_no_event_build_everything() {
        let event = Event::Schedule(ScheduleEvent {
            schedule: "0 3 * * *".into(),
        });
        let mut fake = FakeRepo::default().with("HEAD", &sha('a'));
        let resolution = run(on_main(&event), &mut fake);
        assert_eq!(
            resolution.change,
            Change::Everything {
                head: Some(sha('a'))
            }
        );
        assert_eq!(
            resolution.note,
            "a schedule event has no base commit (pass --base to compare with one)"
        );
        let resolution = run(Request::default(), &mut fake);
        assert_eq!(
            resolution.note,
            "no event and no --base: nothing to compare with"
        );
    }

    #[test]
    fn the_base_flag_wins_and_uses_the_merge_base() {
        let event = pull_request();
        let mut fake = FakeRepo::default()
            .with("HEAD", &sha('a'))
            .with("origin/main", &sha('m'))
            .with("v1", &sha('v'))
            .merge_base(&sha('m'), &sha('a'), &sha('c'))
            .merge_base(&sha('v'), &sha('a'), &sha('v'));
        let request = Request {
            base: Some("origin/main"),
            head: Some("HEAD"),
            ..on_main(&event)
        };
        let resolution = run(request, &mut fake);
        assert_eq!(resolution.change, diff(&sha('c'), &sha('a')));
        assert_eq!(
            resolution.note,
            "merge base of origin/main (--base) and HEAD"
        );

        let request = Request {
            base: Some("v1"),
            head: Some("HEAD"),
            ..Request::default()
        };
        let resolution = run(request, &mut fake);
        assert_eq!(resolution.change, diff(&sha('v'), &sha('a')));
        assert_eq!(resolution.note, "merge base of v1 (--base) and HEAD");

        let request = Request {
            base: Some("nope"),
            ..Request::default()
        };
        let resolution = run(request, &mut fake);
        assert_eq!(resolution.note, "cannot find nope (--base)");
        assert_eq!(
            resolution.change,
            Change::Everything {
                head: Some(sha('a'))
            }
        );
    }

    #[test]
    fn a_missing_head_builds_everything_without_a_head() {
        let resolution = run(
            Request {
                base: Some("HEAD~1"),
                head: Some("nope"),
                ..Request::default()
            },
            &mut FakeRepo::default(),
        );
        assert_eq!(resolution.change, Change::Everything { head: None });
        assert_eq!(resolution.note, "cannot find the head commit nope");
    }

    #[test]
    fn payload_shas_are_checked() {
        assert_eq!(check_event(&push(&sha('b'), false, "refs/heads/x")), Ok(()));
        assert_eq!(check_event(&push(ZERO_SHA, false, "refs/heads/x")), Ok(()));
        assert_eq!(
            check_event(&push("main", false, "refs/heads/x")),
            Err(BadSha {
                field: "before",
                value: "main".into()
            })
        );
        let Event::PullRequest(mut pr) = pull_request() else {
            unreachable!()
        };
        pr.pull_request.head.sha = "abc".into();
        assert_eq!(
            check_event(&Event::PullRequest(pr)).unwrap_err().field,
            "pull_request.head.sha"
        );
    }
}
