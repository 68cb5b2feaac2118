//! The human reports: the text report on stdout and the Markdown step summary.

use std::fmt::Write as _;
use std::path::Path;

use gantry_gha::{Cell, Summary};

use crate::meta::Metadata;
use crate::spec::Notice;

/// The text report: version, tags, labels, annotations and where the bake files are.
pub fn text(metadata: &Metadata, annotations: &[String], bake_dir: Option<&Path>) -> String {
    let mut out = String::new();
    let version = metadata
        .version
        .main
        .as_deref()
        .unwrap_or("(none: no tag rule fired)");
    let _ = writeln!(out, "version: {version}");
    let mut section = |title: &str, lines: &[String]| {
        let _ = writeln!(out, "{title}:");
        if lines.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for line in lines {
            let _ = writeln!(out, "  {line}");
        }
    };
    section("tags", &metadata.tags());
    section("labels", &metadata.label_lines());
    section("annotations", annotations);
    match bake_dir {
        Some(dir) => writeln!(out, "bake files: {}", dir.display()),
        None => writeln!(out, "bake files: not written (--bake-dir DIR writes them)"),
    }
    .ok();
    out
}

/// The step summary: the version, each image with its tags, the labels (and annotations
/// when they differ), and the warnings.
pub fn summary(metadata: &Metadata, notices: &[Notice]) -> Summary {
    let mut summary = Summary::new();
    summary.heading(3, "Image tags");
    match &metadata.version.main {
        // A version is sanitized to [A-Za-z0-9._-], safe in a code span.
        Some(version) => summary.paragraph(&format!("Version `{version}`")),
        None => summary.paragraph("No version: no tag rule fired for this event."),
    };
    let tag_names = metadata
        .tag_names()
        .iter()
        .map(|tag| format!("`{tag}`"))
        .collect::<Vec<_>>()
        .join(" ");
    let images: Vec<String> = if metadata.images.is_empty() {
        vec!["(no image)".to_owned()]
    } else {
        metadata
            .images
            .iter()
            .map(|image| code_span(image))
            .collect()
    };
    if metadata.version.main.is_some() {
        summary.table(
            &["Image", "Tags"],
            images
                .iter()
                .map(|image| [Cell::markdown(image), Cell::markdown(&tag_names)]),
        );
    }
    let mut labels = Summary::new();
    labels.code_block("text", &metadata.label_lines().join("\n"));
    summary.details(&format!("Labels ({})", metadata.labels.len()), &labels);
    if metadata.annotations != metadata.labels {
        let mut annotations = Summary::new();
        annotations.code_block("text", &metadata.annotation_lines().join("\n"));
        summary.details(
            &format!("Annotations ({})", metadata.annotations.len()),
            &annotations,
        );
    }
    if !notices.is_empty() {
        let text: Vec<String> = notices.iter().map(Notice::to_string).collect();
        summary.paragraph("Warnings:");
        summary.code_block("text", &text.join("\n"));
    }
    summary
}

/// `text` as a Markdown code span, fenced with more backticks than it holds in a row.
fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_outgrow_backticks() {
        assert_eq!(code_span("ghcr.io/a"), "`ghcr.io/a`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a"), "`` `a ``");
    }
}
