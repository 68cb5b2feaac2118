//! The ghcr.io-like registry front: the standard bearer challenge and token exchange, reads
//! proxied to the real registry, manifest DELETE refused, no referrers API.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;

use super::RequestKind;
use super::TokenKind;
use super::state::Shared;

/// Headers of the registry's answer passed through to the client.
const PASSED_HEADERS: [&str; 3] = ["content-type", "docker-content-digest", "content-length"];

pub(crate) async fn handle(shared: &Shared, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/token" {
        return token(shared, &request);
    }
    let rest = path.trim_start_matches("/v2").trim_start_matches('/');
    let kind = if rest.is_empty() {
        RequestKind::RegistryPing
    } else if rest.contains("/manifests/") {
        if request.method() == Method::DELETE {
            RequestKind::RegistryDelete
        } else {
            RequestKind::RegistryManifest
        }
    } else {
        RequestKind::RegistryOther
    };
    if let Some(status) = shared.state().record(kind) {
        return plain(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            "injected fault",
        );
    }
    let repository = ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
        .iter()
        .find_map(|marker| rest.find(marker).map(|at| &rest[..at]))
        .unwrap_or("");
    if !authorized(shared, &request) {
        return challenge(shared, repository);
    }
    if kind == RequestKind::RegistryPing {
        return plain(StatusCode::OK, "{}");
    }
    if kind == RequestKind::RegistryDelete {
        return errors(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "The operation is unsupported.",
        );
    }
    if rest.contains("/referrers/") {
        return errors(StatusCode::NOT_FOUND, "NOT_FOUND", "404 page not found");
    }
    let target = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.clone(),
    };
    let head = request.method() == Method::HEAD;
    let accept = request.headers().get(header::ACCEPT).cloned();
    proxy(shared, head, &target, accept).await
}

/// `GET /token?scope=…&service=…` with Basic auth whose password is a GitHub token.
fn token(shared: &Shared, request: &Request) -> Response {
    let mut state = shared.state();
    if let Some(status) = state.record(RequestKind::RegistryToken) {
        return plain(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            "injected fault",
        );
    }
    let password = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(_, password)| password.to_owned())
        });
    let accepted = password
        .and_then(|password| state.token(&password))
        .is_some_and(|token| token.kind != TokenKind::FineGrained);
    if !accepted {
        return errors(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "authentication required",
        );
    }
    let issued = format!("ghcr-registry-token-{}", uuid::Uuid::new_v4().simple());
    state.registry_tokens.insert(issued.clone());
    let body = serde_json::json!({"token": issued});
    let mut response = Response::new(Body::from(body.to_string()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn authorized(shared: &Shared, request: &Request) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| shared.state().registry_tokens.contains(token.trim()))
}

fn challenge(shared: &Shared, repository: &str) -> Response {
    let mut value = format!(
        r#"Bearer realm="{}/token",service="ghcr.io""#,
        shared.base_url
    );
    if !repository.is_empty() {
        value.push_str(&format!(r#",scope="repository:{repository}:pull""#));
    }
    let mut response = errors(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "authentication required",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&value).expect("ASCII challenge"),
    );
    response
}

/// The registry's answer to the same read (`target` is path and query).
async fn proxy(shared: &Shared, head: bool, target: &str, accept: Option<HeaderValue>) -> Response {
    let method = if head {
        reqwest::Method::HEAD
    } else {
        reqwest::Method::GET
    };
    let mut upstream = shared.registry_request(method, target);
    if let Some(accept) = accept {
        upstream = upstream.header(header::ACCEPT, accept.as_bytes());
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(err) => return plain(StatusCode::BAD_GATEWAY, &err.to_string()),
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers: Vec<(String, Vec<u8>)> = PASSED_HEADERS
        .iter()
        .filter_map(|name| {
            answer
                .headers()
                .get(*name)
                .map(|value| ((*name).to_owned(), value.as_bytes().to_vec()))
        })
        .collect();
    let body = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn errors(status: StatusCode, code: &str, text: &str) -> Response {
    let body = serde_json::json!({"errors": [{"code": code, "message": text}]});
    let mut response = plain(status, &body.to_string());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_owned()));
    *response.status_mut() = status;
    response
}
