//! The workflows against the actions they use: every `with:` key is an input of the action,
//! every `steps.<id>.outputs.<name>` of a gantry step is an output of it, gantry's own actions
//! are referenced at this version's tag, third-party actions by full commit SHA, and the build
//! job reads only keys every matrix entry has.

use std::collections::BTreeSet;

use gantry_e2e::snippets::yaml::{gantry_target, job_problems, references, strings};
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

/// The `matrix.<key>` properties a job's expressions read.
pub fn matrix_keys(job: &Value) -> BTreeSet<String> {
    strings(job)
        .into_iter()
        .flat_map(|text| references(text, "matrix"))
        .map(str::to_owned)
        .collect()
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

/// The gantry action or workflow a `uses:` names (`gantry-rs/gantry/actions/<tool>@v…`,
/// `./actions/<tool>`, or the root), from the repository root; gantry's own are referenced at
/// this version's tag.
fn gantry_action(uses: &str) -> Option<String> {
    let (path, reference) = gantry_target(uses)?;
    if let Some(reference) = reference {
        assert_eq!(
            reference,
            format!("v{}", version()),
            "{uses}: gantry's own actions at this version's tag"
        );
    }
    Some(path)
}

#[test]
fn every_uses_is_pinned_and_every_gantry_step_is_wired_to_real_inputs_and_outputs() {
    for name in workflow_names() {
        let workflow = workflow(&name);
        for (job_name, job) in workflow["jobs"].as_object().unwrap() {
            let uses = job["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|step| step["uses"].as_str());
            for uses in uses.filter(|uses| gantry_action(uses).is_none()) {
                let (_, sha) = uses
                    .split_once('@')
                    .unwrap_or_else(|| panic!("{name}: job {job_name}: {uses}: no ref"));
                assert!(
                    sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{name}: job {job_name}: {uses}: third-party actions are pinned by full commit SHA"
                );
            }
            let problems: Vec<String> = job_problems(job, &gantry_action)
                .into_iter()
                .map(|problem| problem.message)
                .collect();
            assert!(problems.is_empty(), "{name}: job {job_name}: {problems:#?}");
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
    // Not required: an environment secret DOKPLOY_API_KEY is read in the deploy job instead.
    assert_eq!(
        workflow["on"]["workflow_call"]["secrets"]["dokploy-api-key"]["required"],
        false
    );
    let deploy = jobs["deploy"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["id"] == "deploy")
        .unwrap();
    assert_eq!(
        deploy["with"]["api-key"],
        "${{ secrets.dokploy-api-key || secrets.DOKPLOY_API_KEY }}"
    );
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
