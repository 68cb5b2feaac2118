//! What the planner works on: package versions as a registry lists them, and what their
//! manifests say.

use gantry_registry::{Digest, Manifest, manifest::cosign_subject};
use jiff::Timestamp;

/// One version of a package: one manifest, with the tags pointing at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// GitHub's version id (already above 2³¹; stored in 64 bits). The OCI backend numbers
    /// versions in listing order.
    pub id: u64,
    /// The manifest digest (`sha256:…`), as the registry names the version.
    pub digest: String,
    pub tags: Vec<String>,
    /// `None` when the registry gives no date (OCI registries without a `created` annotation).
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    /// An earlier run decided to delete it and was stopped before it could, after deleting
    /// the index that listed it (the OCI backend's journal says so): it is deleted unless
    /// something kept reaches it.
    pub leftover: bool,
}

/// The parts of a manifest that decide what else must be kept or may go with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestFacts {
    /// Digests of the manifests an index lists (platform images, attestations, nested
    /// indexes).
    pub children: Vec<String>,
    /// OCI 1.1 `subject`: the manifest this one refers to.
    pub subject: Option<String>,
    /// Config and layer blobs with their sizes, for the bytes a deletion frees.
    pub blobs: Vec<(String, u64)>,
    /// `org.opencontainers.image.created`, when the manifest has it.
    pub created: Option<Timestamp>,
}

/// The annotation that dates an image (set by docker/metadata-action and buildx).
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

impl ManifestFacts {
    pub fn from_manifest(manifest: &Manifest) -> ManifestFacts {
        ManifestFacts {
            children: manifest
                .child_digests()
                .map(|digest| digest.to_string())
                .collect(),
            subject: manifest.subject_digest().map(Digest::to_string),
            blobs: manifest
                .config
                .iter()
                .chain(&manifest.layers)
                .map(|blob| (blob.digest.to_string(), blob.size.unwrap_or(0)))
                .collect(),
            created: manifest
                .annotations
                .get(CREATED_ANNOTATION)
                .and_then(|text| text.parse::<Timestamp>().ok()),
        }
    }
}

/// What a tag says about the manifest it is on, when it names another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// cosign `sha256-<hex>.sig`
    Signature,
    /// cosign `sha256-<hex>.att`
    Attestation,
    /// cosign `sha256-<hex>.sbom`
    Sbom,
    /// `sha256-<hex>`: the OCI 1.1 referrers tag schema (an index of referrers).
    ReferrersIndex,
    /// An untagged manifest with a `subject`.
    Referrer,
}

impl AttachmentKind {
    pub fn noun(self) -> &'static str {
        match self {
            AttachmentKind::Signature => "cosign signature",
            AttachmentKind::Attestation => "cosign attestation",
            AttachmentKind::Sbom => "cosign SBOM",
            AttachmentKind::ReferrersIndex => "referrers index",
            AttachmentKind::Referrer => "referrer",
        }
    }
}

/// The digest a tag such as `sha256-<hex>.sig` or `sha256-<hex>` belongs to.
pub fn attached_subject(tag: &str) -> Option<(String, AttachmentKind)> {
    use gantry_registry::manifest::CosignSuffix;
    if let Some((digest, suffix)) = cosign_subject(tag) {
        let kind = match suffix {
            CosignSuffix::Signature => AttachmentKind::Signature,
            CosignSuffix::Attestation => AttachmentKind::Attestation,
            CosignSuffix::Sbom => AttachmentKind::Sbom,
        };
        return Some((digest.to_string(), kind));
    }
    let hex = tag.strip_prefix("sha256-")?;
    let digest = Digest::parse(&format!("sha256:{hex}")).ok()?;
    Some((digest.to_string(), AttachmentKind::ReferrersIndex))
}

/// How a version is named in reasons: its first tag, else its short digest.
pub fn label(version: &Version) -> String {
    match version.tags.first() {
        Some(tag) => tag.clone(),
        None => short_digest(&version.digest),
    }
}

/// `sha256:0123456789ab`
pub fn short_digest(digest: &str) -> String {
    digest.chars().take("sha256:".len() + 12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_that_name_a_digest() {
        let hex = "ab".repeat(32);
        assert_eq!(
            attached_subject(&format!("sha256-{hex}.sig")),
            Some((format!("sha256:{hex}"), AttachmentKind::Signature))
        );
        assert_eq!(
            attached_subject(&format!("sha256-{hex}")),
            Some((format!("sha256:{hex}"), AttachmentKind::ReferrersIndex))
        );
        assert_eq!(attached_subject("sha256-abc.sig"), None);
        assert_eq!(attached_subject("v1.2"), None);
        assert_eq!(attached_subject(&format!("sha256-{hex}.tar")), None);
    }

    #[test]
    fn facts_from_a_referrer_with_a_date() {
        let manifest = Manifest::parse(
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json",
                "config":{{"digest":"sha256:{a}","size":2}},
                "layers":[{{"digest":"sha256:{b}","size":40}}],
                "subject":{{"digest":"sha256:{c}"}},
                "annotations":{{"org.opencontainers.image.created":"2026-01-02T03:04:05Z"}}}}"#,
                a = "a".repeat(64),
                b = "b".repeat(64),
                c = "c".repeat(64)
            )
            .as_bytes(),
        )
        .unwrap();
        let facts = ManifestFacts::from_manifest(&manifest);
        assert!(facts.children.is_empty());
        assert_eq!(facts.subject, Some(format!("sha256:{}", "c".repeat(64))));
        assert_eq!(facts.blobs.len(), 2);
        assert_eq!(facts.blobs[1].1, 40);
        assert_eq!(facts.created.unwrap().to_string(), "2026-01-02T03:04:05Z");
    }
}
