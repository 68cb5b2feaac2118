//! A gantry-dokploy run: the plan from the flags and the manifest, the connection to
//! Dokploy, the checks before anything changes, then the deploy.

use std::time::Duration;

use gantry_cli::{Error, Invocation};
use gantry_gha::Runtime;
use gantry_http::retry::RetryPolicy;

use gantry_manifest::Environment;
use gantry_registry::EnvCredentials;

use crate::api::Dokploy;
use crate::args::Args;
use crate::client::{self, Client};
use crate::deploy::{self, Origin, Settings};
use crate::error::ApiError;
use crate::health::{HealthCheck, HealthPolicy};
use crate::ledger::{Ledger, Registries};
use crate::plan::{self, Plan, PlanError};
use crate::prepare::prepare;
use crate::preview;
use crate::report::Report;
use crate::select::{self, Chosen};
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
    let applications = gantry_cli::list_items(&args.application);
    let composes = gantry_cli::list_items(&args.compose);
    let manifest = load_manifest(
        args,
        runtime,
        applications.is_empty() && composes.is_empty(),
    )?;
    let environment = match &manifest {
        Some(loaded) => plan::environment_of(&loaded.manifest, given(&args.environment))?,
        None if given(&args.environment).is_some() => {
            return Err(flags(
                "--environment needs a manifest (gantry.yml or --manifest)",
            ));
        }
        None => None,
    };
    // The ledger belongs to declared environments; the single-target form writes none.
    let declared = environment.filter(|_| {
        manifest
            .as_ref()
            .is_some_and(|loaded| !loaded.manifest.is_single_target())
    });
    let registries = Registries {
        registry_url: given(&args.registry_url).map(str::to_owned),
        username: given(&args.username).map(str::to_owned),
        credentials: EnvCredentials::read(runtime),
        // Retries start no slower than the polls, as Dokploy's do.
        retry: Some(RetryPolicy {
            min_delay: args.poll_interval.min(RetryPolicy::default().min_delay),
            ..RetryPolicy::default()
        }),
    };
    check_modes(args)?;
    let services = gantry_cli::list_items(&args.services);
    let chosen = match (&manifest, declared) {
        (Some(loaded), Some(environment))
            if args.rollback || given(&args.from_environment).is_some() =>
        {
            let selected = select::selected(
                &loaded.manifest,
                &environment.name,
                &services,
                given(&args.stage),
            );
            if args.rollback {
                select::rollback(
                    &loaded.manifest,
                    environment,
                    &selected,
                    given(&args.to),
                    &registries,
                )
                .await?
            } else {
                let from = given(&args.from_environment).unwrap_or_default();
                select::promotion(&loaded.manifest, environment, from, &selected, &registries)
                    .await?
            }
        }
        _ if args.rollback || given(&args.from_environment).is_some() => {
            return Err(flags(
                "--rollback and --from-environment need a manifest with deploy.environments and \
                 --environment: they read the environments' ledger tags",
            ));
        }
        _ => Chosen::default(),
    };
    let what_runs = args.plan
        && chosen.images.is_empty()
        && given(&args.tag).is_none()
        && args.image.iter().all(|image| image.trim().is_empty());
    let mut plan = if what_runs {
        Plan {
            stages: Vec::new(),
            notes: Vec::new(),
        }
    } else {
        plan_of(
            args,
            manifest.as_ref(),
            &applications,
            &composes,
            &services,
            &chosen,
        )?
    };
    chosen.apply(&mut plan);
    if let (Some(loaded), Some(environment)) = (&manifest, declared)
        && !args.rollback
        && !what_runs
    {
        select::guard(&loaded.manifest, environment, &plan, &registries).await?;
    }
    if plan.stages.is_empty() && !what_runs {
        // Only --services without a deploy: entry were asked for: nothing to change.
        return Ok(Report::nothing_deployed());
    }
    let ledger = declared.map(|environment| Ledger {
        environment: environment.name.clone(),
        registries: registries.clone(),
        write: !args.no_ledger,
    });
    let settings = settings(args, &plan, runtime, ledger)?;
    let url = dokploy_url(args, environment)?;
    let http = client::http_client().map_err(|error| Error::failed(error.to_string()))?;
    // Retries of failed requests start no slower than the polls (tests poll in milliseconds);
    // no request, retries and waits included, outlives --timeout.
    let retry = RetryPolicy {
        min_delay: args.poll_interval.min(RetryPolicy::default().min_delay),
        budget: args.timeout,
        ..RetryPolicy::default()
    };
    let client = Client::new(http, &url, key, retry)?;
    if what_runs {
        let (Some(loaded), Some(environment)) = (&manifest, environment) else {
            return Err(flags(
                "--plan without --tag or --image shows what runs where, which needs a manifest \
                 with deploy targets",
            ));
        };
        return Ok(preview::what_runs(
            &loaded.manifest,
            &environment.name,
            &services,
            given(&args.stage),
            &client,
        )
        .await?);
    }
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
    let mut report = if args.plan {
        preview::planned(dokploy.client(), &stages, &registries).await
    } else {
        deploy::run(&dokploy, &stages, &settings, runtime).await
    };
    report.environment = environment.map(|environment| environment.name.clone());
    Ok(report)
}

/// `--rollback`, `--from-environment` and `--tag`/`--image` each say what to deploy: one at
/// a time. (Checked here, not by clap: the action passes every input, `false` included.)
fn check_modes(args: &Args) -> Result<(), Error> {
    let images = given(&args.tag).is_some() || args.image.iter().any(|i| !i.trim().is_empty());
    let from = given(&args.from_environment).is_some();
    if [args.rollback, from, images]
        .iter()
        .filter(|on| **on)
        .count()
        > 1
    {
        return Err(flags(
            "--rollback, --from-environment and --tag/--image each choose what to deploy: give \
             one of them",
        ));
    }
    if given(&args.to).is_some() && !args.rollback {
        return Err(flags("--to goes with --rollback"));
    }
    Ok(())
}

/// A flag's value, unless empty (an unset action input).
fn given(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

fn flags(what: &str) -> Error {
    Error::from(PlanError::Flags { what: what.into() })
}

/// The plan of the flags and the manifest, with the images chosen from the ledger; its
/// notes logged.
fn plan_of(
    args: &Args,
    manifest: Option<&gantry_manifest::Loaded>,
    applications: &[String],
    composes: &[String],
    services: &[String],
    chosen: &Chosen,
) -> Result<Plan, Error> {
    let mut images = gantry_cli::list_items(&args.image);
    images.extend(chosen.images.iter().cloned());
    let plan = plan::plan(&plan::Inputs {
        manifest: manifest.map(|loaded| &loaded.manifest),
        environment: given(&args.environment),
        stage: given(&args.stage),
        services,
        tag: given(&args.tag),
        images: &images,
        applications,
        composes,
    })?;
    for note in &plan.notes {
        tracing::warn!("{note}");
    }
    Ok(plan)
}

/// `--dokploy-url`, else the environment's.
fn dokploy_url(args: &Args, environment: Option<&Environment>) -> Result<String, Error> {
    given(&args.dokploy_url)
        .map(str::to_owned)
        .or_else(|| environment?.dokploy_url.clone())
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

fn settings(
    args: &Args,
    plan: &Plan,
    runtime: &Runtime,
    ledger: Option<Ledger>,
) -> Result<Settings, Error> {
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
        ledger,
    })
}
