//! actions/tags: what docker/build-push-action gets in the build job.

use crate::support::{monorepo, push, tool_action};

#[test]
fn tags_labels_and_annotations_for_a_manifest_service() {
    let repo = monorepo();
    let action = tool_action("tags", &repo.path())
        .with("service", "api")
        .env("SOURCE_DATE_EPOCH", "1735689600");
    let (action, after) = push(action, &repo, "services/api/main.py", "print('v2')\n");
    let run = action.run();
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
