//! Reading manifests byte for byte and pushing them under new tags keeps every digest.

use gantry_registry::{ImageRef, ManifestKind, MediaTypeOrigin, RegistryError, Tag};
use gantry_testkit::image::SIGSTORE_BUNDLE;
use gantry_testkit::{Format, Registry};

use crate::{client, digest, repo, tag};

/// Reads `reference` with gantry, pushes it as `new_tag`, and checks with skopeo that the
/// new tag serves the same bytes and everything under it resolves.
async fn promote(registry: &Registry, repository: &str, reference: &str, new_tag: &str) -> String {
    let client = client(registry);
    let reference = gantry_registry::TagOrDigest::parse(reference).unwrap();
    let fetched = client
        .get_manifest(&repo(repository), &reference)
        .await
        .unwrap();
    let pushed = client
        .put_manifest(
            &repo(repository),
            &Tag::parse(new_tag).unwrap(),
            &fetched.raw,
            fetched.media_type(),
        )
        .await
        .unwrap();
    assert_eq!(
        pushed, fetched.digest,
        "pushing the same bytes keeps the digest"
    );
    let promoted = format!("{repository}:{new_tag}");
    assert_eq!(registry.digest_of(&promoted), fetched.digest.as_str());
    assert_eq!(registry.inspect_raw(&promoted), fetched.raw);
    registry.assert_resolves_fully(&promoted);
    fetched.digest.to_string()
}

#[tokio::test]
async fn single_platform_images_round_trip_in_both_formats() {
    let registry = Registry::start();
    for format in [Format::Oci, Format::Docker] {
        let image = registry
            .image("acme/api")
            .format(format)
            .layers(2)
            .tag("build")
            .push();
        let fetched = client(&registry)
            .get_manifest(&repo("acme/api"), &tag("build"))
            .await
            .unwrap();
        assert_eq!(fetched.digest.as_str(), image.digest);
        assert_eq!(fetched.raw, image.manifest);
        assert_eq!(fetched.media_type(), format.manifest_media_type());
        assert_eq!(
            fetched.manifest.media_type_origin,
            MediaTypeOrigin::Declared
        );
        let blobs: Vec<String> = fetched
            .manifest
            .blob_digests()
            .map(ToString::to_string)
            .collect();
        assert_eq!(blobs, image.blob_digests());

        let promoted = promote(
            &registry,
            "acme/api",
            "build",
            &format!("{format:?}-prod").to_lowercase(),
        )
        .await;
        assert_eq!(promoted, image.digest);
    }
}

#[tokio::test]
async fn indexes_with_attestations_round_trip_in_both_formats() {
    let registry = Registry::start();
    for format in [Format::Oci, Format::Docker] {
        let index = registry
            .index("acme/web")
            .format(format)
            .attestations()
            .tag("rc")
            .push();
        let fetched = client(&registry)
            .get_manifest(&repo("acme/web"), &tag("rc"))
            .await
            .unwrap();
        let expected_kind = match format {
            Format::Oci => ManifestKind::OciIndex,
            Format::Docker => ManifestKind::DockerManifestList,
        };
        assert_eq!(fetched.manifest.kind, expected_kind);
        let children: Vec<String> = fetched
            .manifest
            .child_digests()
            .map(ToString::to_string)
            .collect();
        assert_eq!(children, index.child_digests());
        let attestations: Vec<_> = fetched
            .manifest
            .children
            .iter()
            .filter(|child| child.is_attestation())
            .collect();
        assert_eq!(attestations.len(), 2);
        for (attestation, image) in attestations.iter().zip(&index.images) {
            assert_eq!(
                attestation.attested_digest().unwrap().as_str(),
                image.digest
            );
        }

        let promoted = promote(
            &registry,
            "acme/web",
            "rc",
            &format!("{format:?}-release").to_lowercase(),
        )
        .await;
        assert_eq!(promoted, index.digest);
    }
}

#[tokio::test]
async fn nested_indexes_and_referrers_round_trip() {
    let registry = Registry::start();
    let inner = registry.index("acme/app").attestations().push();
    let outer = registry
        .index("acme/app")
        .index(&inner)
        .tag("nested")
        .push();
    assert_eq!(
        promote(&registry, "acme/app", "nested", "nested-copy").await,
        outer.digest
    );

    let image = registry.image("acme/app").tag("v1").push();
    let referrer = registry.push_referrer("acme/app", &image.descriptor(), SIGSTORE_BUNDLE);
    let fetched = client(&registry)
        .get_manifest(&repo("acme/app"), &digest(&referrer.digest))
        .await
        .unwrap();
    assert_eq!(
        fetched.manifest.subject_digest().unwrap().as_str(),
        image.digest
    );
    assert_eq!(
        fetched.manifest.artifact_type.as_deref(),
        Some(SIGSTORE_BUNDLE)
    );
    assert_eq!(
        promote(&registry, "acme/app", &referrer.digest, "bundle").await,
        referrer.digest
    );
}

#[tokio::test]
async fn a_manifest_without_media_type_is_read_by_its_structure() {
    let registry = Registry::start();
    let image = registry.image("acme/bare").push();
    let mut body: serde_json::Value = serde_json::from_slice(&image.manifest).unwrap();
    body.as_object_mut().unwrap().remove("mediaType");
    let bare = serde_json::to_vec(&body).unwrap();
    let pushed = registry.push_manifest("acme/bare", "bare", &image.media_type, &bare);
    let fetched = client(&registry)
        .get_manifest(&repo("acme/bare"), &tag("bare"))
        .await
        .unwrap();
    assert_eq!(fetched.digest.as_str(), pushed);
    assert_eq!(
        fetched.manifest.media_type_origin,
        MediaTypeOrigin::Inferred
    );
    assert_eq!(
        fetched.media_type(),
        gantry_registry::manifest::OCI_MANIFEST
    );
    assert_eq!(
        promote(&registry, "acme/bare", "bare", "bare-copy").await,
        pushed
    );
}

#[tokio::test]
async fn existence_and_digest_lookups() {
    let registry = Registry::start();
    let image = registry.image("acme/look").tag("v1").push();
    let client = client(&registry);
    let found = client
        .manifest_digest(&repo("acme/look"), &tag("v1"))
        .await
        .unwrap();
    assert_eq!(found.unwrap().as_str(), image.digest);
    assert!(
        client
            .manifest_exists(&repo("acme/look"), &digest(&image.digest))
            .await
            .unwrap()
    );
    assert!(
        !client
            .manifest_exists(&repo("acme/look"), &tag("v2"))
            .await
            .unwrap()
    );
    let absent = format!("sha256:{}", "0".repeat(64));
    assert!(
        !client
            .manifest_exists(&repo("acme/look"), &digest(&absent))
            .await
            .unwrap()
    );
    assert!(
        !client
            .manifest_exists(&repo("acme/none"), &tag("v1"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_open_registry_costs_one_request_per_read() {
    let registry = Registry::start();
    let image = registry.image("acme/open").tag("v1").push();
    let client = client(&registry);
    for _ in 0..3 {
        client
            .get_manifest(&repo("acme/open"), &digest(&image.digest))
            .await
            .unwrap();
    }
    let stats = client.stats();
    assert_eq!(
        (stats.manifest_gets, stats.total()),
        (3, 3),
        "no /v2/ checks, no auth: {stats:?}"
    );
}

#[tokio::test]
async fn missing_manifests_are_not_found() {
    let registry = Registry::start();
    registry.image("acme/api").tag("v1").push();
    let client = client(&registry);
    for (repository, reference) in [
        ("acme/api", tag("v2")),
        ("acme/api", digest(&format!("sha256:{}", "1".repeat(64)))),
        ("acme/nothing", tag("v1")),
    ] {
        let err = client
            .get_manifest(&repo(repository), &reference)
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::NotFound { .. }), "{err:?}");
        assert!(!err.is_input_error());
        assert!(
            err.to_string()
                .contains(&format!("manifest {reference} not found")),
            "{err}"
        );
    }
}

#[test]
fn bad_references_are_input_errors() {
    for input in [
        "ghcr.io/Acme/api:v1",
        "ghcr.io/acme/api@sha256:123",
        "ghcr.io/acme/api:v1 ",
    ] {
        let err: RegistryError = ImageRef::parse(input).unwrap_err().into();
        assert!(err.is_input_error(), "{input}");
        assert!(miette::Diagnostic::help(&err).is_some(), "{input}");
    }
}
