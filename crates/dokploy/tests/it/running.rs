//! What runs where (`gantry_dokploy::running`), read from the fake Dokploy: the library call
//! gantry-prune makes, without the binary.

use std::time::Duration;

use gantry_dokploy::api::ServiceKind;
use gantry_dokploy::running::{self, Running};
use gantry_http::Secret;
use gantry_http::retry::RetryPolicy;
use gantry_testkit::dokploy::{FakeDokploy, Scripted};

/// Staging runs api and worker in one compose (one by id, one named by its path) and web as
/// an application; production runs web only, on the same panel.
struct Panel {
    fake: FakeDokploy,
    manifest: gantry_manifest::Manifest,
    stack: String,
    web_staging: String,
}

fn panel() -> Panel {
    let fake = FakeDokploy::start();
    let project = fake.add_project("shop");
    let staging = fake.add_environment(&project, "staging");
    let production = fake.environment(&project, "production");
    let stack = fake.add_compose(
        &staging,
        "stack",
        "API_TAG=sha-1234567\nWORKER_TAG=\"v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nDB_PASSWORD=secret\n",
    );
    let web_staging = fake.add_application(&staging, "web", "ghcr.io/acme/web:staging-1");
    let web_production = fake.add_application(&production, "web", "ghcr.io/acme/web:v1.2.0");
    let url = fake.url().to_owned();
    let text = format!(
        "version: 1\n\
         registry: ghcr.io/acme\n\
         services:\n  \
           api:\n    context: api\n    deploy:\n      environments:\n        \
             staging: {{dokploy: {{compose: {stack}, tag-var: API_TAG}}}}\n  \
           worker:\n    context: worker\n    deploy:\n      environments:\n        \
             staging: {{dokploy: {{compose: shop/staging/stack, tag-var: WORKER_TAG}}}}\n  \
           web:\n    context: web\n    deploy:\n      environments:\n        \
             staging: {{dokploy: {{application: {web_staging}}}}}\n        \
             production: {{dokploy: {{application: {web_production}}}}}\n  \
           docs:\n    context: docs\n\
         deploy:\n  environments:\n    \
           staging: {{dokploy: {{url: {url}}}}}\n    \
           production: {{dokploy: {{url: {url}}}, promote-from: staging}}\n"
    );
    let manifest = gantry_manifest::parse("gantry.yml", &text, None)
        .unwrap()
        .manifest;
    Panel {
        fake,
        manifest,
        stack,
        web_staging,
    }
}

/// Retries in milliseconds (the default policy's start at a second), two of them: the
/// client `running::client` builds follows the policy it is given.
fn retry() -> RetryPolicy {
    RetryPolicy {
        retries: 2,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

/// What runs in `environment`, read with [`retry`].
fn what_runs(panel: &Panel, environment: &str) -> Vec<Running> {
    read(panel, environment).unwrap()
}

fn read(panel: &Panel, environment: &str) -> Result<Vec<Running>, running::RunningError> {
    let key = Secret::new(panel.fake.api_key());
    let client = running::client(panel.fake.url(), key, retry()).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(running::what_runs(&panel.manifest, environment, &client))
}

fn images(found: &[Running]) -> Vec<(&str, Option<&str>)> {
    found
        .iter()
        .map(|running| {
            (
                running.service.as_str(),
                running.image.as_ref().unwrap().as_deref(),
            )
        })
        .collect()
}

#[test]
fn each_service_of_the_environment_with_the_image_it_runs() {
    let panel = panel();
    let staging = what_runs(&panel, "staging");
    assert_eq!(
        images(&staging),
        [
            ("api", Some("ghcr.io/acme/api:sha-1234567")),
            (
                "worker",
                Some(
                    "ghcr.io/acme/worker:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                )
            ),
            ("web", Some("ghcr.io/acme/web:staging-1")),
        ],
        "docs deploys nowhere; a compose variable is a tag of the service's repository"
    );
    assert_eq!(staging[0].kind, ServiceKind::Compose);
    assert_eq!(staging[0].tag_var.as_deref(), Some("API_TAG"));
    assert_eq!(staging[1].target, "shop/staging/stack");
    assert_eq!(staging[2].repository, "ghcr.io/acme/web");
    assert_eq!(
        panel.fake.requests_to("compose.one").len(),
        1,
        "the compose two services share is read once, by id and by name alike"
    );
    assert_eq!(panel.fake.requests_to("project.all").len(), 1);
    assert!(
        panel
            .fake
            .requests()
            .iter()
            .all(|request| request.method == "GET"),
        "reading what runs changes nothing"
    );

    let production = what_runs(&panel, "production");
    assert_eq!(
        images(&production),
        [("web", Some("ghcr.io/acme/web:v1.2.0"))]
    );
}

#[test]
fn nothing_set_is_none_and_an_unreadable_target_is_its_own_error() {
    let panel = panel();
    panel.fake.edit_compose(&panel.stack, |compose| {
        compose.env = "DB_PASSWORD=secret\nAPI_TAG=\n".into();
    });
    panel
        .fake
        .edit_application(&panel.web_staging, |application| {
            application.docker_image = None;
        });
    assert_eq!(
        images(&what_runs(&panel, "staging")),
        [("api", None), ("worker", None), ("web", None)]
    );

    // Every retry of the compose's read fails: its services say why, web still answers.
    panel.fake.script("compose.one", 100, Scripted::Status(500));
    let before = panel.fake.requests_to("compose.one").len();
    let found = what_runs(&panel, "staging");
    assert_eq!(
        panel.fake.requests_to("compose.one").len() - before,
        1 + retry().retries,
        "the shared compose is read once, with the retries of the policy given"
    );
    let error = found[0].image.as_ref().unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "cannot read compose {} (service api): ",
            panel.stack
        )),
        "{error}"
    );
    assert!(!error.to_string().contains("secret"), "{error}");
    assert!(found[1].image.is_err());
    assert_eq!(found[2].image, Ok(None));
}

#[test]
fn an_unknown_environment_names_the_known_ones() {
    let panel = panel();
    let error = read(&panel, "prod").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the manifest has no environment `prod` (it has `staging`, `production`)"
    );
}
