//! Every kind of image keeps its digest, its children and its referrers when promoted.

use gantry_promote::{PromoteError, TagStatus};
use gantry_registry::{Digest, Repository};
use gantry_testkit::image::SIGSTORE_BUNDLE;
use gantry_testkit::{Format, Registry};

use crate::{assert_same_image, client, promote};

#[tokio::test]
async fn single_images_keep_their_digest_in_both_formats() {
    let registry = Registry::start();
    for format in [Format::Oci, Format::Docker] {
        let repository = format!("acme/{format:?}").to_lowercase();
        let image = registry
            .image(&repository)
            .format(format)
            .layers(2)
            .tag("build")
            .push();
        let promotion = promote(
            &registry,
            &format!("{repository}:build"),
            &["production", "v1"],
        )
        .await
        .unwrap();
        assert_eq!(promotion.digest.as_str(), image.digest);
        assert_eq!(promotion.media_type, format.manifest_media_type());
        for tag in ["production", "v1"] {
            assert_same_image(
                &registry,
                &format!("{repository}:build"),
                &format!("{repository}:{tag}"),
            );
        }
        assert_eq!(
            registry.list_tags(&repository),
            ["build", "production", "v1"]
        );
    }
}

#[tokio::test]
async fn indexes_with_attestations_keep_every_child_in_both_formats() {
    let registry = Registry::start();
    for format in [Format::Oci, Format::Docker] {
        let repository = format!("acme/{format:?}").to_lowercase();
        let index = registry
            .index(&repository)
            .format(format)
            .platforms(&["linux/amd64", "linux/arm64", "linux/arm/v7"])
            .attestations()
            .tag("sha-1a2b3c4")
            .push();
        assert_eq!(index.attestations.len(), 3);
        let promotion = promote(
            &registry,
            &format!("{repository}:sha-1a2b3c4"),
            &["production"],
        )
        .await
        .unwrap();
        assert_eq!(promotion.digest.as_str(), index.digest);
        assert_eq!(promotion.media_type, format.index_media_type());
        let promoted = format!("{repository}:production");
        assert_same_image(&registry, &format!("{repository}:sha-1a2b3c4"), &promoted);
        assert_eq!(registry.inspect_raw(&promoted), index.manifest);
        for child in index.child_digests() {
            assert!(registry.manifest_exists(&repository, &child), "{child}");
            registry.assert_resolves_fully(&format!("{repository}@{child}"));
        }
    }
}

#[tokio::test]
async fn an_index_of_indexes_is_checked_all_the_way_down() {
    let registry = Registry::start();
    let inner = registry.index("acme/api").attestations().push();
    let outer = registry
        .index("acme/api")
        .index(&inner)
        .platforms(&["linux/s390x"])
        .tag("build")
        .push();
    let promotion = promote(&registry, "acme/api:build", &["production"])
        .await
        .unwrap();
    assert_eq!(promotion.digest.as_str(), outer.digest);
    assert_same_image(&registry, "acme/api:build", "acme/api:production");
}

#[tokio::test]
async fn referrers_still_point_at_the_promoted_image() {
    let registry = Registry::start();
    let image = registry.image("acme/api").tag("build").push();
    let index = registry.index("acme/api").tag("multi").push();
    let image_referrer = registry.push_referrer("acme/api", &image.descriptor(), SIGSTORE_BUNDLE);
    let index_referrer = registry.push_referrer("acme/api", &index.descriptor(), SIGSTORE_BUNDLE);

    promote(&registry, "acme/api:build", &["production"])
        .await
        .unwrap();
    promote(&registry, "acme/api:multi", &["production-multi"])
        .await
        .unwrap();

    for (referrer, promoted) in [
        (&image_referrer, "acme/api:production"),
        (&index_referrer, "acme/api:production-multi"),
    ] {
        let raw = registry.inspect_raw(&referrer.reference());
        assert_eq!(raw, referrer.manifest, "the referrer is untouched");
        let manifest: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(
            manifest["subject"]["digest"].as_str().unwrap(),
            registry.digest_of(promoted),
            "the referrer's subject is the promoted tag's digest"
        );
        registry.assert_resolves_fully(&referrer.reference());
        assert_same_image(
            &registry,
            &format!("acme/api@{}", referrer.subject.digest),
            promoted,
        );
    }
}

#[tokio::test]
async fn a_digest_reference_is_promoted_as_is() {
    let registry = Registry::start();
    let index = registry.index("acme/api").attestations().push();
    let promotion = promote(&registry, &index.reference(), &["production"])
        .await
        .unwrap();
    assert_eq!(promotion.digest.as_str(), index.digest);
    assert_eq!(
        promotion.image,
        format!("{}/{}", registry.host(), index.reference())
    );
    assert_same_image(&registry, &index.reference(), "acme/api:production");
}

#[tokio::test]
async fn promoting_again_changes_nothing_and_moved_tags_say_from_where() {
    let registry = Registry::start();
    let old = registry.image("acme/api").tag("production").push();
    let new = registry.image("acme/api").tag("build").push();

    let first = promote(&registry, "acme/api:build", &["production", "v2"])
        .await
        .unwrap();
    let statuses: Vec<_> = first
        .tags
        .iter()
        .map(|tag| (tag.tag.to_string(), tag.status, tag.previous_digest.clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (
                "production".to_owned(),
                TagStatus::Moved,
                Some(Digest::parse(&old.digest).unwrap())
            ),
            ("v2".to_owned(), TagStatus::Created, None),
        ]
    );

    let again = promote(&registry, "acme/api:build", &["production", "v2", "build"])
        .await
        .unwrap();
    assert!(
        again
            .tags
            .iter()
            .all(|tag| tag.status == TagStatus::Unchanged),
        "{again:?}"
    );
    assert!(
        again.tags.iter().all(
            |tag| tag.previous_digest.as_ref().map(Digest::as_str) == Some(new.digest.as_str())
        )
    );
    assert_same_image(&registry, "acme/api:build", "acme/api:production");
}

#[tokio::test]
async fn an_index_with_a_missing_child_is_not_promoted() {
    let registry = Registry::start();
    let index = registry
        .index("acme/api")
        .platforms(&["linux/amd64", "linux/arm64"])
        .attestations()
        .tag("build")
        .push();
    let arm64 = &index.images[1];
    let attestation = &index.attestations[0];
    for digest in [&arm64.digest, &attestation.digest] {
        delete(&registry, digest).await;
    }

    let err = promote(&registry, "acme/api:build", &["production"])
        .await
        .unwrap_err();
    let PromoteError::MissingChildren {
        missing, digest, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(digest, &index.digest);
    assert_eq!(
        missing,
        &[
            format!("{} (linux/arm64)", arm64.digest),
            format!("{} (attestation)", attestation.digest)
        ]
    );
    assert!(err.to_string().ends_with("no tag was written"), "{err}");
    assert_eq!(
        registry.list_tags("acme/api"),
        ["build"],
        "nothing was written"
    );
}

#[tokio::test]
async fn a_missing_grandchild_names_the_index_that_lists_it() {
    let registry = Registry::start();
    let inner = registry
        .index("acme/api")
        .platforms(&["linux/riscv64"])
        .push();
    registry.index("acme/api").index(&inner).tag("build").push();
    let grandchild = &inner.images[0].digest;
    delete(&registry, grandchild).await;

    let err = promote(&registry, "acme/api:build", &["production"])
        .await
        .unwrap_err();
    let PromoteError::MissingChildren { missing, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        missing,
        &[format!(
            "{grandchild} (linux/riscv64, listed by {})",
            inner.digest
        )]
    );
    assert_eq!(registry.list_tags("acme/api"), ["build"]);
}

/// Deletes a manifest (testkit registries allow deletes).
async fn delete(registry: &Registry, digest: &str) {
    client(registry)
        .delete_manifest(
            &Repository::parse("acme/api").unwrap(),
            &Digest::parse(digest).unwrap(),
        )
        .await
        .unwrap();
    assert!(!registry.manifest_exists("acme/api", digest));
}
