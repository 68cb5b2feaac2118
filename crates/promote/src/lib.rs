//! gantry-promote: add tags to an image already in a registry (staging → production) without
//! pulling or rebuilding it.
//!
//! The manifest or image index of `--image` is read once and pushed byte for byte under each
//! of `--tags` in the same repository, so every new tag has the same digest; no layer moves.
//!
//! - [`request`]: the command line ([`Args`]) checked into a [`Request`]: image, tags,
//!   endpoint, credentials. Bad input is found here, before any request is sent.
//! - [`promote()`]: the promotion against a registry: read, check every child, write, verify.
//! - [`report`]: text and JSON on stdout, step outputs, step summary.
//! - [`PromoteError`]: every failure with its exit status.

mod error;
pub mod promote;
pub mod report;
pub mod request;

pub use error::PromoteError;
pub use promote::{Promotion, TagPromotion, TagStatus, promote};
pub use request::{Args, Request};

use gantry_cli::Format;
use gantry_gha::Runtime;
use gantry_registry::{EnvCredentials, RegistryClient};

/// The whole tool: `main` hands it the parsed arguments and the process runtime.
pub async fn run(args: Args, runtime: &Runtime) -> Result<(), PromoteError> {
    // Masked before anything can print them.
    let request = Request::new(&args, EnvCredentials::read(runtime))?;
    let client = RegistryClient::new(
        request.endpoint.clone(),
        request.credentials.clone(),
        gantry_http::user_agent!(),
    )?;
    let promotion = {
        let _group = runtime.group(&format!("Promoting {}", request.image));
        promote(&client, &request.image, &request.tags).await?
    };
    // The runner reads stdout for workflow commands too: registry answers are untrusted.
    let text = match args.format.format {
        Format::Text => report::text(&promotion),
        Format::Json => report::json(&promotion),
    };
    print!("{}", runtime.stdout_report(&text));
    report::set_outputs(runtime, &promotion)?;
    runtime.append_summary(&report::summary(&promotion))?;
    Ok(())
}
