//! Prunes 10,000 versions through the fake GitHub API with a set latency per request, and
//! compares the wall time with the floor that the rate limits and the call count set, and
//! with a baseline measured in the same run: the same number of requests, under the same
//! pacing and concurrency, sent by a bare client that plans nothing.
//!
//! `cargo bench -p gantry-prune` (figures in docs/performance.md).

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use clap::Parser as _;
use futures::StreamExt as _;
use gantry_gha::{Env, Runtime};
use gantry_http::retry::RetryPolicy;
use gantry_prune::engine::Run;
use gantry_prune::{Args, run};
use gantry_testkit::github::{BigPackage, GithubFake};
use governor::{Quota, RateLimiter};

const TOKEN: &str = "ghp_bench";
const MAX_IN_FLIGHT: usize = 100;

struct Scenario {
    name: &'static str,
    latency: Duration,
    /// Deletes per minute; `None` leaves them unpaced.
    pace: Option<u32>,
}

fn main() {
    let scenarios = [
        Scenario {
            name: "paced (rate-bound)",
            latency: Duration::from_millis(25),
            pace: Some(30_000),
        },
        Scenario {
            name: "unpaced (latency-bound)",
            latency: Duration::from_millis(50),
            pace: None,
        },
    ];
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "| scenario | latency | versions | deleted | REST calls | registry calls | wall | floor | wall / floor | baseline | wall / baseline |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for scenario in &scenarios {
        let BigPackage {
            fake,
            registry: _registry,
            versions,
        } = BigPackage::start(TOKEN, scenario.latency);

        let started = Instant::now();
        let run = executor.block_on(prune(&fake, scenario));
        let wall = started.elapsed();
        let deleted: usize = report_deleted(&run);
        let calls = run.calls;
        let requests = calls.rest.total + calls.registry.total;
        let rate_floor = scenario.pace.map_or(Duration::ZERO, |per_minute| {
            Duration::from_secs_f64(calls.rest.deletes as f64 * 60.0 / f64::from(per_minute))
        });
        let call_floor = scenario
            .latency
            .mul_f64(requests as f64 / MAX_IN_FLIGHT as f64);
        let floor = rate_floor.max(call_floor);
        let baseline = executor.block_on(baseline(
            &fake,
            scenario,
            requests - calls.rest.deletes,
            calls.rest.deletes,
        ));
        println!(
            "| {} | {} ms | {versions} | {deleted} | {} | {} | {:.1} s | {:.1} s | {:.2} | {:.1} s | {:.2} |",
            scenario.name,
            scenario.latency.as_millis(),
            calls.rest.total,
            calls.registry.total,
            wall.as_secs_f64(),
            floor.as_secs_f64(),
            wall.as_secs_f64() / floor.as_secs_f64(),
            baseline.as_secs_f64(),
            wall.as_secs_f64() / baseline.as_secs_f64(),
        );
    }
}

fn report_deleted(run: &Run) -> usize {
    gantry_prune::report::Document::new(run).deleted.len()
}

async fn prune(fake: &GithubFake, scenario: &Scenario) -> Run {
    let mut argv = vec![
        "gantry-prune".to_owned(),
        "--owner".into(),
        "acme".into(),
        "--packages".into(),
        "big".into(),
        "--protect-tags".into(),
        "latest".into(),
        "--delete-tags".into(),
        "build-*".into(),
        "--apply".into(),
        "--api-url".into(),
        fake.api_url(),
        "--registry-url".into(),
        fake.registry_url(),
        // The loopback front never gets GITHUB_TOKEN: a user name and REGISTRY_PASSWORD.
        "--username".into(),
        "bench".into(),
        "--max-in-flight".into(),
        MAX_IN_FLIGHT.to_string(),
        "--max-deletes-per-minute".into(),
        scenario.pace.unwrap_or(100_000_000).to_string(),
    ];
    argv.push("--format".into());
    argv.push("json".into());
    let args = Args::try_parse_from(argv).expect("valid flags");
    let (runtime, _log) = Runtime::captured(Env::from_pairs([
        ("GITHUB_TOKEN", TOKEN),
        ("REGISTRY_PASSWORD", TOKEN),
    ]));
    run::prune(&args, &runtime, RetryPolicy::default())
        .await
        .expect("the prune runs")
}

/// `unpaced` requests, then `paced` ones under the same pacing, `MAX_IN_FLIGHT` at a time,
/// to an endpoint of the fake with the same latency that does nothing.
async fn baseline(fake: &GithubFake, scenario: &Scenario, unpaced: u64, paced: u64) -> Duration {
    let client = reqwest::Client::new();
    let url = format!("{}/rate_limit", fake.api_url());
    let limiter = scenario.pace.map(|per_minute| {
        let per_minute = NonZeroU32::new(per_minute).expect("not zero");
        let burst = NonZeroU32::new((per_minute.get() / 120).max(1)).expect("not zero");
        RateLimiter::direct(Quota::per_minute(per_minute).allow_burst(burst))
    });
    let started = Instant::now();
    for (count, limited) in [(unpaced, None), (paced, limiter.as_ref())] {
        futures::stream::iter(0..count)
            .map(|_| {
                let (client, url) = (&client, &url);
                async move {
                    if let Some(limiter) = limited {
                        limiter.until_ready().await;
                    }
                    client
                        .get(url)
                        .bearer_auth(TOKEN)
                        .send()
                        .await
                        .expect("the fake answers")
                        .bytes()
                        .await
                        .expect("a body");
                }
            })
            .buffer_unordered(MAX_IN_FLIGHT)
            .collect::<Vec<()>>()
            .await;
    }
    started.elapsed()
}
