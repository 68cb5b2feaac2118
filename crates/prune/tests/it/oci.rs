//! The safety scenarios on the OCI backend, against the real registry directly.

use gantry_prune::backend::{JOURNAL_ANNOTATION, JOURNAL_TAG, JOURNAL_TYPE};
use gantry_prune::engine::Run;
use gantry_testkit::faults::{Fault, FaultProxy};
use gantry_testkit::image::{OCI_INDEX, SIGSTORE_BUNDLE};
use gantry_testkit::{CosignKind, Format, Registry};
use serde_json::{Value, json};

use crate::{
    KEEP_TWO_OR_TEN_DAYS, Outcome, PRS_GO, assert_every_tag_resolves, family, oci_argv, registry,
};

async fn prune(registry: &Registry, extra: &[&str]) -> Run {
    crate::prune(&oci_argv(registry, extra), &[]).await.0
}

/// An image tagged `tag` whose manifest says it was created `days` ago.
fn dated_image(registry: &Registry, tag: &str, days: i64) -> String {
    let image = registry.image("acme/api").push();
    let mut manifest: Value = serde_json::from_slice(&image.manifest).unwrap();
    let created = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
    manifest["annotations"] = json!({"org.opencontainers.image.created": created.to_string()});
    registry.push_manifest(
        "acme/api",
        tag,
        &image.media_type,
        &serde_json::to_vec(&manifest).unwrap(),
    )
}

#[tokio::test]
async fn multi_arch_images_go_with_their_children_and_shared_children_stay() {
    let registry = registry();
    let old = registry.index("acme/api").attestations().tag("old").push();
    let new = registry.index("acme/api").attestations().tag("new").push();
    let shared = registry.push_shared_child("acme/api", Format::Docker, ["v1.0-rc1", "v1.0"]);
    let run = prune(
        &registry,
        &["--packages", "api", "--delete-tags", "old,*-rc*", "--apply"],
    )
    .await;
    let outcome = Outcome::of(&run);
    for digest in family(&old) {
        assert!(outcome.deleted(&digest), "{:?}", outcome.of_digest(&digest));
        assert!(!registry.manifest_exists("acme/api", &digest));
    }
    for digest in family(&new) {
        assert!(outcome.kept(&digest));
    }
    assert!(outcome.deleted(&shared.first.digest));
    assert!(outcome.deleted(&shared.first.images[0].digest));
    assert_eq!(
        outcome.of_digest(&shared.shared.digest),
        ("kept", "child of kept v1.0".to_owned())
    );
    assert_eq!(registry.list_tags("acme/api"), ["new", "v1.0"]);
    assert_every_tag_resolves(&registry, "acme/api");
}

#[tokio::test]
async fn signatures_and_referrers_index_tags_follow_their_subject() {
    let registry = registry();
    let kept = registry.image("acme/api").tag("v1").push();
    let doomed = registry.image("acme/api").tag("pr-3").push();
    let kept_sig = registry.push_cosign("acme/api", &kept.digest, CosignKind::Signature);
    let doomed_sbom = registry.push_cosign("acme/api", &doomed.digest, CosignKind::Sbom);
    // OCI 1.1 referrers: found through the referrers tag schema (`sha256-<hex>`), or not at all.
    let referrers_index = |subject: &gantry_testkit::Image| {
        let referrer = registry.push_referrer("acme/api", &subject.descriptor(), SIGSTORE_BUNDLE);
        let index = json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{"mediaType": referrer.media_type, "digest": referrer.digest,
                           "size": referrer.manifest.len(), "artifactType": SIGSTORE_BUNDLE}],
        });
        let tag = subject.digest.replace(':', "-");
        registry.push_manifest(
            "acme/api",
            &tag,
            OCI_INDEX,
            &serde_json::to_vec(&index).unwrap(),
        );
        referrer.digest
    };
    let kept_referrer = referrers_index(&kept);
    let doomed_referrer = referrers_index(&doomed);
    let hidden = registry.push_referrer("acme/api", &kept.descriptor(), SIGSTORE_BUNDLE);
    let run = prune(&registry, &PRS_GO).await;
    let outcome = Outcome::of(&run);
    assert_eq!(
        outcome.of_digest(&kept_sig.digest),
        ("kept", "cosign signature of kept v1".to_owned())
    );
    assert!(outcome.deleted(&doomed.digest));
    assert!(outcome.deleted(&doomed_sbom.digest));
    assert!(outcome.kept(&kept_referrer));
    assert!(outcome.deleted(&doomed_referrer));
    assert!(registry.manifest_exists("acme/api", &kept_referrer));
    assert!(!registry.manifest_exists("acme/api", &doomed_referrer));
    // A referrer nothing lists cannot be found, so it is never touched.
    assert!(registry.manifest_exists("acme/api", &hidden.digest));
    assert_every_tag_resolves(&registry, "acme/api");
}

#[tokio::test]
async fn keep_tagged_with_older_than_uses_the_created_annotation() {
    let registry = registry();
    let digests: Vec<String> = [1, 2, 5, 20, 30]
        .iter()
        .map(|days| dated_image(&registry, &format!("build-{days}"), *days))
        .collect();
    let undated = registry.image("acme/api").tag("undated").push();
    let run = prune(&registry, &KEEP_TWO_OR_TEN_DAYS).await;
    let outcome = Outcome::of(&run);
    let lists: Vec<&str> = digests.iter().map(|d| outcome.of_digest(d).0).collect();
    assert_eq!(lists, ["kept", "kept", "kept", "deleted", "deleted"]);
    assert_eq!(
        outcome.of_digest(&undated.digest).1,
        "the registry gives no date for it, so no age rule can select it"
    );
    assert_eq!(
        registry.list_tags("acme/api"),
        ["build-1", "build-2", "build-5", "undated"]
    );
    assert_every_tag_resolves(&registry, "acme/api");
}

#[tokio::test]
async fn protected_tags_win_and_a_dry_run_deletes_nothing() {
    let registry = registry();
    let shared = registry.image("acme/api").tag("pr-1").push();
    registry.push_manifest("acme/api", "latest", &shared.media_type, &shared.manifest);
    let doomed = registry.index("acme/api").tag("pr-2").push();
    let args = [
        "--packages",
        "api",
        "--delete-tags",
        "pr-*",
        "--protect-tags",
        "latest",
    ];
    let dry = prune(&registry, &args).await;
    let outcome = Outcome::of(&dry);
    assert!(outcome.kept(&shared.digest));
    assert_eq!(outcome.report.deleted.len(), 3, "pr-2 and its two children");
    assert!(registry.manifest_exists("acme/api", &doomed.digest));
    assert_eq!(registry.list_tags("acme/api"), ["latest", "pr-1", "pr-2"]);

    let applied = prune(&registry, &[&args[..], &["--apply"]].concat()).await;
    assert_eq!(Outcome::of(&applied).report.deleted.len(), 3);
    assert_eq!(registry.list_tags("acme/api"), ["latest", "pr-1"]);
    assert_every_tag_resolves(&registry, "acme/api");
}

/// A deletion that fails after its index went: the journal keeps the child findable, and
/// the next run deletes it and then the journal.
#[tokio::test]
async fn what_a_failed_run_leaves_unreachable_is_journaled_and_deleted_next_time() {
    let registry = registry();
    let doomed = registry.builds("acme/api", 2);
    let kept = registry.index("acme/api").tag("latest").push();
    let stuck = doomed[0].child_digests()[0].clone();
    let proxy = FaultProxy::start(&registry.host());
    proxy.inject(
        &format!("DELETE /v2/acme/api/manifests/{stuck}"),
        Fault::status(400),
        1,
    );
    let flags = ["--packages", "api", "--delete-tags", "build-*", "--apply"];
    let argv = [
        &["gantry-prune", "--backend", "oci", "--owner", "acme"][..],
        &["--registry-url", &proxy.url()],
        &flags,
    ]
    .concat()
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect::<Vec<_>>();
    let first = crate::prune(&argv, &[]).await.0;
    let outcome = Outcome::of(&first);
    assert_eq!(outcome.of_digest(&stuck).0, "failed");
    assert!(!registry.manifest_exists("acme/api", &doomed[0].digest));
    assert!(registry.manifest_exists("acme/api", &stuck));
    assert_eq!(registry.list_tags("acme/api"), [JOURNAL_TAG, "latest"]);
    assert_eq!(
        first.calls.registry.manifest_writes, 2,
        "written, then rewritten"
    );
    // The journal is a manifest every client reads, and lists what is left.
    assert_every_tag_resolves(&registry, "acme/api");
    let journal: Value =
        serde_json::from_slice(&registry.inspect_raw(&format!("acme/api:{JOURNAL_TAG}"))).unwrap();
    assert_eq!(journal["artifactType"], JOURNAL_TYPE);
    assert_eq!(journal["annotations"][JOURNAL_ANNOTATION], stuck.as_str());

    // A dry run reports it and changes nothing.
    let dry = prune(&registry, &["--packages", "api"]).await;
    assert_eq!(
        Outcome::of(&dry).of_digest(&stuck),
        (
            "deleted",
            "left by an interrupted run that had deleted the index listing it".to_owned()
        )
    );
    assert!(registry.manifest_exists("acme/api", &stuck));
    assert_eq!(registry.list_tags("acme/api"), [JOURNAL_TAG, "latest"]);

    // Whatever the rules say now, what was left goes; then the journal.
    let second = prune(
        &registry,
        &["--packages", "api", "--older-than", "30d", "--apply"],
    )
    .await;
    assert!(Outcome::of(&second).deleted(&stuck));
    assert!(!registry.manifest_exists("acme/api", &stuck));
    assert_eq!(registry.list_tags("acme/api"), ["latest"]);
    for digest in family(&doomed[0]).iter().chain(&family(&doomed[1])) {
        assert!(!registry.manifest_exists("acme/api", digest), "{digest}");
    }
    registry.assert_resolves_fully(&kept.reference());
}

/// A journaled version that a kept index lists again is kept, and the journal still goes.
#[tokio::test]
async fn a_journaled_version_that_a_kept_index_reaches_stays() {
    let registry = registry();
    let shared = registry.push_shared_child("acme/api", Format::Oci, ["v1.0-rc1", "v1.0"]);
    let journal = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "artifactType": JOURNAL_TYPE,
        "manifests": [],
        "annotations": {JOURNAL_ANNOTATION: format!("{} sha256:{}", shared.shared.digest, "0".repeat(64))},
    }))
    .unwrap();
    registry.push_manifest("acme/api", JOURNAL_TAG, OCI_INDEX, &journal);
    let run = prune(&registry, &["--packages", "api", "--apply"]).await;
    assert_eq!(Outcome::of(&run).of_digest(&shared.shared.digest).0, "kept");
    assert!(registry.manifest_exists("acme/api", &shared.shared.digest));
    assert_eq!(registry.list_tags("acme/api"), ["v1.0", "v1.0-rc1"]);
    assert_every_tag_resolves(&registry, "acme/api");
}
