//! The cost of environments in a manifest, as a ratio to the same monorepo in the
//! single-target form, both parsed in this run: `cargo bench -p gantry-manifest`.
//!
//! 1,000 services, each deploying to a compose variable: once with one target each
//! (`deploy.dokploy`), once with a target and a health URL in each of two environments
//! (staging, and production promoting from staging). Then the ledger of a 10,000-tag
//! repository, as a ratio to sorting the same tags.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use gantry_manifest::ledger;

const SERVICES: usize = 1_000;
const ROUNDS: usize = 21;
const TAGS: usize = 10_000;

fn main() {
    let single = manifest(false);
    let environments = manifest(true);
    let parse = |text: &str| {
        let loaded = gantry_manifest::parse("gantry.yml", text, None).expect("a valid manifest");
        assert_eq!(loaded.manifest.services.len(), SERVICES);
        loaded
    };
    assert_eq!(parse(&environments).manifest.environments().count(), 2);
    let (mut single_times, mut environment_times) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        single_times.push(time(|| drop(parse(&single))));
        environment_times.push(time(|| drop(parse(&environments))));
    }
    let (single_median, environments_median) =
        (median(&mut single_times), median(&mut environment_times));

    let tags: Vec<(String, String)> = (0..TAGS)
        .map(|i| {
            let second = 1_700_000_000 + 3_600 * i as i64;
            let stamp = ledger::Stamp::new(jiff::Timestamp::from_second(second).unwrap()).unwrap();
            let tag = match i % 4 {
                0 => format!("sha-{i:07x}"),
                _ => ledger::entry_tag("staging", stamp),
            };
            (tag, format!("sha256:{:064x}", i % 500))
        })
        .collect();
    let pairs = || tags.iter().map(|(t, d)| (t.as_str(), d.as_str()));
    assert_eq!(ledger::kept("staging", pairs(), 10).len(), 10);
    let (mut sort_times, mut ledger_times) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        sort_times.push(time(|| {
            let mut sorted: Vec<(&str, &str)> = pairs().collect();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
        }));
        ledger_times.push(time(|| {
            ledger::kept("staging", pairs(), 10);
            ledger::next_stamp(
                "staging",
                jiff::Timestamp::now(),
                tags.iter().map(|(t, _)| t.as_str()),
            );
        }));
    }
    let (sort_median, ledger_median) = (median(&mut sort_times), median(&mut ledger_times));

    let mut report = String::new();
    let _ = writeln!(
        report,
        "manifest: {SERVICES} services; median of {ROUNDS} rounds"
    );
    let _ = writeln!(
        report,
        "single-target form      {:>6} KB {single_median:>9.1?}",
        single.len() / 1024
    );
    let _ = writeln!(
        report,
        "two environments        {:>6} KB {environments_median:>9.1?}",
        environments.len() / 1024
    );
    let _ = writeln!(
        report,
        "ratio                             {:>8.2}x",
        environments_median.as_secs_f64() / single_median.as_secs_f64()
    );
    let _ = writeln!(report, "ledger: {TAGS} tags, 500 digests");
    let _ = writeln!(
        report,
        "sorting the tags                  {sort_median:>9.1?}"
    );
    let _ = writeln!(
        report,
        "kept(10) + next_stamp             {ledger_median:>9.1?}"
    );
    let _ = writeln!(
        report,
        "ratio                             {:>8.2}x",
        ledger_median.as_secs_f64() / sort_median.as_secs_f64()
    );
    print!("{report}");
}

fn manifest(environments: bool) -> String {
    let mut text = String::from("version: 1\nregistry: ghcr.io/acme\nservices:\n");
    for i in 0..SERVICES {
        let _ = write!(
            text,
            "  svc-{i}:\n    context: services/svc-{i}\n    deploy:\n"
        );
        if environments {
            let _ = write!(
                text,
                "      environments:\n        staging:\n          dokploy: {{compose: stg-{}, tag-var: SVC_{i}_TAG}}\n          health: https://svc-{i}.stg.example.com/health\n        production:\n          dokploy: {{compose: prd-{}, tag-var: SVC_{i}_TAG}}\n          health: https://svc-{i}.example.com/health\n",
                i / 10,
                i / 10
            );
        } else {
            let _ = writeln!(
                text,
                "      dokploy: {{compose: stg-{}, tag-var: SVC_{i}_TAG}}",
                i / 10
            );
        }
    }
    if environments {
        text.push_str(
            "deploy:\n  environments:\n    staging: {dokploy: {url: https://dk.example.com}}\n    production: {dokploy: {url: https://dk.example.com}, promote-from: staging}\n",
        );
    } else {
        text.push_str("deploy:\n  dokploy: {url: https://dk.example.com}\n");
    }
    text
}

fn time(run: impl FnOnce()) -> Duration {
    let started = Instant::now();
    run();
    started.elapsed()
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
