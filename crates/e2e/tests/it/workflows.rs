//! The workflows against the actions they use: every `with:` key is an input of the action,
//! every `steps.<id>.outputs.<name>` of a gantry step is an output of it, gantry's own actions
//! are referenced at this version's tag, third-party actions by full commit SHA, and the build
//! job reads only keys every matrix entry has.

use std::collections::BTreeSet;

use gantry_e2e::action;
use gantry_e2e::workspace::{repo_root, version};
use serde_json::{Map, Value};

/// A workflow file as JSON.
pub fn workflow(name: &str) -> Value {
    let path = repo_root().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("parse {name}: {e}"))
}

fn workflow_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml"))
        .collect();
    names.sort();
    names
}

/// Every string inside `value`.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Object(map) => map.values().for_each(|item| strings(item, out)),
        _ => {}
    }
}

/// The `matrix.<key>` properties a job's expressions read.
pub fn matrix_keys(job: &Value) -> BTreeSet<String> {
    let mut texts = Vec::new();
    strings(job, &mut texts);
    let mut keys = BTreeSet::new();
    for text in &texts {
        for expression in action::expressions(text) {
            let mut rest = expression;
            while let Some(at) = rest.find("matrix.") {
                let after = &rest[at + "matrix.".len()..];
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    .unwrap_or(after.len());
                keys.insert(after[..end].to_owned());
                rest = &after[end..];
            }
        }
    }
    keys
}

/// What GitHub does with `strategy.matrix: ${{ fromJSON(x) }}` (the simulator's matrix
/// builder): the jobs' matrix values, or the error that fails the workflow.
pub fn expand_matrix(json: &str) -> Result<Vec<Map<String, Value>>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    Ok(gantry_testkit::workflow::matrix::expand(&value)?
        .into_iter()
        .map(|configuration| configuration.matrix)
        .collect())
}

/// The gantry action a `uses:` names (`gantry-rs/gantry/actions/<tool>@v…`, `./actions/<tool>`,
/// or the root), as its directory from the repository root.
fn gantry_action(uses: &str) -> Option<String> {
    let local = uses
        .strip_prefix("./")
        .map(|path| path.trim_end_matches('/'));
    let remote = uses.strip_prefix("gantry-rs/gantry").map(|rest| {
        let (path, reference) = rest.split_once('@').expect("gantry-rs/gantry@ref");
        assert_eq!(
            reference,
            format!("v{}", version()),
            "{uses}: gantry's own actions at this version's tag"
        );
        path.trim_start_matches('/')
    });
    local.or(remote).map(|path| {
        if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }
    })
}

#[test]
fn every_uses_is_pinned_and_every_gantry_step_is_wired_to_real_inputs_and_outputs() {
    for name in workflow_names() {
        let workflow = workflow(&name);
        let jobs = workflow["jobs"].as_object().unwrap();
        for (job_name, job) in jobs {
            let Some(steps) = job["steps"].as_array() else {
                continue;
            };
            let mut actions = std::collections::BTreeMap::new();
            for step in steps {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let label = format!("{name}: job {job_name}: {uses}");
                match gantry_action(uses) {
                    Some(dir) => {
                        let action = action::load(&repo_root().join(&dir));
                        if let Some(with) = step["with"].as_object() {
                            for key in with.keys() {
                                assert!(action.inputs.contains_key(key), "{label}: no input {key}");
                            }
                        }
                        for (input, spec) in &action.inputs {
                            let given = step["with"].get(input).is_some();
                            assert!(
                                !spec.required || given,
                                "{label}: required input {input} not given"
                            );
                        }
                        if let Some(id) = step["id"].as_str() {
                            actions.insert(id.to_owned(), action);
                        }
                    }
                    None => {
                        let (_, sha) = uses
                            .split_once('@')
                            .unwrap_or_else(|| panic!("{label}: no ref"));
                        assert!(
                            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                            "{label}: third-party actions are pinned by full commit SHA"
                        );
                    }
                }
            }
            let mut texts = Vec::new();
            strings(job, &mut texts);
            for text in &texts {
                for expression in action::expressions(text) {
                    for (id, action) in &actions {
                        let prefix = format!("steps.{id}.outputs.");
                        if let Some(at) = expression.find(&prefix) {
                            let after = &expression[at + prefix.len()..];
                            let end = after
                                .find(|c: char| {
                                    !(c.is_ascii_alphanumeric() || c == '-' || c == '_')
                                })
                                .unwrap_or(after.len());
                            let output = &after[..end];
                            assert!(
                                action.outputs.contains_key(output),
                                "{name}: job {job_name}: step {id} has no output {output}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_job_has_least_privilege_permissions_and_deploys_are_serialised() {
    for name in workflow_names() {
        let workflow = workflow(&name);
        let top = &workflow["permissions"];
        for (job_name, job) in workflow["jobs"].as_object().unwrap() {
            assert!(
                job.get("permissions").is_some()
                    || top.get("contents") == Some(&Value::from("read")),
                "{name}: job {job_name} says which permissions it needs"
            );
            if job.get("environment").is_some() && job_name == "deploy" {
                let group = job["concurrency"]["group"].as_str().unwrap_or_default();
                assert!(
                    group.contains("inputs.environment"),
                    "{name}: one deploy per environment"
                );
                assert_eq!(job["concurrency"]["cancel-in-progress"], false);
            }
        }
    }
}

#[test]
fn the_reusable_deploy_workflow_guards_the_matrix_and_ends_in_an_aggregator() {
    let workflow = workflow("deploy-staging.yml");
    let jobs = &workflow["jobs"];
    assert_eq!(jobs["build"]["if"], "needs.changes.outputs.any == 'true'");
    assert_eq!(
        jobs["build"]["strategy"]["matrix"],
        "${{ fromJSON(needs.changes.outputs.matrix) }}"
    );
    assert_eq!(
        jobs["changes"]["outputs"]["matrix"],
        "${{ steps.plan.outputs.matrix }}"
    );
    assert_eq!(
        jobs["changes"]["outputs"]["any"],
        "${{ steps.plan.outputs.any }}"
    );
    let summary = &jobs["summary"];
    assert_eq!(summary["if"], "always()");
    assert_eq!(
        summary["needs"],
        serde_json::json!(["changes", "build", "deploy"])
    );
    assert!(workflow["on"]["workflow_call"]["secrets"]["dokploy-api-key"]["required"] == true);
}

#[test]
fn the_prune_workflow_applies_on_schedule_and_is_a_dry_run_for_pull_requests() {
    let workflow = workflow("prune.yml");
    let job = &workflow["jobs"]["prune"];
    let step = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["id"] == "prune")
        .unwrap();
    assert_eq!(
        step["with"]["apply"],
        "${{ github.event_name == 'schedule' || github.event_name == 'workflow_dispatch' }}"
    );
    assert_eq!(job["concurrency"]["cancel-in-progress"], false);
    assert_eq!(job["permissions"]["packages"], "write");
    assert_eq!(
        workflow["on"]["workflow_call"]["secrets"]["packages-token"]["required"],
        false
    );
}
