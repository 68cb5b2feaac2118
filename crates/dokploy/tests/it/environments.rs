//! Environments end to end: staging and production on one fake Dokploy, the images in a real
//! registry (skopeo checks every ledger tag), health answered by a programmable endpoint.

use std::process::{Command, Stdio};

use gantry_testkit::Registry;
use gantry_testkit::dokploy::FakeDokploy;
use gantry_testkit::health::HealthEndpoint;
use serde_json::Value;

use crate::support::Run;

/// api is a compose service (its tag variable `API_TAG`), web an application; both deploy to
/// staging and production (production only takes what ran in staging).
struct Pipeline {
    registry: Registry,
    fake: FakeDokploy,
    health: HealthEndpoint,
    dir: tempfile::TempDir,
    staging_stack: String,
    staging_web: String,
    production_stack: String,
    production_web: String,
    /// Digests of builds `sha-1` and `sha-2` of api and web.
    api: [String; 2],
    web: [String; 2],
}

impl Pipeline {
    fn new() -> Pipeline {
        let registry = Registry::start();
        let fake = FakeDokploy::start();
        let health = HealthEndpoint::start();
        let project = fake.add_project("shop");
        let staging = fake.add_environment(&project, "staging");
        let production = fake.environment(&project, "production");
        let staging_stack = fake.add_compose(&staging, "stack", "API_TAG=none\nDB=secret\n");
        let production_stack = fake.add_compose(&production, "stack", "API_TAG=none\n");
        let staging_web = fake.add_application(&staging, "web", "none");
        let production_web = fake.add_application(&production, "web", "none");
        let build = |repository: &str, tag: &str| registry.image(repository).tag(tag).push().digest;
        let api = [build("acme/api", "sha-1"), build("acme/api", "sha-2")];
        let web = [build("acme/web", "sha-1"), build("acme/web", "sha-2")];
        assert_ne!(api[0], api[1]);
        let pipeline = Pipeline {
            dir: tempfile::tempdir().unwrap(),
            registry,
            fake,
            health,
            staging_stack,
            staging_web,
            production_stack,
            production_web,
            api,
            web,
        };
        let manifest = format!(
            "version: 1\n\
             registry: {host}/acme\n\
             services:\n  \
               api:\n    context: .\n    deploy:\n      stage: backend\n      environments:\n        \
                 staging: {{dokploy: {{compose: {ss}, tag-var: API_TAG}}, health: \"{sh}\"}}\n        \
                 production: {{dokploy: {{compose: {ps}, tag-var: API_TAG}}}}\n  \
               web:\n    context: .\n    deploy:\n      stage: frontend\n      environments:\n        \
                 staging: {{dokploy: {{application: {sw}}}}}\n        \
                 production: {{dokploy: {{application: {pw}}}, health: \"{ph}\"}}\n\
             deploy:\n  stages: [backend, frontend]\n  environments:\n    \
               staging: {{dokploy: {{url: \"{url}\"}}}}\n    \
               production: {{dokploy: {{url: \"{url}\"}}, promote-from: staging}}\n",
            host = pipeline.registry.host(),
            ss = pipeline.staging_stack,
            ps = pipeline.production_stack,
            sw = pipeline.staging_web,
            pw = pipeline.production_web,
            sh = pipeline.health.url("staging-api"),
            ph = pipeline.health.url("production-web"),
            url = pipeline.fake.url(),
        );
        std::fs::write(pipeline.dir.path().join("gantry.yml"), manifest).unwrap();
        std::fs::write(pipeline.dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        pipeline
    }

    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_gantry-dokploy"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DOKPLOY_API_KEY", self.fake.api_key())
            .env("GITHUB_SHA", crate::support::COMMIT)
            .current_dir(self.dir.path())
            .env("INPUT_FORMAT", "json")
            .args(["--poll-interval", "10ms"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output_file: String::new(),
            summary: String::new(),
        }
    }

    /// What `repository:tag` points at, by skopeo; `None` when there is no such tag.
    fn tag(&self, repository: &str, tag: &str) -> Option<String> {
        self.registry
            .list_tags(repository)
            .contains(&tag.to_owned())
            .then(|| self.registry.digest_of(&format!("{repository}:{tag}")))
    }

    /// The ledger entries of `environment` in `repository`, oldest first, with their digests.
    fn entries(&self, repository: &str, environment: &str) -> Vec<(String, String)> {
        self.registry
            .list_tags(repository)
            .into_iter()
            .filter(|tag| gantry_manifest::ledger::is_entry(environment, tag))
            .map(|tag| {
                let digest = self.registry.digest_of(&format!("{repository}:{tag}"));
                (tag, digest)
            })
            .collect()
    }

    fn api_tag(&self, compose: &str) -> String {
        let env = self.fake.compose(compose).env;
        gantry_dokploy::envfile::get(&env, "API_TAG")
            .unwrap()
            .to_owned()
    }

    fn web_image(&self, application: &str) -> String {
        self.fake
            .application(application)
            .docker_image
            .unwrap_or_default()
    }

    fn writes(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|request| request.method != "GET")
            .count()
    }

    fn deploy_staging(&self, build: &str) {
        self.run(&["--environment", "staging", "--tag", build])
            .assert_code(0);
    }
}

#[test]
fn several_environments_need_environment_and_an_unknown_one_is_named() {
    let pipeline = Pipeline::new();
    let run = pipeline.run(&["--tag", "sha-1"]);
    run.assert_code(2);
    run.assert_said(&[
        "the manifest deploys to several environments (`staging`, `production`)",
        "pass --environment NAME",
    ]);
    let run = pipeline.run(&["--environment", "prod", "--tag", "sha-1"]);
    run.assert_code(2);
    run.assert_said(&["environment `prod` is not one of deploy.environments"]);
    assert_eq!(pipeline.writes(), 0);
}

#[test]
fn a_staging_deploy_records_the_ledger_and_touches_no_production_target() {
    let pipeline = Pipeline::new();
    let run = pipeline.run(&["--environment", "staging", "--tag", "sha-1"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["result"], "success");
    assert_eq!(report["environment"], "staging");
    assert_eq!(pipeline.api_tag(&pipeline.staging_stack), "sha-1");
    let host = pipeline.registry.host();
    assert_eq!(
        pipeline.web_image(&pipeline.staging_web),
        format!("{host}/acme/web:sha-1")
    );
    for production in [&pipeline.production_stack, &pipeline.production_web] {
        assert!(
            pipeline
                .fake
                .requests()
                .iter()
                .all(|request| !crate::support::mentions(request, production)),
            "production target {production} was touched"
        );
    }
    assert!(pipeline.health.hits("staging-api") >= 1);
    assert_eq!(pipeline.health.hits("production-web"), 0);
    assert_eq!(report["health-checks"][0]["service"], "api");
    assert_eq!(report["health-checks"][0]["status"], 200);
    // The ledger: `staging` and one entry on each deployed digest, right after the success.
    for (repository, digest) in [
        ("acme/api", &pipeline.api[0]),
        ("acme/web", &pipeline.web[0]),
    ] {
        assert_eq!(pipeline.tag(repository, "staging").as_ref(), Some(digest));
        let entries = pipeline.entries(repository, "staging");
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(&entries[0].1, digest);
        pipeline
            .registry
            .assert_resolves_fully(&format!("{repository}:{}", entries[0].0));
    }
    assert_eq!(report["ledger"].as_array().unwrap().len(), 2);
    assert_eq!(pipeline.tag("acme/api", "production"), None);

    // A second deploy in the same second takes the next free second.
    pipeline.deploy_staging("sha-2");
    let entries = pipeline.entries("acme/api", "staging");
    assert_eq!(entries.len(), 2);
    assert!(entries[0].0 < entries[1].0);
    assert_eq!(entries[1].1, pipeline.api[1]);
    assert_eq!(
        pipeline.tag("acme/api", "staging"),
        Some(pipeline.api[1].clone())
    );

    // --no-ledger deploys and writes no tag.
    pipeline
        .run(&["--environment", "staging", "--tag", "sha-1", "--no-ledger"])
        .assert_code(0);
    assert_eq!(pipeline.entries("acme/api", "staging").len(), 2);
    assert_eq!(
        pipeline.tag("acme/api", "staging"),
        Some(pipeline.api[1].clone())
    );
}

#[test]
fn promotion_deploys_the_digests_that_ran_in_staging_and_refuses_others() {
    let pipeline = Pipeline::new();
    pipeline.deploy_staging("sha-1");
    let staging_entry = pipeline.entries("acme/api", "staging")[0].0.clone();
    // The build tag moves after staging ran it: promotion goes by digest, not by tag.
    pipeline.registry.image("acme/api").tag("sha-1").push();

    let run = pipeline.run(&[
        "--environment",
        "production",
        "--from-environment",
        "staging",
    ]);
    run.assert_code(0);
    let host = pipeline.registry.host();
    assert_eq!(
        pipeline.api_tag(&pipeline.production_stack),
        staging_entry,
        "a compose gets the staging ledger entry, an immutable tag, never tag@digest"
    );
    assert_eq!(
        pipeline.web_image(&pipeline.production_web),
        format!(
            "{host}/acme/web:{}@{}",
            pipeline.entries("acme/web", "staging")[0].0,
            pipeline.web[0]
        )
    );
    assert_eq!(
        pipeline.tag("acme/api", "production"),
        Some(pipeline.api[0].clone())
    );
    assert_eq!(
        pipeline.tag("acme/web", "production"),
        Some(pipeline.web[0].clone())
    );
    assert_eq!(pipeline.entries("acme/web", "production").len(), 1);
    assert!(pipeline.health.hits("production-web") >= 1);

    // sha-2 never ran in staging: refused before any write.
    let writes = pipeline.writes();
    let run = pipeline.run(&["--environment", "production", "--tag", "sha-2"]);
    run.assert_code(2);
    run.assert_said(&["refusing to deploy", "never ran in staging"]);
    assert_eq!(pipeline.writes(), writes);
    assert_eq!(
        pipeline.tag("acme/api", "production"),
        Some(pipeline.api[0].clone())
    );

    // promote-from names the only source.
    let run = pipeline.run(&[
        "--environment",
        "staging",
        "--from-environment",
        "production",
    ]);
    run.assert_code(0);
}

#[test]
fn an_unhealthy_service_rolls_the_stage_back_and_the_ledger_stays() {
    let pipeline = Pipeline::new();
    pipeline.deploy_staging("sha-1");
    pipeline
        .health
        .set("staging-api", 503, "{\"status\": \"database down\"}");
    let run = pipeline.run(&[
        "--environment",
        "staging",
        "--tag",
        "sha-2",
        "--rollback-on-failure",
        "--health-timeout",
        "300ms",
    ]);
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["result"], "rolled-back");
    let check = &report["health-checks"][0];
    assert_eq!(check["healthy"], false);
    assert_eq!(check["status"], 503);
    assert_eq!(check["body"], "{\"status\": \"database down\"}");
    run.assert_said(&["503 Service Unavailable", "database down"]);
    assert_eq!(pipeline.api_tag(&pipeline.staging_stack), "sha-1");
    assert_eq!(
        report["deployments"][1]["status"], "skipped",
        "frontend is not touched after the failed backend"
    );
    assert_eq!(
        pipeline.tag("acme/api", "staging"),
        Some(pipeline.api[0].clone())
    );
    let entries = pipeline.entries("acme/api", "staging");
    assert_eq!(entries.len(), 1, "no entry after a failure: {entries:?}");
    assert!(report["ledger"].as_array().unwrap().is_empty());
}

#[test]
fn rollback_to_the_previous_version_and_to_a_given_one() {
    let pipeline = Pipeline::new();
    pipeline.deploy_staging("sha-1");
    pipeline.deploy_staging("sha-2");
    let first = pipeline.entries("acme/api", "staging")[0].0.clone();

    let run = pipeline.run(&["--environment", "staging", "--rollback"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "success");
    assert_eq!(pipeline.api_tag(&pipeline.staging_stack), first);
    assert_eq!(
        pipeline.tag("acme/api", "staging"),
        Some(pipeline.api[0].clone())
    );
    assert_eq!(
        pipeline.tag("acme/web", "staging"),
        Some(pipeline.web[0].clone())
    );
    let entries = pipeline.entries("acme/api", "staging");
    assert_eq!(entries.len(), 3, "a rollback records itself: {entries:?}");
    assert_eq!(entries[2].1, pipeline.api[0]);

    let run = pipeline.run(&[
        "--environment",
        "staging",
        "--rollback",
        "--to",
        "sha-2",
        "--services",
        "api",
    ]);
    run.assert_code(0);
    assert_eq!(pipeline.api_tag(&pipeline.staging_stack), "sha-2");
    assert_eq!(
        pipeline.tag("acme/api", "staging"),
        Some(pipeline.api[1].clone())
    );
    assert_eq!(
        pipeline.tag("acme/web", "staging"),
        Some(pipeline.web[0].clone())
    );

    let digest = pipeline.web[1].clone();
    let run = pipeline.run(&["--environment", "staging", "--rollback", "--to", &digest]);
    run.assert_code(2);
    run.assert_said(&["add --services NAME"]);
    pipeline
        .run(&[
            "--environment",
            "staging",
            "--rollback",
            "--to",
            &digest,
            "--services",
            "web",
        ])
        .assert_code(0);
    assert_eq!(pipeline.tag("acme/web", "staging"), Some(digest));

    // Production never deployed: nothing to go back to.
    let run = pipeline.run(&["--environment", "production", "--rollback"]);
    run.assert_code(2);
    run.assert_said(&["service `api` has no ledger entry of production to go back to"]);
}

/// The plan's report with the run's ports, ids, digests and stamps replaced.
fn stable(pipeline: &Pipeline, text: &str) -> String {
    let mut text = text.replace(&pipeline.registry.host(), "registry");
    for (id, name) in [
        (&pipeline.staging_stack, "STAGING_STACK"),
        (&pipeline.staging_web, "STAGING_WEB"),
        (&pipeline.production_stack, "PRODUCTION_STACK"),
        (&pipeline.production_web, "PRODUCTION_WEB"),
    ] {
        text = text.replace(id.as_str(), name);
    }
    for (digest, name) in [
        (&pipeline.api[0], "API1"),
        (&pipeline.api[1], "API2"),
        (&pipeline.web[0], "WEB1"),
        (&pipeline.web[1], "WEB2"),
    ] {
        text = text.replace(digest.as_str(), name);
    }
    text
}

#[test]
fn plan_shows_current_to_wanted_and_changes_nothing() {
    let pipeline = Pipeline::new();
    pipeline.deploy_staging("sha-1");
    let writes = pipeline.writes();
    let tags = pipeline.registry.list_tags("acme/api");

    let run = pipeline.run(&["--environment", "staging", "--plan", "--tag", "sha-2"]);
    run.assert_code(0);
    let json: Value = run.json();
    assert_eq!(json["result"], "planned");
    assert_eq!(json["deployments"][0]["status"], "planned");
    insta::assert_snapshot!("plan_json", stable(&pipeline, &run.stdout));

    let run = pipeline.run(&[
        "--environment",
        "staging",
        "--plan",
        "--tag",
        "sha-1",
        "--format",
        "text",
    ]);
    run.assert_code(0);
    insta::assert_snapshot!("plan_text_unchanged", stable(&pipeline, &run.stdout));

    let run = pipeline.run(&["--environment", "staging", "--plan", "--format", "text"]);
    run.assert_code(0);
    insta::assert_snapshot!("plan_what_runs", stable(&pipeline, &run.stdout));

    assert_eq!(pipeline.writes(), writes, "--plan sent a write");
    assert_eq!(pipeline.registry.list_tags("acme/api"), tags);
    assert_eq!(pipeline.api_tag(&pipeline.staging_stack), "sha-1");
}
