//! The safety scenarios on the GHCR backend: the fake GitHub API over a real registry.

use gantry_testkit::github::RequestKind;
use gantry_testkit::image::SIGSTORE_BUNDLE;
use gantry_testkit::{CosignKind, Format};

use crate::{Ghcr, KEEP_TWO_OR_TEN_DAYS, Outcome, PRS_GO, assert_every_tag_resolves, family};

#[tokio::test]
async fn multi_arch_images_go_with_their_platform_and_attestation_children() {
    let ghcr = Ghcr::start();
    let old = ghcr
        .registry
        .index("acme/api")
        .attestations()
        .tag("old")
        .push();
    let new = ghcr
        .registry
        .index("acme/api")
        .attestations()
        .tag("new")
        .push();
    ghcr.age("acme/api", &old.digest, 40);
    ghcr.age("acme/api", &new.digest, 1);
    let run = ghcr
        .prune(&["--packages", "api", "--keep-tagged", "1", "--apply"])
        .await;
    let outcome = Outcome::of(&run);
    for digest in family(&old) {
        assert!(outcome.deleted(&digest), "{:?}", outcome.of_digest(&digest));
        assert!(!ghcr.registry.manifest_exists("acme/api", &digest));
    }
    for digest in family(&new) {
        assert!(outcome.kept(&digest), "{:?}", outcome.of_digest(&digest));
    }
    assert_eq!(
        outcome.of_digest(&new.child_digests()[2]).1,
        "child of kept new"
    );
    assert_eq!(
        ghcr.fake.deletions()[0],
        old.digest,
        "the index goes before its children"
    );
    assert_eq!(ghcr.registry.list_tags("acme/api"), ["new"]);
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn a_child_shared_by_two_tags_stays_while_one_is_kept() {
    let ghcr = Ghcr::start();
    let shared = ghcr
        .registry
        .push_shared_child("acme/api", Format::Oci, ["v1.0-rc1", "v1.0"]);
    let run = ghcr
        .prune(&["--packages", "api", "--delete-tags", "*-rc*", "--apply"])
        .await;
    let outcome = Outcome::of(&run);
    let rc_own_child = &shared.first.images[0].digest;
    assert!(outcome.deleted(&shared.first.digest));
    assert!(outcome.deleted(rc_own_child));
    assert_eq!(
        outcome.of_digest(&shared.shared.digest),
        ("kept", "child of kept v1.0".to_owned())
    );
    assert!(
        ghcr.registry
            .manifest_exists("acme/api", &shared.shared.digest)
    );
    assert!(!ghcr.registry.manifest_exists("acme/api", rc_own_child));
    ghcr.registry.assert_resolves_fully("acme/api:v1.0");
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn cosign_signature_tags_follow_their_image() {
    let ghcr = Ghcr::start();
    let kept = ghcr.registry.image("acme/api").tag("v1").push();
    let doomed = ghcr.registry.image("acme/api").tag("pr-7").push();
    let kept_sig = ghcr
        .registry
        .push_cosign("acme/api", &kept.digest, CosignKind::Signature);
    let doomed_sig = ghcr
        .registry
        .push_cosign("acme/api", &doomed.digest, CosignKind::Signature);
    let doomed_att = ghcr
        .registry
        .push_cosign("acme/api", &doomed.digest, CosignKind::Attestation);
    let run = ghcr.prune(&PRS_GO).await;
    let outcome = Outcome::of(&run);
    assert_eq!(
        outcome.of_digest(&kept_sig.digest),
        ("kept", "cosign signature of kept v1".to_owned())
    );
    assert!(outcome.deleted(&doomed.digest));
    assert_eq!(
        outcome.of_digest(&doomed_sig.digest),
        ("deleted", "cosign signature of deleted pr-7".to_owned())
    );
    assert!(outcome.deleted(&doomed_att.digest));
    assert_eq!(
        ghcr.registry.list_tags("acme/api"),
        [kept_sig.tag.clone(), "v1".to_owned()]
    );
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn an_oci_referrer_stays_with_its_kept_subject() {
    let ghcr = Ghcr::start();
    let kept = ghcr.registry.index("acme/api").tag("v1").push();
    let provenance = ghcr
        .registry
        .push_referrer("acme/api", &kept.descriptor(), SIGSTORE_BUNDLE);
    let doomed = ghcr.registry.image("acme/api").tag("pr-1").push();
    let doomed_provenance =
        ghcr.registry
            .push_referrer("acme/api", &doomed.descriptor(), SIGSTORE_BUNDLE);
    let loose = ghcr.registry.image("acme/api").push();
    let run = ghcr.prune(&PRS_GO).await;
    let outcome = Outcome::of(&run);
    assert_eq!(
        outcome.of_digest(&provenance.digest),
        ("kept", "referrer of kept v1".to_owned())
    );
    assert!(
        ghcr.registry
            .manifest_exists("acme/api", &provenance.digest)
    );
    assert_eq!(
        outcome.of_digest(&doomed_provenance.digest),
        ("deleted", "referrer of deleted pr-1".to_owned())
    );
    assert_eq!(outcome.of_digest(&loose.digest).1, "untagged image");
    assert!(!ghcr.registry.manifest_exists("acme/api", &loose.digest));
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn keep_tagged_with_older_than_deletes_only_old_images_beyond_the_newest() {
    let ghcr = Ghcr::start();
    let ages = [1, 2, 5, 20, 30];
    let images: Vec<String> = ages
        .iter()
        .map(|days| {
            let image = ghcr
                .registry
                .image("acme/api")
                .tag(&format!("build-{days}"))
                .push();
            ghcr.age("acme/api", &image.digest, *days);
            image.digest
        })
        .collect();
    let run = ghcr.prune(&KEEP_TWO_OR_TEN_DAYS).await;
    let outcome = Outcome::of(&run);
    let decisions: Vec<(&str, String)> = images
        .iter()
        .map(|digest| outcome.of_digest(digest))
        .collect();
    assert_eq!(
        decisions,
        [
            ("kept", "one of the 2 newest tagged images".to_owned()),
            ("kept", "one of the 2 newest tagged images".to_owned()),
            ("kept", "updated 5 days ago, not older than 10d".to_owned()),
            (
                "deleted",
                "tagged build-20: older than 10d, not among the 2 newest tagged images".to_owned()
            ),
            (
                "deleted",
                "tagged build-30: older than 10d, not among the 2 newest tagged images".to_owned()
            ),
        ]
    );
    assert_eq!(
        ghcr.registry.list_tags("acme/api"),
        ["build-1", "build-2", "build-5"]
    );
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn protect_globs_win_and_delete_tags_never_take_a_protected_tag_along() {
    let ghcr = Ghcr::start();
    let mut digests = Vec::new();
    for tag in ["latest", "v1.0", "v1.1", "main", "pr-2"] {
        let image = ghcr.registry.image("acme/api").tag(tag).push();
        ghcr.age("acme/api", &image.digest, 30);
        digests.push(image.digest);
    }
    // One version tagged both pr-1 and latest-stable.
    let shared = ghcr.registry.image("acme/api").tag("pr-1").push();
    ghcr.registry
        .push_manifest("acme/api", "stable", &shared.media_type, &shared.manifest);
    let run = ghcr
        .prune(&[
            "--packages",
            "api",
            "--protect-tags",
            "v*,latest,stable",
            "--delete-tags",
            "pr-*,main",
            "--apply",
        ])
        .await;
    let outcome = Outcome::of(&run);
    assert_eq!(
        outcome.of_digest(&shared.digest),
        (
            "kept",
            "protected tag stable (matches stable); pr-1 matches --delete-tags, but deleting the version would delete stable too"
                .to_owned()
        )
    );
    assert_eq!(
        outcome.of_digest(&digests[1]).1,
        "protected tag v1.0 (matches v*)"
    );
    assert!(outcome.deleted(&digests[3]) && outcome.deleted(&digests[4]));
    assert_eq!(
        ghcr.registry.list_tags("acme/api"),
        ["latest", "pr-1", "stable", "v1.0", "v1.1"]
    );
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn a_dry_run_deletes_nothing_and_reports_the_plan() {
    let ghcr = Ghcr::start();
    let (old, new) = ghcr.old_and_new();
    let run = ghcr
        .prune(&["--packages", "api", "--keep-tagged", "1"])
        .await;
    let outcome = Outcome::of(&run);
    assert!(!run.applied);
    assert_eq!(outcome.report.deleted.len(), 5, "the plan");
    for digest in family(&old).iter().chain(&family(&new)) {
        assert!(ghcr.registry.manifest_exists("acme/api", digest));
    }
    assert_eq!(ghcr.fake.count(RequestKind::VersionDelete), 0);
    assert_eq!(ghcr.registry.list_tags("acme/api"), ["new", "old"]);
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

/// A user's own packages, private ones included, go through `/user`: the `/users/{name}`
/// routes serve public packages only.
#[tokio::test]
async fn a_users_own_private_packages_are_pruned_through_user() {
    let ghcr = Ghcr::start();
    ghcr.fake
        .add_owner("octo", gantry_testkit::github::OwnerKind::User);
    ghcr.fake.add_token(
        "ghp_octo",
        "octo",
        gantry_testkit::github::TokenKind::Classic,
    );
    let loose = ghcr.registry.image("octo/team/app").push();
    ghcr.registry.image("octo/team/app").tag("v1").push();
    let (run, _log) = ghcr
        .prune_as(
            "ghp_octo",
            &["--owner", "octo", "--packages", "team/app", "--apply"],
        )
        .await;
    let outcome = Outcome::of(&run);
    assert_eq!(outcome.report.deleted.len(), 1, "{:?}", run.packages);
    assert_eq!(outcome.report.deleted[0].package, "octo/team/app");
    assert!(
        !ghcr
            .registry
            .manifest_exists("octo/team/app", &loose.digest)
    );
    assert_eq!(
        run.calls.rest.owner_lookups, 2,
        "GET /users/octo and GET /user"
    );
    assert_eq!(ghcr.fake.count(RequestKind::AuthenticatedUser), 1);
    assert_every_tag_resolves(&ghcr.registry, "octo/team/app");
}
