//! The binary as people and the runner run it: reports, outputs, summary, exit statuses,
//! and secrets that never show.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gantry_testkit::faults::{Hostile, HostileServer};
use gantry_testkit::{BASIC_PASSWORD, BASIC_USER, Index, Registry, RegistryOptions, Run, Step};
use serde_json::{Value, json};
use std::time::Duration;

use crate::{PROMOTE, assert_same_image, run};

/// Digests are random per run; snapshots show where they go.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"sha256:[0-9a-f]{64}", "[digest]"),
        (r"127\.0\.0\.1:\d+", "[registry]"),
    ]
}

/// `acme/api:build`: a two-platform index with attestations.
fn push_build(registry: &Registry) -> Index {
    registry
        .index("acme/api")
        .attestations()
        .tag("build")
        .push()
}

#[test]
fn the_text_report_has_a_line_per_tag() {
    let registry = Registry::start();
    let host = registry.host();
    let old = registry.image("acme/api").tag("production").push();
    let new = registry.image("acme/api").tag("build").push();
    let image = format!("{host}/acme/api:build");
    let run = run(&["--image", &image, "--tags", "production, v1\nbuild"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = &new.digest;
    assert_eq!(
        run.stdout,
        format!(
            "{host}/acme/api:production → {digest} (moved from {})\n\
             {host}/acme/api:v1 → {digest} (created)\n\
             {host}/acme/api:build → {digest} (unchanged)\n",
            old.digest
        )
    );
    assert_same_image(&registry, "acme/api:build", "acme/api:production");
    assert_same_image(&registry, "acme/api:build", "acme/api:v1");
}

#[test]
fn registry_url_maps_the_image_registry_and_json_has_the_documented_shape() {
    let registry = Registry::start();
    let index = push_build(&registry);
    let run = run(
        &[
            "--image",
            "ghcr.io/acme/api:build",
            "--tags",
            "production",
            "--registry-url",
            &registry.url(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        document,
        json!({
            "image": "ghcr.io/acme/api:build",
            "digest": index.digest,
            "media-type": "application/vnd.oci.image.index.v1+json",
            "tags": [{
                "tag": "production",
                "reference": "ghcr.io/acme/api:production",
                "previous-digest": null,
                "status": "created",
            }],
        })
    );
    assert_same_image(&registry, "acme/api:build", "acme/api:production");
}

#[test]
fn inputs_come_from_the_environment() {
    let registry = Registry::start();
    let image = registry.image("acme/api").tag("build").push();
    let reference = format!("{}/acme/api:build", registry.host());
    let run = run(
        &[],
        &[
            ("INPUT_IMAGE", &reference),
            ("INPUT_TAGS", "production\nv1\n"),
            ("INPUT_FORMAT", "json"),
            ("INPUT_REGISTRY_URL", ""),
            ("INPUT_USERNAME", ""),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["digest"], image.digest.as_str());
    assert_eq!(
        registry.list_tags("acme/api"),
        ["build", "production", "v1"]
    );
}

#[test]
fn under_actions_outputs_and_the_summary_are_written() {
    let registry = Registry::start();
    let index = push_build(&registry);
    let previous = registry.image("acme/api").tag("v1").push();
    let image = format!("{}/acme/api:build", registry.host());
    let step = Step::new();
    let run = step.run(
        PROMOTE,
        &["--image", &image, "--tags", "production,v1"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("::group::Promoting "),
        "{}",
        run.stderr
    );

    let outputs = step.outputs();
    let names: Vec<&str> = outputs.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["digest", "references", "json"]);
    assert_eq!(outputs[0].1, index.digest);
    assert_eq!(
        outputs[1].1,
        format!("{0}/acme/api:production\n{0}/acme/api:v1", registry.host())
    );
    let document: Value = serde_json::from_str(&outputs[2].1).unwrap();
    assert_eq!(
        document["tags"][1]["previous-digest"],
        previous.digest.as_str()
    );
    assert_eq!(document["tags"][1]["status"], "moved");

    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("actions_stdout", run.stdout);
        insta::assert_snapshot!("actions_summary", step.summary());
    });
}

#[test]
fn a_missing_source_is_manifest_unknown_naming_the_reference() {
    let registry = Registry::start();
    registry.image("acme/api").tag("build").push();
    let image = format!("{}/acme/api:nope", registry.host());
    let missing = run(&["--image", &image, "--tags", "production"], &[]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains(&format!("manifest unknown: {image} does not exist")),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.stdout, "");

    // Through --registry-url the message also says where gantry looked.
    let mapped = run(
        &[
            "--image",
            "ghcr.io/acme/web:v1",
            "--tags",
            "production",
            "--registry-url",
            &registry.url(),
        ],
        &[],
    );
    assert_eq!(mapped.code, 1, "{}", mapped.stderr);
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("missing_source_report", mapped.stderr);
    });
    assert_eq!(registry.list_tags("acme/api"), ["build"]);
}

#[test]
fn a_broken_index_fails_closed_with_status_1() {
    let registry = Registry::start();
    let index = registry.index("acme/api").tag("build").push();
    let child = &index.images[0].digest;
    let deleted = std::process::Command::new("skopeo")
        .args(["delete", "--tls-verify=false", "--no-creds"])
        .arg(registry.skopeo_reference(&format!("acme/api@{child}")))
        .status()
        .unwrap();
    assert!(deleted.success());
    let image = format!("{}/acme/api:build", registry.host());
    let run = run(&["--image", &image, "--tags", "production"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{child} (linux/amd64)")),
        "{}",
        run.stderr
    );
    assert_eq!(registry.list_tags("acme/api"), ["build"]);
}

#[test]
fn bad_references_are_bad_input() {
    for (image, part) in [
        ("ghcr.io/Acme/api:v1", "invalid repository"),
        (
            "http://127.0.0.1:5000/acme/api:v1",
            "invalid image reference",
        ),
        ("ghcr.io/acme/api:-v1", "invalid tag"),
        ("ghcr.io/acme/api@sha256:abc", "invalid digest"),
        ("", "it is empty"),
    ] {
        let run = run(&["--image", image, "--tags", "production"], &[]);
        assert_eq!(run.code, 2, "{image}: {}", run.stderr);
        assert!(run.stderr.contains(part), "{image}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    let run = run(&["--image", "ghcr.io/acme/api:v1"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--tags"), "{}", run.stderr);
}

#[test]
fn bad_tags_and_urls_are_bad_input_and_nothing_is_written() {
    let registry = Registry::start();
    registry.image("acme/api").tag("build").push();
    let image = format!("{}/acme/api:build", registry.host());
    let full = format!("{}/acme/api:production", registry.host());
    for (tags, registry_url, expected) in [
        ("production,.hidden", None, "invalid tag in \".hidden\""),
        (
            full.as_str(),
            None,
            "--tags takes plain tags: write `production`",
        ),
        (" , ", None, "--tags is empty"),
        (
            "production",
            Some("ftp://127.0.0.1"),
            "the scheme must be http or https",
        ),
    ] {
        let mut args = vec!["--image", &image, "--tags", tags];
        args.extend(registry_url.iter().flat_map(|url| ["--registry-url", url]));
        let run = run(&args, &[]);
        assert_eq!(run.code, 2, "{tags}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{tags}: {}", run.stderr);
    }
    assert_eq!(registry.list_tags("acme/api"), ["build"]);
}

/// A registry demanding Basic auth, holding `acme/private:build` (an index with
/// attestations); returns it with the image's full reference.
fn private_build() -> (Registry, String) {
    let registry = Registry::start_with(RegistryOptions {
        basic_auth: true,
        ..RegistryOptions::default()
    });
    registry
        .index("acme/private")
        .attestations()
        .tag("build")
        .push();
    let image = format!("{}/acme/private:build", registry.host());
    (registry, image)
}

/// Fails if `secret` shows anywhere a person or a later step could read it. Under Actions the
/// `::add-mask::` line that registers it is the exception.
fn assert_never_shown(secret: &str, run: &Run, step: Option<&Step>) {
    let mask = format!("::add-mask::{secret}");
    let stderr: Vec<&str> = run.stderr.lines().filter(|line| *line != mask).collect();
    let mut shown = vec![run.stdout.clone(), stderr.join("\n")];
    if let Some(step) = step {
        shown.push(step.read("output"));
        shown.push(step.summary());
    }
    for text in shown {
        assert!(!text.contains(secret), "{secret:?} shown in:\n{text}");
    }
}

/// Under Actions a secret is registered with the runner exactly once.
fn assert_masked_once(secret: &str, run: &Run) {
    let mask = format!("::add-mask::{secret}");
    let count = run.stderr.lines().filter(|line| *line == mask).count();
    assert_eq!(count, 1, "{}", run.stderr);
}

#[test]
fn a_wrong_password_fails_with_a_hint_and_never_shows() {
    let (registry, image) = private_build();
    let wrong = "wrong-password-4711";
    let step = Step::new();
    let run = step.run(
        PROMOTE,
        &[
            "--image",
            &image,
            "--tags",
            "production",
            "--username",
            BASIC_USER,
        ],
        &[("REGISTRY_PASSWORD", wrong)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("refused access to acme/private"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("check the registry user name and password"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("::error title=gantry%3A%3Aregistry%3A%3Aauth::"),
        "{}",
        run.stderr
    );
    assert_masked_once(wrong, &run);
    assert_never_shown(wrong, &run, Some(&step));
    assert_eq!(registry.list_tags("acme/private"), ["build"]);
}

#[test]
fn the_right_password_promotes_and_never_shows() {
    let (registry, image) = private_build();
    let step = Step::new();
    let run = step.run(
        PROMOTE,
        &["--image", &image, "--tags", "production", "-vv"],
        &[
            ("INPUT_USERNAME", BASIC_USER),
            ("REGISTRY_PASSWORD", BASIC_PASSWORD),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_masked_once(BASIC_PASSWORD, &run);
    assert_never_shown(BASIC_PASSWORD, &run, Some(&step));
    // Not even as the Basic authorization value, in the most verbose logs.
    let basic = STANDARD.encode(format!("{BASIC_USER}:{BASIC_PASSWORD}"));
    assert_never_shown(&basic, &run, Some(&step));
    assert_same_image(&registry, "acme/private:build", "acme/private:production");
}

/// `--image ghcr.io/…` read through a loopback `--registry-url` whose 401 names a token
/// service on another host: the endpoint decides, so neither that server nor its token
/// service ever sees GITHUB_TOKEN (the old behaviour handed it `Basic gantry:<token>`).
#[test]
fn the_github_token_never_follows_a_ghcr_name_to_another_server() {
    let (registry, realm) = HostileServer::with_realm_elsewhere();
    let token = "ghs_RecognisableTokenValue0123456789";
    let step = Step::new();
    let run = step.run(
        PROMOTE,
        &[
            "--image",
            "ghcr.io/acme/private:build",
            "--registry-url",
            &registry.url(),
            "--tags",
            "production",
            "-vv",
        ],
        &[("GITHUB_TOKEN", token)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("set GITHUB_TOKEN for ghcr.io, or registry credentials"),
        "anonymous, as far as the registry can tell: {}",
        run.stderr
    );
    let seen = [registry.requests(), realm.requests()].concat();
    assert!(!seen.is_empty());
    for head in &seen {
        assert!(
            !head.to_ascii_lowercase().contains("authorization"),
            "{head}"
        );
    }
    assert_masked_once(token, &run);
    assert_never_shown(token, &run, Some(&step));
}

/// A registry password goes to a token service over plain HTTP only on the registry's own
/// host: a challenge naming another host is refused before anything is sent there.
#[test]
fn a_password_never_goes_to_a_plain_http_token_service_elsewhere() {
    let (registry, realm) = HostileServer::with_realm_elsewhere();
    let password = "reg-password-for-this-registry-only";
    let run = run(
        &[
            "--image",
            &format!("{}/acme/api:v1", registry.host()),
            "--tags",
            "production",
            "--username",
            "robot",
        ],
        &[("REGISTRY_PASSWORD", password)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the registry password is not sent there"),
        "{}",
        run.stderr
    );
    assert!(realm.requests().is_empty(), "{:?}", realm.requests());
    assert_never_shown(password, &run, None);
}

/// A 500 MB "manifest" is refused unread (exit 2: no registry answers that), and a registry
/// dripping its answer a byte at a time is cut off: the run ends in seconds, not days.
#[test]
fn hostile_registry_answers_end_the_run_in_time() {
    let huge = HostileServer::start(Hostile::Huge(500 << 20));
    let image = format!("{}/acme/api:v1", huge.host());
    let args = ["--image", image.as_str(), "--tags", "production"];
    let (run, _) =
        gantry_testkit::process::run_within(PROMOTE, &args, &[], Duration::from_secs(60));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("larger than 4 MiB"), "{}", run.stderr);

    let drip = HostileServer::start(Hostile::Drip(Duration::from_millis(200)));
    let image = format!("{}/acme/api:v1", drip.host());
    let args = ["--image", image.as_str(), "--tags", "production"];
    let env = [
        ("GANTRY_HTTP_REQUEST_TIMEOUT", "1s"),
        ("GANTRY_HTTP_RETRY_DELAY", "10ms"),
    ];
    // Five attempts of at most a second each: well inside the limit, where the drip alone
    // would take 58 hours.
    let (run, _) =
        gantry_testkit::process::run_within(PROMOTE, &args, &env, Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

#[test]
fn the_github_token_is_not_offered_to_other_registries() {
    let (_registry, image) = private_build();
    let token = "ghs_NotForOtherRegistries0123456789";
    let run = run(
        &["--image", &image, "--tags", "production", "-vv"],
        &[("GITHUB_TOKEN", token)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("GITHUB_TOKEN is set but not sent to 127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("set GITHUB_TOKEN for ghcr.io, or registry credentials"),
        "anonymous, as far as the registry can tell: {}",
        run.stderr
    );
    assert_never_shown(token, &run, None);
}

#[test]
fn half_given_credentials_are_bad_input_and_never_show() {
    let password = "half-given-password-0815";
    let run = run(
        &["--image", "ghcr.io/acme/api:v1", "--tags", "production"],
        &[("REGISTRY_PASSWORD", password)],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("REGISTRY_PASSWORD is set but --username"),
        "{}",
        run.stderr
    );
    assert_never_shown(password, &run, None);

    let run = crate::run(
        &[
            "--image",
            "ghcr.io/acme/api:v1",
            "--tags",
            "production",
            "--username",
            "robot",
        ],
        &[("GITHUB_TOKEN", "ghs_unused")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--username robot is given but REGISTRY_PASSWORD is not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn environment_tags_what_runs_there() {
    let registry = Registry::start();
    let host = registry.host();
    let api = registry.image("acme/api").tag("production").push();
    let web = registry.image("acme/web").tag("production").push();
    registry.image("acme/web").tag("staging").push();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let manifest = dir.path().join("gantry.yml");
    std::fs::write(
        &manifest,
        format!(
            "version: 1\nregistry: {host}/acme\nservices:\n  \
             api:\n    context: .\n    deploy:\n      environments:\n        \
               staging: {{dokploy: {{application: a1}}}}\n        \
               production: {{dokploy: {{application: a2}}}}\n  \
             web:\n    context: .\n    deploy:\n      environments:\n        \
               staging: {{dokploy: {{application: w1}}}}\n        \
               production: {{dokploy: {{application: w2}}}}\n  \
             docs:\n    context: .\n\
             deploy:\n  environments:\n    \
               staging: {{dokploy: {{url: https://dk.example.com}}}}\n    \
               production: {{dokploy: {{url: https://dk.example.com}}, promote-from: staging}}\n"
        ),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();
    let tagged = run(
        &[
            "--manifest",
            manifest,
            "--environment",
            "production",
            "--tags",
            "v1.2.3",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(tagged.code, 0, "{}", tagged.stderr);
    assert_eq!(registry.digest_of("acme/api:v1.2.3"), api.digest);
    assert_eq!(registry.digest_of("acme/web:v1.2.3"), web.digest);
    assert!(
        !registry
            .list_tags("acme/docs")
            .contains(&"v1.2.3".to_owned())
    );
    let json: serde_json::Value = serde_json::from_str(&tagged.stdout).unwrap();
    assert_eq!(json["environment"], "production");
    assert_eq!(json["promotions"].as_array().unwrap().len(), 2);
    assert_eq!(json["promotions"][1]["digest"], web.digest.as_str());

    let unknown = run(
        &[
            "--manifest",
            manifest,
            "--environment",
            "prod",
            "--tags",
            "v1",
        ],
        &[],
    );
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("has no environment `prod`"),
        "{}",
        unknown.stderr
    );
    let neither = run(&["--tags", "v1"], &[]);
    assert_eq!(neither.code, 2, "{}", neither.stderr);
}
