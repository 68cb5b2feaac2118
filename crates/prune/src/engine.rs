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
use crate::model::{ManifestFacts, Version, label, short_digest};
use crate::plan::{self, Decided, Decision, Knowledge, Plan, Reason, ReasonKind};
use crate::rules::{Rules, Running};

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
    /// `--max-delete`: more deletions in a package than this, and none is made in it.
    pub max_delete: Option<usize>,
    /// `--max-delete-percent`: more than this share of a package's versions, and none is
    /// deleted in it.
    pub max_delete_percent: Option<u8>,
    /// What Dokploy runs, by package (as the backend names it).
    pub running: HashMap<String, Vec<Running>>,
    /// Packages in which nothing may be deleted because Dokploy could not say what runs in
    /// them, and why.
    pub deployed_unknown: HashMap<String, String>,
}

impl Settings {
    /// The rules for `package`: the run's, with what Dokploy runs in it.
    fn rules_for(&self, package: &str) -> Rules {
        let mut rules = self.rules.clone();
        rules.deployed.running = self.running.get(package).cloned().unwrap_or_default();
        rules
    }

    /// Why `deletions` of `versions` are over the budget, if they are.
    fn over_budget(&self, deletions: usize, versions: usize) -> Option<String> {
        if let Some(max) = self.max_delete
            && deletions > max
        {
            return Some(format!(
                "over the deletion budget: {deletions} of {versions} versions would be deleted, --max-delete allows {max}"
            ));
        }
        if let Some(percent) = self.max_delete_percent
            && deletions * 100 > usize::from(percent) * versions
        {
            return Some(format!(
                "over the deletion budget: {deletions} of {versions} versions ({:.1}%) would be deleted, --max-delete-percent allows {percent}%",
                deletions as f64 * 100.0 / versions.max(1) as f64
            ));
        }
        None
    }
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
    /// Why nothing is deleted in the package although the plan deletes: a manifest that
    /// cannot be read, Dokploy that cannot say what runs, a deletion budget, a changed
    /// inventory. The run exits 1.
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

impl Planned {
    fn new(versions: Vec<Version>, plan: Plan, known: HashMap<String, Knowledge>) -> Planned {
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

    /// The deletions, wave by wave.
    fn deletions_in_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.order.iter().flatten().copied()
    }

    /// How many versions the plan deletes.
    pub fn deletions(&self) -> usize {
        self.order.iter().map(Vec::len).sum()
    }

    /// Nothing is deleted in the package, for `why`: each deletion becomes a skip that says
    /// what the plan was.
    fn hold(&mut self, kind: ReasonKind, why: String) {
        for decided in &mut self.decisions {
            if decided.decision == Decision::Delete {
                *decided = Decided {
                    decision: Decision::Skip,
                    reason: Reason::new(kind, format!("{why} (planned: {})", decided.reason.text)),
                };
            }
        }
        self.order.clear();
        self.fail_closed.get_or_insert(why);
    }
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
                let rules = settings.rules_for(package);
                let mut planned = match settings.deployed_unknown.get(package) {
                    // No reads: nothing will be deleted anyway.
                    Some(why) => {
                        let plan = plan::plan(&versions, &HashMap::new(), &rules, settings.now);
                        let mut planned = Planned::new(versions, plan, HashMap::new());
                        planned.hold(ReasonKind::DeployedUnknown, why.clone());
                        planned
                    }
                    None => plan_package(backend, package, versions, &rules, settings).await,
                };
                if let Some(why) = settings.over_budget(planned.deletions(), planned.versions.len())
                {
                    planned.hold(ReasonKind::OverBudget, why);
                }
                if settings.apply && planned.deletions() > 0 {
                    match inventory_change(backend, package, &planned, &rules, settings).await {
                        Ok(None) => {}
                        Ok(Some(change)) => {
                            let err = PruneError::InventoryChanged {
                                package: name.clone(),
                                change,
                            };
                            planned.hold(ReasonKind::InventoryChanged, err.to_string());
                            stop = Some(Stop::Fatal(format!("not attempted: {err}")));
                            stopped = Some(err);
                        }
                        Err(err) => planned.hold(
                            ReasonKind::InventoryChanged,
                            format!("listing the package again before deleting failed: {err}"),
                        ),
                    }
                }
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
    rules: &Rules,
    settings: &Settings,
) -> Planned {
    let mut known: HashMap<String, Knowledge> = HashMap::new();
    let plan = settle(backend, package, &versions, rules, settings, &mut known).await;
    Planned::new(versions, plan, known)
}

/// Plans, reading what is not `known` yet, until the plan is final.
async fn settle<B: Backend>(
    backend: &B,
    package: &str,
    versions: &[Version],
    rules: &Rules,
    settings: &Settings,
    known: &mut HashMap<String, Knowledge>,
) -> Plan {
    loop {
        let plan = plan::plan(versions, known, rules, settings.now);
        if plan.is_final() {
            return plan;
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
    }
}

/// Lists the package again just before its first delete and plans from that listing (the
/// manifests already read are not read again). `Some(change)` when a planned deletion is
/// still there but no longer deleted (tagged since, listed by a new index, ranked among the
/// newest), or a new manifest cannot be read; versions gone since are no change.
async fn inventory_change<B: Backend>(
    backend: &B,
    package: &str,
    planned: &Planned,
    rules: &Rules,
    settings: &Settings,
) -> Result<Option<String>, PruneError> {
    let Some(versions) = backend.versions(package).await? else {
        return Ok(None);
    };
    let mut known: HashMap<String, Knowledge> = planned
        .facts
        .iter()
        .map(|(digest, facts)| (digest.clone(), Knowledge::Read(facts.clone())))
        .collect();
    let plan = settle(backend, package, &versions, rules, settings, &mut known).await;
    if let Some(why) = plan.fail_closed {
        return Ok(Some(why));
    }
    let now: HashMap<&str, (&Version, &plan::Decided)> = versions
        .iter()
        .zip(&plan.decisions)
        .map(|(version, decided)| (version.digest.as_str(), (version, decided)))
        .collect();
    let changed = planned.deletions_in_order().find_map(|index| {
        match now.get(planned.versions[index].digest.as_str()) {
            Some((version, decided)) if decided.decision != Decision::Delete => Some(format!(
                "{} ({}) is no longer to be deleted: {}",
                short_digest(&version.digest),
                label(version),
                decided.reason.text
            )),
            _ => None,
        }
    });
    Ok(changed)
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
