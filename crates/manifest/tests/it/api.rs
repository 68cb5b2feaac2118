//! The helpers other crates use: lookup, naming, tag specs, the dependency graph.

use gantry_manifest::NodeKind;

use crate::support::parse;

const GRAPH: &str = "version: 1
registry: ghcr.io/acme
tags: |
  type=sha
libraries:
  tokens:
    paths: [libs/tokens/**]
  ui:
    paths: [libs/ui/**]
    depends-on: [tokens, tokens]
services:
  web:
    context: web
    depends-on: [ui, api]
    tags: |
      type=raw,value=web
  api:
    context: api
    depends-on: [tokens]
  admin:
    context: admin
    depends-on: [web]
";

#[test]
fn services_keep_manifest_order() {
    let m = parse(GRAPH).unwrap().manifest;
    let names: Vec<&str> = m.services().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "api", "admin"]);
    assert_eq!(
        m.services.keys().collect::<Vec<_>>(),
        ["web", "api", "admin"]
    );
    assert_eq!(m.libraries.keys().collect::<Vec<_>>(), ["tokens", "ui"]);
}

#[test]
fn names_are_services_or_libraries() {
    let m = parse(GRAPH).unwrap().manifest;
    assert_eq!(m.kind("api"), Some(NodeKind::Service));
    assert_eq!(m.kind("ui"), Some(NodeKind::Library));
    assert_eq!(m.kind("nope"), None);
    assert!(m.service("ui").is_none());
}

#[test]
fn direct_and_transitive_dependencies() {
    let m = parse(GRAPH).unwrap().manifest;
    assert_eq!(m.depends_on("web"), ["ui", "api"]);
    assert_eq!(m.depends_on("ui"), ["tokens"], "repeats are removed");
    assert!(m.depends_on("tokens").is_empty());
    assert!(m.depends_on("nope").is_empty());
    assert_eq!(
        m.transitive_depends_on("admin"),
        ["web", "ui", "api", "tokens"]
    );
    assert_eq!(m.transitive_depends_on("api"), ["tokens"]);
    assert!(m.transitive_depends_on("tokens").is_empty());
}

#[test]
fn a_service_tag_spec_replaces_the_top_level_one() {
    let m = parse(GRAPH).unwrap().manifest;
    assert_eq!(m.tag_spec("web"), Some("type=raw,value=web\n"));
    assert_eq!(m.tag_spec("api"), Some("type=sha\n"));
    assert_eq!(m.tag_spec("nope"), None);
    assert_eq!(
        m.tag_spec_line("web"),
        Some(16),
        "the block's first content line"
    );
    assert_eq!(m.tag_spec_line("api"), Some(4));
    assert_eq!(m.tag_spec_line("nope"), None);
    let m = parse("version: 1\nregistry: r.io/a\nservices:\n  api:\n    context: a\n")
        .unwrap()
        .manifest;
    assert_eq!(m.tag_spec("api"), None);
    assert_eq!(m.tag_spec_line("api"), None);
}

#[test]
fn services_by_stage_in_manifest_order() {
    let m = parse(
        "version: 1
registry: r.io/a
services:
  b:
    context: b
    deploy: {stage: two, dokploy: {application: x}}
  a:
    context: a
    deploy: {stage: one, dokploy: {application: y}}
  c:
    context: c
    deploy: {stage: two, dokploy: {compose: z}}
  d:
    context: d
deploy:
  stages: [one, two]
",
    )
    .unwrap()
    .manifest;
    let in_stage = |stage| {
        m.services_in_stage(stage)
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(in_stage("one"), ["a"]);
    assert_eq!(in_stage("two"), ["b", "c"]);
    assert!(in_stage("three").is_empty());
}
