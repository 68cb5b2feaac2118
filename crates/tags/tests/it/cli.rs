//! The binary end to end, as a workflow step: payload file, runner files, frozen clock.

use crate::support::Step;

/// One tag spec for every event, so the snapshots show which rule fires when.
const SPEC: &str = "\
type=schedule,pattern=nightly-{{date 'YYYYMMDD'}}
type=ref,event=branch
type=ref,event=pr
type=semver,pattern={{version}}
type=semver,pattern={{major}}.{{minor}}
type=sha
type=raw,value=latest,enable={{is_default_branch}}
";

/// 2024-05-01T10:00:00Z.
const EPOCH: &str = "1714557600";

fn step(event: &str, payload: &str, git_ref: &str, sha: &str) -> Step {
    Step::new()
        .actions()
        .event(event, payload)
        .env("GITHUB_REF", git_ref)
        .env("GITHUB_SHA", sha)
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("INPUT_IMAGES", "ghcr.io/acme/api")
        .env("INPUT_TAGS", SPEC)
        .env("INPUT_LABELS", "org.opencontainers.image.vendor=Acme")
        .env("INPUT_FORMAT", "json")
}

const PUSH_SHA: &str = "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a";

fn check_snapshots(name: &str, step: Step) {
    let run = step.run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // The `json` output holds the same tags, labels and annotations.
    let output: serde_json::Value = serde_json::from_str(run.output("json").unwrap()).unwrap();
    for key in ["tags", "tag-names", "labels", "annotations"] {
        assert_eq!(json[key], output[key], "{key}");
    }
    assert_eq!(json["version"], run.output("version").unwrap());
    insta::assert_snapshot!(format!("{name}_json"), run.stdout);
    insta::assert_snapshot!(format!("{name}_summary"), run.summary);
}

#[test]
fn branch_push() {
    check_snapshots(
        "branch_push",
        step("push", "push-branch.json", "refs/heads/main", PUSH_SHA),
    );
}

#[test]
fn pull_request() {
    check_snapshots(
        "pull_request",
        step(
            "pull_request",
            "pull_request.json",
            "refs/pull/42/merge",
            "4444444444444444444444444444444444444444",
        ),
    );
}

#[test]
fn semver_tag() {
    check_snapshots(
        "semver_tag",
        step("push", "push-tag.json", "refs/tags/v1.2.3", PUSH_SHA),
    );
}

#[test]
fn prerelease_tag() {
    check_snapshots(
        "prerelease_tag",
        step(
            "push",
            "push-prerelease.json",
            "refs/tags/v2.0.0-rc.1",
            PUSH_SHA,
        ),
    );
}

#[test]
fn schedule() {
    check_snapshots(
        "schedule",
        step("schedule", "schedule.json", "refs/heads/main", PUSH_SHA),
    );
}

#[test]
fn text_report_and_outputs() {
    let run = step("push", "push-tag.json", "refs/tags/v1.2.3", PUSH_SHA)
        .args(["--format", "text"])
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    insta::assert_snapshot!("text_report", run.redact_paths(&run.stdout));
    let outputs: Vec<String> = run
        .outputs
        .iter()
        .map(|(name, value)| format!("{name}={}", run.redact_paths(value)))
        .collect();
    insta::assert_snapshot!("outputs", outputs.join("\n"));
    // Every output is exported as DOCKER_METADATA_OUTPUT_*, with the same value.
    assert_eq!(run.exported.len(), run.outputs.len());
    for ((name, value), (env_name, env_value)) in run.outputs.iter().zip(&run.exported) {
        let expected = format!(
            "DOCKER_METADATA_OUTPUT_{}",
            name.to_uppercase().replace('-', "_")
        );
        assert_eq!(env_name, &expected);
        assert_eq!(env_value, value);
    }
}

#[test]
fn bake_files_are_written_under_runner_temp() {
    let run = step("push", "push-tag.json", "refs/tags/v1.2.3", PUSH_SHA).run();
    let runner_temp = run.dir.path().join("runner-temp");
    let path = run.output("bake-file").unwrap();
    assert!(
        path.starts_with(&runner_temp.display().to_string()),
        "{path}"
    );
    assert!(path.ends_with("/docker-metadata-action-bake.json"));
    insta::assert_snapshot!(std::fs::read_to_string(path).unwrap());
    let tags: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.output("bake-file-tags").unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        tags["target"]["docker-metadata-action"]["args"]["DOCKER_META_VERSION"],
        "1.2.3"
    );
    let annotations: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.output("bake-file-annotations").unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        annotations["target"]["docker-metadata-action"]["annotations"][0],
        "manifest:org.opencontainers.image.created=2024-05-01T10:00:00.000Z"
    );
}

#[test]
fn output_env_export_can_be_disabled() {
    let run = step("push", "push-branch.json", "refs/heads/main", PUSH_SHA)
        .env("DOCKER_METADATA_SET_OUTPUT_ENV", "false")
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.outputs.is_empty());
    assert!(run.exported.is_empty());
    let run = step("push", "push-branch.json", "refs/heads/main", PUSH_SHA)
        .env("DOCKER_METADATA_SET_OUTPUT_ENV", "maybe")
        .run();
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("DOCKER_METADATA_SET_OUTPUT_ENV"),
        "{}",
        run.stderr
    );
}

#[test]
fn metadata_action_variables() {
    let run = step(
        "pull_request",
        "pull_request.json",
        "refs/pull/42/merge",
        "4444444444444444444444444444444444444444",
    )
    .env("DOCKER_METADATA_PR_HEAD_SHA", "true")
    .env("DOCKER_METADATA_SHORT_SHA_LENGTH", "12")
    .env("DOCKER_METADATA_ANNOTATIONS_LEVELS", "manifest,index")
    .env("INPUT_SEP_TAGS", ",")
    .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.output("tags").unwrap(),
        "ghcr.io/acme/api:pr-42,ghcr.io/acme/api:sha-222222222222"
    );
    let annotations = run.output("annotations").unwrap();
    assert!(annotations.starts_with("manifest:org.opencontainers.image.created="));
    assert!(annotations.contains(
        "\nindex:org.opencontainers.image.revision=2222222222222222222222222222222222222222"
    ));
}

#[test]
fn commit_date_comes_from_the_payload() {
    let run = step("push", "push-branch.json", "refs/heads/main", PUSH_SHA)
        .env(
            "INPUT_TAGS",
            "type=raw,value={{commit_date 'YYYYMMDD-HHmm' tz='Europe/Berlin'}}",
        )
        .run();
    assert_eq!(run.output("version"), Some("20240501-1200"));
}

#[test]
fn without_source_date_epoch_the_clock_is_used() {
    let run = Step::new()
        .args([
            "--images",
            "a/b",
            "--tags",
            "type=raw,value={{date 'YYYY'}}",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let year = json["version"].as_str().unwrap().parse::<i32>().unwrap();
    assert!(year >= 2024, "{year}");
    let run = Step::new()
        .args(["--images", "a/b"])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .run();
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("SOURCE_DATE_EPOCH"), "{}", run.stderr);
}

/// Files and directories `dir` holds, recursively.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        found.push(entry.file_name().to_string_lossy().into_owned());
        if entry.path().is_dir() {
            found.extend(entries(&entry.path()));
        }
    }
    found.sort();
    found
}

#[test]
fn a_local_run_writes_nothing_unless_asked() {
    // No GITHUB_ACTIONS: a laptop. TMPDIR is the step's own empty directory.
    let run = Step::new()
        .env("GITHUB_REF", "refs/tags/v1.2.3")
        .args(["--images", "ghcr.io/acme/api"])
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("ghcr.io/acme/api:v1.2.3"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("bake files: not written"),
        "{}",
        run.stdout
    );
    assert_eq!(entries(run.dir.path()), Vec::<String>::new());
    // Asked for: into that directory, with metadata-action's file names.
    let out = tempfile::tempdir().unwrap();
    let bake = out.path().join("bake");
    let run = Step::new()
        .env("GITHUB_REF", "refs/tags/v1.2.3")
        .args(["--images", "ghcr.io/acme/api", "--bake-dir"])
        .args([bake.display().to_string()])
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(entries(run.dir.path()), Vec::<String>::new());
    assert_eq!(
        entries(&bake),
        [
            "docker-metadata-action-bake-annotations.json",
            "docker-metadata-action-bake-labels.json",
            "docker-metadata-action-bake-tags.json",
            "docker-metadata-action-bake.json",
        ]
    );
}
