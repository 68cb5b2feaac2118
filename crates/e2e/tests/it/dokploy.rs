//! actions/dokploy against the fake Dokploy, called as deploy-staging.yml's deploy job calls
//! it: only the services just built, each by its exact reference.

use gantry_testkit::dokploy::FakeDokploy;

use crate::support::{assert_never_shown, tool_action};

#[test]
fn deploys_the_built_services_and_leaves_the_others() {
    let fake = FakeDokploy::start();
    let project = fake.add_project("shop");
    let production = fake.environment(&project, "production");
    let api = fake.add_application(&production, "api", "ghcr.io/acme/api:v1");
    let web = fake.add_application(&production, "web", "ghcr.io/acme/web:v1");
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("gantry.yml"),
        format!(
            "version: 1\nregistry: ghcr.io/acme\nservices:\n  \
             api:\n    context: .\n    deploy: {{stage: backend, dokploy: {{application: {api}}}}}\n  \
             web:\n    context: .\n    deploy: {{stage: frontend, dokploy: {{application: {web}}}}}\n  \
             docs:\n    context: .\n\
             deploy:\n  stages: [backend, frontend]\n"
        ),
    )
    .unwrap();
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
