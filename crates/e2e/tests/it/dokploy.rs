//! actions/dokploy against the fake Dokploy, called as deploy-staging.yml's deploy job calls
//! it: only the services just built, each by its exact reference.

use std::collections::BTreeMap;

use gantry_testkit::dokploy::FakeDokploy;

use crate::support::{assert_never_shown, tool_action};

/// The fake with project `shop` and its environment `production` (the id returned).
fn shop() -> (FakeDokploy, String) {
    let fake = FakeDokploy::start();
    let project = fake.add_project("shop");
    let production = fake.environment(&project, "production");
    (fake, production)
}

/// A workspace whose gantry.yml has `services` (the lines under `services:`) and the stages
/// backend, then frontend.
fn workspace(services: &str) -> tempfile::TempDir {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("gantry.yml"),
        format!(
            "version: 1\nregistry: ghcr.io/acme\nservices:\n{services}\
             deploy:\n  stages: [backend, frontend]\n"
        ),
    )
    .unwrap();
    workspace
}

#[test]
fn deploys_the_built_services_and_leaves_the_others() {
    let (fake, production) = shop();
    let api = fake.add_application(&production, "api", "ghcr.io/acme/api:v1");
    let web = fake.add_application(&production, "web", "ghcr.io/acme/web:v1");
    let workspace = workspace(&format!(
        "  api:\n    context: .\n    deploy: {{stage: backend, dokploy: {{application: {api}}}}}\n  \
         web:\n    context: .\n    deploy: {{stage: frontend, dokploy: {{application: {web}}}}}\n  \
         docs:\n    context: .\n"
    ));
    let digest = format!("sha256:{}", "b".repeat(64));
    let reference = format!("ghcr.io/acme/api:main@{digest}");
    let run = tool_action("dokploy", workspace.path())
        .with("dokploy-url", fake.url())
        .with("services", "api,docs")
        .with("image", &format!("api={reference}"))
        .with("rollback-on-failure", "true")
        .with("poll-interval", "10ms")
        .with("api-key", fake.api_key())
        .env("GITHUB_RUN_ID", "77")
        .run();
    run.assert_success();
    assert_eq!(run.output("result"), "success");
    let deployments: serde_json::Value = serde_json::from_str(run.output("deployments")).unwrap();
    assert_eq!(deployments.as_array().unwrap().len(), 1, "{deployments}");
    assert_eq!(deployments[0]["target"], "api");
    assert_eq!(deployments[0]["status"], "done");
    assert_eq!(
        fake.application(&api).docker_image.as_deref(),
        Some(reference.as_str())
    );
    assert_eq!(
        fake.application(&web).docker_image.as_deref(),
        Some("ghcr.io/acme/web:v1"),
        "not built, not touched"
    );
    assert!(fake.deployments(&web).is_empty());
    assert_never_shown(&run, fake.api_key());
}

#[test]
fn the_deploy_job_hands_gantry_matrix_s_images_to_the_action_as_it_reads_them() {
    let (fake, production) = shop();
    let api = fake.add_application(&production, "api", "ghcr.io/acme/api:v1");
    let stack = fake.add_compose(&production, "stack", "WEB_TAG=v1\n");
    let workspace = workspace(&format!(
        "  api:\n    context: .\n    deploy: {{stage: backend, dokploy: {{application: {api}}}}}\n  \
         web:\n    context: .\n    deploy: {{stage: frontend, dokploy: {{compose: {stack}, tag-var: WEB_TAG}}}}\n"
    ));

    // deploy-staging.yml's deploy job passes gantry-matrix --newer-than's `images` output
    // (SERVICE=image:tag@digest, comma-separated) and its services joined with commas.
    let api_digest = format!("sha256:{}", "1".repeat(64));
    let web_digest = format!("sha256:{}", "2".repeat(64));
    let collected: BTreeMap<&str, String> = BTreeMap::from([
        ("services", "api,web".to_owned()),
        (
            "images",
            format!(
                "api=ghcr.io/acme/api:main@{api_digest},web=ghcr.io/acme/web:main@{web_digest}"
            ),
        ),
    ]);

    let run = tool_action("dokploy", workspace.path())
        .with("dokploy-url", fake.url())
        .with("services", &collected["services"])
        .with("image", &collected["images"])
        .with("poll-interval", "10ms")
        .with("api-key", fake.api_key())
        .run();
    run.assert_success();
    assert_eq!(
        fake.application(&api).docker_image,
        Some(format!("ghcr.io/acme/api:main@{api_digest}"))
    );
    assert_eq!(
        fake.compose(&stack).env,
        format!("WEB_TAG=main@{web_digest}\n"),
        "the compose variable holds the tag and digest just pushed"
    );
}
