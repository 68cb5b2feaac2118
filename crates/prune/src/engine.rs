//! Runs a prune over a [`Backend`]: per package list, read what the planner needs, plan, and
//! (with `apply`) delete wave by wave, paced, within the rate-limit budget.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use jiff::Timestamp;

use crate::backend::{ApiCalls, Backend};
use crate::error::{DELETE_FIX, PruneError};
use crate::github::Deleted;
use crate::model::{ManifestFacts, Version, label};
use crate::plan::{self, Decided, Decision, Knowledge, Reason, ReasonKind};
use crate::rules::Rules;

/// GitHub's secondary limit: 900 points a minute per endpoint, 5 per DELETE.
pub const GITHUB_DELETES_PER_MINUTE: u32 = 180;
/// GitHub's secondary limit on concurrent requests.
pub const GITHUB_MAX_IN_FLIGHT: usize = 100;
/// Manifest reads in flight (each counts as a download on ghcr.io).
pub const READ_CONCURRENCY: usize = 16;
/// How often progress is logged during long deletes.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rules: Rules,
    /// Delete; without it the plan is the report.
    pub apply: bool,
    /// Anchors `--older-than`.
    pub now: Timestamp,
    /// Pacing of deletes; `None` leaves them unpaced.
    pub deletes_per_minute: Option<NonZeroU32>,
    pub max_in_flight: usize,
    pub read_concurrency: usize,
}

/// One package's result.
#[derive(Debug)]
pub struct PackageRun {
    /// `owner/package`
    pub name: String,
    pub outcome: PackageOutcome,
}

#[derive(Debug)]
pub enum PackageOutcome {
    /// The registry has no such package (or the token cannot see it).
    Missing,
    /// Listing failed; nothing was decided.
    Failed(String),
    /// Not listed: the run stopped before it (budget spent, token refused).
    NotReached(String),
    Planned(Planned),
}

/// A package's versions and what happens (or happened) to each.
#[derive(Debug)]
pub struct Planned {
    pub versions: Vec<Version>,
    /// `decisions[i]` is about `versions[i]`; after applying, what was done.
    pub decisions: Vec<Decided>,
    /// The manifests read, by digest (bytes freed are computed from them).
    pub facts: HashMap<String, ManifestFacts>,
    pub fail_closed: Option<String>,
    /// Deletions in waves, parents first ([`plan::Plan::order`]).
    pub order: Vec<Vec<usize>>,
    /// What must be gone before each deletion ([`plan::Plan::after`]).
    pub after: Vec<Vec<usize>>,
    /// [`plan::Plan::guarded`]
    pub guarded: Vec<bool>,
    /// [`plan::Plan::unread`]
    pub unread: Vec<bool>,
}

/// A whole run.
#[derive(Debug)]
pub struct Run {
    pub packages: Vec<PackageRun>,
    pub calls: ApiCalls,
    pub applied: bool,
    /// The error that stopped the run early, if one did.
    pub stopped: Option<PruneError>,
    /// What the run could not do that did not make it fail (shown as warnings).
    pub warnings: Vec<String>,
}

/// Why the remaining deletions are not attempted.
#[derive(Debug, Clone)]
enum Stop {
    Budget(String),
    Fatal(String),
    /// This package's only: the token may not delete in it.
    Package(String),
}

impl Stop {
    fn reason(&self) -> Reason {
        match self {
            Stop::Budget(text) => Reason::new(ReasonKind::BudgetSpent, text.clone()),
            Stop::Fatal(text) | Stop::Package(text) => {
                Reason::new(ReasonKind::Stopped, text.clone())
            }
        }
    }

    /// The stop an error causes, if it is fatal.
    fn from_error(err: &PruneError) -> Option<Stop> {
        if !err.is_fatal() {
            return None;
        }
        Some(match err {
            PruneError::RateLimited { .. } => Stop::Budget(format!("left for the next run: {err}")),
            _ => Stop::Fatal(format!("not attempted: {err}")),
        })
    }
}

/// Prunes `packages` (names as the backend knows them). `progress` receives log lines.
pub async fn run<B: Backend>(
    backend: &B,
    packages: &[String],
    settings: &Settings,
    progress: &(dyn Fn(&str) + Sync),
) -> Run {
    let limiter = settings.deletes_per_minute.map(|per_minute| {
        // A burst of at most half a second's worth keeps every minute under the limit.
        let burst = NonZeroU32::new((per_minute.get() / 120).max(1)).expect("at least 1");
        RateLimiter::direct(Quota::per_minute(per_minute).allow_burst(burst))
    });
    let mut runs = Vec::new();
    let mut stop: Option<Stop> = None;
    let mut stopped = None;
    let mut warnings = Vec::new();
    for package in packages {
        let name = backend.display_name(package);
        if let Some(stop) = &stop {
            runs.push(PackageRun {
                name,
                outcome: PackageOutcome::NotReached(stop.reason().text),
            });
            continue;
        }
        let outcome = match backend.versions(package).await {
            Ok(None) => PackageOutcome::Missing,
            Ok(Some(versions)) => {
                let mut planned = plan_package(backend, package, versions, settings).await;
                if settings.apply && planned.fail_closed.is_none() {
                    let deleter = Deleter {
                        backend,
                        package,
                        name: &name,
                        settings,
                        limiter: limiter.as_ref(),
                        progress,
                    };
                    if let Err(err) = backend.before_deletes(package, &planned).await {
                        warnings.push(format!(
                            "{name}: could not record the deletions before making them ({err}); a run stopped midway may leave children of deleted indexes behind"
                        ));
                    }
                    if let Some((why, error)) = deleter.apply(&mut planned).await {
                        stop = Some(why);
                        stopped = stopped.or(error);
                    }
                    if let Err(err) = backend.after_deletes(package, &planned).await {
                        warnings.push(format!(
                            "{name}: could not update the record of pending deletions ({err}); the next run finishes them"
                        ));
                    }
                }
                PackageOutcome::Planned(planned)
            }
            Err(err) => {
                let text = err.to_string();
                match Stop::from_error(&err) {
                    // A spent budget is no failure: the next run lists it.
                    Some(why @ Stop::Budget(_)) => {
                        let outcome = PackageOutcome::NotReached(why.reason().text);
                        stop = Some(why);
                        stopped = Some(err);
                        outcome
                    }
                    Some(why) => {
                        stop = Some(why);
                        stopped = Some(err);
                        PackageOutcome::Failed(text)
                    }
                    None => PackageOutcome::Failed(text),
                }
            }
        };
        runs.push(PackageRun { name, outcome });
    }
    Run {
        packages: runs,
        calls: backend.calls(),
        applied: settings.apply,
        stopped,
        warnings,
    }
}

/// Reads what the planner asks for until its plan is final.
async fn plan_package<B: Backend>(
    backend: &B,
    package: &str,
    versions: Vec<Version>,
    settings: &Settings,
) -> Planned {
    let mut known: HashMap<String, Knowledge> = HashMap::new();
    let plan = loop {
        let plan = plan::plan(&versions, &known, &settings.rules, settings.now);
        if plan.is_final() {
            break plan;
        }
        let reads: Vec<(String, Knowledge)> = futures::stream::iter(plan.reads)
            .map(|digest| async move {
                let knowledge = backend.read(package, &digest).await;
                (digest, knowledge)
            })
            .buffer_unordered(settings.read_concurrency.max(1))
            .collect()
            .await;
        known.extend(reads);
    };
    let facts = known
        .into_iter()
        .filter_map(|(digest, knowledge)| match knowledge {
            Knowledge::Read(facts) => Some((digest, facts)),
            Knowledge::Unreadable(_) => None,
        })
        .collect();
    Planned {
        versions,
        decisions: plan.decisions,
        facts,
        fail_closed: plan.fail_closed,
        order: plan.order,
        after: plan.after,
        guarded: plan.guarded,
        unread: plan.unread,
    }
}

/// Applies one package's plan.
struct Deleter<'a, B> {
    backend: &'a B,
    package: &'a str,
    name: &'a str,
    settings: &'a Settings,
    limiter: Option<&'a DefaultDirectRateLimiter>,
    progress: &'a (dyn Fn(&str) + Sync),
}

/// What one attempted delete came to.
enum Attempt {
    Done(Result<Deleted, PruneError>),
    NotAttempted(Reason),
}

impl<B: Backend> Deleter<'_, B> {
    /// Deletes wave by wave. A version whose parent stayed is skipped; a spent budget or a
    /// fatal error stops everything after it. Returns why it stopped, with the error if one
    /// did it.
    async fn apply(&self, planned: &mut Planned) -> Option<(Stop, Option<PruneError>)> {
        let total: usize = planned.order.iter().map(Vec::len).sum();
        if total == 0 {
            return None;
        }
        (self.progress)(&format!("{}: deleting {total} versions", self.name));
        let mut gone: HashSet<usize> = HashSet::new();
        let stop: Mutex<Option<Stop>> = Mutex::new(None);
        let mut fatal = None;
        let in_flight = AtomicUsize::new(0);
        let mut attempted = 0usize;
        let mut last_progress = Instant::now();
        // An unread deletion that stayed may list a guarded one.
        let mut unread_stayed: Option<usize> = None;
        for wave in planned.order.clone() {
            let runnable = runnable(planned, &wave, &gone, unread_stayed);
            let versions = &planned.versions;
            let mut attempts = futures::stream::iter(runnable)
                .map(|index| {
                    let stop = &stop;
                    let in_flight = &in_flight;
                    async move { (index, self.attempt(&versions[index], stop, in_flight).await) }
                })
                .buffer_unordered(self.settings.max_in_flight.max(1));
            while let Some((index, attempt)) = attempts.next().await {
                attempted += 1;
                let decided = &mut planned.decisions[index];
                if record(decided, &versions[index], attempt, &stop, &mut fatal) {
                    gone.insert(index);
                }
                if last_progress.elapsed() >= PROGRESS_EVERY {
                    last_progress = Instant::now();
                    (self.progress)(&format!(
                        "{}: {attempted}/{total} deletions done",
                        self.name
                    ));
                }
            }
            drop(attempts);
            unread_stayed = unread_stayed.or_else(|| {
                wave.iter()
                    .copied()
                    .find(|index| planned.unread[*index] && !gone.contains(index))
            });
        }
        match stop.into_inner().expect("stop lock")? {
            Stop::Package(_) => None,
            why => Some((why, fatal)),
        }
    }

    /// One paced delete, unless the run has stopped or the budget would not cover it.
    async fn attempt(
        &self,
        version: &Version,
        stop: &Mutex<Option<Stop>>,
        in_flight: &AtomicUsize,
    ) -> Attempt {
        let stopped = || stop.lock().expect("stop lock").clone();
        if let Some(why) = stopped() {
            return Attempt::NotAttempted(why.reason());
        }
        if let Some(limiter) = self.limiter {
            limiter.until_ready().await;
        }
        if let Some(why) = stopped() {
            return Attempt::NotAttempted(why.reason());
        }
        // Requests already on their way spend budget too.
        if let Some((remaining, reset)) = self.backend.budget()
            && remaining <= in_flight.load(Ordering::SeqCst) as u64
        {
            let reset = reset
                .map(|at| format!("; it resets at {at}"))
                .unwrap_or_default();
            let why = Stop::Budget(format!(
                "left for the next run: the rate-limit budget is spent{reset}"
            ));
            stop.lock().expect("stop lock").get_or_insert(why.clone());
            return Attempt::NotAttempted(why.reason());
        }
        in_flight.fetch_add(1, Ordering::SeqCst);
        let result = self.backend.delete(self.package, version).await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
        Attempt::Done(result)
    }
}

/// The versions of `wave` that can go: those whose parents are all gone. The others stay,
/// skipped with the parent that may list them; so does a guarded version once an unread
/// deletion stayed (`unread_stayed`).
fn runnable(
    planned: &mut Planned,
    wave: &[usize],
    gone: &HashSet<usize>,
    unread_stayed: Option<usize>,
) -> Vec<usize> {
    let mut runnable = Vec::new();
    for &index in wave {
        let stayed = planned.after[index]
            .iter()
            .find(|parent| !gone.contains(parent))
            .copied()
            .or(unread_stayed.filter(|_| planned.guarded[index]));
        match stayed {
            Some(parent) => {
                planned.decisions[index] = Decided {
                    decision: Decision::Skip,
                    reason: Reason::new(
                        ReasonKind::ParentStayed,
                        format!(
                            "{} was not deleted, and it may list this version",
                            label(&planned.versions[parent])
                        ),
                    ),
                };
            }
            None => runnable.push(index),
        }
    }
    runnable
}

/// Records in `decided` what the delete of `version` came to, and whether the version is
/// gone: skipped (GitHub keeps it, or it was not attempted) or failed otherwise. An error
/// that stops the run is the first `stop` (with the error in `fatal`); a refused delete
/// stops the rest of the package.
fn record(
    decided: &mut Decided,
    version: &Version,
    attempt: Attempt,
    stop: &Mutex<Option<Stop>>,
    fatal: &mut Option<PruneError>,
) -> bool {
    let skip = |kind, text: String| Decided {
        decision: Decision::Skip,
        reason: Reason::new(kind, text),
    };
    match attempt {
        Attempt::NotAttempted(reason) => {
            *decided = Decided {
                decision: Decision::Skip,
                reason,
            };
        }
        Attempt::Done(Ok(Deleted::Done)) => return true,
        Attempt::Done(Ok(Deleted::AlreadyGone)) => {
            decided.reason = Reason::new(
                ReasonKind::AlreadyGone,
                format!("{}; already gone (404)", decided.reason.text),
            );
            return true;
        }
        Attempt::Done(Ok(Deleted::LastVersion(answer))) => {
            *decided = skip(
                ReasonKind::LastVersion,
                format!("GitHub keeps the last version of a package ({answer})"),
            );
        }
        Attempt::Done(Ok(Deleted::LastTagged(answer))) => {
            *decided = skip(
                ReasonKind::LastTagged,
                format!("GitHub keeps the last tagged version of a package ({answer})"),
            );
        }
        Attempt::Done(Ok(Deleted::Popular(answer))) => {
            *decided = skip(
                ReasonKind::Popular,
                format!("GitHub keeps public versions with over 5,000 downloads ({answer})"),
            );
        }
        Attempt::Done(Err(err)) => {
            let text = err.to_string();
            if let Some(why) = Stop::from_error(&err) {
                *decided = Decided {
                    decision: if matches!(why, Stop::Budget(_)) {
                        Decision::Skip
                    } else {
                        Decision::Failed
                    },
                    reason: why.reason(),
                };
                let mut stop = stop.lock().expect("stop lock");
                if stop.is_none() {
                    *stop = Some(why);
                    *fatal = Some(err);
                }
            } else if err.stops_package() {
                *decided = Decided {
                    decision: Decision::Failed,
                    reason: Reason::new(ReasonKind::DeleteRefused, format!("{text}: {DELETE_FIX}")),
                };
                stop.lock().expect("stop lock").get_or_insert_with(|| {
                    Stop::Package(format!(
                        "not attempted: GitHub refused to delete {} in this package",
                        label(version)
                    ))
                });
            } else {
                *decided = Decided {
                    decision: Decision::Failed,
                    reason: Reason::new(ReasonKind::DeleteFailed, text),
                };
            }
        }
    }
    false
}
