//! The deterministic fuzz run of the test command: every target over its committed seed
//! corpus plus mutations with fixed seeds. `GANTRY_FUZZ_ITERATIONS` runs longer (see
//! docs/reliability.md); coverage-guided runs are `cargo fuzz run <target>` in `fuzz/`.

use gantry_fuzzing::{TARGETS, mutate};

/// Mutations per target in the test command: a few seconds each in a debug build.
const ITERATIONS: usize = 2_000;

fn iterations() -> usize {
    std::env::var("GANTRY_FUZZ_ITERATIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(ITERATIONS)
}

fn run(name: &str) {
    let (index, (_, target)) = TARGETS
        .iter()
        .enumerate()
        .find(|(_, (target, _))| *target == name)
        .expect("a known target");
    let seeds = mutate::seeds(name);
    let executions = mutate::run(*target, &seeds, iterations(), 0x5EED + index as u64);
    eprintln!(
        "fuzz {name}: {executions} executions ({} seeds), no crash",
        seeds.len()
    );
}

#[test]
fn manifest() {
    run("manifest");
}

#[test]
fn tag_spec() {
    run("tag_spec");
}

#[test]
fn event_payload() {
    run("event_payload");
}

#[test]
fn output_writer() {
    run("output_writer");
}

#[test]
fn oci_manifest() {
    run("oci_manifest");
}

#[test]
fn image_reference() {
    run("image_reference");
}

#[test]
fn every_target_has_a_test_and_a_cargo_fuzz_target() {
    let targets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    for (name, _) in TARGETS {
        let file = targets.join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        assert!(
            text.contains(&format!("gantry_fuzzing::{name}(")),
            "{}",
            file.display()
        );
    }
}
