//! The shared hostile input corpus (`tests/corpus/`) through the real binary as a runner
//! step: bad input exits 2 with a located message, nothing panics, forges a workflow
//! command or output, or leaks a secret.

use gantry_testkit::corpus::{Corpus, Tally, output_names};
use gantry_testkit::scan;

fn check(name: &str, args: &[&str]) -> Tally {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-tags"),
        name,
        args,
        env: vec![
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_SHA", "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("SOURCE_DATE_EPOCH", "1714557600"),
        ],
        outputs: output_names(gantry_tags::output::OUTPUTS, &[]),
        setup: None,
    }
    .check()
}

#[test]
fn the_manifest_corpus_is_refused_with_located_messages() {
    let tally = check(
        "manifest",
        &["--manifest", "gantry.yml", "--service", "api"],
    );
    assert_eq!(tally.rejected, tally.cases);
}

#[test]
fn the_tags_corpus_is_handled() {
    check("tags", &[]);
}

/// Debug output (`-vv`) of a run that fails on bad input and of one that succeeds holds no
/// secret.
#[test]
fn debug_output_holds_no_secret() {
    let exe = env!("CARGO_BIN_EXE_gantry-tags");
    let env = [
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_SHA", "5e8a1c3f9b2d4e6a8c0f1b3d5e7a9c2f4b6d8e0a"),
        ("GITHUB_REPOSITORY", "acme/shop"),
    ];
    let run = scan::run_scanned(exe, &["--images", "ghcr.io/acme/api", "-vv"], &env);
    assert_eq!(run.code, 0, "{run:#?}");
    let run = scan::run_scanned(exe, &["--tags", "type=bogus", "-vv"], &env);
    assert_eq!(run.code, 2, "{run:#?}");
}
