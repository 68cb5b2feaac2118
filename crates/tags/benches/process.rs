//! Whole-process time of gantry-tags for typical three-rule specs (a tag push, a branch push),
//! against baselines measured in the same run: spawning `/bin/true` and `git rev-parse HEAD`.
//!
//! `cargo bench -p gantry-tags` (set GANTRY_BENCH_RUNS to change the 300 runs per command).
//! Runs are interleaved so that machine noise hits every command alike; the report gives
//! the median and 90th percentile of each, and the ratios of the medians.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A named command to time, built afresh for each run.
type Benchmarked<'a> = (&'static str, Box<dyn Fn() -> Command + 'a>);

/// A release spec, run on a tag push (which also lists the checkout's tags for the backport
/// warning: one `git for-each-ref`).
const TAG_SPEC: &str =
    "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha";
/// A spec of regular expressions (`type=match`), run on a tag push: regex compile and match.
const MATCH_SPEC: &str = "type=match,pattern=\\d+.\\d+,group=0\ntype=match,pattern=^v(\\d+)\\.(\\d+)\\.\\d+$,group=2\ntype=match,pattern=/(?<major>\\d+)\\./u,group=1";
/// A branch spec, run on a branch push (no git command).
const BRANCH_SPEC: &str =
    "type=ref,event=branch\ntype=sha\ntype=raw,value=latest,enable={{is_default_branch}}";

fn main() {
    let runs: usize = std::env::var("GANTRY_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(300);
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let commands: [Benchmarked; 5] = [
        ("/bin/true", Box::new(|| Command::new("/bin/true"))),
        (
            "git rev-parse HEAD",
            Box::new(|| {
                let mut command = Command::new("git");
                command.args(["rev-parse", "HEAD"]);
                command
            }),
        ),
        (
            "gantry-tags (3 rules, tag push)",
            Box::new(|| {
                gantry_tags(
                    scratch.path(),
                    "push-tag.json",
                    "refs/tags/v1.2.3",
                    TAG_SPEC,
                )
            }),
        ),
        (
            "gantry-tags (3 regex rules, tag push)",
            Box::new(|| {
                gantry_tags(
                    scratch.path(),
                    "push-tag.json",
                    "refs/tags/v1.2.3",
                    MATCH_SPEC,
                )
            }),
        ),
        (
            "gantry-tags (3 rules, branch push)",
            Box::new(|| {
                gantry_tags(
                    scratch.path(),
                    "push-branch.json",
                    "refs/heads/main",
                    BRANCH_SPEC,
                )
            }),
        ),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); commands.len()];
    for _ in 0..runs {
        for ((_, command), times) in commands.iter().zip(&mut times) {
            let start = Instant::now();
            let status = command()
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the command runs");
            times.push(start.elapsed());
            assert!(status.success(), "a benchmarked command failed");
        }
    }
    let stats: Vec<(Duration, Duration)> = times
        .iter_mut()
        .map(|times| {
            times.sort();
            (times[times.len() / 2], times[times.len() * 9 / 10])
        })
        .collect();
    println!("{runs} runs each, interleaved");
    println!("{:<38} {:>10} {:>10}", "command", "median", "p90");
    for ((name, _), (median, p90)) in commands.iter().zip(&stats) {
        println!("{name:<38} {:>8.2}ms {:>8.2}ms", ms(*median), ms(*p90));
    }
    for (index, (name, _)) in commands.iter().enumerate().skip(2) {
        let median = ms(stats[index].0);
        println!(
            "{name}: {:.2}x /bin/true, {:.2}x git rev-parse HEAD",
            median / ms(stats[0].0),
            median / ms(stats[1].0)
        );
    }
}

/// gantry-tags on `payload` with `spec`, its temporary files in `scratch`.
fn gantry_tags(scratch: &Path, payload: &str, git_ref: &str, spec: &str) -> Command {
    let payload = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/payloads")
        .join(payload);
    let mut command = Command::new(env!("CARGO_BIN_EXE_gantry-tags"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TMPDIR", scratch)
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", payload)
        .env("GITHUB_REF", git_ref)
        .env("GITHUB_SHA", "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a")
        .env("SOURCE_DATE_EPOCH", "1714557600")
        .env("INPUT_IMAGES", "ghcr.io/acme/api")
        .env("INPUT_TAGS", spec)
        .args(["--format", "json"]);
    command
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
