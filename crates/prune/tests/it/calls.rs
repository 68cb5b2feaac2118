//! API calls at the lower bound, and a package of ten thousand versions.

use std::collections::HashMap;
use std::time::Duration;

use gantry_prune::backend::{ApiCalls, DokployCalls, RegistryCalls, RestCalls};
use gantry_testkit::github::{FakeOptions, PrimaryLimit, RequestKind};

use crate::{BUILDS_GO_LATEST_STAYS, Ghcr, Outcome, assert_every_tag_resolves};

/// N versions: kept indexes, deleted indexes (each with two platform children) and loose
/// untagged images. The bound (reference §6, docs/performance.md): ⌈N/100⌉ version pages,
/// as many again for the listing just before the first delete, + D deletes + the reads
/// safety needs, which here are every kept version (an index among them keeps its children),
/// every deleted index (it explains its children, so they need no read of their own) and
/// every loose untagged image (only its manifest tells whether it is a referrer of a kept
/// image), plus one owner lookup and one registry challenge and token.
#[tokio::test]
async fn calls_are_the_lower_bound() {
    let (kept_indexes, old_indexes, loose): (usize, usize, usize) = (5, 40, 115);
    let ghcr = Ghcr::start();
    for n in 0..kept_indexes {
        ghcr.registry
            .index("acme/api")
            .tag(&format!("keep-{n}"))
            .push();
    }
    for n in 0..old_indexes {
        ghcr.registry
            .index("acme/api")
            .tag(&format!("old-{n}"))
            .push();
    }
    for _ in 0..loose {
        ghcr.registry.image("acme/api").push();
    }
    let versions = 3 * (kept_indexes + old_indexes) + loose;
    assert_eq!(versions, 250);
    let run = ghcr
        .prune(&[
            "--packages",
            "api",
            "--protect-tags",
            "keep-*",
            "--delete-tags",
            "old-*",
            "--apply",
        ])
        .await;
    let deletes = (3 * old_indexes + loose) as u64;
    let reads = (3 * kept_indexes + old_indexes + loose) as u64;
    let pages = 2 * versions.div_ceil(100) as u64;
    let expected = ApiCalls {
        rest: RestCalls {
            owner_lookups: 1,
            package_pages: 0,
            version_pages: pages,
            deletes,
            read_backs: 0,
            retries: 0,
            total: 1 + pages + deletes,
        },
        registry: RegistryCalls {
            manifest_reads: reads,
            tag_pages: 0,
            deletes: 0,
            manifest_writes: 0,
            auth: 2,
            retries: 0,
            total: reads + 2,
        },
        // No manifest: Dokploy is not asked.
        dokploy: DokployCalls::default(),
    };
    assert_eq!(run.calls, expected);
    assert_eq!(Outcome::of(&run).report.deleted.len() as u64, deletes);
    // What the servers saw agrees.
    let counts = ghcr.fake.counts();
    let seen = |kind| counts.get(&kind).copied().unwrap_or(0);
    assert_eq!(seen(RequestKind::OwnerLookup), 1);
    assert_eq!(seen(RequestKind::VersionList), pages);
    assert_eq!(seen(RequestKind::VersionDelete), deletes);
    assert_eq!(
        seen(RequestKind::RegistryManifest),
        reads + 1,
        "one challenged"
    );
    assert_eq!(seen(RequestKind::RegistryToken), 1);
    assert_eq!(seen(RequestKind::RegistryPing), 0);
    assert_eq!(
        counts.values().sum::<u64>(),
        1 + pages + deletes + reads + 2,
        "nothing else: {counts:?}"
    );
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

/// Nothing would be deleted, so nothing is read: the owner lookup and ⌈N/100⌉ pages.
#[tokio::test]
async fn nothing_to_delete_costs_the_listing_only() {
    let ghcr = Ghcr::start();
    for n in 0..3 {
        ghcr.registry.image("acme/api").tag(&format!("v{n}")).push();
    }
    let run = ghcr.prune(&["--packages", "api"]).await;
    assert!(Outcome::of(&run).report.deleted.is_empty());
    assert_eq!(run.calls.rest.total, 2);
    assert_eq!(run.calls.registry.total, 0);
}

/// Ten thousand versions: nine tagged indexes of 1,110 images each go, `latest` stays.
#[tokio::test]
async fn ten_thousand_versions_are_pruned() {
    let ghcr = Ghcr::with(FakeOptions {
        primary: PrimaryLimit {
            limit: 50_000,
            window: Duration::from_secs(3600),
        },
        ..FakeOptions::default()
    });
    let base = ghcr.registry.image("acme/big").tag("latest").push();
    let indexes = ghcr.registry.write_bulk_indexes(&base, 9, 1_110, "build-");
    assert_eq!(ghcr.fake.versions("acme/big").len(), 10_000);
    let run = ghcr
        .prune(&[&["--packages", "big"][..], &BUILDS_GO_LATEST_STAYS].concat())
        .await;
    let outcome = Outcome::of(&run);
    assert_eq!(outcome.report.deleted.len(), 9_999);
    assert!(outcome.report.failed.is_empty() && outcome.report.skipped.is_empty());
    assert_eq!(run.calls.rest.version_pages, 2 * 100, "listed twice");
    assert_eq!(run.calls.rest.deletes, 9_999);
    assert_eq!(
        run.calls.registry.manifest_reads,
        1 + 9,
        "latest and the nine indexes"
    );
    let deletions: HashMap<String, usize> = ghcr
        .fake
        .deletions()
        .into_iter()
        .enumerate()
        .map(|(position, digest)| (digest, position))
        .collect();
    let position = |digest: &str| deletions[digest];
    for index in &indexes {
        let index_at = position(&index.digest);
        assert!(
            index
                .children
                .iter()
                .all(|child| position(child) > index_at)
        );
    }
    assert_eq!(ghcr.fake.versions("acme/big").len(), 1);
    assert_eq!(ghcr.registry.list_tags("acme/big"), ["latest"]);
    assert_every_tag_resolves(&ghcr.registry, "acme/big");
}
