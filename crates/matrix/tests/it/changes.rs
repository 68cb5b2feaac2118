//! From a commit's changes to the services to build, in real repositories.

use crate::support::{Sandbox, pairs};

/// The reasons after committing `change` on top of the test monorepo, diffed with
/// `--base HEAD~1`.
fn after(change: impl FnOnce(&crate::support::Repo)) -> Vec<(String, String)> {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    change(&repo);
    repo.commit("change");
    repo.reasons(&["--base", "HEAD~1"])
}

#[test]
fn a_change_inside_a_context_selects_its_service() {
    let reasons = after(|repo| repo.write("services/api/main.py", "print('v2')\n"));
    assert_eq!(reasons, pairs(&[("api", "file services/api/main.py")]));
}

#[test]
fn a_dockerfile_outside_its_context_selects_its_service() {
    let reasons = after(|repo| repo.write("docker/web.Dockerfile", "FROM nginx:1.27\n"));
    assert_eq!(reasons, pairs(&[("web", "file docker/web.Dockerfile")]));
}

#[test]
fn a_library_two_hops_down_selects_its_dependents() {
    let reasons = after(|repo| repo.write("libs/b/b.py", "B = 2\n"));
    assert_eq!(reasons, pairs(&[("api", "depends on lib-b")]));
}

#[test]
fn the_nearest_changed_dependency_is_named() {
    let reasons = after(|repo| {
        repo.write("libs/b/b.py", "B = 2\n");
        repo.write("libs/a/a.py", "A = 2\n");
    });
    assert_eq!(reasons, pairs(&[("api", "depends on lib-a")]));
}

#[test]
fn watch_globs_select_their_service() {
    let reasons = after(|repo| repo.write("proto/jobs.proto", "syntax = \"proto3\";\n// v2\n"));
    assert_eq!(reasons, pairs(&[("worker", "file proto/jobs.proto")]));
}

#[test]
fn ignored_files_select_nothing() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write("services/api/README.md", "# api, documented\n");
    repo.write("README.md", "# shop, documented\n");
    repo.commit("docs");
    let document = repo.json(&["--base", "HEAD~1"]);
    assert_eq!(document["count"], 0);
    assert_eq!(document["services"], serde_json::json!([]));
    assert_eq!(document["matrix"], serde_json::json!({"include": []}));
    assert_eq!(document["changed-files"], 2);

    // The same file kind outside `ignore`'s reach still counts for its own service.
    repo.write("services/api/notes.md", "x\n");
    repo.write("services/api/main.py", "print('v2')\n");
    repo.commit("code and docs");
    assert_eq!(
        repo.reasons(&["--base", "HEAD~1"]),
        pairs(&[("api", "file services/api/main.py")])
    );
}

#[test]
fn a_global_file_selects_every_service() {
    let reasons = after(|repo| {
        repo.write(".github/workflows/ci.yml", "on: [push]\n");
        repo.write("services/api/main.py", "print('v2')\n");
    });
    let global = "global .github/workflows/ci.yml";
    assert_eq!(
        reasons,
        pairs(&[
            ("api", global),
            ("web", global),
            ("worker", global),
            ("spaced", global)
        ])
    );
}

#[test]
fn a_file_renamed_out_of_a_service_selects_the_old_service() {
    let reasons = after(|repo| {
        repo.git(&["mv", "services/worker/worker.py", "libs/a/worker.py"]);
    });
    assert_eq!(
        reasons,
        pairs(&[
            ("api", "depends on lib-a"),
            ("worker", "file services/worker/worker.py"),
        ])
    );
}

#[test]
fn file_names_with_spaces_and_unicode_are_matched() {
    let reasons = after(|repo| {
        repo.write("services/my api/main file.py", "print('v2')\n");
        repo.write("services/web/café \"menu\".html", "<h1>menu</h1>\n");
    });
    assert_eq!(
        reasons,
        pairs(&[
            ("web", "file services/web/café \"menu\".html"),
            ("spaced", "file services/my api/main file.py"),
        ])
    );
}

#[test]
fn no_changes_select_nothing() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let document = repo.json(&["--base", "HEAD", "--head", "HEAD"]);
    assert_eq!(document["count"], 0);
    assert_eq!(document["changed-files"], 0);
    assert_eq!(document["base"], document["head"]);
    assert_eq!(document["matrix"], serde_json::json!({"include": []}));
}

#[test]
fn the_json_document_has_the_designed_shape() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write("services/api/main.py", "print('v2')\n");
    repo.write("services/api/util.py", "X = 1\n");
    repo.write("services/web/index.html", "<h1>web v2</h1>\n");
    repo.commit("api and web");
    let document = repo.json(&["--base", "HEAD~1"]);
    insta::assert_json_snapshot!(document);
}

#[test]
fn the_text_report_lists_services_images_and_reasons() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write("services/api/main.py", "print('v2')\n");
    repo.write("services/api/util.py", "X = 1\n");
    repo.write("libs/b/b.py", "B = 2\n");
    repo.write("docker/web.Dockerfile", "FROM nginx:1.27\n");
    repo.commit("several");
    let run = repo.run(&["--base", "HEAD~1"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn a_manifest_below_the_top_of_the_repository_sees_its_own_files() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    for (path, text) in crate::support::FILES {
        repo.write(&format!("deploy/shop/{path}"), text);
    }
    repo.write("services/api/main.py", "outside the manifest's directory\n");
    repo.commit("initial");
    repo.write("deploy/shop/services/api/main.py", "print('v2')\n");
    repo.write("services/api/main.py", "still outside\n");
    repo.commit("change");
    let document = repo.json(&["--manifest", "deploy/shop/gantry.yml", "--base", "HEAD~1"]);
    assert_eq!(
        crate::support::reasons(&document),
        pairs(&[("api", "file services/api/main.py")]),
        "paths are relative to the manifest's directory"
    );
    assert_eq!(document["changed-files"], 2);
    let entry = &document["matrix"]["include"][0];
    assert_eq!(entry["context"], "deploy/shop/services/api");
    assert_eq!(entry["dockerfile"], "deploy/shop/services/api/Dockerfile");

    let run = repo.run(
        &["--manifest", "deploy/shop/gantry.yml", "--base", "HEAD~1"],
        &[],
    );
    assert!(
        run.stdout
            .contains("changes: 2 changed files (1 outside deploy/shop, where the manifest is)"),
        "{}",
        run.stdout
    );
}

#[test]
fn ignored_files_do_not_reach_a_service_through_depends_on() {
    // api ignores `**/*.md` and depends on lib-a, which depends on lib-b.
    let reasons = after(|repo| {
        repo.write("libs/a/README.md", "# lib a\n");
        repo.write("libs/b/CHANGES.md", "# lib b\n");
    });
    assert_eq!(
        reasons,
        pairs(&[]),
        "documentation of a library builds nothing"
    );
    let reasons = after(|repo| {
        repo.write("libs/a/README.md", "# lib a\n");
        repo.write("libs/b/b.py", "B = 2\n");
    });
    assert_eq!(reasons, pairs(&[("api", "depends on lib-b")]));
}

#[test]
fn run_from_a_subdirectory_the_manifest_at_the_top_is_found() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write("services/api/main.py", "print('v2')\n");
    repo.commit("api");
    let below = sandbox.at(&repo.dir.join("services/api"));
    let document = below.json(&["--base", "HEAD~1"]);
    assert_eq!(
        crate::support::reasons(&document),
        pairs(&[("api", "file services/api/main.py")])
    );
    let entry = &document["matrix"]["include"][0];
    assert_eq!(
        entry["context"], "../../services/api",
        "paths from where it runs"
    );

    // `gantry.yaml` too.
    repo.git(&["mv", "gantry.yml", "gantry.yaml"]);
    repo.commit("rename the manifest");
    repo.write("services/web/index.html", "<h1>v2</h1>\n");
    repo.commit("web");
    let document = below.json(&["--base", "HEAD~1"]);
    assert_eq!(
        crate::support::reasons(&document),
        pairs(&[("web", "file services/web/index.html")])
    );
}

#[test]
fn a_redeploy_file_builds_nothing_and_says_redeploy() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let manifest = std::fs::read_to_string(repo.dir.join("gantry.yml")).unwrap();
    repo.write(
        "gantry.yml",
        &manifest.replace(
            "global: [gantry.yml",
            "redeploy: [\"deploy/**\"]\nglobal: [gantry.yml",
        ),
    );
    repo.commit("redeploy globs");
    repo.write("deploy/compose.yml", "services: {}\n");
    repo.commit("compose");
    let document = repo.json(&["--base", "HEAD~1"]);
    assert_eq!(document["count"], 0);
    assert_eq!(document["redeploy"], "deploy/compose.yml");
    let run = repo.run(&["--base", "HEAD~1"], &[]);
    assert!(
        run.stdout
            .contains("redeploy: deploy/compose.yml (a redeploy glob)\n"),
        "{}",
        run.stdout
    );

    // A change to a service alone: no redeploy key.
    repo.write("services/api/main.py", "print('v3')\n");
    repo.commit("api");
    let document = repo.json(&["--base", "HEAD~1"]);
    assert_eq!(document["count"], 1);
    assert_eq!(document.get("redeploy"), None);
}
