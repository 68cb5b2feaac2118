//! What the deploy ledger costs, and how fast `--rollback` and `--plan` are, against a plain
//! deploy of the same services in the same run.
//!
//! N applications in one environment (`staging`) of the fake Dokploy, their images in the real
//! registry (gantry-testkit). Each round runs the binary as a workflow step does, interleaved so
//! every scenario sees the same machine load:
//!
//! 1. deploy build `a` with the ledger (sets up the entry to roll back to; not measured),
//! 2. **ledger**: deploy build `b` with the ledger (writes `staging` and `staging-<stamp>`),
//! 3. **rollback**: `--rollback` to the previous entry (build `a`), which records itself,
//! 4. **baseline**: deploy build `b` with `--no-ledger`, the same change as 2,
//! 5. **plan**: `--plan --tag a` (reads Dokploy and the registry, writes nothing).
//!
//! Reports medians and their ratio to the baseline. The ledger grows by three entries a round,
//! so later rollbacks list a few more tags.
//!
//! `cargo bench -p gantry-dokploy --bench environments` (`ENVIRONMENTS_BENCH_ROUNDS` for more
//! or fewer rounds).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gantry_testkit::Registry;
use gantry_testkit::dokploy::{DokployOptions, FakeDokploy};

const DEFAULT_ROUNDS: usize = 9;

/// How long the fake takes to queue and to run each deploy: small and fixed, so gantry's own
/// work is visible next to it. Dokploy runs one deploy at a time (`buildsConcurrency` 1).
const QUEUE_DELAY: Duration = Duration::from_millis(5);
const RUN_TIME: Duration = Duration::from_millis(20);

fn main() {
    let rounds = std::env::var("ENVIRONMENTS_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let registry = Registry::start();
    println!(
        "fake Dokploy: queue {QUEUE_DELAY:?}, run {RUN_TIME:?}, one deploy at a time; {rounds} rounds; medians"
    );
    println!(
        "| services | baseline (--no-ledger) | ledger | ledger / baseline | rollback | rollback / baseline | plan | plan / baseline |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for services in [4, 16] {
        let bench = Bench::new(&registry, services);
        let (mut baseline, mut ledger, mut rollback, mut plan) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            bench.run(&["--tag", "a"]);
            ledger.push(bench.run(&["--tag", "b"]));
            rollback.push(bench.run(&["--rollback"]));
            baseline.push(bench.run(&["--tag", "b", "--no-ledger"]));
            plan.push(bench.run(&["--plan", "--tag", "a"]));
        }
        let baseline = median(baseline);
        let ms = |duration: Duration| format!("{:.0} ms", duration.as_secs_f64() * 1e3);
        let ratio =
            |duration: Duration| format!("{:.2}", duration.as_secs_f64() / baseline.as_secs_f64());
        let (ledger, rollback, plan) = (median(ledger), median(rollback), median(plan));
        println!(
            "| {services} | {} | {} | {} | {} | {} | {} | {} |",
            ms(baseline),
            ms(ledger),
            ratio(ledger),
            ms(rollback),
            ratio(rollback),
            ms(plan),
            ratio(plan),
        );
    }
}

/// `services` applications `svc-N` in environment `staging`, builds `a` and `b` of each pushed.
struct Bench {
    fake: FakeDokploy,
    dir: tempfile::TempDir,
}

impl Bench {
    fn new(registry: &Registry, services: usize) -> Bench {
        let fake = FakeDokploy::start_with(DokployOptions {
            queue_delay: QUEUE_DELAY,
            run_time: RUN_TIME,
            ..DokployOptions::default()
        });
        let project = fake.add_project("bench");
        let staging = fake.add_environment(&project, "staging");
        // Each bench size has its own repositories, so its ledger starts empty.
        let prefix = format!("bench{services}");
        let mut manifest = format!(
            "version: 1\nregistry: {}/{prefix}\nservices:\n",
            registry.host()
        );
        for service in 0..services {
            let name = format!("svc-{service}");
            for build in ["a", "b"] {
                registry
                    .image(&format!("{prefix}/{name}"))
                    .tag(build)
                    .push();
            }
            let application = fake.add_application(&staging, &name, "none");
            manifest += &format!(
                "  {name}:\n    context: .\n    deploy:\n      environments:\n        \
                 staging: {{dokploy: {{application: {application}}}}}\n"
            );
        }
        manifest += &format!(
            "deploy:\n  environments:\n    staging: {{dokploy: {{url: \"{}\"}}}}\n",
            fake.url()
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("gantry.yml"), manifest).expect("the manifest");
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("a Dockerfile");
        Bench { fake, dir }
    }

    /// Runs gantry-dokploy on `staging` with `args`; how long the process took.
    fn run(&self, args: &[&str]) -> Duration {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_gantry-dokploy"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DOKPLOY_API_KEY", self.fake.api_key())
            .current_dir(self.dir.path())
            .args(["--environment", "staging", "--poll-interval", "10ms"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run gantry-dokploy");
        let took = started.elapsed();
        assert!(output.status.success(), "{args:?}: {output:?}");
        took
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
