//! A Dokploy (or something in front of it) that redirects, drips, or is not there: the API
//! key never follows a redirect, and `--timeout` bounds the run whatever the server does.

use std::time::Duration;

use gantry_testkit::dokploy::{DokployOptions, FakeDokploy};
use gantry_testkit::faults::{Fault, FaultProxy, Hostile, HostileServer};
use gantry_testkit::process::run_within;

const DOKPLOY: &str = env!("CARGO_BIN_EXE_gantry-dokploy");
const KEY: &str = "dokploy-key-for-this-server-only";

/// Far above what any of these runs may take; without the bounds they would run for days.
const LIMIT: Duration = Duration::from_secs(90);

/// Deploys `application` to the Dokploy at `url`.
fn deploy(url: &str, application: &str) -> gantry_testkit::Run {
    let args = [
        "--application",
        application,
        "--image",
        "ghcr.io/acme/api:v2",
        "--dokploy-url",
        url,
        "--poll-interval",
        "10ms",
    ];
    run_within(DOKPLOY, &args, &[("DOKPLOY_API_KEY", KEY)], LIMIT).0
}

/// A Dokploy with one application (its id) taking `KEY`, behind a fault proxy.
fn behind_a_proxy() -> (FakeDokploy, String, FaultProxy) {
    let fake = FakeDokploy::start_with(DokployOptions {
        api_key: KEY.to_owned(),
        ..DokployOptions::default()
    });
    let project = fake.add_project("shop");
    let production = fake.environment(&project, "production");
    let app = fake.add_application(&production, "api", "ghcr.io/acme/api:v1");
    let proxy = FaultProxy::start(fake.url());
    (fake, app, proxy)
}

/// Nothing the key was sent with ever reached the redirect's target.
fn assert_not_followed(target: &HostileServer, run: &gantry_testkit::Run) {
    // 2 when the setup is refused (bad server answer), 1 when a deploy fails.
    assert!(matches!(run.code, 1 | 2), "{}", run.stderr);
    assert!(target.requests().is_empty(), "{:?}", target.requests());
    assert!(run.stderr.contains("not followed"), "{}", run.stderr);
    assert!(!run.stderr.contains(KEY) && !run.stdout.contains(KEY));
}

#[test]
fn the_api_key_never_follows_a_redirect() {
    let target = HostileServer::start(Hostile::Challenge("unused".into()));
    // A 302 on the first query (the version probe).
    let redirect = HostileServer::start(Hostile::Redirect(
        302,
        format!(
            "{}/api/settings.getDokployVersion",
            target.url_as_localhost()
        ),
    ));
    let run = deploy(&redirect.url(), "app-1");
    assert_not_followed(&target, &run);

    // A 307 on a mutation, which a redirect-following client would repeat, body and key.
    let (_fake, app, proxy) = behind_a_proxy();
    proxy.inject(
        "POST ",
        Fault::Answer {
            status: 307,
            headers: vec![(
                "location".into(),
                format!("{}/api/application.update", target.url_as_localhost()),
            )],
            body: String::new(),
        },
        1,
    );
    let run = deploy(&proxy.url(), &app);
    assert_not_followed(&target, &run);
}

/// `--timeout 3s`: nothing listening (which used to retry for about 28 s), or a server
/// dripping its answer a byte at a time (which used to hold the run forever), ends the run
/// within a few seconds of it. The default poll interval keeps the default retry waits.
#[test]
fn the_timeout_bounds_the_run_whatever_the_server_does() {
    let drip = HostileServer::start(Hostile::Drip(Duration::from_millis(200)));
    // Port 9 (discard) on loopback: nothing listens there, connections are refused at once.
    for url in ["http://127.0.0.1:9".to_owned(), drip.url()] {
        let args = [
            "--application",
            "app-1",
            "--image",
            "ghcr.io/acme/api:v2",
            "--dokploy-url",
            &url,
            "--timeout",
            "3s",
        ];
        let (run, took) = run_within(DOKPLOY, &args, &[("DOKPLOY_API_KEY", KEY)], LIMIT);
        assert_eq!(run.code, 1, "{url}: {}", run.stderr);
        assert!(
            took < Duration::from_secs(8),
            "{url}: {took:?}\n{}",
            run.stderr
        );
    }
}

/// A Dokploy that stops answering in the middle of a stage (every poll stalls for 30 s):
/// the stage still ends at its `--timeout`, not one stalled poll later.
#[test]
fn a_stage_ends_at_its_timeout_even_when_polls_stall() {
    let (_fake, app, proxy) = behind_a_proxy();
    proxy.inject("deployment.", Fault::Stall(Duration::from_secs(30)), 1000);
    let args = [
        "--application",
        &app,
        "--image",
        "ghcr.io/acme/api:v2",
        "--dokploy-url",
        &proxy.url(),
        "--poll-interval",
        "10ms",
        "--timeout",
        "3s",
    ];
    let (run, took) = run_within(DOKPLOY, &args, &[("DOKPLOY_API_KEY", KEY)], LIMIT);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(took < Duration::from_secs(8), "{took:?}\n{}", run.stderr);
}
