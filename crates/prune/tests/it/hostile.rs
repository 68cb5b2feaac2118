//! A GitHub API that answers in ways meant to hurt: a rate-limit reset beyond any clock, an
//! 800 MB answer, an answer dripping a byte at a time. The run ends in time, exit 0 or 1,
//! never a panic and never the whole body in memory.

use std::time::Duration;

use gantry_testkit::faults::{Fault, FaultProxy, Hostile, HostileServer};
use gantry_testkit::process::run_within;

use crate::{Ghcr, TOKEN, token_env};

const PRUNE: &str = env!("CARGO_BIN_EXE_gantry-prune");

/// Far above anything these runs need; the drip alone would take days.
const LIMIT: Duration = Duration::from_secs(60);

/// The flags of a GHCR-backend run whose GitHub API is `api`.
fn argv<'a>(api: &'a str, registry_url: &'a str) -> Vec<&'a str> {
    vec![
        "--api-url",
        api,
        "--registry-url",
        registry_url,
        "--username",
        "acme-bot",
        "--owner",
        "acme",
        "--packages",
        "api",
        "--keep-tagged",
        "1",
    ]
}

#[test]
fn a_rate_limit_reset_beyond_any_clock_is_no_panic() {
    let ghcr = Ghcr::start();
    ghcr.old_and_new();
    let proxy = FaultProxy::start(&ghcr.fake.api_url());
    proxy.inject(
        "/packages/container/api/versions",
        Fault::Answer {
            status: 503,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), "18446744073709551615".into()),
            ],
            body: "{}".into(),
        },
        1,
    );
    let registry = ghcr.fake.registry_url();
    let env = [
        &token_env(TOKEN)[..],
        &[("GANTRY_HTTP_RETRY_DELAY", "10ms")],
    ]
    .concat();
    let (run, _) = run_within(PRUNE, &argv(&proxy.url(), &registry), &env, LIMIT);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.injected(), 1);
}

#[test]
fn an_800_mb_api_answer_is_refused_unread() {
    let ghcr = Ghcr::start();
    let huge = HostileServer::start(Hostile::Huge(800 << 20));
    let registry = ghcr.fake.registry_url();
    let (run, _) = run_within(
        PRUNE,
        &argv(&huge.url(), &registry),
        &token_env(TOKEN),
        LIMIT,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("larger than 8 MiB"), "{}", run.stderr);
}

#[test]
fn a_dripping_api_is_cut_off() {
    let ghcr = Ghcr::start();
    let drip = HostileServer::start(Hostile::Drip(Duration::from_millis(200)));
    let registry = ghcr.fake.registry_url();
    let env = [
        &token_env(TOKEN)[..],
        &[
            ("GANTRY_HTTP_REQUEST_TIMEOUT", "1s"),
            ("GANTRY_HTTP_RETRY_DELAY", "10ms"),
        ],
    ]
    .concat();
    let (run, _) = run_within(PRUNE, &argv(&drip.url(), &registry), &env, LIMIT);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}
