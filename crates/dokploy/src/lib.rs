//! gantry-dokploy: deploy exact image tags to Dokploy in ordered stages, wait for each
//! deployment to really finish, and roll back on failure.
//!
//! - [`plan`]: what to deploy, from the manifest or the flags (pure).
//! - [`client`], [`api`], [`version`]: the Dokploy REST API, typed, with the server's
//!   features read once; [`error::ApiError`] for what it can fail with.
//! - [`resolve`]: `project/environment/service` names → ids through `project.all`.
//! - [`envfile`]: editing one variable of a compose env, byte-exact.
//! - [`deploy`] and [`wait`]: pin, trigger, await, roll back.
//! - [`health`]: optional HTTP checks after a stage.
//! - [`report`]: JSON, text, outputs and step summary.
//!
//! [`run`] is the whole binary; `main.rs` only hands it to `gantry_cli::run_async`.

pub mod api;
pub mod args;
pub mod client;
pub mod deploy;
pub mod envfile;
pub mod error;
pub mod health;
pub mod plan;
pub mod report;
pub mod resolve;
pub mod version;
pub mod wait;

use std::time::Duration;

use gantry_cli::{Classify, Error, ExitStatus, Format};
use gantry_gha::Runtime;
use gantry_http::retry::RetryPolicy;

pub use args::Args;

use crate::api::{Dokploy, Placement, ServiceKind};
use crate::client::Client;
use crate::deploy::{ReadyStage, ReadyUnit, Settings};
use crate::error::ApiError;
use crate::health::{HealthCheck, HealthPolicy};
use crate::plan::{Plan, PlanError, Unit};
use crate::report::{Outcome, Report};
use crate::resolve::ResolveError;
use crate::wait::Poll;

/// Lines of a failed deployment's log shown in the log and the summary.
pub const LOG_LINES: usize = 50;

/// The variable the API key comes from (never a flag or a file).
pub const API_KEY_VAR: &str = "DOKPLOY_API_KEY";

impl Classify for PlanError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

impl Classify for ResolveError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

/// A Dokploy error about one target: which one, then Dokploy's answer.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{what}")]
#[diagnostic(forward(source))]
pub struct TargetError {
    pub what: String,
    #[source]
    pub source: ApiError,
}

impl Classify for TargetError {
    fn exit_status(&self) -> ExitStatus {
        self.source.exit_status()
    }
}

/// The deploy did not succeed; the report has the details.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{headline}")]
#[diagnostic(code(gantry::dokploy::failed), help("{details}"))]
pub struct DeployFailed {
    pub headline: String,
    pub details: String,
}

/// The whole tool: plan, connect, check, deploy, report.
pub async fn run(args: Args, runtime: &Runtime) -> Result<(), Error> {
    let key = runtime
        .secret_from_env(API_KEY_VAR)
        .ok_or(ApiError::NoApiKey)?;
    let applications = args::items(&args.application);
    let composes = args::items(&args.compose);
    let images = args::items(&args.image);
    let services = args::items(&args.services);
    let manifest = load_manifest(
        &args,
        runtime,
        applications.is_empty() && composes.is_empty(),
    )?;
    let plan = plan::plan(&plan::Request {
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
    if plan.stages.is_empty() {
        // Only --services without a deploy: entry were asked for: nothing to change.
        let report = Report {
            result: Outcome::Success,
            deployments: Vec::new(),
            health_checks: Vec::new(),
            failures: Vec::new(),
            logs: Vec::new(),
            no_wait: false,
        };
        return publish(&report, &args, runtime);
    }
    let settings = settings(&args, &plan, runtime)?;
    let url = args
        .dokploy_url
        .clone()
        .filter(|url| !url.is_empty())
        .or_else(|| manifest.and_then(|loaded| loaded.manifest.deploy.dokploy_url))
        .ok_or_else(|| {
            Error::bad_input(miette::miette!(
                code = "gantry::dokploy::no_url",
                help = "pass --dokploy-url URL, or set deploy.dokploy.url in gantry.yml",
                "no Dokploy server given"
            ))
        })?;

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
    let report = deploy::run(&dokploy, &stages, &settings, runtime).await;
    publish(&report, &args, runtime)?;
    if report.no_wait {
        tracing::warn!(
            "--no-wait: the deploys were only queued; nothing checked that they ran or succeeded"
        );
    }
    match report.result {
        Outcome::Success => Ok(()),
        outcome => Err(Error::failed(DeployFailed {
            headline: if outcome == Outcome::RolledBack {
                "the deploy failed; its stage was rolled back to the previous images".into()
            } else {
                "the deploy failed".into()
            },
            details: report.failures.join("\n"),
        })),
    }
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
    for warning in &loaded.warnings {
        tracing::debug!("{}: {warning}", warning.file);
    }
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
    let health = args::items(&args.health_url)
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
    let marker_prefix = match (context.run_id, context.run_attempt) {
        (Some(run), attempt) => format!("gha:{run}/{}", attempt.unwrap_or(1)),
        (None, _) => "gantry".to_owned(),
    };
    let poll = Poll::from_first(args.poll_interval);
    Ok(Settings {
        timeout: args.timeout,
        poll,
        wait: !args.no_wait,
        rollback: args.rollback_on_failure,
        marker_prefix,
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

/// Resolves names, groups targets into units, and checks every service exists (and that an
/// application takes an image) before anything is changed.
pub async fn prepare(dokploy: &Dokploy, plan: &Plan) -> Result<Vec<ReadyStage>, Error> {
    let names = plan
        .stages
        .iter()
        .flat_map(|stage| &stage.targets)
        .any(|target| target.is_name_path());
    let candidates = if names {
        resolve::candidates(&dokploy.projects().await?)
    } else {
        Vec::new()
    };
    let mut ready = Vec::new();
    for stage in &plan.stages {
        let mut resolved = Vec::new();
        for target in &stage.targets {
            let id = if target.is_name_path() {
                resolve::resolve(&candidates, target.kind, &target.service)?
            } else {
                target.service.clone()
            };
            resolved.push((target.clone(), id));
        }
        let mut units = Vec::new();
        for unit in plan::group(resolved)? {
            let placement = check(dokploy, &unit).await?;
            units.push(ReadyUnit {
                link: link(dokploy, unit.kind, &unit.id, &placement),
                unit,
            });
        }
        ready.push(ReadyStage {
            name: stage.name.clone(),
            units,
        });
    }
    Ok(ready)
}

async fn check(dokploy: &Dokploy, unit: &Unit) -> Result<Placement, Error> {
    let context = |source: ApiError| TargetError {
        what: format!(
            "cannot read {} {} (target {})",
            unit.kind.as_str(),
            unit.id,
            unit.label()
        ),
        source,
    };
    match unit.kind {
        ServiceKind::Application => {
            let application = dokploy.application(&unit.id).await.map_err(context)?;
            match application.source_type.as_deref() {
                None | Some("docker") => Ok(application.placement),
                Some(source) => Err(Error::bad_input(miette::miette!(
                    code = "gantry::dokploy::not_docker",
                    help = "set the application's provider to Docker in Dokploy, or deploy it some other way",
                    "application {} (target {}) builds from `{source}`, not from a Docker image: \
                     gantry-dokploy pins images of Docker-provider applications only",
                    unit.id,
                    unit.label()
                ))),
            }
        }
        ServiceKind::Compose => Ok(dokploy.compose(&unit.id).await.map_err(context)?.placement),
    }
}

/// The service's page in the Dokploy UI (the project list when the project is unknown).
fn link(dokploy: &Dokploy, kind: ServiceKind, id: &str, placement: &Placement) -> String {
    let panel = dokploy.client().panel_url();
    match (placement.project(), &placement.environment_id) {
        (Some(project), Some(environment)) if dokploy.features().environments => format!(
            "{panel}/dashboard/project/{project}/environment/{environment}/services/{}/{id}",
            kind.as_str()
        ),
        (Some(project), _) => format!(
            "{panel}/dashboard/project/{project}/services/{}/{id}",
            kind.as_str()
        ),
        (None, _) => format!("{panel}/dashboard/projects"),
    }
}

/// Prints the report (redacted) and writes the outputs and the step summary.
fn publish(report: &Report, args: &Args, runtime: &Runtime) -> Result<(), Error> {
    let text = match args.format.format {
        Format::Text => report.to_text(),
        Format::Json => report.to_json() + "\n",
    };
    print!("{}", runtime.stdout_report(&text));
    for (name, value) in report.outputs() {
        runtime.set_output(name, &value)?;
    }
    runtime.append_summary(&report.to_summary())?;
    Ok(())
}
