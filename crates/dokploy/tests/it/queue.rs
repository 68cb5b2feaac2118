//! The queue as Dokploy really keeps it: deploys of other clients queued next to gantry's,
//! git sources whose deployments lose their title when they end, and deploys still queued
//! when the time runs out.

use gantry_testkit::dokploy::{GIT_COMMIT_MESSAGE, Kind};

use crate::support::{STACK_ENV, Shop};

/// Occupies the one deploy slot with a held deploy of `admin` (another client's).
fn busy(shop: &Shop) {
    shop.fake.hold(&shop.admin);
    shop.fake
        .deploy(Kind::Application, &shop.admin, "Manual deployment");
    shop.fake.wait_until("admin's deploy runs", |fake| {
        !fake.deployments(&shop.admin).is_empty()
    });
}

/// Lets the held deploys finish and the queue drain.
fn drain(shop: &Shop) {
    shop.fake.release(&shop.admin);
    shop.fake.release(&shop.auth);
    shop.fake
        .wait_until("the queue is empty", |fake| fake.jobs().is_empty());
}

#[test]
fn without_the_queue_another_deploys_retitled_row_is_not_taken_for_ours() {
    // v0.25.7–v0.28.2: git-source deployments are retitled, and the queue cannot be read.
    let shop = Shop::version("v0.27.0");
    shop.fake
        .edit_compose(&shop.stack, |compose| compose.source_type = "github".into());
    // The slot is busy; another client's deploy of the stack waits, then one of admin.
    shop.fake.hold(&shop.auth);
    shop.fake
        .deploy(Kind::Application, &shop.auth, "Manual deployment");
    shop.fake.wait_until("auth's deploy runs", |fake| {
        !fake.deployments(&shop.auth).is_empty()
    });
    shop.fake
        .deploy(Kind::Compose, &shop.stack, "Manual deployment");
    shop.fake.hold(&shop.admin);
    shop.fake
        .deploy(Kind::Application, &shop.admin, "Manual deployment");
    let child = shop.spawn(&["--compose", &shop.stack, "--tag", "v2"]);
    shop.fake.wait_until("gantry's deploy is queued", |fake| {
        fake.jobs()
            .iter()
            .any(|job| job.service == shop.stack && job.title != "Manual deployment")
    });
    // The deploy queued just ahead runs and ends, retitled, while gantry's still waits.
    shop.fake.release(&shop.auth);
    shop.fake.wait_until("the deploy ahead ended", |fake| {
        fake.deployments(&shop.stack)
            .first()
            .is_some_and(|row| row.status == "done")
    });
    let ended = shop.fake.deployments(&shop.stack)[0].ended.unwrap();
    shop.fake
        .wait_until("gantry looked at the ended row", |fake| {
            fake.requests_to("deployment.allByCompose")
                .iter()
                .any(|request| request.at > ended)
        });
    shop.fake.release(&shop.admin);
    let run = shop.wait(child);
    run.assert_code(0);
    let rows = shop.fake.deployments(&shop.stack);
    assert_ne!(
        run.target(&shop.stack)["deployment-id"],
        rows[0].id.as_str(),
        "took the row of the deploy queued ahead"
    );
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| row.title == GIT_COMMIT_MESSAGE));
    assert_eq!(
        run.target(&shop.stack)["deployment-id"],
        rows[1].id.as_str(),
        "its own deployment, not the one queued ahead"
    );
    assert!(rows[1].deployed.contains("IMAGE_TAG=v2"), "{:?}", rows[1]);
}

#[test]
fn a_deploy_still_queued_when_the_time_runs_out_is_withdrawn() {
    let shop = Shop::new();
    busy(&shop);
    let run = shop.run(&[
        "--tag",
        "v2",
        "--stage",
        "backend",
        "--timeout",
        "1s",
        "--rollback-on-failure",
    ]);
    run.assert_code(1);
    assert_eq!(run.json()["result"], "failed", "nothing ran to roll back");
    for target in ["api", "worker", "auth"] {
        let entry = run.target(target);
        assert_eq!(entry["status"], "timed-out", "{entry}");
        let error = entry["error"].as_str().unwrap();
        assert!(error.contains("gantry withdrew it"), "{error}");
    }
    assert_eq!(shop.fake.requests_to("application.cleanQueues").len(), 1);
    assert_eq!(shop.fake.requests_to("compose.cleanQueues").len(), 1);
    // The pins are back, and nothing is left to run after gantry.
    assert_eq!(shop.fake.compose(&shop.stack).env, STACK_ENV);
    assert_eq!(
        shop.fake.application(&shop.auth).docker_image.as_deref(),
        Some("ghcr.io/acme/auth:v1")
    );
    let left: Vec<String> = shop
        .fake
        .jobs()
        .into_iter()
        .map(|job| job.service)
        .collect();
    assert_eq!(left, std::slice::from_ref(&shop.admin));
    drain(&shop);
    assert!(shop.fake.deployments(&shop.auth).is_empty());
    assert!(shop.fake.deployments(&shop.stack).is_empty());
}

#[test]
fn a_queued_deploy_that_cannot_be_withdrawn_alone_is_said_to_stay() {
    let shop = Shop::new();
    busy(&shop);
    // Someone else's deploy of auth waits too: withdrawing would remove it as well.
    shop.fake
        .deploy(Kind::Application, &shop.auth, "Manual deployment");
    let run = shop.run(&["--tag", "v2", "--stage", "backend", "--timeout", "1s"]);
    run.assert_code(1);
    let error = run.target("auth")["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("stays queued: it may run after gantry has exited"),
        "{error}"
    );
    assert!(
        error.contains("1 other deploy(s) of this service wait with it"),
        "{error}"
    );
    assert!(shop.fake.requests_to("application.cleanQueues").is_empty());
    let auth_jobs = shop
        .fake
        .jobs()
        .iter()
        .filter(|job| job.service == shop.auth)
        .count();
    assert_eq!(auth_jobs, 2, "both stay");
    // The compose's was alone: withdrawn.
    assert!(
        run.target("api")["error"]
            .as_str()
            .unwrap()
            .contains("gantry withdrew it")
    );
    drain(&shop);
}

#[test]
fn without_the_queue_a_timed_out_deploy_is_said_to_stay() {
    let shop = Shop::version("v0.27.0");
    busy(&shop);
    let run = shop.run(&["--tag", "v2", "--stage", "backend", "--timeout", "1s"]);
    run.assert_code(1);
    let error = run.target("auth")["error"].as_str().unwrap().to_owned();
    assert!(error.contains("may run after gantry has exited"), "{error}");
    assert!(error.contains("cannot list its queue"), "{error}");
    assert!(shop.fake.requests_to("application.cleanQueues").is_empty());
    drain(&shop);
    assert_eq!(shop.fake.deployments(&shop.auth).len(), 1, "it ran later");
}
