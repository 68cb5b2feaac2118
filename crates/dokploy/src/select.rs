//! Images chosen from the deploy ledger before planning: `--rollback [--to]` (an earlier
//! entry of the environment) and `--from-environment` (the digest behind the source's tag),
//! and the `promote-from` guard on what may be deployed at all. Each becomes an ordinary
//! `--image SERVICE=REF` with the digest it must deploy, so the normal pin → deploy → wait →
//! health path runs it.
//!
//! Applications get `repository:tag@digest` (pinned by digest); compose targets, whose
//! variable holds a tag, get an immutable tag that points at the digest (a ledger entry,
//! else another tag that is no environment's name nor `latest`), checked again just before
//! their stage ([`crate::ledger::Ledger::verify`]).

use gantry_cli::Error;
use gantry_manifest::{DokployTarget, Environment, Manifest, Service, ledger};
use gantry_registry::Digest;

use crate::ledger::Registries;
use crate::plan::{Pin, Plan};

/// Images for the plan: `SERVICE=REF` values and the digest each must deploy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chosen {
    pub images: Vec<String>,
    pub digests: Vec<(String, String)>,
}

impl Chosen {
    /// Sets the chosen digests on the plan's targets.
    pub fn apply(&self, plan: &mut Plan) {
        for target in plan.stages.iter_mut().flat_map(|stage| &mut stage.targets) {
            if let Some((_, digest)) = self.digests.iter().find(|(name, _)| *name == target.name) {
                target.digest = Some(digest.clone());
            }
        }
    }

    /// The image of `service` in `environment` for `digest`, named by `tag` when there is one.
    fn push(
        &mut self,
        service: &Service,
        environment: &str,
        tag: Option<&str>,
        digest: &Digest,
    ) -> Result<(), Error> {
        let compose = matches!(
            service.target(environment),
            Some(target) if matches!(target.dokploy, DokployTarget::Compose { .. })
        );
        let image = match (tag, compose) {
            (Some(tag), true) => format!("{}:{tag}", service.image),
            (None, true) => {
                return Err(bad(
                    format!(
                        "no tag of {} points at {digest} except moving ones (an environment's \
                         name, `latest`), and the compose target of service `{}` can only pin \
                         a tag",
                        service.image, service.name
                    ),
                    "tag the digest first, e.g. `gantry-promote --image REPO@DIGEST --tags \
                     sha-...`",
                ));
            }
            (Some(tag), false) => format!("{}:{tag}@{digest}", service.image),
            (None, false) => format!("{}@{digest}", service.image),
        };
        self.images.push(format!("{}={image}", service.name));
        self.digests
            .push((service.name.clone(), digest.as_str().to_owned()));
        Ok(())
    }
}

fn bad(what: String, help: &str) -> Error {
    Error::bad_input(miette::miette!(
        code = "gantry::dokploy::ledger",
        help = help.to_owned(),
        "{what}"
    ))
}

fn failed(what: String) -> Error {
    Error::failed(miette::miette!(
        code = "gantry::dokploy::registry",
        "{what}"
    ))
}

/// The services a rollback or promotion acts on: those with a target in `environment`, of
/// `--services` if given, of `--stage` if given.
pub fn selected<'m>(
    manifest: &'m Manifest,
    environment: &'m str,
    services: &[String],
    stage: Option<&str>,
) -> Vec<&'m Service> {
    manifest
        .services_in_environment(environment)
        .filter(|service| services.is_empty() || services.contains(&service.name))
        .filter(|service| {
            stage.is_none_or(|stage| service.deploy.as_ref().is_some_and(|d| d.stage == stage))
        })
        .collect()
}

fn environment_names(manifest: &Manifest) -> Vec<&str> {
    manifest
        .environments()
        .map(|env| env.name.as_str())
        .collect()
}

/// `--rollback [--to TAG|DIGEST]`: for each service, the newest entry of `environment` whose
/// digest differs from what the environment's tag points at, or `--to`.
pub async fn rollback(
    manifest: &Manifest,
    environment: &Environment,
    services: &[&Service],
    to: Option<&str>,
    registries: &Registries,
) -> Result<Chosen, Error> {
    let env = environment.name.as_str();
    let moving = environment_names(manifest);
    let to_digest = to
        .filter(|to| to.contains(':') && !to.contains('/'))
        .map(|to| {
            Digest::parse(to).map_err(|error| {
                bad(
                    format!("--to {to}: not a tag nor a digest ({error})"),
                    "give a tag (e.g. production-20261205T101500Z) or sha256:<64 hex digits>",
                )
            })
        })
        .transpose()?;
    if to_digest.is_some() && services.len() != 1 {
        return Err(bad(
            format!(
                "--to with a digest names one image, and {} services would take it",
                services.len()
            ),
            "add --services NAME to roll back one service to a digest",
        ));
    }
    let mut chosen = Chosen::default();
    for service in services {
        let repository = service.image.as_str();
        let (tag, digest) = match (to, &to_digest) {
            (_, Some(digest)) => {
                let tag = registries
                    .immutable_tag(repository, digest, env, &moving)
                    .await
                    .map_err(failed)?;
                (tag, digest.clone())
            }
            (Some(tag), None) => {
                let digest = registries
                    .tag_digest(repository, tag)
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| {
                        bad(
                            format!("--to {tag}: {repository} has no tag `{tag}`"),
                            "list the ledger with `skopeo list-tags docker://REPOSITORY`",
                        )
                    })?;
                let tag = if tag == "latest" || moving.contains(&tag) {
                    registries
                        .immutable_tag(repository, &digest, env, &moving)
                        .await
                        .map_err(failed)?
                } else {
                    Some(tag.to_owned())
                };
                (tag, digest)
            }
            (None, None) => {
                let current = registries
                    .tag_digest(repository, env)
                    .await
                    .map_err(failed)?;
                let entries = registries.entries(repository, env).await.map_err(failed)?;
                let Some((tag, digest)) = entries
                    .into_iter()
                    .find(|(_, digest)| Some(digest) != current.as_ref())
                else {
                    return Err(bad(
                        format!(
                            "service `{}` has no ledger entry of {env} to go back to (no \
                             {env}-YYYYMMDDTHHMMSSZ tag of {repository} with another digest \
                             than `{env}`)",
                            service.name
                        ),
                        "roll back to a given image with --to TAG|DIGEST, or leave the service \
                         out with --services",
                    ));
                };
                (Some(tag), digest)
            }
        };
        tracing::info!(
            "{}: rolling back to {digest}{}",
            service.name,
            tag.as_deref()
                .map(|tag| format!(" ({tag})"))
                .unwrap_or_default()
        );
        chosen.push(service, env, tag.as_deref(), &digest)?;
    }
    Ok(chosen)
}

/// `--from-environment FROM`: for each service, the digest behind its `FROM` tag.
pub async fn promotion(
    manifest: &Manifest,
    environment: &Environment,
    from: &str,
    services: &[&Service],
    registries: &Registries,
) -> Result<Chosen, Error> {
    if manifest.environment(from).is_none() {
        return Err(bad(
            format!("--from-environment {from}: the manifest has no such environment"),
            "name one of deploy.environments",
        ));
    }
    if let Some(source) = &environment.promote_from
        && source != from
    {
        return Err(bad(
            format!(
                "{} takes images from {source} only (promote-from), not from {from}",
                environment.name
            ),
            &format!("pass --from-environment {source}"),
        ));
    }
    let moving = environment_names(manifest);
    let mut chosen = Chosen::default();
    for service in services {
        let repository = service.image.as_str();
        let digest = registries
            .tag_digest(repository, from)
            .await
            .map_err(failed)?
            .ok_or_else(|| {
                bad(
                    format!(
                        "service `{}` has never been deployed to {from}: {repository} has no \
                         `{from}` tag",
                        service.name
                    ),
                    "deploy it to the source environment first, or leave it out with --services",
                )
            })?;
        let tag = registries
            .immutable_tag(repository, &digest, from, &moving)
            .await
            .map_err(failed)?;
        tracing::info!(
            "{}: promoting {digest} from {from}{}",
            service.name,
            tag.as_deref()
                .map(|tag| format!(" ({tag})"))
                .unwrap_or_default()
        );
        chosen.push(service, &environment.name, tag.as_deref(), &digest)?;
    }
    Ok(chosen)
}

/// With `promote-from: SOURCE`, refuses (exit 2, before any write) a plan that would deploy
/// a digest none of SOURCE's kept ledger entries points at: it never ran there.
pub async fn guard(
    manifest: &Manifest,
    environment: &Environment,
    plan: &Plan,
    registries: &Registries,
) -> Result<(), Error> {
    let Some(source) = &environment.promote_from else {
        return Ok(());
    };
    let history = usize::try_from(manifest.history()).unwrap_or(usize::MAX);
    for target in plan.stages.iter().flat_map(|stage| &stage.targets) {
        let image = target.pin.image();
        let repository = match &target.pin {
            Pin::Variable {
                repository: Some(repository),
                ..
            } => repository.clone(),
            _ => match gantry_registry::ImageRef::parse(&image) {
                Ok(reference) => format!("{}/{}", reference.registry(), reference.repository()),
                Err(_) => continue,
            },
        };
        let digest = match &target.digest {
            Some(digest) => digest.clone(),
            None => registries.digest(&image).await.map_err(failed)?.to_string(),
        };
        let entries = registries
            .entries(&repository, source)
            .await
            .map_err(failed)?;
        let kept = ledger::kept(
            source,
            entries
                .iter()
                .map(|(tag, digest)| (tag.as_str(), digest.as_str())),
            history,
        );
        if !kept.iter().any(|entry| entry.digest == digest) {
            return Err(bad(
                format!(
                    "refusing to deploy {image} ({digest}) to {}: it never ran in {source} (no \
                     kept {source} ledger entry of {repository} points at it), and {} takes \
                     images from {source} only (promote-from); nothing was changed",
                    environment.name, environment.name
                ),
                &format!(
                    "deploy it to {source} first, then promote with --from-environment {source}"
                ),
            ));
        }
    }
    Ok(())
}
