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
    let probe = matcher.nodes().iter().position(|n| n == "probe").unwrap();
    !matcher.touches(vec![path.to_owned()]).of_node[probe].is_empty()
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

/// Cases of the differential run against paths-filter v4.0.2 (issue 19), with gantry's
/// answer and paths-filter's. Where they differ, gantry's is deliberate and documented in
/// docs/matrix.md ("Globs compared with dorny/paths-filter").
const DIFFERENTIAL: &[(&str, &str, bool, bool)] = &[
    // (glob, path, gantry, paths-filter)
    ("packages/*/**", "packages/README.md", false, false),
    ("packages/*/**", "packages/a/index.ts", true, true),
    ("*/**", "README.md", false, false),
    ("src/a*/**", "src/a.js", false, false),
    ("src/**", "src", true, true),
    ("app/[locale]/**", "app/[locale]/page.tsx", true, true),
    ("docs/caf?.md", "docs/café.md", true, true),
    ("??", "é", false, false),
    ("v{1..3}", "v2", true, true),
    ("[[:alpha:]]", "a", true, true),
    (r"[\]]", "]", true, true),
    ("./proto/**", "proto/jobs.proto", true, true),
    // GitHub's filter syntax: `**.js` is every .js file; picomatch reads it as `*.js`.
    ("**.md", "docs/guide.md", true, false),
    ("**.md", "README.md", true, true),
    // A class also matches its own text (picomatch only for classes without `.`, `-`, ...).
    (
        "app/[...slug]/page.tsx",
        "app/[...slug]/page.tsx",
        true,
        false,
    ),
    // Ranges count, as in bash (picomatch turns `{1..10}` into the class `[1-10]`).
    ("v{1..10}", "v10", true, false),
    // Route groups and `[!…]` negation, braces holding `**`.
    (
        "app/(marketing)/**",
        "app/(marketing)/about/page.tsx",
        true,
        false,
    ),
    ("[!j]s/**", "ts/index.ts", true, false),
    ("{src/**,lib/**}", "src/a/b.ts", true, false),
];

#[test]
fn the_differential_cases_give_gantry_answers() {
    let wrong: Vec<String> = DIFFERENTIAL
        .iter()
        .filter(|(glob, path, gantry, _)| watch_matches(glob, path) != *gantry)
        .map(|(glob, path, gantry, _)| format!("{glob} vs {path}: expected {gantry}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let differences = DIFFERENTIAL.iter().filter(|(_, _, g, p)| g != p).count();
    assert_eq!(
        differences, 6,
        "docs/matrix.md lists every deliberate difference"
    );
}

#[test]
fn globs_that_would_silently_never_match_are_refused() {
    for (glob, why) in [
        ("[[:letters:]]", "unknown POSIX class"),
        ("{a,b", "unclosed `{`"),
        ("src/[a-", "unclosed character class"),
        ("/src/**", "drop the leading `/`"),
        ("src/@(a|b)", "the extglob `@(…)` is not supported"),
    ] {
        let manifest = format!(
            "version: 1\nregistry: ghcr.io/x\nservices:\n  probe:\n    context: p\n    watch: [{}]\n",
            serde_json::to_string(glob).unwrap()
        );
        let error = gantry_manifest::parse("gantry.yml", &manifest, None).unwrap_err();
        let problem = &error.problems()[0];
        assert!(problem.message.contains(why), "{glob}: {}", problem.message);
        assert_eq!((problem.line, problem.column), (6, 13), "{glob}");
    }
}
