//! Deleting manifests: done, already gone, or refused by the registry.

use gantry_registry::{Deletion, Digest, RegistryError};
use gantry_testkit::{Registry, RegistryOptions};

use crate::{client, repo};

#[tokio::test]
async fn delete_removes_the_manifest_and_a_second_delete_finds_it_gone() {
    let registry = Registry::start();
    let keep = registry.image("acme/api").tag("keep").push();
    let drop = registry.image("acme/api").tag("drop").push();
    let client = client(&registry);
    let target = Digest::parse(&drop.digest).unwrap();

    let first = client
        .delete_manifest(&repo("acme/api"), &target)
        .await
        .unwrap();
    assert_eq!(first, Deletion::Deleted);
    assert!(!registry.manifest_exists("acme/api", &drop.digest));
    assert!(registry.manifest_exists("acme/api", &keep.digest));
    assert_eq!(registry.list_tags("acme/api"), ["keep"]);
    registry.assert_resolves_fully("acme/api:keep");

    let second = client
        .delete_manifest(&repo("acme/api"), &target)
        .await
        .unwrap();
    assert_eq!(second, Deletion::AlreadyGone);
}

#[tokio::test]
async fn registries_that_refuse_deletes_say_so() {
    let registry = Registry::start_with(RegistryOptions {
        deletes_disabled: true,
        ..RegistryOptions::default()
    });
    let image = registry.image("acme/api").tag("v1").push();
    let err = client(&registry)
        .delete_manifest(&repo("acme/api"), &Digest::parse(&image.digest).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::DeleteUnsupported { .. }),
        "{err:?}"
    );
    assert!(registry.manifest_exists("acme/api", &image.digest));
}
