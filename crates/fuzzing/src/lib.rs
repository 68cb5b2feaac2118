//! The fuzz targets of `fuzz/` (cargo-fuzz, libFuzzer) as plain functions, so the test
//! command runs them too: [`mutate::run`] drives each over its committed seed corpus
//! (`fuzz/seeds/<target>/`) plus seeded mutations, with fixed seeds and bounded iterations,
//! on the stable toolchain.
//!
//! A target takes any bytes and must not panic; where a property holds (the `GITHUB_OUTPUT`
//! round trip) it asserts it.

pub mod mutate;

use std::path::Path;

use gantry_tags::ports::csv::{self, Comments};
use gantry_tags::spec::Line;

/// A fuzz target: any bytes in, a panic on a bug.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz/fuzz_targets/<name>.rs` calls it.
pub const TARGETS: [(&str, Target); 6] = [
    ("manifest", manifest),
    ("tag_spec", tag_spec),
    ("event_payload", event_payload),
    ("output_writer", output_writer),
    ("oci_manifest", oci_manifest),
    ("image_reference", image_reference),
];

/// `gantry.yml` validation (YAML, types, unknown keys, graph, globs), without file lookups.
pub fn manifest(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gantry_manifest::parse("gantry.yml", text, None);
    }
}

/// The list inputs of gantry-tags: the first CSV pass, then the tag rules, flavor and
/// images parsers on the same lines.
pub fn tag_spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for keep_quoted in [false, true] {
        let Ok(items) = csv::split_list(text.trim(), Comments::Leading, keep_quoted) else {
            continue;
        };
        let lines: Vec<Line> = items
            .into_iter()
            .map(|item| Line {
                text: item.text,
                number: item.line,
            })
            .collect();
        let _ = gantry_tags::tag::parse(&lines);
        let _ = gantry_tags::flavor::parse(&lines);
        let _ = gantry_tags::image::parse(&lines);
    }
}

/// The event payload as each event gantry reads.
pub fn event_payload(data: &[u8]) {
    let path = Path::new("event.json");
    for event in [
        "push",
        "pull_request",
        "pull_request_target",
        "merge_group",
        "workflow_dispatch",
        "release",
        "schedule",
    ] {
        if let Ok(payload) = gantry_gha::Payload::parse(path, data, event) {
            // The accessors the tools call on whatever parsed.
            let _ = (payload.event.name(), payload.event.pull_request());
            if let gantry_gha::Event::Push(push) = &payload.event {
                let _ = (push.branch(), push.tag(), push.before_is_zero());
            }
        }
    }
}

/// `name NUL value` through the `GITHUB_OUTPUT` writer, read back by the runner's rules
/// (`gantry_testkit::process::try_parse_outputs`): exactly one output, the name and value
/// written, byte for byte (the runner takes a heredoc value as a substring of the file, so a
/// `\r\n` inside it stays: `FileCommandManager.cs`, `EnvFileKeyValuePairs`).
pub fn output_writer(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (name, value) = text.split_once('\0').unwrap_or(("out", &text));
    let Ok(entry) =
        gantry_gha::files::format_entry(name, value, &mut gantry_gha::files::random_delimiter)
    else {
        return;
    };
    let read = gantry_testkit::process::try_parse_outputs(&entry)
        .unwrap_or_else(|err| panic!("the runner rejects {entry:?}: {err}"));
    let expected = vec![(name.to_owned(), value.to_owned())];
    assert_eq!(read, expected, "written as {entry:?}");
}

/// OCI and Docker manifests and indexes as the registry client reads them, and the cosign
/// tag convention.
pub fn oci_manifest(data: &[u8]) {
    if let Ok(manifest) = gantry_registry::Manifest::parse(data) {
        let _ = manifest.is_index();
        let _ = manifest.child_digests().count();
        let _ = manifest.blob_digests().count();
        let _ = manifest.subject_digest();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gantry_registry::manifest::cosign_subject(text);
    }
}

/// Image references, tags, digests and registry URLs as flags give them.
pub fn image_reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(image) = gantry_registry::ImageRef::parse(text) {
        // Whatever parses prints back to something that parses to the same reference.
        let again = gantry_registry::ImageRef::parse(&image.to_string())
            .unwrap_or_else(|err| panic!("{image} (from {text:?}) does not parse back: {err}"));
        assert_eq!(again, image, "from {text:?}");
    }
    let _ = gantry_registry::Tag::parse(text);
    let _ = gantry_registry::Digest::parse(text);
    let _ = gantry_registry::Endpoint::from_url(text);
}
