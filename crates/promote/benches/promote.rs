//! Whole-process time of a promotion against `skopeo copy --all --preserve-digests` doing the
//! same retag, both on one local registry (gantry-testkit), interleaved so that both see the
//! same machine load. Reports medians and their ratio.
//!
//! `cargo bench -p gantry-promote` (set `PROMOTE_BENCH_ROUNDS` for more or fewer rounds).

use std::process::Command;
use std::time::{Duration, Instant};

use gantry_testkit::Registry;

const DEFAULT_ROUNDS: usize = 30;

fn main() {
    let rounds = std::env::var("PROMOTE_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let registry = Registry::start();
    let index = registry
        .index("acme/api")
        .platforms(&["linux/amd64", "linux/arm64", "linux/arm/v7"])
        .attestations()
        .tag("build")
        .push();
    let source = format!("{}/acme/api:build", registry.host());
    println!(
        "source: a 3-platform OCI index with attestations ({} children), {rounds} rounds",
        index.child_digests().len()
    );
    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "scenario", "gantry", "skopeo", "ratio"
    );
    for tag_count in [1, 3] {
        let mut gantry = Vec::new();
        let mut skopeo = Vec::new();
        for round in 0..rounds {
            let tags: Vec<String> = (0..tag_count).map(|n| format!("g{round}-{n}")).collect();
            gantry.push(time(|| promote(&source, &tags)));
            let targets: Vec<String> = (0..tag_count)
                .map(|n| registry.skopeo_reference(&format!("acme/api:s{round}-{n}")))
                .collect();
            skopeo.push(time(|| {
                for target in &targets {
                    skopeo_copy(&registry.skopeo_reference("acme/api:build"), target);
                }
            }));
        }
        let scenario = match tag_count {
            1 => "1 new tag".to_owned(),
            n => format!("{n} new tags (skopeo: {n} copies)"),
        };
        report(&scenario, gantry, skopeo);
    }
    // Promoting again: every tag is unchanged, nothing is written.
    let mut gantry = Vec::new();
    let mut skopeo = Vec::new();
    let tags = vec!["g0-0".to_owned()];
    for _ in 0..rounds {
        gantry.push(time(|| promote(&source, &tags)));
        skopeo.push(time(|| {
            skopeo_copy(
                &registry.skopeo_reference("acme/api:build"),
                &registry.skopeo_reference("acme/api:s0-0"),
            )
        }));
    }
    report("1 tag already promoted", gantry, skopeo);
}

fn promote(source: &str, tags: &[String]) {
    let status = Command::new(env!("CARGO_BIN_EXE_gantry-promote"))
        .args(["--image", source, "--tags", &tags.join(",")])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run gantry-promote");
    assert!(status.status.success(), "{status:?}");
}

fn skopeo_copy(source: &str, target: &str) {
    let output = Command::new(gantry_testkit::skopeo::SKOPEO_BINARY)
        .args([
            "copy",
            "--all",
            "--preserve-digests",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--src-no-creds",
            "--dest-no-creds",
            source,
            target,
        ])
        .output()
        .expect("run skopeo");
    assert!(output.status.success(), "{output:?}");
}

fn time(run: impl FnOnce()) -> Duration {
    let start = Instant::now();
    run();
    start.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn report(scenario: &str, gantry: Vec<Duration>, skopeo: Vec<Duration>) {
    let (gantry, skopeo) = (median(gantry), median(skopeo));
    println!(
        "{scenario:<34} {:>10.1}ms {:>10.1}ms {:>7.2}x",
        gantry.as_secs_f64() * 1e3,
        skopeo.as_secs_f64() * 1e3,
        gantry.as_secs_f64() / skopeo.as_secs_f64()
    );
}
