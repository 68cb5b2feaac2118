//! A read-only model over raw manifest JSON: what kind it is, what it lists (children, blobs),
//! what it refers to (`subject`, attestation annotations) — everything promote and prune need
//! to decide, and nothing that would change the bytes.
//!
//! Parsing is lenient: unknown fields are ignored, every known field is optional. A known
//! field of the wrong type or a malformed digest is an error, never a panic and never a
//! silently dropped child (a pruner must not miss a child it was told about).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::reference::Digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The manifest media types gantry reads (the `Accept` list of every manifest request).
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
];

/// Annotation naming what an index entry refers to (buildx).
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
/// Annotation naming the image an attestation entry belongs to (buildx).
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";
const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// Which kind of manifest, by media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManifestKind {
    OciIndex,
    DockerManifestList,
    OciImage,
    DockerImage,
    /// Any other media type (an artifact manifest, schema 1, something newer).
    Unknown,
}

impl ManifestKind {
    pub fn from_media_type(media_type: &str) -> ManifestKind {
        match media_type {
            OCI_INDEX => ManifestKind::OciIndex,
            DOCKER_MANIFEST_LIST => ManifestKind::DockerManifestList,
            OCI_MANIFEST => ManifestKind::OciImage,
            DOCKER_MANIFEST => ManifestKind::DockerImage,
            _ => ManifestKind::Unknown,
        }
    }

    /// An OCI image index or a Docker manifest list.
    pub fn is_index(self) -> bool {
        matches!(
            self,
            ManifestKind::OciIndex | ManifestKind::DockerManifestList
        )
    }
}

/// Where [`Manifest::media_type`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTypeOrigin {
    /// The body's own `mediaType` field.
    Declared,
    /// No `mediaType` field (optional in OCI): a body with `manifests` is taken for an OCI
    /// index, anything else for an OCI image manifest.
    Inferred,
}

/// `os/architecture[/variant]` of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// `unknown/unknown`, what buildx gives attestation entries.
    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" && self.architecture == "unknown"
    }
}

/// A reference from one manifest to a blob or another manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    pub digest: Digest,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    /// A buildx attestation entry: annotated `vnd.docker.reference.type: attestation-manifest`,
    /// or listed with platform `unknown/unknown`.
    pub fn is_attestation(&self) -> bool {
        self.annotations
            .get(REFERENCE_TYPE_ANNOTATION)
            .is_some_and(|kind| kind == ATTESTATION_MANIFEST)
            || self.platform.as_ref().is_some_and(Platform::is_unknown)
    }

    /// The image an attestation entry attests (`vnd.docker.reference.digest`), when readable.
    pub fn attested_digest(&self) -> Option<Digest> {
        self.annotations
            .get(REFERENCE_DIGEST_ANNOTATION)
            .and_then(|digest| Digest::parse(digest).ok())
    }
}

/// The parts of a manifest that gantry reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub kind: ManifestKind,
    pub media_type: String,
    pub media_type_origin: MediaTypeOrigin,
    /// `manifests[]`: the children of an index, whatever the media type says.
    pub children: Vec<Descriptor>,
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    /// OCI 1.1 `subject`: the manifest this one refers to (a referrer).
    pub subject: Option<Descriptor>,
    pub artifact_type: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

/// A manifest body that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("not a readable manifest: {problem}")]
#[diagnostic(
    code(gantry::registry::manifest),
    help(
        "manifests are JSON objects as the OCI image spec describes (mediaType, manifests or config and layers)"
    )
)]
pub struct ManifestError {
    pub problem: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default, deserialize_with = "null_as_default")]
    layers: Vec<Descriptor>,
    #[serde(default)]
    subject: Option<Descriptor>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    annotations: BTreeMap<String, String>,
}

/// `null` reads as the empty value, as many registries write optional fields that way.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let body: Body = serde_json::from_slice(bytes).map_err(|err| ManifestError {
            problem: err.to_string(),
        })?;
        let (media_type, media_type_origin) = match body.media_type {
            Some(media_type) => (media_type, MediaTypeOrigin::Declared),
            None if body.manifests.is_some() => (OCI_INDEX.to_owned(), MediaTypeOrigin::Inferred),
            None => (OCI_MANIFEST.to_owned(), MediaTypeOrigin::Inferred),
        };
        Ok(Manifest {
            kind: ManifestKind::from_media_type(&media_type),
            media_type,
            media_type_origin,
            children: body.manifests.unwrap_or_default(),
            config: body.config,
            layers: body.layers,
            subject: body.subject,
            artifact_type: body.artifact_type,
            annotations: body.annotations,
        })
    }

    /// Lists other manifests (by media type or by having `manifests`).
    pub fn is_index(&self) -> bool {
        self.kind.is_index() || !self.children.is_empty()
    }

    pub fn child_digests(&self) -> impl Iterator<Item = &Digest> {
        self.children.iter().map(|child| &child.digest)
    }

    /// Config, then layers.
    pub fn blob_digests(&self) -> impl Iterator<Item = &Digest> {
        self.config
            .iter()
            .chain(&self.layers)
            .map(|blob| &blob.digest)
    }

    pub fn subject_digest(&self) -> Option<&Digest> {
        self.subject.as_ref().map(|subject| &subject.digest)
    }
}

/// The three cosign tag suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CosignSuffix {
    /// `.sig`, a signature.
    Signature,
    /// `.att`, an attestation.
    Attestation,
    /// `.sbom`, an SBOM.
    Sbom,
}

/// The image a cosign tag belongs to: `sha256-<hex>.sig|.att|.sbom` → `sha256:<hex>`.
pub fn cosign_subject(tag: &str) -> Option<(Digest, CosignSuffix)> {
    let (name, suffix) = tag.rsplit_once('.')?;
    let suffix = match suffix {
        "sig" => CosignSuffix::Signature,
        "att" => CosignSuffix::Attestation,
        "sbom" => CosignSuffix::Sbom,
        _ => return None,
    };
    let hex = name.strip_prefix("sha256-")?;
    let digest = Digest::parse(&format!("sha256:{hex}")).ok()?;
    Some((digest, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn digest(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    fn parse(value: &Value) -> Manifest {
        Manifest::parse(&serde_json::to_vec(value).unwrap()).unwrap()
    }

    #[test]
    fn buildx_index_with_attestations() {
        let manifest = parse(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": digest(1), "size": 10,
                 "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
                {"mediaType": OCI_MANIFEST, "digest": digest(2), "size": 10,
                 "annotations": {"vnd.docker.reference.digest": digest(1),
                                 "vnd.docker.reference.type": "attestation-manifest"},
                 "platform": {"architecture": "unknown", "os": "unknown"}},
            ],
            "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
            "futureField": {"anything": [1, 2]},
        }));
        assert_eq!(manifest.kind, ManifestKind::OciIndex);
        assert_eq!(manifest.media_type_origin, MediaTypeOrigin::Declared);
        assert!(manifest.is_index());
        let [image, attestation] = manifest.children.as_slice() else {
            panic!("two children")
        };
        assert!(!image.is_attestation());
        assert_eq!(
            image.platform.as_ref().unwrap().variant.as_deref(),
            Some("v8")
        );
        assert!(attestation.is_attestation());
        assert_eq!(attestation.attested_digest().unwrap().as_str(), digest(1));
        assert_eq!(manifest.child_digests().count(), 2);
        assert_eq!(manifest.blob_digests().count(), 0);
    }

    #[test]
    fn attestations_are_recognised_by_either_sign() {
        let by_platform: Descriptor = serde_json::from_value(json!({
            "digest": digest(3), "platform": {"os": "unknown", "architecture": "unknown"}
        }))
        .unwrap();
        assert!(by_platform.is_attestation());
        assert_eq!(by_platform.attested_digest(), None);
        let by_annotation: Descriptor = serde_json::from_value(json!({
            "digest": digest(3), "annotations": {"vnd.docker.reference.type": "attestation-manifest"}
        }))
        .unwrap();
        assert!(by_annotation.is_attestation());
    }

    #[test]
    fn referrer_with_subject_and_artifact_type() {
        let manifest = parse(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest(4), "size": 2},
            "layers": [{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "digest": digest(5), "size": 9}],
            "subject": {"mediaType": OCI_INDEX, "digest": digest(6), "size": 300},
        }));
        assert_eq!(manifest.kind, ManifestKind::OciImage);
        assert!(!manifest.is_index());
        assert_eq!(manifest.subject_digest().unwrap().as_str(), digest(6));
        assert_eq!(
            manifest.artifact_type.as_deref(),
            Some("application/vnd.dev.sigstore.bundle.v0.3+json")
        );
        let blobs: Vec<&str> = manifest.blob_digests().map(Digest::as_str).collect();
        assert_eq!(blobs, [digest(4), digest(5)]);
    }

    #[test]
    fn docker_kinds_come_from_the_media_type() {
        let list = parse(&json!({"mediaType": DOCKER_MANIFEST_LIST, "manifests": []}));
        assert_eq!(list.kind, ManifestKind::DockerManifestList);
        assert!(list.is_index());
        let image = parse(
            &json!({"mediaType": DOCKER_MANIFEST, "config": {"digest": digest(7)}, "layers": null}),
        );
        assert_eq!(image.kind, ManifestKind::DockerImage);
        assert!(image.layers.is_empty());
    }

    #[test]
    fn missing_media_types_are_inferred_from_the_structure() {
        let index = parse(&json!({"schemaVersion": 2, "manifests": [{"digest": digest(8)}]}));
        assert_eq!(index.kind, ManifestKind::OciIndex);
        assert_eq!(index.media_type, OCI_INDEX);
        assert_eq!(index.media_type_origin, MediaTypeOrigin::Inferred);
        let image =
            parse(&json!({"schemaVersion": 2, "config": {"digest": digest(9)}, "layers": []}));
        assert_eq!(image.kind, ManifestKind::OciImage);
        assert_eq!(image.media_type_origin, MediaTypeOrigin::Inferred);
    }

    #[test]
    fn unknown_media_types_keep_their_children() {
        let manifest = parse(
            &json!({"mediaType": "application/vnd.example.list+json", "manifests": [{"digest": digest(1)}]}),
        );
        assert_eq!(manifest.kind, ManifestKind::Unknown);
        assert!(manifest.is_index(), "children count whatever the type");
    }

    #[test]
    fn malformed_known_fields_are_errors() {
        for body in [
            json!([1, 2]),
            json!({"manifests": "not a list"}),
            json!({"manifests": [{"digest": "sha256:short"}]}),
            json!({"manifests": [{"size": 3}]}),
            json!({"layers": [{"digest": digest(1), "size": -1}]}),
            json!({"annotations": {"a": 1}}),
        ] {
            let bytes = serde_json::to_vec(&body).unwrap();
            assert!(Manifest::parse(&bytes).is_err(), "{body}");
        }
        assert!(Manifest::parse(b"\xff\xfe").is_err());
        assert!(Manifest::parse(b"").is_err());
    }

    #[test]
    fn cosign_tags_name_their_subject() {
        let hex = "ab".repeat(32);
        let (subject, suffix) = cosign_subject(&format!("sha256-{hex}.sig")).unwrap();
        assert_eq!(subject.as_str(), format!("sha256:{hex}"));
        assert_eq!(suffix, CosignSuffix::Signature);
        assert_eq!(
            cosign_subject(&format!("sha256-{hex}.att")).unwrap().1,
            CosignSuffix::Attestation
        );
        assert_eq!(
            cosign_subject(&format!("sha256-{hex}.sbom")).unwrap().1,
            CosignSuffix::Sbom
        );
        assert_eq!(cosign_subject(&format!("sha256-{hex}.txt")), None);
        assert_eq!(cosign_subject("sha256-abc.sig"), None);
        assert_eq!(cosign_subject("v1.2.3"), None);
        assert_eq!(
            cosign_subject(&format!("sha256-{}.sig", "AB".repeat(32))),
            None
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            Just(Value::String(digest(1))),
            prop_oneof![
                Just("mediaType"),
                Just("manifests"),
                Just("config"),
                Just("layers"),
                Just("subject"),
                Just("digest"),
                Just("platform"),
                Just("annotations"),
            ]
            .prop_map(|key| Value::String(key.to_owned())),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("mediaType".to_owned()),
                        Just("manifests".to_owned()),
                        Just("config".to_owned()),
                        Just("layers".to_owned()),
                        Just("subject".to_owned()),
                        Just("digest".to_owned()),
                        Just("platform".to_owned()),
                        Just("annotations".to_owned()),
                        Just("size".to_owned()),
                        "[a-z]{1,8}",
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_json_never_panics(value in json_value()) {
            let _ = Manifest::parse(&serde_json::to_vec(&value).unwrap());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Manifest::parse(&bytes);
        }

        #[test]
        fn every_listed_child_is_read(count in 0usize..20, extra in "[a-z]{1,8}") {
            let children: Vec<Value> = (0..count)
                .map(|n| json!({"digest": digest(n as u8), extra.clone(): {"x": n}}))
                .collect();
            let manifest = parse(&json!({"mediaType": OCI_INDEX, "manifests": children}));
            let read: Vec<String> = manifest.child_digests().map(ToString::to_string).collect();
            let expected: Vec<String> = (0..count).map(|n| digest(n as u8)).collect();
            prop_assert_eq!(read, expected);
        }
    }
}
