//! The hostile input corpus (`tests/corpus/promote`) through the real binary as a runner
//! step: bad input exits 2 naming the flag, an unreachable registry exits 1, nothing
//! panics, forges a workflow command or output, or leaks a secret.

use gantry_testkit::corpus::Corpus;
use gantry_testkit::faults::EchoServer;
use gantry_testkit::scan;

#[test]
fn the_promote_corpus_is_handled() {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-promote"),
        name: "promote",
        // REGISTRY_PASSWORD is among the secrets set; it belongs to a user name.
        args: &["--username", "bot"],
        env: vec![("GANTRY_HTTP_RETRY_DELAY", "10ms")],
        outputs: &["digest", "references", "json"],
        setup: None,
    }
    .check();
}

/// A registry (or proxy) that echoes the request's `Authorization` header in its error
/// body: the failure is reported, the password never, not even at `-vv`.
#[test]
fn credentials_echoed_by_a_failing_registry_never_reach_the_output() {
    let echo = EchoServer::start(500);
    let image = format!("{}/acme/api:v1", echo.host());
    for verbosity in ["-v", "-vv"] {
        let run = scan::run_scanned(
            env!("CARGO_BIN_EXE_gantry-promote"),
            &[
                "--image",
                &image,
                "--tags",
                "v2",
                "--registry-url",
                &echo.url(),
                "--username",
                "bot",
                verbosity,
            ],
            &[],
        );
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(run.stderr.contains("500"), "{}", run.stderr);
        // The echoed header reached the log, so the scan above had something to find.
        assert!(
            run.stderr.contains("you sent: authorization: Basic "),
            "{}",
            run.stderr
        );
    }
}
