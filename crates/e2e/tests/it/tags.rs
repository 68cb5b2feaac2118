//! actions/tags: what docker/build-push-action gets in the build job.

use crate::support::{monorepo, tool_action};

#[test]
fn tags_labels_and_annotations_for_a_manifest_service() {
    let repo = monorepo();
    let before = repo.git(&["rev-parse", "HEAD"]);
    repo.write("services/api/main.py", "print('v2')\n");
    let after = repo.commit("api v2");
    let event = repo.push_event(&before, &after);

    let run = tool_action("tags", repo.path())
        .with("service", "api")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &event.display().to_string())
        .env("GITHUB_SHA", &after)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .run();
    run.assert_success();
    let short = &after[..7];
    assert_eq!(run.output("version"), "main");
    assert_eq!(
        run.output("tags"),
        format!("ghcr.io/acme/api:main\nghcr.io/acme/api:sha-{short}")
    );
    assert!(
        run.output("labels")
            .lines()
            .any(|line| line == format!("org.opencontainers.image.revision={after}")),
        "{}",
        run.output("labels")
    );
    assert!(
        run.output("annotations")
            .contains("manifest:org.opencontainers.image.revision=")
    );
    let bake = std::path::Path::new(run.output("bake-file"));
    assert!(
        bake.starts_with(run.runner_dir().join("temp")),
        "bake files under RUNNER_TEMP"
    );
    assert!(bake.is_file());
    // metadata-action's DOCKER_METADATA_OUTPUT_* variables reach later steps through GITHUB_ENV.
    assert!(
        run.env
            .iter()
            .any(|(name, _)| name == "DOCKER_METADATA_OUTPUT_TAGS")
    );
}
