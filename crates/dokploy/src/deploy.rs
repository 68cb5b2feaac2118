//! Running the plan: stages in order; in a stage every unit is pinned, then triggered, then
//! all are awaited; a failed stage stops the run (later stages are not even pinned) and, with
//! rollback, has the previous images of every unit it deployed restored and deployed again.
//!
//! Pins that never went live are always put back: a pin written but not deployed (its stage
//! failed before the trigger, or Dokploy dropped the job) would otherwise go live with the
//! next unrelated redeploy.

use std::collections::HashSet;
use std::time::Duration;

use gantry_gha::Runtime;
use jiff::Timestamp;
use tokio::time::Instant;

use crate::api::{Dokploy, QueueEntry, ServiceKind, Status};
use crate::envfile;
use crate::error::ApiError;
use crate::health::{self, HealthCheck, HealthPolicy};
use crate::plan::{Pin, Target, Unit, shown_variable};
use crate::report::{LogTail, Outcome, Report, TargetReport, TargetStatus};
use crate::wait::{self, End, Poll, Watch};

/// How to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Per stage, from its first pin to its last deployment's end (the rollback gets as long again).
    pub timeout: Duration,
    pub poll: Poll,
    /// `false` for `--no-wait`: trigger and report `triggered`.
    pub wait: bool,
    pub rollback: bool,
    /// The workflow run and commit behind the deploys, for their titles and descriptions.
    pub origin: Origin,
    pub health: Vec<HealthCheck>,
    pub health_policy: HealthPolicy,
    /// The deploy ledger of the environment, written after each successful stage (and the
    /// checks of pinned digests before it); `None` with `--no-ledger` or without an
    /// environment.
    pub ledger: Option<crate::ledger::Ledger>,
    /// Lines of a failed deployment's log to show.
    pub log_lines: usize,
}

/// Where the deploys come from, as Dokploy's deployment list shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// `<run_id>/<attempt>` inside Actions.
    pub run: Option<String>,
    /// The run's page.
    pub run_url: Option<String>,
    /// The commit SHA.
    pub commit: Option<String>,
}

/// A stage whose units are resolved to Dokploy ids and checked to exist.
#[derive(Debug, Clone)]
pub struct ReadyStage {
    pub name: String,
    pub units: Vec<ReadyUnit>,
}

#[derive(Debug, Clone)]
pub struct ReadyUnit {
    pub unit: Unit,
    /// The service in the Dokploy UI.
    pub link: String,
    /// Its deployments get the commit as their title when they end (a git-source compose on
    /// v0.25.7+), so their marker title cannot be relied on.
    pub retitled: bool,
}

/// What a unit held before gantry pinned it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Saved {
    Image(Option<String>),
    Env(Vec<(String, envfile::Previous)>),
}

/// A unit's progress through its stage.
struct UnitRun<'a> {
    ready: &'a ReadyUnit,
    saved: Option<Saved>,
    watch: Option<Watch>,
    /// Why a deploy still queued when the time ran out stays queued.
    left_queued: Option<String>,
    status: TargetStatus,
    error: Option<String>,
    rolled_back: bool,
}

impl<'a> UnitRun<'a> {
    fn new(ready: &'a ReadyUnit) -> Self {
        UnitRun {
            ready,
            saved: None,
            watch: None,
            left_queued: None,
            status: TargetStatus::Skipped,
            error: None,
            rolled_back: false,
        }
    }

    fn unit(&self) -> &'a Unit {
        &self.ready.unit
    }

    fn fail(&mut self, status: TargetStatus, error: String, report: &mut Report) {
        report
            .failures
            .push(format!("{}: {error}", self.unit().label()));
        self.status = status;
        self.error = Some(error);
    }
}

/// Runs every stage and reports.
pub async fn run(
    dokploy: &Dokploy,
    stages: &[ReadyStage],
    settings: &Settings,
    runtime: &Runtime,
) -> Report {
    let mut report = Report {
        result: Outcome::Success,
        environment: None,
        deployments: Vec::new(),
        health_checks: Vec::new(),
        ledger: Vec::new(),
        failures: Vec::new(),
        logs: Vec::new(),
        no_wait: !settings.wait,
    };
    let mut failed = false;
    for (index, stage) in stages.iter().enumerate() {
        let mut runs: Vec<UnitRun<'_>> = stage.units.iter().map(UnitRun::new).collect();
        if !failed {
            let _group = runtime.group(&format!("Deploy stage {}", stage.name));
            let last = index + 1 == stages.len();
            let ok = run_stage(
                dokploy,
                stage,
                last,
                &mut runs,
                settings,
                runtime,
                &mut report,
            )
            .await;
            if !ok {
                failed = true;
                report.result = Outcome::Failed;
                let deployed = runs.iter().any(|run| needs_rollback(run));
                if settings.rollback && deployed {
                    if rollback(
                        dokploy,
                        &stage.name,
                        &mut runs,
                        settings,
                        runtime,
                        &mut report,
                    )
                    .await
                    {
                        report.result = Outcome::RolledBack;
                    } else {
                        report.failures.push(format!(
                            "ROLLBACK FAILED in stage {}: the services of this stage may run \
                             neither the new nor the previous image; check them in Dokploy",
                            stage.name
                        ));
                    }
                }
            }
        } else {
            tracing::info!("stage {} skipped: an earlier stage failed", stage.name);
        }
        report
            .deployments
            .extend(runs.iter().flat_map(|run| target_reports(&stage.name, run)));
    }
    report
}

async fn run_stage(
    dokploy: &Dokploy,
    stage: &ReadyStage,
    last: bool,
    runs: &mut [UnitRun<'_>],
    settings: &Settings,
    runtime: &Runtime,
    report: &mut Report,
) -> bool {
    if let Some(ledger) = &settings.ledger
        && let Err(error) = ledger.verify(stage).await
    {
        report.failures.push(error);
        for run in runs.iter_mut() {
            run.status = TargetStatus::NotDeployed;
        }
        return false;
    }
    let deadline = Instant::now() + settings.timeout;
    // Pins, triggers and polls: no request outlives the stage's deadline.
    let stage_time = dokploy.client().deadline().until(deadline);
    for index in 0..runs.len() {
        let unit = runs[index].unit();
        match pin(dokploy, unit).await {
            Ok(saved) => runs[index].saved = Some(saved),
            Err(error) => {
                runs[index].fail(
                    TargetStatus::Failed,
                    format!("setting the image failed: {}", error.explained()),
                    report,
                );
                for run in &mut runs[index + 1..] {
                    run.status = TargetStatus::NotDeployed;
                }
                unpin_all(dokploy, &mut runs[..index], report).await;
                return false;
            }
        }
    }
    for index in 0..runs.len() {
        let ready = runs[index].ready;
        let unit = &ready.unit;
        let deploy = Deploy::new(&settings.origin, unit, None);
        match trigger(dokploy, ready, deploy).await {
            Ok(watch) => {
                tracing::info!(
                    "{}: deploy queued ({} {}, titled \"{}\")",
                    unit.label(),
                    unit.kind.as_str(),
                    unit.id,
                    watch.marker
                );
                runs[index].watch = Some(watch);
                runs[index].status = TargetStatus::Triggered;
            }
            Err(error) => {
                runs[index].fail(TargetStatus::Failed, error, report);
                unpin_all(dokploy, &mut runs[index..], report).await;
                break;
            }
        }
    }
    if !settings.wait {
        return runs.iter().all(|run| run.error.is_none());
    }
    let mut watches: Vec<&mut Watch> = runs
        .iter_mut()
        .filter_map(|run| run.watch.as_mut())
        .collect();
    wait::await_all(dokploy, &mut watches, deadline, settings.poll).await;
    // What follows (logs, putting pins back) runs after the deadline too.
    drop(stage_time);
    for run in runs.iter_mut() {
        if let Some(watch) = run.watch.as_mut()
            && watch.end == Some(End::TimedOut)
            && watch.row.is_none()
            && let Err(why) = withdraw(dokploy, watch).await
        {
            run.left_queued = Some(why);
        }
    }
    for run in runs.iter_mut() {
        settle(dokploy, run, settings, runtime, report).await;
    }
    // Dropped or withdrawn jobs deployed nothing: their pins must not go live later.
    for run in runs.iter_mut().filter(|run| never_ran(run)) {
        let status = run.status;
        unpin(dokploy, run, report).await;
        run.status = status;
    }
    let mut ok = runs.iter().all(|run| run.status == TargetStatus::Done);
    if ok {
        ok = check_health(dokploy, stage, last, settings, report).await;
    }
    if ok && let Some(ledger) = &settings.ledger {
        ok = ledger.record(stage, report).await;
    }
    ok
}

/// The stage's health checks, all at once: each target's `health` URL and the `--health-url`s
/// for this stage. `true` when every one answered healthy in its window.
async fn check_health(
    dokploy: &Dokploy,
    stage: &ReadyStage,
    last: bool,
    settings: &Settings,
    report: &mut Report,
) -> bool {
    let mut checks: Vec<HealthCheck> = Vec::new();
    for target in stage.units.iter().flat_map(|ready| &ready.unit.targets) {
        if let Some(url) = &target.health {
            match HealthCheck::of_service(&target.name, url, &stage.name) {
                Ok(check) => checks.push(check),
                Err(error) => {
                    report.failures.push(error.to_string());
                    return false;
                }
            }
        }
    }
    checks.extend(
        settings
            .health
            .iter()
            .filter(|check| check.after(&stage.name, last))
            .cloned(),
    );
    let probes = checks.iter().map(|check| {
        health::probe(
            dokploy.client().http(),
            check,
            &stage.name,
            &settings.health_policy,
        )
    });
    let mut ok = true;
    for result in futures::future::join_all(probes).await {
        if !result.healthy {
            ok = false;
            let of = result
                .service
                .as_ref()
                .map(|service| format!(" of service {service}"))
                .unwrap_or_default();
            let body = result
                .body
                .as_ref()
                .map(|body| format!(", body: {body}"))
                .unwrap_or_default();
            report.failures.push(format!(
                "health check{of} {} after stage {} failed: {}{body} ({} attempts in {})",
                result.url,
                stage.name,
                result.answer,
                result.attempts,
                humantime::format_duration(settings.health_policy.timeout)
            ));
        }
        report.health_checks.push(result);
    }
    ok
}

/// Turns a finished watch into the unit's status; fetches the log of a failed deployment.
async fn settle(
    dokploy: &Dokploy,
    run: &mut UnitRun<'_>,
    settings: &Settings,
    runtime: &Runtime,
    report: &mut Report,
) {
    let Some(watch) = &run.watch else {
        return;
    };
    let row = watch.row.clone();
    let (status, error) = match &watch.end {
        Some(End::Finished(Status::Done)) => (TargetStatus::Done, None),
        Some(End::Finished(status)) => (
            if *status == Status::Cancelled {
                TargetStatus::Cancelled
            } else {
                TargetStatus::Error
            },
            Some(format!(
                "deployment {} ended `{}`{}",
                row.as_ref().map_or("?", |row| row.deployment_id.as_str()),
                status.as_str(),
                row.as_ref()
                    .and_then(|row| row.error_message.as_deref())
                    .map(|message| format!(": {message}"))
                    .unwrap_or_default()
            )),
        ),
        Some(End::Dropped) => (
            TargetStatus::Dropped,
            Some(format!(
                "the deploy was dropped from Dokploy's queue: after {} polls neither a queued \
                 job nor a deployment row titled {} exists (did Dokploy restart, or was the \
                 queue cleared?); its image was put back, nothing was deployed",
                wait::DROPPED_AFTER_MISSES,
                watch.marker
            )),
        ),
        Some(End::TimedOut) => {
            let timeout = humantime::format_duration(settings.timeout);
            let error = match &row {
                Some(row) => format!(
                    "deployment {} still `{}` after {timeout}: it may still finish, and then \
                     runs the new image",
                    row.deployment_id,
                    row.status.as_str(),
                ),
                None if !watch.unclaimed.is_empty() && !dokploy.has_queue() => format!(
                    "no deployment titled \"{}\" was seen within {timeout}; deployments {} of \
                     this git-source compose ended meanwhile and Dokploy replaced their titles \
                     with the commit, and this Dokploy ({}) cannot list its queue (v0.28.3+) \
                     to tell whether one was this deploy: check them in Dokploy",
                    watch.marker,
                    watch.unclaimed.join(", "),
                    dokploy.features().version
                ),
                None => format!(
                    "the deploy was still queued after {timeout} and stays queued: it may run \
                     after gantry has exited ({})",
                    run.left_queued
                        .as_deref()
                        .unwrap_or("it could not be withdrawn")
                ),
            };
            (TargetStatus::TimedOut, Some(error))
        }
        Some(End::Withdrawn(procedure)) => (
            TargetStatus::TimedOut,
            Some(format!(
                "the deploy was still queued after {}; gantry withdrew it from Dokploy's queue \
                 ({procedure}): nothing was deployed, and the previous image is put back",
                humantime::format_duration(settings.timeout)
            )),
        ),
        Some(End::Failed(why)) => (TargetStatus::Failed, Some(why.clone())),
        None => return,
    };
    match error {
        None => {
            run.status = status;
            tracing::info!("{}: done", run.unit().label());
        }
        Some(error) => run.fail(status, error, report),
    }
    if matches!(status, TargetStatus::Error | TargetStatus::Cancelled)
        && let Some(row) = row
    {
        record_log(
            dokploy,
            &run.unit().label(),
            &row.deployment_id,
            settings,
            runtime,
            report,
        )
        .await;
    }
}

/// Fetches a deployment's log tail into the report and echoes it (workflow commands stopped).
async fn record_log(
    dokploy: &Dokploy,
    label: &str,
    deployment_id: &str,
    settings: &Settings,
    runtime: &Runtime,
    report: &mut Report,
) {
    let Some(log) = dokploy.log_tail(deployment_id, settings.log_lines).await else {
        return;
    };
    let log = crate::report::clean_log(&log);
    if log.trim().is_empty() {
        return;
    }
    // Not a group of its own: the stage's group is open, and groups do not nest.
    tracing::info!("{label}: the log of deployment {deployment_id} ends with:");
    runtime.echo_untrusted(&log);
    report.logs.push(LogTail {
        target: label.to_owned(),
        deployment_id: deployment_id.to_owned(),
        log,
    });
}

/// Whether a unit's deploy was triggered but provably never ran (dropped or withdrawn).
fn never_ran(run: &UnitRun<'_>) -> bool {
    run.watch
        .as_ref()
        .is_some_and(|watch| matches!(watch.end, Some(End::Dropped | End::Withdrawn(_))))
}

/// Whether a unit's deploy may have changed what runs, so a rollback must deploy it again.
fn needs_rollback(run: &UnitRun<'_>) -> bool {
    run.watch.is_some()
        && run.saved.is_some()
        && run.status != TargetStatus::NotDeployed
        && !never_ran(run)
}

/// Restores and redeploys every unit of the stage that deployed, failed or not (so the stage
/// is consistent again), and waits for those deploys. `true` when all ended `done`.
async fn rollback(
    dokploy: &Dokploy,
    stage: &str,
    runs: &mut [UnitRun<'_>],
    settings: &Settings,
    runtime: &Runtime,
    report: &mut Report,
) -> bool {
    tracing::warn!("stage {stage} failed: rolling back its services to their previous images");
    let deadline = Instant::now() + settings.timeout;
    let rollback_time = dokploy.client().deadline().until(deadline);
    let mut ok = true;
    let mut watches: Vec<(usize, Watch)> = Vec::new();
    for (index, run) in runs
        .iter()
        .enumerate()
        .filter(|(_, run)| needs_rollback(run))
    {
        let unit = run.unit();
        let Some(saved) = &run.saved else {
            continue;
        };
        if let Err(error) = restore(dokploy, unit, saved).await {
            ok = false;
            report.failures.push(format!(
                "{}: rollback failed, the previous image could not be set back: {}",
                unit.label(),
                error.explained()
            ));
            continue;
        }
        if *saved == Saved::Image(None) {
            // A deploy without an image can only fail ("Docker image not found",
            // packages/server/src/utils/providers/docker.ts): there is nothing to redeploy.
            report.failures.push(format!(
                "{}: had no image before this deploy; its image is cleared again, but there is \
                 no previous image to redeploy, so what its deploy started keeps running",
                unit.label()
            ));
            continue;
        }
        let deploy = Deploy::new(&settings.origin, unit, Some(saved));
        match trigger(dokploy, run.ready, deploy).await {
            Ok(watch) => {
                tracing::info!(
                    "{}: rollback deploy queued (titled \"{}\")",
                    unit.label(),
                    watch.marker
                );
                watches.push((index, watch));
            }
            Err(error) => {
                ok = false;
                report.failures.push(format!(
                    "{}: rollback failed, the previous image is set but its deploy was not queued: {error}",
                    unit.label()
                ));
            }
        }
    }
    let mut waiting: Vec<&mut Watch> = watches.iter_mut().map(|(_, watch)| watch).collect();
    wait::await_all(dokploy, &mut waiting, deadline, settings.poll).await;
    drop(rollback_time);
    for (index, watch) in watches {
        let label = runs[index].unit().label();
        match &watch.end {
            Some(End::Finished(Status::Done)) => {
                runs[index].rolled_back = true;
                tracing::info!("{label}: rolled back");
            }
            end => {
                ok = false;
                report.failures.push(format!(
                    "{label}: rollback failed, the rollback deploy ended {}",
                    match end {
                        Some(End::Finished(status)) => format!("`{}`", status.as_str()),
                        Some(End::Dropped) => "dropped from the queue".into(),
                        Some(End::TimedOut | End::Withdrawn(_)) => {
                            "unfinished when the time ran out (it stays in Dokploy and may still \
                             finish)"
                                .into()
                        }
                        Some(End::Failed(why)) => why.clone(),
                        None => "unknown".into(),
                    }
                ));
                if let Some(row) = &watch.row {
                    record_log(
                        dokploy,
                        &label,
                        &row.deployment_id,
                        settings,
                        runtime,
                        report,
                    )
                    .await;
                }
            }
        }
    }
    ok
}

/// Sets the unit's image(s) and returns what was there before.
async fn pin(dokploy: &Dokploy, unit: &Unit) -> Result<Saved, ApiError> {
    match unit.kind {
        ServiceKind::Application => {
            let application = dokploy.application(&unit.id).await?;
            let image = unit.targets.iter().find_map(|target| match &target.pin {
                Pin::Image(image) => Some(image.as_str()),
                Pin::Variable { .. } => None,
            });
            if let Some(image) = image
                && application.docker_image.as_deref() != Some(image)
            {
                tracing::info!(
                    "{}: image {} -> {image}",
                    unit.label(),
                    application.docker_image.as_deref().unwrap_or("(none)")
                );
                dokploy.set_image(&unit.id, Some(image)).await?;
            }
            Ok(Saved::Image(application.docker_image))
        }
        ServiceKind::Compose => {
            let compose = dokploy.compose(&unit.id).await?;
            let original = compose.env.unwrap_or_default();
            let mut env = original.clone();
            let mut previous = Vec::new();
            for target in &unit.targets {
                if let Pin::Variable { var, value, .. } = &target.pin {
                    let (edited, before) = envfile::set(&env, var, value);
                    tracing::info!(
                        "{}: {var} {} -> {value}",
                        target.name,
                        before.value().unwrap_or("(unset)")
                    );
                    env = edited;
                    previous.push((var.clone(), before));
                }
            }
            if env != original {
                dokploy.set_env(&unit.id, &env).await?;
            }
            Ok(Saved::Env(previous))
        }
    }
}

/// Puts back what [`pin`] saved, without deploying.
async fn restore(dokploy: &Dokploy, unit: &Unit, saved: &Saved) -> Result<(), ApiError> {
    match saved {
        Saved::Image(image) => dokploy.set_image(&unit.id, image.as_deref()).await,
        Saved::Env(previous) => {
            let current = dokploy.compose(&unit.id).await?.env.unwrap_or_default();
            let restored = previous
                .iter()
                .rev()
                .fold(current.clone(), |env, (var, before)| {
                    envfile::restore(&env, var, before)
                });
            if restored == current {
                return Ok(());
            }
            dokploy.set_env(&unit.id, &restored).await
        }
    }
}

/// Restores one unit's pin (its deploy never happened); the status says so.
async fn unpin(dokploy: &Dokploy, run: &mut UnitRun<'_>, report: &mut Report) {
    let Some(saved) = &run.saved else {
        return;
    };
    match restore(dokploy, run.unit(), saved).await {
        Ok(()) => {
            tracing::info!("{}: image put back (not deployed)", run.unit().label());
            if run.status != TargetStatus::Failed {
                run.status = TargetStatus::NotDeployed;
            }
        }
        Err(error) => report.failures.push(format!(
            "{}: the new image stays stored but was not deployed; putting the previous one \
             back failed: {error}",
            run.unit().label()
        )),
    }
}

async fn unpin_all(dokploy: &Dokploy, runs: &mut [UnitRun<'_>], report: &mut Report) {
    // Putting pins back is not part of the stage's time: each request has its own budget.
    let _cleanup = dokploy.client().deadline().lift();
    for run in runs.iter_mut() {
        unpin(dokploy, run, report).await;
    }
}

/// What a deploy call says about itself in Dokploy's deployment list.
struct Deploy {
    /// `gantry: deploy <targets> (run <run>/<attempt>) #<nonce>` (`roll back` for a
    /// rollback): readable, and unique per trigger, also among this run's earlier deploys of
    /// the same service. It is the marker the row and the queued job are found by.
    title: String,
    /// The images, the commit and the run's page.
    description: String,
}

impl Deploy {
    /// The deploy of `unit`'s pins, or with `restoring`, the rollback to what they replaced.
    fn new(origin: &Origin, unit: &Unit, restoring: Option<&Saved>) -> Deploy {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let verb = if restoring.is_some() {
            "roll back"
        } else {
            "deploy"
        };
        let run = origin
            .run
            .as_ref()
            .map(|run| format!(" (run {run})"))
            .unwrap_or_default();
        let images = unit.targets.iter().map(|target| {
            let image = match restoring {
                Some(saved) => previous_image(saved, target).unwrap_or_else(|| "(none)".into()),
                None => target.pin.image(),
            };
            format!("{} → {image}", target.name)
        });
        let mut description = vec![images.collect::<Vec<_>>().join(", ")];
        description.extend(
            origin
                .commit
                .iter()
                .map(|commit| format!("commit {commit}")),
        );
        description.extend(origin.run_url.iter().cloned());
        Deploy {
            title: format!("gantry: {verb} {}{run} #{}", unit.label(), &nonce[..8]),
            description: description.join(" · "),
        }
    }
}

/// Snapshots the service's rows, then queues `deploy` (its title becomes the watch's marker).
///
/// A deploy request that fails ambiguously (5xx, lost answer) is not sent again blindly: the
/// queue and the rows are searched for the marker first. Found, it went through; provably
/// absent (the server lists its queue and stores titles), it is sent once more; otherwise the
/// unit fails rather than risk deploying twice.
async fn trigger(dokploy: &Dokploy, ready: &ReadyUnit, deploy: Deploy) -> Result<Watch, String> {
    let unit = &ready.unit;
    let snapshot: HashSet<String> = dokploy
        .deployments(unit.kind, &unit.id)
        .await
        .map_err(|error| format!("cannot list its deployments: {error}"))?
        .into_iter()
        .map(|row| row.deployment_id)
        .collect();
    let Deploy { title, description } = deploy;
    let watch = Watch::new(
        unit.kind,
        &unit.id,
        title,
        snapshot,
        Timestamp::now(),
        ready.retitled,
    );
    let error = match dokploy
        .trigger(unit.kind, &unit.id, &watch.marker, &description)
        .await
    {
        Ok(()) => return Ok(watch),
        Err(error) if error.is_ambiguous() => error,
        Err(error) => {
            return Err(format!("the deploy request failed: {}", error.explained()));
        }
    };
    tracing::warn!(
        "{}: the deploy request failed without a clear answer ({error}); looking for the job \
         before deciding whether to send it again",
        unit.label()
    );
    let queued = dokploy.queue().await.ok().flatten().map(|queue| {
        queue
            .iter()
            .any(|entry| entry.is(unit.kind, &unit.id, &watch.marker))
    });
    let titles = dokploy.features().titles;
    let has_row = titles
        && dokploy
            .deployments(unit.kind, &unit.id)
            .await
            .is_ok_and(|rows| {
                rows.iter()
                    .any(|row| row.title.as_deref() == Some(watch.marker.as_str()))
            });
    if queued == Some(true) || has_row {
        tracing::info!("{}: the deploy was queued after all", unit.label());
        return Ok(watch);
    }
    if queued == Some(false) && titles {
        tracing::info!(
            "{}: no such job in Dokploy; sending the deploy once more",
            unit.label()
        );
        return match dokploy
            .trigger(unit.kind, &unit.id, &watch.marker, &description)
            .await
        {
            Ok(()) => Ok(watch),
            Err(again) => Err(format!(
                "the deploy request failed twice: {error}; then {again}"
            )),
        };
    }
    Err(format!(
        "the deploy request failed without a clear answer ({error}) and this Dokploy ({}) \
         cannot show whether it queued the job, so gantry did not send it again",
        dokploy.features().version
    ))
}

/// What `target` showed before its pin, as the report shows images.
fn previous_image(saved: &Saved, target: &Target) -> Option<String> {
    match (saved, &target.pin) {
        (Saved::Image(image), _) => image.clone(),
        (
            Saved::Env(previous),
            Pin::Variable {
                var, repository, ..
            },
        ) => previous
            .iter()
            .find(|(name, _)| name == var)
            .and_then(|(_, before)| before.value())
            .map(|value| shown_variable(repository.as_deref(), value)),
        (Saved::Env(_), Pin::Image(_)) => None,
    }
}

/// Withdraws a deploy still queued when its time ran out, so that it cannot run after gantry
/// has exited: `cleanQueues` removes every waiting job of the service, so it is called only
/// when the queue shows this job waiting and no other waiting job of the service. `Err` says
/// why the job stays.
async fn withdraw(dokploy: &Dokploy, watch: &mut Watch) -> Result<(), String> {
    if !dokploy.has_queue() {
        return Err(format!(
            "this Dokploy ({}) cannot list its queue (v0.28.3+), so gantry cannot tell whether \
             removing its waiting jobs would remove only this one",
            dokploy.features().version
        ));
    }
    let queued = |queue: &[QueueEntry]| {
        queue
            .iter()
            .find(|entry| entry.is(watch.kind, &watch.id, &watch.marker))
            .map(QueueEntry::waiting)
    };
    let queue = read_queue(dokploy).await?;
    match queued(&queue) {
        None => return Err("it left the queue as the time ran out, and may be running".into()),
        Some(false) => return Err("it started as the time ran out, and may still finish".into()),
        Some(true) => {}
    }
    let others = queue
        .iter()
        .filter(|entry| entry.of(watch.kind, &watch.id) && entry.waiting())
        .count()
        - 1;
    if others > 0 {
        return Err(format!(
            "{others} other deploy(s) of this service wait with it, and Dokploy can only \
             remove them all"
        ));
    }
    let procedure = Dokploy::clean_queue_procedure(watch.kind);
    dokploy
        .clean_queue(watch.kind, &watch.id)
        .await
        .map_err(|error| format!("withdrawing it failed: {}", error.explained()))?;
    if queued(&read_queue(dokploy).await?).is_some() {
        return Err(format!("it is still in the queue after {procedure}"));
    }
    tracing::warn!(
        "{} {}: still queued when the time ran out; withdrawn ({procedure})",
        watch.kind.as_str(),
        watch.id
    );
    watch.end = Some(End::Withdrawn(procedure.to_owned()));
    Ok(())
}

async fn read_queue(dokploy: &Dokploy) -> Result<Vec<QueueEntry>, String> {
    match dokploy.queue().await {
        Ok(Some(queue)) => Ok(queue),
        Ok(None) => Err("this Dokploy cannot list its queue".into()),
        Err(error) => Err(format!("reading the queue failed: {error}")),
    }
}

/// The report lines of a unit: one per target.
fn target_reports(stage: &str, run: &UnitRun<'_>) -> Vec<TargetReport> {
    let unit = run.unit();
    unit.targets
        .iter()
        .map(|target| {
            let mut line =
                TargetReport::new(stage, &target.name, unit.kind, &unit.id, target.pin.image());
            line.link = run.ready.link.clone();
            line.status = run.status;
            line.error = run.error.clone();
            line.rolled_back = run.rolled_back;
            line.previous_image = run
                .saved
                .as_ref()
                .and_then(|saved| previous_image(saved, target));
            if let Some(row) = run.watch.as_ref().and_then(|watch| watch.row.as_ref()) {
                line.deployment_id = Some(row.deployment_id.clone());
                line.started_at = row.started_at.clone();
                line.finished_at = row.finished_at.clone();
            }
            line
        })
        .collect()
}
