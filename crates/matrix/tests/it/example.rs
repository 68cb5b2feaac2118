//! The bundled example monorepo (`examples/bizosaas`): the README's first command, and
//! change detection with the manifest below the top of a repository, as in this one.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Sandbox, pairs};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_readme_command_prints_the_plan() {
    // `cargo run -q -p gantry-matrix -- --manifest examples/bizosaas/gantry.yml --all`
    let output = Command::new(env!("CARGO_BIN_EXE_gantry-matrix"))
        .args(["--manifest", "examples/bizosaas/gantry.yml", "--all"])
        .current_dir(workspace())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "", "no warnings");
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

/// Copies `from` (recursively) to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_example_in_a_repository_selects_by_change_and_dependency() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    copy_tree(
        &workspace().join("examples/bizosaas"),
        &repo.dir.join("examples/bizosaas"),
    );
    repo.write("README.md", "# gantry\n");
    repo.commit("initial");
    let manifest = ["--manifest", "examples/bizosaas/gantry.yml"];
    let change = |files: &[(&str, &str)]| {
        for (path, text) in files {
            repo.write(&format!("examples/bizosaas/{path}"), text);
        }
        repo.commit("change");
        let mut args = manifest.to_vec();
        args.extend(["--base", "HEAD~1", "--head", "HEAD"]);
        repo.reasons(&args)
    };

    assert_eq!(
        change(&[(
            "bizosaas/frontend/packages/design-tokens/tokens.json",
            "{}\n"
        )]),
        pairs(&[
            ("bizoholic-frontend", "depends on design-tokens"),
            ("coreldove-frontend", "depends on design-tokens"),
        ])
    );
    assert_eq!(
        change(&[
            ("bizosaas/ai/services/bizosaas-brain/README.md", "docs\n"),
            ("bizosaas/frontend/apps/client-portal/README.md", "docs\n"),
        ]),
        pairs(&[]),
        "ignored"
    );
    assert_eq!(
        change(&[("bizosaas/frontend/package.json", "{\"private\": true}\n")]),
        pairs(&[
            ("bizoholic-frontend", "file bizosaas/frontend/package.json"),
            ("coreldove-frontend", "file bizosaas/frontend/package.json"),
        ])
    );
    assert_eq!(
        change(&[("bizosaas/ai/libs/brain-sdk/client.py", "# v2\n")]),
        pairs(&[("brain-gateway", "depends on brain-sdk")])
    );
    let global = "global gantry.yml";
    let all = change(&[(
        "gantry.yml",
        &(std::fs::read_to_string(workspace().join("examples/bizosaas/gantry.yml")).unwrap()
            + "# edited\n"),
    )]);
    assert_eq!(all.len(), 7);
    assert!(all.iter().all(|(_, reason)| reason == global), "{all:?}");

    // A change outside the manifest's directory affects nothing.
    repo.write("README.md", "# gantry, edited\n");
    repo.commit("outside");
    let mut args = manifest.to_vec();
    args.extend(["--base", "HEAD~1"]);
    let run = repo.run(&args, &[]);
    insta::assert_snapshot!(run.stdout);
}
