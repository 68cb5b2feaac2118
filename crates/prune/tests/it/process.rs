//! The binary as a workflow step runs it: outputs, step summary, reports, exit statuses, the
//! manifest, masking, and a run killed midway.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use gantry_testkit::github::{PackageRole, RequestKind, TokenKind};
use serde_json::Value;

use crate::{BUILDS_GO_LATEST_STAYS, Ghcr, Outcome, TOKEN, assert_every_tag_resolves, token_env};

const BINARY: &str = env!("CARGO_BIN_EXE_gantry-prune");

/// A runner-like step: a directory with empty `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`.
struct Step {
    dir: tempfile::TempDir,
}

struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Step {
    fn new() -> Step {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("output"), "").unwrap();
        std::fs::write(dir.path().join("summary"), "").unwrap();
        Step { dir }
    }

    fn command(&self, argv: &[String], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(&argv[1..])
            .env_clear()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", self.dir.path().join("output"))
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("summary"))
            .envs(env.iter().copied())
            .current_dir(self.dir.path());
        command
    }

    fn run(&self, argv: &[String], env: &[(&str, &str)]) -> Finished {
        let Output {
            status,
            stdout,
            stderr,
        } = self.command(argv, env).output().unwrap();
        Finished {
            code: status.code().expect("exited, not killed"),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn argv(ghcr: &Ghcr, extra: &[&str]) -> Vec<String> {
    ghcr.argv(extra)
}

/// A package with an old multi-arch image (4 children), a new one and a loose image.
fn three_images(ghcr: &Ghcr) {
    ghcr.old_and_new();
    ghcr.registry.image("acme/api").push();
}

#[test]
fn outputs_summary_and_the_json_report_under_actions() {
    let ghcr = Ghcr::start();
    three_images(&ghcr);
    let step = Step::new();
    let run = step.run(
        &argv(
            &ghcr,
            &[
                "--packages",
                "api",
                "--keep-tagged",
                "1",
                "--format",
                "json",
                "--apply",
            ],
        ),
        &token_env(TOKEN),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["deleted", "kept", "skipped", "failed", "api-calls"]);
    let entry = &report["deleted"][0];
    let fields: Vec<&String> = entry.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["package", "id", "digest", "tags", "reason"]);
    assert_eq!(report["deleted"].as_array().unwrap().len(), 6);
    assert_eq!(report["api-calls"]["rest"]["deletes"], 6);
    let outputs = step.read("output");
    assert_eq!(
        outputs,
        "deleted=6\nkept=3\nskipped=0\nfailed=0\ndry-run=false\n"
    );
    crate::assert_stable!("summary", &step.read("summary"));
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[test]
fn the_text_report_is_the_plan_in_a_dry_run() {
    let ghcr = Ghcr::start();
    three_images(&ghcr);
    let step = Step::new();
    let run = step.run(
        &argv(&ghcr, &["--keep-tagged", "1"]),
        &[
            ("GITHUB_TOKEN", TOKEN),
            ("REGISTRY_PASSWORD", TOKEN),
            ("INPUT_PACKAGES", "api"),
            ("INPUT_APPLY", "false"),
            ("INPUT_FORMAT", ""),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    crate::assert_stable!("dry_run_text", &run.stdout);
    assert_eq!(
        step.read("output"),
        "deleted=6\nkept=3\nskipped=0\nfailed=0\ndry-run=true\n"
    );
    assert_eq!(ghcr.fake.count(RequestKind::VersionDelete), 0);
}

#[test]
fn the_token_never_appears_in_any_output() {
    let ghcr = Ghcr::start();
    three_images(&ghcr);
    // Deletes that fail, and a package that does not exist.
    ghcr.fake.fail_next(RequestKind::VersionDelete, 422, 1000);
    let step = Step::new();
    let run = step.run(
        &argv(
            &ghcr,
            &[
                "--packages",
                "api,ghost",
                "--keep-tagged",
                "1",
                "--apply",
                "-vv",
            ],
        ),
        &[
            ("GITHUB_TOKEN", TOKEN),
            ("REGISTRY_PASSWORD", TOKEN),
            ("RUNNER_DEBUG", "1"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut secrets = ghcr.fake.issued_registry_tokens();
    assert!(!secrets.is_empty(), "the registry token exchange happened");
    secrets.push(TOKEN.to_owned());
    // The one line that must carry the token: how the runner learns to mask it.
    let stderr: String = run
        .stderr
        .lines()
        .filter(|line| *line != format!("::add-mask::{TOKEN}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(run.stderr.contains(&format!("::add-mask::{TOKEN}")));
    for (name, text) in [
        ("stdout", run.stdout.as_str()),
        ("stderr", stderr.as_str()),
        ("outputs", step.read("output").as_str()),
        ("summary", step.read("summary").as_str()),
    ] {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} shows a secret:\n{text}"
            );
        }
    }
    assert!(stderr.contains("versions could not be deleted"), "{stderr}");
    assert!(
        stderr.contains("::warning::acme/ghost: no such package"),
        "{stderr}"
    );
}

#[test]
fn bad_input_is_2_and_failed_deletes_are_1() {
    let ghcr = Ghcr::start();
    ghcr.registry.image("acme/api").push();
    let step = Step::new();
    /// Flags, environment, and what the error says.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        (&["--packages", "api"], &[], "GITHUB_TOKEN is not set"),
        (
            &["--packages", "api", "--protect-tags", "v[1"],
            &token_env(TOKEN),
            "invalid glob `v[1` in --protect-tags",
        ),
        (
            &["--packages", "api", "--older-than", "soon"],
            &token_env(TOKEN),
            "is not a duration",
        ),
        (
            &["--packages", "api", "--owner", "nobody"],
            &token_env(TOKEN),
            "GitHub knows no user or organisation `nobody`",
        ),
    ];
    for (args, env, message) in cases {
        let run = step.run(&argv(&ghcr, args), env);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    // A refusal nothing retries (a 5xx would be retried for seconds first).
    ghcr.fake.fail_next(RequestKind::VersionDelete, 422, 1000);
    let run = step.run(
        &argv(&ghcr, &["--packages", "api", "--apply"]),
        &token_env(TOKEN),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(step.read("output").contains("failed=1\n"));
}

#[test]
fn the_manifest_names_the_packages_and_the_retention_defaults() {
    let ghcr = Ghcr::start();
    for service in ["api", "web"] {
        let repository = format!("acme/shop-{service}");
        let old = ghcr.registry.image(&repository).tag("old").push();
        let latest = ghcr.registry.image(&repository).tag("latest").push();
        let new = ghcr.registry.image(&repository).tag("new").push();
        ghcr.age(&repository, &old.digest, 60);
        ghcr.age(&repository, &latest.digest, 90);
        ghcr.age(&repository, &new.digest, 1);
    }
    let step = Step::new();
    for service in ["api", "web"] {
        std::fs::create_dir_all(step.path().join("services").join(service)).unwrap();
        std::fs::write(
            step.path()
                .join("services")
                .join(service)
                .join("Dockerfile"),
            "",
        )
        .unwrap();
    }
    let manifest = format!(
        "version: 1\nregistry: {}/acme\nimage-prefix: shop-\nservices:\n  api:\n    context: services/api\n  web:\n    context: services/web\nretention:\n  keep-tagged: 1\n  older-than: 30d\n  protect-tags: [latest]\n",
        ghcr.fake.registry_host()
    );
    std::fs::write(step.path().join("gantry.yml"), manifest).unwrap();
    let argv: Vec<String> = [
        "gantry-prune",
        "--api-url",
        &ghcr.fake.api_url(),
        "--registry-url",
        &ghcr.fake.registry_url(),
        "--username",
        "acme-bot",
        "--apply",
    ]
    .map(str::to_owned)
    .to_vec();
    let run = step.run(&argv, &token_env(TOKEN));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("acme/shop-api: 3 versions: 1 deleted"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("acme/shop-web: 3 versions: 1 deleted"),
        "{}",
        run.stdout
    );
    for repository in ["acme/shop-api", "acme/shop-web"] {
        assert_eq!(ghcr.registry.list_tags(repository), ["latest", "new"]);
        assert_every_tag_resolves(&ghcr.registry, repository);
    }
    // A flag wins over the manifest.
    let run = step.run(
        &[argv, vec!["--keep-tagged".into(), "0".into()]].concat(),
        &token_env(TOKEN),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("acme/shop-api: 2 versions: 0 deleted"),
        "{}",
        run.stdout
    );
}

/// Waits until `done` (checked every 20 ms), at most a minute.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(mut child: Child) {
    // Our own child, by its handle: SIGKILL, as a cancelled runner does.
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_run_killed_midway_leaves_every_tag_whole_and_the_rerun_converges() {
    let ghcr = Ghcr::start();
    let doomed = ghcr.builds(12);
    let kept = ghcr
        .registry
        .index("acme/api")
        .attestations()
        .tag("latest")
        .push();
    let step = Step::new();
    let argv = argv(
        &ghcr,
        &[
            &["--packages", "api", "--max-deletes-per-minute", "600"][..],
            &BUILDS_GO_LATEST_STAYS,
        ]
        .concat(),
    );
    let child = step
        .command(&argv, &token_env(TOKEN))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("five deletions", || ghcr.fake.deleted() >= 5);
    kill(child);
    let deleted_before = ghcr.fake.deleted();
    assert!(deleted_before < 60, "killed before the end");
    // Parents went first: whatever is still tagged resolves, children and blobs included.
    assert_every_tag_resolves(&ghcr.registry, "acme/api");

    let run = ghcr
        .prune(&[&["--packages", "api"][..], &BUILDS_GO_LATEST_STAYS].concat())
        .await;
    let outcome = Outcome::of(&run);
    assert!(outcome.report.failed.is_empty());
    assert_eq!(
        outcome.report.deleted.len() as u64 + deleted_before,
        12 * 5,
        "the rerun deletes exactly what was left"
    );
    for index in &doomed {
        assert!(!ghcr.registry.manifest_exists("acme/api", &index.digest));
    }
    assert_eq!(ghcr.registry.list_tags("acme/api"), ["latest"]);
    ghcr.registry.assert_resolves_fully(&kept.reference());
}

#[tokio::test]
async fn an_oci_run_killed_midway_converges_too() {
    let registry = crate::registry();
    let doomed = registry.builds("acme/api", 10);
    registry.index("acme/api").tag("latest").push();
    let flags = ["--packages", "api", "--delete-tags", "build-*", "--apply"];
    let paced = crate::oci_argv(
        &registry,
        &[&flags[..], &["--max-deletes-per-minute", "300"]].concat(),
    );
    let step = Step::new();
    let child = step
        .command(&paced, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("three builds deleted", || {
        registry.list_tags("acme/api").len() <= 11 - 3
    });
    kill(child);
    assert_every_tag_resolves(&registry, "acme/api");
    let rerun = step.run(&crate::oci_argv(&registry, &flags), &[]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(registry.list_tags("acme/api"), ["latest"]);
    assert_every_tag_resolves(&registry, "acme/api");
    // Children of the indexes deleted before the kill were journaled, so none is left
    // behind where no tag reaches it.
    for index in &doomed {
        for digest in crate::family(index) {
            assert!(!registry.manifest_exists("acme/api", &digest), "{digest}");
        }
    }
}

/// The done-when check of a token that may read but not delete: the run fails, and every
/// index it did not delete still has every child.
#[test]
fn a_token_that_cannot_delete_fails_and_leaves_every_index_whole() {
    let ghcr = Ghcr::start();
    ghcr.fake.add_token(
        "ghs_reader",
        "github-actions[bot]",
        TokenKind::GithubToken {
            packages: vec!["api".into()],
            role: PackageRole::Read,
        },
    );
    let indexes = ghcr.builds(3);
    let kept = ghcr.registry.index("acme/api").tag("latest").push();
    let step = Step::new();
    let run = step.run(
        &argv(
            &ghcr,
            &[&["--packages", "api"][..], &BUILDS_GO_LATEST_STAYS].concat(),
        ),
        &crate::token_env("ghs_reader"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("GitHub refused the deletes")
            && run
                .stderr
                .contains("Admin role under the package's settings"),
        "{}",
        run.stderr
    );
    assert!(step.read("output").contains(
        "deleted=0
"
    ));
    assert_eq!(ghcr.fake.deleted(), 0);
    for index in indexes.iter().chain([&kept]) {
        ghcr.registry.assert_resolves_fully(&index.reference());
        for child in index.child_digests() {
            ghcr.registry
                .assert_resolves_fully(&format!("acme/api@{child}"));
        }
    }
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}
