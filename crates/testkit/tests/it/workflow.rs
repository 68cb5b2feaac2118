//! The workflow simulator on small workflows that each exercise one part of GitHub's
//! semantics: composite actions and the runner's files, matrices and fail-fast,
//! continue-on-error, status functions, reusable workflow calls, environment secrets and
//! concurrency groups.

use std::path::Path;

use gantry_testkit::workflow::{
    Event, GitRepo, JobResult, Simulator, StepResult, TimelineEvent, WorkflowRun,
};

const REPOSITORY: &str = "acme/shop";
const WORKFLOW: &str = ".github/workflows/ci.yml";

/// A repository with `files` and a simulator over it (no remote but an empty gantry).
fn setup(files: &[(&str, &str)]) -> (GitRepo, tempfile::TempDir) {
    (
        GitRepo::new(REPOSITORY, files),
        tempfile::tempdir().unwrap(),
    )
}

fn simulator<'r>(repo: &GitRepo, gantry: &Path) -> Simulator<'r> {
    Simulator::new(gantry).repository(repo)
}

fn run_ci(simulator: &Simulator<'_>, event: &Event) -> WorkflowRun {
    simulator.run(REPOSITORY, WORKFLOW, event)
}

#[test]
fn composite_actions_nest_and_the_runner_files_carry_to_later_steps() {
    let outer = "name: outer
inputs:
  who: {description: who, default: world}
  token: {description: t, default: '${{ github.token }}'}
outputs:
  greeting: {description: g, value: '${{ steps.inner.outputs.said }}'}
runs:
  using: composite
  steps:
    - id: inner
      uses: ./actions/inner
      with:
        text: hello ${{ inputs.who }}
    - shell: bash
      env:
        TOKEN: ${{ inputs.token }}
      run: |
        echo \"OUTER_SAW=$FROM_INNER\" >> \"$GITHUB_ENV\"
        test -n \"$TOKEN\"
";
    let inner = "name: inner
inputs:
  text: {description: x, required: true}
outputs:
  said: {description: s, value: '${{ steps.say.outputs.said }}'}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        TEXT: ${{ inputs.text }}
      run: |
        printf 'said<<EOF\\n%s\\nEOF\\n' \"$TEXT\" >> \"$GITHUB_OUTPUT\"
        echo FROM_INNER=yes >> \"$GITHUB_ENV\"
        mkdir -p \"$RUNNER_TEMP/bin\" && printf '#!/bin/sh\\necho tool ran\\n' > \"$RUNNER_TEMP/bin/tool\"
        chmod +x \"$RUNNER_TEMP/bin/tool\" && echo \"$RUNNER_TEMP/bin\" >> \"$GITHUB_PATH\"
        echo '### inner' >> \"$GITHUB_STEP_SUMMARY\"
";
    let workflow = "on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      greeting: ${{ steps.outer.outputs.greeting }}
    steps:
      - uses: actions/checkout@v4
      - id: outer
        uses: ./actions/outer
        with:
          who: ${{ github.event_name }}
      - run: |
          test \"$OUTER_SAW\" = yes
          tool
          echo \"${{ steps.outer.outputs.greeting }}\"
";
    let (repo, gantry) = setup(&[
        ("actions/outer/action.yml", outer),
        ("actions/inner/action.yml", inner),
        (WORKFLOW, workflow),
    ]);
    let simulator = simulator(&repo, gantry.path());
    let event = repo.push("touch", &[("a.txt", "a\n")]);
    let run = run_ci(&simulator, &event);
    run.assert_success();
    let build = run.job("build");
    assert_eq!(build.output("greeting"), "hello push");
    let last = build.steps.last().unwrap();
    assert_eq!(last.stdout, "tool ran\nhello push\n");
    assert_eq!(build.summary(), "### inner\n");
    assert_eq!(build.step("say").outputs["said"], "hello push");
}

#[test]
fn a_matrix_fails_fast_unless_told_and_continue_on_error_reports_success_to_needs() {
    let workflow = "on: push
jobs:
  test:
    strategy:
      fail-fast: ${{ github.ref_name == 'main' }}
      matrix:
        n: [1, 2, 3]
        include:
          - n: 2
            broken: true
    runs-on: ubuntu-latest
    steps:
      - run: test \"${{ matrix.broken }}\" != true
  flaky:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: exit 1
  report:
    needs: [test, flaky]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - env:
          RESULTS: ${{ toJSON(needs.*.result) }}
        run: echo \"${{ needs.test.result }} ${{ needs.flaky.result }} $RESULTS\"
";
    let (repo, gantry) = setup(&[(WORKFLOW, workflow)]);
    let simulator = simulator(&repo, gantry.path());
    let run = run_ci(&simulator, &repo.push("x", &[]));
    assert_eq!(run.conclusion, JobResult::Failure);
    let tests: Vec<JobResult> = run.jobs_of("test").iter().map(|job| job.result).collect();
    assert_eq!(
        tests,
        [JobResult::Success, JobResult::Failure, JobResult::Cancelled]
    );
    assert_eq!(run.jobs_of("test")[0].name, "test (1)");
    // The flaky job's check is red, but needs sees success (actions/runner#1161).
    assert_eq!(run.job("flaky").result, JobResult::Failure);
    let report = &run.job("report").steps[0];
    assert_eq!(
        report.stdout,
        "failure success [\n  \"failure\",\n  \"success\"\n]\n"
    );
}

#[test]
fn status_functions_steps_outcomes_and_skipped_needs() {
    let workflow = "on: push
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - id: soft
        run: exit 3
        continue-on-error: true
      - run: echo \"${{ steps.soft.outcome }}/${{ steps.soft.conclusion }}\"
      - id: hard
        run: exit 1
      - run: echo never
      - if: failure()
        run: echo cleanup
      - if: always()
        run: echo always
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: echo skipped
  third:
    needs: second
    if: ${{ !cancelled() && needs.second.result == 'skipped' }}
    runs-on: ubuntu-latest
    steps:
      - run: echo third
";
    let (repo, gantry) = setup(&[(WORKFLOW, workflow)]);
    let simulator = simulator(&repo, gantry.path());
    let run = run_ci(&simulator, &repo.push("x", &[]));
    let first = run.job("first");
    let results: Vec<(StepResult, StepResult)> = first
        .steps
        .iter()
        .map(|step| (step.outcome, step.conclusion))
        .collect();
    assert_eq!(
        results,
        [
            (StepResult::Failure, StepResult::Success),
            (StepResult::Success, StepResult::Success),
            (StepResult::Failure, StepResult::Failure),
            (StepResult::Skipped, StepResult::Skipped),
            (StepResult::Success, StepResult::Success),
            (StepResult::Success, StepResult::Success),
        ]
    );
    assert_eq!(first.steps[1].stdout, "failure/success\n");
    assert_eq!(run.job("second").result, JobResult::Skipped);
    assert_eq!(run.job("third").result, JobResult::Success);
}

/// A reusable workflow in the repository and its caller.
const CALLED: &str = "on:
  workflow_call:
    inputs:
      level: {type: number, default: 1}
      name: {type: string, required: true}
    secrets:
      key: {required: true}
    outputs:
      said: {value: '${{ jobs.work.outputs.said }}'}
jobs:
  work:
    runs-on: ubuntu-latest
    environment: staging
    permissions: {contents: read}
    outputs:
      said: ${{ steps.say.outputs.said }}
    steps:
      - id: say
        env:
          KEY: ${{ secrets.key }}
          ENV_KEY: ${{ secrets.STAGING_KEY }}
        run: echo \"said=${{ inputs.name }}-${{ inputs.level }}-${#KEY}-${ENV_KEY}\" >> \"$GITHUB_OUTPUT\"
";

fn caller(with: &str, secrets: &str, permissions: &str) -> String {
    format!(
        "on: push
jobs:
  call:
    uses: ./.github/workflows/called.yml
    permissions: {permissions}
    with: {with}
    secrets: {secrets}
  use:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo \"${{{{ needs.call.outputs.said }}}}\"
"
    )
}

#[test]
fn reusable_workflows_type_their_inputs_map_secrets_and_pass_outputs_up() {
    let good = caller(
        "{name: api, level: 2}",
        "{key: '${{ secrets.REPO_KEY }}'}",
        "{contents: read}",
    );
    let (repo, gantry) = setup(&[(".github/workflows/called.yml", CALLED), (WORKFLOW, &good)]);
    let simulator = simulator(&repo, gantry.path())
        .secret("REPO_KEY", "12345")
        .environment_secret("staging", "STAGING_KEY", "env-secret");
    let run = run_ci(&simulator, &repo.push("x", &[]));
    run.assert_success();
    assert_eq!(run.job("call/work").name, "call / work");
    assert_eq!(run.job("use").steps[0].stdout, "api-2-5-env-secret\n");

    for (caller, error) in [
        (
            caller("{name: api, level: high}", "{key: x}", "{contents: read}"),
            "Unexpected value 'high' for input level: expected type number",
        ),
        (
            caller("{level: 2}", "{key: x}", "{contents: read}"),
            "Input name is required, but not provided while calling.",
        ),
        (
            caller("{name: a}", "{}", "{contents: read}"),
            "Secret key is required, but not provided while calling.",
        ),
        (
            caller("{name: a}", "{key: x}", "{packages: read}"),
            "The nested job 'work' is requesting 'contents: read', but is only allowed 'contents: none'.",
        ),
        (
            caller("{name: a, nme: b}", "{key: x}", "{contents: read}"),
            "Invalid input, nme is not defined",
        ),
    ] {
        let event = repo.push("bad caller", &[(WORKFLOW, &caller)]);
        let run = run_ci(&simulator, &event);
        assert_eq!(run.conclusion, JobResult::Failure, "{caller}");
        let errors = run.all_errors().join("\n");
        assert!(errors.contains(error), "{caller}\n{errors}");
    }
}

#[test]
fn a_newer_run_cancels_the_pending_one_in_a_concurrency_group() {
    // Each run's deploy job waits for a file named after the run's commit message.
    let workflow = "on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    concurrency:
      group: deploy-staging
      cancel-in-progress: false
    steps:
      - env:
          RELEASE: ${{ github.event.head_commit.message }}
        run: while [ ! -e \"$RELEASE\" ]; do sleep 0.02; done
";
    let (repo, gantry) = setup(&[(WORKFLOW, workflow)]);
    let simulator = simulator(&repo, gantry.path());
    let releases = tempfile::tempdir().unwrap();
    let release = |name: &str| releases.path().join(name).display().to_string();
    let events: Vec<Event> = ["a", "b", "c"]
        .iter()
        .map(|name| repo.push(&release(name), &[]))
        .collect();
    let started = |run: u64| {
        move |timeline: &[TimelineEvent]| {
            timeline
                .iter()
                .any(|event| matches!(event, TimelineEvent::JobStarted { run: r, .. } if *r == run))
        }
    };
    let pending = |run: u64| {
        move |timeline: &[TimelineEvent]| {
            timeline
                .iter()
                .any(|event| matches!(event, TimelineEvent::Pending { run: r, .. } if *r == run))
        }
    };
    let runs = std::thread::scope(|scope| {
        let a = scope.spawn(|| run_ci(&simulator, &events[0]));
        simulator.wait_for("A's deploy runs", started(1));
        let b = scope.spawn(|| run_ci(&simulator, &events[1]));
        simulator.wait_for("B's deploy waits", pending(2));
        let c = scope.spawn(|| run_ci(&simulator, &events[2]));
        simulator.wait_for("C's deploy waits", pending(3));
        std::fs::write(release("a"), "").unwrap();
        std::fs::write(release("c"), "").unwrap();
        [a.join().unwrap(), b.join().unwrap(), c.join().unwrap()]
    });
    let results: Vec<JobResult> = runs.iter().map(|run| run.job("deploy").result).collect();
    assert_eq!(
        results,
        [JobResult::Success, JobResult::Cancelled, JobResult::Success]
    );
    assert!(
        simulator
            .timeline()
            .contains(&TimelineEvent::CancelledWhilePending {
                run: 2,
                job: "deploy".to_owned(),
                group: "deploy-staging".to_owned(),
            })
    );
    assert_eq!(runs[1].conclusion, JobResult::Cancelled);
}

#[test]
fn dispatch_inputs_are_typed_and_defaulted_as_github_types_them() {
    let workflow = "on:
  workflow_dispatch:
    inputs:
      environment: {type: choice, options: [staging, production], default: staging}
      dry: {type: boolean, default: false}
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo \"${{ inputs.environment }} ${{ inputs.dry == true }} ${{ github.event.inputs.dry == 'true' }}\"
";
    let (repo, gantry) = setup(&[(WORKFLOW, workflow)]);
    let simulator = simulator(&repo, gantry.path());
    let run = run_ci(
        &simulator,
        &repo.workflow_dispatch(serde_json::json!({"dry": "true"})),
    );
    run.assert_success();
    assert_eq!(run.job("show").steps[0].stdout, "staging true true\n");
    for (inputs, error) in [
        (
            serde_json::json!({"environment": "qa"}),
            "\"qa\" is not one of its options",
        ),
        (
            serde_json::json!({"dyr": "true"}),
            "Unexpected inputs provided: [\"dyr\"]",
        ),
    ] {
        let run = run_ci(&simulator, &repo.workflow_dispatch(inputs));
        assert_eq!(run.conclusion, JobResult::Failure);
        assert!(run.errors.join("\n").contains(error), "{}", run.log());
    }
}

#[test]
fn repository_dispatch_runs_for_its_types_with_the_client_payload() {
    let workflow = "on:
  repository_dispatch:
    types: [deploy]
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo \"$SERVICE at $TAG ($TYPE)\"
        env:
          SERVICE: ${{ github.event.client_payload.service }}
          TAG: ${{ github.event.client_payload.tag }}
          TYPE: ${{ github.event.action }}
";
    let (repo, gantry) = setup(&[(WORKFLOW, workflow)]);
    let simulator = simulator(&repo, gantry.path());
    let payload = serde_json::json!({"service": "api", "tag": "v1.2.3"});
    let run = run_ci(
        &simulator,
        &repo.repository_dispatch("deploy", payload.clone()),
    );
    run.assert_success();
    assert_eq!(run.job("show").steps[0].stdout, "api at v1.2.3 (deploy)\n");
    assert!(!run_ci(&simulator, &repo.repository_dispatch("build", payload)).triggered);
}

#[test]
fn a_job_in_an_environment_with_reviewers_waits_for_the_decision() {
    let workflow = "on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      - run: echo planned
  ship:
    needs: plan
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: echo shipped
";
    let (repo, gantry) = setup(&[(WORKFLOW, workflow)]);
    let simulator = simulator(&repo, gantry.path()).reviewers("production");
    let event = repo.push("change", &[("a.txt", "a\n")]);
    std::thread::scope(|scope| {
        let running = scope.spawn(|| run_ci(&simulator, &event));
        simulator.wait_for("ship waits for a reviewer", |timeline| {
            timeline.contains(&TimelineEvent::WaitingForReview {
                run: 1,
                job: "ship".to_owned(),
                environment: "production".to_owned(),
            })
        });
        // The job has not started while it waits.
        assert!(!simulator.timeline().contains(&TimelineEvent::JobStarted {
            run: 1,
            job: "ship".to_owned()
        }));
        simulator.review(1, "production", true);
        let run = running.join().unwrap();
        run.assert_success();
        assert_eq!(run.job("ship").steps[0].stdout, "shipped\n");
    });

    // Rejected (decided before the job got there): the job fails without running.
    simulator.review(2, "production", false);
    let run = run_ci(&simulator, &event);
    assert_eq!(run.job("ship").result, JobResult::Failure);
    assert!(run.job("ship").steps.is_empty());
    assert_eq!(
        run.job("ship").error.as_deref(),
        Some("the deployment to production was rejected by a reviewer")
    );
}
