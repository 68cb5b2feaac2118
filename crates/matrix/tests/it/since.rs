//! `--since-last-build` against a real registry: each service's base is the commit of its
//! newest `sha-…` tag, so a build that failed is retried until one succeeds.

use gantry_testkit::Registry;
use serde_json::{Value, json};

use crate::support::{FILES, MANIFEST, Remote, Sandbox, Step, pairs, reasons};

/// The test monorepo with its images in `registry`, pushed to a bare origin:
/// - C1: every service but `spaced` built;
/// - C2: api changed, its build failed (no tag);
/// - C3: worker changed and built.
struct History {
    remote: Remote,
    c1: String,
    c2: String,
    c3: String,
}

fn short(sha: &str) -> &str {
    &sha[..7]
}

/// Pushes an image of `service` tagged `tag`.
fn built(registry: &Registry, service: &str, tag: &str) {
    registry.image(&format!("acme/{service}")).tag(tag).push();
}

fn history(registry: &Registry) -> History {
    // The rule gives the `sha-<short sha>` tags (also assumed without rules).
    let manifest = MANIFEST
        .replace(
            "registry: ghcr.io/acme",
            &format!("registry: {}/acme", registry.host()),
        )
        .replace("libraries:", "tags: |\n  type=sha\nlibraries:");
    let files: Vec<(&str, &str)> = FILES
        .iter()
        .map(|&(path, text)| {
            (
                path,
                if path == "gantry.yml" {
                    &manifest
                } else {
                    text
                },
            )
        })
        .collect();
    let remote = Remote::with(&files);
    let c1 = remote.dev.sha("HEAD");
    for service in ["api", "web", "worker"] {
        built(registry, service, &format!("sha-{}", short(&c1)));
    }
    let c2 = remote.commit(
        &[("services/api/main.py", "print('v2')\n")],
        "api, whose build fails",
    );
    let c3 = remote.commit(&[("services/worker/worker.py", "print('v2')\n")], "worker");
    built(registry, "worker", &format!("sha-{}", short(&c3)));
    // Tags of other kinds are not builds.
    built(registry, "web", "latest");
    remote.push(&["main"]);
    History { remote, c1, c2, c3 }
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
    let run = step.run(&history.remote.dev, &["--format", "json"], &env);
    assert_eq!(
        reasons(&run.json()),
        pairs(&[("worker", "file services/worker/worker.py")])
    );

    let run = step.run(
        &history.remote.dev,
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

    let run = history
        .remote
        .dev
        .run(&["--since-last-build", "--explain"], &[]);
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
    let ci = history.remote.checkout("main", &["--depth=1"]);
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
        built(&registry, service, &format!("build-{}", short(&c1)));
    }
    // An old-style tag of a later commit is not one of these builds.
    repo.write("services/web/index.html", "v2\n");
    let c2 = repo.commit("web");
    built(&registry, "web", &format!("sha-{}", short(&c2)));

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
fn since_last_build_is_refused_with_base_without_a_sha_rule_and_when_the_registry_is_unreachable() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let run = repo.run(&["--since-last-build", "--base", "HEAD"], &[]);
    run.assert_refused(2, &["--since-last-build and --base"]);

    // Without a type=sha rule gantry-tags pushes no tag naming the commit: refused, rather
    // than every service looking never built (or never rebuilt).
    repo.run(&["--since-last-build"], &[]).assert_refused(
        2,
        &[
            "--since-last-build finds builds by their type=sha tags",
            "of service `api`",
            "type=sha,prefix=sha-",
        ],
    );
    repo.write(
        "gantry.yml",
        &MANIFEST.replace("libraries:", "tags: |\n  type=sha\nlibraries:"),
    );
    repo.commit("a type=sha rule");

    // Nothing listens there: the run fails (exit 1) rather than guessing.
    let run = repo.run(
        &["--since-last-build", "--registry-url", "http://127.0.0.1:9"],
        &[("GANTRY_HTTP_RETRY_DELAY", "1ms")],
    );
    run.assert_refused(1, &["cannot read the builds of service `api`"]);
}

/// Tags `tag` onto the image `source` of `service` (what a deploy's ledger does).
fn retag(registry: &Registry, service: &str, source: &str, tag: &str) {
    registry.retag(&format!("acme/{service}:{source}"), tag);
}

#[test]
fn newer_than_selects_each_newest_build_the_tag_does_not_point_at() {
    let registry = Registry::start();
    let history = history(&registry);
    let c1 = short(&history.c1);
    let c3 = short(&history.c3);
    // staging runs web's newest build and worker's older one; api was never deployed.
    retag(&registry, "web", &format!("sha-{c1}"), "staging");
    retag(&registry, "worker", &format!("sha-{c1}"), "staging");
    let dev = &history.remote.dev;
    let document = dev.json(&["--newer-than", "staging"]);
    let host = registry.host();
    let worker = registry.digest_of(&format!("acme/worker:sha-{c3}"));
    let api = registry.digest_of(&format!("acme/api:sha-{c1}"));
    assert_eq!(
        reasons(&document),
        pairs(&[
            ("api", &format!("newest build {c1} not at staging")),
            ("worker", &format!("newest build {c3} not at staging")),
        ])
    );
    assert_eq!(
        document["images"],
        json!({
            "api": format!("{host}/acme/api:sha-{c1}@{api}"),
            "worker": format!("{host}/acme/worker:sha-{c3}@{worker}"),
        })
    );
    assert_eq!(document["matrix"]["include"][1]["service"], "worker");

    // --all: every service with a build, the ones staging runs too (a redeploy).
    let document = dev.json(&["--newer-than", "staging", "--all"]);
    assert_eq!(
        reasons(&document),
        pairs(&[
            ("api", &format!("newest build {c1}: --all")),
            ("web", &format!("newest build {c1}: --all")),
            ("worker", &format!("newest build {c3}: --all")),
        ])
    );

    // The history is the head's: at C1, worker's newest build is C1's, which staging runs.
    let document = dev.json(&["--newer-than", "staging", "--head", &history.c1]);
    assert_eq!(
        reasons(&document),
        pairs(&[("api", &format!("newest build {c1} not at staging"))])
    );

    for (other, flag) in [
        (&["--base", "HEAD"][..], "--base"),
        (&["--since-last-build"][..], "--since-last-build"),
        (&["--services", "api"][..], "--services"),
    ] {
        let mut args = vec!["--newer-than", "staging"];
        args.extend_from_slice(other);
        dev.run(&args, &[]).assert_refused(
            2,
            &[&format!(
                "--newer-than compares each service's newest build with a tag; {flag}"
            )],
        );
    }

    // Without a type=sha rule gantry-tags pushes no tag naming the commit: refused, rather
    // than every deploy finding nothing.
    let sandbox = Sandbox::new();
    sandbox
        .monorepo("repo")
        .run(&["--newer-than", "staging"], &[])
        .assert_refused(
            2,
            &[
                "no tag rule of service `api` gives one",
                "type=sha,prefix=sha-",
            ],
        );
}
