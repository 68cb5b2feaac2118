//! gantry-matrix on large monorepos, as ratios to baselines measured in the same run:
//! `cargo bench -p gantry-matrix`.
//!
//! - Scale: 1,000 and 10,000 services over about 100,000 files, a second commit changing
//!   20,000 of them across every service; the whole `gantry-matrix` process against plain
//!   `git diff --name-only` over the same range. At 1,000 services also with every
//!   Dockerfile missing (a warning per service, grouped).
//! - `depends-on` chains of 4,000 and 18,000 services, the bottom one changed: planning in
//!   process (manifest load, glob set, matching, closure) against the manifest load alone, so
//!   a closure that grew faster than the manifest would show.
//!
//! Each repository is generated with one `git fast-import` stream; the work tree only holds
//! what the manifest checks (gantry.yml, contexts and Dockerfiles).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIBRARIES: usize = 5;
const FILES_PER_LIBRARY: usize = 1_000;
/// Files of the services together (plus the libraries' and the Dockerfiles).
const SERVICE_FILES: usize = 95_000;
/// Every fifth file changes: 20,000 of 100,000.
const CHANGE_EVERY: usize = 5;

fn rounds() -> usize {
    std::env::var("MATRIX_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15)
}

fn main() {
    // `MATRIX_BENCH_ONLY=chain` (or `scale`) runs one part.
    let only = std::env::var("MATRIX_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    for services in [1_000, 10_000].into_iter().filter(|_| run("scale")) {
        let mut report = String::new();
        scale(services, &mut report);
        print!("{report}");
    }
    for length in [4_000, 18_000].into_iter().filter(|_| run("chain")) {
        let mut report = String::new();
        chain(length, &mut report);
        print!("{report}");
    }
}

/// One scale: the repository, then the two commands alternately.
fn scale(services: usize, report: &mut String) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let started = Instant::now();
    let (files, changed) = generate(repo, services);
    eprintln!(
        "{services} services: generated {files} files, {changed} changed, in {:.1?}",
        started.elapsed()
    );
    let git = || {
        let mut command = Command::new("git");
        command.args(["diff", "--name-only", "HEAD~1", "HEAD"]);
        command
    };
    let matrix = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gantry-matrix"));
        command.args(["--base", "HEAD~1", "--head", "HEAD", "--format", "json"]);
        command
    };
    // Check once that both do the work being measured.
    assert_eq!(
        output(repo, git()).lines().count(),
        changed,
        "git diff lists the change"
    );
    let document: serde_json::Value = serde_json::from_str(&output(repo, matrix())).unwrap();
    assert_eq!(document["count"], services, "every service is affected");
    assert_eq!(document["changed-files"], changed);

    let (git_median, matrix_median) = alternate(repo, git, matrix);
    let (load, compile, matching) = parts(repo);
    let _ = writeln!(
        report,
        "\n{services} services, {files} files, {changed}-file diff; median of {} rounds",
        rounds()
    );
    let _ = writeln!(report, "git diff --name-only         {git_median:>9.1?}");
    let _ = writeln!(report, "gantry-matrix (whole run)    {matrix_median:>9.1?}");
    let _ = writeln!(
        report,
        "ratio                        {:>8.2}x",
        ratio(matrix_median, git_median)
    );
    let _ = writeln!(
        report,
        "  in process: manifest load {load:.1?}, matcher {compile:.1?}, matching {matching:.1?}"
    );

    if services == 1_000 {
        for index in 0..services {
            std::fs::remove_file(repo.join(format!("services/{}/Dockerfile", name(index))))
                .unwrap();
        }
        let run = matrix().current_dir(repo).output().unwrap();
        let boxes = String::from_utf8_lossy(&run.stderr).matches('⚠').count();
        let (git_median, matrix_median) = alternate(repo, git, matrix);
        let _ = writeln!(
            report,
            "without Dockerfiles ({boxes} warnings shown in full): git {git_median:.1?}, \
             gantry-matrix {matrix_median:.1?}, ratio {:.2}x",
            ratio(matrix_median, git_median)
        );
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// The medians of `a` and `b`, run alternately so both see the same load.
fn alternate(
    repo: &Path,
    a: impl Fn() -> Command,
    b: impl Fn() -> Command,
) -> (Duration, Duration) {
    let (mut a_times, mut b_times) = (Vec::new(), Vec::new());
    for _ in 0..rounds() {
        a_times.push(time(repo, a()));
        b_times.push(time(repo, b()));
    }
    (median(&mut a_times), median(&mut b_times))
}

fn name(index: usize) -> String {
    format!("svc-{index:05}")
}

/// The repository: a fast-import stream of two commits, plus the work tree files the
/// manifest checks. Returns how many files there are, and how many the second commit changes.
fn generate(repo: &Path, services: usize) -> (usize, usize) {
    git(repo, &["init", "-q", "-b", "main"]);
    let mut manifest = String::from("version: 1\nregistry: ghcr.io/acme\nglobal: [gantry.yml]\n");
    manifest.push_str("libraries:\n");
    let mut paths = Vec::new();
    for library in 0..LIBRARIES {
        let _ = writeln!(
            manifest,
            "  lib-{library}:\n    paths: [\"libs/lib-{library}/**\"]"
        );
        for file in 0..FILES_PER_LIBRARY {
            paths.push(format!(
                "libs/lib-{library}/pkg-{}/mod-{file}.py",
                file % 20
            ));
        }
    }
    manifest.push_str("services:\n");
    let per_service = SERVICE_FILES / services;
    for service in 0..services {
        let name = name(service);
        let _ = writeln!(
            manifest,
            "  {name}:\n    context: services/{name}\n    watch: [\"proto/{name}/**\"]\n    \
             ignore: [\"**/*.md\"]\n    depends-on: [lib-{}]\n    platforms: [linux/amd64]",
            service % LIBRARIES
        );
        let context = repo.join(format!("services/{name}"));
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("Dockerfile"), "FROM scratch\n").unwrap();
        paths.push(format!("services/{name}/Dockerfile"));
        for file in 1..per_service {
            paths.push(format!(
                "services/{name}/src/part-{}/file-{file}.py",
                file % 7
            ));
        }
    }
    std::fs::write(repo.join("gantry.yml"), &manifest).unwrap();
    paths.sort();
    let changed: Vec<&String> = paths.iter().step_by(CHANGE_EVERY).collect();
    import(repo, &manifest, &paths, &changed);
    (paths.len() + 1, changed.len())
}

/// Two commits: `paths` and the manifest, then `changed` modified.
fn import(repo: &Path, manifest: &str, paths: &[String], changed: &[&String]) {
    let mut stream = String::new();
    let blob = |stream: &mut String, mark: u32, text: &str| {
        let _ = write!(stream, "blob\nmark :{mark}\ndata {}\n{text}\n", text.len());
    };
    blob(&mut stream, 1, "old");
    blob(&mut stream, 2, "new");
    blob(&mut stream, 3, manifest);
    let commit = |stream: &mut String, message: &str| {
        let _ = write!(
            stream,
            "commit refs/heads/main\ncommitter Bench <bench@gantry.invalid> 1700000000 +0000\n\
             data {}\n{message}\n",
            message.len()
        );
    };
    commit(&mut stream, "base");
    stream.push_str("M 100644 :3 gantry.yml\n");
    for path in paths {
        let _ = writeln!(stream, "M 100644 :1 {path}");
    }
    commit(&mut stream, "head"); // on top of "base": the branch's tip
    for path in changed {
        let _ = writeln!(stream, "M 100644 :2 {path}");
    }
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    import
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(import.wait().unwrap().success(), "git fast-import");
    git(repo, &["symbolic-ref", "HEAD", "refs/heads/main"]);
}

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(repo)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn output(repo: &Path, mut command: Command) -> String {
    let output = command.current_dir(repo).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn time(repo: &Path, mut command: Command) -> Duration {
    let started = Instant::now();
    let status = command
        .current_dir(repo)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(status.success());
    elapsed
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The in-process parts of a run, each the median of [`rounds`].
fn parts(repo: &Path) -> (Duration, Duration, Duration) {
    let files: Vec<String> = output(repo, {
        let mut command = Command::new("git");
        command.args(["diff", "--name-only", "-z", "HEAD~1", "HEAD"]);
        command
    })
    .split('\0')
    .filter(|f| !f.is_empty())
    .map(str::to_owned)
    .collect();
    let (mut load, mut compile, mut matching) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds() {
        let started = Instant::now();
        let loaded = gantry_manifest::load(&repo.join("gantry.yml")).unwrap();
        load.push(started.elapsed());
        let started = Instant::now();
        let matcher = gantry_matrix::matcher::Matcher::new(&loaded.manifest).unwrap();
        compile.push(started.elapsed());
        let started = Instant::now();
        let touched = matcher.touches(files.clone());
        matching.push(started.elapsed());
        assert!(touched.of_node.iter().all(|files| !files.is_empty()));
    }
    (
        median(&mut load),
        median(&mut compile),
        median(&mut matching),
    )
}

/// A chain `svc-0 → svc-1 → … → svc-(length-1)` (each depends on the next), the last one
/// changed: every service is selected through the whole chain.
fn chain(length: usize, report: &mut String) {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("version: 1\nregistry: ghcr.io/acme\nservices:\n");
    for index in 0..length {
        let _ = writeln!(manifest, "  c-{index}:\n    context: services/c-{index}");
        if index + 1 < length {
            let _ = writeln!(manifest, "    depends-on: [c-{}]", index + 1);
        }
    }
    let path = dir.path().join("gantry.yml");
    std::fs::write(&path, &manifest).unwrap();
    let changed = vec![format!("services/c-{}/main.py", length - 1)];
    let (mut load, mut plan) = (Vec::new(), Vec::new());
    for _ in 0..rounds() {
        let started = Instant::now();
        let loaded = gantry_manifest::load(&path).unwrap();
        load.push(started.elapsed());
        let manifest = &loaded.manifest;
        let matcher = gantry_matrix::matcher::Matcher::new(manifest).unwrap();
        let graph = gantry_matrix::select::Graph::new(manifest, &matcher);
        let touches = matcher.touches(changed.clone());
        let reasons = gantry_matrix::select::affected(manifest, &matcher, &graph, &touches);
        plan.push(started.elapsed());
        assert!(
            reasons.iter().all(Option::is_some),
            "the whole chain is affected"
        );
    }
    let (load, plan) = (median(&mut load), median(&mut plan));
    let _ = writeln!(
        report,
        "\ndepends-on chain of {length}: planning {plan:.1?} ({:.1} µs per service), manifest \
         load {load:.1?}, planning / load {:.2}x",
        plan.as_secs_f64() * 1e6 / length as f64,
        ratio(plan, load)
    );
}
