//! Environments as tools see them: declared ones, the single-target form as `default`,
//! targets and health URLs per service, reserved tags, history and retention rules.

use std::path::Path;

use gantry_manifest::ledger::Reserved;
use gantry_manifest::{
    DEFAULT_ENVIRONMENT, DEFAULT_HISTORY, DokployTarget, Keep, Manifest, ServiceTarget,
};

use crate::support::{parse, render, warnings};

fn staging_production() -> Manifest {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/good/staging-production.yml"
    ));
    let text = std::fs::read_to_string(path).unwrap();
    match gantry_manifest::parse("staging-production.yml", &text, None) {
        Ok(loaded) => {
            let warnings: Vec<String> = loaded.warnings.iter().map(|w| render(w)).collect();
            assert!(warnings.is_empty(), "{}", warnings.join("\n"));
            loaded.manifest
        }
        Err(e) => panic!("{}", render(&e)),
    }
}

fn names<'a>(services: impl Iterator<Item = &'a gantry_manifest::Service>) -> Vec<&'a str> {
    services.map(|s| s.name.as_str()).collect()
}

#[test]
fn declared_environments_keep_their_order_urls_and_sources() {
    let m = staging_production();
    let environments: Vec<(&str, Option<&str>, Option<&str>)> = m
        .environments()
        .map(|e| {
            (
                e.name.as_str(),
                e.dokploy_url.as_deref(),
                e.promote_from.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        environments,
        [
            ("staging", Some("https://dk.example.com"), None),
            (
                "production",
                Some("https://dk-prod.example.com"),
                Some("staging")
            ),
        ]
    );
    assert_eq!(
        m.environment("production").unwrap().promote_from.as_deref(),
        Some("staging")
    );
    assert!(m.environment(DEFAULT_ENVIRONMENT).is_none());
    assert!(
        m.only_environment().is_none(),
        "two: a tool must be told which"
    );
    assert!(!m.is_single_target());
    assert_eq!(m.history(), 5);
    assert_eq!(m.deploy.stages, ["backend", "frontend"]);
}

#[test]
fn each_service_has_its_target_and_health_url_per_environment() {
    let m = staging_production();
    assert_eq!(
        m.target("api", "production"),
        Some(&ServiceTarget {
            dokploy: DokployTarget::Compose {
                id: "hU2yhYOqv3_ftKGGvcAiv".into(),
                tag_var: "API_IMAGE_TAG".into(),
            },
            health: Some("https://example.com/health".into()),
        })
    );
    assert_eq!(
        m.target("worker", "staging").unwrap().dokploy.id(),
        "uimFISkhg1KACigb2CaGz"
    );
    assert_eq!(m.target("worker", "staging").unwrap().health, None);
    assert!(m.target("preview", "production").is_none());
    assert!(m.target("docs", "staging").is_none());
    assert!(m.target("nope", "staging").is_none());
    assert!(m.target("api", "nope").is_none());

    // In the order of deploy.environments, whatever order the service wrote them in.
    let web = m.service("web").unwrap().deploy.as_ref().unwrap();
    assert_eq!(
        web.environments.keys().collect::<Vec<_>>(),
        ["staging", "production"]
    );
    assert_eq!(web.stage, "frontend");
}

#[test]
fn services_by_environment_and_stage() {
    let m = staging_production();
    assert_eq!(
        names(m.services_in_environment("staging")),
        ["api", "worker", "web", "preview"]
    );
    assert_eq!(
        names(m.services_in_environment("production")),
        ["api", "worker", "web"]
    );
    assert_eq!(
        names(m.services_in_environment_stage("staging", "frontend")),
        ["web", "preview"]
    );
    assert_eq!(
        names(m.services_in_environment_stage("production", "frontend")),
        ["web"]
    );
    assert!(names(m.services_in_environment("nope")).is_empty());
    assert_eq!(
        names(m.services_in_stage("frontend")),
        ["web", "preview"],
        "every environment"
    );
}

#[test]
fn environments_reserve_their_tags() {
    let m = staging_production();
    assert_eq!(
        m.reserved_tag("staging"),
        Some(Reserved::Environment("staging"))
    );
    assert_eq!(
        m.reserved_tag("production-20261205T101500Z"),
        Some(Reserved::Entry("production"))
    );
    for free in ["staging-abc1234", "latest", "sha-abc1234", "default"] {
        assert_eq!(m.reserved_tag(free), None, "{free}");
    }
}

#[test]
fn retention_rules_are_modelled_in_order() {
    let m = staging_production();
    let rules: Vec<(&str, Option<Keep>, Option<&str>)> = m
        .retention
        .rules
        .iter()
        .map(|r| {
            (
                r.tags.as_str(),
                r.keep,
                r.older_than.as_ref().map(|a| a.text.as_str()),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("pr-*", Some(Keep::Newest(3)), Some("7d")),
            ("sha-*", Some(Keep::Newest(20)), None),
            ("v*", Some(Keep::All), None),
        ]
    );
    assert_eq!(
        m.retention.rules[0]
            .older_than
            .as_ref()
            .unwrap()
            .duration
            .as_secs(),
        7 * 24 * 3600
    );
    // The shorthand keys stay as they were.
    assert_eq!(m.retention.keep_untagged, Some(0));
    assert_eq!(m.retention.keep_tagged, None);
    assert_eq!(m.retention.protect_tags, ["latest"]);

    let loaded = parse(
        "version: 1\nretention:\n  rules:\n    - {tags: \"pr-*\", older-than: 3d}\n    - {tags: \"v*\", keep: all, older-than: 1d}\n",
    )
    .unwrap();
    let rules = &loaded.manifest.retention.rules;
    assert_eq!((rules[0].keep, rules[1].keep), (None, Some(Keep::All)));
    let warnings: Vec<(usize, usize, &str)> = warnings(&loaded)
        .into_iter()
        .filter(|(_, _, message)| message.contains("older-than"))
        .collect();
    assert_eq!(
        warnings,
        [(
            5,
            43,
            "`older-than` has no effect in the rule for `v*`, which keeps all"
        )]
    );
}

const SINGLE_TARGET: &str = "version: 1
registry: ghcr.io/acme
services:
  api:
    context: api
    deploy:
      dokploy: {compose: stack, tag-var: API_TAG}
      health: https://api.example.com/health
  web:
    context: web
    deploy: {dokploy: {application: web-app}}
  docs:
    context: docs
deploy:
  dokploy:
    url: https://dk.example.com
";

#[test]
fn the_single_target_form_is_one_environment_named_default() {
    let m = parse(SINGLE_TARGET).unwrap().manifest;
    assert!(m.is_single_target());
    let only = m.only_environment().unwrap();
    assert_eq!(only.name, DEFAULT_ENVIRONMENT);
    assert_eq!(only.dokploy_url.as_deref(), Some("https://dk.example.com"));
    assert_eq!(only.promote_from, None);
    assert_eq!(m.environments().count(), 1);
    assert_eq!(m.history(), DEFAULT_HISTORY);
    assert_eq!(
        m.target("api", DEFAULT_ENVIRONMENT),
        Some(&ServiceTarget {
            dokploy: DokployTarget::Compose {
                id: "stack".into(),
                tag_var: "API_TAG".into()
            },
            health: Some("https://api.example.com/health".into()),
        })
    );
    assert_eq!(
        names(m.services_in_environment(DEFAULT_ENVIRONMENT)),
        ["api", "web"]
    );
    assert_eq!(
        m.reserved_tag("default-20261205T101500Z"),
        Some(Reserved::Entry(DEFAULT_ENVIRONMENT))
    );

    // Without a URL, the environment is still there (gantry-dokploy's --dokploy-url gives it).
    let without_url = SINGLE_TARGET.split("deploy:\n  dokploy").next().unwrap();
    let m = parse(without_url).unwrap().manifest;
    assert_eq!(m.only_environment().unwrap().dokploy_url, None);
    assert!(m.is_single_target());

    // A URL alone makes the environment, for flag-given targets.
    let m = parse("version: 1\ndeploy:\n  dokploy: {url: https://dk.example.com}\n  history: 3\n")
        .unwrap()
        .manifest;
    assert_eq!(m.only_environment().unwrap().name, DEFAULT_ENVIRONMENT);
    assert_eq!(m.history(), 3);
}

#[test]
fn a_manifest_that_deploys_nothing_has_no_environments() {
    let m = parse("version: 1\nregistry: ghcr.io/acme\nservices:\n  api:\n    context: api\n")
        .unwrap()
        .manifest;
    assert_eq!(m.environments().count(), 0);
    assert!(m.only_environment().is_none());
    assert!(!m.is_single_target());
    assert_eq!(m.history(), DEFAULT_HISTORY);
    assert_eq!(m.reserved_tag("default"), None);
}

/// A manifest declaring `declared` environments, with service `api` deploying to `deployed`.
fn with_environments(declared: &[&str], deployed: &[&str]) -> Manifest {
    let mut text = "version: 1\nregistry: ghcr.io/acme\nservices:\n  api:\n    context: api\n    deploy:\n      environments:\n".to_owned();
    for name in deployed {
        text += &format!("        {name}: {{dokploy: {{application: {name}-api}}}}\n");
    }
    text += "deploy:\n  environments:\n";
    for name in declared {
        text += &format!("    {name}: {{dokploy: {{url: https://dk.example.com}}}}\n");
    }
    match parse(&text) {
        Ok(loaded) => {
            let found: Vec<String> = warnings(&loaded)
                .iter()
                .map(|(line, column, message)| format!("{line}:{column} {message}"))
                .collect();
            let unused: Vec<String> = declared
                .iter()
                .filter(|name| !deployed.contains(name))
                .map(|name| format!("no service deploys to environment `{name}`"))
                .collect();
            assert_eq!(
                found
                    .iter()
                    .map(|f| f.split_once(' ').unwrap().1)
                    .collect::<Vec<_>>(),
                unused,
                "an environment without services is a warning"
            );
            loaded.manifest
        }
        Err(e) => panic!("{}", render(&e)),
    }
}

#[test]
fn an_environment_without_services_is_a_warning_at_its_name() {
    let text = "version: 1\nregistry: ghcr.io/acme\nservices:\n  api:\n    context: api\n    deploy:\n      environments:\n        staging: {dokploy: {application: a}}\ndeploy:\n  environments:\n    staging: {dokploy: {url: https://dk.example.com}}\n    qa: {dokploy: {url: https://dk.example.com}}\n";
    let loaded = parse(text).unwrap();
    assert_eq!(
        warnings(&loaded),
        [(12, 5, "no service deploys to environment `qa`")]
    );
    with_environments(&["staging", "qa", "production"], &["staging"]);
}

#[test]
fn one_declared_environment_is_the_only_one() {
    let m = with_environments(&["production"], &["production"]);
    assert_eq!(m.only_environment().unwrap().name, "production");
    assert!(!m.is_single_target());
    assert_eq!(
        m.target("api", "production").unwrap().dokploy.id(),
        "production-api"
    );
    let m = with_environments(&["staging", "production"], &["staging", "production"]);
    assert!(m.only_environment().is_none());
}

/// Every problem of a manifest with several mistakes at once, in file order.
#[test]
fn environment_problems_are_all_reported_with_their_places() {
    let err = crate::support::parse_err(
        "version: 1
registry: ghcr.io/acme
services:
  api:
    context: api
    deploy:
      environments:
        staging: {dokploy: {application: a}, health: \"https://u:p@x.example\"}
        prod: {dokploy: {application: a}}
  web:
    context: web
    deploy:
      environments:
        staging: {dokploy: {application: a}}
deploy:
  environments:
    staging: {dokploy: {url: https://dk.example.com}}
    production: {dokploy: {url: https://dk.example.com}, promote-from: qa}
",
    );
    let found: Vec<(usize, usize, &str)> = err
        .problems()
        .iter()
        .map(|p| (p.line, p.column, p.label.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (8, 54, "invalid URL"),
            (9, 9, "unknown environment"),
            (14, 28, "same application"),
            (18, 72, "unknown environment"),
        ],
        "{}",
        render(&err)
    );
    let shown = render(&err);
    assert!(!shown.contains("u:p@"), "credentials are masked: {shown}");
}
