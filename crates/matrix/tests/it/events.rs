//! The base of each GitHub event, in a checkout of a real `origin`.

use serde_json::{Value, json};

use crate::support::{Remote, Repo, Sandbox, Step, pairs, reasons};

const ZERO: &str = "0000000000000000000000000000000000000000";

/// Runs as an Actions step for `event` with `payload`.
fn run_event(repo: &Repo, event: &str, payload: &Value) -> (crate::support::Run, Value) {
    let step = Step::new();
    let path = step.event(payload);
    let run = step.run(
        repo,
        &["--format", "json"],
        &[("GITHUB_EVENT_NAME", event), ("GITHUB_EVENT_PATH", &path)],
    );
    let document = run.json();
    (run, document)
}

fn push_payload(git_ref: &str, before: &str, after: &str, forced: bool) -> Value {
    json!({
        "ref": git_ref,
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": false,
        "forced": forced,
        "repository": {"full_name": "acme/shop", "default_branch": "main"}
    })
}

#[test]
fn a_push_diffs_from_before() {
    let remote = Remote::new();
    let before = remote.dev.sha("HEAD");
    remote.commit(&[("services/api/main.py", "v2\n")], "api");
    let after = remote.commit(&[("services/web/index.html", "v2\n")], "web");
    remote.push(&["main"]);
    let ci = remote.checkout("main", &[]);
    let (_, document) = run_event(
        &ci,
        "push",
        &push_payload("refs/heads/main", &before, &after, false),
    );
    assert_eq!(
        reasons(&document),
        pairs(&[
            ("api", "file services/api/main.py"),
            ("web", "file services/web/index.html")
        ])
    );
    assert_eq!(document["base"], before);
    assert_eq!(document["head"], after);
}

#[test]
fn a_push_creating_a_branch_diffs_the_whole_branch_from_the_default_branch() {
    let remote = Remote::new();
    remote.dev.git(&["checkout", "-q", "-b", "feature"]);
    let fork = remote.dev.sha("HEAD");
    remote.commit(&[("services/api/main.py", "v2\n")], "api");
    let after = remote.commit(&[("services/web/index.html", "v2\n")], "web");
    remote.push(&["feature"]);
    let ci = remote.checkout("feature", &[]);
    let (_, document) = run_event(
        &ci,
        "push",
        &push_payload("refs/heads/feature", ZERO, &after, false),
    );
    assert_eq!(
        reasons(&document),
        pairs(&[
            ("api", "file services/api/main.py"),
            ("web", "file services/web/index.html")
        ]),
        "every commit of the new branch counts, not only the last one"
    );
    assert_eq!(document["base"], fork);
    assert_eq!(
        document["base-reason"],
        format!(
            "the push created refs/heads/feature: merge base of origin/main and {}",
            &after[..7]
        )
    );
}

#[test]
fn a_forced_push_diffs_from_the_merge_base_not_from_the_rewritten_tip() {
    let remote = Remote::new();
    remote.dev.git(&["checkout", "-q", "-b", "feature"]);
    let fork = remote.dev.sha("HEAD");
    let before = remote.commit(&[("services/api/main.py", "v2\n")], "api");
    remote.push(&["feature"]);
    remote.dev.git(&["reset", "-q", "--hard", &fork]);
    let after = remote.commit(&[("services/web/index.html", "v2\n")], "web instead");
    remote.push(&["--force", "feature"]);
    let ci = remote.checkout("feature", &[]);
    let (_, document) = run_event(
        &ci,
        "push",
        &push_payload("refs/heads/feature", &before, &after, true),
    );
    assert_eq!(
        reasons(&document),
        pairs(&[("web", "file services/web/index.html")])
    );
    assert_eq!(document["base"], fork);

    // A `before` that exists nowhere falls back the same way.
    let unknown = "1234567890123456789012345678901234567890";
    let (_, document) = run_event(
        &ci,
        "push",
        &push_payload("refs/heads/feature", unknown, &after, false),
    );
    assert_eq!(document["base"], fork);
    assert!(
        document["base-reason"]
            .as_str()
            .unwrap()
            .starts_with("`before` 1234567 is neither in the repository nor on origin"),
        "{document}"
    );
}

#[test]
fn a_pull_request_diffs_its_head_from_the_merge_base_with_its_base() {
    let remote = Remote::new();
    let fork = remote.dev.sha("HEAD");
    remote.dev.git(&["checkout", "-q", "-b", "feature"]);
    let head = remote.commit(&[("services/api/main.py", "v2\n")], "api");
    remote.dev.git(&["checkout", "-q", "main"]);
    let base = remote.commit(&[("services/worker/worker.py", "v2\n")], "worker on main");
    remote.push(&["main", "feature"]);
    let ci = remote.checkout("main", &[]);
    let payload = json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "base": {"ref": "main", "sha": base},
            "head": {"ref": "feature", "sha": head}
        },
        "repository": {"default_branch": "main"}
    });
    for event in ["pull_request", "pull_request_target"] {
        let (_, document) = run_event(&ci, event, &payload);
        assert_eq!(
            reasons(&document),
            pairs(&[("api", "file services/api/main.py")]),
            "{event}: the base branch's own changes are not the pull request's"
        );
        assert_eq!(document["base"], fork);
        assert_eq!(document["head"], head);
    }
}

#[test]
fn a_merge_group_diffs_from_base_sha() {
    let remote = Remote::new();
    remote.dev.git(&["checkout", "-q", "-b", "feature"]);
    remote.commit(&[("services/api/main.py", "v2\n")], "api");
    remote.dev.git(&["checkout", "-q", "main"]);
    let base = remote.commit(&[("services/worker/worker.py", "v2\n")], "worker on main");
    let queue = "gh-readonly-queue/main/pr-7-abc";
    remote.dev.git(&["checkout", "-q", "-b", queue]);
    remote
        .dev
        .git(&["merge", "-q", "--no-ff", "-m", "merge #7", "feature"]);
    let head = remote.dev.sha("HEAD");
    remote.push(&["main", queue]);
    let ci = remote.checkout(queue, &[]);
    let payload = json!({
        "merge_group": {
            "base_sha": base,
            "head_sha": head,
            "base_ref": "refs/heads/main",
            "head_ref": format!("refs/heads/{queue}")
        },
        "repository": {"default_branch": "main"}
    });
    let (_, document) = run_event(&ci, "merge_group", &payload);
    assert_eq!(
        reasons(&document),
        pairs(&[("api", "file services/api/main.py")])
    );
    assert_eq!(document["base"], base);
    assert_eq!(document["head"], head);
}

#[test]
fn a_shallow_checkout_fetches_its_base_and_deepens_to_the_merge_base() {
    let remote = Remote::new();
    let fork = remote.dev.sha("HEAD");
    remote.dev.git(&["checkout", "-q", "-b", "feature"]);
    let feature = remote.commit(&[("proto/jobs.proto", "v2\n")], "proto");
    remote.dev.git(&["checkout", "-q", "main"]);
    let before = remote.commit(&[("services/api/main.py", "v2\n")], "api");
    remote.commit(&[("services/web/index.html", "v2\n")], "web");
    let after = remote.commit(&[("services/worker/worker.py", "v2\n")], "worker");
    remote.push(&["main", "feature"]);

    // actions/checkout's default: one commit.
    let ci = remote.checkout("main", &["--depth=1"]);
    assert_eq!(ci.git(&["rev-parse", "--is-shallow-repository"]), "true");
    let (run, document) = run_event(
        &ci,
        "push",
        &push_payload("refs/heads/main", &before, &after, false),
    );
    assert_eq!(
        reasons(&document),
        pairs(&[
            ("web", "file services/web/index.html"),
            ("worker", "file services/worker/worker.py")
        ])
    );
    assert!(
        run.stderr.contains(&format!(
            "::group::git fetch --depth=1 origin {before} ({before} is not in the checkout)\n"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("::endgroup::"), "{}", run.stderr);

    // A pull request from `feature`: its base is fetched, then history deepened until the
    // merge base appears.
    let ci = remote.checkout("feature", &["--depth=1"]);
    let payload = json!({
        "number": 8,
        "pull_request": {
            "base": {"ref": "main", "sha": after},
            "head": {"ref": "feature", "sha": feature}
        },
        "repository": {"default_branch": "main"}
    });
    let (run, document) = run_event(&ci, "pull_request", &payload);
    assert_eq!(
        reasons(&document),
        pairs(&[("worker", "file proto/jobs.proto")])
    );
    assert_eq!(document["base"], fork);
    assert!(
        run.stderr.contains(&format!(
            "::group::git fetch --depth=100 origin {after} {feature} (looking for the merge base)\n"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_base_branch_or_tag_missing_from_the_checkout_is_fetched_from_origin() {
    let remote = Remote::new();
    remote.dev.git(&["tag", "v1.0.0"]);
    remote.push(&["v1.0.0"]);
    remote.dev.git(&["checkout", "-q", "-b", "feature"]);
    remote.commit(&[("services/api/main.py", "v2\n")], "api");
    remote.push(&["feature"]);
    let expected = pairs(&[("api", "file services/api/main.py")]);

    // actions/checkout: one commit of one branch, no local `main`, no tags.
    for (round, clone_args) in [&["--depth=1"][..], &[][..]].into_iter().enumerate() {
        for (index, base) in ["main", "v1.0.0", "refs/heads/main", "refs/tags/v1.0.0"]
            .into_iter()
            .enumerate()
        {
            let mut args = vec!["--branch", "feature", "--no-tags"];
            args.extend_from_slice(clone_args);
            let name = format!("ci-{round}-{index}");
            let ci = remote.sandbox.clone(&remote.origin, &name, &args);
            let document = ci.json(&["--base", base]);
            assert_eq!(reasons(&document), expected, "--base {base} {clone_args:?}");
            assert_eq!(
                document["base-reason"],
                format!("merge base of {base} (--base) and HEAD")
            );
        }
    }
    let ci = remote.checkout("feature", &["--depth=1"]);
    let run = ci.run(&["--base", "release"], &[]);
    assert!(
        run.stdout.contains("cannot find release (--base)"),
        "neither a branch nor a tag: {}",
        run.stdout
    );
}

#[test]
fn a_base_that_does_not_exist_selects_everything_and_says_why() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let missing = "1234567890123456789012345678901234567890";
    let document = repo.json(&["--base", missing]);
    let all = "all: no base";
    assert_eq!(
        reasons(&document),
        pairs(&[("api", all), ("web", all), ("worker", all), ("spaced", all)])
    );
    assert_eq!(document["base"], Value::Null);
    assert_eq!(document["head"], repo.sha("HEAD"));
    assert_eq!(
        document["base-reason"],
        format!("cannot find {missing} (--base)")
    );
}

#[test]
fn events_without_a_base_select_everything() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let payload = json!({"ref": "refs/heads/main", "inputs": {"all": "false"}});
    let (run, document) = run_event(&repo, "workflow_dispatch", &payload);
    assert_eq!(document["count"], 4);
    assert_eq!(document["reasons"]["api"], "all: no base");
    assert_eq!(
        document["base-reason"],
        "a workflow_dispatch event has no base commit (pass --base to compare with one)"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn a_deleted_branch_builds_nothing() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let mut payload = push_payload("refs/heads/gone", &repo.sha("HEAD"), ZERO, false);
    payload["deleted"] = json!(true);
    let (_, document) = run_event(&repo, "push", &payload);
    assert_eq!(document["count"], 0);
    assert_eq!(document["head"], Value::Null);
}
