//! A gantry-dokploy run: the plan from the flags and the manifest, the connection to
//! Dokploy, the checks before anything changes, then the deploy.

use std::time::Duration;

use gantry_cli::{Error, Invocation};
use gantry_gha::Runtime;
use gantry_http::retry::RetryPolicy;

use crate::api::Dokploy;
use crate::args::Args;
use crate::client::{self, Client};
use crate::deploy::{self, Origin, Settings};
use crate::error::ApiError;
use crate::health::{HealthCheck, HealthPolicy};
use crate::plan::{self, Plan, PlanError};
use crate::prepare::prepare;
use crate::report::Report;
use crate::wait::Poll;
use crate::{API_KEY_VAR, LOG_LINES};

impl Invocation for Args {
    type Report = Report;

    /// Plans, connects, checks and deploys; the report's verdict fails the run when the
    /// deploy did not succeed.
    fn run(self, runtime: &Runtime) -> Result<Report, Error> {
        gantry_cli::block_on(run(&self, runtime))
    }
}

/// The whole deploy, up to its report.
pub async fn run(args: &Args, runtime: &Runtime) -> Result<Report, Error> {
    let key = runtime
        .secret_from_env(API_KEY_VAR)
        .ok_or(ApiError::NoApiKey)?;
    let (plan, manifest) = plan_of(args, runtime)?;
    if plan.stages.is_empty() {
        // Only --services without a deploy: entry were asked for: nothing to change.
        return Ok(Report::nothing_deployed());
    }
    let settings = settings(args, &plan, runtime)?;
    let url = dokploy_url(args, manifest.as_ref())?;
    let http = client::http_client().map_err(|error| Error::failed(error.to_string()))?;
    // Retries of failed requests start no slower than the polls (tests poll in milliseconds);
    // no request, retries and waits included, outlives --timeout.
    let retry = RetryPolicy {
        min_delay: args.poll_interval.min(RetryPolicy::default().min_delay),
        budget: args.timeout,
        ..RetryPolicy::default()
    };
    let client = Client::new(http, &url, key, retry)?;
    // Connecting and checking every target is a phase of its own, bounded by --timeout.
    let setup = client
        .deadline()
        .until(tokio::time::Instant::now() + args.timeout);
    let dokploy = Dokploy::connect(client).await?;
    tracing::info!(
        "Dokploy {} at {}",
        dokploy.features().version,
        dokploy.client().panel_url()
    );
    if dokploy.features().predates_api_keys() {
        tracing::warn!(
            "Dokploy {} predates API keys (v0.19.0); upgrade the server",
            dokploy.features().version
        );
    }
    let stages = prepare(&dokploy, &plan).await?;
    drop(setup);
    Ok(deploy::run(&dokploy, &stages, &settings, runtime).await)
}

/// The plan of the flags and the manifest (read when needed), its notes logged.
fn plan_of(
    args: &Args,
    runtime: &Runtime,
) -> Result<(Plan, Option<gantry_manifest::Loaded>), Error> {
    let applications = gantry_cli::list_items(&args.application);
    let composes = gantry_cli::list_items(&args.compose);
    let images = gantry_cli::list_items(&args.image);
    let services = gantry_cli::list_items(&args.services);
    let manifest = load_manifest(
        args,
        runtime,
        applications.is_empty() && composes.is_empty(),
    )?;
    let plan = plan::plan(&plan::Inputs {
        manifest: manifest.as_ref().map(|loaded| &loaded.manifest),
        stage: args.stage.as_deref().filter(|stage| !stage.is_empty()),
        services: &services,
        tag: args.tag.as_deref().filter(|tag| !tag.is_empty()),
        images: &images,
        applications: &applications,
        composes: &composes,
    })?;
    for note in &plan.notes {
        tracing::warn!("{note}");
    }
    Ok((plan, manifest))
}

/// `--dokploy-url`, else the manifest environment's.
fn dokploy_url(args: &Args, manifest: Option<&gantry_manifest::Loaded>) -> Result<String, Error> {
    args.dokploy_url
        .clone()
        .filter(|url| !url.is_empty())
        .or_else(|| {
            let environment = manifest?.manifest.only_environment()?;
            environment.dokploy_url.clone()
        })
        .ok_or_else(|| {
            Error::bad_input(miette::miette!(
                code = "gantry::dokploy::no_url",
                help = "pass --dokploy-url URL, or set deploy.dokploy.url in gantry.yml",
                "no Dokploy server given"
            ))
        })
}

/// The manifest: required when it gives the targets; otherwise read only when named (or
/// present, and needed for the Dokploy URL).
fn load_manifest(
    args: &Args,
    runtime: &Runtime,
    targets_from_manifest: bool,
) -> Result<Option<gantry_manifest::Loaded>, Error> {
    let env = runtime.env();
    let path = args.manifest.path(env);
    let wanted = targets_from_manifest
        || args.manifest.requested(env).is_some()
        || (args.dokploy_url.as_deref().unwrap_or_default().is_empty() && path.is_file());
    if !wanted {
        return Ok(None);
    }
    let loaded = gantry_manifest::load(&path).map_err(Error::bad_input)?;
    gantry_cli::report_warnings(runtime, &loaded.warnings);
    Ok(Some(loaded))
}

fn settings(args: &Args, plan: &Plan, runtime: &Runtime) -> Result<Settings, Error> {
    let flags = |what: &str| Error::from(PlanError::Flags { what: what.into() });
    if args.poll_interval.is_zero() || args.timeout.is_zero() {
        return Err(flags(
            "--timeout and --poll-interval must be longer than zero",
        ));
    }
    let stages: Vec<&str> = plan
        .stages
        .iter()
        .map(|stage| stage.name.as_str())
        .collect();
    let health = gantry_cli::list_items(&args.health_url)
        .iter()
        .map(|given| HealthCheck::parse(given, &stages))
        .collect::<Result<Vec<_>, _>>()?;
    if args.no_wait && (args.rollback_on_failure || !health.is_empty()) {
        return Err(flags(
            "--no-wait cannot be combined with --rollback-on-failure or --health-url: both need \
             the deploys' outcome",
        ));
    }
    let context = args.github.context(runtime)?;
    let attempt = context.run_attempt.unwrap_or(1);
    let origin = Origin {
        run: context.run_id.map(|run| format!("{run}/{attempt}")),
        run_url: context
            .repository
            .as_ref()
            .zip(context.run_id)
            .map(|(repository, run)| {
                format!(
                    "{}/{repository}/actions/runs/{run}/attempts/{attempt}",
                    context.server_url
                )
            }),
        commit: context.sha.clone(),
    };
    let poll = Poll::from_first(args.poll_interval);
    Ok(Settings {
        timeout: args.timeout,
        poll,
        wait: !args.no_wait,
        rollback: args.rollback_on_failure,
        origin,
        health,
        health_policy: HealthPolicy {
            expect: args.health_status,
            retries: args.health_retries,
            timeout: args.health_timeout,
            first_wait: poll.first,
            max_wait: poll.max.max(Duration::from_millis(1)),
        },
        log_lines: LOG_LINES,
    })
}
