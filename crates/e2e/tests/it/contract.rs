//! The actions against the binaries, the runner's rules and each other: generated parts are
//! current, no expression reaches a script, every input is passed on, versions agree.

use std::collections::BTreeSet;

use gantry_e2e::action::{self, Action};
use gantry_e2e::tools::{INSTALL_INPUT, INSTALL_RUN, STARTUP_VARS, tools};
use gantry_e2e::workspace::{repo_root, version};

/// The release targets: what scripts/install.sh picks per runner and release.yml builds.
pub const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The root action and every `actions/<tool>`, with their directories from the root.
fn every_action() -> Vec<(String, Action)> {
    let mut actions = vec![(".".to_owned(), action::load(&repo_root()))];
    for name in action_names() {
        let dir = format!("actions/{name}");
        actions.push((dir.clone(), action::load(&repo_root().join(&dir))));
    }
    actions
}

fn action_names() -> BTreeSet<String> {
    std::fs::read_dir(repo_root().join("actions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// `cargo xtask generate --check`: the actions, the docs tables and the JSON Schema are what
/// the descriptors and the manifest's types generate.
#[test]
fn generated_files_are_current() {
    let stale = xtask::stale(&repo_root()).unwrap();
    let diffs: Vec<String> = stale
        .iter()
        .map(|file| format!("--- {} must be ---\n{}", file.path, file.text))
        .collect();
    assert!(
        stale.is_empty(),
        "out of date with the code; run\n  cargo xtask generate\nand commit the result.\n{}",
        diffs.join("\n")
    );
}

#[test]
fn the_root_action_describes_install_as_every_tool_action_does() {
    let root = action::load(&repo_root());
    assert_eq!(root.inputs[INSTALL_INPUT.0].description, INSTALL_INPUT.1);
}

#[test]
fn one_action_per_tool_and_the_installer_knows_every_tool() {
    let tools: BTreeSet<String> = tools().iter().map(|tool| tool.name.to_owned()).collect();
    assert_eq!(action_names(), tools, "actions/ has one directory per tool");
    let installed: BTreeSet<String> = read("dist/tools")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert_eq!(installed, tools, "dist/tools lists every tool");
}

#[test]
fn scripts_never_see_an_expression_and_every_input_is_passed_on() {
    for (dir, action) in every_action() {
        let mut used = BTreeSet::new();
        let mut earlier_steps = BTreeSet::new();
        for (index, step) in action.runs.steps.iter().enumerate() {
            let label = format!("{dir}: step {}", step.id.as_deref().unwrap_or("?"));
            assert_eq!(step.shell.as_deref(), Some("bash"), "{label}: shell: bash");
            for name in STARTUP_VARS {
                assert_eq!(
                    step.env.get(name).and_then(serde_json::Value::as_str),
                    Some(""),
                    "{label}: {name} must be set empty in the step's env (GITHUB_ENV can set it)"
                );
            }
            let run = step
                .run
                .as_deref()
                .unwrap_or_else(|| panic!("{label}: no run:"));
            assert!(
                action::expressions(run).is_empty(),
                "{label}: no ${{{{ }}}} inside run: (script injection); use env:"
            );
            assert!(step.uses.is_none() && step.condition.is_none(), "{label}");
            for (name, value) in &step.env {
                let value = value
                    .as_str()
                    .unwrap_or_else(|| panic!("{label}: env {name} is a string"));
                for expression in action::expressions(value) {
                    let parts: Vec<&str> = expression.split('.').collect();
                    match parts.as_slice() {
                        ["inputs", input] => {
                            assert!(
                                action.inputs.contains_key(*input),
                                "{label}: {name} reads undeclared input {input}"
                            );
                            used.insert(input.to_string());
                        }
                        ["steps", id, "outputs", _] => assert!(
                            earlier_steps.contains(*id),
                            "{label}: {name} reads step {id}, which has not run yet"
                        ),
                        _ => panic!(
                            "{label}: {name} = {value}: only inputs and earlier step outputs"
                        ),
                    }
                }
            }
            if index == 0 {
                assert_eq!(
                    step.id.as_deref(),
                    Some("install"),
                    "{label}: installs first"
                );
                let expected = if dir == "." {
                    INSTALL_RUN.replace("/../../", "/")
                } else {
                    INSTALL_RUN.to_owned()
                };
                assert_eq!(
                    run, expected,
                    "{label}: the shared installer, startup variables unset"
                );
            }
            if let Some(id) = &step.id {
                earlier_steps.insert(id.clone());
            }
        }
        for input in action.inputs.keys() {
            assert!(
                used.contains(input),
                "{dir}: input {input} is never passed to a step"
            );
        }
        for (name, output) in &action.outputs {
            let expressions = action::expressions(&output.value);
            let [expression] = expressions.as_slice() else {
                panic!("{dir}: output {name} is one step output");
            };
            let parts: Vec<&str> = expression.split('.').collect();
            assert!(
                matches!(parts.as_slice(), ["steps", id, "outputs", _] if earlier_steps.contains(*id)),
                "{dir}: output {name} = {}: a step output of the action",
                output.value
            );
        }
    }
}

#[test]
fn the_version_is_the_workspace_version_and_checksums_are_for_it() {
    assert_eq!(
        version(),
        env!("CARGO_PKG_VERSION"),
        "dist/version is the workspace version"
    );
    for line in read("dist/checksums.txt").lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (sum, file) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("dist/checksums.txt: {line:?} is not `<sha256>  <file>`"));
        assert!(
            sum.len() == 64
                && sum
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "dist/checksums.txt: {sum} is not a SHA-256"
        );
        assert!(
            TARGETS
                .iter()
                .any(|target| file == format!("gantry-{}-{target}.tar.gz", version())),
            "dist/checksums.txt: {file} is not an archive of version {} (empty the file when the version changes)",
            version()
        );
    }
}

#[test]
fn the_installer_maps_every_release_target() {
    let install = read("scripts/install.sh");
    for target in TARGETS {
        assert!(
            install.contains(&format!("target={target}")),
            "install.sh picks {target}"
        );
    }
}
