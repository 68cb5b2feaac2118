//! gantry-registry against a real registry (docker-registry from gantry-testkit), checked with
//! skopeo; plus a scripted server for protocol paths the real one cannot show (bearer
//! challenges, 5xx).

mod auth;
mod delete;
mod manifests;
mod scripted;
mod tags;

use std::time::Duration;

use gantry_http::retry::RetryPolicy;
use gantry_registry::{Credentials, Endpoint, RegistryClient, Repository, Tag, TagOrDigest};
use gantry_testkit::Registry;

/// Millisecond waits, so retry paths run at once.
fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        retries: 2,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        rate_limit_floor: Duration::from_millis(1),
        max_wait: Duration::from_secs(1),
        ..RetryPolicy::default()
    }
}

fn client_with(url: &str, credentials: Credentials) -> RegistryClient {
    RegistryClient::new(
        Endpoint::from_url(url).unwrap(),
        credentials,
        gantry_http::user_agent!(),
    )
    .unwrap()
    .with_retry_policy(quick_retry())
}

/// An anonymous client for the testkit registry, reached through `--registry-url`.
fn client(registry: &Registry) -> RegistryClient {
    client_with(&registry.url(), Credentials::Anonymous)
}

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

fn tag(name: &str) -> TagOrDigest {
    TagOrDigest::Tag(Tag::parse(name).unwrap())
}

fn digest(text: &str) -> TagOrDigest {
    TagOrDigest::parse(text).unwrap()
}
