//! `--explain` and `--list-files`: why each service was or was not selected, and the files
//! of each.

use crate::support::{Sandbox, Step};

/// The test monorepo after a change to api's code and README (ignored), lib-b's code, a
/// library README (ignored by api, its only dependent) and a file nothing claims.
fn changed() -> (Sandbox, crate::support::Repo) {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write("services/api/main.py", "print('v2')\n");
    repo.write("services/api/README.md", "# api v2\n");
    repo.write("libs/b/b.py", "B = 2\n");
    repo.write("libs/a/README.md", "# lib a\n");
    repo.write("README.md", "# shop v2\n");
    repo.commit("several");
    (sandbox, repo)
}

#[test]
fn explain_says_why_each_service_was_or_was_not_selected() {
    let (_sandbox, repo) = changed();
    let run = repo.run(&["--base", "HEAD~1", "--explain"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn explain_in_json() {
    let (_sandbox, repo) = changed();
    let document = repo.json(&["--base", "HEAD~1", "--explain"]);
    insta::assert_json_snapshot!(document["explain"]);
    assert_eq!(
        document["explain"]["unclaimed"],
        serde_json::json!(["README.md"])
    );
    assert!(
        repo.json(&["--base", "HEAD~1"]).get("explain").is_none(),
        "only when asked"
    );
}

#[test]
fn list_files_gives_each_service_its_changed_files() {
    let (_sandbox, repo) = changed();
    repo.write("services/my api/main file.py", "print('v2')\n");
    repo.commit("spaced");
    let document = repo.json(&["--base", "HEAD~2", "--list-files", "json"]);
    assert_eq!(
        document["files"],
        serde_json::json!({
            "api": ["libs/b/b.py", "services/api/main.py"],
            "spaced": ["services/my api/main file.py"],
        })
    );
    let step = Step::new();
    let run = step.run(&repo, &["--base", "HEAD~2", "--list-files", "shell"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        step.output("files"),
        r#"{"api":["libs/b/b.py","services/api/main.py"],"spaced":["services/my api/main file.py"]}"#
    );
    assert_eq!(step.output("api_files"), "libs/b/b.py services/api/main.py");
    assert_eq!(
        step.output("spaced_files"),
        "'services/my api/main file.py'"
    );

    let step = Step::new();
    step.run(&repo, &["--base", "HEAD~2"], &[]);
    assert!(
        step.outputs()
            .iter()
            .all(|(name, _)| !name.ends_with("files")),
        "only when asked"
    );
}
