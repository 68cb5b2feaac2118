//! Helpers shared by the tests: generated files, git repositories, event payloads.

use std::collections::BTreeMap;
use std::path::Path;

use gantry_e2e::Runner;
use gantry_e2e::runner::run_bash;
use gantry_e2e::workspace::{bin_dir, repo_root};
use gantry_testkit::process::parse_outputs;
use gantry_testkit::workflow::GitRepo;

/// The tool action `actions/<name>`, installing the binaries built from this checkout
/// (`install: path`), with `workspace` as `GITHUB_WORKSPACE`.
pub fn tool_action(name: &str, workspace: &Path) -> Runner {
    Runner::new(&repo_root().join("actions").join(name))
        .workspace(workspace)
        .with("install", "path")
        .env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
}

/// Commits `text` to `path` of `repo` as a push to main, and gives `runner` that push's
/// context (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`, `GITHUB_SHA`, ...). Returns the new head.
pub fn push(runner: Runner, repo: &GitRepo, path: &str, text: &str) -> (Runner, String) {
    let event = repo.push(&format!("change {path}"), &[(path, text)]);
    let payload = repo.path().join(".git/event.json");
    std::fs::write(&payload, event.payload.to_string()).unwrap();
    let runner = runner
        .env("GITHUB_EVENT_NAME", &event.name)
        .env("GITHUB_EVENT_PATH", &payload.display().to_string())
        .env("GITHUB_SHA", &event.sha)
        .env("GITHUB_REF", &event.git_ref)
        .env("GITHUB_REPOSITORY", repo.full_name());
    (runner, event.sha)
}

/// A monorepo manifest: two services, one depending on a library, both deploying.
pub const MANIFEST: &str = "version: 1
registry: ghcr.io/acme
tags: |
  type=ref,event=branch
  type=sha
libraries:
  common:
    paths: [libs/common/**]
services:
  api:
    context: services/api
    depends-on: [common]
    platforms: [linux/amd64, linux/arm64]
    build-args: {PYTHON_VERSION: \"3.12\"}
  web:
    context: services/web
";

/// A repository holding [`MANIFEST`] and its services.
pub fn monorepo() -> GitRepo {
    GitRepo::new(
        "acme/shop",
        &[
            ("gantry.yml", MANIFEST),
            ("services/api/Dockerfile", "FROM python:3.12\n"),
            ("services/web/Dockerfile", "FROM nginx\n"),
            ("libs/common/common.py", "A = 1\n"),
        ],
    )
}

/// `secret` appears nowhere in the run's logs (but the `::add-mask::` that registers it with
/// the runner), outputs, environment file or summary.
pub fn assert_never_shown(run: &gantry_e2e::ActionRun, secret: &str) {
    let log: String = run
        .log()
        .lines()
        .filter(|line| !line.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    let everything = format!("{log}{:?}{:?}{}", run.outputs, run.env, run.summary);
    assert!(
        !everything.contains(secret),
        "the secret leaked:\n{everything}"
    );
}

/// The `run:` body of the step of `job` in deploy-staging.yml named `name` (or with that id).
pub fn workflow_script(job: &str, name: &str) -> String {
    let workflow = crate::workflows::workflow("deploy-staging.yml");
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["name"] == name || step["id"] == name)
        .and_then(|step| step["run"].as_str())
        .unwrap_or_else(|| panic!("deploy-staging.yml: job {job} has no run step {name}"))
        .to_owned()
}

/// Runs a workflow `run:` body as the runner would, with `env`; returns what it wrote to
/// `GITHUB_OUTPUT`.
pub fn run_script(dir: &Path, script: &str, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let file = dir.join("script.sh");
    let output = dir.join("output");
    std::fs::write(&file, format!("{script}\n")).unwrap();
    std::fs::write(&output, "").unwrap();
    let mut vars: BTreeMap<String, String> = env
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    vars.entry("PATH".into())
        .or_insert_with(|| std::env::var("PATH").unwrap());
    vars.insert("GITHUB_OUTPUT".into(), output.display().to_string());
    let finished = run_bash(&file, &vars, dir);
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    parse_outputs(&std::fs::read_to_string(output).unwrap())
}
