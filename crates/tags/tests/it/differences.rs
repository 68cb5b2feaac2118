//! The differences a differential run against docker/metadata-action v6 found (issue 20),
//! each case with metadata-action's expected output, run through the gantry-tags binary as a
//! workflow step: `fixtures/metadata-action-v6-differences.json`. Cases with `git` run on
//! real repositories (detached checkouts, clones of a local origin).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::support::{Finished, Step, git, git_repo};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    reference: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The numbered difference of issue 20.
    item: u8,
    name: String,
    /// The metadata-action source behaviour the expectation rests on.
    source: String,
    /// git commands run in a repository on `main` with the commits `one` and `two`.
    #[serde(default)]
    git: Vec<Vec<String>>,
    /// `git clone` flags: the step runs in a clone of that repository (the origin).
    #[serde(default)]
    clone: Option<Vec<String>>,
    /// git commands run in the clone.
    #[serde(default)]
    in_clone: Vec<Vec<String>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// The event payload; with `payload_missing`, `GITHUB_EVENT_PATH` names no file.
    #[serde(default)]
    payload: Option<Value>,
    #[serde(default)]
    payload_missing: bool,
    /// The action's inputs, as `INPUT_<NAME>`.
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    /// The frozen clock (`SOURCE_DATE_EPOCH`, seconds).
    #[serde(default)]
    now: Option<i64>,
    /// metadata-action's result.
    expected: Expected,
    /// Where gantry deliberately gives something else (issue 20 item 7): its result and why.
    #[serde(default)]
    gantry: Option<Deviation>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// The step fails (metadata-action throws).
    #[serde(default)]
    fails: bool,
    #[serde(default)]
    version: Option<String>,
    #[serde(default, rename = "tag-names")]
    tag_names: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    /// The `json` output, compared as text (key order included).
    #[serde(default)]
    json: Option<Value>,
    /// The keys of the `json` output's `labels` object, in order.
    #[serde(default)]
    json_label_keys: Option<Vec<String>>,
    /// The target names of the `bake-file` definition.
    #[serde(default)]
    bake_targets: Option<Vec<String>>,
    /// `DOCKER_METADATA_OUTPUT_VERSION` is exported.
    #[serde(default)]
    exports_env: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deviation {
    expected: Expected,
    reason: String,
}

fn cases() -> Cases {
    serde_json::from_str(include_str!("fixtures/metadata-action-v6-differences.json")).unwrap()
}

fn argv(commands: &[Vec<String>]) -> impl Iterator<Item = Vec<&str>> {
    commands
        .iter()
        .map(|command| command.iter().map(String::as_str).collect())
}

fn run(case: &Case) -> Finished {
    let scratch = tempfile::tempdir().unwrap();
    let mut step = Step::new().actions();
    if !case.git.is_empty() || case.clone.is_some() {
        let origin = scratch.path().join("origin");
        std::fs::create_dir(&origin).unwrap();
        git_repo(&origin, &["one", "two"]);
        for command in argv(&case.git) {
            git(&origin, &command);
        }
        let mut checkout = origin.clone();
        if let Some(flags) = &case.clone {
            checkout = scratch.path().join("checkout");
            let mut command: Vec<&str> = vec!["clone", "-q"];
            command.extend(flags.iter().map(String::as_str));
            let source = format!("file://{}", origin.display());
            command.extend([source.as_str(), "checkout"]);
            git(scratch.path(), &command);
        }
        for command in argv(&case.in_clone) {
            git(&checkout, &command);
        }
        step = step.cwd(&checkout);
    }
    if let Some(payload) = &case.payload {
        let path = scratch.path().join("event.json");
        std::fs::write(&path, payload.to_string()).unwrap();
        step = step.env("GITHUB_EVENT_PATH", &path.display().to_string());
    }
    if case.payload_missing {
        let path = scratch.path().join("no-such-event.json");
        step = step.env("GITHUB_EVENT_PATH", &path.display().to_string());
    }
    for (name, value) in &case.inputs {
        let name = format!("INPUT_{}", name.to_uppercase().replace(['-', ' '], "_"));
        step = step.env(&name, value);
    }
    if let Some(now) = case.now {
        step = step.env("SOURCE_DATE_EPOCH", &now.to_string());
    }
    for (name, value) in &case.env {
        step = step.env(name, value);
    }
    step.run()
}

/// What the step gave, in the shape of the fields `expected` sets.
fn observed(expected: &Expected, run: &Finished) -> Expected {
    if run.status != 0 {
        return Expected {
            fails: true,
            ..Expected::default()
        };
    }
    let json: Value = serde_json::from_str(run.output("json").unwrap_or("null")).unwrap();
    let lines = |name: &str| -> Vec<String> {
        run.output(name)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let bake_targets = || {
        let path = run.output("bake-file").unwrap_or_default();
        let bake: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        bake["target"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    Expected {
        fails: false,
        version: expected
            .version
            .as_ref()
            .map(|_| run.output("version").unwrap_or_default().to_owned()),
        tag_names: expected.tag_names.as_ref().map(|_| lines("tag-names")),
        labels: expected.labels.as_ref().map(|_| lines("labels")),
        json_label_keys: expected.json_label_keys.as_ref().map(|_| {
            json["labels"]
                .as_object()
                .map(|labels| labels.keys().cloned().collect())
                .unwrap_or_default()
        }),
        json: expected.json.as_ref().map(|_| json.clone()),
        bake_targets: expected.bake_targets.as_ref().map(|_| bake_targets()),
        exports_env: expected.exports_env.map(|_| {
            run.exported
                .iter()
                .any(|(name, _)| name == "DOCKER_METADATA_OUTPUT_VERSION")
        }),
    }
}

#[test]
fn every_documented_difference_has_metadata_actions_output() {
    let cases = cases();
    assert!(cases.reference.contains("v6.2.0"), "{}", cases.reference);
    let mut failures = Vec::new();
    for case in &cases.cases {
        let run = run(case);
        let (wanted, what) = match &case.gantry {
            Some(deviation) => {
                assert!(!deviation.reason.is_empty(), "{}: no reason", case.name);
                assert_ne!(
                    deviation.expected, case.expected,
                    "{}: a deviation must differ from metadata-action's output",
                    case.name
                );
                (&deviation.expected, "gantry's documented output")
            }
            None => (&case.expected, "metadata-action's output"),
        };
        let got = observed(wanted, &run);
        // `json` compared as text, so that key order counts.
        let same = |a: &Expected, b: &Expected| {
            format!("{a:?}") == format!("{b:?}")
                && a.json.as_ref().map(Value::to_string) == b.json.as_ref().map(Value::to_string)
        };
        if !same(wanted, &got) {
            failures.push(format!(
                "item {} {} ({}):\n  {what}: {wanted:?}\n  gantry:  {got:?}\n  stderr: {}",
                case.item,
                case.name,
                case.source,
                run.stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_item_of_issue_20_has_cases_and_names_are_unique() {
    let cases = cases();
    let mut names: Vec<&str> = cases.cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.cases.len(), "duplicate case names");
    for item in 1..=7 {
        assert!(
            cases.cases.iter().any(|case| case.item == item),
            "item {item} has no case"
        );
    }
    assert!(
        cases
            .cases
            .iter()
            .filter(|case| !case.git.is_empty() || case.clone.is_some())
            .any(|case| case.item == 1),
        "item 1 runs on real repositories"
    );
}
