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
use crate::deploy::{Origin, ReadyStage, ReadyUnit, Settings};
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
        .or_else(|| {
            let environment = manifest.as_ref()?.manifest.only_environment()?;
            environment.dokploy_url.clone()
        })
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
        gantry_cli::report_warning(runtime, warning);
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

/// Resolves names, groups targets into units, and checks every service exists, can take
/// its pin, and that the key may do what the deploy needs, before anything is changed.
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
            let (placement, retitled) = check(dokploy, &unit).await?;
            units.push(ReadyUnit {
                link: link(dokploy, unit.kind, &unit.id, &placement),
                retitled,
                unit,
            });
        }
        ready.push(ReadyStage {
            name: stage.name.clone(),
            units,
        });
    }
    check_permissions(dokploy, &ready).await?;
    Ok(ready)
}

/// Fails before any change when the key's role lacks a permission the deploy needs
/// (`user.getPermissions`, v0.28.7+), instead of failing halfway through the stages.
async fn check_permissions(dokploy: &Dokploy, stages: &[ReadyStage]) -> Result<(), Error> {
    let permissions = match dokploy.permissions().await {
        Ok(Some(permissions)) => permissions,
        Ok(None) => return Ok(()),
        Err(error) => {
            tracing::warn!("cannot read the API key's permissions ({error}); deploying anyway");
            return Ok(());
        }
    };
    let mut kinds: Vec<ServiceKind> = stages
        .iter()
        .flat_map(|stage| &stage.units)
        .map(|ready| ready.unit.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    let mut missing: Vec<String> = Vec::new();
    for kind in &kinds {
        for (procedure, purpose) in dokploy.procedures(*kind) {
            if let Some(permission) = api::permission(procedure)
                && !permissions.allows(permission)
            {
                let line = format!("`{permission}` ({procedure}: {purpose})");
                if !missing.contains(&line) {
                    missing.push(line);
                }
            }
        }
        let withdraw = Dokploy::clean_queue_procedure(*kind);
        if let Some(permission) = api::permission(withdraw)
            && !permissions.allows(permission)
        {
            tracing::warn!(
                "the API key lacks `{permission}` ({withdraw}): a {} deploy still queued when \
                 --timeout runs out cannot be withdrawn, and may run after gantry has exited",
                kind.as_str()
            );
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::bad_input(miette::miette!(
        code = "gantry::dokploy::permissions",
        help = "Dokploy keys act as their user: give a member \"Create Services\" (Settings → \
                Users → permissions) for applications, use an owner's or admin's key, or a \
                custom role holding these permissions (docs/dokploy.md lists what each target \
                kind needs)",
        "the API key's user may not do what this deploy needs, so nothing was changed; it \
         lacks {}",
        missing.join(", ")
    )))
}

/// Reads the unit's service and checks it can take its pin: its placement, and whether its
/// deployments lose their marker title when they end.
async fn check(dokploy: &Dokploy, unit: &Unit) -> Result<(Placement, bool), Error> {
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
                None | Some("docker") => Ok((application.placement, false)),
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
        ServiceKind::Compose => {
            let compose = dokploy.compose(&unit.id).await.map_err(context)?;
            if compose.env_unused() {
                return Err(Error::bad_input(miette::miette!(
                    code = "gantry::dokploy::no_env_file",
                    help = "turn on \"Create Environment File\" in the compose's Environment \
                            tab in Dokploy (or make it a stack, which gets its variables on \
                            the command line)",
                    "compose {} (target {}) has \"Create Environment File\" off: Dokploy then \
                     writes no .env and runs `docker compose` without its environment, so \
                     {} would never reach the compose file and the deploy would end `done` \
                     with the old image",
                    unit.id,
                    unit.label(),
                    variables(unit)
                )));
            }
            let retitled = compose.git_source() && dokploy.features().retitles;
            Ok((compose.placement, retitled))
        }
    }
}

/// The unit's tag variables, for messages.
fn variables(unit: &Unit) -> String {
    unit.targets
        .iter()
        .filter_map(|target| match &target.pin {
            plan::Pin::Variable { var, .. } => Some(var.as_str()),
            plan::Pin::Image(_) => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
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
