//! The hostile input corpus (`tests/corpus/dokploy`, and the shared manifest corpus) through
//! the real binary as a runner step: bad input exits 2 naming the flag or file and line, an
//! unreachable Dokploy exits 1, nothing panics, forges a workflow command or output, or
//! leaks a secret.

use std::time::Duration;

use gantry_testkit::corpus::{Corpus, Tally, output_names};
use gantry_testkit::dokploy::{DokployOptions, FakeDokploy};
use gantry_testkit::faults::{self, EchoServer, Fault, FaultProxy, Scenario};
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
        outputs: output_names(gantry_dokploy::report::OUTPUTS, &[]),
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
        EchoServer::assert_echoed(&run, "x-api-key: ");
    }
}

/// Faults between gantry-dokploy and Dokploy (a fault proxy in front of the fake): each run
/// completes or fails with exit 1, an annotation and, once a deploy was asked for, a report
/// of it; a rerun without the fault converges to the new image deployed and `done`.
#[test]
fn dokploy_faults_end_in_success_or_a_reported_failure_and_reruns_converge() {
    let fake = FakeDokploy::start_with(DokployOptions {
        api_key: scan::SECRETS[1].1.to_owned(),
        ..DokployOptions::default()
    });
    let project = fake.add_project("shop");
    let production = fake.environment(&project, "production");
    let app = fake.add_application(&production, "api", "ghcr.io/acme/api:v0");
    let proxy = FaultProxy::start(fake.url());
    let stall = || Fault::Stall(Duration::from_secs(3));
    let scenarios = [
        Scenario::new(
            "503 burst",
            "settings.getDokployVersion",
            Fault::status(503),
            2,
        ),
        Scenario::new(
            "502 HTML page from a proxy",
            "application.one",
            Fault::html(502),
            2,
        ),
        Scenario::new(
            "429 with retry-after",
            "deployment.all",
            Fault::too_many_requests(1),
            1,
        ),
        Scenario::new(
            "HTML page instead of the deploy",
            "application.deploy",
            Fault::html(502),
            1,
        ),
        Scenario::new(
            "reset before the deploy answer",
            "application.deploy",
            Fault::Reset,
            1,
        ),
        Scenario::new(
            "deploy answer lost",
            "application.deploy",
            Fault::LoseAnswer,
            1,
        ),
        Scenario::new(
            "image update answer lost",
            "application.update",
            Fault::LoseAnswer,
            1,
        ),
        Scenario::new(
            "truncated deployment list",
            "deployment.all",
            Fault::Truncate,
            1,
        ),
        Scenario::new("stall past the read timeout", "deployment.all", stall(), 1),
        Scenario::new(
            "200 that is not JSON",
            "application.one",
            Fault::not_json(),
            1,
        ),
        Scenario::new(
            "Dokploy gone while waiting",
            "deployment.",
            Fault::Reset,
            1000,
        ),
    ];
    let mut faults = 0;
    for (number, scenario) in scenarios.iter().enumerate() {
        let image = format!("ghcr.io/acme/api:v{}", number + 1);
        let deploy = || {
            scan::run_scanned(
                env!("CARGO_BIN_EXE_gantry-dokploy"),
                &[
                    "--application",
                    &app,
                    "--image",
                    &image,
                    "--dokploy-url",
                    &proxy.url(),
                    "--poll-interval",
                    "10ms",
                    "--timeout",
                    "30s",
                ],
                &[("GANTRY_HTTP_READ_TIMEOUT", "1s")],
            )
        };
        let deploys_before = fake.requests_to("application.deploy").len();
        let injected = faults::inject(&proxy, scenario, deploy);
        faults += injected.faults;
        if !injected.completed {
            if fake.requests_to("application.deploy").len() > deploys_before {
                assert!(
                    injected.run.stdout.contains(&app),
                    "{}: a deploy was asked for but no report names it:\n{:#?}",
                    scenario.name,
                    injected.run
                );
            }
            let rerun = deploy();
            assert_eq!(
                rerun.code, 0,
                "{}: the rerun failed:\n{}",
                scenario.name, rerun.stderr
            );
        }
        assert_eq!(
            fake.application(&app).docker_image.as_deref(),
            Some(image.as_str())
        );
        let rows = fake.deployments(&app);
        let last = rows.last().expect("a deployment row");
        assert_eq!(last.status, "done", "{}: {rows:#?}", scenario.name);
        assert_eq!(last.deployed, image, "{}: {rows:#?}", scenario.name);
    }
    eprintln!(
        "gantry-dokploy: {} fault scenarios, {faults} faults injected",
        scenarios.len()
    );
}
