//! The fake follows the reference where the client relies on it (so passing tests mean
//! something): routing, the order of checks, error bodies, empty answers, the queue.

use gantry_testkit::dokploy::{DokployOptions, FakeDokploy};
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
