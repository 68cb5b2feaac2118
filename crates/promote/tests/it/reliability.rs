//! The hostile input corpus (`tests/corpus/promote`) through the real binary as a runner
//! step: bad input exits 2 naming the flag, an unreachable registry exits 1, nothing
//! panics, forges a workflow command or output, or leaks a secret.

use gantry_testkit::corpus::Corpus;

#[test]
fn the_promote_corpus_is_handled() {
    Corpus {
        exe: env!("CARGO_BIN_EXE_gantry-promote"),
        name: "promote",
        // REGISTRY_PASSWORD is among the secrets set; it belongs to a user name.
        args: &["--username", "bot"],
        env: vec![("GANTRY_HTTP_RETRY_DELAY", "10ms")],
        outputs: &["digest", "references", "json"],
        setup: None,
    }
    .check();
}
