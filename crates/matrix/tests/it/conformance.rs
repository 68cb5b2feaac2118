//! dorny/paths-filter compatibility: the shared vectors (`fixtures/README.md`), each pattern
//! matched by gantry as a `watch` glob of a service, through the manifest and the matcher.
//!
//! paths-filter's rule machinery is evaluated here, around gantry's matcher: a leading `!`
//! negates one rule, `every` needs all rules, statuses restrict rules. gantry.yml has none
//! of them (a leading `!` is refused; exclusions go under `ignore`), so only the glob
//! semantics are gantry's to match.

use gantry_matrix::matcher::Matcher;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Vector {
    name: String,
    patterns: Vec<String>,
    path: String,
    expected: bool,
    quantifier: String,
    file_status: String,
    rule_statuses: Option<Vec<String>>,
}

/// Vectors gantry deliberately answers differently, and why.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "issue135-extglob-negation-root-file",
    "picomatch reads `**` at the start of an extglob alternative as `*` (one directory), so \
     `!(**/*.tsx|**/*.less)` lets the root-level `root.tsx` through; paths-filter#135 reports \
     that as a bug. In gantry `**/` matches any number of directories everywhere, so \
     `root.tsx` is excluded like `src/ui.tsx`.",
)];

/// Whether gantry's matcher matches `path` with `glob` as the only `watch` glob of a service.
fn watch_matches(glob: &str, path: &str) -> bool {
    let manifest = format!(
        "version: 1\nregistry: ghcr.io/conformance\nservices:\n  probe:\n    context: \
         gantry-conformance-probe\n    watch: [{}]\n",
        serde_json::to_string(glob).unwrap()
    );
    let loaded = gantry_manifest::parse("gantry.yml", &manifest, None)
        .unwrap_or_else(|e| panic!("{glob}: {e:?}"));
    let matcher = Matcher::new(&loaded.manifest).unwrap();
    matcher.touched([path]).nodes.contains_key("probe")
}

/// A paths-filter rule: its status restriction, then its pattern, negated by a leading `!`
/// (but `!(` opens an extglob).
fn rule_holds(vector: &Vector, pattern: &str) -> bool {
    if let Some(statuses) = &vector.rule_statuses
        && !statuses.contains(&vector.file_status)
    {
        return false;
    }
    match pattern.strip_prefix('!') {
        Some(rest) if !rest.starts_with('(') => !watch_matches(rest, &vector.path),
        _ => watch_matches(pattern, &vector.path),
    }
}

#[test]
fn paths_filter_vectors() {
    let vectors: Vec<Vector> =
        serde_json::from_str(include_str!("fixtures/paths-filter-vectors.json")).unwrap();
    assert_eq!(vectors.len(), 41);
    let mut failures = Vec::new();
    for vector in &vectors {
        let mut rules = vector.patterns.iter().map(|p| rule_holds(vector, p));
        let matched = match vector.quantifier.as_str() {
            "some" => rules.any(|holds| holds),
            "every" => rules.all(|holds| holds),
            other => panic!("{}: unknown quantifier {other}", vector.name),
        };
        let exception = EXCEPTIONS.iter().any(|(name, _)| *name == vector.name);
        // An exception must still be one, so the list stays true.
        if (matched == vector.expected) == exception {
            failures.push(format!(
                "{}: {:?} vs {:?}: gantry says {matched}, expected {}{}",
                vector.name,
                vector.patterns,
                vector.path,
                vector.expected,
                if exception {
                    " (listed as an exception)"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (name, _) in EXCEPTIONS {
        assert!(
            vectors.iter().any(|v| v.name == *name),
            "{name} is not a vector"
        );
    }
}
