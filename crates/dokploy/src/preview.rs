//! `--plan`: what a deploy would change, read-only. With images to deploy, each target's
//! `current → wanted` and whether it would change; without, what runs where.

use gantry_manifest::Manifest;

use crate::client::Client;
use crate::deploy::ReadyStage;
use crate::ledger::Registries;
use crate::plan::Pin;
use crate::report::{Outcome, Report, TargetReport, TargetStatus};
use crate::running::{self, RunningError};

/// The report of a plan: every target of `stages` with what it runs now.
pub async fn planned(client: &Client, stages: &[ReadyStage], registries: &Registries) -> Report {
    let mut report = Report::nothing_deployed();
    report.result = Outcome::Planned;
    for stage in stages {
        for ready in &stage.units {
            let unit = &ready.unit;
            for target in &unit.targets {
                let (tag_var, repository) = match &target.pin {
                    Pin::Variable {
                        var, repository, ..
                    } => (Some(var.as_str()), repository.as_deref()),
                    Pin::Image(_) => (None, None),
                };
                let wanted = target.pin.image();
                let mut line =
                    TargetReport::new(&stage.name, &target.name, unit.kind, &unit.id, wanted);
                line.link = ready.link.clone();
                match running::current(client, unit.kind, &unit.id, tag_var, repository).await {
                    Ok(current) => {
                        let same = match &current {
                            Some(current) => {
                                same_image(
                                    registries,
                                    current,
                                    &line.image,
                                    target.digest.as_deref(),
                                )
                                .await
                            }
                            None => false,
                        };
                        line.previous_image = current;
                        line.status = if same {
                            TargetStatus::Unchanged
                        } else {
                            TargetStatus::Planned
                        };
                    }
                    Err(error) => {
                        line.status = TargetStatus::Planned;
                        line.error = Some(format!("cannot read what it runs: {error}"));
                    }
                }
                report.deployments.push(line);
            }
        }
    }
    report
}

/// Whether `current` and `wanted` are one image: their digests where both resolve (the
/// digest in the reference, else the registry's answer), else the references.
async fn same_image(
    registries: &Registries,
    current: &str,
    wanted: &str,
    wanted_digest: Option<&str>,
) -> bool {
    let digest = |image: &str| {
        let image = image.to_owned();
        async move {
            match image.split_once('@') {
                Some((_, digest)) => Some(digest.to_owned()),
                None => registries
                    .digest(&image)
                    .await
                    .ok()
                    .map(|digest| digest.to_string()),
            }
        }
    };
    let wanted_digest = match wanted_digest {
        Some(digest) => Some(digest.to_owned()),
        None => digest(wanted).await,
    };
    match (digest(current).await, wanted_digest) {
        (Some(current), Some(wanted)) => current == wanted,
        _ => current == wanted,
    }
}

/// What runs where: each target of `environment` (of `services` and `stage` if given) with
/// the image it runs, as a plan that changes nothing.
pub async fn what_runs(
    manifest: &Manifest,
    environment: &str,
    services: &[String],
    stage: Option<&str>,
    client: &Client,
) -> Result<Report, RunningError> {
    let mut report = Report::nothing_deployed();
    report.result = Outcome::Planned;
    for found in running::what_runs(manifest, environment, client).await? {
        let Some(service) = manifest.service(&found.service) else {
            continue;
        };
        let service_stage = service
            .deploy
            .as_ref()
            .map(|deploy| deploy.stage.clone())
            .unwrap_or_default();
        if (!services.is_empty() && !services.contains(&found.service))
            || stage.is_some_and(|stage| stage != service_stage)
        {
            continue;
        }
        let (image, error) = match found.image {
            Ok(image) => (image, None),
            Err(error) => (None, Some(error.to_string())),
        };
        let mut line = TargetReport::new(
            &service_stage,
            &found.service,
            found.kind,
            &found.target,
            image.clone().unwrap_or_else(|| "(none)".into()),
        );
        line.previous_image = image;
        line.status = TargetStatus::Unchanged;
        line.error = error;
        report.deployments.push(line);
    }
    // Stages in the manifest's order, services in manifest order within each.
    let order = |stage: &str| {
        manifest
            .deploy
            .stages
            .iter()
            .position(|known| known == stage)
    };
    report.deployments.sort_by_key(|line| order(&line.stage));
    Ok(report)
}
