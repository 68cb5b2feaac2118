//! The hostile input corpus (`tests/corpus/prune`, and the shared manifest corpus) through
//! the real binary as a runner step: bad input exits 2 naming the flag or file and line, an
//! unreachable registry or API exits 1, nothing panics, forges a workflow command or
//! output, or leaks a secret.

use gantry_testkit::corpus::{Corpus, Tally};
use gantry_testkit::faults::EchoServer;
use gantry_testkit::scan;

fn check(name: &str, args: &[&str]) -> Tally {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-prune"),
        name,
        args,
        env: vec![
            ("GANTRY_HTTP_RETRY_DELAY", "10ms"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("INPUT_BACKEND", "oci"),
            ("INPUT_REGISTRY_URL", "http://127.0.0.1:1"),
        ],
        outputs: &["deleted", "dry-run", "failed", "kept", "skipped"],
        setup: None,
    }
    .check()
}

#[test]
fn the_manifest_corpus_is_refused_with_located_messages() {
    let tally = check("manifest", &["--owner", "acme", "--manifest", "gantry.yml"]);
    assert_eq!(tally.rejected, tally.cases);
}

#[test]
fn the_prune_corpus_is_handled() {
    check("prune", &[]);
}

/// A GitHub API and a registry that echo the request's credentials in their error bodies:
/// the failure is reported, the token and password never, not even at `-vv`.
#[test]
fn credentials_echoed_by_failing_servers_never_reach_the_output() {
    let echo = EchoServer::start(500);
    let exe = env!("CARGO_BIN_EXE_gantry-prune");
    let owner = ["--owner", "acme", "--packages", "api"];
    let url = echo.url();
    for verbosity in ["-v", "-vv"] {
        let ghcr = [
            &owner[..],
            &["--backend", "ghcr", "--registry-url", &url, verbosity],
        ]
        .concat();
        let run = scan::run_scanned(exe, &ghcr, &[("GITHUB_API_URL", &url)]);
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(
            run.stderr.contains("you sent: authorization: "),
            "{}",
            run.stderr
        );

        let oci = [
            &owner[..],
            &["--backend", "oci", "--registry-url", &url, verbosity],
        ]
        .concat();
        let run = scan::run_scanned(exe, &oci, &[("REGISTRY_USERNAME", "bot")]);
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(
            run.stderr.contains("you sent: authorization: Basic "),
            "{}",
            run.stderr
        );
    }
}
