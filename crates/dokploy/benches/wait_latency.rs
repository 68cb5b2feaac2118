//! How long after Dokploy marks a deployment `done` does gantry-dokploy report it?
//!
//! Runs whole deploys (plan, pin, trigger, wait) of one application against the fake Dokploy
//! and measures, per deploy, the time from the fake ending the row to `deploy::run`
//! returning. Baselines measured in the same run: the poll interval (the target is to stay
//! under one) and one `deployment.all` round trip (the least any poller can need).
//!
//! `cargo bench -p gantry-dokploy --bench wait_latency`

use std::time::{Duration, Instant};

use gantry_dokploy::api::{Dokploy, ServiceKind};
use gantry_dokploy::client::Client;
use gantry_dokploy::deploy::{self, Origin, Settings};
use gantry_dokploy::health::HealthPolicy;
use gantry_dokploy::plan::{self, Inputs};
use gantry_dokploy::report::Outcome;
use gantry_dokploy::wait::Poll;
use gantry_gha::{Env, Runtime, Secret};
use gantry_http::retry::RetryPolicy;
use gantry_testkit::dokploy::{DokployOptions, FakeDokploy};

const DEPLOYS: usize = 20;

fn main() {
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "| poll interval | deploys | report delay: mean | p50 | max | mean / interval | max / interval | mean / round trip |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for interval in [
        Duration::from_millis(25),
        Duration::from_millis(100),
        Duration::from_millis(250),
    ] {
        let (delays, round_trip) = executor.block_on(measure(interval));
        let mut sorted = delays.clone();
        sorted.sort();
        let mean = delays.iter().sum::<Duration>() / delays.len() as u32;
        println!(
            "| {interval:?} | {} | {mean:.1?} | {:.1?} | {:.1?} | {:.2} | {:.2} | {:.1} |",
            delays.len(),
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1],
            mean.as_secs_f64() / interval.as_secs_f64(),
            sorted[sorted.len() - 1].as_secs_f64() / interval.as_secs_f64(),
            mean.as_secs_f64() / round_trip.as_secs_f64(),
        );
    }
}

/// Report delays of [`DEPLOYS`] deploys polled every `interval`, and the mean round trip.
async fn measure(interval: Duration) -> (Vec<Duration>, Duration) {
    let (runtime, _log) = Runtime::captured(Env::default());
    let settings = Settings {
        timeout: Duration::from_secs(60),
        poll: Poll {
            first: interval,
            max: interval,
        },
        wait: true,
        rollback: false,
        origin: Origin::default(),
        health: Vec::new(),
        health_policy: HealthPolicy {
            expect: None,
            retries: Some(0),
            timeout: interval,
            first_wait: interval,
            max_wait: interval,
        },
        log_lines: 0,
        ledger: None,
    };
    let mut delays = Vec::with_capacity(DEPLOYS);
    let mut round_trip = Duration::ZERO;
    for deploy in 0..DEPLOYS {
        // Each deploy runs a different fraction of an interval longer (golden-ratio steps
        // spread them evenly), so "done" lands anywhere between two polls.
        let phase = (deploy as f64 * 0.618_033_988_7).fract();
        let fake = FakeDokploy::start_with(DokployOptions {
            queue_delay: Duration::from_millis(5),
            run_time: interval * 2 + interval.mul_f64(phase),
            ..DokployOptions::default()
        });
        let project = fake.add_project("bench");
        let production = fake.environment(&project, "production");
        let app = fake.add_application(&production, "api", "ghcr.io/acme/api:v0");
        let http = gantry_http::client("gantry-dokploy-bench/0").expect("a client");
        let key = Secret::new(fake.api_key());
        let client = Client::new(http, fake.url(), key, RetryPolicy::default()).expect("a URL");
        let dokploy = Dokploy::connect(client).await.expect("the fake answers");
        if deploy == 0 {
            round_trip = mean_round_trip(&dokploy, &app).await;
        }

        let applications = vec![app.clone()];
        let images = vec!["ghcr.io/acme/api:v1".to_owned()];
        let plan = plan::plan(&Inputs {
            images: &images,
            applications: &applications,
            ..Inputs::default()
        })
        .expect("a plan");
        let stages = gantry_dokploy::prepare(&dokploy, &plan)
            .await
            .expect("ready");
        let report = deploy::run(&dokploy, &stages, &settings, &runtime).await;
        let reported = fake.elapsed();
        assert_eq!(report.result, Outcome::Success);
        let row = fake.deployments(&app).pop().expect("a row");
        delays.push(reported - row.ended.expect("ended"));
    }
    (delays, round_trip)
}

/// One `deployment.all` round trip, the least time any poller needs to see a change.
async fn mean_round_trip(dokploy: &Dokploy, app: &str) -> Duration {
    let round_trips = 50;
    let started = Instant::now();
    for _ in 0..round_trips {
        dokploy
            .deployments(ServiceKind::Application, app)
            .await
            .expect("rows");
    }
    started.elapsed() / round_trips
}
