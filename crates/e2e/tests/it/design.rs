//! The design contract (docs/contract.md) pinned: every flag of each binary's synopsis exists
//! with its `INPUT_*` variable, every context flag reads its `GITHUB_*` variable, the designed
//! step outputs are set, and the `--format json` documents have the designed keys. Renaming
//! any of them breaks the tools and workflows built on the contract, so it fails here first.

use gantry_e2e::tools::tool;
use gantry_e2e::workspace::repo_root;
use serde_json::Value;

/// The flags of each binary's synopsis in the design, without the leading `--`.
const SYNOPSIS_FLAGS: &[(&str, &[&str])] = &[
    (
        "matrix",
        &["manifest", "base", "head", "all", "services", "format"],
    ),
    (
        "tags",
        &[
            "images",
            "tags",
            "flavor",
            "labels",
            "annotations",
            "manifest",
            "service",
            "format",
            "default-branch",
        ],
    ),
    ("promote", &["image", "tags", "registry-url"]),
    (
        "prune",
        &[
            "owner",
            "packages",
            "keep-tagged",
            "keep-untagged",
            "older-than",
            "delete-tags",
            "protect-tags",
            "backend",
            "registry-url",
            "apply",
            "format",
        ],
    ),
    (
        "dokploy",
        &[
            "manifest",
            "stage",
            "tag",
            "image",
            "application",
            "compose",
            "dokploy-url",
            "timeout",
            "no-wait",
            "rollback-on-failure",
            "format",
        ],
    ),
];

/// The context flags and their variables; gantry-promote reads no context (docs/contract.md).
const CONTEXT_FLAGS: &[(&str, &str)] = &[
    ("event-name", "GITHUB_EVENT_NAME"),
    ("event-path", "GITHUB_EVENT_PATH"),
    ("ref", "GITHUB_REF"),
    ("sha", "GITHUB_SHA"),
    ("repository", "GITHUB_REPOSITORY"),
    ("server-url", "GITHUB_SERVER_URL"),
    ("api-url", "GITHUB_API_URL"),
    ("run-id", "GITHUB_RUN_ID"),
    ("run-attempt", "GITHUB_RUN_ATTEMPT"),
];

/// The step outputs the design names.
const DESIGNED_OUTPUTS: &[(&str, &[&str])] = &[
    ("matrix", &["matrix", "services", "count", "any"]),
    (
        "tags",
        &[
            "tags",
            "labels",
            "annotations",
            "json",
            "version",
            "tag-names",
            "bake-file",
        ],
    ),
];

/// `--foo-bar` → `INPUT_FOO_BAR`.
fn input_var(flag: &str) -> String {
    format!("INPUT_{}", flag.to_ascii_uppercase().replace('-', "_"))
}

/// The variable `--flag` of `gantry-<name>` reads, failing when the flag does not exist.
fn env_of(name: &str, flag: &str) -> String {
    let tool = tool(name);
    let command = tool.command();
    let arg = command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(flag))
        .unwrap_or_else(|| panic!("gantry-{name} has no --{flag}, a flag of the design"));
    arg.get_env()
        .and_then(|env| env.to_str())
        .unwrap_or_else(|| panic!("gantry-{name} --{flag} reads no variable"))
        .to_owned()
}

#[test]
fn every_flag_of_the_design_exists_with_its_input_variable() {
    for (name, flags) in SYNOPSIS_FLAGS {
        for flag in *flags {
            assert_eq!(
                env_of(name, flag),
                input_var(flag),
                "gantry-{name} --{flag}"
            );
        }
    }
}

#[test]
fn every_context_flag_reads_its_github_variable() {
    for (name, _) in SYNOPSIS_FLAGS.iter().filter(|(name, _)| *name != "promote") {
        for (flag, var) in CONTEXT_FLAGS {
            assert_eq!(&env_of(name, flag), var, "gantry-{name} --{flag}");
        }
    }
}

#[test]
fn the_designed_outputs_are_set() {
    for (name, designed) in DESIGNED_OUTPUTS {
        let tool = tool(name);
        let declared: Vec<&str> = tool.outputs.iter().map(|(output, _)| *output).collect();
        for output in *designed {
            assert!(
                declared.contains(output),
                "gantry-{name} sets no output {output}: {declared:?}"
            );
        }
    }
}

/// The keys of `value`, an object, in order.
fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// The designed keys come first, in the design's order; more keys may follow.
fn assert_starts_with(document: &str, actual: &[&str], designed: &[&str]) {
    assert!(
        actual.starts_with(designed),
        "{document}: the design's keys {designed:?}, then extensions; found {actual:?}"
    );
}

#[test]
fn the_matrix_document_has_the_designed_keys() {
    let loaded = gantry_manifest::load(&repo_root().join("examples/bizosaas/gantry.yml"))
        .expect("the example manifest loads");
    let manifest = &loaded.manifest;
    let plan = gantry_matrix::plan::Plan {
        base: Some("a".repeat(40)),
        head: Some("b".repeat(40)),
        note: "--all".to_owned(),
        ..gantry_matrix::plan::Plan::new(
            gantry_matrix::select::all(manifest, gantry_matrix::select::Reason::AllFlag),
            &loaded,
        )
    };
    let document: Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert_starts_with(
        "gantry-matrix",
        &keys(&document),
        &["services", "count", "base", "head", "reasons", "matrix"],
    );
    assert_eq!(keys(&document["matrix"]), ["include"]);
    assert_starts_with(
        "gantry-matrix matrix.include[]",
        &keys(&document["matrix"]["include"][0]),
        &[
            "service",
            "context",
            "dockerfile",
            "image",
            "platforms",
            "build-args",
        ],
    );
}

#[test]
fn the_tags_document_has_the_designed_keys() {
    let line = |text: &str| gantry_tags::Line {
        text: text.to_owned(),
        number: 1,
    };
    let inputs = gantry_tags::Inputs {
        images: vec![line("ghcr.io/acme/api")],
        tags: vec![line("type=ref,event=branch")],
        flavor: Vec::new(),
        labels: Vec::new(),
        annotations: Vec::new(),
    };
    let context = gantry_tags::RunContext::new(
        "push",
        "refs/heads/main",
        &"c".repeat(40),
        jiff::Timestamp::UNIX_EPOCH,
    );
    let metadata = gantry_tags::compute(&inputs, &context).expect("valid rules");
    let document = gantry_tags::output::report_json(&metadata, &["manifest".to_owned()]);
    assert_starts_with(
        "gantry-tags",
        &keys(&document),
        &["version", "tags", "tag-names", "labels", "annotations"],
    );
}

#[test]
fn the_prune_document_has_the_designed_keys() {
    let document = gantry_e2e::documents::prune();
    assert_starts_with(
        "gantry-prune",
        &keys(&document),
        &["deleted", "kept", "skipped", "failed", "api-calls"],
    );
    for list in ["deleted", "kept", "skipped", "failed"] {
        assert_eq!(
            keys(&document[list][0]),
            ["package", "id", "digest", "tags", "reason"],
            "gantry-prune {list}[]"
        );
    }
}

#[test]
fn the_dokploy_document_has_the_designed_keys() {
    let document = gantry_e2e::documents::dokploy();
    assert_starts_with(
        "gantry-dokploy",
        &keys(&document),
        &["result", "deployments"],
    );
    assert_eq!(document["result"], "success");
    assert_starts_with(
        "gantry-dokploy deployments[]",
        &keys(&document["deployments"][0]),
        &[
            "target",
            "kind",
            "id",
            "deployment-id",
            "status",
            "image",
            "previous-image",
            "started-at",
            "finished-at",
            "rolled-back",
        ],
    );
}
