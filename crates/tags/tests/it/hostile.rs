//! Untrusted text in tag rules, flavors and labels cannot forge workflow commands or
//! outputs, and secrets never come out.

use crate::support::Step;

const SHA: &str = "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a";

fn step() -> Step {
    Step::new()
        .actions()
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", SHA)
        .env("SOURCE_DATE_EPOCH", "1714557600")
        .env("INPUT_IMAGES", "ghcr.io/acme/api")
}

/// Labels whose values are workflow commands, `%` escapes, a heredoc delimiter and (through
/// a quoted field) a line break.
const HOSTILE_LABELS: &str = "evil=::error::forged\n\
pct=100%25 %0A\n\
delim=ghadelimiter_00000000-0000-0000-0000-000000000000\n\
\"multi=first\n::warning file=x::injected\"";

#[test]
fn hostile_labels_reach_outputs_intact_and_forge_nothing() {
    let run = step()
        .env(
            "INPUT_TAGS",
            "type=raw,value=::error::x%0A\ntype=raw,value=ok,prefix=::set-output::",
        )
        .env("INPUT_FLAVOR", "suffix=-%25")
        .env("INPUT_LABELS", HOSTILE_LABELS)
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    // The runner reads back exactly the values written, line breaks included.
    let labels = run.output("labels").unwrap();
    for expected in [
        "evil=::error::forged",
        "pct=100%25 %0A",
        "delim=ghadelimiter_00000000-0000-0000-0000-000000000000",
        "multi=first\n::warning file=x::injected",
    ] {
        assert!(labels.contains(expected), "{expected:?} in {labels:?}");
    }
    assert_eq!(run.output("version"), Some("-error-x-0A--25"));
    assert_eq!(
        run.output("tag-names").unwrap(),
        "-error-x-0A--25\n-set-output-ok--25",
        "tags are sanitized"
    );
    // The `json` output is one line; its labels object stops at the line break, as
    // metadata-action's does.
    let json: serde_json::Value = serde_json::from_str(run.output("json").unwrap()).unwrap();
    assert_eq!(json["labels"]["multi"], "first");
    assert_no_forged_commands(&run.stdout);
    assert_no_forged_commands(&run.stderr);
    assert_eq!(run.exported.len(), run.outputs.len());
}

/// Every line that starts with `::` is inside a `::stop-commands::` block, or is a command
/// gantry itself issued.
fn assert_no_forged_commands(text: &str) {
    let mut stopped: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(token) = &stopped {
            if trimmed == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = trimmed.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_owned());
            continue;
        }
        if trimmed.starts_with("::") {
            let allowed = ["::group::", "::endgroup::", "::warning title=gantry-tags::"];
            assert!(
                allowed.iter().any(|prefix| trimmed.starts_with(prefix)),
                "forged command: {line:?}\nin:\n{text}"
            );
        }
    }
}

#[test]
fn warning_annotations_escape_their_data() {
    let run = step()
        .env("INPUT_TAGS", "type=raw,value=ok,100%=x,\"a\nb=c\"")
        .env("INPUT_KEEP_QUOTED_FIELDS", "true")
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let warning = run
        .stderr
        .lines()
        .find(|line| line.starts_with("::warning") && line.contains("100%25"))
        .unwrap_or_else(|| panic!("no escaped warning in:\n{}", run.stderr));
    assert!(!warning.contains("100%="), "{warning}");
    let multi_line = run
        .stderr
        .lines()
        .find(|line| line.starts_with("::warning") && line.contains("a%0Ab"))
        .unwrap_or_else(|| panic!("no escaped line break in:\n{}", run.stderr));
    assert!(multi_line.contains("is not an attribute"), "{multi_line}");
}

#[test]
fn secrets_never_come_out() {
    let token = "ghp_RecognisableToken1234567890";
    let run = step()
        .env("GITHUB_TOKEN", token)
        .env(
            "INPUT_TAGS",
            &format!("type=raw,value=v1\ntype=raw,value={token}"),
        )
        .env("INPUT_LABELS", &format!("leak={token}"))
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stdout.contains(token), "stdout: {}", run.stdout);
    assert!(!run.summary.contains(token), "summary: {}", run.summary);
    for (name, value) in run.outputs.iter().chain(&run.exported) {
        assert!(!value.contains(token), "{name}: {value}");
    }
    let bake = std::fs::read_to_string(run.output("bake-file").unwrap()).unwrap();
    assert!(!bake.contains(token), "{bake}");
    assert!(bake.contains("leak\": \"***\""), "{bake}");
    // stderr holds it only in the mask command that tells the runner to hide it.
    let mentions: Vec<&str> = run.stderr.lines().filter(|l| l.contains(token)).collect();
    assert_eq!(mentions, [format!("::add-mask::{token}")]);
}

#[test]
fn strict_turns_ignored_attributes_into_errors() {
    let tags = "type=raw,value=latest,event=branch\ntype=ref,event=branch,priority=high";
    let run = step().env("INPUT_TAGS", tags).run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("::warning"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", run.stderr);
    assert!(warnings[0].contains("tags line 1"), "{}", warnings[0]);
    assert!(warnings[0].contains("`event` is not an attribute of type=raw"));
    assert!(warnings[1].contains("`priority=high` is not a number"));
    assert!(run.summary.contains("Warnings:"));

    let run = step().env("INPUT_TAGS", tags).args(["--strict"]).run();
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.outputs.is_empty(), "no output on error");
    let error = run
        .stderr
        .lines()
        .find(|line| line.starts_with("::error"))
        .unwrap();
    assert!(
        error.contains("2 problems that --strict refuses"),
        "{error}"
    );
    let run = step()
        .env("INPUT_TAGS", tags)
        .env("INPUT_STRICT", "perhaps")
        .run();
    assert_eq!(run.status, 2);
}

#[test]
fn bad_rules_are_located_errors() {
    for (tags, message) in [
        (
            "type=sha\ntype=semvr,pattern={{version}}",
            "tags line 2 (`type=semvr,pattern={{version}}`): unknown tag type `semvr`",
        ),
        ("type=raw,value={{#if branch}}x{{/if}}", "tags line 1"),
        (
            "type=raw,value=x,enable={{branch}}",
            "Invalid value for enable attribute: `main`",
        ),
        (
            "type=match,pattern=(,value=x",
            "invalid regular expression /(/",
        ),
        ("type=raw,\"value=x", "a quoted field is never closed"),
        (
            "type=raw,value=a\"b",
            "a quote after `value=a` inside an unquoted field",
        ),
        (
            "type=raw,value={{date 'YYYY' tz=UTC}}",
            "`tz` must be a quoted time zone name",
        ),
    ] {
        let run = step().env("INPUT_TAGS", tags).run();
        assert_eq!(run.status, 2, "{tags}: {}", run.stderr);
        let annotation = run
            .stderr
            .lines()
            .find(|line| line.starts_with("::error"))
            .unwrap_or_else(|| panic!("{tags}: no annotation in {}", run.stderr));
        assert!(annotation.contains(message), "{tags}: {annotation}");
        assert!(run.outputs.is_empty());
    }
}

#[test]
fn the_double_parse_trap_is_warned_about_and_avoidable() {
    let tags = "type=match,\"pattern=^release\\d{1,2}\"";
    let run = step()
        .env("GITHUB_REF", "refs/tags/release1")
        .env("INPUT_TAGS", tags)
        .run();
    // As in metadata-action: the field is split at its comma; `2}` becomes the value,
    // which the regex does not match.
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.output("version"), Some(""));
    assert!(run.stderr.contains("loses its quotes"), "{}", run.stderr);
    let run = step()
        .env("GITHUB_REF", "refs/tags/release1")
        .env("INPUT_TAGS", tags)
        .args(["--keep-quoted-fields"])
        .run();
    assert_eq!(run.output("version"), Some("release1"), "{}", run.stderr);
    assert!(!run.stderr.contains("loses its quotes"));
}

#[test]
fn bad_flags_and_payloads_exit_2() {
    let run = step().args(["--context", "svn"]).run();
    assert_eq!(run.status, 2);
    // As @actions/github: a payload file that does not exist is reported, not fatal.
    let run = step()
        .env("GITHUB_EVENT_PATH", "/nonexistent/event.json")
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the event payload /nonexistent/event.json does not exist"),
        "{}",
        run.stderr
    );
    let run = step().env("GITHUB_EVENT_PATH", "/").run();
    assert_eq!(run.status, 2, "a payload that cannot be read is bad input");
    assert!(
        run.stderr.contains("cannot read the event payload"),
        "{}",
        run.stderr
    );
    let run = step()
        .env("INPUT_TAGS", "type=sha")
        .env("DOCKER_METADATA_SHORT_SHA_LENGTH", "seven")
        .run();
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains("DOCKER_METADATA_SHORT_SHA_LENGTH is not a valid number: seven"),
        "{}",
        run.stderr
    );
}
