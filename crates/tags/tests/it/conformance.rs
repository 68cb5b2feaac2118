//! The docker/metadata-action conformance vectors, every one run through the library with the
//! frozen clock they carry.

use gantry_tags::output::metadata_json;
use gantry_tags::{Inputs, Line, Repository, RunContext, compute};
use serde::Deserialize;
use serde_json::Value;

/// Vectors gantry deliberately does not follow, with the reason. None.
const OUT_OF_SCOPE: &[(&str, &str)] = &[];

#[derive(Debug, Deserialize)]
struct Vector {
    name: String,
    event: String,
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
    default_branch: String,
    payload: Value,
    repo: Repo,
    images: Vec<String>,
    tags: Vec<String>,
    flavor: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    annotations: Vec<String>,
    #[serde(default)]
    env: std::collections::BTreeMap<String, String>,
    now: String,
    commit_date: String,
    expected_version: Option<String>,
    expected_tags: Vec<String>,
    expected_partial: Option<Vec<String>>,
    expected_latest: Option<bool>,
    expected_labels: Option<Vec<String>>,
    expected_annotations: Option<Vec<String>>,
    expected_tag_names: Option<Vec<String>>,
    expected_json: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Repo {
    name: String,
    description: String,
    html_url: String,
    license_spdx_id: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("fixtures/metadata-action-vectors.json")).unwrap()
}

/// The vector's context, built as the binary builds it from the runner's variables.
fn context(vector: &Vector) -> RunContext {
    let now = vector.now.parse().unwrap();
    let mut context = RunContext::new(&vector.event, &vector.git_ref, &vector.sha, now);
    context.commit_date = vector.commit_date.parse().unwrap();
    context.payload = vector.payload.clone();
    context.default_branch = Some(vector.default_branch.clone());
    context.repository = Repository {
        name: vector.repo.name.clone(),
        description: vector.repo.description.clone(),
        html_url: vector.repo.html_url.clone(),
        license: vector.repo.license_spdx_id.clone(),
    };
    let pr_head_sha = vector
        .env
        .get("DOCKER_METADATA_PR_HEAD_SHA")
        .is_some_and(|value| value.to_lowercase().contains("true"));
    context.apply_workflow_rules(pr_head_sha);
    context
}

/// Every difference between the vector's expectations and gantry's result.
fn check(vector: &Vector) -> Vec<String> {
    let inputs = Inputs {
        images: Line::numbered(vector.images.clone()),
        tags: Line::numbered(vector.tags.clone()),
        flavor: Line::numbered(vector.flavor.clone()),
        labels: Line::numbered(vector.labels.clone()),
        annotations: Line::numbered(vector.annotations.clone()),
    };
    let metadata = match compute(&inputs, &context(vector)) {
        Ok(metadata) => metadata,
        Err(error) => return vec![format!("error: {error}")],
    };
    let mut problems = Vec::new();
    let mut compare = |what: &str, expected: &dyn std::fmt::Debug, actual: &dyn std::fmt::Debug| {
        let (expected, actual) = (format!("{expected:?}"), format!("{actual:?}"));
        if expected != actual {
            problems.push(format!("{what}: expected {expected}, got {actual}"));
        }
    };
    compare("version", &vector.expected_version, &metadata.version.main);
    compare("tags", &vector.expected_tags, &metadata.tags());
    if let Some(partial) = &vector.expected_partial {
        compare("partial", partial, &metadata.version.partial);
    }
    if let Some(latest) = vector.expected_latest {
        compare("latest", &latest, &metadata.version.latest);
    }
    if let Some(labels) = &vector.expected_labels {
        compare("labels", labels, &metadata.label_lines());
        let annotations = vector.expected_annotations.as_ref().unwrap_or(labels);
        compare("annotations", annotations, &metadata.annotation_lines());
    }
    if let Some(tag_names) = &vector.expected_tag_names {
        compare("tag-names", tag_names, &metadata.tag_names());
    }
    if let Some(json) = &vector.expected_json {
        let levels: Vec<String> = vector
            .env
            .get("DOCKER_METADATA_ANNOTATIONS_LEVELS")
            .map_or("manifest", String::as_str)
            .split(',')
            .map(str::to_owned)
            .collect();
        // Serialized, so that object key order is compared too.
        compare(
            "json",
            &json.to_string(),
            &metadata_json(&metadata, &levels).to_string(),
        );
    }
    problems
}

#[test]
fn every_metadata_action_vector_passes() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 121, "the shared suite has 121 vectors");
    let mut failures = Vec::new();
    for vector in &vectors {
        if OUT_OF_SCOPE.iter().any(|(name, _)| *name == vector.name) {
            continue;
        }
        let problems = check(vector);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", vector.name, problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn vector_names_are_unique_and_out_of_scope_names_exist() {
    let vectors = vectors();
    let mut names: Vec<&str> = vectors.iter().map(|v| v.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), vectors.len());
    for (name, reason) in OUT_OF_SCOPE {
        assert!(names.contains(name), "{name} ({reason}) is not a vector");
    }
}
