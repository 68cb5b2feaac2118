//! Time and peak memory of each gantry binary on the largest realistic inputs: 1,000
//! services, 10,000 package versions, 50 deploy targets. A benchmark-style runner, not a
//! test: it prints a Markdown table for docs/reliability.md.
//!
//! ```sh
//! cargo build --release --bins
//! cargo run --release -p gantry-testkit --example limits -- target/release
//! cargo run --release -p gantry-testkit --example limits -- target/release hostile
//! ```
//!
//! Each binary runs under `/usr/bin/time` (wall time, maximum resident set size) against
//! the same real parts the tests use: git, the real registry, the GitHub API and Dokploy
//! fakes. With `hostile`, it runs only against servers meant to hurt (`HostileServer`: an
//! 800 MB answer, a drip, nothing listening), with gantry's default limits.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gantry_testkit::Registry;
use gantry_testkit::dokploy::{DokployOptions, FakeDokploy};
use gantry_testkit::faults::{Hostile, HostileServer};
use gantry_testkit::github::BigPackage;

const SERVICES: usize = 1_000;
const TARGETS: usize = 50;
const TOKEN: &str = "ghp_limits";

struct Measure {
    binary: &'static str,
    input: String,
    code: i32,
    seconds: f64,
    peak_kib: u64,
}

fn main() {
    let bin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release".into());
    // Absolute: each binary runs in a directory of its own.
    let bin = std::fs::canonicalize(&bin).unwrap_or_else(|err| panic!("{bin}: {err}"));
    let work = tempfile::tempdir().expect("a work directory");
    let mut measures = Vec::new();
    if std::env::args().nth(2).as_deref() == Some("hostile") {
        measures.extend(hostile(&bin));
    } else {
        measures.extend(matrix_and_tags(&bin, work.path()));
        measures.push(promote(&bin));
        measures.extend(prune(&bin));
        measures.push(dokploy(&bin, work.path()));
    }

    println!("| binary | input | exit | wall | peak RSS |");
    println!("|---|---|---|---|---|");
    for measure in &measures {
        println!(
            "| gantry-{} | {} | {} | {:.2} s | {:.1} MiB |",
            measure.binary,
            measure.input,
            measure.code,
            measure.seconds,
            measure.peak_kib as f64 / 1024.0
        );
    }
}

/// Runs `bin/gantry-<binary>` under `/usr/bin/time` in `dir` with exactly `env` (plus PATH).
fn measure(
    bin: &Path,
    binary: &'static str,
    input: &str,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Measure {
    let exe = bin.join(format!("gantry-{binary}"));
    assert!(
        exe.exists(),
        "{} is missing: cargo build --release --bins",
        exe.display()
    );
    let report = tempfile::NamedTempFile::new().expect("a report file");
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(report.path())
        .arg(&exe)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("/usr/bin/time must be installed (apt-get install time)");
    let text = std::fs::read_to_string(report.path()).expect("the time report");
    let last = text.lines().last().unwrap_or_default();
    let (seconds, peak) = last.split_once(' ').expect("`%e %M` from time");
    let code = output.status.code().unwrap_or(-1);
    if code != 0 {
        eprintln!(
            "gantry-{binary} ({input}) exited {code}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Measure {
        binary,
        input: input.to_owned(),
        code,
        seconds: seconds.parse().expect("seconds"),
        peak_kib: peak.trim().parse().expect("KiB"),
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=limits",
            "-c",
            "user.email=l@gantry.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

/// A repository of 1,000 services over 20 libraries; the last commit touches 100 services
/// and one library.
fn matrix_and_tags(bin: &Path, work: &Path) -> Vec<Measure> {
    let repo = work.join("monorepo");
    std::fs::create_dir_all(&repo).expect("repo dir");
    let mut manifest = String::from(
        "version: 1\nregistry: ghcr.io/acme\nglobal: [gantry.yml]\ntags: |\n  type=ref,event=branch\n  type=sha\nlibraries:\n",
    );
    for lib in 0..20 {
        manifest.push_str(&format!("  lib-{lib}: {{paths: [libs/lib-{lib}/**]}}\n"));
        let dir = repo.join(format!("libs/lib-{lib}"));
        std::fs::create_dir_all(&dir).expect("lib dir");
        std::fs::write(dir.join("lib.py"), "x = 1\n").expect("lib file");
    }
    manifest.push_str("services:\n");
    for service in 0..SERVICES {
        manifest.push_str(&format!(
            "  svc-{service}:\n    context: services/svc-{service}\n    watch: [proto/svc-{service}/**]\n    ignore: [\"**/*.md\"]\n    depends-on: [lib-{}]\n",
            service % 20
        ));
        let dir = repo.join(format!("services/svc-{service}"));
        std::fs::create_dir_all(&dir).expect("service dir");
        std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").expect("Dockerfile");
        std::fs::write(dir.join("main.py"), "print(1)\n").expect("source");
    }
    std::fs::write(repo.join("gantry.yml"), manifest).expect("manifest");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    for service in (0..SERVICES).step_by(10) {
        std::fs::write(
            repo.join(format!("services/svc-{service}/main.py")),
            "print(2)\n",
        )
        .expect("change");
    }
    std::fs::write(repo.join("libs/lib-3/lib.py"), "x = 2\n").expect("change");
    git(&repo, &["commit", "-q", "-am", "change"]);

    let env = [
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_SHA", "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a"),
    ];
    let rules: String = (0..1_000)
        .map(|n| format!("type=raw,value=v{n}\n"))
        .collect();
    vec![
        measure(
            bin,
            "matrix",
            "1,000 services, 110 changed files, `--base HEAD~1`",
            &repo,
            &["--base", "HEAD~1", "--format", "json"],
            &env,
        ),
        measure(
            bin,
            "matrix",
            "1,000 services, `--all`",
            &repo,
            &["--all", "--format", "json"],
            &env,
        ),
        measure(
            bin,
            "tags",
            "manifest of 1,000 services, `--service svc-999`",
            &repo,
            &["--manifest", "gantry.yml", "--service", "svc-999"],
            &env,
        ),
        measure(
            bin,
            "tags",
            "1,000 tag rules",
            &repo,
            &["--images", "ghcr.io/acme/api", "--tags", &rules],
            &env,
        ),
    ]
}

/// An 8-platform index with attestations promoted to 100 tags.
fn promote(bin: &Path) -> Measure {
    let registry = Registry::start();
    registry
        .index("acme/api")
        .platforms(&[
            "linux/amd64",
            "linux/arm64",
            "linux/386",
            "linux/ppc64le",
            "linux/s390x",
            "linux/riscv64",
            "linux/mips64le",
            "linux/arm/v7",
        ])
        .attestations()
        .tag("build")
        .push();
    let tags: String = (0..100).map(|n| format!("t{n},")).collect();
    let image = format!("{}/acme/api:build", registry.host());
    measure(
        bin,
        "promote",
        "8-platform index with attestations → 100 tags",
        &std::env::temp_dir(),
        &[
            "--image",
            &image,
            "--tags",
            &tags,
            "--registry-url",
            &registry.url(),
        ],
        &[],
    )
}

/// 10,000 versions (9 indexes of 1,110 images, plus one image) in one package.
fn prune(bin: &Path) -> Vec<Measure> {
    let BigPackage {
        fake,
        registry,
        versions,
    } = BigPackage::start(TOKEN, Duration::ZERO);
    let args = [
        "--owner",
        "acme",
        "--packages",
        "big",
        "--keep-tagged",
        "1",
        "--format",
        "json",
    ];
    let api = fake.api_url();
    let front = fake.registry_url();
    // The loopback front never gets GITHUB_TOKEN: a user name and REGISTRY_PASSWORD.
    let ghcr = [
        &args[..],
        &[
            "--api-url",
            &api,
            "--registry-url",
            &front,
            "--username",
            "bot",
        ],
    ]
    .concat();
    let url = registry.url();
    let oci = [&args[..], &["--backend", "oci", "--registry-url", &url]].concat();
    vec![
        measure(
            bin,
            "prune",
            &format!("{versions} versions, GHCR backend, plan"),
            &std::env::temp_dir(),
            &ghcr,
            &[("GITHUB_TOKEN", TOKEN), ("REGISTRY_PASSWORD", TOKEN)],
        ),
        measure(
            bin,
            "prune",
            &format!("{versions} manifests, OCI backend, plan"),
            &std::env::temp_dir(),
            &oci,
            &[],
        ),
    ]
}

/// 50 applications in two stages, each deploy queued, run and awaited.
fn dokploy(bin: &Path, work: &Path) -> Measure {
    let fake = FakeDokploy::start_with(DokployOptions {
        queue_delay: Duration::from_millis(5),
        run_time: Duration::from_millis(20),
        concurrency: 4,
        ..DokployOptions::default()
    });
    let project = fake.add_project("shop");
    let production = fake.environment(&project, "production");
    let mut manifest = String::from("version: 1\nregistry: ghcr.io/acme\nservices:\n");
    for target in 0..TARGETS {
        let app = fake.add_application(&production, &format!("app-{target}"), "ghcr.io/acme/x:v1");
        let stage = if target < TARGETS / 2 {
            "backend"
        } else {
            "frontend"
        };
        manifest.push_str(&format!(
            "  app-{target}:\n    context: .\n    deploy: {{stage: {stage}, dokploy: {{application: {app}}}}}\n"
        ));
    }
    manifest.push_str("deploy:\n  stages: [backend, frontend]\n");
    let dir = work.join("deploy");
    std::fs::create_dir_all(&dir).expect("deploy dir");
    std::fs::write(dir.join("gantry.yml"), manifest).expect("manifest");
    measure(
        bin,
        "dokploy",
        "50 applications in 2 stages (20 ms deploys, 4 at once)",
        &dir,
        &[
            "--manifest",
            "gantry.yml",
            "--tag",
            "v2",
            "--dokploy-url",
            fake.url(),
            "--poll-interval",
            "50ms",
        ],
        &[("DOKPLOY_API_KEY", fake.api_key())],
    )
}

/// Against hostile servers, with the default limits: an 800 MB answer (no `content-length`)
/// to each tool's first request, a server dripping one byte every 200 ms, and, for
/// gantry-dokploy, `--timeout 10s` with nothing listening.
fn hostile(bin: &Path) -> Vec<Measure> {
    const HUGE: u64 = 800 << 20;
    let huge = HostileServer::start(Hostile::Huge(HUGE));
    let drip = HostileServer::start(Hostile::Drip(Duration::from_millis(200)));
    let image = |server: &HostileServer| format!("{}/acme/api:v1", server.host());
    let promote = |server: &HostileServer, input: &str, env: &[(&str, &str)]| {
        let image = image(server);
        measure(
            bin,
            "promote",
            input,
            &std::env::temp_dir(),
            &["--image", &image, "--tags", "production"],
            env,
        )
    };
    let prune = |api: &str, input: &str| {
        measure(
            bin,
            "prune",
            input,
            &std::env::temp_dir(),
            &["--api-url", api, "--owner", "acme", "--packages", "api"],
            &[("GITHUB_TOKEN", TOKEN)],
        )
    };
    let dokploy = |url: &str, input: &str| {
        measure(
            bin,
            "dokploy",
            input,
            &std::env::temp_dir(),
            &[
                "--application",
                "app-1",
                "--image",
                "ghcr.io/acme/api:v2",
                "--dokploy-url",
                url,
                "--timeout",
                "10s",
            ],
            &[("DOKPLOY_API_KEY", "dokploy-key-limits")],
        )
    };
    vec![
        promote(&huge, "registry answers the manifest with 800 MB", &[]),
        prune(&huge.url(), "GitHub API answers with 800 MB"),
        dokploy(&huge.url(), "Dokploy answers with 800 MB, `--timeout 10s`"),
        promote(
            &drip,
            "registry drips one byte per 200 ms (`GANTRY_HTTP_REQUEST_TIMEOUT=5s`)",
            &[("GANTRY_HTTP_REQUEST_TIMEOUT", "5s")],
        ),
        dokploy(
            &drip.url(),
            "Dokploy drips one byte per 200 ms, `--timeout 10s`",
        ),
        dokploy(
            "http://127.0.0.1:9",
            "nothing listens (connection refused), `--timeout 10s`",
        ),
    ]
}
