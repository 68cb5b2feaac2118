//! The example monorepo's manifest.

use std::path::Path;

use crate::support::render;

fn example_manifest() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/bizosaas/gantry.yml"
    ))
}

#[test]
fn the_example_loads_without_errors_or_warnings() {
    let loaded = match gantry_manifest::load(example_manifest()) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{}", render(&e)),
    };
    let rendered: Vec<String> = loaded.warnings.iter().map(|w| render(w)).collect();
    assert!(loaded.warnings.is_empty(), "{}", rendered.join("\n"));
    let m = &loaded.manifest;
    assert_eq!(m.services.len(), 7);
    assert_eq!(
        m.image("brain-gateway"),
        Some("ghcr.io/bizoholic-digital/bizosaas-brain-gateway")
    );
    assert_eq!(
        m.transitive_depends_on("bizoholic-frontend"),
        ["shared-ui", "design-tokens"]
    );
    assert_eq!(m.deploy.stages, ["backend", "frontend"]);
    assert_eq!(m.services_in_stage("backend").count(), 1);
}

/// The example monorepo with staging and production, for the environment-aware tools.
#[test]
fn the_environments_example_loads_and_matches_the_single_target_one() {
    let path = example_manifest().with_file_name("gantry.environments.yml");
    let loaded = match gantry_manifest::load(&path) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{}", render(&e)),
    };
    let rendered: Vec<String> = loaded.warnings.iter().map(|w| render(w)).collect();
    assert!(loaded.warnings.is_empty(), "{}", rendered.join("\n"));
    let m = &loaded.manifest;
    let single = gantry_manifest::load(example_manifest()).unwrap().manifest;
    // The same services, images, stages and graph: only where they deploy differs.
    assert_eq!(
        m.services.keys().collect::<Vec<_>>(),
        single.services.keys().collect::<Vec<_>>()
    );
    for service in m.services() {
        let other = single.service(&service.name).unwrap();
        assert_eq!(
            (
                &service.image,
                &service.depends_on,
                service.deploy.as_ref().map(|d| &d.stage)
            ),
            (
                &other.image,
                &other.depends_on,
                other.deploy.as_ref().map(|d| &d.stage)
            ),
        );
    }
    assert_eq!(m.deploy.stages, single.deploy.stages);
    let environments: Vec<&str> = m.environments().map(|e| e.name.as_str()).collect();
    assert_eq!(environments, ["staging", "production"]);
    assert_eq!(
        m.environment("production").unwrap().promote_from.as_deref(),
        Some("staging")
    );
    // Staging has what the single-target manifest deploys, production all but one.
    let in_environment = |env| {
        m.services_in_environment(env)
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
    };
    let deploying: Vec<&str> = single
        .services()
        .filter(|s| s.deploy.is_some())
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(in_environment("staging"), deploying);
    assert_eq!(in_environment("production").len(), deploying.len() - 1);
    let rules: Vec<&str> = m.retention.rules.iter().map(|r| r.tags.as_str()).collect();
    assert_eq!(rules, ["pr-*", "sha-*", "[0-9]*.[0-9]*.[0-9]*"]);
    // Each rule matches the tags its tag rule pushes (`type=ref,event=pr`, `type=sha`,
    // `type=semver,pattern={{version}}`: no `v`).
    let pushed = [
        vec!["pr-12"],
        vec!["sha-1a2b3c4"],
        vec!["1.2.3", "10.0.0-rc.1"],
    ];
    for (rule, tags) in rules.iter().zip(pushed) {
        let glob = globset::Glob::new(rule).unwrap().compile_matcher();
        for tag in tags {
            assert!(glob.is_match(tag), "`{rule}` keeps no `{tag}`");
        }
    }
}

/// The example in docs/manifest.md is a valid manifest.
#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../../../docs/manifest.md");
    let example = doc
        .split("## Example\n")
        .nth(1)
        .and_then(|rest| rest.split("```yaml\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("docs/manifest.md has a yaml block under ## Example");
    let loaded = match gantry_manifest::parse("docs/manifest.md", example, None) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{}", render(&e)),
    };
    assert!(loaded.warnings.is_empty());
    let m = loaded.manifest;
    assert_eq!(m.image("api"), Some("ghcr.io/acme/shop-api"));
    assert_eq!(m.deploy.stages, ["backend", "frontend"]);
}
