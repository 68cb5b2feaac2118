//! Properties: the one-pass matcher agrees with matching every glob on its own.

use gantry_manifest::glob::PathGlob;
use gantry_matrix::matcher::Matcher;
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

fn any(globs: &[PathGlob], path: &str) -> bool {
    globs.iter().any(|glob| glob.is_match(path))
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
        let matcher = Matcher::new(manifest).unwrap();
        let touched = matcher.touches(files.clone());

        let global: Vec<usize> = (0..files.len()).filter(|&f| any(&manifest.global, &files[f])).collect();
        prop_assert_eq!(&touched.global, &global);
        for (node, name) in matcher.nodes().iter().enumerate() {
            let hits: Vec<usize> = (0..files.len()).filter(|&f| touches(manifest, name, &files[f])).collect();
            prop_assert_eq!(&touched.of_node[node], &hits, "{}", name);
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

/// Chains, a diamond, services depending on services, and `ignore` on the dependents.
const GRAPH: &str = r#"version: 1
registry: ghcr.io/acme
libraries:
  base:
    paths: ["base/**"]
  left:
    paths: ["left/**"]
    depends-on: [base]
  right:
    paths: ["right/**"]
    depends-on: [base]
services:
  top:
    context: top
    depends-on: [right, left]
    ignore: ["**/*.md"]
  mid:
    context: mid
    depends-on: [top]
  side:
    context: side
    depends-on: [left, mid]
    ignore: ["left/**", "**/*.txt"]
"#;

fn graph_path() -> impl Strategy<Value = String> {
    let dir = prop::sample::select(vec!["base", "left", "right", "top", "mid", "side", "other"]);
    let file = prop::sample::select(vec!["a.py", "b.md", "c.txt"]);
    (dir, file).prop_map(|(dir, file)| format!("{dir}/{file}"))
}

proptest! {
    #[test]
    fn the_selection_agrees_with_a_search_per_service(files in prop::collection::vec(graph_path(), 0..6)) {
        let loaded = gantry_manifest::parse("gantry.yml", GRAPH, None).unwrap();
        let manifest = &loaded.manifest;
        let matcher = Matcher::new(manifest).unwrap();
        let graph = gantry_matrix::select::Graph::new(manifest, &matcher);
        let touched = matcher.touches(files.clone());
        let reasons: Vec<Option<String>> =
            gantry_matrix::select::affected(manifest, &matcher, &graph, &touched)
                .into_iter()
                .map(|reason| reason.map(|r| r.to_string()))
                .collect();
        // The reference: a breadth-first search per service, each file matched on its own.
        let expected: Vec<Option<String>> = manifest
            .services()
            .map(|service| {
                let own: Vec<&String> =
                    files.iter().filter(|f| touches(manifest, &service.name, f)).collect();
                if let Some(first) = own.first() {
                    return Some(format!("file {first}"));
                }
                manifest
                    .transitive_depends_on(&service.name)
                    .into_iter()
                    .find(|dep| {
                        files
                            .iter()
                            .any(|f| touches(manifest, dep, f) && !any(&service.ignore, f))
                    })
                    .map(|dep| format!("depends on {dep}"))
            })
            .collect();
        prop_assert_eq!(reasons, expected);
    }
}
