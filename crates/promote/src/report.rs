//! How a promotion is reported: text or JSON on stdout, step outputs and a step summary.

use std::fmt::Write as _;

use gantry_gha::{Cell, Summary};

use crate::promote::{Promotion, TagPromotion, TagStatus, describe_media_type};

/// One line per tag: `ghcr.io/acme/api:production → sha256:… (created)`.
pub fn text(promotion: &Promotion) -> String {
    let mut text = String::new();
    for tag in &promotion.tags {
        let _ = writeln!(
            text,
            "{} → {} ({})",
            tag.reference,
            promotion.digest,
            status(tag)
        );
    }
    text
}

/// The `--format json` document (and the `json` output), without a trailing newline.
pub fn json(promotion: &Promotion) -> String {
    serde_json::to_string_pretty(promotion).expect("a promotion serializes")
}

/// `created`, `moved from sha256:…` or `unchanged`.
fn status(tag: &TagPromotion) -> String {
    match (tag.status, &tag.previous_digest) {
        (TagStatus::Moved, Some(previous)) => format!("moved from {previous}"),
        (TagStatus::Created, _) => "created".to_owned(),
        (TagStatus::Moved, None) => "moved".to_owned(),
        (TagStatus::Unchanged, _) => "unchanged".to_owned(),
    }
}

/// The step summary: what was promoted, and a table row per tag.
pub fn summary(promotion: &Promotion) -> Summary {
    let mut summary = Summary::new();
    summary
        .heading(2, "gantry-promote")
        .paragraph(&format!(
            "`{}` is `{}` ({}); promoted without a rebuild, so every tag below serves these exact bytes.",
            promotion.image,
            promotion.digest,
            describe_media_type(&promotion.media_type)
        ))
        .table(
            &["Reference", "Status"],
            promotion
                .tags
                .iter()
                .map(|tag| {
                    [
                        Cell::code(&tag.reference.to_string()),
                        Cell::markdown(markdown_status(tag)),
                    ]
                }),
        );
    summary
}

fn markdown_status(tag: &TagPromotion) -> String {
    match (tag.status, &tag.previous_digest) {
        (TagStatus::Moved, Some(previous)) => format!("moved from `{previous}`"),
        _ => status(tag),
    }
}

/// Every step output with its description: the composite action's `outputs:` and the docs
/// tables are checked against this list, and [`outputs`] sets exactly these.
pub const OUTPUTS: &[(&str, &str)] = &[
    (
        "digest",
        "The digest every new tag points to (the image's, unchanged)",
    ),
    ("references", "The promoted references, one per line"),
    (
        "json",
        "The --format json document on one line: the digest and each tag's status",
    ),
];

/// The step outputs of [`OUTPUTS`], in order: `digest`, `references` (one per line, every
/// requested tag) and `json` (the document of `--format json`, on one line).
pub fn outputs(promotion: &Promotion) -> Vec<(&'static str, String)> {
    let references: Vec<&str> = promotion
        .tags
        .iter()
        .map(|tag| tag.reference.as_str())
        .collect();
    let compact = serde_json::to_string(promotion).expect("a promotion serializes");
    vec![
        ("digest", promotion.digest.to_string()),
        ("references", references.join("\n")),
        ("json", compact),
    ]
}

/// What a run reports: the promotion of `--image`, or with `--environment` one promotion per
/// service running there.
pub enum Report {
    Image(Promotion),
    Environment {
        environment: String,
        promotions: Vec<Promotion>,
    },
}

impl Report {
    fn promotions(&self) -> &[Promotion] {
        match self {
            Report::Image(promotion) => std::slice::from_ref(promotion),
            Report::Environment { promotions, .. } => promotions,
        }
    }
}

/// The `--environment` document: `{"environment", "promotions": [...]}`, one promotion (as
/// without `--environment`) per service running there.
fn environment_document(environment: &str, promotions: &[Promotion]) -> serde_json::Value {
    serde_json::json!({"environment": environment, "promotions": promotions})
}

impl gantry_cli::Report for Report {
    fn text(&self) -> String {
        self.promotions().iter().map(text).collect()
    }

    fn json(&self) -> String {
        match self {
            Report::Image(promotion) => json(promotion),
            Report::Environment {
                environment,
                promotions,
            } => serde_json::to_string_pretty(&environment_document(environment, promotions))
                .expect("promotions serialize"),
        }
    }

    /// With `--environment`: the same names, `digest` one per line (a service each),
    /// `references` every promoted reference, `json` the document on one line.
    fn outputs(&self) -> Vec<(String, String)> {
        match self {
            Report::Image(promotion) => outputs(promotion)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
            Report::Environment {
                environment,
                promotions,
            } => {
                let digests: Vec<String> = promotions
                    .iter()
                    .map(|promotion| promotion.digest.to_string())
                    .collect();
                let references: Vec<&str> = promotions
                    .iter()
                    .flat_map(|promotion| &promotion.tags)
                    .map(|tag| tag.reference.as_str())
                    .collect();
                vec![
                    ("digest".to_owned(), digests.join("\n")),
                    ("references".to_owned(), references.join("\n")),
                    (
                        "json".to_owned(),
                        environment_document(environment, promotions).to_string(),
                    ),
                ]
            }
        }
    }

    fn summary(&self) -> Summary {
        let mut all = Summary::new();
        for promotion in self.promotions() {
            all.raw(summary(promotion).as_str());
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_registry::{Digest, ImageRef, Tag};

    use crate::promote::plan;

    fn digest(fill: char) -> Digest {
        Digest::parse(&format!("sha256:{}", fill.to_string().repeat(64))).unwrap()
    }

    fn promotion() -> Promotion {
        let image = ImageRef::parse("ghcr.io/acme/api:staging").unwrap();
        let tags: Vec<Tag> = ["production", "v1", "v1.2"]
            .iter()
            .map(|tag| Tag::parse(tag).unwrap())
            .collect();
        Promotion {
            image: image.to_string(),
            digest: digest('a'),
            media_type: "application/vnd.oci.image.index.v1+json".to_owned(),
            tags: plan(
                &image,
                &digest('a'),
                &tags,
                vec![None, Some(digest('b')), Some(digest('a'))],
            ),
        }
    }

    #[test]
    fn text_has_a_line_per_tag() {
        insta::assert_snapshot!(text(&promotion()));
    }

    #[test]
    fn json_has_the_documented_shape() {
        insta::assert_snapshot!(json(&promotion()));
    }

    #[test]
    fn the_outputs_set_are_the_declared_ones_in_order() {
        let set: Vec<&str> = outputs(&promotion())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let declared: Vec<&str> = OUTPUTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, declared);
    }

    #[test]
    fn summary_is_a_table_of_references() {
        insta::assert_snapshot!(summary(&promotion()).as_str());
    }
}
