//! Rate limits, server faults, GitHub's refusals and tokens that cannot do the job.

use std::time::Duration;

use clap::Parser as _;
use gantry_gha::{Env, Runtime};
use gantry_prune::engine::PackageOutcome;
use gantry_prune::error::PruneError;
use gantry_prune::{Args, prune};
use gantry_testkit::github::{
    FakeOptions, OwnerKind, PackageRole, PrimaryLimit, RequestKind, SecondaryLimit, TokenKind,
};

use crate::{Ghcr, Outcome, assert_every_tag_resolves, quick_retry};

/// `count` untagged images and one tagged `keep`, in `acme/api`.
fn untagged_images(ghcr: &Ghcr, count: usize) -> Vec<String> {
    ghcr.registry.image("acme/api").tag("keep").push();
    (0..count)
        .map(|_| ghcr.registry.image("acme/api").push().digest)
        .collect()
}

#[tokio::test]
async fn secondary_limits_and_server_errors_are_survived() {
    let ghcr = Ghcr::with(FakeOptions {
        secondary: Some(SecondaryLimit {
            deletes: 4,
            window: Duration::from_secs(1),
        }),
        ..FakeOptions::default()
    });
    let doomed = untagged_images(&ghcr, 10);
    ghcr.fake.fail_next(RequestKind::VersionList, 502, 1);
    ghcr.fake.fail_next(RequestKind::VersionDelete, 500, 2);
    ghcr.fake.fail_next(RequestKind::RegistryManifest, 503, 1);
    let run = ghcr
        .prune(&["--packages", "api", "--apply", "--max-in-flight", "3"])
        .await;
    let outcome = Outcome::of(&run);
    assert!(
        outcome.report.failed.is_empty(),
        "{:?}",
        outcome.report.failed
    );
    for digest in &doomed {
        assert!(outcome.deleted(digest));
        assert!(!ghcr.registry.manifest_exists("acme/api", digest));
    }
    assert!(ghcr.fake.rate_limited() > 0, "the secondary limit was hit");
    assert!(ghcr.fake.max_in_flight_seen() <= 3);
    let refused = ghcr.fake.rate_limited();
    assert_eq!(run.calls.rest.retries, 1 + 2 + refused);
    assert_eq!(run.calls.registry.retries, 1);
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn paced_deletes_stay_under_the_secondary_limit() {
    let ghcr = Ghcr::with(FakeOptions {
        secondary: Some(SecondaryLimit {
            deletes: 15,
            window: Duration::from_secs(1),
        }),
        ..FakeOptions::default()
    });
    let doomed = untagged_images(&ghcr, 25);
    let run = ghcr
        .prune(&[
            "--packages",
            "api",
            "--apply",
            "--max-deletes-per-minute",
            "600",
        ])
        .await;
    assert_eq!(Outcome::of(&run).report.deleted.len(), doomed.len());
    assert_eq!(
        ghcr.fake.rate_limited(),
        0,
        "pacing kept every window under 15"
    );
    assert_eq!(run.calls.rest.retries, 0);
}

#[tokio::test]
async fn a_spent_budget_stops_cleanly_and_the_next_run_finishes() {
    let window = Duration::from_secs(2);
    let ghcr = Ghcr::with(FakeOptions {
        primary: PrimaryLimit { limit: 20, window },
        ..FakeOptions::default()
    });
    let doomed = untagged_images(&ghcr, 30);
    let web = ghcr.registry.image("acme/web").push();
    ghcr.registry.image("acme/web").tag("v1").push();
    let flags = ["--packages", "api,web", "--apply"];
    let first = ghcr.prune(&flags).await;
    let outcome = Outcome::of(&first);
    assert!(first.stopped.is_none(), "a spent budget is no error");
    assert!(
        matches!(&first.packages[1].outcome, PackageOutcome::NotReached(why) if why.starts_with("left for the next run")),
        "web is not even listed: {:?}",
        first.packages[1].outcome
    );
    assert_eq!(
        ghcr.fake.count(RequestKind::VersionList),
        2,
        "listed, and listed again before the first delete"
    );
    assert!(outcome.report.failed.is_empty());
    // Lookup and two pages leave 17 calls: 17 deletes, the rest waits.
    assert_eq!(outcome.report.deleted.len(), 17);
    assert_eq!(outcome.report.skipped.len(), 13);
    assert!(
        outcome.report.skipped[0]
            .reason
            .starts_with("left for the next run: the rate-limit budget is spent; it resets at"),
        "{}",
        outcome.report.skipped[0].reason
    );
    assert_eq!(ghcr.fake.rate_limited(), 0, "never over the limit");
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
    // The next window: the next run deletes what was left.
    tokio::time::sleep(window).await;
    let second = ghcr.prune(&flags).await;
    assert_eq!(Outcome::of(&second).report.deleted.len(), 13 + 1);
    assert!(!ghcr.registry.manifest_exists("acme/web", &web.digest));
    for digest in &doomed {
        assert!(!ghcr.registry.manifest_exists("acme/api", digest));
    }
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}

#[tokio::test]
async fn undeletable_versions_are_skipped_and_races_count_as_gone() {
    let ghcr = Ghcr::start();
    let only = ghcr.registry.image("acme/solo").tag("only").push();
    // The last tagged version, though its (untagged) children are versions too.
    let last_tagged = ghcr.registry.index("acme/duo").tag("last").push();
    let popular = ghcr.registry.image("acme/api").tag("v1").push();
    ghcr.registry.image("acme/api").tag("v2").push();
    let racing = ghcr.registry.image("acme/api").push();
    ghcr.fake.make_popular("acme/api", &popular.digest);
    ghcr.fake.vanish_before_delete("acme/api", &racing.digest);
    let run = ghcr
        .prune(&[
            "--packages",
            "api,solo,duo",
            "--protect-tags",
            "v2",
            "--keep-tagged",
            "0",
            "--apply",
        ])
        .await;
    let outcome = Outcome::of(&run);
    let (list, reason) = outcome.of_digest(&only.digest);
    assert_eq!(list, "skipped");
    assert_eq!(
        reason,
        "GitHub keeps the last version of a package (You cannot delete the last version of a package. You must delete the package instead.)"
    );
    let (list, reason) = outcome.of_digest(&last_tagged.digest);
    assert_eq!(list, "skipped");
    assert!(reason.contains("last tagged version"), "{reason}");
    for child in last_tagged.child_digests() {
        let (list, reason) = outcome.of_digest(&child);
        assert_eq!(list, "skipped");
        assert_eq!(reason, "last was not deleted, and it may list this version");
        assert!(ghcr.registry.manifest_exists("acme/duo", &child));
    }
    let (list, reason) = outcome.of_digest(&popular.digest);
    assert_eq!(list, "skipped");
    assert!(reason.contains("5000 downloads"), "{reason}");
    let (list, reason) = outcome.of_digest(&racing.digest);
    assert_eq!(list, "deleted");
    assert_eq!(reason, "untagged image; already gone (404)");
    assert_eq!(run.calls.rest.read_backs, 1, "the 404 was read back");
    assert!(outcome.report.failed.is_empty());
    assert!(ghcr.registry.manifest_exists("acme/solo", &only.digest));
    assert_every_tag_resolves(&ghcr.registry, "acme/duo");
}

#[tokio::test]
async fn an_unreadable_manifest_fails_the_package_closed() {
    let ghcr = Ghcr::start();
    let doomed = untagged_images(&ghcr, 3);
    ghcr.fake
        .fail_next(RequestKind::RegistryManifest, 404, 1000);
    let run = ghcr.prune(&["--packages", "api", "--apply"]).await;
    let PackageOutcome::Planned(planned) = &run.packages[0].outcome else {
        panic!("planned")
    };
    let why = planned.fail_closed.as_deref().unwrap();
    assert!(why.contains("not found"), "{why}");
    let outcome = Outcome::of(&run);
    assert!(outcome.report.deleted.is_empty());
    assert_eq!(outcome.report.skipped.len(), 3);
    assert!(
        outcome.report.skipped[0]
            .reason
            .starts_with("package fails closed")
    );
    assert_eq!(ghcr.fake.count(RequestKind::VersionDelete), 0);
    for digest in &doomed {
        assert!(ghcr.registry.manifest_exists("acme/api", digest));
    }
}

/// `prune` with `token`, expected to stop on an error.
async fn refused(ghcr: &Ghcr, token: &str, owner: &str, packages: &str) -> PruneError {
    let argv = ghcr.argv(&["--owner", owner, "--packages", packages, "--apply"]);
    let args = Args::try_parse_from(argv).unwrap();
    let (runtime, _log) = Runtime::captured(Env::from_pairs(crate::token_env(token)));
    match prune(&args, &runtime, quick_retry()).await {
        Err(err) => err,
        Ok(run) => run.stopped.expect("the run stopped on an error"),
    }
}

fn help(err: &PruneError) -> String {
    miette::Diagnostic::help(err).unwrap().to_string()
}

#[tokio::test]
async fn tokens_that_cannot_do_the_job_say_which_token_to_use() {
    let ghcr = Ghcr::start();
    ghcr.fake.add_owner("octo", OwnerKind::User);
    ghcr.registry.image("acme/api").tag("v1").push();
    ghcr.registry.image("octo/tool").tag("v1").push();
    ghcr.fake
        .add_token("github_pat_fine", "octo", TokenKind::FineGrained);
    ghcr.fake.add_token(
        "ghs_actions",
        "github-actions[bot]",
        TokenKind::GithubToken {
            packages: vec!["api".into(), "tool".into()],
            role: PackageRole::Admin,
        },
    );

    let err = refused(&ghcr, "github_pat_fine", "acme", "api").await;
    assert!(
        matches!(err, PruneError::Token { status: 403, .. }),
        "{err:?}"
    );
    assert!(help(&err).contains("fine-grained personal access tokens do not work"));

    let err = refused(&ghcr, "ghs_actions", "acme", "a*").await;
    assert!(
        matches!(err, PruneError::CannotListPackages { .. }),
        "{err:?}"
    );
    assert!(help(&err).contains("GITHUB_TOKEN cannot"), "{}", help(&err));

    let err = refused(&ghcr, "ghs_actions", "octo", "tool").await;
    assert!(
        err.to_string()
            .contains("Resource not accessible by integration")
    );
    assert!(help(&err).contains("GITHUB_TOKEN cannot delete user-owned packages"));

    // GitHub App installation tokens: every packages operation refuses them.
    ghcr.fake
        .add_token("ghs_app", "acme-app[bot]", TokenKind::App);
    let err = refused(&ghcr, "ghs_app", "acme", "api").await;
    assert!(matches!(err, PruneError::Integration { .. }), "{err:?}");
    assert!(
        help(&err).contains("GitHub App installation tokens cannot use the Packages API"),
        "{}",
        help(&err)
    );
    assert_eq!(
        gantry_cli::Classify::exit_status(&err),
        gantry_cli::ExitStatus::Failure
    );
    assert_eq!(ghcr.fake.count(RequestKind::VersionDelete), 0);

    let err = refused(&ghcr, "not-a-token", "acme", "api").await;
    assert!(
        matches!(err, PruneError::Token { status: 401, .. }),
        "{err:?}"
    );

    // GITHUB_TOKEN works for an exact, granted package of an organisation.
    let (run, _log) = ghcr
        .prune_as("ghs_actions", &["--packages", "api", "--apply"])
        .await;
    assert!(run.stopped.is_none());
}

#[tokio::test]
async fn missing_packages_are_reported_and_globs_select_by_name() {
    let ghcr = Ghcr::start();
    let doomed = ghcr.registry.image("acme/web-1").push();
    ghcr.registry.image("acme/web-1").tag("v1").push();
    ghcr.registry.image("acme/api").push();
    let run = ghcr.prune(&["--packages", "web-*,ghost", "--apply"]).await;
    let names: Vec<&str> = run.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["acme/ghost", "acme/web-1"]);
    assert!(matches!(run.packages[0].outcome, PackageOutcome::Missing));
    assert!(Outcome::of(&run).deleted(&doomed.digest));
    assert_eq!(run.calls.rest.package_pages, 1);
}

#[tokio::test]
async fn an_outage_midway_skips_the_children_of_what_stayed_and_the_rerun_converges() {
    let ghcr = Ghcr::start();
    let doomed = ghcr.builds(4);
    ghcr.registry.index("acme/api").tag("main").push();
    let flags = [
        "--packages",
        "api",
        "--delete-tags",
        "build-*",
        "--apply",
        "--max-in-flight",
        "1",
    ];
    ghcr.fake.go_down_after_deletes(2);
    let first = ghcr.prune(&flags).await;
    let outcome = Outcome::of(&first);
    assert_eq!(
        outcome.report.deleted.len(),
        2,
        "two indexes, then the outage"
    );
    assert_eq!(
        outcome.report.failed.len(),
        2 + 2 * 4,
        "the other two indexes, and the children of the two deleted"
    );
    assert_eq!(
        outcome.report.skipped.len(),
        2 * 4,
        "the children of the indexes that stayed"
    );
    assert!(outcome.report.skipped.iter().all(|entry| {
        entry
            .reason
            .ends_with("was not deleted, and it may list this version")
    }));
    ghcr.fake.recover();
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
    let second = ghcr.prune(&flags).await;
    let outcome = Outcome::of(&second);
    assert!(outcome.report.failed.is_empty());
    assert_eq!(outcome.report.deleted.len(), 2 + 4 * 4);
    for index in &doomed {
        assert!(!ghcr.registry.manifest_exists("acme/api", &index.digest));
    }
    assert_eq!(ghcr.registry.list_tags("acme/api"), ["main"]);
    assert_every_tag_resolves(&ghcr.registry, "acme/api");
}
