//! Protocol paths the real registry does not show, against a scripted server: bearer
//! challenges on reads and DELETE, a 5xx that passes, a digest that does not match the bytes.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use gantry_registry::{Credentials, Deletion, Digest, RegistryError, RequestStats, Secret};

use crate::{client_with, repo, tag};

/// What the scripted server saw, and what it answers with.
#[derive(Default)]
struct Script {
    /// `METHOD path?query authorization` of every request.
    seen: Vec<String>,
    /// Manifest GETs answered 503 before the real answer.
    failures_left: usize,
    /// The digest header sent with the manifest, if it should lie.
    digest_header: Option<String>,
    /// Manifest GETs need the bearer token too (as on ghcr.io).
    bearer_reads: bool,
}

type Shared = Arc<Mutex<Script>>;

const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

fn record(script: &Shared, request: &Request) {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    script.lock().unwrap().seen.push(format!(
        "{} {} {authorization}",
        request.method(),
        request.uri()
    ));
}

async fn serve(script: Shared) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let realm = format!("{base}/token");
    let app = Router::new()
        .route(
            "/v2/",
            get(
                |State(script): State<Shared>, request: Request| async move {
                    record(&script, &request);
                    "{}"
                },
            ),
        )
        .route(
            "/token",
            get(
                |State(script): State<Shared>, request: Request| async move {
                    record(&script, &request);
                    axum::Json(serde_json::json!({"token": "registry-token-1"}))
                },
            ),
        )
        .route(
            "/v2/acme/api/manifests/{reference}",
            any(move |State(script): State<Shared>, request: Request| {
                let realm = realm.clone();
                async move { manifests(script, request, &realm) }
            }),
        )
        .with_state(script);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn manifests(script: Shared, request: Request, realm: &str) -> Response {
    record(&script, &request);
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value == "Bearer registry-token-1");
    let challenge = |action: &str| {
        let challenge = format!(
            r#"Bearer realm="{realm}",service="scripted",scope="repository:acme/api:{action}""#
        );
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            "",
        )
            .into_response()
    };
    if request.method() == axum::http::Method::DELETE {
        if !bearer {
            return challenge("delete");
        }
        return StatusCode::ACCEPTED.into_response();
    }
    let mut script = script.lock().unwrap();
    if script.bearer_reads && !bearer {
        return challenge("pull");
    }
    if script.failures_left > 0 {
        script.failures_left -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
    }
    let digest = script
        .digest_header
        .clone()
        .unwrap_or_else(|| Digest::sha256_of(MANIFEST.as_bytes()).to_string());
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/vnd.oci.image.manifest.v1+json"
            .parse()
            .unwrap(),
    );
    headers.insert("docker-content-digest", digest.parse().unwrap());
    (StatusCode::OK, headers, MANIFEST).into_response()
}

#[tokio::test]
async fn delete_answers_a_bearer_challenge_with_the_scope_it_names() {
    let script = Shared::default();
    let base = serve(script.clone()).await;
    let token = "ghs_scripted_token";
    let client = client_with(&base, Credentials::GitHubToken(Secret::new(token)));
    let target = Digest::sha256_of(b"anything");
    for _ in 0..2 {
        let deleted = client
            .delete_manifest(&repo("acme/api"), &target)
            .await
            .unwrap();
        assert_eq!(deleted, Deletion::Deleted);
    }
    let seen = script.lock().unwrap().seen.clone();
    let token_requests: Vec<&String> = seen
        .iter()
        .filter(|line| line.starts_with("GET /token"))
        .collect();
    assert_eq!(token_requests.len(), 1, "the token is reused: {seen:#?}");
    let request = token_requests[0];
    assert!(
        request.contains("scope=repository%3Aacme%2Fapi%3Adelete"),
        "{request}"
    );
    assert!(request.contains("service=scripted"), "{request}");
    // Basic base64("gantry:ghs_scripted_token")
    assert!(
        request.ends_with("Basic Z2FudHJ5Omdoc19zY3JpcHRlZF90b2tlbg=="),
        "{request}"
    );
    let deletes: Vec<&String> = seen
        .iter()
        .filter(|line| line.starts_with("DELETE"))
        .collect();
    assert_eq!(
        deletes.len(),
        3,
        "challenge, then two authorised deletes: {seen:#?}"
    );
    assert!(
        deletes[1].ends_with("Bearer registry-token-1")
            && deletes[2].ends_with("Bearer registry-token-1")
    );
}

#[tokio::test]
async fn a_passing_server_error_is_retried() {
    let script = Shared::default();
    script.lock().unwrap().failures_left = 1;
    let base = serve(script.clone()).await;
    let client = client_with(&base, Credentials::Anonymous);
    let fetched = client
        .get_manifest(&repo("acme/api"), &tag("v1"))
        .await
        .unwrap();
    assert_eq!(fetched.raw, MANIFEST.as_bytes());
    let gets = script
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|line| line.starts_with("GET /v2/acme/api/manifests/v1"))
        .count();
    assert_eq!(gets, 2);
    assert_eq!(
        (client.stats().manifest_gets, client.stats().retries),
        (1, 1)
    );
}

#[tokio::test]
async fn a_server_error_that_persists_is_reported_as_unavailable() {
    let script = Shared::default();
    script.lock().unwrap().failures_left = 100;
    let base = serve(script).await;
    let err = client_with(&base, Credentials::Anonymous)
        .get_manifest(&repo("acme/api"), &tag("v1"))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains("503"), "{err}");
}

#[tokio::test]
async fn bytes_that_do_not_match_the_digest_are_refused() {
    let script = Shared::default();
    script.lock().unwrap().digest_header = Some(Digest::sha256_of(b"other bytes").to_string());
    let base = serve(script).await;
    let err = client_with(&base, Credentials::Anonymous)
        .get_manifest(&repo("acme/api"), &tag("v1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::DigestMismatch { .. }),
        "{err:?}"
    );
    assert!(err.is_input_error());
}

/// A server that wants a bearer token for reads too (as ghcr.io), and a client with a
/// GitHub token for it.
async fn bearer_reads() -> (Shared, gantry_registry::RegistryClient) {
    let script = Shared::default();
    script.lock().unwrap().bearer_reads = true;
    let base = serve(script.clone()).await;
    let client = client_with(
        &base,
        Credentials::GitHubToken(Secret::new("ghs_scripted_token")),
    );
    (script, client)
}

#[tokio::test]
async fn concurrent_reads_wait_for_one_challenge() {
    let (_script, client) = bearer_reads().await;
    let (repository, reference) = (repo("acme/api"), tag("v1"));
    let reads = (0..8).map(|_| client.get_manifest(&repository, &reference));
    for read in futures::future::join_all(reads).await {
        read.unwrap();
    }
    let stats = client.stats();
    assert_eq!(
        (stats.manifest_gets, stats.challenges, stats.token_requests),
        (8, 1, 1),
        "{stats:?}"
    );
}

#[tokio::test]
async fn reads_answer_one_challenge_per_repository_and_never_ping_the_registry() {
    let (script, client) = bearer_reads().await;
    for _ in 0..3 {
        let fetched = client
            .get_manifest(&repo("acme/api"), &tag("v1"))
            .await
            .unwrap();
        assert_eq!(fetched.raw, MANIFEST.as_bytes());
    }
    let seen = script.lock().unwrap().seen.clone();
    assert!(
        !seen.iter().any(|line| line.starts_with("GET /v2/ ")),
        "no GET /v2/ before requests: {seen:#?}"
    );
    let tokens: Vec<&String> = seen
        .iter()
        .filter(|line| line.starts_with("GET /token"))
        .collect();
    assert_eq!(tokens.len(), 1, "{seen:#?}");
    assert!(
        tokens[0].contains("scope=repository%3Aacme%2Fapi%3Apull"),
        "{}",
        tokens[0]
    );
    assert_eq!(
        client.stats(),
        RequestStats {
            manifest_gets: 3,
            token_requests: 1,
            challenges: 1,
            ..RequestStats::default()
        },
        "three reads, the first challenged once"
    );
    assert_eq!(client.stats().total(), 5);
}
