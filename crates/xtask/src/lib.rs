//! Dev-only: every file generated from code, written or checked by one command,
//! `cargo xtask generate [--check]` (the alias is in `.cargo/config.toml`).
//!
//! - `actions/<tool>/action.yml`: from each tool's descriptor ([`action`]).
//! - the input and output tables of `docs/actions.md`: from the root `action.yml` and the
//!   descriptors ([`reference`]).
//! - `docs/gantry.schema.json`: from the manifest's types.
//! - `dist/tools`: the tool names, one a line, for which `scripts/install.sh` makes the
//!   `gantry-<tool>` links.
//!
//! The test suite runs the check (`crates/e2e`, `generated_files_are_current`), so a change of
//! a flag, an output or the manifest that is not regenerated fails it.

pub mod action;
pub mod reference;

use std::path::{Path, PathBuf};

use gantry_testkit::workflow::model::Action;

/// One generated file: its path from the repository root and its whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub path: String,
    pub text: String,
}

/// The repository root: two levels above this crate.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every generated file of the repository at `root`, as it must be.
pub fn generated(root: &Path) -> Result<Vec<Generated>, String> {
    let mut files: Vec<Generated> = gantry::TOOLS
        .iter()
        .map(|tool| Generated {
            path: format!("actions/{}/action.yml", tool.name),
            text: action::action_yml(tool),
        })
        .collect();
    let page = read(root, "docs/actions.md")?;
    let root_action = Action::load(root)?;
    files.push(Generated {
        path: "docs/actions.md".to_owned(),
        text: reference::splice(&page, &reference::reference(&root_action, &gantry::TOOLS))?,
    });
    files.push(Generated {
        path: "docs/gantry.schema.json".to_owned(),
        text: gantry_manifest::json_schema(),
    });
    files.push(Generated {
        path: "dist/tools".to_owned(),
        text: gantry::TOOLS
            .iter()
            .map(|tool| format!("{}\n", tool.name))
            .collect(),
    });
    Ok(files)
}

/// The generated files whose committed text differs from what it must be.
pub fn stale(root: &Path) -> Result<Vec<Generated>, String> {
    Ok(generated(root)?
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(root.join(&file.path)).ok().as_ref() != Some(&file.text)
        })
        .collect())
}

/// Writes every stale file; returns their paths.
pub fn write(root: &Path) -> Result<Vec<String>, String> {
    stale(root)?
        .into_iter()
        .map(|file| {
            let path = root.join(&file.path);
            std::fs::write(&path, &file.text)
                .map_err(|error| format!("write {}: {error}", path.display()))?;
            Ok(file.path)
        })
        .collect()
}

fn read(root: &Path, path: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(path)).map_err(|error| format!("read {path}: {error}"))
}
