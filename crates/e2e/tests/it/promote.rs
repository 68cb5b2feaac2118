//! actions/promote against a real registry, checked with skopeo.

use gantry_testkit::Registry;

use gantry_e2e::workspace::bin_dir;

use crate::support::{run_script, tool_action, workflow_script};

#[test]
fn promotes_in_the_registry_and_never_shows_the_token() {
    let registry = Registry::start();
    let image = registry.image("acme/api").tag("staging").push();
    let workspace = tempfile::tempdir().unwrap();
    let token = "ghs_e2eSecretTokenValue0123456789";
    let run = tool_action("promote", workspace.path())
        .with("image", &format!("{}/acme/api:staging", registry.host()))
        .with("tags", "production,v1.2.3")
        .env("GITHUB_TOKEN", token)
        .run();
    run.assert_success();
    assert_eq!(run.output("digest"), image.digest);
    assert_eq!(
        run.output("references"),
        format!(
            "{0}/acme/api:production\n{0}/acme/api:v1.2.3",
            registry.host()
        )
    );
    for tag in ["production", "v1.2.3"] {
        assert_eq!(registry.digest_of(&format!("acme/api:{tag}")), image.digest);
    }
    crate::support::assert_never_shown(&run, token);
}

#[test]
fn the_deploy_job_tags_what_runs_in_the_environment() {
    let registry = Registry::start();
    let api = registry.image("acme/api").tag("main").push();
    let web = registry.image("acme/web").tag("main").push();
    let images = format!(
        "api={0}/acme/api:main@{1},web={0}/acme/web:main@{2}",
        registry.host(),
        api.digest,
        web.digest
    );
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap());
    run_script(
        dir.path(),
        &workflow_script("deploy", "Tag what runs in ${{ inputs.environment }}"),
        &[
            ("IMAGES", &images),
            ("ENVIRONMENT", "staging"),
            ("PATH", &path),
        ],
    );
    assert_eq!(registry.digest_of("acme/api:staging"), api.digest);
    assert_eq!(registry.digest_of("acme/web:staging"), web.digest);
}
