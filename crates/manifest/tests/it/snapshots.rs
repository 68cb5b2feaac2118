//! How errors look to a user: every bad manifest under fixtures/bad, rendered.

use crate::support::render;

/// Each fixture must fail to load, and its rendered report is the snapshot.
#[test]
fn bad_manifests_render_located_errors_with_a_fix() {
    insta::glob!("fixtures/bad/*.yml", |path| {
        let text = std::fs::read_to_string(path).expect("fixture is readable");
        let name = format!("bad/{}", path.file_name().unwrap().to_string_lossy());
        let err = match gantry_manifest::parse(&name, &text, None) {
            Ok(_) => panic!("{name} should not load"),
            Err(e) => e,
        };
        insta::assert_snapshot!(render(&err));
    });
}
