//! Retention of what runs, on both backends (the OCI backend against the registry directly,
//! the GHCR backend through the fake GitHub Packages API in front of it): `retention.rules`,
//! environment tags and the deploy ledger, the deletion budgets, and an inventory that
//! changes between the plan and the first delete. After every run skopeo resolves every tag
//! left.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use gantry_gha::{Env, Runtime, Secret};
use gantry_prune::backend::{ApiCalls, Backend, GhcrBackend, OciBackend};
use gantry_prune::engine::{self, Planned, Run, Settings};
use gantry_prune::error::PruneError;
use gantry_prune::github::{Deleted, GithubApi, PackageNames};
use gantry_prune::model::Version;
use gantry_prune::plan::Knowledge;
use gantry_prune::rules::Rules;
use gantry_registry::{Credentials, Endpoint, RegistryClient};
use gantry_testkit::Index;
use gantry_testkit::dokploy::FakeDokploy;
use gantry_testkit::github::FakeOptions;
use serde_json::{Map, Value};

use crate::{Ghcr, Outcome, TOKEN, assert_every_tag_resolves, oci_argv, quick_retry, token_env};

/// The tests of one scenario (`async fn(Through)`), one per backend: `$name::oci` and
/// `$name::ghcr`.
macro_rules! through_both {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn oci() {
                super::$scenario(super::Through::Oci).await;
            }

            #[tokio::test]
            async fn ghcr() {
                super::$scenario(super::Through::Ghcr).await;
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    Oci,
    Ghcr,
}

/// `acme/api` in a real registry, with the fake GitHub API in front of it for the GHCR
/// backend, and a step directory for the manifest.
pub struct World {
    pub through: Through,
    pub ghcr: Ghcr,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new(through: Through) -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("services/api")).unwrap();
        std::fs::write(dir.path().join("services/api/Dockerfile"), "").unwrap();
        World {
            through,
            ghcr: Ghcr::over(crate::registry(), FakeOptions::default()),
            dir,
        }
    }

    /// `acme/api` as the manifest's `image:` names it.
    pub fn image_name(&self) -> String {
        let host = match self.through {
            Through::Oci => self.ghcr.registry.host(),
            Through::Ghcr => self.ghcr.fake.registry_host(),
        };
        format!("{host}/acme/api")
    }

    /// A multi-arch image created `days` ago (the `created` annotation for the OCI backend,
    /// GitHub's dates for the GHCR one) with `tags`.
    pub fn image(&self, tags: &[&str], days: i64) -> String {
        self.index(tags, days).digest
    }

    pub fn index(&self, tags: &[&str], days: i64) -> Index {
        let created = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
        let mut annotations = Map::new();
        annotations.insert(
            "org.opencontainers.image.created".into(),
            Value::String(created.to_string()),
        );
        let index = self
            .ghcr
            .registry
            .index("acme/api")
            .annotations(Map::new(), annotations)
            .tag(tags[0])
            .push();
        for tag in &tags[1..] {
            self.ghcr
                .registry
                .push_manifest("acme/api", tag, &index.media_type, &index.manifest);
        }
        self.ghcr.age_index("acme/api", &index, days as u64);
        index
    }

    /// Writes `gantry.yml` with `acme/api` as its one service and `rest` after it.
    pub fn manifest(&self, rest: &str) -> String {
        let path = self.dir.path().join("gantry.yml");
        let text = format!(
            "version: 1\nservices:\n  api:\n    context: services/api\n    image: {}\n{rest}",
            self.image_name()
        );
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    pub fn argv(&self, extra: &[&str]) -> Vec<String> {
        match self.through {
            Through::Oci => oci_argv(&self.ghcr.registry, extra),
            Through::Ghcr => self.ghcr.argv(extra),
        }
    }

    /// Runs with `extra` flags (and `env` besides the registry credentials).
    pub async fn prune(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        // The OCI backend's registry is open: no credentials at all.
        let mut all: Vec<(&str, &str)> = match self.through {
            Through::Oci => Vec::new(),
            Through::Ghcr => token_env(TOKEN).to_vec(),
        };
        all.extend_from_slice(env);
        crate::prune(&self.argv(extra), &all).await.0
    }

    /// The tags left, checked with skopeo.
    pub fn tags_left(&self) -> Vec<String> {
        assert_every_tag_resolves(&self.ghcr.registry, "acme/api");
        self.ghcr.registry.list_tags("acme/api")
    }

    /// The backend of a run, built as the tool builds it.
    async fn backend(&self) -> AnyBackend {
        match self.through {
            Through::Oci => {
                let endpoint = Endpoint::from_url(&self.ghcr.registry.url()).unwrap();
                let client = RegistryClient::new(endpoint, Credentials::Anonymous, "gantry-test")
                    .unwrap()
                    .with_retry_policy(quick_retry());
                AnyBackend::Oci(Box::new(OciBackend::new(client, "acme")))
            }
            Through::Ghcr => {
                let api = GithubApi::new(
                    &self.ghcr.fake.api_url(),
                    Secret::new(TOKEN),
                    quick_retry(),
                    100,
                    "gantry-test",
                )
                .unwrap();
                let endpoint = Endpoint::from_url(&self.ghcr.fake.registry_url()).unwrap();
                let credentials = Credentials::Basic {
                    username: "acme-bot".into(),
                    password: Secret::new(TOKEN),
                };
                let client = RegistryClient::new(endpoint, credentials, "gantry-test")
                    .unwrap()
                    .with_retry_policy(quick_retry());
                AnyBackend::Ghcr(Box::new(
                    GhcrBackend::connect(api, "acme", client).await.unwrap(),
                ))
            }
        }
    }
}

/// Both backends, so one scenario runs on each.
enum AnyBackend {
    Oci(Box<OciBackend>),
    Ghcr(Box<GhcrBackend>),
}

macro_rules! each {
    ($self:ident, $backend:ident => $call:expr) => {
        match $self {
            AnyBackend::Oci($backend) => $call,
            AnyBackend::Ghcr($backend) => $call,
        }
    };
}

impl Backend for AnyBackend {
    async fn list_packages(&self) -> Result<PackageNames, PruneError> {
        each!(self, backend => backend.list_packages().await)
    }
    async fn versions(&self, package: &str) -> Result<Option<Vec<Version>>, PruneError> {
        each!(self, backend => backend.versions(package).await)
    }
    async fn read(&self, package: &str, digest: &str) -> Knowledge {
        each!(self, backend => backend.read(package, digest).await)
    }
    async fn delete(&self, package: &str, version: &Version) -> Result<Deleted, PruneError> {
        each!(self, backend => backend.delete(package, version).await)
    }
    async fn before_deletes(&self, package: &str, planned: &Planned) -> Result<(), PruneError> {
        each!(self, backend => backend.before_deletes(package, planned).await)
    }
    async fn after_deletes(&self, package: &str, planned: &Planned) -> Result<(), PruneError> {
        each!(self, backend => backend.after_deletes(package, planned).await)
    }
    fn budget(&self) -> Option<(u64, Option<jiff::Timestamp>)> {
        each!(self, backend => backend.budget())
    }
    fn calls(&self) -> ApiCalls {
        each!(self, backend => backend.calls())
    }
    fn display_name(&self, package: &str) -> String {
        each!(self, backend => backend.display_name(package))
    }
}

/// A backend whose second listing of a package (the one just before the first delete)
/// comes after `meddle` changed the registry, as a push or a deploy during the run would.
struct Meddled<'a> {
    inner: AnyBackend,
    listings: AtomicUsize,
    meddle: Mutex<Option<Box<dyn FnOnce() + Send + 'a>>>,
}

impl Backend for Meddled<'_> {
    async fn list_packages(&self) -> Result<PackageNames, PruneError> {
        self.inner.list_packages().await
    }
    async fn versions(&self, package: &str) -> Result<Option<Vec<Version>>, PruneError> {
        if self.listings.fetch_add(1, Ordering::SeqCst) == 1 {
            let meddle = self.meddle.lock().unwrap().take();
            if let Some(meddle) = meddle {
                meddle();
            }
        }
        self.inner.versions(package).await
    }
    async fn read(&self, package: &str, digest: &str) -> Knowledge {
        self.inner.read(package, digest).await
    }
    async fn delete(&self, package: &str, version: &Version) -> Result<Deleted, PruneError> {
        self.inner.delete(package, version).await
    }
    async fn before_deletes(&self, package: &str, planned: &Planned) -> Result<(), PruneError> {
        self.inner.before_deletes(package, planned).await
    }
    async fn after_deletes(&self, package: &str, planned: &Planned) -> Result<(), PruneError> {
        self.inner.after_deletes(package, planned).await
    }
    fn budget(&self) -> Option<(u64, Option<jiff::Timestamp>)> {
        self.inner.budget()
    }
    fn calls(&self) -> ApiCalls {
        self.inner.calls()
    }
    fn display_name(&self, package: &str) -> String {
        self.inner.display_name(package)
    }
}

/// The run's verdict: `Err` with the message when it fails (exit 1 or 2).
pub fn verdict(run: Run) -> Result<(), String> {
    let (runtime, _log) = Runtime::captured(Env::from_pairs::<&str, &str>([]));
    gantry_cli::Report::conclude(run, &runtime).map_err(|err| err.to_string())
}

fn sorted(mut tags: Vec<String>) -> Vec<String> {
    tags.sort();
    tags
}

fn strings(items: &[&str]) -> Vec<String> {
    sorted(items.iter().map(|item| (*item).to_owned()).collect())
}

const RULES: &str = "retention:\n  rules:\n    - {tags: \"pr-*\", keep: 2, older-than: 7d}\n    - {tags: \"sha-*\", keep: 2}\n    - {tags: \"v*\", keep: all}\n";

/// `pr-*`: the newest 2 and any younger than a week; `sha-*`: the newest 2; every `v*`; a
/// tag no rule matches keeps its image. The set left is exactly that.
async fn several_rules(through: Through) {
    let world = World::new(through);
    for (tags, days) in [
        (&["pr-1"][..], 1),
        (&["pr-2"], 10),
        (&["pr-3"], 11),
        (&["pr-4"], 12),
        (&["sha-a"], 20),
        (&["sha-b"], 21),
        (&["sha-c", "pr-5"], 22),
        (&["sha-d"], 23),
        (&["v1.0"], 400),
        (&["v0.9", "sha-e"], 500),
        (&["main"], 600),
    ] {
        world.image(tags, days);
    }
    let manifest = world.manifest(RULES);
    let run = world
        .prune(
            &["--manifest", &manifest, "--packages", "api", "--apply"],
            &[],
        )
        .await;
    let outcome = Outcome::of(&run);
    assert!(outcome.report.failed.is_empty() && outcome.report.skipped.is_empty());
    assert_eq!(
        sorted(world.tags_left()),
        strings(&[
            "main", "pr-1", "pr-2", "sha-a", "sha-b", "sha-e", "v0.9", "v1.0"
        ])
    );
    let kept_reason = |tag: &str| {
        outcome
            .report
            .kept
            .iter()
            .find(|entry| entry.tags.contains(&tag.to_owned()))
            .map(|entry| entry.reason.clone())
            .unwrap()
    };
    assert_eq!(
        kept_reason("pr-2"),
        "retention rule `pr-*`: one of the 2 newest matching"
    );
    assert_eq!(kept_reason("v1.0"), "retention rule `v*`: keeps all");
    verdict(run).unwrap();
}

through_both!(several_rules_keep_exactly_their_set, several_rules);

const ENVIRONMENTS: &str = "    deploy:\n      environments:\n        staging: {dokploy: {application: app-staging}}\n        production: {dokploy: {compose: compose-production, tag-var: API_IMAGE_TAG}}\ndeploy:\n  history: 2\n  environments:\n    staging: {dokploy: {url: DOKPLOY}}\n    production: {dokploy: {url: DOKPLOY}, promote-from: staging}\n";

/// `--keep-tagged 1` keeps the newest image only, but each environment's tag and the
/// newest 2 distinct digests of each environment's ledger stay too, with their reasons;
/// an older entry and a build's `staging-<sha>` tag do not protect.
async fn environments_and_ledger(through: Through) {
    let world = World::new(through);
    let running_staging = world.image(&["sha-5", "staging", "staging-20261205T101500Z"], 2);
    let back_one = world.image(&["sha-4", "staging-20261204T101500Z", "production"], 3);
    world.image(&["sha-3", "staging-20261203T101500Z"], 4);
    world.image(&["sha-2", "staging-abc1234"], 5);
    world.image(&["sha-1", "production-20261101T000000Z"], 30);
    world.image(&["sha-0", "production-20261001T000000Z"], 40);
    world.image(&["sha-6"], 1);
    let manifest = world.manifest(&ENVIRONMENTS.replace("DOKPLOY", "http://127.0.0.1:9"));
    // A full image reference is understood as its package.
    let package = match through {
        Through::Oci => "api".to_owned(),
        Through::Ghcr => world.image_name(),
    };
    let run = world
        .prune(
            &[
                "--manifest",
                &manifest,
                "--packages",
                &package,
                "--keep-tagged",
                "1",
                "--apply",
            ],
            &[],
        )
        .await;
    let outcome = Outcome::of(&run);
    assert_eq!(
        outcome.of_digest(&running_staging),
        ("kept", "deployed in staging".to_owned())
    );
    assert_eq!(
        outcome.of_digest(&back_one),
        ("kept", "deployed in production".to_owned())
    );
    let tags = world.tags_left();
    assert_eq!(
        sorted(tags),
        strings(&[
            "production",
            "production-20261001T000000Z",
            "production-20261101T000000Z",
            "sha-0",
            "sha-1",
            "sha-4",
            "sha-5",
            "sha-6",
            "staging",
            "staging-20261204T101500Z",
            "staging-20261205T101500Z",
        ])
    );
    let reasons: Vec<&str> = outcome
        .report
        .kept
        .iter()
        .filter(|entry| !entry.tags.is_empty())
        .map(|entry| entry.reason.as_str())
        .collect();
    assert!(
        reasons.contains(&"rollback target production-20261001T000000Z"),
        "{reasons:?}"
    );
    if through == Through::Ghcr {
        crate::assert_stable!("environments_text", gantry_prune::report::text(&run));
    }
    verdict(run).unwrap();
}

through_both!(
    environments_and_the_newest_ledger_entries_survive_keep_tagged_1,
    environments_and_ledger
);

/// Over `--max-delete` (or `--max-delete-percent`), nothing is deleted in the package and
/// the run fails with the numbers.
async fn over_budget(through: Through) {
    let world = World::new(through);
    for n in 0..4 {
        world.image(&[&format!("b{n}")], 10 + n);
    }
    let before = world.tags_left();
    // Each image is an index with two platform images: 9 of the 12 versions go.
    for (flag, value, numbers) in [
        (
            "--max-delete",
            "8",
            "9 of 12 versions would be deleted, --max-delete allows 8",
        ),
        (
            "--max-delete-percent",
            "50",
            "9 of 12 versions (75.0%) would be deleted, --max-delete-percent allows 50%",
        ),
    ] {
        let run = world
            .prune(
                &[
                    "--packages",
                    "api",
                    "--delete-tags",
                    "b1,b2,b3",
                    flag,
                    value,
                    "--apply",
                ],
                &[],
            )
            .await;
        let outcome = Outcome::of(&run);
        assert!(outcome.report.deleted.is_empty());
        assert_eq!(world.tags_left(), before);
        if through == Through::Ghcr && flag == "--max-delete" {
            crate::assert_stable!("over_budget_text", gantry_prune::report::text(&run));
        }
        let message = verdict(run).unwrap_err();
        assert!(message.contains(numbers), "{message}");
    }
}

through_both!(a_budget_overrun_deletes_nothing, over_budget);

/// Between the plan and the first delete, an image the plan deletes is deployed (it gets
/// the `production` tag): nothing is deleted and the run stops with the change.
async fn inventory_change(through: Through) {
    let world = World::new(through);
    world.image(&["new"], 1);
    let doomed = world.index(&["old"], 40);
    let registry = &world.ghcr.registry;
    let backend = Meddled {
        inner: world.backend().await,
        listings: AtomicUsize::new(0),
        meddle: Mutex::new(Some(Box::new(|| {
            registry.push_manifest(
                "acme/api",
                "production",
                &doomed.media_type,
                &doomed.manifest,
            );
        }))),
    };
    let mut rules = Rules {
        keep_tagged: Some(1),
        ..Rules::default()
    };
    rules.deployed.environments = vec!["production".into()];
    rules.deployed.history = 10;
    let settings = Settings {
        rules,
        apply: true,
        now: jiff::Timestamp::now(),
        deletes_per_minute: None,
        max_in_flight: 8,
        read_concurrency: 4,
        max_delete: None,
        max_delete_percent: None,
        running: Default::default(),
        deployed_unknown: Default::default(),
    };
    let run = engine::run(&backend, &["api".to_owned()], &settings, &|_| {}).await;
    let outcome = Outcome::of(&run);
    assert!(
        outcome.report.deleted.is_empty(),
        "{:?}",
        outcome.report.deleted
    );
    let (list, reason) = outcome.of_digest(&doomed.digest);
    assert_eq!(list, "skipped");
    assert!(
        reason.contains("is no longer to be deleted: deployed in production"),
        "{reason}"
    );
    assert_eq!(
        sorted(world.tags_left()),
        strings(&["new", "old", "production"])
    );
    let message = verdict(run).unwrap_err();
    assert!(
        message.contains("changed between the plan and the first delete"),
        "{message}"
    );
}

through_both!(
    an_inventory_change_between_plan_and_delete_stops_the_run,
    inventory_change
);

/// The environments' targets on a fake Dokploy: staging runs `sha-3` (an application),
/// production runs `sha-2` (a compose's `API_IMAGE_TAG`); the manifest names them.
struct Panel {
    fake: FakeDokploy,
    manifest: String,
    application: String,
    compose: String,
}

fn panel(world: &World, url: Option<&str>) -> Panel {
    let fake = FakeDokploy::start();
    let project = fake.add_project("shop");
    let staging = fake.add_environment(&project, "staging");
    let production = fake.environment(&project, "production");
    let application =
        fake.add_application(&staging, "api", &format!("{}:sha-3", world.image_name()));
    let compose = fake.add_compose(
        &production,
        "stack",
        "API_IMAGE_TAG=sha-2\nDB_PASSWORD=s3cret\n",
    );
    let manifest = world.manifest(
        &ENVIRONMENTS
            .replace("app-staging", &application)
            .replace("compose-production", &compose)
            .replace("DOKPLOY", url.unwrap_or(fake.url())),
    );
    Panel {
        fake,
        manifest,
        application,
        compose,
    }
}

impl Panel {
    /// `--keep-tagged 1 --apply` in `api`, with the manifest and the panel's key.
    async fn prune_keeping_one(&self, world: &World) -> Run {
        world
            .prune(
                &[
                    "--manifest",
                    &self.manifest,
                    "--packages",
                    "api",
                    "--keep-tagged",
                    "1",
                    "--apply",
                ],
                &[("DOKPLOY_API_KEY", self.fake.api_key())],
            )
            .await
    }
}

/// What each environment runs now (per the Dokploy fake) survives `--keep-tagged 1` with
/// its reason, next to the environment tags and the newest ledger entries; Dokploy is read
/// once per target and only read.
async fn what_dokploy_runs(through: Through) {
    let world = World::new(through);
    let running_staging = world.image(&["sha-3"], 20);
    let running_production = world.image(&["sha-2"], 30);
    world.image(&["sha-1"], 40);
    world.image(&["sha-4", "staging", "staging-20261205T101500Z"], 2);
    world.image(&["sha-5"], 1);
    let panel = panel(&world, None);
    let run = panel.prune_keeping_one(&world).await;
    let outcome = Outcome::of(&run);
    assert_eq!(
        outcome.of_digest(&running_staging),
        (
            "kept",
            format!(
                "runs in staging now (Dokploy application {})",
                panel.application
            )
        )
    );
    assert_eq!(
        outcome.of_digest(&running_production),
        (
            "kept",
            format!("runs in production now (Dokploy compose {})", panel.compose)
        )
    );
    assert_eq!(
        sorted(world.tags_left()),
        strings(&[
            "sha-2",
            "sha-3",
            "sha-4",
            "sha-5",
            "staging",
            "staging-20261205T101500Z"
        ])
    );
    // The bound: one read per target (docs/performance.md), nothing written.
    let requests = panel.fake.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(panel.fake.requests_to("application.one").len(), 1);
    assert_eq!(panel.fake.requests_to("compose.one").len(), 1);
    assert_eq!(
        serde_json::to_value(&outcome.report).unwrap()["api-calls"]["dokploy"],
        serde_json::json!({"reads": 2, "retries": 0, "total": 2}),
        "the report counts what the panel was asked"
    );
    verdict(run).unwrap();
}

through_both!(images_dokploy_runs_survive_keep_tagged_1, what_dokploy_runs);

/// The panel cannot be reached: nothing is deleted in the package of its services, and the
/// run fails with the reason.
async fn dokploy_unreachable(through: Through) {
    let world = World::new(through);
    world.image(&["sha-1"], 40);
    world.image(&["sha-2"], 1);
    let before = world.tags_left();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let panel = panel(&world, Some(&url));
    let run = panel.prune_keeping_one(&world).await;
    let outcome = Outcome::of(&run);
    assert!(outcome.report.deleted.is_empty());
    assert_eq!(world.tags_left(), before);
    // One read per environment, each retried as the run's policy says (`quick_retry`).
    let dokploy = outcome.report.api_calls.dokploy;
    assert_eq!((dokploy.reads, dokploy.retries), (2, 2 * 4), "{dokploy:?}");
    assert_eq!(dokploy.total, 2 + 2 * 4);
    let message = verdict(run).unwrap_err();
    assert!(
        message.contains(&format!("Dokploy ({url}) cannot say what runs in staging")),
        "{message}"
    );
    assert!(!message.contains(panel.fake.api_key()));
}

through_both!(
    an_unreachable_dokploy_leaves_its_packages_untouched,
    dokploy_unreachable
);
