//! gantry-cli's process contract, through the demo tool (`src/bin/gantry-cli-demo.rs`) run
//! with a clean environment: exit statuses, empty variables, help, annotations, outputs and
//! summary, masking, panics and log levels.

use std::path::Path;

use gantry_testkit::Step;
use gantry_testkit::process::{self, Run};

const DEMO: &str = env!("CARGO_BIN_EXE_gantry-cli-demo");

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    process::run_in(DEMO, dir, args, env)
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    process::run(DEMO, args, env)
}

const DEFAULT_REPORT: &str =
    "format=text\nmanifest=gantry.yml\nevent=-\nref=-\npayload=-\napi=https://api.github.com\n";

#[test]
fn success_is_0_with_a_clean_stderr() {
    let run = run(&[], &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, DEFAULT_REPORT, "")
    );
}

#[test]
fn empty_variables_are_absent() {
    let run = run(
        &[],
        &[
            ("INPUT_FORMAT", ""),
            ("INPUT_ACTION", ""),
            ("INPUT_MANIFEST", ""),
            ("GITHUB_REF", ""),
            ("GITHUB_API_URL", ""),
            ("GITHUB_EVENT_PATH", ""),
        ],
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, DEFAULT_REPORT, "")
    );
}

#[test]
fn inputs_come_from_env_and_flags_win() {
    let env = [
        ("INPUT_FORMAT", "json"),
        ("GANTRY_MANIFEST", "deploy/gantry.yml"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_API_URL", "https://ghes.example.com/api/v3"),
    ];
    assert_eq!(run(&[], &env).stdout, "{\"format\":\"json\"}\n");
    let run = run(&["--format", "text", "--ref", "refs/tags/v1"], &env);
    assert_eq!(
        run.stdout,
        "format=text\nmanifest=deploy/gantry.yml\nevent=-\nref=refs/tags/v1\npayload=-\napi=https://ghes.example.com/api/v3\n"
    );
}

#[test]
fn help_and_version_are_0() {
    let help = run(&["--help"], &[]);
    assert_eq!(help.code, 0);
    assert_eq!(help.stderr, "");
    insta::assert_snapshot!(help.stdout);
    let version = run(&["--version"], &[]);
    assert_eq!(
        (version.code, version.stdout.as_str()),
        (0, "gantry-cli-demo 0.1.0\n")
    );
}

#[test]
fn bad_flags_are_2_with_clap_message() {
    let run = run(&["--format", "xml"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: invalid value 'xml' for '--format <FORMAT>'\n  [possible values: text, json]\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn bad_flags_are_annotated_under_actions() {
    let step = Step::new();
    let run = step.run(DEMO, &["--frmat", "json"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--frmat' found\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("::error title=invalid arguments::unexpected argument '--frmat' found\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failed_operation_is_1() {
    let run = run(&["--action", "fail"], &[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "  × deploy of api failed: status error\n");
}

#[test]
fn a_manifest_error_is_2_with_a_located_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gantry.yml"),
        "version: 1\nregistry: ghcr.io/acme\n  servces:\n    api: {}\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["--action", "check-manifest"], &[]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn a_manifest_error_is_annotated_at_its_line_under_actions() {
    let step = Step::new();
    std::fs::write(step.dir().join("gantry.yml"), "version: 1\nservces: {}\n").unwrap();
    let run = step.run(DEMO, &["--action", "check-manifest"], &[("NO_COLOR", "1")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown key `servces`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "::error file=gantry.yml,line=2,col=1,title=gantry%3A%3Amanifest%3A%3Aunknown_key\
         ::unknown key `servces`%0Ahelp: did you mean `services`?"
    );
}

#[test]
fn a_bad_event_payload_is_2_and_names_the_file() {
    let run = run(
        &[],
        &[
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", "/nonexistent/event.json"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot read the event payload /nonexistent/event.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn outputs_and_summary_are_written_under_actions() {
    let step = Step::new();
    let run = step.run(DEMO, &["--output", "count=2", "--output", "any=true"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(step.read("output"), "count=2\nany=true\n");
    assert_eq!(step.read("summary"), "## Demo\n\ndone\n\n");
}

#[test]
fn nothing_is_written_outside_actions() {
    let step = Step::new();
    let output = step.dir().join("output");
    let run = run_in(
        step.dir(),
        &["--output", "count=2"],
        &[("GITHUB_OUTPUT", output.to_str().unwrap())],
    );
    assert_eq!(run.code, 0);
    assert_eq!(step.read("output"), "");
}

#[test]
fn the_token_is_masked_first_and_never_printed() {
    let step = Step::new();
    let token = "ghp_0123456789abcdefghij";
    let run = step.run(
        DEMO,
        &["--action", "log-secret"],
        &[("GITHUB_TOKEN", token)],
    );
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains(token));
    let lines: Vec<&str> = run.stderr.lines().collect();
    // Only the mask command itself carries the value: that is how the runner learns it.
    assert!(
        lines[1..].iter().all(|line| !line.contains(token)),
        "{}",
        run.stderr
    );
    assert_eq!(
        lines,
        [
            "::add-mask::ghp_0123456789abcdefghij",
            "token is ***",
            "::warning::token is still ***",
            "  × authentication with *** failed",
            "::error::authentication with *** failed",
        ]
    );
}

#[test]
fn the_token_is_redacted_outside_actions_without_echoing_it() {
    let token = "dokploy-key-123456";
    let run = run(&["--action", "log-secret"], &[("GITHUB_TOKEN", token)]);
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains(token), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("token is ***\nwarning: token is still ***\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_panic_is_reported_as_a_bug_and_exits_non_zero() {
    let run = run(&["--action", "panic"], &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .starts_with("internal error (a bug in gantry): demo panic at "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("please report it"));
}

#[test]
fn verbose_and_runner_debug_show_debug_logs() {
    assert_eq!(run(&["-v"], &[]).stderr, "debug: report ready\n");
    assert_eq!(run(&[], &[]).stderr, "");
    let step = Step::new();
    assert_eq!(
        step.run(DEMO, &[], &[("RUNNER_DEBUG", "1")]).stderr,
        "::debug::report ready\n"
    );
}
