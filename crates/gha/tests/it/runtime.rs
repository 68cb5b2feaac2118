//! The runtime's log stream under Actions and outside it, and masking.

use gantry_gha::{Annotation, Env, Runtime};

fn actions() -> Env {
    Env::from_pairs([("GITHUB_ACTIONS", "true")])
}

#[test]
fn a_secret_is_masked_before_anything_prints_it() {
    let (runtime, log) = Runtime::captured(actions());
    let token = runtime.secret("ghp_token123");
    runtime.info(&format!("using {}", token.expose()));
    runtime.annotate(&Annotation::error(format!("bad {}", token.expose())).title(token.expose()));
    assert_eq!(
        log.text(),
        "::add-mask::ghp_token123\nusing ***\n::error title=***::bad ***\n"
    );
}

#[test]
fn multi_line_secrets_are_masked_line_by_line_too() {
    let (runtime, log) = Runtime::captured(actions());
    runtime.add_mask("-----BEGIN KEY-----\nabc%def\n-----END KEY-----");
    runtime.add_mask("-----BEGIN KEY-----\nabc%def\n-----END KEY-----");
    assert_eq!(
        log.text(),
        "::add-mask::-----BEGIN KEY-----%0Aabc%25def%0A-----END KEY-----\n\
         ::add-mask::-----BEGIN KEY-----\n\
         ::add-mask::abc%25def\n\
         ::add-mask::-----END KEY-----\n"
    );
}

#[test]
fn secrets_come_from_env_only_and_empty_is_absent() {
    let env = Env::from_pairs([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_TOKEN", "ghs_abc"),
        ("DOKPLOY_API_KEY", ""),
    ]);
    let (runtime, log) = Runtime::captured(env);
    let token = runtime.secret_from_env("GITHUB_TOKEN").unwrap();
    assert_eq!(token.expose(), "ghs_abc");
    assert_eq!(format!("{token:?} {token}"), "*** ***");
    assert!(runtime.secret_from_env("DOKPLOY_API_KEY").is_none());
    assert!(runtime.secret_from_env("UNSET").is_none());
    assert_eq!(log.text(), "::add-mask::ghs_abc\n");
}

/// A one-letter key would mask that letter everywhere: it is not masked, and the warning
/// (once per variable) says why without showing it.
#[test]
fn a_too_short_secret_is_warned_about_not_masked() {
    let env = Env::from_pairs([("GITHUB_ACTIONS", "true"), ("DOKPLOY_API_KEY", "e")]);
    let (runtime, log) = Runtime::captured(env);
    let key = runtime.secret_from_env("DOKPLOY_API_KEY").unwrap();
    assert_eq!(key.expose(), "e");
    runtime.secret_from_env("DOKPLOY_API_KEY");
    runtime.info("every letter e stays");
    let text = log.text();
    assert!(!text.contains("::add-mask::"), "{text}");
    assert_eq!(
        text.matches("::warning::DOKPLOY_API_KEY is only 1 character long")
            .count(),
        1,
        "{text}"
    );
    assert!(text.ends_with("every letter e stays\n"), "{text}");
}

#[test]
fn outside_actions_secrets_are_redacted_but_never_echoed() {
    let (runtime, log) = Runtime::captured(Env::default());
    let token = runtime.secret("tok-123");
    runtime.info(&format!("token {}", token.expose()));
    assert_eq!(log.text(), "token ***\n");
}

#[test]
fn a_secret_split_across_escaping_is_still_redacted() {
    let (runtime, log) = Runtime::captured(actions());
    runtime.secret("p%ss,w:rd");
    runtime.annotate(&Annotation::warning("x p%ss,w:rd").file("p%ss,w:rd"));
    assert!(
        log.text().ends_with("::warning file=***::x ***\n"),
        "{}",
        log.text()
    );
}

#[test]
fn groups_end_when_the_guard_drops() {
    let (runtime, log) = Runtime::captured(actions());
    {
        let _group = runtime.group("Build api");
        runtime.info("step");
    }
    assert_eq!(log.text(), "::group::Build api\nstep\n::endgroup::\n");

    let (runtime, log) = Runtime::captured(Env::default());
    drop(runtime.group("Build api"));
    assert_eq!(log.text(), "Build api\n");
}

#[test]
fn untrusted_text_is_echoed_with_commands_stopped() {
    let (runtime, log) = Runtime::captured(actions());
    runtime.echo_untrusted("::error::forged\nline");
    let text = log.text();
    let lines: Vec<&str> = text.lines().collect();
    let token = lines[0].strip_prefix("::stop-commands::").unwrap();
    assert_eq!(token.len(), 32);
    assert_eq!(
        lines[1..],
        ["::error::forged", "line", &format!("::{token}::")]
    );
}

#[test]
fn info_lines_that_look_like_commands_are_neutralised() {
    let (runtime, log) = Runtime::captured(actions());
    runtime.info("commit message:\n  ::set-env name=X::1");
    assert!(
        log.text().starts_with("::stop-commands::"),
        "{}",
        log.text()
    );
    let (runtime, log) = Runtime::captured(actions());
    runtime.info("a normal line with :: inside");
    assert_eq!(log.text(), "a normal line with :: inside\n");
}

/// The runner ends lines at `\r` too and runs the legacy `##[name]` form anywhere in a line:
/// every such line is wrapped, in the log and on stdout, whatever printed it.
#[test]
fn lines_the_runner_would_run_are_neutralised_wherever_they_hide() {
    for text in [
        "file a\r::error::PWNED",
        "tag v1 ##[set-output name=forged;]PWNED",
        "name\n\u{200b}::warning::PWNED",
    ] {
        assert!(
            Runtime::captured(actions())
                .0
                .stdout_report(text)
                .starts_with("::stop-commands::"),
            "{text:?}"
        );
        // A `-v` debug line under Actions without RUNNER_DEBUG is a plain line too.
        let writers: [fn(&Runtime, &str); 2] = [Runtime::info, Runtime::debug];
        for write in writers {
            let (runtime, log) = Runtime::captured(actions());
            write(&runtime, text);
            assert!(
                log.text().starts_with("::stop-commands::"),
                "{text:?}: {}",
                log.text()
            );
        }
    }
}

#[test]
fn stdout_reports_are_redacted_and_neutralised_under_actions() {
    let (runtime, log) = Runtime::captured(actions());
    runtime.secret("s3cret");
    let report = runtime.stdout_report("label=s3cret\n::add-mask::x=1");
    let lines: Vec<&str> = report.lines().collect();
    let token = lines[0].strip_prefix("::stop-commands::").unwrap();
    assert_eq!(
        lines[1..],
        ["label=***", "::add-mask::x=1", &format!("::{token}::")]
    );
    assert_eq!(runtime.stdout_report("a\nb"), "a\nb\n");
    assert!(!log.text().contains("x=1"), "nothing goes to the log");
    let (runtime, _log) = Runtime::captured(Env::default());
    assert_eq!(runtime.stdout_report("::error::x"), "::error::x\n");
}

#[test]
fn outside_actions_annotations_are_plain_lines() {
    let (runtime, log) = Runtime::captured(Env::default());
    runtime.annotate(
        &Annotation::error("unknown key")
            .file("gantry.yml")
            .line(3)
            .col(1),
    );
    runtime.echo_untrusted("::error::x");
    assert_eq!(
        log.text(),
        "error: gantry.yml:3:1: unknown key\n::error::x\n"
    );
}

#[test]
fn debug_uses_the_command_only_when_the_run_debugs() {
    let (runtime, log) = Runtime::captured(Env::from_pairs([
        ("GITHUB_ACTIONS", "true"),
        ("RUNNER_DEBUG", "1"),
    ]));
    runtime.debug("details\nmore");
    assert_eq!(log.text(), "::debug::details%0Amore\n");

    let (runtime, log) = Runtime::captured(Env::default());
    runtime.debug("details");
    assert_eq!(log.text(), "debug: details\n");
}

#[test]
fn inputs_come_from_the_runtime_env() {
    let (runtime, _log) = Runtime::captured(Env::from_pairs([("INPUT_KEEP_TAGGED", "10")]));
    assert_eq!(runtime.inputs().get("keep-tagged"), Some("10"));
    assert_eq!(
        format!("{runtime:?}"),
        "Runtime { actions: false, runner_debug: false, .. }"
    );
}
