//! Builders that push synthetic images to a [`Registry`] and return every digest they made.
//!
//! Each push uses fresh random content (a UUID in every config and layer), so digests never
//! collide between tests or between calls. Manifests are compact JSON in a fixed key order;
//! the digests returned are those of the exact bytes pushed, checked against the registry's
//! `Docker-Content-Digest`.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::registry::{Registry, sha256_digest};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The artifact type of a Sigstore bundle, as actions/attest-build-provenance pushes it.
pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// Which family of media types a manifest uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/vnd.oci.image.*`
    Oci,
    /// `application/vnd.docker.distribution.*` (Docker image manifest v2, manifest list)
    Docker,
}

impl Format {
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            Format::Oci => OCI_MANIFEST,
            Format::Docker => DOCKER_MANIFEST,
        }
    }

    pub fn index_media_type(self) -> &'static str {
        match self {
            Format::Oci => OCI_INDEX,
            Format::Docker => DOCKER_MANIFEST_LIST,
        }
    }

    fn config_media_type(self) -> &'static str {
        match self {
            Format::Oci => OCI_CONFIG,
            Format::Docker => "application/vnd.docker.container.image.v1+json",
        }
    }

    fn layer_media_type(self) -> &'static str {
        match self {
            Format::Oci => "application/vnd.oci.image.layer.v1.tar+gzip",
            Format::Docker => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        }
    }
}

/// `os/architecture[/variant]`, e.g. `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`; panics on anything else (a test bug).
    pub fn parse(text: &str) -> Platform {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, architecture] => Platform {
                os: (*os).to_owned(),
                architecture: (*architecture).to_owned(),
                variant: None,
            },
            [os, architecture, variant] => Platform {
                os: (*os).to_owned(),
                architecture: (*architecture).to_owned(),
                variant: Some((*variant).to_owned()),
            },
            _ => panic!("platform {text:?} is not os/arch[/variant]"),
        }
    }

    fn json(&self) -> Value {
        let mut platform = json!({"architecture": self.architecture, "os": self.os});
        if let Some(variant) = &self.variant {
            platform["variant"] = json!(variant);
        }
        platform
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(variant) => write!(f, "/{variant}"),
            None => Ok(()),
        }
    }
}

/// What a manifest says about a blob or another manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

impl Descriptor {
    fn json(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// A single-platform image.
#[derive(Debug, Clone)]
pub struct Image {
    pub repository: String,
    pub tag: Option<String>,
    pub format: Format,
    pub platform: Platform,
    pub digest: String,
    pub media_type: String,
    /// The manifest bytes exactly as pushed.
    pub manifest: Vec<u8>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// A buildx-style attestation manifest: an index child with platform `unknown/unknown`.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub digest: String,
    pub manifest: Vec<u8>,
    /// Digest of the platform image it attests (`vnd.docker.reference.digest`).
    pub subject: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// A multi-platform index (OCI image index or Docker manifest list).
#[derive(Debug, Clone)]
pub struct Index {
    pub repository: String,
    pub tag: Option<String>,
    pub format: Format,
    pub digest: String,
    pub media_type: String,
    pub manifest: Vec<u8>,
    /// Platform images it lists, new and reused.
    pub images: Vec<Image>,
    pub attestations: Vec<Attestation>,
    /// Indexes it lists (an index of indexes).
    pub indexes: Vec<Index>,
}

/// An OCI 1.1 referrer: an untagged manifest whose `subject` is another manifest.
#[derive(Debug, Clone)]
pub struct Referrer {
    pub repository: String,
    pub digest: String,
    /// Always the OCI image manifest type.
    pub media_type: String,
    pub manifest: Vec<u8>,
    pub subject: Descriptor,
    pub artifact_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// Which cosign tag: `sha256-<hex>.sig`, `.att` or `.sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosignKind {
    Signature,
    Attestation,
    Sbom,
}

impl CosignKind {
    pub fn suffix(self) -> &'static str {
        match self {
            CosignKind::Signature => "sig",
            CosignKind::Attestation => "att",
            CosignKind::Sbom => "sbom",
        }
    }

    fn layer_media_type(self) -> &'static str {
        match self {
            CosignKind::Signature => "application/vnd.dev.cosign.simplesigning.v1+json",
            CosignKind::Attestation => "application/vnd.dsse.envelope.v1+json",
            CosignKind::Sbom => "text/spdx+json",
        }
    }
}

/// A cosign-style manifest tagged `sha256-<hex of subject>.<suffix>`.
#[derive(Debug, Clone)]
pub struct CosignTag {
    pub repository: String,
    pub tag: String,
    pub kind: CosignKind,
    /// Digest of the image the tag belongs to.
    pub subject: String,
    pub digest: String,
    pub manifest: Vec<u8>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// One platform image listed by two indexes (an rc and a release built from one digest).
#[derive(Debug, Clone)]
pub struct SharedChild {
    pub shared: Image,
    pub first: Index,
    pub second: Index,
}

/// `descriptor()` and `reference()` of the manifests pushed by digest or tag.
macro_rules! pushed_manifest {
    ($($kind:ty),*) => {$(
        impl $kind {
            /// What a manifest listing this one (or referring to it) says about it.
            pub fn descriptor(&self) -> Descriptor {
                Descriptor {
                    media_type: self.media_type.clone(),
                    digest: self.digest.clone(),
                    size: self.manifest.len() as u64,
                }
            }

            /// `repository@digest`
            pub fn reference(&self) -> String {
                format!("{}@{}", self.repository, self.digest)
            }
        }
    )*};
}

pushed_manifest!(Image, Index, Referrer);

impl Image {
    /// Config then layer digests.
    pub fn blob_digests(&self) -> Vec<String> {
        std::iter::once(&self.config)
            .chain(&self.layers)
            .map(|blob| blob.digest.clone())
            .collect()
    }
}

impl Index {
    /// Digests of every direct child, in manifest order.
    pub fn child_digests(&self) -> Vec<String> {
        let listing: Value = serde_json::from_slice(&self.manifest).expect("own manifest is JSON");
        listing["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|child| child["digest"].as_str().map(str::to_owned))
            .collect()
    }
}

impl CosignTag {
    /// `repository:sha256-<hex>.<suffix>`
    pub fn reference(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }
}

/// Pushes a single-platform image; see [`Registry::image`].
#[must_use = "call .push()"]
pub struct ImageBuilder<'r> {
    registry: &'r Registry,
    repository: String,
    format: Format,
    platform: Platform,
    layers: usize,
    tag: Option<String>,
}

impl ImageBuilder<'_> {
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// `os/arch[/variant]`; `linux/amd64` by default.
    pub fn platform(mut self, platform: &str) -> Self {
        self.platform = Platform::parse(platform);
        self
    }

    /// Number of layers (1 by default).
    pub fn layers(mut self, count: usize) -> Self {
        self.layers = count;
        self
    }

    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = Some(tag.to_owned());
        self
    }

    pub fn push(self) -> Image {
        push_image(
            self.registry,
            &self.repository,
            self.format,
            self.platform,
            self.layers,
            self.tag,
            Built::default(),
        )
    }
}

/// Pushes an index over new and existing images; see [`Registry::index`].
#[must_use = "call .push()"]
pub struct IndexBuilder<'r> {
    registry: &'r Registry,
    repository: String,
    format: Format,
    platforms: Vec<Platform>,
    images: Vec<Image>,
    indexes: Vec<Index>,
    attestations: bool,
    tag: Option<String>,
    labels: Map<String, Value>,
    image_annotations: Map<String, Value>,
    annotations: Map<String, Value>,
}

impl IndexBuilder<'_> {
    /// Media-type family of the index and of the images it pushes.
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Pushes a new untagged image per platform for the index (`linux/amd64`, `linux/arm64`
    /// when neither this nor [`Self::image`] / [`Self::index`] is called).
    pub fn platforms(mut self, platforms: &[&str]) -> Self {
        self.platforms = platforms.iter().map(|text| Platform::parse(text)).collect();
        self
    }

    /// Lists an image already pushed (shares it with whatever else lists it).
    pub fn image(mut self, image: &Image) -> Self {
        self.images.push(image.clone());
        self
    }

    /// Lists an index already pushed: an index of indexes.
    pub fn index(mut self, index: &Index) -> Self {
        self.indexes.push(index.clone());
        self
    }

    /// Adds a buildx-style attestation manifest for every platform image.
    pub fn attestations(mut self) -> Self {
        self.attestations = true;
        self
    }

    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = Some(tag.to_owned());
        self
    }

    /// Labels in the config of every new platform image (a build's `LABEL`s / `--label`).
    pub fn labels(mut self, labels: Map<String, Value>) -> Self {
        self.labels = labels;
        self
    }

    /// Annotations on every new platform image manifest (buildx's default annotation level)
    /// and on the index itself.
    pub fn annotations(mut self, images: Map<String, Value>, index: Map<String, Value>) -> Self {
        self.image_annotations = images;
        self.annotations = index;
        self
    }

    pub fn push(self) -> Index {
        let registry = self.registry;
        let repository = self.repository;
        let mut platforms = self.platforms;
        if platforms.is_empty() && self.images.is_empty() && self.indexes.is_empty() {
            platforms = vec![
                Platform::parse("linux/amd64"),
                Platform::parse("linux/arm64"),
            ];
        }
        let mut images: Vec<Image> = platforms
            .into_iter()
            .map(|platform| {
                let built = Built {
                    labels: Some(&self.labels),
                    annotations: Some(&self.image_annotations),
                };
                push_image(registry, &repository, self.format, platform, 1, None, built)
            })
            .collect();
        images.extend(self.images);
        let attestations: Vec<Attestation> = if self.attestations {
            images
                .iter()
                .map(|image| push_attestation(registry, &repository, &image.digest))
                .collect()
        } else {
            Vec::new()
        };

        let mut children: Vec<Value> = images
            .iter()
            .map(|image| {
                let mut child = image.descriptor().json();
                child["platform"] = image.platform.json();
                child
            })
            .collect();
        children.extend(attestations.iter().map(|attestation| {
            let mut child = Descriptor {
                media_type: OCI_MANIFEST.to_owned(),
                digest: attestation.digest.clone(),
                size: attestation.manifest.len() as u64,
            }
            .json();
            child["annotations"] = json!({
                "vnd.docker.reference.digest": attestation.subject,
                "vnd.docker.reference.type": "attestation-manifest",
            });
            child["platform"] = json!({"architecture": "unknown", "os": "unknown"});
            child
        }));
        children.extend(self.indexes.iter().map(|index| index.descriptor().json()));

        let media_type = self.format.index_media_type();
        let mut index = json!({
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": children,
        });
        if !self.annotations.is_empty() {
            index["annotations"] = Value::Object(self.annotations);
        }
        let manifest = serde_json::to_vec(&index).expect("serialize an index");
        let reference = self.tag.clone().unwrap_or_else(|| sha256_digest(&manifest));
        let digest = registry.push_manifest(&repository, &reference, media_type, &manifest);
        Index {
            repository,
            tag: self.tag,
            format: self.format,
            digest,
            media_type: media_type.to_owned(),
            manifest,
            images,
            attestations,
            indexes: self.indexes,
        }
    }
}

impl Registry {
    /// A single-platform image in `repository`: OCI, `linux/amd64`, one layer, untagged
    /// unless the builder says otherwise.
    pub fn image(&self, repository: &str) -> ImageBuilder<'_> {
        ImageBuilder {
            registry: self,
            repository: repository.to_owned(),
            format: Format::Oci,
            platform: Platform::parse("linux/amd64"),
            layers: 1,
            tag: None,
        }
    }

    /// `count` multi-arch indexes with buildx attestations in `repository`, tagged
    /// `build-0`, `build-1`, …: what a CI that pushes every build leaves behind.
    pub fn builds(&self, repository: &str, count: usize) -> Vec<Index> {
        (0..count)
            .map(|n| {
                self.index(repository)
                    .attestations()
                    .tag(&format!("build-{n}"))
                    .push()
            })
            .collect()
    }

    /// A multi-platform index in `repository` (OCI unless the builder says otherwise).
    pub fn index(&self, repository: &str) -> IndexBuilder<'_> {
        IndexBuilder {
            registry: self,
            repository: repository.to_owned(),
            format: Format::Oci,
            platforms: Vec::new(),
            images: Vec::new(),
            indexes: Vec::new(),
            attestations: false,
            tag: None,
            labels: Map::new(),
            image_annotations: Map::new(),
            annotations: Map::new(),
        }
    }

    /// An OCI 1.1 referrer of `subject` with `artifact_type` (e.g. [`SIGSTORE_BUNDLE`]): an
    /// image manifest with the empty config, one layer of that type, pushed by digest only.
    pub fn push_referrer(
        &self,
        repository: &str,
        subject: &Descriptor,
        artifact_type: &str,
    ) -> Referrer {
        let nonce = nonce();
        let config = (OCI_EMPTY, b"{}".to_vec());
        let layer = Layer {
            media_type: artifact_type,
            data: json_bytes(&json!({"mediaType": artifact_type, "nonce": nonce})),
            annotations: None,
        };
        let mut extra = Map::new();
        extra.insert("artifactType".to_owned(), json!(artifact_type));
        extra.insert("subject".to_owned(), subject.json());
        extra.insert(
            "annotations".to_owned(),
            json!({"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}),
        );
        let pushed = push_image_manifest(
            self,
            repository,
            None,
            OCI_MANIFEST,
            config,
            vec![layer],
            extra,
        );
        Referrer {
            repository: repository.to_owned(),
            digest: pushed.digest,
            media_type: OCI_MANIFEST.to_owned(),
            manifest: pushed.manifest,
            subject: subject.clone(),
            artifact_type: artifact_type.to_owned(),
            config: pushed.config,
            layers: pushed.layers,
        }
    }

    /// A cosign-style manifest tagged `sha256-<hex of subject>.<sig|att|sbom>`.
    pub fn push_cosign(&self, repository: &str, subject: &str, kind: CosignKind) -> CosignTag {
        let hex = subject
            .strip_prefix("sha256:")
            .unwrap_or_else(|| panic!("cosign subject {subject:?} is not a sha256 digest"));
        let tag = format!("sha256-{hex}.{}", kind.suffix());
        let nonce = nonce();
        let payload = json_bytes(&json!({
            "critical": {"image": {"docker-manifest-digest": subject}, "type": "cosign container image signature"},
            "optional": {"nonce": nonce},
        }));
        let config = (
            OCI_CONFIG,
            json_bytes(&json!({
                "architecture": "",
                "os": "",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&payload)]},
            })),
        );
        let layer = Layer {
            media_type: kind.layer_media_type(),
            data: payload,
            annotations: Some(json!({"dev.cosignproject.cosign/signature": nonce})),
        };
        let pushed = push_image_manifest(
            self,
            repository,
            Some(&tag),
            OCI_MANIFEST,
            config,
            vec![layer],
            Map::new(),
        );
        CosignTag {
            repository: repository.to_owned(),
            tag,
            kind,
            subject: subject.to_owned(),
            digest: pushed.digest,
            manifest: pushed.manifest,
            config: pushed.config,
            layers: pushed.layers,
        }
    }

    /// One `linux/amd64` image listed by two indexes tagged `tags[0]` and `tags[1]`; each
    /// index also has an `linux/arm64` image of its own.
    pub fn push_shared_child(
        &self,
        repository: &str,
        format: Format,
        tags: [&str; 2],
    ) -> SharedChild {
        let shared = self.image(repository).format(format).push();
        let index_with_shared = |tag: &str| {
            self.index(repository)
                .format(format)
                .image(&shared)
                .platforms(&["linux/arm64"])
                .tag(tag)
                .push()
        };
        let first = index_with_shared(tags[0]);
        let second = index_with_shared(tags[1]);
        SharedChild {
            shared,
            first,
            second,
        }
    }
}

/// Indexes written straight to storage by [`Registry::write_bulk_indexes`].
#[derive(Debug, Clone)]
pub struct BulkIndex {
    pub tag: String,
    pub digest: String,
    /// The image manifests it lists, in order.
    pub children: Vec<String>,
}

impl Registry {
    /// `count` indexes tagged `{tag_prefix}0`, `{tag_prefix}1`, …, each listing `children`
    /// image manifests of their own, written straight to storage (see
    /// [`Registry::write_manifests`]): ten thousand manifests in about a second. Every image
    /// shares the config and layer of `base` (pushed first, e.g. `registry.image(repo)`), so
    /// every index resolves fully.
    pub fn write_bulk_indexes(
        &self,
        base: &Image,
        count: usize,
        children: usize,
        tag_prefix: &str,
    ) -> Vec<BulkIndex> {
        let base_manifest: Value =
            serde_json::from_slice(&base.manifest).expect("own manifest is JSON");
        let mut images = Vec::with_capacity(count * children);
        for index in 0..count {
            for child in 0..children {
                let mut manifest = base_manifest.clone();
                manifest["annotations"] =
                    json!({"dev.gantry.testkit.bulk": format!("{tag_prefix}{index}/{child}")});
                images.push(crate::registry::StoredManifest {
                    bytes: json_bytes(&manifest),
                    tag: None,
                });
            }
        }
        let image_digests = self.write_manifests(&base.repository, &images);
        let indexes: Vec<crate::registry::StoredManifest> = image_digests
            .chunks(children.max(1))
            .take(count)
            .zip(images.chunks(children.max(1)))
            .enumerate()
            .map(|(index, (digests, manifests))| {
                let listed: Vec<Value> = digests
                    .iter()
                    .zip(manifests)
                    .map(|(digest, manifest)| {
                        let mut child = Descriptor {
                            media_type: base.media_type.clone(),
                            digest: digest.clone(),
                            size: manifest.bytes.len() as u64,
                        }
                        .json();
                        child["platform"] = base.platform.json();
                        child
                    })
                    .collect();
                crate::registry::StoredManifest {
                    bytes: json_bytes(&json!({
                        "schemaVersion": 2,
                        "mediaType": OCI_INDEX,
                        "manifests": listed,
                    })),
                    tag: Some(format!("{tag_prefix}{index}")),
                }
            })
            .collect();
        let index_digests = self.write_manifests(&base.repository, &indexes);
        index_digests
            .into_iter()
            .enumerate()
            .map(|(index, digest)| BulkIndex {
                tag: format!("{tag_prefix}{index}"),
                digest,
                children: image_digests[index * children..(index + 1) * children].to_vec(),
            })
            .collect()
    }
}

/// A random token that makes every pushed blob unique.
fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("serialize JSON")
}

struct Layer<'a> {
    media_type: &'a str,
    data: Vec<u8>,
    annotations: Option<Value>,
}

/// What [`push_image_manifest`] made.
struct PushedManifest {
    digest: String,
    manifest: Vec<u8>,
    config: Descriptor,
    layers: Vec<Descriptor>,
}

/// Pushes the blobs, then an image manifest of `media_type` over them with `extra` top-level
/// fields; tagged `tag`, or by digest when there is none.
fn push_image_manifest(
    registry: &Registry,
    repository: &str,
    tag: Option<&str>,
    media_type: &str,
    (config_media_type, config_data): (&str, Vec<u8>),
    layers: Vec<Layer<'_>>,
    extra: Map<String, Value>,
) -> PushedManifest {
    let config_blob = registry.push_blob(repository, &config_data);
    let config = Descriptor {
        media_type: config_media_type.to_owned(),
        digest: config_blob.digest,
        size: config_blob.size,
    };
    let mut layer_descriptors = Vec::new();
    let mut layer_json = Vec::new();
    for layer in layers {
        let blob = registry.push_blob(repository, &layer.data);
        let descriptor = Descriptor {
            media_type: layer.media_type.to_owned(),
            digest: blob.digest,
            size: blob.size,
        };
        let mut entry = descriptor.json();
        if let Some(annotations) = layer.annotations {
            entry["annotations"] = annotations;
        }
        layer_json.push(entry);
        layer_descriptors.push(descriptor);
    }
    let mut manifest = Map::new();
    manifest.insert("schemaVersion".to_owned(), json!(2));
    manifest.insert("mediaType".to_owned(), json!(media_type));
    manifest.insert("config".to_owned(), config.json());
    manifest.insert("layers".to_owned(), Value::Array(layer_json));
    manifest.extend(extra);
    let manifest = json_bytes(&Value::Object(manifest));
    let reference = tag.map_or_else(|| sha256_digest(&manifest), str::to_owned);
    let digest = registry.push_manifest(repository, &reference, media_type, &manifest);
    PushedManifest {
        digest,
        manifest,
        config,
        layers: layer_descriptors,
    }
}

/// What a build adds to a platform image: config labels and manifest annotations.
#[derive(Default, Clone, Copy)]
struct Built<'a> {
    labels: Option<&'a Map<String, Value>>,
    annotations: Option<&'a Map<String, Value>>,
}

fn push_image(
    registry: &Registry,
    repository: &str,
    format: Format,
    platform: Platform,
    layer_count: usize,
    tag: Option<String>,
    built: Built<'_>,
) -> Image {
    let nonce = nonce();
    let layers: Vec<Layer> = (0..layer_count)
        .map(|index| Layer {
            media_type: format.layer_media_type(),
            data: format!("gantry-testkit layer {index} of image {nonce}\n").into_bytes(),
            annotations: None,
        })
        .collect();
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|layer| sha256_digest(&layer.data))
        .collect();
    let mut config = json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "created": "2026-01-01T00:00:00Z",
        "config": {"Labels": {"dev.gantry.testkit.nonce": nonce}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    if let Some(labels) = built.labels {
        for (name, value) in labels {
            config["config"]["Labels"][name] = value.clone();
        }
    }
    let mut extra = Map::new();
    if let Some(annotations) = built
        .annotations
        .filter(|annotations| !annotations.is_empty())
    {
        extra.insert("annotations".to_owned(), Value::Object(annotations.clone()));
    }
    if let Some(variant) = &platform.variant {
        config["variant"] = json!(variant);
    }
    let media_type = format.manifest_media_type();
    let pushed = push_image_manifest(
        registry,
        repository,
        tag.as_deref(),
        media_type,
        (format.config_media_type(), json_bytes(&config)),
        layers,
        extra,
    );
    Image {
        repository: repository.to_owned(),
        tag,
        format,
        platform,
        digest: pushed.digest,
        media_type: media_type.to_owned(),
        manifest: pushed.manifest,
        config: pushed.config,
        layers: pushed.layers,
    }
}

/// A buildx-style provenance attestation of the image `subject`.
fn push_attestation(registry: &Registry, repository: &str, subject: &str) -> Attestation {
    let statement = json_bytes(&json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "_", "digest": {"sha256": subject.trim_start_matches("sha256:")}}],
        "predicate": {"nonce": nonce()},
    }));
    let config = json_bytes(&json!({
        "architecture": "unknown",
        "os": "unknown",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&statement)]},
    }));
    let layer = Layer {
        media_type: IN_TOTO,
        data: statement,
        annotations: Some(json!({"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"})),
    };
    let pushed = push_image_manifest(
        registry,
        repository,
        None,
        OCI_MANIFEST,
        (OCI_CONFIG, config),
        vec![layer],
        Map::new(),
    );
    Attestation {
        digest: pushed.digest,
        manifest: pushed.manifest,
        subject: subject.to_owned(),
        config: pushed.config,
        layers: pushed.layers,
    }
}
