//! The multicall binary as people, the installer and the actions run it: by a tool's name
//! (argv[0]) or as `gantry <tool>`, its help, and a closed stdout for every tool.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gantry_testkit::dokploy::FakeDokploy;
use gantry_testkit::{Registry, Run};

const GANTRY: &str = env!("CARGO_BIN_EXE_gantry");

/// The bundled example monorepo.
fn example_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bizosaas/gantry.yml")
}

/// A directory with `gantry-<tool>` links to the binary for every tool, as install.sh makes.
fn links() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for tool in &gantry::TOOLS {
        std::os::unix::fs::symlink(GANTRY, dir.path().join(tool.binary())).unwrap();
    }
    dir
}

/// Runs `program` with `args` and exactly `env`.
fn run(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(program, args, env).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn command(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

#[test]
fn a_link_named_gantry_tool_runs_that_tool() {
    let links = links();
    for tool in &gantry::TOOLS {
        let run = run(&links.path().join(tool.binary()), &["--version"], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stdout,
            format!("{} {}\n", tool.binary(), env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn gantry_tool_runs_the_tool_with_its_arguments() {
    let manifest = example_manifest();
    let manifest = manifest.to_str().unwrap();
    let args = ["--manifest", manifest, "--all", "--format", "json"];
    let by_link = run(&links().path().join("gantry-matrix"), &args, &[]);
    let by_subcommand = run(Path::new(GANTRY), &[&["matrix"][..], &args].concat(), &[]);
    assert_eq!(by_subcommand.code, 0, "{}", by_subcommand.stderr);
    assert!(
        by_subcommand.stdout.contains("\"services\""),
        "{}",
        by_subcommand.stdout
    );
    assert_eq!(by_subcommand.stdout, by_link.stdout);
    // Its own help names the command as it was called.
    let help = run(Path::new(GANTRY), &["matrix", "--help"], &[]);
    assert!(
        help.stdout.contains("Usage: gantry matrix"),
        "{}",
        help.stdout
    );
}

#[test]
fn help_lists_every_tool() {
    let help = run(Path::new(GANTRY), &["--help"], &[]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    for tool in &gantry::TOOLS {
        let line = format!("  {}", tool.name);
        assert!(help.stdout.contains(&line), "no {line} in\n{}", help.stdout);
    }
}

#[test]
fn an_unknown_tool_is_bad_input() {
    for args in [&["deploy"][..], &[]] {
        let run = run(Path::new(GANTRY), args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let run = run(Path::new(GANTRY), &["deploy"], &[]);
    assert!(
        run.stderr.contains("unrecognized subcommand 'deploy'"),
        "{}",
        run.stderr
    );
}

/// A tool, its arguments and its environment.
type ToolRun<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);

/// `gantry-<tool> --format json | head -c 10`: the reader is gone before the report is
/// written, and the tool still ends with 0 (not a panic, nor an abort in release builds).
#[test]
fn a_closed_stdout_is_a_normal_end_for_every_tool() {
    let registry = Registry::start();
    let host = registry.host();
    registry.image("acme/api").tag("build").push();
    let dokploy = FakeDokploy::start();
    let project = dokploy.add_project("shop");
    let environment = dokploy.environment(&project, "production");
    let application = dokploy.add_application(&environment, "api", "ghcr.io/acme/api:v1");
    let manifest = example_manifest();
    let image = format!("{host}/acme/api:build");
    let url = registry.url();
    let runs: Vec<ToolRun> = vec![
        (
            "matrix",
            vec!["--manifest", manifest.to_str().unwrap(), "--all"],
            vec![],
        ),
        (
            "tags",
            vec![
                "--images",
                "ghcr.io/acme/api",
                "--tags",
                "type=raw,value=v1",
            ],
            vec![],
        ),
        (
            "promote",
            vec!["--image", &image, "--tags", "production"],
            vec![],
        ),
        (
            "prune",
            vec![
                "--backend",
                "oci",
                "--owner",
                "acme",
                "--registry-url",
                &url,
                "--packages",
                "api",
            ],
            vec![],
        ),
        (
            "dokploy",
            vec![
                "--application",
                &application,
                "--image",
                "ghcr.io/acme/api:v2",
                "--dokploy-url",
                dokploy.url(),
                "--poll-interval",
                "10ms",
            ],
            vec![("DOKPLOY_API_KEY", dokploy.api_key())],
        ),
    ];
    let links = links();
    let tested: Vec<&str> = runs.iter().map(|(tool, _, _)| *tool).collect();
    let every: Vec<&str> = gantry::TOOLS.iter().map(|tool| tool.name).collect();
    assert_eq!(tested, every, "a run per tool");
    for (tool, args, env) in runs {
        let args = [&args[..], &["--format", "json"]].concat();
        let mut child = command(&links.path().join(format!("gantry-{tool}")), &args, &env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader closes its end before the tool has written anything.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "gantry-{tool}: {stderr}");
    }
}
