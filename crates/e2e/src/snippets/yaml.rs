//! YAML blocks: workflows (whole, or a job, jobs or steps of one) and manifests (whole, or a
//! part of one).
//!
//! A part is completed with what stands around it in a real file, and nothing else: steps go
//! into a job (`runs-on: ubuntu-latest`), a job or jobs into a workflow (`on:
//! workflow_dispatch`, `permissions: {}`, a stand-in for each job they need), a workflow
//! without `on:` gets one, and a manifest without `version` or `registry` gets `version: 1`
//! and `registry: ghcr.io/acme`. Then:
//!
//! - workflows: SchemaStore's workflow schema (check-jsonschema), action-validator and zizmor
//!   as scripts/lint-actions.sh runs them, no `${{ }}` inside `run:`; gantry's actions and
//!   reusable workflows pinned as `@<commit-sha> # v<version>`, given only inputs and secrets
//!   they declare (and every required one), read only outputs they set; every gantry command
//!   in a `run:` parses with the tool's flags. `no-lint` keeps only the gantry checks.
//! - manifests: gantry's loader ([`gantry_manifest::parse`]) and docs/gantry.schema.json.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::linters::{Kind as LintKind, LintFile};
use super::{Block, Mark, PINNED_SHA, Problem, SHA_PLACEHOLDER, Setting, shell};
use crate::action::{self, Action};
use crate::tools::tool;
use crate::workspace::repo_root;

/// What a YAML block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Only comments.
    Empty,
    Manifest,
    Workflow,
    /// A mapping of job names to jobs.
    Jobs,
    /// The keys of one job.
    Job,
    /// A list of steps.
    Steps,
}

/// The top-level keys of a manifest.
const MANIFEST_KEYS: &[&str] = &[
    "version",
    "registry",
    "image-prefix",
    "global",
    "tags",
    "libraries",
    "services",
    "retention",
    "deploy",
];

/// The keys of a job.
const JOB_KEYS: &[&str] = &[
    "name",
    "needs",
    "if",
    "runs-on",
    "permissions",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "steps",
    "timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "uses",
    "with",
    "secrets",
];

/// What `value` (a parsed block) is, or `None` when it is none of the shapes.
pub fn shape(value: &Value) -> Option<Shape> {
    let is_job = |value: &Value| {
        value.as_object().is_some_and(|job| {
            !job.is_empty() && job.keys().all(|key| JOB_KEYS.contains(&key.as_str()))
        })
    };
    match value {
        Value::Null => Some(Shape::Empty),
        Value::Array(steps) => steps
            .iter()
            .all(|step| step.get("uses").is_some() || step.get("run").is_some())
            .then_some(Shape::Steps),
        Value::Object(map) if map.contains_key("jobs") => Some(Shape::Workflow),
        // Before manifests: a job may be called `deploy` or `services`.
        Value::Object(map) if map.values().all(is_job) => Some(Shape::Jobs),
        Value::Object(map) if map.keys().all(|key| MANIFEST_KEYS.contains(&key.as_str())) => {
            Some(Shape::Manifest)
        }
        Value::Object(_) if is_job(value) => Some(Shape::Job),
        _ => None,
    }
}

/// A block ready for the checks: the text as a file would hold it.
struct Prepared<'b> {
    block: &'b Block,
    shape: Shape,
    /// The file text: the block with `<commit-sha>` pinned, completed around it.
    text: String,
    /// Lines put before the block's first line.
    header: usize,
    value: Value,
}

impl Prepared<'_> {
    /// The page line of line `n` (1-based) of the file text.
    fn page_line(&self, n: usize) -> usize {
        self.block.line_of(n.saturating_sub(self.header).max(1))
    }
}

fn indented(text: &str, by: usize) -> String {
    text.lines()
        .map(|line| {
            if line.trim().is_empty() {
                "\n".to_owned()
            } else {
                format!("{:by$}{line}\n", "")
            }
        })
        .collect()
}

/// Stand-ins for the jobs that `jobs` (a mapping of jobs) needs but does not hold.
fn needed_jobs(jobs: &Value) -> String {
    let Some(jobs) = jobs.as_object() else {
        return String::new();
    };
    let mut needed: Vec<&str> = jobs
        .values()
        .flat_map(|job| match &job["needs"] {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .filter(|name| !jobs.contains_key(*name))
        .collect();
    needed.sort_unstable();
    needed.dedup();
    needed
        .iter()
        .map(|name| {
            format!("  {name}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: \"true\"\n")
        })
        .collect()
}

/// Parses and completes `block`.
fn prepare(block: &Block) -> Result<Prepared<'_>, Problem> {
    let pinned = block.text.replace(SHA_PLACEHOLDER, PINNED_SHA);
    let value: Value = serde_saphyr::from_str(&pinned).map_err(|error| {
        let line = error
            .without_snippet()
            .location()
            .map_or(1, |at| at.line() as usize);
        block.problem_at(line, format!("not YAML: {}", error.without_snippet()))
    })?;
    let shape = shape(&value).ok_or_else(|| {
        block.problem(
            "a YAML block is a workflow, a job, jobs, steps or a gantry manifest (or a part of \
             one); this one is none of them",
        )
    })?;
    const WORKFLOW: &str = "on: workflow_dispatch\npermissions: {}\njobs:\n";
    let (text, header) = match shape {
        Shape::Empty => (pinned, 0),
        Shape::Workflow if value.get("on").is_some() => (pinned, 0),
        Shape::Workflow => (format!("{pinned}on: workflow_dispatch\n"), 0),
        Shape::Jobs => (
            format!("{WORKFLOW}{}{}", indented(&pinned, 2), needed_jobs(&value)),
            3,
        ),
        Shape::Job => (format!("{WORKFLOW}  doc:\n{}", indented(&pinned, 4)), 4),
        Shape::Steps => (
            format!(
                "{WORKFLOW}  doc:\n    runs-on: ubuntu-latest\n    steps:\n{}",
                indented(&pinned, 6)
            ),
            6,
        ),
        Shape::Manifest => {
            let mut text = pinned;
            if value.get("version").is_none() {
                text.push_str("version: 1\n");
            }
            if value.get("registry").is_none() {
                text.push_str("registry: ghcr.io/acme\n");
            }
            (text, 0)
        }
    };
    let value = serde_saphyr::from_str(&text)
        .map_err(|error| block.problem(format!("the completed block is not YAML: {error}")))?;
    Ok(Prepared {
        block,
        shape,
        text,
        header,
        value,
    })
}

/// Checks the YAML blocks.
pub fn check(setting: &Setting, blocks: &[&Block]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut lint = Vec::new();
    for block in blocks {
        problems.extend(schema_comment_problems(block));
        let prepared = match prepare(block) {
            Ok(prepared) => prepared,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        match prepared.shape {
            Shape::Empty => {}
            Shape::Manifest => {
                problems.extend(manifest_problems(&prepared));
                lint.push((prepared, LintKind::Manifest));
            }
            _ => {
                problems.extend(pin_problems(setting, block));
                problems.extend(workflow_problems(&prepared));
                if !matches!(block.mark, Some(Mark::NoLint(_))) {
                    problems.extend(run_expression_problems(&prepared));
                    lint.push((prepared, LintKind::Workflow));
                }
            }
        }
    }
    let files: Vec<LintFile> = lint
        .iter()
        .map(|(prepared, kind)| LintFile {
            kind: *kind,
            text: prepared.text.clone(),
            header: prepared.header,
            block: prepared.block,
        })
        .collect();
    problems.extend(setting.linters.check(&setting.root, &files));
    problems
}

/// A `# yaml-language-server: $schema=…/gantry-rs/gantry/main/<path>` comment names a file
/// of this repository.
fn schema_comment_problems(block: &Block) -> Vec<Problem> {
    const RAW: &str = "https://raw.githubusercontent.com/gantry-rs/gantry/main/";
    block
        .text
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let url = line.split_once("$schema=")?.1.trim();
            let path = url.strip_prefix(RAW).unwrap_or(url);
            (!repo_root().join(path).is_file()).then(|| {
                block.problem_at(
                    index + 1,
                    format!("the schema {url} is no file of gantry's repository"),
                )
            })
        })
        .collect()
}

/// The manifest through gantry's own loader.
fn manifest_problems(prepared: &Prepared<'_>) -> Vec<Problem> {
    let block = prepared.block;
    match gantry_manifest::parse(&block.file, &prepared.text, None) {
        Ok(_) => Vec::new(),
        Err(error) if error.problems().is_empty() => {
            vec![block.problem(format!("gantry's manifest loader: {error}"))]
        }
        Err(error) => error
            .problems()
            .iter()
            .map(|problem| {
                let help = problem
                    .help
                    .as_ref()
                    .map(|help| format!(" ({help})"))
                    .unwrap_or_default();
                Problem {
                    file: block.file.clone(),
                    line: prepared.page_line(problem.line),
                    message: format!("gantry's manifest loader: {}{help}", problem.message),
                }
            })
            .collect(),
    }
}

/// gantry's actions and workflows are pinned as the docs pin them: `@<commit-sha> # v<version>`.
fn pin_problems(setting: &Setting, block: &Block) -> Vec<Problem> {
    let wanted = format!("@{SHA_PLACEHOLDER} # v{}", setting.version);
    block
        .text
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            line.trim_start()
                .trim_start_matches("- ")
                .starts_with("uses: gantry-rs/gantry")
        })
        .filter(|(_, line)| !line.contains(&wanted))
        .map(|(index, line)| {
            block.problem_at(
                index + 1,
                format!(
                    "`{}`: pin gantry by commit SHA with the version in a comment, written \
                     `{wanted}` in the docs",
                    line.trim()
                ),
            )
        })
        .collect()
}

/// Where a `uses:` of gantry leads: the action's directory or the workflow file from the
/// repository root (`actions/matrix`, `.`, `.github/workflows/promote.yml`), and the ref after
/// `@`, if any (`./…` has none). `None` for anything else.
pub fn gantry_target(uses: &str) -> Option<(String, Option<String>)> {
    let (path, reference) = match uses.strip_prefix("./") {
        Some(local) => (local.trim_end_matches('/'), None),
        None => {
            let rest = uses.strip_prefix("gantry-rs/gantry")?;
            let (path, reference) = rest.split_once('@')?;
            (path.trim_start_matches('/'), Some(reference.to_owned()))
        }
    };
    let path = if path.is_empty() { "." } else { path };
    Some((path.to_owned(), reference))
}

/// The names read as `<base>.<name>` or `<base>['<name>']` in the expressions of `text`
/// (`steps.plan.outputs` → `matrix`, `matrix-1`; `matrix` → `service`, …), where `base` is
/// not the tail of a longer name (`outputs.matrix.x` is not read from `matrix`).
pub fn references<'t>(text: &'t str, base: &str) -> Vec<&'t str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut names = Vec::new();
    for expression in action::expressions(text) {
        for (at, _) in expression.match_indices(base) {
            if expression[..at].ends_with(|c: char| is_name(c) || c == '.') {
                continue;
            }
            let after = &expression[at + base.len()..];
            let Some(after) = after.strip_prefix('.').or_else(|| after.strip_prefix("['")) else {
                continue;
            };
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            names.push(&after[..end]);
        }
    }
    names
}

/// Every string inside `value`.
pub fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// A gantry problem of a job: what it is about (a text to find it by) and what is wrong.
pub struct JobProblem {
    pub needle: String,
    pub message: String,
}

/// The problems of `job` with gantry's actions and workflows, found through `target` (a
/// `uses:` → its directory or workflow file from the repository root): `with:` keys and
/// `secrets:` an action or workflow does not declare, required ones not given, and outputs
/// of gantry steps (actions, or `run:` steps of a gantry command) that are read but not set.
pub fn job_problems(job: &Value, target: &dyn Fn(&str) -> Option<String>) -> Vec<JobProblem> {
    let mut problems = Vec::new();
    let problem = |needle: &str, message: String| JobProblem {
        needle: needle.to_owned(),
        message,
    };
    if let Some(uses) = job["uses"].as_str()
        && let Some(path) = target(uses)
    {
        problems.extend(
            call_problems(job, uses, &path)
                .into_iter()
                .map(|(needle, message)| problem(&needle, message)),
        );
    }
    let mut outputs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for step in job["steps"].as_array().into_iter().flatten() {
        let declared: Option<Vec<String>> = if let Some(uses) = step["uses"].as_str() {
            target(uses).map(|dir| {
                let action = action::load(&repo_root().join(&dir));
                problems.extend(
                    input_problems(&action, &step["with"], uses)
                        .into_iter()
                        .map(|(needle, message)| problem(&needle, message)),
                );
                action.outputs.keys().cloned().collect()
            })
        } else {
            step["run"].as_str().and_then(run_outputs)
        };
        if let (Some(id), Some(declared)) = (step["id"].as_str(), declared) {
            outputs.insert(id.to_owned(), declared);
        }
    }
    for text in strings(job) {
        for (id, declared) in &outputs {
            for name in references(text, &format!("steps.{id}.outputs")) {
                if !declared.iter().any(|output| output == name) {
                    problems.push(problem(
                        &format!("steps.{id}.outputs"),
                        format!(
                            "step {id} sets no output {name}; it sets {}",
                            declared.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    problems
}

/// The outputs a `run:` body sets when it is one gantry command.
fn run_outputs(script: &str) -> Option<Vec<String>> {
    let commands = shell::commands(script).ok()?;
    commands.iter().find_map(|command| {
        let (name, _) = shell::gantry_invocation(&command.words)?;
        Some(
            tool(&name)
                .outputs
                .iter()
                .map(|(output, _)| (*output).to_owned())
                .collect(),
        )
    })
}

/// `with:` of a step against the inputs of `action`.
fn input_problems(action: &Action, with: &Value, uses: &str) -> Vec<(String, String)> {
    let given: Map<String, Value> = with.as_object().cloned().unwrap_or_default();
    let mut problems: Vec<(String, String)> = given
        .keys()
        .filter(|key| !action.inputs.contains_key(*key))
        .map(|key| (format!("{key}:"), format!("{uses} has no input {key}")))
        .collect();
    problems.extend(
        action
            .inputs
            .iter()
            .filter(|(name, input)| input.required && !given.contains_key(*name))
            .map(|(name, _)| {
                (
                    uses.to_owned(),
                    format!("{uses}: required input {name} not given"),
                )
            }),
    );
    problems
}

/// A job calling a gantry reusable workflow: its `with:` and `secrets:` against the
/// workflow's `on.workflow_call`.
fn call_problems(job: &Value, uses: &str, path: &str) -> Vec<(String, String)> {
    let file = repo_root().join(path);
    let Ok(text) = std::fs::read_to_string(&file) else {
        return vec![(uses.to_owned(), format!("{uses}: gantry has no {path}"))];
    };
    let workflow = gantry_testkit::workflow::model::Workflow::parse(path, &text)
        .unwrap_or_else(|error| panic!("{error}"));
    let Ok(Some(call)) = workflow.workflow_call() else {
        return vec![(
            uses.to_owned(),
            format!("{uses} is not a reusable workflow"),
        )];
    };
    let mut problems = Vec::new();
    let with = job["with"].as_object().cloned().unwrap_or_default();
    for key in with.keys().filter(|key| !call.inputs.contains_key(*key)) {
        problems.push((format!("{key}:"), format!("{path} has no input {key}")));
    }
    for (name, input) in &call.inputs {
        if input.required && !with.contains_key(name) {
            problems.push((
                uses.to_owned(),
                format!("{path}: required input {name} not given"),
            ));
        }
    }
    match &job["secrets"] {
        Value::String(inherit) if inherit == "inherit" => {}
        secrets => {
            let secrets = secrets.as_object().cloned().unwrap_or_default();
            for key in secrets
                .keys()
                .filter(|key| !call.secrets.contains_key(*key))
            {
                problems.push((format!("{key}:"), format!("{path} has no secret {key}")));
            }
            for (name, secret) in &call.secrets {
                if secret.as_ref().is_some_and(|secret| secret.required)
                    && !secrets.contains_key(name)
                {
                    problems.push((
                        uses.to_owned(),
                        format!("{path}: required secret {name} not passed"),
                    ));
                }
            }
        }
    }
    problems
}

/// The jobs of a prepared workflow.
fn jobs<'v>(prepared: &'v Prepared<'_>) -> impl Iterator<Item = (&'v String, &'v Value)> {
    prepared.value["jobs"].as_object().into_iter().flatten()
}

/// gantry's checks of a workflow: [`job_problems`] and the flags of gantry commands in `run:`.
fn workflow_problems(prepared: &Prepared<'_>) -> Vec<Problem> {
    let block = prepared.block;
    let target = |uses: &str| gantry_target(uses).map(|(path, _)| path);
    let mut problems = Vec::new();
    for (_, job) in jobs(prepared) {
        for found in job_problems(job, &target) {
            problems.push(block.problem_at(block.line_containing(&found.needle), found.message));
        }
        for step in job["steps"].as_array().into_iter().flatten() {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            let first = script
                .lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or_default();
            let start = block.line_containing(first.trim());
            for (line, message) in shell::script_flag_problems(script) {
                problems.push(block.problem_at(start + line - 1, message));
            }
        }
    }
    problems
}

/// No `${{ }}` inside `run:` (scripts/lint-actions.sh's rule): values go through `env:`.
fn run_expression_problems(prepared: &Prepared<'_>) -> Vec<Problem> {
    let block = prepared.block;
    let mut problems = Vec::new();
    for (_, job) in jobs(prepared) {
        for step in job["steps"].as_array().into_iter().flatten() {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            if let Some(expression) = action::expressions(script).first() {
                problems.push(block.problem_at(
                    block.line_containing(expression),
                    format!(
                        "`${{{{ {expression} }}}}` inside run: is script injection; pass the value \
                         through the step's env: and use the variable"
                    ),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(text: &str) -> Option<Shape> {
        shape(&serde_saphyr::from_str(text).unwrap())
    }

    #[test]
    fn blocks_are_told_apart_by_their_keys() {
        assert_eq!(shape_of("# only a comment\n"), Some(Shape::Empty));
        assert_eq!(shape_of("on: push\njobs: {}\n"), Some(Shape::Workflow));
        assert_eq!(shape_of("jobs: {}\n"), Some(Shape::Workflow));
        assert_eq!(
            shape_of("version: 1\nservices: {}\n"),
            Some(Shape::Manifest)
        );
        assert_eq!(
            shape_of("retention: {keep-tagged: 1}\n"),
            Some(Shape::Manifest)
        );
        assert_eq!(shape_of("runs-on: x\nsteps: []\n"), Some(Shape::Job));
        assert_eq!(
            shape_of("uses: a/b/.github/workflows/c.yml@v1\n"),
            Some(Shape::Job)
        );
        assert_eq!(shape_of("build:\n  needs: a\n  if: x\n"), Some(Shape::Jobs));
        assert_eq!(
            shape_of("deploy:\n  runs-on: x\n  steps: []\n"),
            Some(Shape::Jobs)
        );
        assert_eq!(shape_of("deploy:\n  stages: [a]\n"), Some(Shape::Manifest));
        assert_eq!(shape_of("- run: x\n- uses: a/b@c\n"), Some(Shape::Steps));
        assert_eq!(shape_of("colour: blue\n"), None);
    }

    #[test]
    fn parts_are_completed_around_and_lines_map_back() {
        let block = Block {
            file: "docs/x.md".into(),
            line: 10,
            lang: "yaml".into(),
            mark: None,
            tool: None,
            text: "- uses: actions/checkout@<commit-sha> # v4\n- run: echo\n".into(),
        };
        let prepared = prepare(&block).unwrap();
        assert_eq!(prepared.shape, Shape::Steps);
        assert_eq!(
            prepared.value["jobs"]["doc"]["steps"][0]["uses"],
            format!("actions/checkout@{PINNED_SHA}")
        );
        let line = prepared
            .text
            .lines()
            .position(|l| l.contains("run: echo"))
            .unwrap()
            + 1;
        assert_eq!(prepared.page_line(line), 12);
    }

    #[test]
    fn gantry_steps_get_declared_inputs_and_set_the_outputs_read() {
        let job = serde_json::json!({"steps": [
            {"id": "plan", "uses": "gantry-rs/gantry/actions/matrix@x", "with": {"al": true}},
            {"id": "meta", "run": "gantry-tags --service api", "env": {}},
            {"run": "echo", "env": {
                "A": "${{ steps.plan.outputs.matrix }}",
                "B": "${{ steps.plan.outputs.matrixx }}",
                "C": "${{ steps.meta.outputs.tag }}",
            }},
        ]});
        let target = |uses: &str| gantry_target(uses).map(|(path, _)| path);
        let messages: Vec<String> = job_problems(&job, &target)
            .into_iter()
            .map(|problem| format!("{}: {}", problem.needle, problem.message))
            .collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert_eq!(
            messages[0],
            "al:: gantry-rs/gantry/actions/matrix@x has no input al"
        );
        assert!(messages[1].starts_with("steps.plan.outputs: step plan sets no output matrixx"));
        assert!(messages[2].starts_with("steps.meta.outputs: step meta sets no output tag;"));
    }

    #[test]
    fn gantry_targets_and_references() {
        assert_eq!(
            gantry_target("gantry-rs/gantry/actions/tags@v0.1.0"),
            Some(("actions/tags".into(), Some("v0.1.0".into())))
        );
        assert_eq!(
            gantry_target("gantry-rs/gantry@abc"),
            Some((".".into(), Some("abc".into())))
        );
        assert_eq!(
            gantry_target("./actions/matrix"),
            Some(("actions/matrix".into(), None))
        );
        assert_eq!(gantry_target("actions/checkout@v4"), None);
        assert_eq!(
            references(
                "${{ steps.plan.outputs.matrix }} ${{ steps.plan.outputs['matrix-1'] }}",
                "steps.plan.outputs"
            ),
            ["matrix", "matrix-1"]
        );
        assert_eq!(
            references(
                "${{ matrix.service }} ${{ needs.a.outputs.matrix.x }}",
                "matrix"
            ),
            ["service"]
        );
    }
}
