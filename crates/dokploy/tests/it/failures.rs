//! Failed deploys, rollback, dropped and cancelled jobs, timeouts.

use crate::support::{COMMIT, STACK_ENV, Shop};

#[test]
fn a_failure_in_stage_two_rolls_back_that_whole_stage() {
    let shop = Shop::new();
    shop.fake
        .fail_deploys_of("ghcr.io/acme/web:v2", "Error: manifest unknown\n");
    let run = shop.run(&["--tag", "v2", "--rollback-on-failure"]);
    run.assert_code(1);
    assert_eq!(run.json()["result"], "rolled-back");
    assert_eq!(run.outputs()["result"], "rolled-back");

    // The failed web and the successful admin both run their previous image again.
    for (service, name) in [(&shop.web, "web"), (&shop.admin, "admin")] {
        let application = shop.fake.application(service);
        assert_eq!(
            application.docker_image.as_deref(),
            Some(format!("ghcr.io/acme/{name}:v1").as_str()),
            "{name} restored"
        );
        let rows = shop.fake.deployments(service);
        assert_eq!(rows.len(), 2, "{name}: the deploy and the rollback");
        assert_eq!(rows[1].deployed, format!("ghcr.io/acme/{name}:v1"));
        assert_eq!(rows[1].status, "done");
        assert!(
            rows[1]
                .title
                .starts_with(&format!("gantry: roll back {name} (run 4242/2) #")),
            "{}",
            rows[1].title
        );
        assert_eq!(
            rows[1].description.as_deref(),
            Some(
                format!(
                    "{name} → ghcr.io/acme/{name}:v1 · commit {COMMIT} · \
                     https://github.com/acme/shop/actions/runs/4242/attempts/2"
                )
                .as_str()
            ),
            "the rollback says what it restores"
        );
        assert!(rows[0].ended.unwrap() <= rows[1].started);
        let entry = run.target(name);
        assert_eq!(entry["rolled-back"], true);
        assert_eq!(entry["previous-image"], format!("ghcr.io/acme/{name}:v1"));
    }
    assert_eq!(run.target("web")["status"], "error");
    assert_eq!(shop.fake.deployments(&shop.web)[0].status, "error");
    assert_eq!(run.target("admin")["status"], "done");
    // The earlier stage stays deployed.
    assert_eq!(run.target("auth")["rolled-back"], false);
    assert_eq!(
        shop.fake.application(&shop.auth).docker_image.as_deref(),
        Some("ghcr.io/acme/auth:v2")
    );
    assert!(
        run.stderr.contains("Error: manifest unknown"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failed_compose_rollback_restores_its_env_byte_for_byte() {
    let shop = Shop::new();
    shop.fake
        .fail_deploys_of("API_TAG=v2", "compose up failed\n");
    let run = shop.run(&["--tag", "v2", "--rollback-on-failure"]);
    run.assert_code(1);
    assert_eq!(run.json()["result"], "rolled-back");
    assert_eq!(shop.fake.compose(&shop.stack).env, STACK_ENV);
    let rows = shop.fake.deployments(&shop.stack);
    assert_eq!(
        rows.iter()
            .map(|row| row.status.as_str())
            .collect::<Vec<_>>(),
        ["error", "done"]
    );
    assert_eq!(rows[1].deployed, STACK_ENV);
    // auth shared the stage: it is rolled back too. The next stage never started.
    assert_eq!(
        shop.fake.application(&shop.auth).docker_image.as_deref(),
        Some("ghcr.io/acme/auth:v1")
    );
    assert!(
        shop.requests_for(&shop.web)
            .iter()
            .all(|r| r.method == "GET")
    );
    assert_eq!(run.target("web")["status"], "skipped");
}

#[test]
fn a_rollback_that_fails_too_is_reported_loudly() {
    let shop = Shop::new();
    // Every web image fails, the previous one included.
    shop.fake
        .fail_deploys_of("ghcr.io/acme/web:", "still broken\n");
    let run = shop.run(&["--tag", "v2", "--rollback-on-failure"]);
    run.assert_code(1);
    assert_eq!(run.json()["result"], "failed");
    assert_eq!(run.target("web")["rolled-back"], false);
    assert_eq!(run.target("admin")["rolled-back"], true);
    assert_eq!(
        shop.fake.application(&shop.web).docker_image.as_deref(),
        Some("ghcr.io/acme/web:v1"),
        "the previous image is set back even though its deploy failed"
    );
    let stderr = &run.stderr;
    assert!(
        stderr.contains("ROLLBACK FAILED in stage frontend"),
        "{stderr}"
    );
    assert!(
        stderr.contains("web: deployment dep-"),
        "the first error: {stderr}"
    );
    assert!(
        stderr.contains("web: rollback failed, the rollback deploy ended `error`"),
        "the second error: {stderr}"
    );
}

#[test]
fn without_rollback_a_failed_stage_stops_the_run() {
    let shop = Shop::new();
    shop.fake
        .fail_deploys_of("ghcr.io/acme/auth:v2", "pull access denied\n");
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(1);
    assert_eq!(run.json()["result"], "failed");
    let auth = run.target("auth");
    assert_eq!(auth["status"], "error");
    assert_eq!(auth["rolled-back"], false);
    assert!(
        auth["error"].as_str().unwrap().contains("ended `error`"),
        "{auth}"
    );
    // The failed image stays set (it is what ran); the later stage is not touched.
    assert_eq!(
        shop.fake.application(&shop.auth).docker_image.as_deref(),
        Some("ghcr.io/acme/auth:v2")
    );
    for service in [&shop.web, &shop.admin] {
        assert!(shop.fake.deployments(service).is_empty());
        assert!(shop.requests_for(service).iter().all(|r| r.method == "GET"));
    }
    assert_eq!(run.target("web")["status"], "skipped");
    assert!(run.stderr.contains("the deploy failed"), "{}", run.stderr);
}

#[test]
fn a_dropped_job_fails_clearly_and_its_image_is_put_back() {
    let shop = Shop::new();
    shop.fake.drop_jobs_of(&shop.auth);
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(1);
    let auth = run.target("auth");
    assert_eq!(auth["status"], "dropped");
    assert!(
        auth["error"]
            .as_str()
            .unwrap()
            .contains("dropped from Dokploy's queue"),
        "{auth}"
    );
    assert_eq!(auth["deployment-id"], serde_json::Value::Null);
    assert!(shop.fake.deployments(&shop.auth).is_empty());
    assert_eq!(
        shop.fake.application(&shop.auth).docker_image.as_deref(),
        Some("ghcr.io/acme/auth:v1"),
        "a pin that never deployed must not go live with the next redeploy"
    );
    assert_eq!(run.target("web")["status"], "skipped");
}

#[test]
fn a_deployment_cancelled_by_a_restart_fails_the_stage() {
    let shop = Shop::new();
    shop.fake.hold(&shop.auth);
    let child = shop.spawn(&["--tag", "v2", "--stage", "backend"]);
    shop.fake
        .wait_until("auth's deployment is running", |fake| {
            fake.deployments(&shop.auth)
                .iter()
                .any(|row| row.status == "running")
        });
    shop.fake.restart();
    let run = shop.wait(child);
    run.assert_code(1);
    let auth = run.target("auth");
    assert_eq!(auth["status"], "cancelled");
    assert_eq!(
        auth["deployment-id"],
        shop.fake.deployments(&shop.auth)[0].id.as_str()
    );
    assert!(
        run.summary.contains("<details><summary>Log of auth"),
        "{}",
        run.summary
    );
}

#[test]
fn a_stage_that_outlives_its_timeout_fails() {
    let shop = Shop::new();
    shop.fake.hold(&shop.auth);
    let run = shop.run(&["--tag", "v2", "--timeout", "1s"]);
    run.assert_code(1);
    let auth = run.target("auth");
    assert_eq!(auth["status"], "timed-out");
    // Running or still queued, depending on how busy the machine is: either way, stopped.
    assert!(
        auth["error"].as_str().unwrap().contains(" after 1s"),
        "{auth}"
    );
    assert_eq!(run.target("web")["status"], "skipped");
    shop.fake.release(&shop.auth);
}

#[test]
fn a_lost_deploy_answer_is_resolved_by_the_marker_not_by_sending_again() {
    let shop = Shop::new();
    shop.fake.script(
        "application.deploy",
        1,
        gantry_testkit::dokploy::Scripted::LostAnswer,
    );
    let run = shop.run(&["--tag", "v2", "--stage", "backend"]);
    run.assert_code(0);
    let deploys = shop.requests_to_for("application.deploy", &shop.auth);
    assert_eq!(deploys.len(), 1, "not sent again");
    assert_eq!(deploys[0].status, 502);
    assert_eq!(shop.fake.deployments(&shop.auth).len(), 1);
    assert!(run.stderr.contains("queued after all"), "{}", run.stderr);
}

#[test]
fn a_deploy_refused_with_a_5xx_is_sent_again_once_it_is_proven_absent() {
    let shop = Shop::new();
    shop.fake.script(
        "application.deploy",
        1,
        gantry_testkit::dokploy::Scripted::Status(503),
    );
    let run = shop.run(&["--tag", "v2", "--stage", "backend"]);
    run.assert_code(0);
    let statuses: Vec<u16> = shop
        .fake
        .requests_to("application.deploy")
        .iter()
        .map(|request| request.status)
        .collect();
    assert_eq!(statuses, [503, 200]);
    assert_eq!(shop.fake.deployments(&shop.auth).len(), 1, "deployed once");
}

#[test]
fn an_old_server_that_cannot_show_its_queue_gets_no_second_deploy() {
    let shop = Shop::version("v0.26.0");
    shop.fake.script(
        "application.deploy",
        1,
        gantry_testkit::dokploy::Scripted::Status(502),
    );
    let run = shop.run(&["--tag", "v2", "--stage", "backend"]);
    run.assert_code(1);
    assert_eq!(shop.fake.requests_to("application.deploy").len(), 1);
    let auth = run.target("auth");
    assert_eq!(auth["status"], "failed");
    assert!(
        auth["error"]
            .as_str()
            .unwrap()
            .contains("did not send it again"),
        "{auth}"
    );
    assert_eq!(
        shop.fake.application(&shop.auth).docker_image.as_deref(),
        Some("ghcr.io/acme/auth:v1"),
        "the untriggered pin is put back"
    );
}

#[test]
fn bursts_of_server_errors_on_reads_are_retried() {
    let shop = Shop::new();
    shop.fake.script(
        "deployment.all",
        3,
        gantry_testkit::dokploy::Scripted::Status(503),
    );
    shop.fake.script(
        "application.one",
        2,
        gantry_testkit::dokploy::Scripted::Html(502),
    );
    let run = shop.run(&["--tag", "v2", "--stage", "frontend"]);
    run.assert_code(0);
    let failed = shop
        .fake
        .requests()
        .iter()
        .filter(|request| request.status >= 500)
        .count();
    assert_eq!(failed, 5);
}

#[test]
fn a_failing_health_check_fails_the_stage_and_rolls_it_back() {
    let shop = Shop::new();
    let healthy = format!("backend={}/api/health", shop.fake.url());
    let unhealthy = format!("frontend={}/not-healthy", shop.fake.url());
    let run = shop.run(&[
        "--tag",
        "v2",
        "--rollback-on-failure",
        "--health-url",
        &healthy,
        "--health-url",
        &unhealthy,
        "--health-retries",
        "2",
    ]);
    run.assert_code(1);
    let json = run.json();
    assert_eq!(json["result"], "rolled-back");
    let checks = json["health-checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["healthy"], true);
    assert_eq!(checks[1]["healthy"], false);
    assert_eq!(checks[1]["attempts"], 3);
    assert_eq!(
        shop.fake.application(&shop.web).docker_image.as_deref(),
        Some("ghcr.io/acme/web:v1")
    );
    // Health checks never carry the API key.
    for request in shop.fake.requests() {
        if request.path == "/api/health" || request.path == "/not-healthy" {
            assert_eq!(request.api_key, None, "{request:?}");
        }
    }
}

#[test]
fn no_wait_only_queues_and_says_so_loudly() {
    let shop = Shop::new();
    let run = shop.run(&["--tag", "v2", "--no-wait"]);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "success");
    assert!(
        run.json()["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["status"] == "triggered")
    );
    assert!(
        run.stderr.contains("::warning::--no-wait"),
        "{}",
        run.stderr
    );
    assert!(run.summary.contains("[!WARNING]"), "{}", run.summary);
    assert!(shop.fake.requests_to("deployment.queueList").is_empty());
}

#[test]
fn an_application_that_had_no_image_gets_none_back_and_no_doomed_redeploy() {
    let shop = Shop::new();
    shop.fake
        .edit_application(&shop.web, |application| application.docker_image = None);
    shop.fake
        .fail_deploys_of("ghcr.io/acme/web:v2", "Error: manifest unknown\n");
    let run = shop.run(&["--tag", "v2", "--rollback-on-failure"]);
    run.assert_code(1);
    // `null` is what puts "no image" back: Dokploy's schema takes it.
    let restores = shop.requests_to_for("application.update", &shop.web);
    assert_eq!(restores.len(), 2, "pin, then restore");
    assert_eq!(
        restores[1].body.as_ref().unwrap()["dockerImage"],
        serde_json::Value::Null
    );
    assert_eq!(restores[1].status, 200);
    assert_eq!(shop.fake.application(&shop.web).docker_image, None);
    // A deploy without an image can only fail: web is not deployed again; admin is.
    assert_eq!(shop.fake.deployments(&shop.web).len(), 1);
    assert_eq!(shop.fake.deployments(&shop.admin).len(), 2);
    assert_eq!(run.json()["result"], "rolled-back");
    assert_eq!(run.target("web")["rolled-back"], false);
    assert_eq!(run.target("admin")["rolled-back"], true);
    run.assert_said(&["no previous image to redeploy"]);
    assert!(!run.stderr.contains("ROLLBACK FAILED"), "{}", run.stderr);
}
