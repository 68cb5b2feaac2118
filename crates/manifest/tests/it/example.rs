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
    println!("{:#?}", loaded.manifest);
}
