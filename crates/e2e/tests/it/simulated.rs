//! gantry's reusable workflows run end to end through the workflow simulator
//! (`gantry_testkit::workflow`): the example monorepo (`examples/bizosaas`) as a repository
//! with the README's quick start as its workflow, a real registry (checked with skopeo), the
//! fake Dokploy and, for prune.yml, the fake GitHub Packages API.

use gantry_e2e::snippets::{self, PINNED_SHA, SHA_PLACEHOLDER};
use gantry_e2e::workspace::{bin_dir, repo_root};
use gantry_testkit::Registry;
use gantry_testkit::dokploy::FakeDokploy;
use gantry_testkit::github::{GithubFake, OwnerKind, TokenKind};
use gantry_testkit::health::HealthEndpoint;
use gantry_testkit::workflow::{Event, GitRepo, JobResult, Simulator, TimelineEvent, WorkflowRun};
use serde_json::json;

/// The owner of the example's images (`registry: ghcr.io/bizoholic-digital`).
const OWNER: &str = "bizoholic-digital";
const REPOSITORY: &str = "bizoholic-digital/bizosaas";
const CALLER: &str = ".github/workflows/deploy.yml";

/// The fenced block of `page` that holds `marker`, with `<commit-sha>` pinned (the simulator
/// runs this checkout's workflows whatever the ref).
pub fn doc_block(page: &str, marker: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join(page)).unwrap();
    let (blocks, _) = snippets::blocks(page, &text);
    let block = blocks
        .into_iter()
        .find(|block| block.text.contains(marker))
        .unwrap_or_else(|| panic!("{page} has no block with {marker:?}"));
    block.text.replace(SHA_PLACEHOLDER, PINNED_SHA)
}

/// The example monorepo with its Dokploy targets in the fake and its images in the registry.
pub struct Bizosaas {
    pub registry: Registry,
    pub dokploy: FakeDokploy,
    pub repo: GitRepo,
    /// Manifest service → Dokploy application id.
    pub applications: Vec<(&'static str, String)>,
    /// The compose of the two frontends (tag variables BIZOHOLIC_IMAGE_TAG, CORELDOVE_IMAGE_TAG).
    pub compose: String,
}

/// The placeholder application ids of examples/bizosaas/gantry.yml.
const APPLICATIONS: &[(&str, &str)] = &[
    ("brain-gateway", "9kQwXb2LrT4vYc8NpZ3sA"),
    ("client-portal", "Hq7Vd1mKx0PzR5tWbN2eC"),
    ("admin-dashboard", "Lm3Ry8sTq6UwE1aZc9VbX"),
    ("business-directory", "Pf4Gh0jKn2XcV7bQm5ZtY"),
];
const COMPOSE: &str = "uimFISkhg1KACigb2CaGz";

impl Bizosaas {
    /// The repository with `workflows` (path → text) beside the example, its manifest
    /// pointing at the test registry and the fake Dokploy.
    pub fn new(workflows: &[(&str, &str)]) -> Bizosaas {
        let registry = Registry::start();
        let dokploy = FakeDokploy::start();
        let project = dokploy.add_project("bizosaas");
        let environment = dokploy.environment(&project, "production");
        let mut manifest =
            std::fs::read_to_string(repo_root().join("examples/bizosaas/gantry.yml"))
                .unwrap()
                .replace(
                    "ghcr.io/bizoholic-digital",
                    &format!("{}/{OWNER}", registry.host()),
                )
                .replace("https://dokploy.bizoholic.example", dokploy.url());
        let mut applications = Vec::new();
        for (service, placeholder) in APPLICATIONS {
            let image = format!("{}/{OWNER}/bizosaas-{service}:v0", registry.host());
            let id = dokploy.add_application(&environment, service, &image);
            manifest = manifest.replace(placeholder, &id);
            applications.push((*service, id));
        }
        let compose = dokploy.add_compose(
            &environment,
            "frontends",
            "BIZOHOLIC_IMAGE_TAG=v0\nCORELDOVE_IMAGE_TAG=v0\n",
        );
        manifest = manifest.replace(COMPOSE, &compose);

        let repo = GitRepo::from_dir(REPOSITORY, &repo_root().join("examples/bizosaas"));
        let mut files = vec![("gantry.yml", manifest.as_str())];
        files.extend_from_slice(workflows);
        repo.push("point the example at the test registry and Dokploy", &files);
        Bizosaas {
            registry,
            dokploy,
            repo,
            applications,
            compose,
        }
    }

    /// The README's quick start as `.github/workflows/deploy.yml`.
    pub fn quick_start() -> Bizosaas {
        Self::new(&[(
            CALLER,
            &doc_block("README.md", "# .github/workflows/deploy.yml"),
        )])
    }

    /// A simulator over this repository, the registry and gantry's binaries (the actions
    /// install them in `path` mode, as on a self-hosted runner), with the Dokploy key as
    /// the repository secret DOKPLOY_API_KEY.
    pub fn simulator(&self) -> Simulator<'_> {
        self.simulator_without_secrets()
            .secret("DOKPLOY_API_KEY", self.dokploy.api_key())
    }

    /// [`Self::simulator`] without the repository secret.
    pub fn simulator_without_secrets(&self) -> Simulator<'_> {
        Simulator::new(&repo_root())
            .repository(&self.repo)
            .registry(&self.registry)
            .runner_env("GANTRY_INSTALL", "path")
            .runner_env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
    }

    /// What the application of `service` runs (its stored `dockerImage`).
    pub fn running(&self, service: &str) -> String {
        self.dokploy
            .application(self.application(service))
            .docker_image
            .unwrap_or_default()
    }

    /// `host/repository:staging-<short sha>@digest`: the build of `service` from commit `sha`,
    /// as the deploy job pins it, checked against the registry (skopeo).
    pub fn build_of(&self, service: &str, sha: &str) -> String {
        let repository = Self::repository(service);
        let tag = format!("staging-{}", short(sha));
        let digest = self.registry.digest_of(&format!("{repository}:{tag}"));
        format!("{}/{repository}:{tag}@{digest}", self.registry.host())
    }

    /// `host/bizoholic-digital/bizosaas-<service>` without the host: the registry repository.
    pub fn repository(service: &str) -> String {
        format!("{OWNER}/bizosaas-{service}")
    }

    pub fn application(&self, service: &str) -> &str {
        &self
            .applications
            .iter()
            .find(|(name, _)| *name == service)
            .unwrap_or_else(|| panic!("no application for {service}"))
            .1
    }

    /// Runs the deploy workflow for `event`.
    pub fn run(&self, simulator: &Simulator<'_>, event: &Event) -> WorkflowRun {
        simulator.run(REPOSITORY, CALLER, event)
    }
}

/// The short SHA gantry-tags puts in `staging-<sha>` tags.
fn short(sha: &str) -> &str {
    &sha[..7]
}

#[test]
fn a_push_builds_pushes_and_deploys_only_what_changed() {
    let example = Bizosaas::quick_start();
    let simulator = example.simulator();
    let event = example.repo.push(
        "brain-sdk: retry",
        &[("bizosaas/ai/libs/brain-sdk/client.py", "RETRIES = 3\n")],
    );
    let run = example.run(&simulator, &event);
    run.assert_success();

    // Jobs: one build, for the service depending on the library.
    let changes = run.job("staging/changes");
    assert_eq!(changes.output("services"), r#"["brain-gateway"]"#);
    assert_eq!(changes.output("any"), "true");
    let builds = run.jobs_of("staging/build");
    assert_eq!(builds.len(), 1, "{}", run.log());
    assert_eq!(builds[0].name, "staging / build brain-gateway");
    assert_eq!(run.job("staging/deploy").result, JobResult::Success);
    assert_eq!(run.job("staging/deploy").output("result"), "success");
    assert_eq!(
        run.check("staging / deploy-staging"),
        Some(JobResult::Success)
    );

    // Registry: the build's tags and the environment tag, all on one digest (skopeo).
    let repository = Bizosaas::repository("brain-gateway");
    let pushed = simulator.builds();
    assert_eq!(pushed.len(), 1);
    let digest = &pushed[0].digest;
    let mut tags = example.registry.list_tags(&repository);
    tags.sort();
    let staging_sha = format!("staging-{}", short(&event.sha));
    let mut expected = vec![
        "latest".to_owned(),
        "main".to_owned(),
        "staging".to_owned(),
        staging_sha,
    ];
    expected.sort();
    assert_eq!(tags, expected);
    for tag in &tags {
        assert_eq!(
            &example.registry.digest_of(&format!("{repository}:{tag}")),
            digest,
            "{tag}"
        );
    }
    example
        .registry
        .assert_resolves_fully(&format!("{repository}:staging"));
    assert_eq!(pushed[0].platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(pushed[0].build_args, ["PYTHON_VERSION=3.12"]);
    assert_eq!(
        pushed[0].labels["org.opencontainers.image.revision"],
        event.sha.as_str()
    );
    for service in [
        "client-portal",
        "admin-dashboard",
        "business-directory",
        "bizoholic-frontend",
    ] {
        assert!(
            example
                .registry
                .list_tags(&Bizosaas::repository(service))
                .is_empty(),
            "{service} was not built"
        );
    }
    let attestations = simulator.attestations();
    assert_eq!(attestations.len(), 1);
    assert_eq!(&attestations[0].subject_digest, digest);

    // Dokploy: the changed service pinned to the exact digest and deployed; nothing else.
    let gateway = example
        .dokploy
        .application(example.application("brain-gateway"));
    assert_eq!(
        gateway.docker_image,
        Some(format!(
            "{}/{repository}:staging-{}@{digest}",
            example.registry.host(),
            short(&event.sha)
        ))
    );
    let deploys = example.dokploy.requests_to("application.deploy");
    assert_eq!(deploys.len(), 1, "{deploys:?}");
    assert_eq!(
        deploys[0].body.as_ref().unwrap()["applicationId"],
        example.application("brain-gateway")
    );
    assert!(example.dokploy.requests_to("compose.deploy").is_empty());
    for (service, id) in &example.applications {
        if *service != "brain-gateway" {
            assert!(
                example.dokploy.deployments(id).is_empty(),
                "{service} was not deployed"
            );
        }
    }
    assert_eq!(
        example.dokploy.compose(&example.compose).env,
        "BIZOHOLIC_IMAGE_TAG=v0\nCORELDOVE_IMAGE_TAG=v0\n"
    );

    // Summaries: the aggregator's table, and no secret anywhere.
    let summary = run.job("staging/summary").summary();
    assert!(summary.contains("| deploy | success |"), "{summary}");
    assert!(
        summary.contains(
            r#"Services: ["brain-gateway"]. Deployed: ["brain-gateway"]. Deploy result: success."#
        ),
        "{summary}"
    );
    run.assert_never_shows(example.dokploy.api_key());
}

#[test]
fn a_pull_request_builds_without_pushing_or_deploying_and_the_required_check_reports() {
    let example = Bizosaas::quick_start();
    let simulator = example.simulator();
    let event = example.repo.pull_request(
        7,
        "faster-portal",
        &[(
            "bizosaas/frontend/apps/client-portal/src/page.tsx",
            "export const page = 2;\n",
        )],
    );
    let run = example.run(&simulator, &event);
    run.assert_success();
    // The check a branch protection rule waits for reports on the pull request.
    assert_eq!(
        run.check("staging / deploy-staging"),
        Some(JobResult::Success),
        "{}",
        run.log()
    );

    // Built (the Dockerfile and context are checked), not pushed, not attested, not deployed.
    let builds = simulator.builds();
    assert_eq!(builds.len(), 1, "{}", run.log());
    assert_eq!(builds[0].context, "bizosaas/frontend/apps/client-portal");
    assert!(!builds[0].pushed, "a pull request pushes nothing");
    assert!(
        builds[0].tags.iter().any(|tag| tag.ends_with(":pr-7")),
        "{:?}",
        builds[0].tags
    );
    assert!(
        example
            .registry
            .list_tags(&Bizosaas::repository("client-portal"))
            .is_empty()
    );
    assert!(simulator.attestations().is_empty());
    assert_eq!(run.job("staging/deploy").result, JobResult::Skipped);
    assert!(
        example.dokploy.requests().is_empty(),
        "Dokploy was not called"
    );
    let summary = run.job("staging/summary").summary();
    assert!(summary.contains("| deploy | skipped |"), "{summary}");
    assert!(
        summary.contains("Built without pushing (pull_request): nothing deployed."),
        "{summary}"
    );
}

#[test]
fn attestation_is_an_input_and_a_repository_without_it_still_deploys() {
    let caller = doc_block("README.md", "# .github/workflows/deploy.yml").replace(
        "    secrets:\n",
        "    with:\n      attest: false\n    secrets:\n",
    );
    let example = Bizosaas::new(&[(CALLER, &caller)]);
    // A private repository whose plan has no artifact attestations.
    let simulator = example.simulator().attestations_unavailable();
    let event = example.repo.push(
        "portal",
        &[("bizosaas/frontend/apps/client-portal/src/page.tsx", "x\n")],
    );
    let run = example.run(&simulator, &event);
    run.assert_success();
    assert!(simulator.attestations().is_empty());
    assert_eq!(
        example.registry.digest_of(&format!(
            "{}:staging",
            Bizosaas::repository("client-portal")
        )),
        simulator.builds()[0].digest
    );
    assert_eq!(example.dokploy.requests_to("application.deploy").len(), 1);

    // By default it attests, and there the build fails before anything is deployed.
    let example = Bizosaas::quick_start();
    let simulator = example.simulator().attestations_unavailable();
    let event = example.repo.push(
        "portal",
        &[("bizosaas/frontend/apps/client-portal/src/page.tsx", "x\n")],
    );
    let run = example.run(&simulator, &event);
    assert_eq!(run.conclusion, JobResult::Failure);
    assert_eq!(run.job("staging/build").result, JobResult::Failure);
    let errors = run.all_errors().join("\n");
    assert!(
        errors.contains("Feature not available for user-owned private repositories"),
        "{errors}"
    );
    assert_eq!(run.job("staging/deploy").result, JobResult::Skipped);
    assert_eq!(
        run.check("staging / deploy-staging"),
        Some(JobResult::Failure)
    );
    assert!(example.dokploy.requests().is_empty());
}

/// A copy of the parts of this checkout the workflows run (workflows, actions, scripts,
/// dist), with `edit` applied to deploy-staging.yml.
fn gantry_copy(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let copy = tempfile::Builder::new()
        .prefix("gantry-copy-")
        .tempdir()
        .unwrap();
    std::fs::create_dir(copy.path().join(".github")).unwrap();
    for dir in [".github/workflows", "actions", "scripts", "dist"] {
        let status = std::process::Command::new("cp")
            .arg("-R")
            .arg(repo_root().join(dir))
            .arg(copy.path().join(dir))
            .status()
            .unwrap();
        assert!(status.success(), "copy {dir}");
    }
    let file = copy.path().join(".github/workflows/deploy-staging.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changes the workflow");
    std::fs::write(&file, edited).unwrap();
    copy
}

#[test]
fn a_misspelled_needs_output_fails_the_simulated_run_where_github_would_skip_silently() {
    let broken = gantry_copy(|text| {
        text.replacen(
            "if: needs.changes.outputs.any == 'true'",
            "if: needs.changes.outputs.anyy == 'true'",
            1,
        )
    });
    let example = Bizosaas::quick_start();
    let simulator = example
        .simulator()
        .remote("gantry-rs/gantry", broken.path());
    let event = example.repo.push(
        "brain-sdk",
        &[("bizosaas/ai/libs/brain-sdk/client.py", "X = 1\n")],
    );
    let run = example.run(&simulator, &event);
    assert_eq!(run.conclusion, JobResult::Failure, "{}", run.log());
    let build = run.job("staging/build");
    let error = build.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("gantry-rs/gantry/.github/workflows/deploy-staging.yml:")
            && error.contains("`needs.changes.outputs` has no property `anyy` (it has: matrix, services, count, any"),
        "{error}"
    );
    assert!(simulator.builds().is_empty());
    assert!(example.dokploy.requests().is_empty());
    assert_eq!(
        run.check("staging / deploy-staging"),
        Some(JobResult::Failure)
    );
}

/// The packages token of the prune scenarios.
const PACKAGES_TOKEN: &str = "ghp_SimulatedPrunePackagesToken00000000";

/// The example monorepo (manifest untouched: its images are on ghcr.io) with the caller of
/// prune.yml its header shows, also taking pushes, and the fake GitHub in front of a registry
/// holding brain-gateway's `latest` and three untagged images 60 days old.
struct PruneSetup {
    registry: Registry,
    github: GithubFake,
    repo: GitRepo,
    untagged: Vec<String>,
}

impl PruneSetup {
    fn new() -> PruneSetup {
        let registry = Registry::start();
        let github = GithubFake::start(&registry);
        github.add_owner(OWNER, OwnerKind::Organization);
        github.add_token(PACKAGES_TOKEN, "bizosaas-bot", TokenKind::Classic);
        let repository = Bizosaas::repository("brain-gateway");
        registry.image(&repository).tag("latest").push();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60 * 86_400);
        let untagged: Vec<String> = (0..3)
            .map(|_| {
                let image = registry.image(&repository).push();
                github.set_times(&repository, &image.digest, old, old);
                image.digest
            })
            .collect();
        let example = workflow_header_example("prune.yml");
        let caller = example
            .replace("  workflow_dispatch:\n", "  workflow_dispatch:\n  push:\n")
            .replace(
                "    secrets:\n",
                &format!(
                    "    with:\n      registry-url: {}\n      registry-username: bizosaas-bot\n    \
                     secrets:\n      registry-password: ${{{{ secrets.PACKAGES_TOKEN }}}}\n",
                    github.registry_url()
                ),
            );
        assert_eq!(
            caller.matches('\n').count(),
            example.matches('\n').count() + 5,
            "{caller}"
        );
        let repo = GitRepo::from_dir(REPOSITORY, &repo_root().join("examples/bizosaas"));
        repo.push(
            "prune the registry",
            &[(".github/workflows/prune.yml", &caller)],
        );
        PruneSetup {
            registry,
            github,
            repo,
            untagged,
        }
    }

    fn run(&self, event: &Event) -> WorkflowRun {
        Simulator::new(&repo_root())
            .repository(&self.repo)
            .registry(&self.registry)
            .runner_env("GANTRY_INSTALL", "path")
            .runner_env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
            .api_url(&self.github.api_url())
            .secret("PACKAGES_TOKEN", PACKAGES_TOKEN)
            .run(REPOSITORY, ".github/workflows/prune.yml", event)
    }

    fn remaining(&self) -> usize {
        let repository = Bizosaas::repository("brain-gateway");
        self.untagged
            .iter()
            .filter(|digest| self.registry.manifest_exists(&repository, digest))
            .count()
    }
}

/// The caller workflow a reusable workflow's header comment shows (its `#   ` lines).
fn workflow_header_example(name: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join(".github/workflows").join(name)).unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("#   "))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .replace(SHA_PLACEHOLDER, PINNED_SHA)
}

#[test]
fn prune_applies_on_schedule_and_dispatch_and_only_plans_for_pull_requests_and_pushes() {
    let setup = PruneSetup::new();
    let prune = |run: &WorkflowRun| {
        run.assert_success();
        let job = run.job("prune/prune");
        job.step("prune").outputs.clone()
    };

    // A pull request changing the manifest: the plan, nothing deleted.
    let event = setup.repo.pull_request(
        3,
        "retention",
        &[(
            "gantry.yml",
            &setup
                .repo
                .read("gantry.yml")
                .replace("keep-tagged: 10", "keep-tagged: 5"),
        )],
    );
    let run = setup.run(&event);
    let outputs = prune(&run);
    assert_eq!(outputs["dry-run"], "true", "{}", run.log());
    assert_eq!(outputs["deleted"], "3");
    assert_eq!(run.jobs[0].name, "prune / prune (dry run)");
    assert_eq!(setup.github.deleted(), 0);
    assert_eq!(setup.remaining(), 3);

    // A pull request that leaves the manifest alone does not run it at all.
    let event = setup
        .repo
        .pull_request(4, "docs", &[("README.md", "docs\n")]);
    assert!(!setup.run(&event).triggered);

    // A push (a trigger outside the allow-list) only plans as well.
    let event = setup.repo.push("docs", &[("README.md", "more docs\n")]);
    let run = setup.run(&event);
    assert_eq!(prune(&run)["dry-run"], "true", "{}", run.log());
    assert_eq!(setup.github.deleted(), 0, "a push deletes nothing");

    // The schedule applies: the untagged images go, `latest` stays whole.
    let run = setup.run(&setup.repo.schedule("17 3 * * *"));
    let outputs = prune(&run);
    assert_eq!(outputs["dry-run"], "false");
    assert_eq!(outputs["deleted"], "3");
    assert_eq!(run.jobs[0].name, "prune / prune (apply)");
    assert_eq!(setup.github.deleted(), 3);
    assert_eq!(setup.remaining(), 0);
    setup
        .registry
        .assert_resolves_fully(&format!("{}:latest", Bizosaas::repository("brain-gateway")));
    run.assert_never_shows(PACKAGES_TOKEN);

    // A manual run applies too (nothing left to delete).
    let run = setup.run(&setup.repo.workflow_dispatch(serde_json::json!({})));
    assert_eq!(prune(&run)["dry-run"], "false");
}

/// The services of examples/bizosaas/gantry.yml, in manifest order.
const SERVICES: &[&str] = &[
    "brain-gateway",
    "bizoholic-frontend",
    "coreldove-frontend",
    "client-portal",
    "admin-dashboard",
    "business-directory",
    "thrillring-gaming",
];

/// A `release` event (`published`) for a new tag `tag` at the head of `main`.
fn release(repo: &GitRepo, tag: &str) -> Event {
    repo.git(&["tag", tag]);
    repo.git(&["push", "-q", "origin", tag]);
    let mut event = Event::on_main(
        "release",
        &repo.head(),
        serde_json::json!({
            "action": "published",
            "release": {"tag_name": tag, "name": tag, "draft": false, "prerelease": false},
            "repository": {"name": "bizosaas", "full_name": REPOSITORY, "owner": {"login": OWNER},
                           "default_branch": "main"},
            "sender": {"login": "octocat"},
        }),
    );
    event.git_ref = format!("refs/tags/{tag}");
    event
}

#[test]
fn the_release_caller_of_the_migration_guide_asks_one_approval_then_promotes_and_deploys() {
    const RELEASE: &str = ".github/workflows/release.yml";
    let caller = doc_block("docs/migration.md", "promote.yml@");
    let example = Bizosaas::new(&[(RELEASE, &caller)]);
    // What runs in staging: every service's image, tagged `staging`.
    let staging: Vec<String> = SERVICES
        .iter()
        .map(|service| {
            let repository = Bizosaas::repository(service);
            example
                .registry
                .image(&repository)
                .tag("staging")
                .push()
                .digest
        })
        .collect();
    let simulator = example.simulator();
    let run = simulator.run(REPOSITORY, RELEASE, &release(&example.repo, "v1.0.0"));
    run.assert_success();

    // One approval: the only job in the environment is the gate, and it ran before any
    // promotion (GitHub asks again for each job that reaches the environment later).
    let gated: Vec<(&str, Option<&str>)> = run
        .jobs
        .iter()
        .filter(|job| job.environment.is_some())
        .map(|job| (job.id.as_str(), job.environment.as_deref()))
        .collect();
    assert_eq!(
        gated,
        [("production/approve", Some("production"))],
        "{}",
        run.log()
    );
    let position = |id: &str| run.jobs.iter().position(|job| job.id == id);
    let approve = position("production/approve").unwrap();
    assert_eq!(run.jobs_of("production/promote").len(), SERVICES.len());
    for (index, job) in run.jobs.iter().enumerate() {
        if job.id == "production/promote" || job.id == "production/deploy" {
            assert!(index > approve, "{} ran before the approval", job.name);
        }
    }

    // Registry: production and the release tag on the digest that ran in staging.
    for (service, digest) in SERVICES.iter().zip(&staging) {
        let repository = Bizosaas::repository(service);
        for tag in ["production", "v1.0.0"] {
            assert_eq!(
                &example.registry.digest_of(&format!("{repository}:{tag}")),
                digest,
                "{service}:{tag}"
            );
        }
    }

    // Dokploy: the release tag deployed.
    assert_eq!(run.job("production/deploy").result, JobResult::Success);
    for (service, id) in &example.applications {
        assert_eq!(
            example.dokploy.application(id).docker_image,
            Some(format!(
                "{}/{}:v1.0.0",
                example.registry.host(),
                Bizosaas::repository(service)
            )),
            "{service}"
        );
    }
    assert_eq!(
        example.dokploy.compose(&example.compose).env,
        "BIZOHOLIC_IMAGE_TAG=v1.0.0\nCORELDOVE_IMAGE_TAG=v1.0.0\n"
    );
    run.assert_never_shows(example.dokploy.api_key());
}

#[test]
fn manifest_warnings_are_annotated_once_by_the_job_that_plans() {
    let example = Bizosaas::quick_start();
    // Five stages no service uses: five warnings of one kind (more than a report shows in
    // full, so a summary of the rest is reported too).
    let manifest = example.repo.read("gantry.yml").replace(
        "stages: [backend, frontend]",
        "stages: [backend, frontend, later-1, later-2, later-3, later-4, later-5]",
    );
    example
        .repo
        .push("stages for later", &[("gantry.yml", &manifest)]);
    let event = example.repo.push(
        "sdk and portal",
        &[
            ("bizosaas/ai/libs/brain-sdk/client.py", "RETRIES = 3\n"),
            ("bizosaas/frontend/apps/client-portal/src/page.tsx", "x\n"),
        ],
    );
    let simulator = example.simulator();
    let run = example.run(&simulator, &event);
    run.assert_success();
    assert_eq!(run.jobs_of("staging/build").len(), 2, "{}", run.log());

    // Annotations about the manifest, per job: only the planning job has them.
    let annotated: Vec<&str> = run
        .jobs
        .iter()
        .filter(|job| {
            job.annotations()
                .iter()
                .any(|line| line.starts_with("::warning") && line.contains("gantry.yml"))
        })
        .map(|job| job.id.as_str())
        .collect();
    assert_eq!(annotated, ["staging/changes"], "{}", run.log());
    let changes = run.job("staging/changes").annotations().join("\n");
    assert!(changes.contains("`later-1`"), "{changes}");
    // Later jobs still log them, without annotations.
    for job in run
        .jobs_of("staging/build")
        .into_iter()
        .chain([run.job("staging/deploy")])
    {
        let log = job.log();
        assert!(log.contains("⚠") && log.contains("`later-1`"), "{log}");
    }
}

/// Staging and production ids of examples/bizosaas/gantry.environments.yml's targets.
const ENVIRONMENT_TARGETS: &[(&str, &str, &str)] = &[
    (
        "brain-gateway",
        "9kQwXb2LrT4vYc8NpZ3sA",
        "4rTgHn7JkL2mPq9XsV6bW",
    ),
    (
        "client-portal",
        "Hq7Vd1mKx0PzR5tWbN2eC",
        "Zx5Cv8Bn1Mq4Wr7Ty2UiP",
    ),
    (
        "admin-dashboard",
        "Lm3Ry8sTq6UwE1aZc9VbX",
        "Gh2Jk5Lp8Qw1Er4Ty7UiO",
    ),
];
const PRODUCTION_COMPOSE: &str = "hU2yhYOqv3_ftKGGvcAiv";

#[test]
fn the_two_environments_of_the_migration_guide_deploy_staging_then_promote_its_digests() {
    const RELEASE: &str = ".github/workflows/release.yml";
    let registry = Registry::start();
    let dokploy = FakeDokploy::start();
    let health = gantry_testkit::health::HealthEndpoint::start();
    let project = dokploy.add_project("bizosaas");
    let staging = dokploy.add_environment(&project, "staging");
    let production = dokploy.environment(&project, "production");
    let host = registry.host();
    let mut manifest =
        std::fs::read_to_string(repo_root().join("examples/bizosaas/gantry.environments.yml"))
            .unwrap()
            .replace("ghcr.io/bizoholic-digital", &format!("{host}/{OWNER}"))
            .replace("https://dokploy.bizoholic.example", dokploy.url());
    // Every health URL answers 200 from the test's endpoint.
    manifest = manifest
        .lines()
        .map(|line| match line.find("health: ") {
            Some(at) => format!("{}health: {}", &line[..at], health.url("ok")),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut targets = Vec::new();
    for (service, staging_id, production_id) in ENVIRONMENT_TARGETS {
        let old = format!("{host}/{OWNER}/bizosaas-{service}:v0");
        let in_staging = dokploy.add_application(&staging, service, &old);
        let in_production = dokploy.add_application(&production, service, &old);
        manifest = manifest
            .replace(staging_id, &in_staging)
            .replace(production_id, &in_production);
        targets.push((*service, in_staging, in_production));
    }
    let directory = dokploy.add_application(&staging, "business-directory", "v0");
    manifest = manifest.replace("Pf4Gh0jKn2XcV7bQm5ZtY", &directory);
    let env = "BIZOHOLIC_IMAGE_TAG=v0\nCORELDOVE_IMAGE_TAG=v0\n";
    let staging_compose = dokploy.add_compose(&staging, "frontends", env);
    let production_compose = dokploy.add_compose(&production, "frontends", env);
    manifest = manifest
        .replace(COMPOSE, &staging_compose)
        .replace(PRODUCTION_COMPOSE, &production_compose);

    let repo = GitRepo::from_dir(REPOSITORY, &repo_root().join("examples/bizosaas"));
    let deploy = doc_block("docs/migration.md", "manifest-environment: staging");
    let release_caller = doc_block("docs/migration.md", "from-environment: staging");
    repo.push(
        "two environments",
        &[
            ("gantry.yml", manifest.as_str()),
            (CALLER, deploy.as_str()),
            (RELEASE, release_caller.as_str()),
        ],
    );
    // Earlier deploys to staging: each service's image with the ledger's tags.
    let earlier: Vec<(&str, String)> = SERVICES
        .iter()
        .filter(|service| **service != "thrillring-gaming")
        .map(|service| {
            let repository = Bizosaas::repository(service);
            let image = registry.image(&repository).tag("staging").push();
            registry.push_manifest(
                &repository,
                "staging-20261201T000000Z",
                &image.media_type,
                &image.manifest,
            );
            (*service, image.digest)
        })
        .collect();

    let simulator = Simulator::new(&repo_root())
        .repository(&repo)
        .registry(&registry)
        .runner_env("GANTRY_INSTALL", "path")
        .runner_env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
        .secret("DOKPLOY_API_KEY", dokploy.api_key());

    // Staging on push: the changed service to staging's target only, with its ledger tags.
    let event = repo.push(
        "brain-sdk: retry",
        &[("bizosaas/ai/libs/brain-sdk/client.py", "RETRIES = 3\n")],
    );
    let run = simulator.run(REPOSITORY, CALLER, &event);
    run.assert_success();
    let built = simulator.builds();
    assert_eq!(built.len(), 1, "{}", run.log());
    let gateway = Bizosaas::repository("brain-gateway");
    assert_eq!(
        registry.digest_of(&format!("{gateway}:staging")),
        built[0].digest
    );
    let entries: Vec<String> = registry
        .list_tags(&gateway)
        .into_iter()
        .filter(|tag| gantry_manifest::ledger::is_entry("staging", tag))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (_, in_staging, in_production) = &targets[0];
    assert!(
        dokploy
            .application(in_staging)
            .docker_image
            .unwrap()
            .ends_with(&built[0].digest)
    );
    assert!(
        dokploy
            .requests_to("application.update")
            .iter()
            .all(|request| {
                request
                    .body
                    .as_ref()
                    .and_then(|body| body.get("applicationId"))
                    != Some(&serde_json::json!(in_production))
            }),
        "the staging deploy touched production"
    );
    assert!(health.hits("ok") >= 1);

    // Production on a release: one approval, the digests that ran in staging, by digest,
    // then the release tag on what runs there.
    let run = simulator.run(REPOSITORY, RELEASE, &release(&repo, "v1.0.0"));
    run.assert_success();
    let staging_digest = |service: &str| match service {
        "brain-gateway" => built[0].digest.clone(),
        _ => earlier
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, digest)| digest.clone())
            .unwrap(),
    };
    for (service, _, in_production) in &targets {
        let image = dokploy.application(in_production).docker_image.unwrap();
        assert!(
            image.ends_with(&format!("@{}", staging_digest(service))),
            "{service}: {image}"
        );
        let repository = Bizosaas::repository(service);
        for tag in ["production", "v1.0.0"] {
            assert_eq!(
                registry.digest_of(&format!("{repository}:{tag}")),
                staging_digest(service),
                "{service}:{tag}"
            );
        }
    }
    let compose_env = dokploy.compose(&production_compose).env;
    assert!(
        compose_env.contains("BIZOHOLIC_IMAGE_TAG=staging-20261201T000000Z"),
        "{compose_env}"
    );
    assert!(
        !registry
            .list_tags(&Bizosaas::repository("business-directory"))
            .contains(&"production".to_owned()),
        "business-directory does not run in production"
    );
    run.assert_never_shows(dokploy.api_key());
}

/// Whether the deploy job of run `run` waits in its concurrency group.
fn pending(run: u64) -> impl Fn(&[TimelineEvent]) -> bool {
    move |timeline| {
        timeline.iter().any(|event| {
            matches!(event, TimelineEvent::Pending { run: r, job, .. }
                if *r == run && job == "staging/deploy")
        })
    }
}

#[test]
fn pushes_a_b_c_with_b_s_pending_deploy_cancelled_leave_every_newest_build_in_staging() {
    let example = Bizosaas::quick_start();
    let simulator = example.simulator();
    let gateway = example.application("brain-gateway").to_owned();
    // A's deploy keeps running (Dokploy holds brain-gateway) while B and C arrive.
    example.dokploy.hold(&gateway);
    let a = example.repo.push(
        "A: brain-sdk",
        &[("bizosaas/ai/libs/brain-sdk/client.py", "RETRIES = 3\n")],
    );
    let (example, simulator) = (&example, &simulator);
    let start = |event: &Event| {
        let event = event.clone();
        move || example.run(simulator, &event)
    };
    let (runs, b, c) = std::thread::scope(|scope| {
        let run_a = scope.spawn(start(&a));
        example
            .dokploy
            .wait_until("A deploys brain-gateway", |dokploy| {
                !dokploy.deployments(&gateway).is_empty()
            });
        let b = example.repo.push(
            "B: portal and dashboard",
            &[
                ("bizosaas/frontend/apps/client-portal/src/page.tsx", "b\n"),
                ("bizosaas/frontend/apps/admin-dashboard/src/page.tsx", "b\n"),
            ],
        );
        let run_b = scope.spawn(start(&b));
        simulator.wait_for("B's deploy waits behind A's", pending(2));
        let c = example.repo.push(
            "C: directory and portal again",
            &[
                (
                    "bizosaas/frontend/apps/business-directory/src/page.tsx",
                    "c\n",
                ),
                ("bizosaas/frontend/apps/client-portal/src/page.tsx", "c\n"),
            ],
        );
        let run_c = scope.spawn(start(&c));
        simulator.wait_for("C's deploy queues and cancels B's", pending(3));
        example.dokploy.release(&gateway);
        let runs = [run_a, run_b, run_c].map(|run| run.join().unwrap());
        (runs, b, c)
    });
    let [run_a, run_b, run_c] = &runs;

    // GitHub's rule, as the simulator plays it: B's pending deploy was cancelled by C's.
    assert!(
        simulator
            .timeline()
            .contains(&TimelineEvent::CancelledWhilePending {
                run: 2,
                job: "staging/deploy".to_owned(),
                group: "gantry-deploy-staging".to_owned(),
            }),
        "{:#?}",
        simulator.timeline()
    );
    run_a.assert_success();
    assert_eq!(run_b.job("staging/deploy").result, JobResult::Cancelled);
    assert_eq!(run_b.conclusion, JobResult::Cancelled);
    // B's required check still reports success: its builds are C's deploy's business.
    assert_eq!(
        run_b.check("staging / deploy-staging"),
        Some(JobResult::Success)
    );
    let summary = run_b.job("staging/summary").summary();
    assert!(
        summary.contains(
            "The deploy was cancelled while it waited: the next deploy to run takes these builds."
        ),
        "{summary}"
    );
    run_c.assert_success();

    // Builds: each run built its own changes.
    let built = |run: u64| -> Vec<String> {
        let mut jobs: Vec<String> = simulator
            .builds()
            .iter()
            .filter(|build| build.run == run)
            .map(|build| build.context.rsplit('/').next().unwrap().to_owned())
            .collect();
        jobs.sort();
        jobs
    };
    assert_eq!(built(1), ["bizosaas-brain"]);
    assert_eq!(built(2), ["admin-dashboard", "client-portal"]);
    assert_eq!(built(3), ["business-directory", "client-portal"]);

    // C's deploy took B's dashboard too, and the newest portal (C's, not B's).
    assert_eq!(
        run_c.job("staging/deploy").output("services"),
        r#"["client-portal","admin-dashboard","business-directory"]"#,
        "{}",
        run_c.log()
    );
    let newest = [
        ("brain-gateway", &a.sha),
        ("client-portal", &c.sha),
        ("admin-dashboard", &b.sha),
        ("business-directory", &c.sha),
    ];
    for (service, sha) in newest {
        // Dokploy runs the newest build, pinned by digest...
        assert_eq!(
            example.running(service),
            example.build_of(service, sha),
            "{service}"
        );
        // ...and the registry's `staging` tag marks it (skopeo).
        let repository = Bizosaas::repository(service);
        assert_eq!(
            example.registry.digest_of(&format!("{repository}:staging")),
            example
                .registry
                .digest_of(&format!("{repository}:staging-{}", short(sha))),
            "{service}"
        );
    }
    // Each service was deployed exactly once: nothing older went out after something newer.
    for (service, _) in newest {
        let id = example.application(service);
        let deploys = example
            .dokploy
            .requests_to("application.deploy")
            .into_iter()
            .filter(|request| request.body.as_ref().unwrap()["applicationId"] == id)
            .count();
        assert_eq!(deploys, 1, "{service}");
    }
    let summary = run_c.job("staging/summary").summary();
    assert!(
        summary.contains(
            r#"Deployed: ["client-portal","admin-dashboard","business-directory"]. Deploy result: success."#
        ),
        "{summary}"
    );
    for run in &runs {
        run.assert_never_shows(example.dokploy.api_key());
    }
}

#[test]
fn the_dokploy_key_as_an_environment_secret_reaches_the_deploy_job() {
    let caller = doc_block("docs/actions.md", "secret DOKPLOY_API_KEY of the");
    for (name, workflow) in [
        ("the caller of actions.md, passing nothing", caller),
        // The README's caller passes secrets.DOKPLOY_API_KEY, empty in a caller job when it
        // is an environment secret: the deploy job falls back to the environment's.
        (
            "the README's caller",
            doc_block("README.md", "# .github/workflows/deploy.yml"),
        ),
    ] {
        let example = Bizosaas::new(&[(CALLER, &workflow)]);
        let simulator = example.simulator_without_secrets().environment_secret(
            "staging",
            "DOKPLOY_API_KEY",
            example.dokploy.api_key(),
        );
        let event = example.repo.push(
            "portal",
            &[("bizosaas/frontend/apps/client-portal/src/page.tsx", "x\n")],
        );
        let run = example.run(&simulator, &event);
        run.assert_success();
        assert_eq!(
            run.job("staging/deploy").environment.as_deref(),
            Some("staging")
        );
        assert_eq!(
            run.job("staging/deploy").output("result"),
            "success",
            "{name}"
        );
        assert_eq!(
            example.running("client-portal"),
            example.build_of("client-portal", &event.sha),
            "{name}"
        );
        run.assert_never_shows(example.dokploy.api_key());
    }
}

#[test]
fn a_change_to_a_redeploy_file_redeploys_without_building() {
    let example = Bizosaas::quick_start();
    let simulator = example.simulator();
    let manifest = example
        .repo
        .read("gantry.yml")
        .replace("global:", "redeploy: [\"deploy/**\"]\nglobal:");
    example.repo.push(
        "compose files only the deploy reads",
        &[
            ("gantry.yml", &manifest),
            ("deploy/frontends.compose.yml", "services: {}\n"),
        ],
    );
    let first = example.repo.push(
        "brain-sdk",
        &[("bizosaas/ai/libs/brain-sdk/client.py", "RETRIES = 3\n")],
    );
    example.run(&simulator, &first).assert_success();
    assert_eq!(example.dokploy.requests_to("application.deploy").len(), 1);

    let event = example.repo.push(
        "compose: more memory",
        &[(
            "deploy/frontends.compose.yml",
            "services: {web: {mem_limit: 1g}}\n",
        )],
    );
    let run = example.run(&simulator, &event);
    run.assert_success();
    let changes = run.job("staging/changes");
    assert_eq!(changes.output("any"), "false");
    assert_eq!(changes.output("redeploy"), "true");
    assert_eq!(run.job("staging/build").result, JobResult::Skipped);
    assert_eq!(simulator.builds().len(), 1, "nothing was built again");
    // Redeployed: the newest build of every built service, the one it already ran.
    assert_eq!(
        run.job("staging/deploy").output("services"),
        r#"["brain-gateway"]"#
    );
    let deploys = example.dokploy.requests_to("application.deploy");
    assert_eq!(deploys.len(), 2, "{deploys:?}");
    assert_eq!(
        deploys[1].body.as_ref().unwrap()["applicationId"],
        example.application("brain-gateway")
    );
    assert_eq!(
        example.running("brain-gateway"),
        example.build_of("brain-gateway", &first.sha)
    );
    assert_eq!(
        example
            .dokploy
            .deployments(example.application("brain-gateway"))
            .len(),
        2
    );
    let summary = run.job("staging/summary").summary();
    assert!(
        summary.contains(r#"Services: []. Deployed: ["brain-gateway"]. Deploy result: success."#),
        "{summary}"
    );
}

/// The deploy repository of the multi-repo flow: the example's two applications
/// (brain-gateway, client-portal) in a staging and a production environment of one manifest
/// (production only takes what ran in staging), each with a health URL, the caller of
/// dispatch-deploy.yml from actions.md, releases `v1.0.0` and `v1.1.0` of both images in the
/// registry (what the service repositories pushed).
struct DeployRepository {
    registry: Registry,
    dokploy: FakeDokploy,
    health: HealthEndpoint,
    repo: GitRepo,
    /// (environment, service) → Dokploy application id.
    applications: Vec<((&'static str, &'static str), String)>,
    /// service → [v1.0.0 digest, v1.1.0 digest].
    releases: Vec<(&'static str, [String; 2])>,
}

const DISPATCHED: [&str; 2] = ["brain-gateway", "client-portal"];
/// The deploy repository's promotion caller.
const PROMOTE: &str = ".github/workflows/promote.yml";

impl DeployRepository {
    fn new() -> DeployRepository {
        let registry = Registry::start();
        let dokploy = FakeDokploy::start();
        let health = HealthEndpoint::start();
        let project = dokploy.add_project("bizosaas");
        let mut applications = Vec::new();
        let mut services = String::new();
        for (index, service) in DISPATCHED.iter().enumerate() {
            let mut targets = String::new();
            for environment in ["staging", "production"] {
                let dokploy_environment = match environment {
                    "production" => dokploy.environment(&project, "production"),
                    _ => dokploy.add_environment(&project, &format!("staging-{service}")),
                };
                let id = dokploy.add_application(&dokploy_environment, service, "none");
                targets.push_str(&format!(
                    "        {environment}: {{dokploy: {{application: {id}}}, health: \"{}\"}}\n",
                    health.url(&format!("{environment}-{service}"))
                ));
                applications.push(((environment, *service), id));
            }
            let stage = ["backend", "frontend"][index];
            services.push_str(&format!(
                "  {service}:\n    context: .\n    deploy:\n      stage: {stage}\n      environments:\n{targets}"
            ));
        }
        let manifest = format!(
            "version: 1\nregistry: {host}/{OWNER}\nimage-prefix: \"bizosaas-\"\n\
             tags: |\n  type=ref,event=branch\n  type=sha,prefix=sha-\nservices:\n{services}\
             deploy:\n  stages: [backend, frontend]\n  environments:\n    \
             staging: {{dokploy: {{url: \"{url}\"}}}}\n    \
             production: {{dokploy: {{url: \"{url}\"}}, promote-from: staging}}\n",
            host = registry.host(),
            url = dokploy.url(),
        );
        let releases = DISPATCHED
            .iter()
            .map(|service| {
                let repository = Bizosaas::repository(service);
                let release = |tag| registry.image(&repository).tag(tag).push().digest;
                (*service, [release("v1.0.0"), release("v1.1.0")])
            })
            .collect();
        // An unhealthy service is given up on after 3 seconds, not 2 minutes.
        let caller = doc_block(
            "docs/actions.md",
            "# .github/workflows/deploy.yml of the deploy",
        )
        .replace("    with:\n", "    with:\n      health-timeout: 3s\n");
        assert!(caller.contains("health-timeout: 3s"));
        let promote = doc_block(
            "docs/actions.md",
            "# .github/workflows/promote.yml: staging's digests",
        )
        .replace("    with:\n", "    with:\n      health-timeout: 3s\n");
        let repo = GitRepo::new(
            "bizoholic-digital/deploy",
            &[
                ("gantry.yml", &manifest),
                ("Dockerfile", "FROM scratch\n"),
                (CALLER, &caller),
                (PROMOTE, &promote),
            ],
        );
        DeployRepository {
            registry,
            dokploy,
            health,
            repo,
            applications,
            releases,
        }
    }

    /// Production's deploys need a reviewer; each environment has its own DOKPLOY_API_KEY.
    fn simulator(&self) -> Simulator<'_> {
        Simulator::new(&repo_root())
            .repository(&self.repo)
            .registry(&self.registry)
            .runner_env("GANTRY_INSTALL", "path")
            .runner_env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
            .environment_secret("staging", "DOKPLOY_API_KEY", self.dokploy.api_key())
            .environment_secret("production", "DOKPLOY_API_KEY", self.dokploy.api_key())
            .reviewers("production")
    }

    fn run(&self, simulator: &Simulator<'_>, event: &Event) -> WorkflowRun {
        simulator.run(self.repo.full_name(), CALLER, event)
    }

    fn release(&self, service: &str, index: usize) -> &str {
        &self
            .releases
            .iter()
            .find(|(name, _)| *name == service)
            .unwrap()
            .1[index]
    }

    /// The digest of `service`'s `tag` (skopeo); `None` without such a tag.
    fn tag(&self, service: &str, tag: &str) -> Option<String> {
        let repository = Bizosaas::repository(service);
        self.registry
            .list_tags(&repository)
            .contains(&tag.to_owned())
            .then(|| self.registry.digest_of(&format!("{repository}:{tag}")))
    }

    /// What the application of `service` runs in `environment`.
    fn running(&self, environment: &str, service: &str) -> String {
        let id = &self
            .applications
            .iter()
            .find(|(key, _)| *key == (environment, service))
            .unwrap()
            .1;
        self.dokploy
            .application(id)
            .docker_image
            .unwrap_or_default()
    }

    /// `environment` runs release `index` of `service`: in Dokploy, and by its ledger tag.
    #[track_caller]
    fn assert_runs(&self, environment: &str, service: &str, index: usize) {
        let digest = self.release(service, index);
        // Dokploy's reference, a tag or a digest one, resolved by skopeo.
        let running = self.running(environment, service);
        let resolved = match running.split_once('@') {
            Some((_, digest)) => digest.to_owned(),
            None => self.registry.digest_of(
                running
                    .strip_prefix(&format!("{}/", self.registry.host()))
                    .unwrap_or(&running),
            ),
        };
        assert_eq!(resolved, digest, "{environment} {service}: {running}");
        assert_eq!(
            self.tag(service, environment).as_deref(),
            Some(digest),
            "{environment} {service}"
        );
    }
}

#[test]
fn dispatches_deploy_releases_roll_back_and_promote_with_a_reviewer() {
    let deploy = DeployRepository::new();
    let simulator = deploy.simulator();

    // The api repository's release: "deploy every service at v1.0.0 to staging".
    let run = deploy.run(
        &simulator,
        &deploy
            .repo
            .repository_dispatch("deploy", json!({"tag": "v1.0.0"})),
    );
    run.assert_success();
    assert_eq!(run.job("deploy/deploy").output("result"), "success");
    assert_eq!(
        run.job("deploy/deploy").environment.as_deref(),
        Some("staging")
    );
    for service in DISPATCHED {
        deploy.assert_runs("staging", service, 0);
        assert_eq!(deploy.running("production", service), "none");
    }

    // "brain-gateway at v1.1.0", from the service repository.
    let run = deploy.run(
        &simulator,
        &deploy.repo.repository_dispatch(
            "deploy",
            json!({"service": "brain-gateway", "environment": "staging", "tag": "v1.1.0"}),
        ),
    );
    run.assert_success();
    deploy.assert_runs("staging", "brain-gateway", 1);
    deploy.assert_runs("staging", "client-portal", 0);
    let gateway_deploys = || deploy.dokploy.deployments(&deploy.applications[0].1).len();
    assert_eq!(gateway_deploys(), 2);

    // The one-click rollback from the Actions tab: `previous`.
    let run = deploy.run(
        &simulator,
        &deploy.repo.workflow_dispatch(
            json!({"service": "brain-gateway", "environment": "staging", "tag": "previous"}),
        ),
    );
    run.assert_success();
    assert_eq!(run.jobs[0].name, "deploy / deploy previous to staging");
    deploy.assert_runs("staging", "brain-gateway", 0);
    assert_eq!(gateway_deploys(), 3);
    let summary = run.job("deploy/deploy").summary();
    assert!(summary.contains("brain-gateway"), "{summary}");

    // A release whose health check fails: put back, the run red, the summary says so.
    deploy
        .health
        .set("staging-client-portal", 503, "database unreachable");
    let run = deploy.run(
        &simulator,
        &deploy.repo.repository_dispatch(
            "deploy",
            json!({"service": "client-portal", "tag": "v1.1.0"}),
        ),
    );
    assert_eq!(run.conclusion, JobResult::Failure, "{}", run.log());
    assert_eq!(run.job("deploy/deploy").output("result"), "rolled-back");
    deploy.assert_runs("staging", "client-portal", 0);
    let summary = run.job("deploy/deploy").summary();
    assert!(summary.contains("rolled back"), "{summary}");
    deploy.health.set("staging-client-portal", 200, "ok");

    // Production: what ran in staging, after a reviewer approves (run 5). client-portal's
    // v1.1.0 never ran in staging: refused, nothing changes.
    let refused = deploy.run(&simulator, &{
        simulator.review(5, "production", true);
        deploy.repo.workflow_dispatch(
            json!({"service": "client-portal", "environment": "production", "tag": "v1.1.0"}),
        )
    });
    assert_eq!(refused.conclusion, JobResult::Failure);
    assert_eq!(deploy.running("production", "client-portal"), "none");
    assert_eq!(deploy.tag("client-portal", "production"), None);

    let production = deploy
        .repo
        .workflow_dispatch(json!({"environment": "production", "tag": "v1.0.0"}));
    let run = std::thread::scope(|scope| {
        let running = scope.spawn(|| deploy.run(&simulator, &production));
        simulator.wait_for("the production deploy waits for its reviewer", |timeline| {
            timeline.contains(&TimelineEvent::WaitingForReview {
                run: 6,
                job: "deploy/deploy".to_owned(),
                environment: "production".to_owned(),
            })
        });
        assert!(deploy.tag("brain-gateway", "production").is_none());
        simulator.review(6, "production", true);
        running.join().unwrap()
    });
    run.assert_success();
    // The same digests as staging's, by skopeo.
    for service in DISPATCHED {
        deploy.assert_runs("production", service, 0);
        assert_eq!(
            deploy.tag(service, "production"),
            deploy.tag(service, "staging")
        );
    }
    run.assert_never_shows(deploy.dokploy.api_key());

    // brain-gateway v1.1.0 passes staging again; the promotion takes staging's digests.
    deploy
        .run(
            &simulator,
            &deploy.repo.repository_dispatch(
                "deploy",
                json!({"service": "brain-gateway", "tag": "v1.1.0"}),
            ),
        )
        .assert_success();
    simulator.review(8, "production", true);
    let run = simulator.run(
        deploy.repo.full_name(),
        PROMOTE,
        &deploy.repo.workflow_dispatch(json!({})),
    );
    run.assert_success();
    assert_eq!(
        run.jobs[0].name,
        "production / deploy staging to production"
    );
    deploy.assert_runs("production", "brain-gateway", 1);
    deploy.assert_runs("production", "client-portal", 0);
    run.assert_never_shows(deploy.dokploy.api_key());
}

#[test]
fn a_push_deploys_to_a_manifest_environment_with_its_health_checks_and_ledger() {
    let deploy = DeployRepository::new();
    // The quick start with the manifest's environment named.
    let caller = doc_block("README.md", "# .github/workflows/deploy.yml").replace(
        "    secrets:\n",
        "    with:\n      attest: false\n      manifest-environment: staging\n    secrets:\n",
    );
    deploy.repo.push(
        "build and deploy",
        &[(".github/workflows/build.yml", &caller)],
    );
    let simulator = deploy
        .simulator()
        .secret("DOKPLOY_API_KEY", deploy.dokploy.api_key());
    let event = deploy
        .repo
        .push("both services", &[("app.py", "print(2)\n")]);
    let run = simulator.run(
        deploy.repo.full_name(),
        ".github/workflows/build.yml",
        &event,
    );
    run.assert_success();
    assert_eq!(run.jobs_of("staging/build").len(), 2, "{}", run.log());
    assert_eq!(
        run.job("staging/deploy").output("services"),
        r#"["brain-gateway","client-portal"]"#
    );
    for service in DISPATCHED {
        let repository = Bizosaas::repository(service);
        let build = deploy
            .registry
            .digest_of(&format!("{repository}:sha-{}", short(&event.sha)));
        // gantry-dokploy's ledger: the environment's tag and one history entry (skopeo).
        assert_eq!(
            deploy.tag(service, "staging"),
            Some(build.clone()),
            "{service}"
        );
        let entries: Vec<String> = deploy
            .registry
            .list_tags(&repository)
            .into_iter()
            .filter(|tag| gantry_manifest::ledger::is_entry("staging", tag))
            .collect();
        assert_eq!(entries.len(), 1, "{service}: {entries:?}");
        assert!(deploy.running("staging", service).contains(&build));
        assert_eq!(deploy.running("production", service), "none");
        // The health URL of the service in staging was asked.
        assert!(deploy.health.hits(&format!("staging-{service}")) > 0);
    }
    run.assert_never_shows(deploy.dokploy.api_key());
}
