//! gantry-promote against a real registry (docker-registry from gantry-testkit), checked with
//! skopeo: the library on every kind of image, and the binary as the runner runs it.

mod images;
mod process;
mod reliability;

use gantry_promote::{PromoteError, Promotion};
use gantry_registry::{Credentials, Endpoint, ImageRef, RegistryClient, Tag};
use gantry_testkit::{Registry, Run};

/// Promotes `image` (relative to the registry: `repo:tag` or `repo@digest`) to `tags` with
/// the library, anonymously.
async fn promote(
    registry: &Registry,
    image: &str,
    tags: &[&str],
) -> Result<Promotion, PromoteError> {
    let image = ImageRef::parse(&format!("{}/{image}", registry.host())).unwrap();
    let tags: Vec<Tag> = tags.iter().map(|tag| Tag::parse(tag).unwrap()).collect();
    gantry_promote::promote(&client(registry), &image, &tags).await
}

fn client(registry: &Registry) -> RegistryClient {
    RegistryClient::new(
        Endpoint::from_url(&registry.url()).unwrap(),
        Credentials::Anonymous,
        gantry_http::user_agent!(),
    )
    .unwrap()
}

/// Checks with skopeo that `new` serves exactly the bytes and digest of `old`, and that
/// everything under it resolves.
fn assert_same_image(registry: &Registry, old: &str, new: &str) {
    assert_eq!(registry.inspect_raw(new), registry.inspect_raw(old));
    assert_eq!(registry.digest_of(new), registry.digest_of(old));
    registry.assert_resolves_fully(new);
}

const PROMOTE: &str = env!("CARGO_BIN_EXE_gantry-promote");

/// Runs gantry-promote with exactly `env` (nothing inherited).
fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    gantry_testkit::process::run(PROMOTE, args, env)
}
