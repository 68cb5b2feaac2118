//! `--since-last-build` against a real registry: each service's base is the commit of its
//! newest `sha-…` tag, so a build that failed is retried until one succeeds.

use gantry_testkit::Registry;
use serde_json::{Value, json};

use crate::support::{MANIFEST, Repo, Sandbox, Step, pairs, reasons};

/// The test monorepo with its images in `registry`, pushed to a bare origin:
/// - C1: every service but `spaced` built;
/// - C2: api changed, its build failed (no tag);
/// - C3: worker changed and built.
struct History {
    sandbox: Sandbox,
    dev: Repo,
    origin: std::path::PathBuf,
    c1: String,
    c2: String,
    c3: String,
}

fn short(sha: &str) -> &str {
    &sha[..7]
}

fn history(registry: &Registry) -> History {
    let sandbox = Sandbox::new();
    let dev = sandbox.repo("dev");
    let manifest = MANIFEST.replace(
        "registry: ghcr.io/acme",
        &format!("registry: {}/acme", registry.host()),
    );
    dev.write_all(crate::support::FILES);
    dev.write("gantry.yml", &manifest);
    let c1 = dev.commit("initial");
    for service in ["api", "web", "worker"] {
        registry
            .image(&format!("acme/{service}"))
            .tag(&format!("sha-{}", short(&c1)))
            .push();
    }
    dev.write("services/api/main.py", "print('v2')\n");
    let c2 = dev.commit("api, whose build fails");
    dev.write("services/worker/worker.py", "print('v2')\n");
    let c3 = dev.commit("worker");
    registry
        .image("acme/worker")
        .tag(&format!("sha-{}", short(&c3)))
        .push();
    // Tags of other kinds are not builds.
    registry.image("acme/web").tag("latest").push();
    let origin = sandbox.bare("origin.git");
    dev.git(&["remote", "add", "origin", &origin.display().to_string()]);
    dev.git(&["push", "-q", "origin", "main"]);
    History {
        sandbox,
        dev,
        origin,
        c1,
        c2,
        c3,
    }
}

fn push_event(step: &Step, history: &History) -> String {
    step.event(&json!({
        "ref": "refs/heads/main",
        "before": history.c2,
        "after": history.c3,
        "created": false, "deleted": false, "forced": false,
        "repository": {"full_name": "acme/shop", "default_branch": "main"}
    }))
}

#[test]
fn a_failed_build_is_retried_until_one_succeeds() {
    let registry = Registry::start();
    let history = history(&registry);
    let step = Step::new();
    let event = push_event(&step, &history);
    let env = [
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_EVENT_PATH", event.as_str()),
    ];

    // The push's own base (`before` = C2) forgets api, whose build failed at C2.
    let run = step.run(&history.dev, &["--format", "json"], &env);
    assert_eq!(
        reasons(&run.json()),
        pairs(&[("worker", "file services/worker/worker.py")])
    );

    let run = step.run(
        &history.dev,
        &["--format", "json", "--since-last-build"],
        &env,
    );
    let document = run.json();
    let c1 = short(&history.c1);
    assert_eq!(
        reasons(&document),
        pairs(&[
            (
                "api",
                &format!("not built since {c1}: file services/api/main.py")
            ),
            ("spaced", "not built yet"),
        ])
    );
    assert_eq!(
        document["last-builds"],
        json!({"api": history.c1, "web": history.c1, "worker": history.c3, "spaced": null})
    );
    assert_eq!(document["head"], history.c3);
    assert_eq!(document["base"], Value::Null);
    assert!(
        run.stderr
            .contains("::group::Reading the sha tags of 4 images"),
        "{}",
        run.stderr
    );

    let run = history.dev.run(&["--since-last-build", "--explain"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");
    for line in [
        &format!("api     not built since {c1}: file services/api/main.py\n"),
        "worker  not selected: its newest image was built from the head commit\n",
        "spaced  selected: not built yet\n",
    ] {
        let line = line.replace("api     not", "api     selected: not");
        assert!(run.stdout.contains(line.as_str()), "{line}\n{}", run.stdout);
    }
}

#[test]
fn a_shallow_checkout_is_deepened_to_the_last_build() {
    let registry = Registry::start();
    let history = history(&registry);
    let ci = history
        .sandbox
        .clone(&history.origin, "ci", &["--depth=1", "--branch", "main"]);
    let run = ci.run(&["--since-last-build", "--format", "json"], &[]);
    let c1 = short(&history.c1);
    assert_eq!(
        reasons(&run.json()),
        pairs(&[
            (
                "api",
                &format!("not built since {c1}: file services/api/main.py")
            ),
            ("spaced", "not built yet"),
        ])
    );
    assert!(
        run.stderr.contains(&format!(
            "git fetch --depth=100 origin {} (looking for each service's last build)",
            history.c3
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn the_registry_url_and_the_tag_rules_are_followed() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    // The manifest names ghcr.io; --registry-url reads the same repositories elsewhere. Its
    // rules tag builds `build-<sha>`.
    let manifest = MANIFEST.replace(
        "libraries:",
        "tags: |\n  type=sha,prefix=build-\n  type=ref,event=branch\nlibraries:",
    );
    repo.write("gantry.yml", &manifest);
    let c1 = repo.commit("rules");
    for service in ["api", "web", "worker", "spaced"] {
        registry
            .image(&format!("acme/{service}"))
            .tag(&format!("build-{}", short(&c1)))
            .push();
    }
    // An old-style tag of a later commit is not one of these builds.
    repo.write("services/web/index.html", "v2\n");
    let c2 = repo.commit("web");
    registry
        .image("acme/web")
        .tag(&format!("sha-{}", short(&c2)))
        .push();

    let url = registry.url();
    let run = repo.run(
        &[
            "--since-last-build",
            "--registry-url",
            &url,
            "--format",
            "json",
        ],
        &[("GITHUB_TOKEN", "ghp_never-sent-to-this-registry")],
    );
    assert_eq!(
        reasons(&run.json()),
        pairs(&[(
            "web",
            &format!(
                "not built since {}: file services/web/index.html",
                short(&c1)
            )
        )])
    );
    assert!(!run.stderr.contains("ghp_never"), "{}", run.stderr);
}

#[test]
fn since_last_build_is_refused_with_base_and_when_the_registry_is_unreachable() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let run = repo.run(&["--since-last-build", "--base", "HEAD"], &[]);
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr.contains("--since-last-build and --base"),
        "{}",
        run.stderr
    );

    // Nothing listens there: the run fails (exit 1) rather than guessing.
    let run = repo.run(
        &["--since-last-build", "--registry-url", "http://127.0.0.1:9"],
        &[("GANTRY_HTTP_RETRY_DELAY", "1ms")],
    );
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr
            .contains("cannot read the builds of service `api`"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}
