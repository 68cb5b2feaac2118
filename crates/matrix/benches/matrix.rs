//! gantry-matrix on a large monorepo, as a ratio to plain `git diff --name-only` over the
//! same range, both measured in this run: `cargo bench -p gantry-matrix`.
//!
//! The repository is generated with one `git fast-import` stream: 1,000 services and 5
//! libraries, 100,000 files, and a second commit changing 20,000 of them across every
//! service. The work tree only holds what the manifest checks (gantry.yml, contexts and
//! Dockerfiles); the diff runs between the two commits.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVICES: usize = 1_000;
const FILES_PER_SERVICE: usize = 95;
const LIBRARIES: usize = 5;
const FILES_PER_LIBRARY: usize = 1_000;
/// Every fifth file changes: 20,000 of 100,000.
const CHANGE_EVERY: usize = 5;
const ROUNDS: usize = 15;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let started = Instant::now();
    let changed = generate(repo);
    eprintln!(
        "generated {} files, {changed} changed, in {:.1?}",
        SERVICES * FILES_PER_SERVICE + LIBRARIES * FILES_PER_LIBRARY + 1,
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
    let listed = output(repo, git()).lines().count();
    assert_eq!(listed, changed, "git diff lists the change");
    let document: serde_json::Value = serde_json::from_str(&output(repo, matrix())).unwrap();
    assert_eq!(document["count"], SERVICES, "every service is affected");
    assert_eq!(document["changed-files"], changed);

    let mut git_times = Vec::new();
    let mut matrix_times = Vec::new();
    for _ in 0..ROUNDS {
        git_times.push(time(repo, git()));
        matrix_times.push(time(repo, matrix()));
    }
    let (git_median, matrix_median) = (median(&mut git_times), median(&mut matrix_times));

    let (load, compile, matching) = parts(repo);
    let mut report = String::new();
    let _ = writeln!(
        report,
        "repository: {SERVICES} services, {} files, {changed}-file diff; median of {ROUNDS} rounds",
        SERVICES * FILES_PER_SERVICE + LIBRARIES * FILES_PER_LIBRARY + 1
    );
    let _ = writeln!(report, "git diff --name-only         {git_median:>9.1?}");
    let _ = writeln!(report, "gantry-matrix (whole run)    {matrix_median:>9.1?}");
    let _ = writeln!(
        report,
        "ratio                        {:>8.2}x  (target <= 1.5x)",
        matrix_median.as_secs_f64() / git_median.as_secs_f64()
    );
    let _ = writeln!(report, "  of which, in process:");
    let _ = writeln!(report, "  manifest load                {load:>9.1?}");
    let _ = writeln!(report, "  glob set compile             {compile:>9.1?}");
    let _ = writeln!(report, "  matching {changed} files      {matching:>9.1?}");
    print!("{report}");
}

/// The repository: a fast-import stream of two commits, plus the work tree files the
/// manifest checks. Returns how many files the second commit changes.
fn generate(repo: &Path) -> usize {
    let run = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(repo)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    run(&["init", "-q", "-b", "main"]);

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
    for service in 0..SERVICES {
        let name = format!("svc-{service:04}");
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
        for file in 1..FILES_PER_SERVICE {
            paths.push(format!(
                "services/{name}/src/part-{}/file-{file}.py",
                file % 7
            ));
        }
    }
    std::fs::write(repo.join("gantry.yml"), &manifest).unwrap();
    paths.sort();

    let mut stream = String::new();
    let blob = |stream: &mut String, mark: u32, text: &str| {
        let _ = write!(stream, "blob\nmark :{mark}\ndata {}\n{text}\n", text.len());
    };
    blob(&mut stream, 1, "old");
    blob(&mut stream, 2, "new");
    blob(&mut stream, 3, &manifest);
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
    for path in &paths {
        let _ = writeln!(stream, "M 100644 :1 {path}");
    }
    commit(&mut stream, "head"); // on top of "base": the branch's tip
    let mut changed = 0;
    for path in paths.iter().step_by(CHANGE_EVERY) {
        let _ = writeln!(stream, "M 100644 :2 {path}");
        changed += 1;
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
    run(&["symbolic-ref", "HEAD", "refs/heads/main"]);
    changed
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

/// The in-process parts of a run, each the median of [`ROUNDS`].
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
    for _ in 0..ROUNDS {
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
