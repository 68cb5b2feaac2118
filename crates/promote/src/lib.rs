//! gantry-promote: add tags to an image already in a registry (staging → production) without
//! pulling or rebuilding it.
//!
//! The manifest or image index of `--image` is read once and pushed byte for byte under each
//! of `--tags` in the same repository, so every new tag has the same digest; no layer moves.
//!
//! - [`request`]: the command line ([`Args`]) checked into a [`Request`]: image, tags,
//!   endpoint, credentials. Bad input is found here, before any request is sent.
//! - [`promote()`]: the promotion against a registry: read, check every child, write, verify.
//! - [`report`]: text and JSON, step outputs, step summary.
//! - [`PromoteError`]: every failure with its exit status.

mod error;
pub mod promote;
pub mod report;
pub mod request;

pub use error::PromoteError;
pub use promote::{Promotion, TagPromotion, TagStatus, promote};
pub use request::{Args, Request};

use gantry_cli::{Error, Invocation, Tool};
use gantry_gha::Runtime;
use gantry_registry::credentials::{PASSWORD_INPUT, token_input};
use gantry_registry::{EnvCredentials, RegistryClient};

/// gantry-promote's descriptor.
pub const TOOL: Tool = Tool::new::<Args>(
    "promote",
    report::OUTPUTS,
    &[
        token_input(
            "GitHub token, passed as GITHUB_TOKEN and used for GitHub's registries only \
             (ghcr.io needs packages: write to add tags)",
        ),
        PASSWORD_INPUT,
    ],
);

impl Invocation for Args {
    type Report = Promotion;

    fn run(self, runtime: &Runtime) -> Result<Promotion, Error> {
        gantry_cli::block_on(run(self, runtime))
    }
}

/// The whole tool, up to its report: the promotion.
pub async fn run(args: Args, runtime: &Runtime) -> Result<Promotion, PromoteError> {
    // Masked before anything can print them.
    let request = Request::new(&args, EnvCredentials::read(runtime))?;
    let client = RegistryClient::new(
        request.endpoint.clone(),
        request.credentials.clone(),
        gantry_http::user_agent!(),
    )?;
    let _group = runtime.group(&format!("Promoting {}", request.image));
    promote(&client, &request.image, &request.tags).await
}
