//! `--manifest gantry.yml --service NAME`: the image and the tag rules from the manifest,
//! and problems located in it.

use crate::support::{Finished, Step};

const MANIFEST: &str = r#"version: 1
registry: ghcr.io/acme
image-prefix: "shop-"
tags: |
  type=ref,event=branch
  type=sha,prefix=staging-
  type=raw,value=latest,enable={{is_default_branch}}
services:
  api:
    context: services/api
  web:
    context: services/web
    tags: |
      type=ref,event=branch
      type=raw,value=web-{{branch}},evnt=x
  admin:
    context: services/admin
    tags: |
      type=sha
      type=semvr,pattern={{version}}
"#;

fn run(args: &[&str]) -> Finished {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gantry.yml"), MANIFEST).unwrap();
    for service in ["api", "web", "admin"] {
        let context = dir.path().join("services").join(service);
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("Dockerfile"), "FROM scratch\n").unwrap();
    }
    let finished = Step::new()
        .actions()
        .cwd(dir.path())
        .event("push", "push-branch.json")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a")
        .env("SOURCE_DATE_EPOCH", "1714557600")
        .args(["--manifest", "gantry.yml"])
        .args(args.iter().copied())
        .run();
    drop(dir);
    finished
}

/// The manifest line holding `text`.
fn line_of(text: &str) -> usize {
    MANIFEST
        .lines()
        .position(|line| line.contains(text))
        .unwrap()
        + 1
}

#[test]
fn image_and_rules_come_from_the_manifest() {
    let run = run(&["--service", "api"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.output("tags").unwrap(),
        "ghcr.io/acme/shop-api:main\nghcr.io/acme/shop-api:latest\nghcr.io/acme/shop-api:staging-5e8a1c3"
    );
    assert!(!run.stderr.contains("::warning"), "{}", run.stderr);
}

#[test]
fn a_service_s_own_rules_win_and_warnings_point_into_the_manifest() {
    let run = run(&["--service", "web"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.output("tag-names").unwrap(),
        "main\nweb-main",
        "the service's rules replace the top-level ones"
    );
    let line = line_of("evnt=x");
    let column = MANIFEST
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("evnt")
        .unwrap()
        + 1;
    let expected =
        format!("::warning file=gantry.yml,line={line},col={column},title=gantry-tags::");
    assert!(
        run.stderr.contains(&expected),
        "{expected}\nin\n{}",
        run.stderr
    );
}

#[test]
fn a_bad_rule_is_an_error_at_its_manifest_line() {
    let run = run(&["--service", "admin"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    let line = line_of("type=semvr");
    let expected = format!("::error file=gantry.yml,line={line},col=");
    assert!(
        run.stderr.contains(&expected),
        "{expected}\nin\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("unknown tag type `semvr`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `type=semver`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn flags_win_over_the_manifest() {
    let run = run(&[
        "--service",
        "api",
        "--tags",
        "type=raw,value=pinned",
        "--images",
        "a/b",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.output("tags"), Some("a/b:pinned"));
}

#[test]
fn an_unknown_service_is_bad_input_with_a_suggestion() {
    let run = run(&["--service", "apo"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("service `apo` is not in gantry.yml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("did you mean `api`?"), "{}", run.stderr);
}

#[test]
fn a_rule_that_would_set_an_environment_s_tag_is_warned_about_with_the_fix() {
    let manifest = "version: 1\n\
                    registry: ghcr.io/acme\n\
                    tags: |\n  type=ref,event=branch\n  type=sha\n\
                    services:\n  api:\n    context: .\n    deploy:\n      environments:\n        \
                    staging: {dokploy: {application: app1}}\n        \
                    production: {dokploy: {application: app2}}\n\
                    deploy:\n  environments:\n    \
                    staging: {dokploy: {url: https://dk.example.com}}\n    \
                    production: {dokploy: {url: https://dk.example.com}, promote-from: staging}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gantry.yml"), manifest).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let on_branch = |branch: &str| {
        Step::new()
            .actions()
            .cwd(dir.path())
            .event("push", "push-branch.json")
            .env("GITHUB_REF", &format!("refs/heads/{branch}"))
            .env("GITHUB_SHA", "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a")
            .args(["--manifest", "gantry.yml", "--service", "api"])
            .run()
    };
    let run = on_branch("staging");
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.output("tag-names").unwrap(), "staging\nsha-5e8a1c3");
    assert!(
        run.stderr.contains("::warning title=gantry-tags::tag `staging` is the name of environment `staging`: only gantry-dokploy"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("prefix=branch-")
            && run.stderr.contains("github.ref_name != 'staging'"),
        "the warning gives the fix: {}",
        run.stderr
    );
    let run = on_branch("main");
    assert!(!run.stderr.contains("::warning"), "{}", run.stderr);
}
