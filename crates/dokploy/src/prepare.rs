//! Before anything changes: names resolved to ids, targets grouped into units, and every
//! service checked to exist and to take its pin, and the key's permissions checked.

use gantry_cli::Error;

use crate::api::{self, Dokploy, Placement, ServiceKind};
use crate::deploy::{ReadyStage, ReadyUnit};
use crate::error::{ApiError, TargetError};
use crate::plan::{self, Plan, Unit};
use crate::resolve;

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
