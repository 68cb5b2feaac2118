//! Tag listings read every page.

use gantry_registry::RegistryError;
use gantry_testkit::Registry;

use crate::{client, repo};

#[tokio::test]
async fn every_page_of_tags_is_read() {
    let registry = Registry::start();
    let image = registry.image("acme/many").push();
    let mut expected = Vec::new();
    for n in 0..7 {
        let name = format!("t{n}");
        registry.push_manifest("acme/many", &name, &image.media_type, &image.manifest);
        expected.push(name);
    }
    for page_size in [1, 2, 3, 7, 1000] {
        let mut tags = client(&registry)
            .with_tags_page_size(page_size)
            .list_tags(&repo("acme/many"))
            .await
            .unwrap();
        // distribution 2.8 pages in its storage order, which need not be sorted.
        tags.sort();
        assert_eq!(tags, expected, "page size {page_size}");
    }
    assert_eq!(
        registry.list_tags("acme/many"),
        expected,
        "skopeo-independent view agrees"
    );
}

#[tokio::test]
async fn an_unknown_repository_is_not_found() {
    let registry = Registry::start();
    let err = client(&registry)
        .list_tags(&repo("acme/ghost"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err:?}");
}
