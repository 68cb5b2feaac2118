//! Names, server versions, keys: what differs between Dokploy servers.

use gantry_testkit::dokploy::{DokployOptions, Scripted};

use crate::support::{STACK_ENV, Shop};

#[test]
fn names_resolve_in_every_project_all_shape() {
    for version in ["v0.24.0", "v0.26.0", "v0.30.2"] {
        let shop = Shop::version(version);
        shop.write_manifest(&shop.manifest("shop/production/web"));
        let run = shop.run(&["--tag", "v2", "--stage", "frontend"]);
        run.assert_code(0);
        assert_eq!(run.target("web")["id"], shop.web.as_str(), "{version}");
        assert_eq!(
            shop.fake.application(&shop.web).docker_image.as_deref(),
            Some("ghcr.io/acme/web:v2"),
            "{version}"
        );
        assert_eq!(shop.fake.requests_to("project.all").len(), 1, "{version}");
    }
}

#[test]
fn flag_names_resolve_too_and_ambiguity_lists_the_candidates() {
    let shop = Shop::new();
    let run = shop.run(&[
        "--application",
        "shop/production/web",
        "--image",
        "ghcr.io/acme/web:v5",
    ]);
    run.assert_code(0);
    assert_eq!(run.target("shop/production/web")["id"], shop.web.as_str());

    let twin = shop
        .fake
        .add_application(&shop.production, "web", "ghcr.io/acme/web:v1");
    let run = shop.run(&[
        "--application",
        "shop/production/web",
        "--image",
        "ghcr.io/acme/web:v6",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "`shop/production/web` names 2 applications in Dokploy: shop/production/web (id {}), \
             shop/production/web (id {twin})",
            shop.web
        )),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "no report for bad input");
    assert!(
        shop.fake.requests_to("application.update").len() == 1,
        "nothing changed"
    );

    let run = shop.run(&["--compose", "shop/staging/stack", "--tag", "v1"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no compose named `shop/staging/stack`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_old_server_without_titles_queue_or_logs_still_gets_an_awaited_deploy() {
    let shop = Shop::version("v0.24.0");
    shop.fake.fail_deploys_of("ghcr.io/acme/web:v2", "boom\n");
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(1);
    assert_eq!(run.target("api")["status"], "done");
    assert_eq!(run.target("auth")["status"], "done");
    assert_eq!(run.target("web")["status"], "error");
    // Rows are found by id difference: titles are ignored before v0.25.0.
    assert_eq!(
        shop.fake.deployments(&shop.auth)[0].title,
        "Manual deployment"
    );
    assert_eq!(
        run.target("auth")["deployment-id"],
        shop.fake.deployments(&shop.auth)[0].id.as_str()
    );
    // Procedures this version lacks are never called.
    for request in shop.fake.requests() {
        assert!(
            !request.path.contains("queueList") && !request.path.contains("readLogs"),
            "{request:?}"
        );
    }
    assert!(
        !run.summary.contains("<details>"),
        "no log without deployment.readLogs"
    );
}

#[test]
fn a_new_server_without_the_queue_procedure_is_handled_as_an_old_one() {
    let shop = Shop::new();
    shop.fake
        .script("deployment.queueList", 1, Scripted::Status(404));
    let run = shop.run(&["--tag", "v2", "--stage", "backend"]);
    run.assert_code(0);
    assert_eq!(
        shop.fake.requests_to("deployment.queueList").len(),
        1,
        "asked once, then known to be missing"
    );
}

#[test]
fn a_wrong_key_is_bad_input_and_nothing_else_is_asked() {
    let shop = Shop::new();
    let run = shop
        .command(&["--tag", "v2"])
        .env("DOKPLOY_API_KEY", "not-the-key")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("refused the API key (401 Unauthorized"),
        "{stderr}"
    );
    assert!(stderr.contains("check DOKPLOY_API_KEY"), "{stderr}");
    let requests = shop.fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].procedure, "settings.getDokployVersion");
    assert_eq!(requests[0].status, 401);
}

#[test]
fn a_missing_key_or_server_is_bad_input() {
    let shop = Shop::new();
    let run = shop
        .command(&["--tag", "v2"])
        .env_remove("DOKPLOY_API_KEY")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("DOKPLOY_API_KEY is not set"));
    assert!(shop.fake.requests().is_empty());
}

#[test]
fn a_refusal_inside_the_handler_is_not_called_a_bad_key() {
    let shop = Shop::with(DokployOptions::default());
    shop.fake
        .script("application.one", 1, Scripted::Status(403));
    let run = shop.run(&["--tag", "v2", "--stage", "frontend"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("Dokploy denied application.one (403)"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("refused the API key"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_html_page_in_front_of_dokploy_is_summed_up() {
    let shop = Shop::new();
    shop.fake
        .script("settings.getDokployVersion", 1, Scripted::Html(403));
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "answered settings.getDokployVersion with an HTML page (403, \"Attention Required! | \
             Cloudflare\") (through Cloudflare)"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("<html"), "{}", run.stderr);
}

#[test]
fn an_unknown_service_is_bad_input_before_anything_changes() {
    let shop = Shop::new();
    let run = shop.run(&[
        "--application",
        "app-missing",
        "--image",
        "ghcr.io/acme/x:v1",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("cannot read application app-missing (target app-missing)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Application not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_git_application_is_refused() {
    let shop = Shop::new();
    shop.fake.edit_application(&shop.web, |application| {
        application.source_type = "github".into()
    });
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("builds from `github`"),
        "{}",
        run.stderr
    );
    assert!(shop.fake.requests_to("application.update").is_empty());
    assert!(shop.fake.requests_to("compose.update").is_empty());
}

#[test]
fn a_compose_without_an_env_file_is_refused_before_anything_changes() {
    let shop = Shop::new();
    shop.fake
        .edit_compose(&shop.stack, |compose| compose.create_env_file = false);
    let run = shop.run(&["--tag", "v2"]);
    run.assert_code(2);
    run.assert_said(&[
        "has \"Create Environment File\" off",
        "API_TAG, WORKER_TAG would never reach",
    ]);
    assert!(
        shop.fake.requests().iter().all(|r| r.method == "GET"),
        "nothing changed: {:?}",
        shop.fake.requests()
    );
    assert_eq!(shop.fake.compose(&shop.stack).env, STACK_ENV);
}

#[test]
fn a_stack_gets_its_variables_without_an_env_file() {
    let shop = Shop::new();
    shop.fake.edit_compose(&shop.stack, |compose| {
        compose.create_env_file = false;
        compose.compose_type = "stack".into();
    });
    let run = shop.run(&["--tag", "v2", "--stage", "backend"]);
    run.assert_code(0);
    let row = &shop.fake.deployments(&shop.stack)[0];
    assert!(row.deployed.contains("API_TAG=v2"), "{row:?}");
}
