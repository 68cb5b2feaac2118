//! The hostile input corpus (`tests/corpus/dokploy`, and the shared manifest corpus) through
//! the real binary as a runner step: bad input exits 2 naming the flag or file and line, an
//! unreachable Dokploy exits 1, nothing panics, forges a workflow command or output, or
//! leaks a secret.

use gantry_testkit::corpus::{Corpus, Tally};
use gantry_testkit::faults::EchoServer;
use gantry_testkit::scan;

fn check(name: &str, args: &[&str]) -> Tally {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-dokploy"),
        name,
        args,
        env: vec![
            ("GANTRY_HTTP_RETRY_DELAY", "10ms"),
            ("INPUT_DOKPLOY_URL", "http://127.0.0.1:1"),
        ],
        outputs: &["result", "deployments"],
        setup: None,
    }
    .check()
}

#[test]
fn the_manifest_corpus_is_refused_with_located_messages() {
    let tally = check("manifest", &["--manifest", "gantry.yml", "--tag", "v1"]);
    assert_eq!(tally.rejected, tally.cases);
}

#[test]
fn the_dokploy_corpus_is_handled() {
    check("dokploy", &[]);
}

/// A Dokploy (or proxy) that echoes the request's `x-api-key` in its error bodies: the
/// failure is reported, the key never, not even at `-vv`.
#[test]
fn an_api_key_echoed_by_a_failing_server_never_reaches_the_output() {
    let echo = EchoServer::start(500);
    for verbosity in ["-v", "-vv"] {
        let run = scan::run_scanned(
            env!("CARGO_BIN_EXE_gantry-dokploy"),
            &[
                "--application",
                "app1",
                "--image",
                "ghcr.io/acme/api:v1",
                "--dokploy-url",
                &echo.url(),
                verbosity,
            ],
            &[],
        );
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(
            run.stderr.contains("you sent: x-api-key: "),
            "{}",
            run.stderr
        );
    }
}
