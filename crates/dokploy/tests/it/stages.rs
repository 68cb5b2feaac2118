//! Stages in order, targets of a stage in parallel, pinning that keeps everything else.

use gantry_testkit::dokploy::{DokployOptions, Recorded};

use crate::support::{COMMIT, STACK_ENV, Shop, before, mentions};

fn first(requests: &[Recorded], procedure: &str, service: &str) -> Recorded {
    requests
        .iter()
        .find(|request| request.procedure == procedure && mentions(request, service))
        .cloned()
        .unwrap_or_else(|| panic!("no {procedure} for {service}"))
}

#[test]
fn two_stages_run_in_order_and_a_stage_triggers_all_before_awaiting() {
    let shop = Shop::new();
    // The compose deploys until released: had gantry awaited it before triggering auth,
    // auth's trigger would never come.
    shop.fake.hold(&shop.stack);
    let child = shop.spawn(&["--tag", "v2"]);
    shop.fake
        .wait_until("auth is triggered while the compose runs", |fake| {
            fake.requests_to("application.deploy")
                .iter()
                .any(|request| mentions(request, &shop.auth))
        });
    assert!(
        shop.fake
            .deployments(&shop.stack)
            .iter()
            .all(|row| row.ended.is_none())
    );
    shop.fake.release(&shop.stack);
    let run = shop.wait(child);
    run.assert_code(0);
    assert_eq!(run.json()["result"], "success");

    let requests = shop.fake.requests();
    let backend_rows: Vec<_> = [&shop.stack, &shop.auth]
        .iter()
        .flat_map(|service| shop.fake.deployments(service))
        .collect();
    assert_eq!(
        backend_rows.len(),
        2,
        "one deploy each for the compose and auth"
    );
    let backend_done = backend_rows
        .iter()
        .map(|row| row.ended.expect("ended"))
        .max()
        .unwrap();
    // Stage 2 is not changed, not even pinned, before stage 1 has ended (it is only read,
    // up front, to check it exists).
    for service in [&shop.web, &shop.admin] {
        let pinned = first(&requests, "application.update", service);
        before(backend_done, pinned.at, "backend end vs frontend pin");
        let row = &shop.fake.deployments(service)[0];
        before(backend_done, row.started, "backend end vs frontend deploy");
        assert_eq!(row.status, "done");
    }
    let web = run.target("web");
    assert_eq!(web["status"], "done");
    assert_eq!(web["image"], "ghcr.io/acme/web:v2");
    assert_eq!(web["previous-image"], "ghcr.io/acme/web:v1");
    assert_eq!(
        web["deployment-id"],
        shop.fake.deployments(&shop.web)[0].id.as_str()
    );
    assert_eq!(web["stage"], "frontend");
}

#[test]
fn targets_of_a_stage_deploy_in_parallel_where_the_server_allows() {
    let shop = Shop::with(DokployOptions {
        concurrency: 3,
        ..DokployOptions::default()
    });
    shop.fake.hold(&shop.web);
    shop.fake.hold(&shop.admin);
    let child = shop.spawn(&["--tag", "v2", "--stage", "frontend"]);
    shop.fake
        .wait_until("web and admin run at the same time", |fake| {
            [&shop.web, &shop.admin].iter().all(|service| {
                fake.deployments(service)
                    .iter()
                    .any(|row| row.status == "running")
            })
        });
    shop.fake.release(&shop.web);
    shop.fake.release(&shop.admin);
    let run = shop.wait(child);
    run.assert_code(0);
    assert_eq!(run.target("web")["status"], "done");
    assert_eq!(run.target("admin")["status"], "done");
    assert!(
        shop.fake.deployments(&shop.auth).is_empty(),
        "--stage frontend only"
    );
}

#[test]
fn applications_get_the_image_and_keep_their_credentials() {
    let shop = Shop::new();
    let before_deploy = shop.fake.application(&shop.auth);
    let digest = format!("sha256:{}", "c".repeat(64));
    let pinned = format!("auth=ghcr.io/acme/auth@{digest}");
    shop.run(&["--tag", "v2", "--stage", "backend", "--image", &pinned])
        .assert_code(0);
    let after = shop.fake.application(&shop.auth);
    assert_eq!(
        after.docker_image.as_deref(),
        Some(format!("ghcr.io/acme/auth@{digest}").as_str())
    );
    assert_eq!(after.username, before_deploy.username);
    assert_eq!(after.password, before_deploy.password);
    assert_eq!(after.registry_url, before_deploy.registry_url);
    assert_eq!(after.env, before_deploy.env);
    assert_eq!(
        shop.fake.deployments(&shop.auth)[0].deployed,
        format!("ghcr.io/acme/auth@{digest}")
    );
    assert!(
        shop.fake
            .requests_to("application.saveDockerProvider")
            .is_empty()
    );
    let update = &shop.fake.requests_to("application.update")[0];
    let body = update.body.as_ref().unwrap().as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["applicationId", "dockerImage"],
        "a partial update only"
    );
}

#[test]
fn a_shared_compose_gets_both_tags_and_deploys_once() {
    let shop = Shop::new();
    let run = shop.run(&[
        "--tag",
        "v2",
        "--stage",
        "backend",
        "--image",
        "worker=ghcr.io/acme/worker:w7",
    ]);
    run.assert_code(0);
    let expected = "# images of the stack\r\nAPI_TAG=v2\r\nWORKER_TAG=\"w7\"\r\nDB_PASSWORD=\"s3cret-db-pw\"\r\n";
    assert_eq!(shop.fake.compose(&shop.stack).env, expected);
    assert_eq!(shop.fake.requests_to("compose.deploy").len(), 1);
    assert_eq!(
        shop.fake.requests_to("compose.saveEnvironment").len(),
        1,
        "both variables in one write"
    );
    let rows = shop.fake.deployments(&shop.stack);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].deployed, expected,
        "the deploy ran with both tags set"
    );
    let api = run.target("api");
    let worker = run.target("worker");
    assert_eq!(api["deployment-id"], worker["deployment-id"]);
    assert_eq!(api["image"], "ghcr.io/acme/api:v2");
    assert_eq!(api["previous-image"], "ghcr.io/acme/api:v1");
    assert_eq!(worker["image"], "ghcr.io/acme/worker:w7");
    assert_eq!(worker["previous-image"], "ghcr.io/acme/worker:v1");
    assert_eq!(api["kind"], "compose");
}

#[test]
fn a_missing_tag_variable_is_added_in_the_env_style() {
    let shop = Shop::new();
    let compose = shop.fake.add_compose(&shop.production, "c", "A=1\r\nB=2");
    let run = shop.run(&["--compose", &compose, "--tag", "t9"]);
    run.assert_code(0);
    assert_eq!(
        shop.fake.compose(&compose).env,
        "A=1\r\nB=2\r\nIMAGE_TAG=t9"
    );
    assert_eq!(run.target(&compose)["image"], "t9");
    assert_eq!(
        run.target(&compose)["previous-image"],
        serde_json::Value::Null
    );
    assert_eq!(
        shop.fake.compose(&shop.stack).env,
        STACK_ENV,
        "other services untouched"
    );
}

#[test]
fn every_request_follows_the_transport_contract() {
    let shop = Shop::new();
    shop.run(&["--tag", "v2"]).assert_code(0);
    let requests = shop.fake.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(
            request.api_key.as_deref(),
            Some(shop.fake.api_key()),
            "{request:?}"
        );
        let agent = request.user_agent.as_deref().unwrap_or_default();
        assert!(agent.starts_with("gantry-dokploy/"), "{request:?}");
        assert!(request.status < 400, "{request:?}");
        if request.method == "POST" {
            assert_eq!(
                request.content_type.as_deref(),
                Some("application/json"),
                "{request:?}"
            );
        } else {
            assert_eq!(request.method, "GET", "{request:?}");
            assert!(request.body.is_none(), "{request:?}");
        }
    }
    assert_eq!(
        shop.fake.requests_to("settings.getDokployVersion").len(),
        1,
        "the version is read once"
    );
    // Readable titles, unique per trigger (the markers), naming the run; descriptions
    // with the images, the commit and the run's page.
    let deploys: Vec<(String, String)> = requests
        .iter()
        .filter(|request| request.procedure.ends_with(".deploy"))
        .map(|request| {
            let body = request.body.as_ref().unwrap();
            let text = |key: &str| body[key].as_str().unwrap().to_owned();
            (text("title"), text("description"))
        })
        .collect();
    assert_eq!(deploys.len(), 4);
    let (title, description) = &deploys[0];
    assert!(
        title.starts_with("gantry: deploy api+worker (run 4242/2) #"),
        "{title}"
    );
    assert_eq!(
        description,
        &format!(
            "api → ghcr.io/acme/api:v2, worker → ghcr.io/acme/worker:v2 · commit {COMMIT} · \
             https://github.com/acme/shop/actions/runs/4242/attempts/2"
        )
    );
    let mut titles: Vec<&String> = deploys.iter().map(|(title, _)| title).collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 4, "unique: {deploys:?}");
    // Dokploy shows them in its deployment list.
    let row = &shop.fake.deployments(&shop.web)[0];
    assert!(
        row.title.starts_with("gantry: deploy web (run 4242/2) #"),
        "{row:?}"
    );
    assert!(
        row.description
            .as_deref()
            .is_some_and(|text| text.starts_with("web → ghcr.io/acme/web:v2 · commit ")),
        "{row:?}"
    );
}
