//! actions/matrix on real repositories: its outputs are what deploy-staging.yml's build job
//! can expand and read.

use crate::support::{monorepo, push, tool_action};
use crate::workflows::{expand_matrix, matrix_keys, workflow};

#[test]
fn a_push_gives_a_matrix_the_build_job_expands_and_reads() {
    let repo = monorepo();
    let action = tool_action("matrix", &repo.path());
    let (action, _) = push(action, &repo, "libs/common/common.py", "A = 2\n");
    let run = action.run();
    run.assert_success();
    assert_eq!(run.output("any"), "true");
    assert_eq!(run.output("count"), "1");
    assert_eq!(run.output("services"), r#"["api"]"#);
    assert_eq!(run.output("chunks"), "1");

    let entries = expand_matrix(run.output("matrix")).expect("fromJSON and the strategy accept it");
    assert_eq!(entries.len(), 1);
    let build = &workflow("deploy-staging.yml")["jobs"]["build"];
    let keys = matrix_keys(build);
    assert!(keys.contains("build-args-lines"), "{keys:?}");
    for key in &keys {
        assert!(
            entries[0].contains_key(key),
            "the build job reads matrix.{key}: {entries:?}"
        );
    }
    assert_eq!(entries[0]["build-args-lines"], "PYTHON_VERSION=3.12");
    assert_eq!(entries[0]["context"], "services/api");
    assert!(run.summary.contains("api"), "{}", run.summary);
}

#[test]
fn nothing_to_build_sets_any_false_which_keeps_the_build_job_from_failing() {
    let repo = monorepo();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let run = tool_action("matrix", &repo.path())
        .with("base", &head)
        .with("head", &head)
        .run();
    run.assert_success();
    assert_eq!(run.output("any"), "false");
    assert_eq!(run.output("count"), "0");
    // GitHub would fail the job on this matrix: that is why the build job checks `any` first.
    assert_eq!(
        expand_matrix(run.output("matrix")).unwrap_err(),
        "Matrix must define at least one vector"
    );
}

#[test]
fn inputs_reach_the_binary_and_bad_input_fails_the_step() {
    let repo = monorepo();
    let run = tool_action("matrix", &repo.path())
        .with("all", "true")
        .with("format", "json")
        .run();
    run.assert_success();
    assert_eq!(run.output("services"), r#"["api","web"]"#);
    let document: serde_json::Value = serde_json::from_str(&run.step("run").stdout).unwrap();
    assert_eq!(document["count"], 2, "format: json reached the binary");

    let run = tool_action("matrix", &repo.path()).with("all", "yes").run();
    assert!(!run.succeeded);
    assert_eq!(run.step("run").code, 2, "bad input");
    assert!(run.step("run").stderr.contains("::error"), "{}", run.log());
}
