//! actions/promote against a real registry, checked with skopeo.

use gantry_testkit::Registry;

use crate::support::tool_action;

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
