//! The promotion itself: read the source manifest once, check that everything it lists is
//! there, then push the same bytes under each tag that does not already point at them.

use std::collections::HashSet;

use futures::{StreamExt as _, TryStreamExt as _, stream};
use gantry_registry::{
    Descriptor, Digest, FetchedManifest, ImageRef, ManifestKind, RegistryClient, RegistryError,
    Tag, TagOrDigest,
};
use serde::Serialize;

use crate::error::PromoteError;

/// Registry requests in flight at once while checking children and looking up tags.
const CONCURRENCY: usize = 8;

/// What a promotion did: the JSON document of `--format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Promotion {
    /// The source as given, normalised (`ghcr.io/acme/api:staging`).
    pub image: String,
    /// The digest every tag now points at.
    pub digest: Digest,
    pub media_type: String,
    /// One entry per requested tag, in the order given.
    pub tags: Vec<TagPromotion>,
}

/// What happened to one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TagPromotion {
    pub tag: Tag,
    /// `registry/repository:tag`
    pub reference: String,
    /// What the tag pointed at before; `None` when it did not exist.
    pub previous_digest: Option<Digest>,
    pub status: TagStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagStatus {
    /// The tag did not exist.
    Created,
    /// The tag pointed at another manifest.
    Moved,
    /// The tag already pointed at the digest; nothing was written.
    Unchanged,
}

/// Promotes `image` to `tags` in its own repository. Fails closed: no tag is written unless
/// the source and every manifest it lists (recursively) exist.
pub async fn promote(
    client: &RegistryClient,
    image: &ImageRef,
    tags: &[Tag],
) -> Result<Promotion, PromoteError> {
    let repository = image.repository();
    let source = read_source(client, image).await?;
    tracing::info!(
        "{image} is {} ({}, {} child manifest(s))",
        source.digest,
        describe_media_type(source.media_type()),
        source.manifest.children.len()
    );
    check_children(client, image, &source).await?;
    let previous: Vec<Option<Digest>> = stream::iter(tags)
        .map(|tag| async move {
            let tag = TagOrDigest::Tag(tag.clone());
            client.manifest_digest(repository, &tag).await
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let planned = plan(image, &source.digest, tags, previous);
    write(client, image, &source, &planned).await?;
    Ok(Promotion {
        image: image.to_string(),
        digest: source.digest,
        media_type: source.manifest.media_type,
        tags: planned,
    })
}

/// The status of each tag, given the digest it points at now (`previous`, in tag order).
pub fn plan(
    image: &ImageRef,
    digest: &Digest,
    tags: &[Tag],
    previous: Vec<Option<Digest>>,
) -> Vec<TagPromotion> {
    tags.iter()
        .zip(previous)
        .map(|(tag, previous_digest)| {
            let status = match &previous_digest {
                None => TagStatus::Created,
                Some(previous) if previous == digest => TagStatus::Unchanged,
                Some(_) => TagStatus::Moved,
            };
            TagPromotion {
                tag: tag.clone(),
                reference: reference(image, tag),
                previous_digest,
                status,
            }
        })
        .collect()
}

/// `registry/repository:tag`, named as the user named the image (not by `--registry-url`).
pub fn reference(image: &ImageRef, tag: &Tag) -> String {
    format!("{}/{}:{tag}", image.registry(), image.repository())
}

/// `OCI image index`, `Docker manifest list`, … or the media type itself.
pub fn describe_media_type(media_type: &str) -> &str {
    match ManifestKind::from_media_type(media_type) {
        ManifestKind::OciIndex => "OCI image index",
        ManifestKind::DockerManifestList => "Docker manifest list",
        ManifestKind::OciImage => "OCI image manifest",
        ManifestKind::DockerImage => "Docker image manifest",
        ManifestKind::Unknown => media_type,
    }
}

async fn read_source(
    client: &RegistryClient,
    image: &ImageRef,
) -> Result<FetchedManifest, PromoteError> {
    match client
        .get_manifest(image.repository(), &image.target())
        .await
    {
        Ok(source) => Ok(source),
        Err(RegistryError::NotFound { .. }) => {
            let endpoint = client.endpoint();
            let asked = if endpoint.host() == image.registry() {
                String::new()
            } else {
                format!(" (asked {})", endpoint.url())
            };
            Err(PromoteError::SourceMissing {
                reference: image.to_string(),
                asked,
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// A manifest listed by an index, and the index that lists it.
struct Listed {
    parent: Digest,
    child: Descriptor,
}

/// Whether a listed manifest is there; for an index, also what it lists in turn.
enum Found {
    Present,
    Missing,
    Index(Vec<Descriptor>),
}

/// Every manifest the source lists, and every manifest those indexes list, must exist in the
/// repository; otherwise the new tags would point at a broken image.
async fn check_children(
    client: &RegistryClient,
    image: &ImageRef,
    source: &FetchedManifest,
) -> Result<(), PromoteError> {
    let listed_by = |parent: Digest, children: Vec<Descriptor>| {
        children.into_iter().map(move |child| Listed {
            parent: parent.clone(),
            child,
        })
    };
    let mut seen = HashSet::from([source.digest.clone()]);
    let mut level: Vec<Listed> =
        listed_by(source.digest.clone(), source.manifest.children.clone()).collect();
    let mut missing = Vec::new();
    while !level.is_empty() {
        level.retain(|listed| seen.insert(listed.child.digest.clone()));
        let found: Vec<Found> = stream::iter(&level)
            .map(|listed| look_up(client, image, &listed.child))
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut next = Vec::new();
        for (listed, found) in level.into_iter().zip(found) {
            match found {
                Found::Present => {}
                Found::Missing => missing.push(describe_missing(&listed, &source.digest)),
                Found::Index(children) => next.extend(listed_by(listed.child.digest, children)),
            }
        }
        level = next;
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PromoteError::MissingChildren {
            reference: image.to_string(),
            digest: source.digest.to_string(),
            missing,
        })
    }
}

/// A HEAD for an image manifest; a GET for an index, whose children are checked next.
async fn look_up(
    client: &RegistryClient,
    image: &ImageRef,
    child: &Descriptor,
) -> Result<Found, RegistryError> {
    let digest = TagOrDigest::Digest(child.digest.clone());
    let is_index = child
        .media_type
        .as_deref()
        .is_some_and(|media_type| ManifestKind::from_media_type(media_type).is_index());
    if !is_index {
        let exists = client.manifest_exists(image.repository(), &digest).await?;
        return Ok(if exists {
            Found::Present
        } else {
            Found::Missing
        });
    }
    match client.get_manifest(image.repository(), &digest).await {
        Ok(index) => Ok(Found::Index(index.manifest.children)),
        Err(RegistryError::NotFound { .. }) => Ok(Found::Missing),
        Err(err) => Err(err),
    }
}

/// `sha256:… (linux/arm64)`, `sha256:… (attestation, listed by sha256:…)`.
fn describe_missing(listed: &Listed, root: &Digest) -> String {
    let child = &listed.child;
    let mut notes = Vec::new();
    if child.is_attestation() {
        notes.push("attestation".to_owned());
    } else if let Some(platform) = &child.platform {
        let mut name = format!("{}/{}", platform.os, platform.architecture);
        if let Some(variant) = &platform.variant {
            name = format!("{name}/{variant}");
        }
        notes.push(name);
    }
    if listed.parent != *root {
        notes.push(format!("listed by {}", listed.parent));
    }
    if notes.is_empty() {
        child.digest.to_string()
    } else {
        format!("{} ({})", child.digest, notes.join(", "))
    }
}

/// Pushes the source bytes under every tag that needs it, in order, checking each one after.
async fn write(
    client: &RegistryClient,
    image: &ImageRef,
    source: &FetchedManifest,
    planned: &[TagPromotion],
) -> Result<(), PromoteError> {
    let mut written: Vec<&str> = Vec::new();
    for promotion in planned {
        if promotion.status == TagStatus::Unchanged {
            tracing::info!("{} already is {}", promotion.reference, source.digest);
            continue;
        }
        if let Err(err) = push_and_verify(client, image, source, promotion).await {
            if !written.is_empty() {
                tracing::warn!(
                    "written before the failure, now pointing at {}: {}",
                    source.digest,
                    written.join(", ")
                );
            }
            return Err(err);
        }
        tracing::info!("{} → {}", promotion.reference, source.digest);
        written.push(&promotion.reference);
    }
    Ok(())
}

async fn push_and_verify(
    client: &RegistryClient,
    image: &ImageRef,
    source: &FetchedManifest,
    promotion: &TagPromotion,
) -> Result<(), PromoteError> {
    let repository = image.repository();
    client
        .put_manifest(repository, &promotion.tag, &source.raw, source.media_type())
        .await?;
    // The promise is "same digest": read it back rather than trust the push.
    let now = client
        .manifest_digest(repository, &TagOrDigest::Tag(promotion.tag.clone()))
        .await?;
    if now.as_ref() == Some(&source.digest) {
        return Ok(());
    }
    Err(PromoteError::DigestChanged {
        reference: promotion.reference.clone(),
        expected: source.digest.to_string(),
        actual: now.map_or_else(|| "nothing".to_owned(), |digest| digest.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(fill: char) -> Digest {
        Digest::parse(&format!("sha256:{}", fill.to_string().repeat(64))).unwrap()
    }

    #[test]
    fn each_tag_is_created_moved_or_unchanged() {
        let image = ImageRef::parse("ghcr.io/acme/api:staging").unwrap();
        let tags: Vec<Tag> = ["production", "v1", "v1.2"]
            .iter()
            .map(|tag| Tag::parse(tag).unwrap())
            .collect();
        let planned = plan(
            &image,
            &digest('a'),
            &tags,
            vec![None, Some(digest('b')), Some(digest('a'))],
        );
        let summary: Vec<(&str, TagStatus, Option<Digest>)> = planned
            .iter()
            .map(|tag| {
                (
                    tag.reference.as_str(),
                    tag.status,
                    tag.previous_digest.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("ghcr.io/acme/api:production", TagStatus::Created, None),
                ("ghcr.io/acme/api:v1", TagStatus::Moved, Some(digest('b'))),
                (
                    "ghcr.io/acme/api:v1.2",
                    TagStatus::Unchanged,
                    Some(digest('a'))
                ),
            ]
        );
    }

    #[test]
    fn references_keep_the_image_registry_and_digest_sources_lose_nothing() {
        let image = ImageRef::parse(&format!("127.0.0.1:5000/acme/api@{}", digest('c'))).unwrap();
        assert_eq!(
            reference(&image, &Tag::parse("prod").unwrap()),
            "127.0.0.1:5000/acme/api:prod"
        );
    }

    #[test]
    fn media_types_read_as_names() {
        assert_eq!(
            describe_media_type("application/vnd.oci.image.index.v1+json"),
            "OCI image index"
        );
        assert_eq!(
            describe_media_type("application/vnd.docker.distribution.manifest.v2+json"),
            "Docker image manifest"
        );
        assert_eq!(
            describe_media_type("application/x-other"),
            "application/x-other"
        );
    }

    #[test]
    fn missing_children_say_what_they_are_and_who_lists_them() {
        let child = |json: &str| serde_json::from_str::<Descriptor>(json).unwrap();
        let platform = Listed {
            parent: digest('a'),
            child: child(&format!(
                r#"{{"digest":"{}","platform":{{"os":"linux","architecture":"arm","variant":"v7"}}}}"#,
                digest('b')
            )),
        };
        assert_eq!(
            describe_missing(&platform, &digest('a')),
            format!("{} (linux/arm/v7)", digest('b'))
        );
        let nested_attestation = Listed {
            parent: digest('c'),
            child: child(&format!(
                r#"{{"digest":"{}","platform":{{"os":"unknown","architecture":"unknown"}}}}"#,
                digest('d')
            )),
        };
        assert_eq!(
            describe_missing(&nested_attestation, &digest('a')),
            format!("{} (attestation, listed by {})", digest('d'), digest('c'))
        );
        let bare = Listed {
            parent: digest('a'),
            child: child(&format!(r#"{{"digest":"{}"}}"#, digest('e'))),
        };
        assert_eq!(
            describe_missing(&bare, &digest('a')),
            digest('e').to_string()
        );
    }
}
