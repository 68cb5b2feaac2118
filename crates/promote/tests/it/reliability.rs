//! The hostile input corpus (`tests/corpus/promote`) through the real binary as a runner
//! step: bad input exits 2 naming the flag, an unreachable registry exits 1, nothing
//! panics, forges a workflow command or output, or leaks a secret.

use std::time::Duration;

use gantry_testkit::corpus::{Corpus, output_names};
use gantry_testkit::faults::{self, EchoServer, Fault, FaultProxy, Scenario};
use gantry_testkit::{Registry, scan};

use crate::assert_same_image;

#[test]
fn the_promote_corpus_is_handled() {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-promote"),
        name: "promote",
        // REGISTRY_PASSWORD is among the secrets set; it belongs to a user name.
        args: &["--username", "bot"],
        env: vec![("GANTRY_HTTP_RETRY_DELAY", "10ms")],
        outputs: output_names(gantry_promote::report::OUTPUTS, &[]),
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
        EchoServer::assert_echoed(&run, "authorization: Basic ");
    }
}

/// Faults on real registry traffic (a fault proxy in front of the real registry): each run
/// completes or fails with exit 1 and an annotation; a rerun without the fault converges,
/// and skopeo sees the source intact and every new tag serving its exact bytes.
#[test]
fn registry_faults_end_in_success_or_a_clean_failure_and_reruns_converge() {
    let registry = Registry::start();
    registry
        .index("acme/api")
        .attestations()
        .tag("build")
        .push();
    let proxy = FaultProxy::start(&registry.host());
    let image = format!("{}/acme/api:build", registry.host());
    let scenarios = [
        Scenario::new(
            "503 burst",
            "GET /v2/acme/api/manifests/",
            Fault::status(503),
            3,
        ),
        Scenario::new("502 HTML proxy page", "/manifests/", Fault::html(502), 2),
        Scenario::new(
            "429 with retry-after",
            "/manifests/",
            Fault::too_many_requests(1),
            1,
        ),
        Scenario::new(
            "reset before an answer",
            "PUT /v2/acme/api/manifests/",
            Fault::Reset,
            1,
        ),
        Scenario::new(
            "answer lost after the write",
            "PUT /v2/",
            Fault::LoseAnswer,
            1,
        ),
        Scenario::new(
            "truncated manifest",
            "GET /v2/acme/api/manifests/",
            Fault::Truncate,
            1,
        ),
        Scenario::new(
            "stall past the read timeout",
            "GET /v2/",
            Fault::Stall(Duration::from_secs(3)),
            1,
        ),
        Scenario::new(
            "200 that is not a manifest",
            "GET /v2/acme/api/manifests/build",
            Fault::not_json(),
            1,
        ),
        Scenario::new("500 on every request", "/v2/", Fault::status(500), 1000),
        Scenario::new(
            "registry gone before the writes",
            "PUT ",
            Fault::Reset,
            1000,
        ),
    ];
    let mut faults = 0;
    for (number, scenario) in scenarios.iter().enumerate() {
        let tag = format!("t{number}");
        let promote = || {
            scan::run_scanned(
                env!("CARGO_BIN_EXE_gantry-promote"),
                &[
                    "--image",
                    &image,
                    "--tags",
                    &tag,
                    "--registry-url",
                    &proxy.url(),
                    "--username",
                    "bot",
                ],
                &[("GANTRY_HTTP_READ_TIMEOUT", "1s")],
            )
        };
        let injected = faults::inject(&proxy, scenario, promote);
        faults += injected.faults;
        if !injected.completed {
            let rerun = promote();
            assert_eq!(
                rerun.code, 0,
                "{}: the rerun failed:\n{}",
                scenario.name, rerun.stderr
            );
        }
        assert_same_image(&registry, "acme/api:build", &format!("acme/api:{tag}"));
    }
    registry.assert_resolves_fully("acme/api:build");
    eprintln!(
        "gantry-promote: {} fault scenarios, {faults} faults injected",
        scenarios.len()
    );
}
