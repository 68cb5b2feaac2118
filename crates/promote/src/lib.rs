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
pub use report::Report;
pub use request::{Args, Request};

use gantry_cli::{Error, Invocation, Tool};
use gantry_gha::Runtime;
use gantry_registry::credentials::{PASSWORD_INPUT, token_input};
use gantry_registry::{EnvCredentials, ImageRef, RegistryClient};

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
    type Report = Report;

    fn run(self, runtime: &Runtime) -> Result<Report, Error> {
        gantry_cli::block_on(run(self, runtime))
    }
}

/// The whole tool, up to its report: the promotion, or the promotions of `--environment`.
pub async fn run(args: Args, runtime: &Runtime) -> Result<Report, PromoteError> {
    // Masked before anything can print them.
    let credentials = EnvCredentials::read(runtime);
    let environment = args
        .environment
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let requests = match environment {
        Some(_)
            if args
                .image
                .as_deref()
                .is_some_and(|image| !image.trim().is_empty()) =>
        {
            return Err(PromoteError::BadInput {
                flag: "--environment",
                reason: "--image and --environment both say what to promote".into(),
                help: "give one of them".into(),
            });
        }
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
    Ok(match environment {
        None => Report::Image(promotions.remove(0)),
        Some(environment) => Report::Environment {
            environment: environment.to_owned(),
            promotions,
        },
    })
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
