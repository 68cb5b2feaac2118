//! GitHub Packages as it really behaves, not as the pagination guide and our notes said:
//! a DELETE 404 that is a refusal, package listings without `Link` headers and with a
//! 10,000-item window, hostile `Link` headers on version listings.

use gantry_prune::engine::PackageOutcome;
use gantry_prune::error::PruneError;
use gantry_testkit::StoredManifest;
use gantry_testkit::github::{LinkFault, PackageRole, RequestKind, TokenKind};
use serde_json::Value;

use crate::{Ghcr, Outcome, assert_every_tag_resolves, family};

/// `GITHUB_TOKEN` of a workflow whose repository has the Write role on `acme/api`: it reads
/// the package, and GitHub answers its DELETEs with 404.
const WRITER: &str = "ghs_write_role_token";

/// `count` untagged images in `repository`, written straight to the registry's storage.
fn untagged(ghcr: &Ghcr, repository: &str, count: usize) -> Vec<String> {
    let base = ghcr.registry.image(repository).tag("base").push();
    let manifests: Vec<StoredManifest> = (0..count)
        .map(|n| {
            let mut manifest: Value = serde_json::from_slice(&base.manifest).unwrap();
            manifest["annotations"] = serde_json::json!({"n": n.to_string()});
            StoredManifest {
                bytes: serde_json::to_vec(&manifest).unwrap(),
                tag: None,
            }
        })
        .collect();
    ghcr.registry.write_manifests(repository, &manifests)
}

#[tokio::test]
async fn a_delete_refused_with_404_fails_and_the_index_keeps_its_children() {
    let ghcr = Ghcr::start();
    ghcr.fake.add_token(
        WRITER,
        "github-actions[bot]",
        TokenKind::GithubToken {
            packages: vec!["api".into()],
            role: PackageRole::Write,
        },
    );
    let (old, new) = ghcr.old_and_new();
    let older = ghcr.registry.index("acme/api").tag("older").push();
    ghcr.age("acme/api", &older.digest, 50);
    let (run, _log) = ghcr
        .prune_as(
            WRITER,
            &[
                "--packages",
                "api",
                "--keep-tagged",
                "1",
                "--max-in-flight",
                "1",
                "--apply",
            ],
        )
        .await;
    let outcome = Outcome::of(&run);
    assert_eq!(ghcr.fake.deleted(), 0);
    assert_eq!(outcome.report.failed.len(), 1, "{:?}", outcome.report);
    let refused = &outcome.report.failed[0];
    assert!(
        refused.reason.contains("but the version is still there")
            && refused.reason.contains("Admin role"),
        "{}",
        refused.reason
    );
    assert_eq!(
        run.calls.rest.deletes, 1,
        "the package stops at the first refusal"
    );
    assert_eq!(run.calls.rest.read_backs, 1);
    assert!(run.stopped.is_none(), "other packages would still be tried");
    for digest in family(&old).iter().chain(&family(&older)) {
        assert!(ghcr.registry.manifest_exists("acme/api", digest));
        let (list, _) = outcome.of_digest(digest);
        assert_ne!(list, "deleted", "{digest}");
    }
    for index in [&old, &new, &older] {
        ghcr.registry.assert_resolves_fully(&index.reference());
    }
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn globs_find_packages_past_a_full_page_without_a_link_header() {
    let ghcr = Ghcr::start();
    ghcr.fake
        .add_listed_packages("acme", (0..150).map(|n| format!("lib-{n:03}")));
    let doomed = ghcr.registry.image("acme/web-1").push();
    ghcr.registry.image("acme/web-1").tag("v1").push();
    let run = ghcr.prune(&["--packages", "web-*", "--apply"]).await;
    let names: Vec<&str> = run.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["acme/web-1"]);
    assert!(Outcome::of(&run).deleted(&doomed.digest));
    assert_eq!(run.calls.rest.package_pages, 2, "100, then 51 names");
    assert!(run.warnings.is_empty());
}

#[tokio::test]
async fn past_10000_packages_globs_degrade_to_a_warning() {
    let ghcr = Ghcr::start();
    ghcr.fake
        .add_listed_packages("acme", (0..10_050).map(|n| format!("lib-{n:05}")));
    let early = ghcr.registry.image("acme/aa-web").push();
    ghcr.registry.image("acme/aa-web").tag("v1").push();
    let late = ghcr.registry.image("acme/zz-web").push();
    let run = ghcr.prune(&["--packages", "*-web", "--apply"]).await;
    let names: Vec<&str> = run.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["acme/aa-web"], "zz-web lies beyond the window");
    assert!(Outcome::of(&run).deleted(&early.digest));
    assert!(ghcr.registry.manifest_exists("acme/zz-web", &late.digest));
    assert_eq!(
        run.calls.rest.package_pages, 100,
        "never asked past the window"
    );
    assert_eq!(run.warnings.len(), 1);
    assert!(
        run.warnings[0].contains("no more than 10000 packages")
            && run.warnings[0].contains("name the others exactly"),
        "{}",
        run.warnings[0]
    );
}

#[tokio::test]
async fn a_full_page_of_versions_without_a_link_header_is_not_the_end() {
    let ghcr = Ghcr::start();
    ghcr.fake.set_link_fault(LinkFault::Omitted);
    let doomed = untagged(&ghcr, "acme/api", 199);
    let run = ghcr.prune(&["--packages", "api"]).await;
    let outcome = Outcome::of(&run);
    assert_eq!(outcome.report.deleted.len(), 199);
    assert!(doomed.iter().all(|digest| outcome.deleted(digest)));
    assert_eq!(
        run.calls.rest.version_pages, 3,
        "100, 100, then an empty page"
    );
}

#[tokio::test]
async fn a_hostile_last_link_neither_panics_nor_truncates() {
    let ghcr = Ghcr::start();
    untagged(&ghcr, "acme/api", 249);
    for last in ["18446744073709551615", "1e8", "100000000", "0", "-3"] {
        ghcr.fake
            .set_link_fault(LinkFault::LastPage(last.to_owned()));
        let run = ghcr.prune(&["--packages", "api"]).await;
        let PackageOutcome::Planned(planned) = &run.packages[0].outcome else {
            panic!("{last}: {:?}", run.packages[0].outcome);
        };
        assert_eq!(planned.versions.len(), 250, "{last}");
        assert_eq!(run.calls.rest.version_pages, 3, "{last}");
    }
}

#[tokio::test]
async fn a_next_link_back_to_page_one_ends_the_listing() {
    let ghcr = Ghcr::start();
    ghcr.fake.set_link_fault(LinkFault::NextToFirst);
    untagged(&ghcr, "acme/api", 249);
    let run = ghcr.prune(&["--packages", "api"]).await;
    let PackageOutcome::Planned(planned) = &run.packages[0].outcome else {
        panic!("{:?}", run.packages[0].outcome);
    };
    assert_eq!(planned.versions.len(), 250);
    assert_eq!(run.calls.rest.version_pages, 3, "no page read twice");
    assert_eq!(ghcr.fake.count(RequestKind::VersionList), 3);
}

/// GitHub documents the window for package listings only; if a version listing answered
/// it, the package could not be read whole, and nothing in it may go.
#[tokio::test]
async fn a_version_listing_cut_off_by_the_window_prunes_nothing() {
    let ghcr = Ghcr::start();
    ghcr.fake.window_version_listings(200);
    let doomed = untagged(&ghcr, "acme/api", 249);
    let run = ghcr.prune(&["--packages", "api", "--apply"]).await;
    match &run.packages[0].outcome {
        PackageOutcome::Failed(text) => {
            assert!(text.contains("GitHub lists no further"), "{text}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ghcr.fake.count(RequestKind::VersionDelete), 0);
    assert!(
        doomed
            .iter()
            .all(|digest| ghcr.registry.manifest_exists("acme/api", digest))
    );
    let err = PruneError::ListingWindow {
        request: String::new(),
        answer: String::new(),
    };
    assert_eq!(
        gantry_cli::Classify::exit_status(&err),
        gantry_cli::ExitStatus::Failure
    );
}
