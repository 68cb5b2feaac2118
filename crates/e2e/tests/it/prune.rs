//! actions/prune as the cron workflow (prune.yml) calls it: a dry run that changes nothing,
//! then `apply`, through the fake GitHub Packages API over a real registry; and the OCI backend
//! with a user name and password. skopeo checks every tag left.

use gantry_testkit::github::{GithubFake, OwnerKind, TokenKind};
use gantry_testkit::{BASIC_PASSWORD, BASIC_USER, Registry, RegistryOptions};

use crate::support::{assert_never_shown, tool_action};

const TOKEN: &str = "ghp_E2E_PRUNE_TOKEN_73c0aa";

/// `acme/api` with `latest` and three `build-*` multi-arch images with attestations.
fn builds_and_latest(registry: &Registry) -> Vec<String> {
    registry
        .index("acme/api")
        .attestations()
        .tag("latest")
        .push();
    registry
        .builds("acme/api", 3)
        .into_iter()
        .map(|build| build.digest)
        .collect()
}

fn assert_every_tag_resolves(registry: &Registry, repository: &str) {
    for tag in registry.list_tags(repository) {
        registry.assert_resolves_fully(&format!("{repository}:{tag}"));
    }
}

#[test]
fn a_dry_run_changes_nothing_and_apply_prunes_what_it_planned() {
    let registry = Registry::start();
    let fake = GithubFake::start(&registry);
    fake.add_owner("acme", OwnerKind::Organization);
    fake.add_token(TOKEN, "acme-bot", TokenKind::Classic);
    builds_and_latest(&registry);
    let workspace = tempfile::tempdir().unwrap();
    let action = |apply: &str| {
        tool_action("prune", workspace.path())
            .with("owner", "acme")
            .with("packages", "api")
            .with("delete-tags", "build-*")
            .with("protect-tags", "latest")
            .with("registry-url", &fake.registry_url())
            .with("max-deletes-per-minute", "600000")
            .with("apply", apply)
            .with("token", TOKEN)
            // The fake's registry front is on loopback: GITHUB_TOKEN never goes there, a user
            // name and password do (the fake takes the token as that password).
            .with("username", "acme-bot")
            .with("password", TOKEN)
            .env("GITHUB_API_URL", &fake.api_url())
            .run()
    };

    let dry = action("false");
    dry.assert_success();
    assert_eq!(dry.output("dry-run"), "true");
    // Three indexes, each with two platform images and two attestations.
    assert_eq!(dry.output("deleted"), "15");
    assert_eq!(dry.output("failed"), "0");
    assert_eq!(fake.deleted(), 0, "a dry run deletes nothing");
    assert_eq!(registry.list_tags("acme/api").len(), 4);
    assert!(dry.summary.contains("acme/api"), "{}", dry.summary);

    let applied = action("true");
    applied.assert_success();
    assert_eq!(applied.output("dry-run"), "false");
    assert_eq!(applied.output("deleted"), "15");
    assert_eq!(applied.output("failed"), "0");
    assert_eq!(registry.list_tags("acme/api"), ["latest"]);
    assert_every_tag_resolves(&registry, "acme/api");
    assert_never_shown(&dry, TOKEN);
    assert_never_shown(&applied, TOKEN);
}

#[test]
fn the_oci_backend_takes_a_user_name_and_the_password_input() {
    let registry = Registry::start_with(RegistryOptions {
        basic_auth: true,
        ..RegistryOptions::default()
    });
    let builds = builds_and_latest(&registry);
    let workspace = tempfile::tempdir().unwrap();
    let run = tool_action("prune", workspace.path())
        .with("backend", "oci")
        .with("owner", "acme")
        .with("packages", "api")
        .with("registry-url", &registry.url())
        .with("delete-tags", "build-0")
        .with("apply", "true")
        .with("username", BASIC_USER)
        .with("password", BASIC_PASSWORD)
        // A GitHub token is never sent to a registry that is not GitHub's.
        .with("token", TOKEN)
        .run();
    run.assert_success();
    assert_eq!(run.output("deleted"), "5");
    let mut tags = registry.list_tags("acme/api");
    tags.sort();
    assert_eq!(tags, ["build-1", "build-2", "latest"]);
    assert!(
        registry
            .try_inspect_raw(&format!("acme/api@{}", builds[0]))
            .is_err()
    );
    assert_every_tag_resolves(&registry, "acme/api");
    assert_never_shown(&run, BASIC_PASSWORD);
}
