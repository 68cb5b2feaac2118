//! The shared hostile input corpus (`tests/corpus/`) through the real binary, as a runner
//! step in a real repository: bad input exits 2 with a located message, nothing panics,
//! forges a workflow command or output, or leaks a secret.

use std::path::Path;
use std::process::Command;

use gantry_testkit::corpus::{Corpus, Tally, output_names};
use gantry_testkit::scan;

/// `git init` and a commit of the case's files, with no user or system configuration.
fn commit(dir: &Path) {
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "--allow-empty", "-m", "case"],
    ] {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=Gantry Test",
                "-c",
                "user.email=t@gantry.invalid",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .expect("git must be installed");
        assert!(status.success(), "git {args:?}");
    }
}

fn run(name: &str, args: &[&str]) -> Tally {
    let path = std::env::var("PATH").unwrap_or_default();
    let env = vec![
        ("PATH", path.as_str()),
        ("HOME", "/nonexistent"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REPOSITORY", "acme/shop"),
    ];
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-matrix"),
        name,
        args,
        env,
        // Chunks past `matrix-4` are set too, undeclared.
        outputs: output_names(gantry_matrix::outputs::OUTPUTS, &["matrix-*"]),
        setup: Some(&commit),
    }
    .check()
}

#[test]
fn the_manifest_corpus_is_refused_with_located_messages() {
    let tally = run("manifest", &["--all"]);
    assert_eq!(tally.rejected, tally.cases);
}

#[test]
fn the_matrix_corpus_is_handled() {
    run("matrix", &[]);
}

/// Debug output (`-vv`: git commands, their output, every decision) of a run that fails on
/// bad input and of one that succeeds holds no secret.
#[test]
fn debug_output_holds_no_secret() {
    let step = gantry_testkit::Step::new();
    std::fs::write(
        step.dir().join("gantry.yml"),
        "version: 1\nregistry: ghcr.io/acme\nservices:\n  api: {context: api}\n",
    )
    .unwrap();
    commit(step.dir());
    let path = std::env::var("PATH").unwrap_or_default();
    let env = [("PATH", path.as_str()), ("GITHUB_EVENT_NAME", "push")];
    let exe = env!("CARGO_BIN_EXE_gantry-matrix");
    let run = scan::run_scanned_in(&step, exe, &["--all", "-vv"], &env);
    assert_eq!(run.code, 0, "{run:#?}");
    let run = scan::run_scanned_in(&step, exe, &["--services", "nope", "-vv"], &env);
    assert_eq!(run.code, 2, "{run:#?}");
}

/// Changed file names are untrusted (anyone who opens a pull request names them): names
/// holding workflow commands (after LF or CR, or in the legacy `##[` form), escapes, ANSI
/// and bidi controls, and HTML select the service and forge
/// nothing in the log, the report, the outputs or the summary, even at `-vv`.
#[test]
fn hostile_file_names_select_the_service_and_forge_nothing() {
    let step = gantry_testkit::Step::new();
    let dir = step.dir();
    std::fs::write(
        dir.join("gantry.yml"),
        "version: 1\nregistry: ghcr.io/acme\nservices:\n  api: {context: api}\n  web: {context: web}\n",
    )
    .unwrap();
    for service in ["api", "web"] {
        std::fs::create_dir_all(dir.join(service)).unwrap();
        std::fs::write(dir.join(service).join("Dockerfile"), "FROM scratch\n").unwrap();
    }
    commit(dir);
    for name in [
        "::error::PWNED.txt",
        "%0A::warning::PWNED",
        "line\n::set-output name=forged::PWNED",
        "<img src=x onerror=PWNED>.md",
        "ghadelimiter_PWNED",
        // The runner also ends lines at a lone CR, and runs `##[name]` anywhere in a line.
        "cr\r::error::PWNED",
        "legacy ##[set-output name=forged;]PWNED",
        // ANSI colours and a bidi override must not reach the summary.
        "\u{1b}[31mred\u{1b}[0m\u{202e}txt.exe",
    ] {
        std::fs::write(dir.join("api").join(name), "x").unwrap();
    }
    commit(dir);
    let path = std::env::var("PATH").unwrap_or_default();
    let env = [("PATH", path.as_str()), ("GITHUB_EVENT_NAME", "push")];
    for verbosity in ["-v", "-vv"] {
        let run = scan::run_scanned_in(
            &step,
            env!("CARGO_BIN_EXE_gantry-matrix"),
            &["--base", "HEAD~1", verbosity],
            &env,
        );
        assert_eq!(run.code, 0, "{run:#?}");
        let outputs = step.outputs();
        let services = outputs.iter().find(|(name, _)| name == "services");
        assert_eq!(
            services.map(|(_, value)| value.as_str()),
            Some("[\"api\"]"),
            "{outputs:?}"
        );
        assert!(!step.summary().contains("<img"), "{}", step.summary());
    }
}
