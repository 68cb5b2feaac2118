//! The hostile input corpus (`tests/corpus/dokploy`, and the shared manifest corpus) through
//! the real binary as a runner step: bad input exits 2 naming the flag or file and line, an
//! unreachable Dokploy exits 1, nothing panics, forges a workflow command or output, or
//! leaks a secret.

use gantry_testkit::corpus::{Corpus, Tally};

fn check(name: &str, args: &[&str]) -> Tally {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-dokploy"),
        name,
        args,
        env: vec![
            ("GANTRY_HTTP_RETRY_DELAY", "10ms"),
            ("INPUT_DOKPLOY_URL", "http://127.0.0.1:1"),
        ],
        outputs: &["result", "deployments"],
        setup: None,
    }
    .check()
}

#[test]
fn the_manifest_corpus_is_refused_with_located_messages() {
    let tally = check("manifest", &["--manifest", "gantry.yml", "--tag", "v1"]);
    assert_eq!(tally.rejected, tally.cases);
}

#[test]
fn the_dokploy_corpus_is_handled() {
    check("dokploy", &[]);
}
