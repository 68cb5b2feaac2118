//! Properties: the one-pass matcher agrees with matching every glob on its own.

use gantry_manifest::glob::PathGlob;
use gantry_matrix::matcher::Matcher;
use globset::GlobSet;
use proptest::prelude::*;

/// Overlapping contexts, shared and extglob globs, `ignore`, libraries, `global`.
const MANIFEST: &str = r#"version: 1
registry: ghcr.io/acme
global: ["ci/**", "x.md"]
libraries:
  docs:
    paths: ["docs/**", "**/*.md"]
  code:
    paths: ["src/**/!(*.md)"]
services:
  a:
    context: a
    ignore: ["**/*.py"]
    watch: ["**/*.md"]
  ab:
    context: a/b
    dockerfile: ../../docker/ab.Dockerfile
  root:
    context: .
    ignore: ["a/**", "src/**/!(*.py)"]
  src:
    context: src
    watch: ["docs/*"]
"#;

fn set(globs: &[globset::Glob]) -> GlobSet {
    let mut builder = GlobSet::builder();
    for glob in globs {
        builder.add(glob.clone());
    }
    builder.build().unwrap()
}

fn matches(glob: &PathGlob, path: &str) -> bool {
    set(glob.any_of()).is_match(path) && !set(glob.none_of()).is_match(path)
}

fn any(globs: &[PathGlob], path: &str) -> bool {
    globs.iter().any(|glob| matches(glob, path))
}

/// Whether `path` touches node `name`, each glob matched on its own.
fn touches(manifest: &gantry_manifest::Manifest, name: &str, path: &str) -> bool {
    if let Some(library) = manifest.libraries.get(name) {
        return any(&library.paths, path);
    }
    let service = manifest.service(name).unwrap();
    let context = &service.context;
    let below_context =
        context == "." || path == context || path.starts_with(&format!("{context}/"));
    let own = below_context || path == service.dockerfile_path() || any(&service.watch, path);
    own && !any(&service.ignore, path)
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop::sample::select(vec![
        "a",
        "b",
        "src",
        "docs",
        "ci",
        "docker",
        "x.md",
        "y.py",
        ".hidden",
        "ab.Dockerfile",
    ]);
    prop::collection::vec(segment, 1..5).prop_map(|segments| segments.join("/"))
}

proptest! {
    #[test]
    fn the_matcher_agrees_with_each_glob_alone(files in prop::collection::vec(path(), 0..12)) {
        let loaded = gantry_manifest::parse("gantry.yml", MANIFEST, None).unwrap();
        let manifest = &loaded.manifest;
        let touched = Matcher::new(manifest).unwrap().touched(files.iter().map(String::as_str));

        let global: Vec<&String> = files.iter().filter(|f| any(&manifest.global, f)).collect();
        prop_assert_eq!(touched.global.as_ref().map(|h| (&h.first, h.count)),
            global.first().map(|first| (*first, global.len())));
        let names = manifest.libraries.keys().chain(manifest.services.keys());
        for name in names {
            let hits: Vec<&String> = files.iter().filter(|f| touches(manifest, name, f)).collect();
            let found = touched.nodes.get(name.as_str()).map(|h| (&h.first, h.count));
            prop_assert_eq!(found, hits.first().map(|first| (*first, hits.len())), "{}", name);
        }
    }

    #[test]
    fn nul_separated_names_round_trip(names in prop::collection::vec("[^\u{0}]{1,20}", 0..8)) {
        let mut bytes = Vec::new();
        for name in &names {
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(0);
        }
        prop_assert_eq!(gantry_matrix::git::split_nul(&bytes), names);
    }
}
