//! What a run shows: the JSON document, the text report, the outputs and the step summary;
//! secrets never, and a deployment's log only defused.

use crate::support::{Run, Shop};

/// Snapshots `text` with what varies between runs filtered: times, durations, the fake's
/// port, deployment ids, marker nonces, stop-commands tokens.
fn assert_stable_snapshot(name: &str, text: &str) {
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d{2}-\d{2}T[0-9:.]+Z", "[time]"),
        (r"127\.0\.0\.1:\d+", "[fake]"),
        (r"\b\d+(\.\d+)?m?s\b", "[duration]"),
        (r"dep\\?-\d+", "dep-N"),
        (r"#[0-9a-f]{8}\b", "#[nonce]"),
        (r"::stop-commands::[0-9a-f]+", "::stop-commands::[token]"),
        (r"(?m)^::[0-9a-f]{32}::$", "::[token]::"),
    ]}, {
        insta::assert_snapshot!(name, text);
    });
}

fn failed_stage_two(format: &str) -> (Shop, Run) {
    let shop = Shop::new();
    shop.fake.fail_deploys_of(
        "ghcr.io/acme/web:v2",
        "Error response from daemon: manifest for ghcr.io/acme/web:v2 not found\n",
    );
    let run = shop.run(&["--tag", "v2", "--rollback-on-failure", "--format", format]);
    run.assert_code(1);
    (shop, run)
}

#[test]
fn json_report_and_outputs() {
    let (_shop, run) = failed_stage_two("json");
    assert_stable_snapshot("json_report", &run.stdout);
    let outputs = run.outputs();
    assert_eq!(outputs["result"], "rolled-back");
    let deployments: serde_json::Value = serde_json::from_str(&outputs["deployments"]).unwrap();
    assert_eq!(deployments, run.json()["deployments"]);
    assert!(!outputs["deployments"].contains('\n'), "one line");
}

#[test]
fn text_report_summary_and_log() {
    let (_shop, run) = failed_stage_two("text");
    assert_stable_snapshot("text_report", &run.stdout);
    assert_stable_snapshot("summary", &run.summary);
    let log = run
        .stderr
        .lines()
        .filter(|line| !line.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_stable_snapshot("log", &log);
}

#[test]
fn a_log_cannot_issue_workflow_commands_or_inject_markdown() {
    let shop = Shop::new();
    let hostile = "::error title=pwned::injected\n::add-mask::x\n<img src=x onerror=alert(1)>\n\
                   </details>\n```\n**bold** [link](https://evil.example)\n\u{1b}[31mred\u{1b}[0m\n";
    shop.fake.fail_deploys_of("ghcr.io/acme/auth:v2", hostile);
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(1);

    // In the log, the lines sit between stop-commands and its resume token.
    let start = run
        .stderr
        .find("::stop-commands::")
        .expect("commands stopped");
    let token = run.stderr[start + "::stop-commands::".len()..]
        .lines()
        .next()
        .unwrap();
    let resume = run
        .stderr
        .find(&format!("::{token}::"))
        .expect("commands resumed");
    let injected = run.stderr.find("::error title=pwned").unwrap();
    assert!(start < injected && injected < resume, "{}", run.stderr);
    assert_eq!(run.stderr.matches("::error title=pwned").count(), 1);
    assert!(!run.stderr.contains('\u{1b}'));

    // In the summary, the log is in a fence longer than any in it, nothing else is raw.
    let summary = &run.summary;
    let fence = summary.find("````text\n").expect("a four-backtick fence");
    let end = summary[fence + 8..].find("\n````\n").expect("closed") + fence + 8;
    assert!(
        !summary[..fence].contains("<img") && !summary[end..].contains("<img"),
        "{summary}"
    );
    assert_eq!(
        summary.matches("</details>").count(),
        2,
        "the hostile one and the real one"
    );
    assert!(summary[fence..end].contains("</details>"));
    assert!(!summary.contains('\u{1b}'));
}

#[test]
fn secrets_never_show_in_any_output() {
    let shop = Shop::new();
    shop.fake.fail_deploys_of("ghcr.io/acme/web:v2", "failed\n");
    let mut runs = vec![
        shop.run(&["--tag", "v2", "-vv"]),
        shop.run(&["--tag", "v2", "--rollback-on-failure", "--format", "text"]),
    ];
    let wrong = shop
        .command(&["--tag", "v2"])
        .env("DOKPLOY_API_KEY", "wrong-key-7c1e09")
        .output()
        .unwrap();
    runs.push(Run {
        code: wrong.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&wrong.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&wrong.stderr).into_owned(),
        output_file: String::new(),
        summary: String::new(),
    });
    let secrets = [
        shop.fake.api_key(),
        "wrong-key-7c1e09",
        // Secrets Dokploy sends back in plain text with services and projects.
        "registry-password-of",
        "db-secret",
        "s3cret-db-pw",
        "PROJECT_SECRET",
    ];
    for run in &runs {
        // The one place a secret must appear: the runner learning to mask it.
        let stderr: String = run
            .stderr
            .lines()
            .filter(|line| !line.starts_with("::add-mask::"))
            .collect::<Vec<_>>()
            .join("\n");
        for secret in secrets {
            for (name, text) in [
                ("stdout", &run.stdout),
                ("stderr", &stderr),
                ("outputs", &run.output_file),
                ("summary", &run.summary),
            ] {
                assert!(!text.contains(secret), "{secret} in {name}:\n{text}");
            }
        }
    }
    assert!(
        runs[0]
            .stderr
            .contains(&format!("::add-mask::{}", shop.fake.api_key()))
    );
    let codes: Vec<i32> = runs.iter().map(|run| run.code).collect();
    assert_eq!(
        codes,
        [1, 1, 2],
        "a failure, a failed rollback, a refused key"
    );
}
