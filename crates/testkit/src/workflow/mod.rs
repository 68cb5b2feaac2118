//! A workflow simulator: runs GitHub Actions workflows from their YAML on this machine, the
//! way GitHub and its runner would, against the test registry and fakes.
//!
//! What it runs (docs/testing.md lists it with the limits):
//!
//! - the top-level workflow of a test repository at the event's commit, if its `on:` takes the
//!   event ([`triggers`]); reusable workflows called with `uses:` (`workflow_call` inputs
//!   typed and checked, `secrets` mapped or `inherit`ed, outputs from `jobs.<id>.outputs`;
//!   job ids `caller/callee`, check names `caller / callee`);
//! - jobs in `needs` order with `if:` and the status functions, outputs, `strategy.matrix`
//!   ([`matrix`], `fail-fast`), job and step `continue-on-error`, `environment:` (its secrets
//!   join the job's `secrets`), `permissions:` (a called job gets no more than its caller
//!   granted), `concurrency:` ([`concurrency`]);
//! - steps: `run:` scripts through the runner's shells, with fresh `GITHUB_OUTPUT`,
//!   `GITHUB_ENV`, `GITHUB_PATH` and `GITHUB_STEP_SUMMARY` files read back as the runner reads
//!   them ([`files`]); composite actions (local `./path`, and repositories registered with
//!   [`Simulator::remote`], such as gantry's own `gantry-rs/gantry/actions/x@ref`) with their
//!   inputs, defaults, nested steps and outputs; third-party actions through [`standins`];
//! - expressions ([`expr`]): the contexts `github`, `env`, `vars`, `secrets`, `inputs`,
//!   `needs`, `jobs`, `steps`, `matrix`, `strategy`, `job` and `runner`, GitHub's operators and
//!   functions, and a stricter check than GitHub's: a property read from a closed object
//!   (`needs.<job>.outputs`, `inputs`, a declared action's `steps.<id>.outputs`, `jobs`)
//!   that is not there fails the job instead of giving an empty string.
//!
//! Every step runs with a clean environment: a few variables of the test process (`PATH`,
//! `HOME`, Rust's), the runner's (`GITHUB_*`, `RUNNER_*`), [`Simulator::runner_env`] (a
//! self-hosted runner's settings, such as `GANTRY_INSTALL=path`), then the workflow's.

pub mod concurrency;
pub mod expr;
pub mod files;
pub mod matrix;
pub mod model;
pub mod permissions;
pub mod repo;
pub mod report;
mod run;
pub mod standins;
pub mod triggers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

pub use repo::{Event, GitRepo};
pub use report::{JobResult, JobRun, StepResult, StepRun, WorkflowRun};
pub use run::{INHERITED, runner_arch, runner_os};

use crate::Registry;
use run::Resolved;
use standins::StandIn;

/// The default `GITHUB_TOKEN` of simulated runs.
pub const TOKEN: &str = "ghs_SimulatedWorkflowToken0000000000";

/// What GitHub answers a private repository whose plan has no artifact attestations.
pub const ATTESTATIONS_UNAVAILABLE: &str = "Feature not available for user-owned private repositories. To enable this feature, please make this repository public.";

/// The simulator: repositories, the registry, secrets and the runner's settings, shared by
/// the runs it starts (also concurrently, from several threads).
pub struct Simulator<'r> {
    /// `owner/repo` of action and workflow repositories → their local checkout.
    remotes: BTreeMap<String, PathBuf>,
    /// Test repositories: `owner/repo` → bare origin.
    repositories: BTreeMap<String, PathBuf>,
    pub(crate) registry: Option<&'r Registry>,
    pub(crate) runner_env: BTreeMap<String, String>,
    pub(crate) secrets: BTreeMap<String, String>,
    pub(crate) environment_secrets: BTreeMap<String, BTreeMap<String, String>>,
    /// Environments with required reviewers: a job that names one waits for a decision.
    pub(crate) reviewed: std::collections::BTreeSet<String>,
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) token: String,
    pub(crate) api_url: String,
    pub(crate) attestations_unavailable: Option<String>,
    pub(crate) groups: Arc<concurrency::Groups>,
    pub(crate) dir: tempfile::TempDir,
    next_run: AtomicU64,
    records: Mutex<Records>,
    recorded: Condvar,
}

/// What the stand-ins and the scheduler recorded.
#[derive(Debug, Default)]
pub struct Records {
    pub builds: Vec<Build>,
    pub attestations: Vec<Attestation>,
    pub logins: Vec<Login>,
    /// Artifacts uploaded (for their ids).
    pub artifacts: u64,
    /// Reviewers' decisions: (run, environment) → approved.
    pub decisions: BTreeMap<(u64, String), bool>,
    pub timeline: Vec<TimelineEvent>,
}

/// One `docker/build-push-action` step.
#[derive(Debug, Clone)]
pub struct Build {
    pub run: u64,
    pub job: String,
    pub context: String,
    pub file: String,
    pub platforms: Vec<String>,
    pub tags: Vec<String>,
    pub labels: Map<String, Value>,
    pub build_args: Vec<String>,
    pub pushed: bool,
    /// The pushed index; empty without `push`.
    pub digest: String,
}

/// One `actions/attest-build-provenance` step that succeeded.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub run: u64,
    pub subject_name: String,
    pub subject_digest: String,
    /// The Sigstore bundle pushed as a referrer (`push-to-registry`).
    pub referrer: Option<String>,
}

/// One `docker/login-action` step.
#[derive(Debug, Clone)]
pub struct Login {
    pub run: u64,
    pub registry: String,
    pub username: String,
}

/// What the scheduler did, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineEvent {
    JobStarted {
        run: u64,
        job: String,
    },
    JobFinished {
        run: u64,
        job: String,
        result: JobResult,
    },
    /// The job (or, for `(run)`, the run) waits in a concurrency group.
    Pending {
        run: u64,
        job: String,
        group: String,
    },
    /// A newer entry of the group cancelled it while it waited.
    CancelledWhilePending {
        run: u64,
        job: String,
        group: String,
    },
    /// The job names an environment with required reviewers and waits for their decision.
    WaitingForReview {
        run: u64,
        job: String,
        environment: String,
    },
    RunFinished {
        run: u64,
        conclusion: JobResult,
    },
}

impl<'r> Simulator<'r> {
    /// A simulator whose `gantry-rs/gantry` is the checkout at `gantry_root`.
    pub fn new(gantry_root: &Path) -> Simulator<'r> {
        let mut remotes = BTreeMap::new();
        remotes.insert("gantry-rs/gantry".to_owned(), gantry_root.to_path_buf());
        let runner_env = repo::GIT_ENV
            .iter()
            .filter(|(name, _)| name.starts_with("GIT_CONFIG"))
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Simulator {
            remotes,
            repositories: BTreeMap::new(),
            registry: None,
            runner_env,
            secrets: BTreeMap::new(),
            environment_secrets: BTreeMap::new(),
            reviewed: std::collections::BTreeSet::new(),
            vars: BTreeMap::new(),
            token: TOKEN.to_owned(),
            api_url: "https://api.github.com".to_owned(),
            attestations_unavailable: None,
            groups: Arc::default(),
            dir: tempfile::Builder::new()
                .prefix("gantry-simulator-")
                .tempdir()
                .expect("create the simulator's directory"),
            next_run: AtomicU64::new(0),
            records: Mutex::default(),
            recorded: Condvar::new(),
        }
    }

    /// Actions and workflows of `owner/repo` (any ref) come from `checkout`.
    pub fn remote(mut self, name: &str, checkout: &Path) -> Self {
        self.remotes.insert(name.to_owned(), checkout.to_path_buf());
        self
    }

    /// A test repository runs can start in and `actions/checkout` can fetch.
    pub fn repository(mut self, repo: &GitRepo) -> Self {
        self.repositories
            .insert(repo.full_name().to_owned(), repo.origin());
        self
    }

    /// The registry `docker/build-push-action` pushes to (tags must name its host).
    pub fn registry(mut self, registry: &'r Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// A variable of the runner machine's environment, in every step.
    pub fn runner_env(mut self, name: &str, value: &str) -> Self {
        self.runner_env.insert(name.to_owned(), value.to_owned());
        self
    }

    /// A repository secret.
    pub fn secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name.to_owned(), value.to_owned());
        self
    }

    /// A secret of the GitHub environment `environment`.
    pub fn environment_secret(mut self, environment: &str, name: &str, value: &str) -> Self {
        self.environment_secrets
            .entry(environment.to_owned())
            .or_default()
            .insert(name.to_owned(), value.to_owned());
        self
    }

    /// The GitHub environment `environment` has required reviewers: each job that names it
    /// waits until the test decides with [`Simulator::review`] (GitHub's "Reviewing
    /// deployments": "Jobs that reference an environment configured with required reviewers
    /// will wait for an approval before starting"). The review comes before the job's
    /// concurrency group, as a job waiting for review has not started.
    pub fn reviewers(mut self, environment: &str) -> Self {
        self.reviewed.insert(environment.to_owned());
        self
    }

    /// A reviewer approves (or rejects) the jobs of run `run` waiting for `environment`; may
    /// come before they wait. A rejected job fails without running.
    pub fn review(&self, run: u64, environment: &str, approve: bool) {
        self.records()
            .decisions
            .insert((run, environment.to_owned()), approve);
        self.recorded.notify_all();
    }

    /// Blocks until run `run` has a decision for `environment`: whether it approved; after
    /// 60 seconds without one, a rejection (a test that forgot to decide fails, not hangs).
    pub(crate) fn await_review(&self, run: u64, job: &str, environment: &str) -> bool {
        let key = (run, environment.to_owned());
        if !self.records().decisions.contains_key(&key) {
            self.record(TimelineEvent::WaitingForReview {
                run,
                job: job.to_owned(),
                environment: environment.to_owned(),
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut records = self.records();
        loop {
            if let Some(approved) = records.decisions.get(&key) {
                return *approved;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            records = self
                .recorded
                .wait_timeout(records, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// A repository variable (`vars.NAME`).
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// `github.token` and `secrets.GITHUB_TOKEN`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.to_owned();
        self
    }

    /// `GITHUB_API_URL` (a fake GitHub's).
    pub fn api_url(mut self, url: &str) -> Self {
        self.api_url = url.to_owned();
        self
    }

    /// `actions/attest-build-provenance` fails as on a private repository without the plan.
    pub fn attestations_unavailable(mut self) -> Self {
        self.attestations_unavailable = Some(ATTESTATIONS_UNAVAILABLE.to_owned());
        self
    }

    /// Runs the workflow at `path` of `repository` for `event`, to the end.
    pub fn run(&self, repository: &str, path: &str, event: &Event) -> WorkflowRun {
        let id = self.next_run.fetch_add(1, Ordering::SeqCst) + 1;
        run::Run::new(self, id, event, repository).run(path)
    }

    /// What the stand-ins and the scheduler recorded so far.
    pub fn records(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The builds so far.
    pub fn builds(&self) -> Vec<Build> {
        self.records().builds.clone()
    }

    /// The attestations so far.
    pub fn attestations(&self) -> Vec<Attestation> {
        self.records().attestations.clone()
    }

    /// The scheduler's timeline so far.
    pub fn timeline(&self) -> Vec<TimelineEvent> {
        self.records().timeline.clone()
    }

    /// Blocks until `condition` holds for the timeline; panics after 60 seconds naming
    /// `what`.
    pub fn wait_for(&self, what: &str, condition: impl Fn(&[TimelineEvent]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut records = self.records();
        while !condition(&records.timeline) {
            let now = Instant::now();
            assert!(
                now < deadline,
                "the simulator never got to: {what}\n{:#?}",
                records.timeline
            );
            records = self
                .recorded
                .wait_timeout(records, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    pub(crate) fn record(&self, event: TimelineEvent) {
        self.records().timeline.push(event);
        self.recorded.notify_all();
    }

    /// The bare origin of a test repository.
    pub(crate) fn origin(&self, repository: &str) -> Result<PathBuf, String> {
        self.repositories.get(repository).cloned().ok_or_else(|| {
            format!("repository {repository} is not known to the simulator (Simulator::repository)")
        })
    }

    /// The file of a reusable workflow `uses:` names: `./path` in the running repository at
    /// `sha`, or `owner/repo/path@ref` of a remote.
    pub(crate) fn reusable_workflow(
        &self,
        uses: &str,
        repository: &str,
        sha: &str,
    ) -> Result<(String, String), String> {
        if let Some(path) = uses.strip_prefix("./") {
            let origin = self.origin(repository)?;
            let text = repo::try_git_in(&origin, &["show", &format!("{sha}:{path}")])?;
            return Ok((format!("{repository}/{path}"), text));
        }
        let (name, path) = self.remote_path(uses)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("{uses}: read {}: {error}", path.display()))?;
        let _ = name;
        Ok((
            uses.split_once('@')
                .map_or(uses, |(target, _)| target)
                .to_owned(),
            text,
        ))
    }

    /// `owner/repo[/path]@ref` of a remote → (`owner/repo`, the local path).
    fn remote_path(&self, uses: &str) -> Result<(String, PathBuf), String> {
        let (target, _reference) = uses
            .split_once('@')
            .ok_or_else(|| format!("{uses}: a remote action or workflow needs @ref"))?;
        let mut parts = target.splitn(3, '/');
        let (owner, repo) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let name = format!("{owner}/{repo}");
        let root = self.remotes.get(&name).ok_or_else(|| {
            format!("{uses}: no local copy of {name} (Simulator::remote) and no stand-in")
        })?;
        Ok((name, root.join(parts.next().unwrap_or_default())))
    }

    /// What a step's `uses:` runs.
    pub(crate) fn resolve_action(&self, uses: &str, workspace: &Path) -> Result<Resolved, String> {
        if let Some(path) = uses.strip_prefix("./") {
            return Ok(Resolved::Composite(workspace.join(path)));
        }
        if uses.starts_with("docker://") {
            return Err(format!("{uses}: container actions are not simulated"));
        }
        let target = uses.split_once('@').map_or(uses, |(target, _)| target);
        if let Some(stand_in) = StandIn::of(target) {
            return Ok(Resolved::StandIn(stand_in));
        }
        self.remote_path(uses)
            .map(|(_, path)| Resolved::Composite(path))
    }
}
