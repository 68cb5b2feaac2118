//! Each event type read from a realistic payload, and every way a payload can be broken.

use std::path::{Path, PathBuf};

use gantry_gha::event::{
    BranchTip, Commit, Event, MergeGroup, MergeGroupEvent, PullRequest, PullRequestEvent,
    ReleaseEvent, ScheduleEvent, ZERO_SHA,
};
use gantry_gha::{Context, ContextError, ContextVars, Env, Payload};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name)
}

fn read(name: &str, event_name: &str) -> Payload {
    Payload::read(&fixture(name), event_name).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn read_error(name: &str, event_name: &str) -> String {
    let path = fixture(name);
    let error = Payload::read(&path, event_name).expect_err("the payload is broken");
    error
        .to_string()
        .replace(&path.display().to_string(), "[fixture]")
}

#[test]
fn push_to_a_branch() {
    let payload = read("push-branch.json", "push");
    let Event::Push(push) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert_eq!(push.git_ref, "refs/heads/main");
    assert_eq!(push.branch(), Some("main"));
    assert_eq!(push.tag(), None);
    assert_eq!(push.before, "9c3b0e1f6a4d2c8b7e5f1a0d3c6b9e2f4a7d1c0b");
    assert_eq!(push.after, "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a");
    assert!(!push.created && !push.deleted && push.forced);
    assert!(!push.before_is_zero());
    assert_eq!(push.base_ref, None);
    assert_eq!(
        push.commits
            .iter()
            .map(|commit| commit.id.as_str())
            .collect::<Vec<_>>(),
        [
            "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
            "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a"
        ]
    );
    assert_eq!(
        push.head_commit,
        Some(Commit {
            id: "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a".into(),
            timestamp: "2024-05-01T12:00:00+02:00".into(),
        })
    );

    let repository = payload.repository.expect("push payloads have a repository");
    assert_eq!(repository.name.as_deref(), Some("shop"));
    assert_eq!(repository.full_name.as_deref(), Some("acme/shop"));
    assert_eq!(
        repository.html_url.as_deref(),
        Some("https://github.com/acme/shop")
    );
    assert_eq!(
        repository.description.as_deref(),
        Some("The acme shop: api, web and workers")
    );
    assert_eq!(repository.default_branch.as_deref(), Some("main"));
    assert_eq!(repository.spdx_id(), Some("MIT"));
    assert_eq!(repository.owner_login(), Some("acme"));
    // Fields the typed view leaves out stay readable.
    assert_eq!(payload.raw["repository"]["topics"][0], "docker");
}

#[test]
fn push_of_a_tag() {
    let payload = read("push-tag.json", "push");
    let Event::Push(push) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert_eq!(push.tag(), Some("v1.2.3"));
    assert_eq!(push.branch(), None);
    assert!(push.created);
    assert!(push.before_is_zero());
    assert_eq!(push.base_ref.as_deref(), Some("refs/heads/main"));
    assert!(push.commits.is_empty());
    let repository = payload.repository.unwrap();
    assert_eq!(repository.description, None);
    assert_eq!(repository.spdx_id(), None, "license: null");
}

#[test]
fn push_deleting_a_branch() {
    let payload = read("push-branch-deleted.json", "push");
    let Event::Push(push) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert!(push.deleted);
    assert_eq!(push.after, ZERO_SHA);
    assert_eq!(push.head_commit, None);
}

#[test]
fn pull_request() {
    let payload = read("pull_request.json", "pull_request");
    assert_eq!(
        payload.event,
        Event::PullRequest(PullRequestEvent {
            action: Some("synchronize".into()),
            number: 42,
            pull_request: PullRequest {
                base: BranchTip {
                    branch: "main".into(),
                    sha: "3333333333333333333333333333333333333333".into(),
                },
                head: BranchTip {
                    branch: "feature/health".into(),
                    sha: "2222222222222222222222222222222222222222".into(),
                },
            },
        })
    );
    assert_eq!(payload.repository.unwrap().spdx_id(), Some("Apache-2.0"));
    assert_eq!(
        payload.raw["before"],
        "1111111111111111111111111111111111111111"
    );
}

#[test]
fn pull_request_target() {
    let payload = read("pull_request_target.json", "pull_request_target");
    let Event::PullRequestTarget(event) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert_eq!(event.number, 43);
    assert_eq!(event.action.as_deref(), Some("opened"));
    assert_eq!(payload.event.pull_request(), Some(event));
    assert_eq!(payload.event.name(), "pull_request_target");
}

#[test]
fn merge_group() {
    let payload = read("merge_group.json", "merge_group");
    assert_eq!(
        payload.event,
        Event::MergeGroup(MergeGroupEvent {
            merge_group: MergeGroup {
                base_sha: "3333333333333333333333333333333333333333".into(),
                head_sha: "4444444444444444444444444444444444444444".into(),
                base_ref: "refs/heads/main".into(),
                head_ref: "refs/heads/gh-readonly-queue/main/pr-42-3333333333333333333333333333333333333333".into(),
            }
        })
    );
    assert_eq!(payload.event.pull_request(), None);
}

#[test]
fn workflow_dispatch() {
    let payload = read("workflow_dispatch.json", "workflow_dispatch");
    let Event::WorkflowDispatch(dispatch) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert_eq!(dispatch.git_ref, "refs/heads/release/2024-05");
    assert_eq!(dispatch.input("environment").as_deref(), Some("staging"));
    assert_eq!(dispatch.input("dry-run").as_deref(), Some("true"));
    assert_eq!(dispatch.input("replicas").as_deref(), Some("3"));
    assert_eq!(
        dispatch.inputs.keys().collect::<Vec<_>>(),
        ["environment", "dry-run", "replicas"]
    );
}

#[test]
fn schedule() {
    let payload = read("schedule.json", "schedule");
    assert_eq!(
        payload.event,
        Event::Schedule(ScheduleEvent {
            schedule: "17 3 * * 1".into()
        })
    );
    let repository = payload.repository.unwrap();
    assert_eq!(repository.default_branch.as_deref(), Some("trunk"));
    assert_eq!(repository.spdx_id(), Some("NOASSERTION"));
}

#[test]
fn release() {
    let payload = read("release.json", "release");
    let Event::Release(ReleaseEvent { action, release }) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert_eq!(action.as_deref(), Some("published"));
    assert_eq!(release.tag_name, "v2.0.0-rc.1");
    assert_eq!(release.name.as_deref(), Some("2.0.0 release candidate 1"));
    assert!(release.prerelease);
    assert!(!release.draft);
}

#[test]
fn other_events_keep_their_raw_payload() {
    let payload = read("issue_comment.json", "issue_comment");
    assert_eq!(
        payload.event,
        Event::Other {
            name: "issue_comment".into()
        }
    );
    assert_eq!(payload.event.name(), "issue_comment");
    assert_eq!(payload.raw["comment"]["body"], "/deploy staging");
    assert_eq!(
        payload.repository.unwrap().default_branch.as_deref(),
        Some("main")
    );
}

#[test]
fn missing_fields_read_as_empty_as_actions_github_reads_them() {
    // A thin payload (act, Gitea, Forgejo, fixtures) or another event's: what is missing is
    // empty, and the tool that needs a value says which one is missing.
    let payload = read("schedule.json", "push");
    let Event::Push(push) = &payload.event else {
        panic!("{:?}", payload.event)
    };
    assert_eq!((push.git_ref.as_str(), push.before.as_str()), ("", ""));
    for event in [
        "push",
        "pull_request",
        "merge_group",
        "workflow_dispatch",
        "release",
    ] {
        let payload = Payload::parse(Path::new("e.json"), b"{}", event).unwrap();
        assert_eq!(payload.event.name(), event);
    }
    let payload = Payload::parse(
        Path::new("e.json"),
        br#"{"number":7,"pull_request":{"head":{"ref":"f"}},"commits":[{"id":"a"}]}"#,
        "pull_request",
    )
    .unwrap();
    let pr = payload.event.pull_request().unwrap();
    assert_eq!((pr.number, pr.pull_request.head.sha.as_str()), (7, ""));
}

#[test]
fn wrong_types_name_the_json_path_line_and_column() {
    assert_eq!(
        read_error("wrong-type.json", "pull_request"),
        "invalid event payload [fixture] at `pull_request.head.sha`: \
         invalid type: integer `2222`, expected a string at line 6, column 45"
    );
}

#[test]
fn wrong_type_in_the_repository_object() {
    let path = Path::new("event.json");
    let error = Payload::parse(
        path,
        br#"{"schedule":"* * * * *","repository":{"default_branch":7}}"#,
        "schedule",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid event payload event.json at `repository.default_branch`: \
         invalid type: integer `7`, expected a string at line 1, column 56"
    );
}

#[test]
fn missing_file() {
    let error = Payload::read(Path::new("/nonexistent/event.json"), "push").unwrap_err();
    assert!(matches!(error, ContextError::PayloadUnreadable { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot read the event payload /nonexistent/event.json: "),
        "{error}"
    );
}

#[test]
fn not_json() {
    assert_eq!(
        read_error("not-json.txt", "push"),
        "invalid event payload [fixture]: expected value at line 1, column 1"
    );
}

#[test]
fn truncated() {
    assert_eq!(
        read_error("truncated.json", "pull_request"),
        "invalid event payload [fixture]: EOF while parsing a value at line 11, column 1"
    );
}

#[test]
fn empty_file() {
    assert_eq!(
        read_error("empty.json", "push"),
        "invalid event payload [fixture]: EOF while parsing a value at line 1, column 0"
    );
}

#[test]
fn not_utf8() {
    let error = Payload::parse(
        Path::new("e.json"),
        b"{\"ref\": \"refs/heads/\xff\"}",
        "push",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid event payload e.json: invalid unicode code point at line 1, column 21"
    );
}

#[test]
fn context_from_the_standard_variables() {
    let env = Env::from_pairs([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        (
            "GITHUB_EVENT_PATH",
            fixture("pull_request.json").to_str().unwrap(),
        ),
        ("GITHUB_REF", "refs/pull/42/merge"),
        ("GITHUB_SHA", "6666666666666666666666666666666666666666"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_API_URL", "https://api.github.com"),
        ("GITHUB_RUN_ID", "9123456789"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        ("GITHUB_BASE_REF", "main"),
        ("GITHUB_HEAD_REF", "feature/health"),
    ]);
    let context = Context::load(ContextVars::from_env(&env)).unwrap();
    assert!(context.actions);
    assert_eq!(context.event_name.as_deref(), Some("pull_request"));
    assert_eq!(context.git_ref.as_deref(), Some("refs/pull/42/merge"));
    assert_eq!(context.ref_name(), Some("42/merge"));
    assert_eq!(
        context.sha.as_deref(),
        Some("6666666666666666666666666666666666666666")
    );
    assert_eq!(context.run_id, Some(9_123_456_789));
    assert_eq!(context.run_attempt, Some(1));
    assert_eq!(context.base_ref.as_deref(), Some("main"));
    assert_eq!(context.head_ref.as_deref(), Some("feature/health"));
    assert_eq!(
        context
            .event()
            .and_then(Event::pull_request)
            .map(|pr| pr.number),
        Some(42)
    );
    assert_eq!(
        context
            .payload_repository()
            .and_then(|repo| repo.default_branch.as_deref()),
        Some("main")
    );
}

#[test]
fn local_run_without_variables() {
    let context = Context::load(ContextVars::from_env(&Env::default())).unwrap();
    assert!(!context.actions);
    assert_eq!(context.event_name, None);
    assert_eq!(context.event(), None);
    assert_eq!(context.server_url, "https://github.com");
    assert_eq!(context.api_url, "https://api.github.com");
}

#[test]
fn context_errors_name_the_payload() {
    let vars = ContextVars {
        event_name: Some("pull_request".into()),
        event_path: Some(fixture("wrong-type.json")),
        ..ContextVars::default()
    };
    let error = Context::load(vars).unwrap_err();
    assert!(
        matches!(&error, ContextError::PayloadInvalid { json_path: Some(at), line: 6, .. } if at == "pull_request.head.sha"),
        "{error:?}"
    );
}
