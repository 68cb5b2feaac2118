//! HTTP Basic auth against a registry with an htpasswd file.

use gantry_registry::{Credentials, Deletion, Digest, RegistryError, Secret, Tag};
use gantry_testkit::{BASIC_PASSWORD, BASIC_USER, Registry, RegistryOptions};

use crate::{client_with, repo, tag};

fn private_registry() -> Registry {
    Registry::start_with(RegistryOptions {
        basic_auth: true,
        ..RegistryOptions::default()
    })
}

fn basic(password: &str) -> Credentials {
    Credentials::Basic {
        username: BASIC_USER.to_owned(),
        password: Secret::new(password),
    }
}

#[tokio::test]
async fn the_right_password_reads_pushes_lists_and_deletes() {
    let registry = private_registry();
    let image = registry.image("acme/private").tag("v1").push();
    let client = client_with(&registry.url(), basic(BASIC_PASSWORD));
    let fetched = client
        .get_manifest(&repo("acme/private"), &tag("v1"))
        .await
        .unwrap();
    client
        .put_manifest(
            &repo("acme/private"),
            &Tag::parse("v2").unwrap(),
            &fetched.raw,
            fetched.media_type(),
        )
        .await
        .unwrap();
    assert_eq!(registry.digest_of("acme/private:v2"), image.digest);
    let mut tags = client.list_tags(&repo("acme/private")).await.unwrap();
    tags.sort();
    assert_eq!(tags, ["v1", "v2"]);
    let deleted = client
        .delete_manifest(
            &repo("acme/private"),
            &Digest::parse(&image.digest).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(deleted, Deletion::Deleted);
    assert!(registry.list_tags("acme/private").is_empty());
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_that_does_not_show_it() {
    let registry = private_registry();
    let image = registry.image("acme/private").tag("v1").push();
    let wrong = "not-the-password-4711";
    let client = client_with(&registry.url(), basic(wrong));
    let failures = [
        client
            .get_manifest(&repo("acme/private"), &tag("v1"))
            .await
            .unwrap_err(),
        client.list_tags(&repo("acme/private")).await.unwrap_err(),
        client
            .put_manifest(
                &repo("acme/private"),
                &Tag::parse("v2").unwrap(),
                &image.manifest,
                &image.media_type,
            )
            .await
            .unwrap_err(),
        client
            .delete_manifest(
                &repo("acme/private"),
                &Digest::parse(&image.digest).unwrap(),
            )
            .await
            .unwrap_err(),
    ];
    for err in failures {
        assert!(matches!(err, RegistryError::Auth { .. }), "{err:?}");
        assert!(!err.is_input_error() && !err.is_transient());
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("user name and password"), "{help}");
        let shown = format!("{err} {err:?} {help}");
        assert!(!shown.contains(wrong), "{shown}");
        assert!(!shown.contains(BASIC_PASSWORD), "{shown}");
    }
    assert_eq!(
        registry.list_tags("acme/private"),
        ["v1"],
        "nothing was pushed"
    );
}

#[tokio::test]
async fn no_credentials_is_an_auth_error_with_a_hint() {
    let registry = private_registry();
    registry.image("acme/private").tag("v1").push();
    let err = client_with(&registry.url(), Credentials::Anonymous)
        .get_manifest(&repo("acme/private"), &tag("v1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err:?}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("GITHUB_TOKEN"), "{help}");
}
