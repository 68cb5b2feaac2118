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
