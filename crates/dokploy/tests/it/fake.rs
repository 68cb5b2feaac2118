//! The fake follows the reference where the client relies on it (so passing tests mean
//! something): routing, the order of checks, error bodies, empty answers, the queue.

use gantry_testkit::dokploy::{DokployOptions, FakeDokploy, GIT_COMMIT_MESSAGE, Kind, Role};
use serde_json::{Value, json};

struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

fn call(
    fake: &FakeDokploy,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Answer {
    call_with_key(fake, fake.api_key(), method, path, content_type, body)
}

fn call_with_key(
    fake: &FakeDokploy,
    key: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Answer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        gantry_http::install_crypto_provider();
        let client = reqwest::Client::new();
        let url = format!("{}{path}", fake.url());
        let mut request = match method {
            "GET" => client.get(url),
            _ => client.post(url).body(body.to_owned()),
        }
        .header("x-api-key", key);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status().as_u16(),
            body: response.text().await.unwrap(),
        }
    })
}

#[test]
fn routing_and_the_order_of_checks() {
    let fake = FakeDokploy::start();
    let project = fake.add_project("p");
    let production = fake.environment(&project, "production");
    let app = fake.add_application(&production, "a", "ghcr.io/a:v1");

    let version = call(&fake, "GET", "/api/Settings.GetDokployVersion/", None, "");
    assert_eq!((version.status, version.json()), (200, json!("v0.30.2")));
    let wrong_method = call(
        &fake,
        "POST",
        "/api/application.one",
        Some("application/json"),
        "{}",
    );
    assert_eq!(wrong_method.status, 404);
    assert_eq!(wrong_method.json()["code"], "NOT_FOUND");
    let form = call(
        &fake,
        "POST",
        "/api/application.deploy",
        Some("application/x-www-form-urlencoded"),
        "applicationId=x",
    );
    assert_eq!(form.status, 415);
    let invalid = call(
        &fake,
        "POST",
        "/api/application.deploy",
        Some("application/json"),
        "{}",
    );
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.json()["issues"][0]["path"],
        json!(["applicationId"])
    );
    // Held, so the job is certainly still in the queue when it is listed.
    fake.hold(&app);
    let body = json!({"applicationId": app, "title": "t"}).to_string();
    let deploy = call(
        &fake,
        "POST",
        "/api/application.deploy",
        Some("application/json"),
        &body,
    );
    assert_eq!((deploy.status, deploy.body.as_str()), (200, ""));
    let queue = call(&fake, "GET", "/api/deployment.queueList", None, "").json();
    assert_eq!(queue[0]["data"]["titleLog"], "t");
    assert!(
        ["waiting", "active"].contains(&queue[0]["state"].as_str().unwrap()),
        "{queue}"
    );
    fake.release(&app);

    assert_eq!(call(&fake, "GET", "/api/project.all", None, "").status, 200);
    let unauthorized = call_with_key(&fake, "wrong", "GET", "/api/nonexistent.route", None, "");
    // The key is checked before the route: a bad key on an unknown path is still a 401.
    assert_eq!(
        (unauthorized.status, unauthorized.json()),
        (401, json!({"message": "Unauthorized"}))
    );

    fake.wait_until("the deploy finished", |fake| {
        fake.deployments(&app)
            .iter()
            .any(|row| row.status == "done")
    });
    let rows = call(
        &fake,
        "GET",
        &format!("/api/deployment.all?applicationId={app}"),
        None,
        "",
    )
    .json();
    assert_eq!(rows[0]["title"], "t");
    assert_eq!(rows[0]["status"], "done");
    assert!(rows[0]["finishedAt"].is_string());
    assert_eq!(
        call(&fake, "GET", "/api/deployment.queueList", None, "").json(),
        json!([])
    );
    assert_eq!(
        call(
            &fake,
            "GET",
            "/api/deployment.all?applicationId=unknown",
            None,
            ""
        )
        .json(),
        json!([])
    );
}

#[test]
fn versions_shape_the_answers() {
    let fake = FakeDokploy::start_with(DokployOptions {
        version: "v0.25.0".into(),
        ..DokployOptions::default()
    });
    let project = fake.add_project("p");
    let production = fake.environment(&project, "production");
    let compose = fake.add_compose(&production, "c", "A=1");
    let projects = call(&fake, "GET", "/api/project.all", None, "").json();
    let listed = &projects[0]["environments"][0]["compose"][0];
    assert_eq!(listed["env"], "A=1", "full rows before v0.28.3");
    assert!(projects[0]["environments"][0].get("isDefault").is_none());
    assert_eq!(
        call(&fake, "GET", "/api/deployment.queueList", None, "").status,
        404
    );
    let body = json!({"composeId": compose}).to_string();
    let deploy = call(
        &fake,
        "POST",
        "/api/compose.deploy",
        Some("application/json"),
        &body,
    );
    assert_eq!(
        (deploy.status, deploy.body.as_str()),
        (200, ""),
        "empty before v0.25.7"
    );

    let new = FakeDokploy::start();
    let project = new.add_project("p");
    let production = new.environment(&project, "production");
    new.add_compose(&production, "c", "A=1");
    let projects = call(&new, "GET", "/api/project.all", None, "").json();
    let environment = &projects[0]["environments"][0];
    assert_eq!(
        environment["compose"][0].as_object().unwrap().len(),
        3,
        "trimmed rows"
    );
    assert_eq!(environment["isDefault"], true);
}

#[tokio::test]
async fn the_fake_serves_async_tests_and_the_library_client() {
    let fake = FakeDokploy::start();
    let http = gantry_http::client("gantry-test/0").unwrap();
    let key = gantry_gha::Secret::new(fake.api_key());
    let retry = gantry_http::retry::RetryPolicy::default();
    let client = gantry_dokploy::client::Client::new(http, fake.url(), key, retry).unwrap();
    let dokploy = gantry_dokploy::api::Dokploy::connect(client).await.unwrap();
    assert_eq!(dokploy.features().version, "v0.30.2");
    assert_eq!(dokploy.queue().await.unwrap(), Some(Vec::new()));
    assert_eq!(fake.requests().len(), 2);
    // Dropped inside the async test: shut down without blocking.
    drop(fake);
}

/// A POST of `body` (JSON) to `procedure`.
fn post(fake: &FakeDokploy, procedure: &str, body: &Value) -> Answer {
    call(
        fake,
        "POST",
        &format!("/api/{procedure}"),
        Some("application/json"),
        &body.to_string(),
    )
}

/// A fake with one application and one compose in `production`.
fn fake_with(options: DokployOptions) -> (FakeDokploy, String, String) {
    let fake = FakeDokploy::start_with(options);
    let project = fake.add_project("p");
    let production = fake.environment(&project, "production");
    let app = fake.add_application(&production, "a", "ghcr.io/a:v1");
    let compose = fake.add_compose(&production, "c", "TAG=v1\n");
    (fake, app, compose)
}

#[test]
fn inputs_are_typed_as_the_zod_schemas_type_them() {
    let (fake, app, _) = fake_with(DokployOptions::default());
    // Nullable columns take null (drizzle-zod 0.5.1; openapi.json: anyOf string/null).
    let cleared = post(
        &fake,
        "application.update",
        &json!({"applicationId": app, "dockerImage": null}),
    );
    assert_eq!((cleared.status, cleared.json()), (200, json!(true)));
    assert_eq!(fake.application(&app).docker_image, None);
    let number = post(
        &fake,
        "application.update",
        &json!({"applicationId": app, "dockerImage": 5}),
    );
    assert_eq!(number.status, 400);
    assert_eq!(
        number.json()["issues"][0]["message"],
        "Invalid input: expected string, received number"
    );
    // The deploy calls' title is a plain optional string.
    let title = post(
        &fake,
        "application.deploy",
        &json!({"applicationId": app, "title": null}),
    );
    assert_eq!(title.status, 400);
    assert_eq!(title.json()["issues"][0]["path"], json!(["title"]));
    assert!(fake.deployments(&app).is_empty() && fake.jobs().is_empty());
}

#[test]
fn save_environment_arrives_in_v0_29_and_keeps_the_env_file_switch() {
    let (old, _, compose) = fake_with(DokployOptions {
        version: "v0.28.8".into(),
        ..DokployOptions::default()
    });
    let body = json!({"composeId": compose, "env": "TAG=v2\n"});
    assert_eq!(post(&old, "compose.saveEnvironment", &body).status, 404);

    let (fake, _, compose) = fake_with(DokployOptions::default());
    fake.edit_compose(&compose, |compose| compose.create_env_file = false);
    let saved = post(
        &fake,
        "compose.saveEnvironment",
        &json!({"composeId": compose, "env": "TAG=v2\n"}),
    );
    assert_eq!((saved.status, saved.json()), (200, json!(true)));
    let stored = fake.compose(&compose);
    assert_eq!(stored.env, "TAG=v2\n");
    assert!(
        !stored.create_env_file,
        "absent createEnvFile leaves the switch"
    );
    let missing = post(
        &fake,
        "compose.saveEnvironment",
        &json!({"composeId": compose}),
    );
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["issues"][0]["path"], json!(["env"]));
}

#[test]
fn without_an_env_file_docker_compose_deploys_the_old_values() {
    let (fake, _, compose) = fake_with(DokployOptions::default());
    let deploy = |title: &str| {
        let body = json!({"composeId": compose, "title": title});
        assert_eq!(post(&fake, "compose.deploy", &body).status, 200);
        fake.wait_until(title, |fake| {
            fake.deployments(&compose)
                .iter()
                .any(|row| row.title == title && row.status == "done")
        });
    };
    deploy("first");
    fake.edit_compose(&compose, |compose| {
        compose.env = "TAG=v2\n".into();
        compose.create_env_file = false;
    });
    deploy("no env file");
    let rows = fake.deployments(&compose);
    assert_eq!(rows[1].deployed, "TAG=v1\n", "the stale .env");
    assert_eq!(rows[1].status, "done", "and Dokploy calls it done");
    // A stack gets its variables on the command line.
    fake.edit_compose(&compose, |compose| compose.compose_type = "stack".into());
    deploy("stack");
    assert_eq!(fake.deployments(&compose)[2].deployed, "TAG=v2\n");
    let one = call(
        &fake,
        "GET",
        &format!("/api/compose.one?composeId={compose}"),
        None,
        "",
    );
    assert_eq!(one.json()["createEnvFile"], false);
    assert_eq!(one.json()["composeType"], "stack");
}

#[test]
fn clean_queues_withdraws_the_waiting_jobs_of_one_service() {
    let (fake, app, compose) = fake_with(DokployOptions::default());
    // The application's first deploy runs (held); its second and the compose's wait.
    fake.hold(&app);
    fake.deploy(Kind::Application, &app, "running");
    fake.wait_until("it runs", |fake| !fake.deployments(&app).is_empty());
    fake.deploy(Kind::Application, &app, "waiting");
    fake.deploy(Kind::Compose, &compose, "other service");
    let cleaned = post(
        &fake,
        "application.cleanQueues",
        &json!({"applicationId": app}),
    );
    assert_eq!((cleaned.status, cleaned.body.as_str()), (200, ""));
    let titles: Vec<String> = fake.jobs().into_iter().map(|job| job.title).collect();
    assert_eq!(titles, ["running", "other service"]);
    let compose_answer = post(&fake, "compose.cleanQueues", &json!({"composeId": compose}));
    assert_eq!(compose_answer.json()["success"], true);
    assert_eq!(fake.jobs().len(), 1);
    fake.release(&app);
    fake.wait_until("the queue is empty", |fake| fake.jobs().is_empty());
    assert_eq!(
        fake.deployments(&app).len(),
        1,
        "the withdrawn job never ran"
    );
    assert!(fake.deployments(&compose).is_empty());
}

#[test]
fn git_sources_get_the_commit_as_title_when_they_end() {
    for (version, retitled) in [("v0.25.6", false), ("v0.25.7", true)] {
        let (fake, _, compose) = fake_with(DokployOptions {
            version: version.into(),
            ..DokployOptions::default()
        });
        fake.edit_compose(&compose, |compose| compose.source_type = "github".into());
        fake.deploy(Kind::Compose, &compose, "gantry: deploy c #1");
        fake.wait_until("done", |fake| {
            fake.deployments(&compose)
                .iter()
                .any(|row| row.status == "done")
        });
        let row = &fake.deployments(&compose)[0];
        let expected = if retitled {
            GIT_COMMIT_MESSAGE
        } else {
            "gantry: deploy c #1"
        };
        assert_eq!(row.title, expected, "{version}");
    }
}

#[test]
fn permissions_are_checked_from_v0_28_7_with_dokploys_refusal() {
    let member = Role::Member {
        create_services: false,
    };
    let (fake, app, compose) = fake_with(DokployOptions {
        role: member.clone(),
        ..DokployOptions::default()
    });
    let refused = post(
        &fake,
        "compose.update",
        &json!({"composeId": compose, "env": "TAG=v2\n"}),
    );
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["code"], "UNAUTHORIZED");
    assert_eq!(
        refused.json()["message"],
        "unauthorized to access resource \"service\""
    );
    let saved = post(
        &fake,
        "compose.saveEnvironment",
        &json!({"composeId": compose, "env": "TAG=v2\n"}),
    );
    assert_eq!(saved.status, 200, "members hold envVars:write");
    let permissions = call(&fake, "GET", "/api/user.getPermissions", None, "").json();
    assert_eq!(permissions["service"]["create"], false);
    assert_eq!(permissions["envVars"]["write"], true);
    assert_eq!(
        post(&fake, "application.update", &update_for(&app)).status,
        401
    );

    // Before v0.28.7 the handlers checked the organisation only.
    let (old, app, _) = fake_with(DokployOptions {
        version: "v0.28.6".into(),
        role: member,
        ..DokployOptions::default()
    });
    assert_eq!(
        post(&old, "application.update", &update_for(&app)).status,
        200
    );
    assert_eq!(
        call(&old, "GET", "/api/user.getPermissions", None, "").status,
        404
    );
}

fn update_for(app: &str) -> Value {
    json!({"applicationId": app, "dockerImage": "ghcr.io/a:v2"})
}
