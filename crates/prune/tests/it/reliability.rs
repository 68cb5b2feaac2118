//! The hostile input corpus (`tests/corpus/prune`, and the shared manifest corpus) through
//! the real binary as a runner step: bad input exits 2 naming the flag or file and line, an
//! unreachable registry or API exits 1, nothing panics, forges a workflow command or
//! output, or leaks a secret.

use std::time::Duration;

use gantry_testkit::corpus::{Corpus, Tally, output_names};
use gantry_testkit::faults::{self, EchoServer, Fault, FaultProxy, Scenario};
use gantry_testkit::github::TokenKind;
use gantry_testkit::scan;

use crate::{Ghcr, assert_every_tag_resolves};

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
            // REGISTRY_PASSWORD is among the secrets set; it belongs to a user name.
            ("INPUT_USERNAME", "bot"),
        ],
        outputs: output_names(gantry_prune::report::OUTPUTS, &[]),
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
        // The token alone: a password would need a user name.
        let ghcr_env = [("GITHUB_API_URL", url.as_str()), ("REGISTRY_PASSWORD", "")];
        let run = scan::run_scanned(exe, &ghcr, &ghcr_env);
        EchoServer::assert_echoed(&run, "authorization: ");

        let oci = [
            &owner[..],
            &[
                "--backend",
                "oci",
                "--registry-url",
                &url,
                "--username",
                "bot",
                verbosity,
            ],
        ]
        .concat();
        let run = scan::run_scanned(exe, &oci, &[]);
        EchoServer::assert_echoed(&run, "authorization: Basic ");
    }
}

/// Faults on real traffic, through fault proxies in front of the real registry (OCI
/// backend) and of the GitHub API fake (GHCR backend): each `--apply` run completes or fails
/// with exit 1 and an annotation; a rerun without the fault converges; skopeo then resolves
/// every tag left, children and blobs included, and no `pr-*` tag remains.
#[test]
fn faults_end_in_success_or_a_clean_failure_and_reruns_converge() {
    let ghcr = Ghcr::start();
    // GITHUB_TOKEN for the API; the registry front, a loopback registry, takes a user name
    // and REGISTRY_PASSWORD (the fake accepts a token as that password).
    for (_, secret) in [scan::SECRETS[0], scan::SECRETS[2]] {
        ghcr.fake.add_token(secret, "acme-bot", TokenKind::Classic);
    }
    ghcr.registry
        .index("acme/api")
        .attestations()
        .tag("keep")
        .push();
    let stall = || Fault::Stall(Duration::from_secs(3));

    let proxy = FaultProxy::start(&ghcr.registry.host());
    let oci = [
        "--backend",
        "oci",
        "--registry-url",
        &proxy.url(),
        "--username",
        "bot",
    ];
    let oci_faults = run_table(
        &ghcr,
        &proxy,
        &oci,
        &[],
        &[
            Scenario::new(
                "503 burst",
                "GET /v2/acme/api/tags/list",
                Fault::status(503),
                2,
            ),
            Scenario::new(
                "502 HTML proxy page",
                "GET /v2/acme/api/manifests/",
                Fault::html(502),
                2,
            ),
            Scenario::new(
                "429 with retry-after",
                "DELETE ",
                Fault::too_many_requests(1),
                1,
            ),
            Scenario::new("reset before an answer", "DELETE ", Fault::Reset, 1),
            Scenario::new(
                "answer lost after the delete",
                "DELETE ",
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
                "GET /v2/acme/api/tags/list",
                stall(),
                1,
            ),
            Scenario::new(
                "200 that is not a tag list",
                "GET /v2/acme/api/tags/list",
                Fault::not_json(),
                1,
            ),
            Scenario::new(
                "registry gone before the deletes",
                "DELETE ",
                Fault::Reset,
                1000,
            ),
        ],
    );

    let proxy = FaultProxy::start(&ghcr.fake.api_url());
    let registry_url = ghcr.fake.registry_url();
    let github = [
        "--backend",
        "ghcr",
        "--api-url",
        &proxy.url(),
        "--registry-url",
        &registry_url,
        "--username",
        "acme-bot",
        "--max-deletes-per-minute",
        "600000",
    ];
    let versions = "/packages/container/api/versions";
    let github_faults = run_table(
        &ghcr,
        &proxy,
        &github,
        &[],
        &[
            Scenario::new("502 burst", versions, Fault::status(502), 2),
            Scenario::new("HTML error page", versions, Fault::html(503), 1),
            Scenario::new(
                "429 with retry-after",
                "DELETE ",
                Fault::too_many_requests(1),
                1,
            ),
            Scenario::new(
                "secondary rate limit",
                "DELETE ",
                Fault::secondary_limit(1),
                1,
            ),
            Scenario::new("reset before an answer", "DELETE ", Fault::Reset, 1),
            Scenario::new(
                "answer lost after the delete",
                "DELETE ",
                Fault::LoseAnswer,
                1,
            ),
            Scenario::new("truncated version list", versions, Fault::Truncate, 1),
            Scenario::new("stall past the read timeout", versions, stall(), 1),
            Scenario::new("200 that is not JSON", versions, Fault::not_json(), 1),
            Scenario::new("API gone before the deletes", "DELETE ", Fault::Reset, 1000),
        ],
    );
    eprintln!(
        "gantry-prune: {} faults injected on the OCI backend, {} on the GHCR backend",
        oci_faults, github_faults
    );
}

/// Each scenario on a fresh `pr-N` image next to `keep`; returns the faults injected.
fn run_table(
    ghcr: &Ghcr,
    proxy: &FaultProxy,
    backend: &[&str],
    env: &[(&str, &str)],
    scenarios: &[Scenario],
) -> usize {
    let mut faults = 0;
    for (number, scenario) in scenarios.iter().enumerate() {
        ghcr.registry
            .image("acme/api")
            .tag(&format!("pr-{number}"))
            .push();
        let args = [
            backend,
            &[
                "--owner",
                "acme",
                "--packages",
                "api",
                "--delete-tags",
                "pr-*",
                "--apply",
            ],
        ]
        .concat();
        let prune = || {
            scan::run_scanned(
                env!("CARGO_BIN_EXE_gantry-prune"),
                &args,
                &[&[("GANTRY_HTTP_READ_TIMEOUT", "1s")], env].concat(),
            )
        };
        let injected = faults::inject(proxy, scenario, prune);
        faults += injected.faults;
        if !injected.completed {
            let rerun = prune();
            assert_eq!(
                rerun.code, 0,
                "{}: the rerun failed:\n{}",
                scenario.name, rerun.stderr
            );
        }
        assert_eq!(
            ghcr.registry.list_tags("acme/api"),
            ["keep"],
            "{}",
            scenario.name
        );
        assert_every_tag_resolves(&ghcr.registry, "acme/api");
    }
    faults
}
