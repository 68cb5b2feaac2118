//! Which registry the GHCR backend reads manifests from, and with which credentials:
//! GITHUB_TOKEN goes to GitHub's registry only (ghcr.io, `containers.<host>` on GitHub
//! Enterprise Server), never to another `--registry-url` or the token service it names.

use clap::Parser as _;
use gantry_gha::{Env, Runtime};
use gantry_prune::{Args, prune};
use gantry_testkit::faults::HostileServer;

use crate::{Ghcr, TOKEN, quick_retry};

/// The GHCR backend over the API fake with `extra` flags and only GITHUB_TOKEN; what the run
/// reported, as text (it may stop on an error or skip the package).
async fn run_ghcr(ghcr: &Ghcr, extra: &[&str]) -> String {
    let api = ghcr.fake.api_url();
    let argv = [
        &["gantry-prune", "--api-url", &api][..],
        &["--owner", "acme", "--packages", "api", "--keep-tagged", "1"],
        extra,
    ]
    .concat();
    let args = Args::try_parse_from(argv).unwrap();
    let (runtime, log) = Runtime::captured(Env::from_pairs([("GITHUB_TOKEN", TOKEN)]));
    let outcome = prune(&args, &runtime, quick_retry()).await;
    format!("{outcome:?}\n{}", log.text())
}

#[tokio::test]
async fn another_registry_url_never_gets_the_github_token() {
    let ghcr = Ghcr::start();
    // Indexes with children: the plan must read their manifests.
    ghcr.old_and_new();
    let (registry, realm) = HostileServer::with_realm_elsewhere();
    let report = run_ghcr(&ghcr, &["--registry-url", &registry.url()]).await;
    let seen = [registry.requests(), realm.requests()].concat();
    assert!(!seen.is_empty(), "{report}");
    for head in &seen {
        assert!(
            !head.to_ascii_lowercase().contains("authorization"),
            "{head}"
        );
    }
}

#[tokio::test]
async fn on_github_enterprise_server_the_registry_is_containers_host() {
    let ghcr = Ghcr::start();
    // Indexes with children: the plan must read their manifests.
    ghcr.old_and_new();
    let report = run_ghcr(&ghcr, &["--server-url", "https://ghes.invalid"]).await;
    assert!(report.contains("containers.ghes.invalid"), "{report}");
    assert!(!report.contains("ghcr.io"), "{report}");
}
