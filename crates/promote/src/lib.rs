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
use gantry_registry::{EnvCredentials, ImageRef, RegistryClient};

/// The whole tool: `main` hands it the parsed arguments and the process runtime.
pub async fn run(args: Args, runtime: &Runtime) -> Result<(), PromoteError> {
    // Masked before anything can print them.
    let credentials = EnvCredentials::read(runtime);
    let environment = args
        .environment
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let requests = match environment {
        Some(environment) => environment_requests(&args, environment, runtime, &credentials)?,
        None => vec![Request::new(&args, credentials)?],
    };
    let mut promotions = Vec::new();
    for request in &requests {
        let client = RegistryClient::new(
            request.endpoint.clone(),
            request.credentials.clone(),
            gantry_http::user_agent!(),
        )?;
        let _group = runtime.group(&format!("Promoting {}", request.image));
        promotions.push(promote(&client, &request.image, &request.tags).await?);
    }
    // The runner reads stdout for workflow commands too: registry answers are untrusted.
    let text = match (args.format.format, environment) {
        (Format::Text, _) => promotions.iter().map(report::text).collect(),
        (Format::Json, None) => report::json(&promotions[0]),
        (Format::Json, Some(environment)) => report::environment_json(environment, &promotions),
    };
    print!("{}", runtime.stdout_report(&text));
    match environment {
        None => {
            report::set_outputs(runtime, &promotions[0])?;
            runtime.append_summary(&report::summary(&promotions[0]))?;
        }
        Some(environment) => {
            report::set_environment_outputs(runtime, environment, &promotions)?;
            for promotion in &promotions {
                runtime.append_summary(&report::summary(promotion))?;
            }
        }
    }
    Ok(())
}

/// `--environment E`: a request per service of the manifest that runs in `E`, for the image
/// its `E` tag points at (gantry-dokploy moves it after each successful deploy there).
/// Services never deployed there (no `E` tag yet) are promoted like the others and fail
/// closed: a release tag must cover everything that runs.
fn environment_requests(
    args: &Args,
    environment: &str,
    runtime: &Runtime,
    credentials: &EnvCredentials,
) -> Result<Vec<Request>, PromoteError> {
    let path = args.manifest.path(runtime.env());
    let loaded = gantry_manifest::load(&path).map_err(PromoteError::Manifest)?;
    gantry_cli::report_warnings(runtime, &loaded.warnings);
    let manifest = &loaded.manifest;
    if manifest.environment(environment).is_none() {
        let known: Vec<String> = manifest
            .environments()
            .map(|env| format!("`{}`", env.name))
            .collect();
        return Err(PromoteError::BadInput {
            flag: "--environment",
            reason: format!("{} has no environment `{environment}`", path.display()),
            help: format!("name one of deploy.environments: {}", known.join(", ")),
        });
    }
    let mut requests = Vec::new();
    for service in manifest.services_in_environment(environment) {
        let image = ImageRef::parse(&format!("{}:{environment}", service.image))
            .map_err(|err| PromoteError::bad_input("--environment", err))?;
        requests.push(Request::of(image, args, credentials.clone())?);
    }
    if requests.is_empty() {
        return Err(PromoteError::BadInput {
            flag: "--environment",
            reason: format!("no service of {} deploys to {environment}", path.display()),
            help: "add the environment under the services' deploy.environments".into(),
        });
    }
    Ok(requests)
}
