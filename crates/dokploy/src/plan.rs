//! What to deploy, in which order, with which image: pure planning from the manifest or the
//! flags, before anything talks to Dokploy.
//!
//! A [`Plan`] is a list of stages, each a list of [`Target`]s (a service of the manifest, or a
//! service named by a flag) with the [`Pin`] to apply. Targets may still name their Dokploy
//! service by a `project/environment/service` path; once resolved, [`group`] turns a stage's
//! targets into [`Unit`]s: one per Dokploy service, so services that share a compose set their
//! variables and deploy it once.

use gantry_manifest::{
    DEFAULT_STAGE, DokployTarget, Environment, Manifest, Service, ServiceTarget,
};
use gantry_registry::{ImageRef, ReferenceError, Tag};

use crate::api::ServiceKind;

/// What a plan is made from: the manifest and the flags (lists already split into items).
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub manifest: Option<&'a Manifest>,
    /// `--environment`: the manifest environment to deploy to (required when it has several).
    pub environment: Option<&'a str>,
    pub stage: Option<&'a str>,
    /// `--services`: only these manifest services (empty: every one).
    pub services: &'a [String],
    pub tag: Option<&'a str>,
    /// `--image` values: `SERVICE=REF` or `REF`.
    pub images: &'a [String],
    pub applications: &'a [String],
    pub composes: &'a [String],
}

/// Stages in the order they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub stages: Vec<Stage>,
    /// Things worth telling the user that do not stop the plan (ignored `--image` values).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub name: String,
    pub targets: Vec<Target>,
}

/// One thing to deploy: a manifest service, or a service given by `--application`/`--compose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The manifest service's name, or the id (or name path) as the flag gave it.
    pub name: String,
    pub kind: ServiceKind,
    /// A Dokploy id, or a `project/environment/service` name path to resolve.
    pub service: String,
    pub pin: Pin,
    /// The manifest target's `health` URL in the environment deployed to.
    pub health: Option<String>,
    /// The digest the pin must deploy, when it is known before the deploy (rollback,
    /// promotion): a compose's tag is checked to resolve to it just before its stage.
    pub digest: Option<String>,
}

impl Target {
    /// Whether [`Target::service`] is a name path rather than an id.
    pub fn is_name_path(&self) -> bool {
        self.service.contains('/')
    }
}

/// The image a target is set to before its service deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// An application's `dockerImage`: the full reference.
    Image(String),
    /// A compose env variable holding the tag (`tag[@digest]`).
    Variable {
        var: String,
        value: String,
        /// The image name the compose file puts the tag on, when known (manifest targets).
        repository: Option<String>,
    },
}

impl Pin {
    /// The image as the report shows it: the reference, or `repository:value` for a compose
    /// (the value alone when the repository is unknown).
    pub fn image(&self) -> String {
        match self {
            Pin::Image(image) => image.clone(),
            Pin::Variable {
                value, repository, ..
            } => shown_variable(repository.as_deref(), value),
        }
    }
}

/// How a compose variable's value reads in the report.
pub fn shown_variable(repository: Option<&str>, value: &str) -> String {
    match repository {
        Some(repository) => format!("{repository}:{value}"),
        None => value.to_owned(),
    }
}

/// One Dokploy service to pin and deploy, with the targets that share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub kind: ServiceKind,
    /// The resolved Dokploy id.
    pub id: String,
    pub targets: Vec<Target>,
}

impl Unit {
    /// The targets' names, `+`-joined: how logs and markers name the unit.
    pub fn label(&self) -> String {
        self.targets
            .iter()
            .map(|target| target.name.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// A request that cannot be planned: bad input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error("nothing to deploy: {why}")]
    #[diagnostic(code(gantry::dokploy::nothing_to_deploy), help("{help}"))]
    NothingToDeploy { why: String, help: String },

    #[error("stage `{stage}` is not one of deploy.stages ({stages})")]
    #[diagnostic(code(gantry::dokploy::unknown_stage), help("{help}"))]
    UnknownStage {
        stage: String,
        stages: String,
        help: String,
    },

    #[error("no image for {target}")]
    #[diagnostic(code(gantry::dokploy::no_image), help("{help}"))]
    NoImage { target: String, help: String },

    #[error("`--image {given}` names no target: {why}")]
    #[diagnostic(code(gantry::dokploy::image_target), help("{help}"))]
    ImageTarget {
        given: String,
        why: String,
        help: String,
    },

    #[error("invalid image in `--{flag} {given}`")]
    #[diagnostic(code(gantry::dokploy::bad_image))]
    BadReference {
        flag: &'static str,
        given: String,
        #[source]
        #[diagnostic_source]
        source: ReferenceError,
    },

    #[error("compose target `{target}` cannot use `{reference}`: {why}")]
    #[diagnostic(
        code(gantry::dokploy::compose_image),
        help(
            "a compose file names its image as `repository:${{VARIABLE}}`, so gantry can only \
             set the tag: give `{repository}:TAG` or `{repository}:TAG@sha256:DIGEST`"
        )
    )]
    ComposeImage {
        target: String,
        reference: String,
        why: String,
        repository: String,
    },

    #[error("{what}")]
    #[diagnostic(code(gantry::dokploy::shared_service), help("{help}"))]
    Shared { what: String, help: String },

    #[error("{what}")]
    #[diagnostic(code(gantry::dokploy::flags))]
    Flags { what: String },

    #[error(
        "the manifest deploys to several environments ({environments}); which one is this run for?"
    )]
    #[diagnostic(
        code(gantry::dokploy::environments),
        help("pass --environment NAME (INPUT_ENVIRONMENT), one of {environments}")
    )]
    Environments { environments: String },

    #[error("environment `{environment}` is not one of deploy.environments ({environments})")]
    #[diagnostic(code(gantry::dokploy::unknown_environment), help("{help}"))]
    UnknownEnvironment {
        environment: String,
        environments: String,
        help: String,
    },
}

/// The plan for `inputs`: from the manifest unless `--application`/`--compose` name targets.
pub fn plan(inputs: &Inputs<'_>) -> Result<Plan, PlanError> {
    let images = parse_images(inputs.images)?;
    let tag = inputs
        .tag
        .map(|tag| {
            Tag::parse(tag).map_err(|source| PlanError::BadReference {
                flag: "tag",
                given: tag.to_owned(),
                source,
            })
        })
        .transpose()?;
    if inputs.applications.is_empty() && inputs.composes.is_empty() {
        let manifest = inputs.manifest.ok_or_else(|| PlanError::NothingToDeploy {
            why: "no manifest and no --application or --compose".into(),
            help: "run next to gantry.yml (or pass --manifest), or name services with \
                   --application ID / --compose ID"
                .into(),
        })?;
        from_manifest(
            manifest,
            inputs.environment,
            inputs.stage,
            inputs.services,
            tag.as_ref(),
            &images,
        )
    } else {
        if let Some(stage) = inputs.stage {
            return Err(PlanError::Flags {
                what: format!(
                    "--stage {stage} selects manifest services; it cannot be combined with \
                     --application or --compose"
                ),
            });
        }
        from_flags(inputs, tag.as_ref(), &images)
    }
}

/// An `--image` value: `NAME=REF` or a bare `REF`.
#[derive(Debug, Clone)]
struct ImageArg {
    given: String,
    name: Option<String>,
    reference: ImageRef,
    text: String,
}

fn parse_images(images: &[String]) -> Result<Vec<ImageArg>, PlanError> {
    images
        .iter()
        .map(|given| {
            let (name, text) = match given.split_once('=') {
                Some((name, text)) => (Some(name.trim().to_owned()), text.trim()),
                None => (None, given.trim()),
            };
            let reference = ImageRef::parse(text).map_err(|source| PlanError::BadReference {
                flag: "image",
                given: given.clone(),
                source,
            })?;
            Ok(ImageArg {
                given: given.clone(),
                name,
                reference,
                text: text.to_owned(),
            })
        })
        .collect()
}

/// `registry/repository`, normalised, of an image name without tag.
fn repository_of(image: &str) -> Option<String> {
    ImageRef::parse(image)
        .ok()
        .map(|reference| format!("{}/{}", reference.registry(), reference.repository()))
}

fn same_repository(reference: &ImageRef, image: &str) -> bool {
    repository_of(image).is_some_and(|repository| {
        repository == format!("{}/{}", reference.registry(), reference.repository())
    })
}

/// The plan of the manifest's services: the stages asked for (all by default), each with the
/// selected services that deploy in it, in the manifest's one environment.
fn from_manifest<'a>(
    manifest: &'a Manifest,
    environment: Option<&str>,
    stage: Option<&'a str>,
    services: &'a [String],
    tag: Option<&Tag>,
    images: &[ImageArg],
) -> Result<Plan, PlanError> {
    let deploying: Vec<&Service> = manifest
        .services()
        .filter(|service| service.deploy.is_some())
        .collect();
    if deploying.is_empty() {
        return Err(PlanError::NothingToDeploy {
            why: "no service in the manifest has a `deploy:` entry".into(),
            help: "add `deploy: {stage: ..., dokploy: {application: ID}}` to the services to \
                   deploy (docs/manifest.md)"
                .into(),
        });
    }
    let selection = Selection {
        stages: selected_stages(manifest, stage)?,
        services,
    };
    let environment = environment_of(manifest, environment)?.map(|env| env.name.as_str());
    let mut notes = undeployed_services(manifest, services)?;
    let chosen = choose_images(manifest, &deploying, &selection, images, &mut notes)?;
    let mut planned = Vec::new();
    for stage in &selection.stages {
        let mut targets = Vec::new();
        for service in manifest.services_in_stage(stage) {
            let Some(deploy) = service.deploy.as_ref().filter(|_| selection.has(service)) else {
                continue;
            };
            let Some(target) = environment.and_then(|env| deploy.environments.get(env)) else {
                continue;
            };
            let image = chosen
                .iter()
                .find(|(name, _)| *name == service.name)
                .map(|(_, image)| *image);
            targets.push(manifest_target(service, target, image, tag)?);
        }
        if !targets.is_empty() {
            planned.push(Stage {
                name: (*stage).to_owned(),
                targets,
            });
        }
    }
    if planned.is_empty() && !services.is_empty() {
        // The services asked for (the ones a push rebuilt, say) do not deploy here: done.
        notes.push(format!(
            "none of --services {} deploys in stage {}",
            services.join(", "),
            selection.stages.join(", ")
        ));
    } else if planned.is_empty() {
        return Err(PlanError::NothingToDeploy {
            why: format!(
                "no service deploys in stage {}",
                selection.stages.join(", ")
            ),
            help: "set `deploy.stage` of the services that belong to it".into(),
        });
    }
    Ok(Plan {
        stages: planned,
        notes,
    })
}

/// The manifest services a plan takes: those of `--services` (every one when empty) that
/// deploy in one of `stages`.
struct Selection<'a> {
    stages: Vec<&'a str>,
    services: &'a [String],
}

impl Selection<'_> {
    fn has(&self, service: &Service) -> bool {
        (self.services.is_empty() || self.services.contains(&service.name))
            && service
                .deploy
                .as_ref()
                .is_some_and(|deploy| self.stages.contains(&deploy.stage.as_str()))
    }
}

/// `--stage`, checked against `deploy.stages`; else every stage, in order.
fn selected_stages<'a>(
    manifest: &'a Manifest,
    stage: Option<&'a str>,
) -> Result<Vec<&'a str>, PlanError> {
    match stage {
        Some(stage) if !manifest.deploy.stages.iter().any(|known| known == stage) => {
            Err(unknown_stage(stage, &manifest.deploy.stages))
        }
        Some(stage) => Ok(vec![stage]),
        None => Ok(manifest.deploy.stages.iter().map(String::as_str).collect()),
    }
}

/// The environment a run deploys to: `--environment` (which must be one of the manifest's),
/// else the only one (the single-target form's is `default`). Several without
/// `--environment` are refused with their names; `None` when the manifest has none.
pub fn environment_of<'m>(
    manifest: &'m Manifest,
    given: Option<&str>,
) -> Result<Option<&'m Environment>, PlanError> {
    let known = || names(manifest.environments().map(|env| env.name.as_str()));
    match given {
        Some(name) => match manifest.environment(name) {
            Some(environment) => Ok(Some(environment)),
            None => Err(PlanError::UnknownEnvironment {
                environment: name.to_owned(),
                environments: known(),
                help: suggestion(
                    name,
                    manifest.deploy.environments.keys().map(String::as_str),
                ),
            }),
        },
        None if manifest.deploy.environments.len() > 1 => Err(PlanError::Environments {
            environments: known(),
        }),
        None => Ok(manifest.only_environment()),
    }
}

/// Every `--services` name is a manifest service; those without a `deploy:` entry get a
/// note, as nothing deploys for them.
fn undeployed_services(manifest: &Manifest, services: &[String]) -> Result<Vec<String>, PlanError> {
    let mut notes = Vec::new();
    for name in services {
        match manifest.service(name) {
            None => {
                return Err(PlanError::Flags {
                    what: format!(
                        "--services names `{name}`, which the manifest does not have; {}",
                        suggestion(name, manifest.services.keys().map(String::as_str))
                    ),
                });
            }
            Some(service) if service.deploy.is_none() => notes.push(format!(
                "service `{name}` has no `deploy:` entry; nothing to deploy for it"
            )),
            Some(_) => {}
        }
    }
    Ok(notes)
}

/// Which service each `--image` applies to; images for services outside the selection are
/// noted, not used.
fn choose_images<'i>(
    manifest: &Manifest,
    deploying: &[&Service],
    selection: &Selection<'_>,
    images: &'i [ImageArg],
    notes: &mut Vec<String>,
) -> Result<Vec<(String, &'i ImageArg)>, PlanError> {
    let mut chosen: Vec<(String, &ImageArg)> = Vec::new();
    for image in images {
        let service = match &image.name {
            Some(name) => named_image_service(manifest, image, name)?,
            None => image_service_by_name(deploying, image)?,
        };
        if !selection.has(service) {
            notes.push(format!(
                "--image {} ignored: service `{}` is not in stage {}",
                image.given,
                service.name,
                selection.stages.join(", ")
            ));
            continue;
        }
        if chosen.iter().any(|(name, _)| *name == service.name) {
            return Err(image_target(
                image,
                format!("service `{}` already has an image", service.name),
                "give one --image per service".into(),
            ));
        }
        chosen.push((service.name.clone(), image));
    }
    Ok(chosen)
}

/// The deploying service `--image NAME=REF` names.
fn named_image_service<'m>(
    manifest: &'m Manifest,
    image: &ImageArg,
    name: &str,
) -> Result<&'m Service, PlanError> {
    let Some(service) = manifest.service(name) else {
        return Err(image_target(
            image,
            format!("the manifest has no service `{name}`"),
            suggestion(name, manifest.services.keys().map(String::as_str)),
        ));
    };
    if service.deploy.is_none() {
        return Err(image_target(
            image,
            format!("service `{name}` has no `deploy:` entry"),
            "give images only for services that deploy".into(),
        ));
    }
    Ok(service)
}

/// The one deploying service whose image name a bare `--image REF` has.
fn image_service_by_name<'m>(
    deploying: &[&'m Service],
    image: &ImageArg,
) -> Result<&'m Service, PlanError> {
    let matching: Vec<&Service> = deploying
        .iter()
        .copied()
        .filter(|service| same_repository(&image.reference, &service.image))
        .collect();
    match matching[..] {
        [one] => Ok(one),
        [] => Err(image_target(
            image,
            "no deploying service has this image name".into(),
            "write `--image SERVICE=REF` to name the service".into(),
        )),
        _ => Err(image_target(
            image,
            format!(
                "services {} all use this image name",
                names(matching.iter().map(|service| service.name.as_str()))
            ),
            "write `--image SERVICE=REF` to name the service".into(),
        )),
    }
}

/// A manifest service's target: its Dokploy service, pinned to its `--image`, else to
/// `{image}:{--tag}`.
fn manifest_target(
    service: &Service,
    target: &ServiceTarget,
    image: Option<&ImageArg>,
    tag: Option<&Tag>,
) -> Result<Target, PlanError> {
    let (kind, id, var) = match &target.dokploy {
        DokployTarget::Application { id } => (ServiceKind::Application, id, None),
        DokployTarget::Compose { id, tag_var } => (ServiceKind::Compose, id, Some(tag_var)),
    };
    let pin = match (var, image, tag) {
        (None, Some(image), _) => Pin::Image(image.text.clone()),
        (None, None, Some(tag)) => Pin::Image(format!("{}:{tag}", service.image)),
        (Some(var), Some(image), _) => Pin::Variable {
            var: var.clone(),
            value: compose_value(&service.name, image, Some(&service.image))?,
            repository: Some(service.image.clone()),
        },
        (Some(var), None, Some(tag)) => Pin::Variable {
            var: var.clone(),
            value: tag.to_string(),
            repository: Some(service.image.clone()),
        },
        (_, None, None) => {
            return Err(PlanError::NoImage {
                target: format!("service `{}`", service.name),
                help: format!(
                    "pass --tag TAG to deploy {}:TAG, or --image {}=REF",
                    service.image, service.name
                ),
            });
        }
    };
    Ok(Target {
        name: service.name.clone(),
        kind,
        service: id.clone(),
        pin,
        health: target.health.clone(),
        digest: None,
    })
}

/// The plan of the services named by `--application` and `--compose`: one stage, each
/// target pinned to its `--image` (a bare REF for the only target), else a compose to `--tag`.
fn from_flags(
    inputs: &Inputs<'_>,
    tag: Option<&Tag>,
    images: &[ImageArg],
) -> Result<Plan, PlanError> {
    let given: Vec<(ServiceKind, &String)> = inputs
        .applications
        .iter()
        .map(|id| (ServiceKind::Application, id))
        .chain(inputs.composes.iter().map(|id| (ServiceKind::Compose, id)))
        .collect();
    for image in images {
        let matched = match &image.name {
            Some(name) => given.iter().any(|(_, id)| *id == name),
            None => given.len() == 1,
        };
        if !matched {
            return Err(image_target(
                image,
                match &image.name {
                    Some(name) => format!("`{name}` is not one of --application/--compose"),
                    None => format!("there are {} targets", given.len()),
                },
                "with several targets write `--image ID=REF`, ID as given to --application or --compose".into(),
            ));
        }
    }
    let mut targets = Vec::new();
    for (kind, id) in &given {
        let image = flag_image(images, id, given.len())?;
        targets.push(Target {
            name: (*id).clone(),
            kind: *kind,
            service: (*id).clone(),
            pin: flag_pin(*kind, id, image, tag)?,
            health: None,
            digest: None,
        });
    }
    Ok(Plan {
        stages: vec![Stage {
            name: DEFAULT_STAGE.to_owned(),
            targets,
        }],
        notes: Vec::new(),
    })
}

/// The `--image` of the flag-given target `id`: `ID=REF`, or a bare REF when it is the only
/// one of `targets`.
fn flag_image<'i>(
    images: &'i [ImageArg],
    id: &str,
    targets: usize,
) -> Result<Option<&'i ImageArg>, PlanError> {
    let named: Vec<&ImageArg> = images
        .iter()
        .filter(|image| image.name.as_deref() == Some(id))
        .collect();
    if named.len() > 1 {
        return Err(image_target(
            named[1],
            format!("`{id}` already has an image"),
            "give one --image per target".into(),
        ));
    }
    Ok(named.first().copied().or_else(|| {
        // A bare REF belongs to the only target there is.
        (targets == 1)
            .then(|| images.iter().find(|image| image.name.is_none()))
            .flatten()
    }))
}

/// What a flag-given target is set to: an application's full reference; a compose's
/// `IMAGE_TAG`, from its image's tag or `--tag`.
fn flag_pin(
    kind: ServiceKind,
    id: &str,
    image: Option<&ImageArg>,
    tag: Option<&Tag>,
) -> Result<Pin, PlanError> {
    Ok(match (kind, image, tag) {
        (ServiceKind::Application, Some(image), _) => Pin::Image(image.text.clone()),
        (ServiceKind::Application, None, _) => {
            return Err(PlanError::NoImage {
                target: format!("application `{id}`"),
                help: "an application needs a full image reference: --image REF (with \
                       several targets, --image ID=REF)"
                    .into(),
            });
        }
        (ServiceKind::Compose, Some(image), _) => Pin::Variable {
            var: gantry_manifest::DEFAULT_TAG_VAR.to_owned(),
            value: compose_value(id, image, None)?,
            repository: None,
        },
        (ServiceKind::Compose, None, Some(tag)) => Pin::Variable {
            var: gantry_manifest::DEFAULT_TAG_VAR.to_owned(),
            value: tag.to_string(),
            repository: None,
        },
        (ServiceKind::Compose, None, None) => {
            return Err(PlanError::NoImage {
                target: format!("compose `{id}`"),
                help: "pass --tag TAG (or --image REPOSITORY:TAG)".into(),
            });
        }
    })
}

/// The variable value for a compose from an image reference: `tag` or `tag@digest`; the
/// repository must be the service's.
fn compose_value(
    target: &str,
    image: &ImageArg,
    repository: Option<&str>,
) -> Result<String, PlanError> {
    let fail = |why: &str| PlanError::ComposeImage {
        target: target.to_owned(),
        reference: image.text.clone(),
        why: why.to_owned(),
        repository: repository.unwrap_or("REPOSITORY").to_owned(),
    };
    if let Some(repository) = repository
        && !same_repository(&image.reference, repository)
    {
        return Err(fail(&format!("its image name is not `{repository}`")));
    }
    let tag = image.reference.tag().ok_or_else(|| fail("it has no tag"))?;
    Ok(match image.reference.digest() {
        Some(digest) => format!("{tag}@{digest}"),
        None => tag.to_string(),
    })
}

/// The units of a stage: `targets` with their resolved ids, grouped by Dokploy service in
/// first-seen order. Two targets on one application, or on one compose variable, conflict.
pub fn group(targets: Vec<(Target, String)>) -> Result<Vec<Unit>, PlanError> {
    let mut units: Vec<Unit> = Vec::new();
    for (target, id) in targets {
        let Some(unit) = units
            .iter_mut()
            .find(|unit| unit.kind == target.kind && unit.id == id)
        else {
            units.push(Unit {
                kind: target.kind,
                id,
                targets: vec![target],
            });
            continue;
        };
        let clash = match (&target.pin, unit.kind) {
            (_, ServiceKind::Application) => Some("application".to_owned()),
            (Pin::Variable { var, .. }, ServiceKind::Compose) => unit
                .targets
                .iter()
                .any(|other| matches!(&other.pin, Pin::Variable { var: known, .. } if known == var))
                .then(|| format!("variable {var} of compose")),
            (Pin::Image(_), ServiceKind::Compose) => None,
        };
        if let Some(what) = clash {
            return Err(PlanError::Shared {
                what: format!(
                    "`{}` and `{}` both set the {what} {}",
                    unit.targets[0].name, target.name, unit.id
                ),
                help: "each application takes one image; services sharing a compose need their \
                       own `tag-var`"
                    .into(),
            });
        }
        unit.targets.push(target);
    }
    Ok(units)
}

fn unknown_stage(stage: &str, stages: &[String]) -> PlanError {
    PlanError::UnknownStage {
        stage: stage.to_owned(),
        stages: names(stages.iter().map(String::as_str)),
        help: suggestion(stage, stages.iter().map(String::as_str)),
    }
}

fn image_target(image: &ImageArg, why: String, help: String) -> PlanError {
    PlanError::ImageTarget {
        given: image.given.clone(),
        why,
        help,
    }
}

/// `did you mean `x`?` for the closest known name, else the list of known names.
fn suggestion<'a>(name: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    match gantry_manifest::closest(name, known.clone()) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => format!("known: {}", names(known)),
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
version: 1
registry: ghcr.io/acme
services:
  api:
    context: api
    deploy: {stage: backend, dokploy: {compose: stack1, tag-var: API_TAG}}
  worker:
    context: worker
    deploy: {stage: backend, dokploy: {compose: stack1, tag-var: WORKER_TAG}}
  web:
    context: web
    deploy: {stage: frontend, dokploy: {application: shop/production/web}}
  docs:
    context: docs
deploy:
  stages: [backend, frontend]
"#;

    fn manifest() -> Manifest {
        gantry_manifest::parse("gantry.yml", MANIFEST, None)
            .unwrap()
            .manifest
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    fn plan_manifest(
        stage: Option<&str>,
        tag: Option<&str>,
        images: &[&str],
    ) -> Result<Plan, PlanError> {
        let manifest = manifest();
        let images = strings(images);
        plan(&Inputs {
            manifest: Some(&manifest),
            stage,
            tag,
            images: &images,
            ..Inputs::default()
        })
    }

    #[test]
    fn manifest_stages_in_order_with_tags() {
        let plan = plan_manifest(None, Some("sha-abc"), &[]).unwrap();
        let stages: Vec<(&str, Vec<(&str, String)>)> = plan
            .stages
            .iter()
            .map(|stage| {
                (
                    stage.name.as_str(),
                    stage
                        .targets
                        .iter()
                        .map(|target| (target.name.as_str(), target.pin.image()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            stages,
            [
                (
                    "backend",
                    vec![
                        ("api", "ghcr.io/acme/api:sha-abc".to_owned()),
                        ("worker", "ghcr.io/acme/worker:sha-abc".to_owned())
                    ]
                ),
                (
                    "frontend",
                    vec![("web", "ghcr.io/acme/web:sha-abc".to_owned())]
                )
            ]
        );
        assert_eq!(
            plan.stages[0].targets[0].pin,
            Pin::Variable {
                var: "API_TAG".into(),
                value: "sha-abc".into(),
                repository: Some("ghcr.io/acme/api".into())
            }
        );
        assert!(plan.stages[1].targets[0].is_name_path());
    }

    #[test]
    fn services_limit_the_plan_and_may_leave_nothing_to_do() {
        let manifest = manifest();
        let services = strings(&["web", "api"]);
        let images = strings(&["web=ghcr.io/acme/web:v2", "api=ghcr.io/acme/api:v2"]);
        let planned = plan(&Inputs {
            manifest: Some(&manifest),
            services: &services,
            images: &images,
            ..Inputs::default()
        })
        .unwrap();
        let targets: Vec<(&str, String)> = planned
            .stages
            .iter()
            .flat_map(|stage| &stage.targets)
            .map(|target| (target.name.as_str(), target.pin.image()))
            .collect();
        assert_eq!(
            targets,
            [
                ("api", "ghcr.io/acme/api:v2".to_owned()),
                ("web", "ghcr.io/acme/web:v2".to_owned())
            ],
            "worker is not asked for, so it needs no image and is not touched"
        );

        let services = strings(&["docs"]);
        let planned = plan(&Inputs {
            manifest: Some(&manifest),
            services: &services,
            ..Inputs::default()
        })
        .unwrap();
        assert!(planned.stages.is_empty());
        assert_eq!(
            planned.notes,
            [
                "service `docs` has no `deploy:` entry; nothing to deploy for it",
                "none of --services docs deploys in stage backend, frontend"
            ]
        );

        let services = strings(&["wev"]);
        let error = plan(&Inputs {
            manifest: Some(&manifest),
            services: &services,
            tag: Some("v1"),
            ..Inputs::default()
        })
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("which the manifest does not have; did you mean `web`?"),
            "{error}"
        );
    }

    #[test]
    fn images_by_service_by_repository_and_with_digests() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let web = format!("ghcr.io/acme/web@{digest}");
        let api = format!("api=ghcr.io/acme/api:v2@{digest}");
        let plan = plan_manifest(None, Some("v1"), &[&web, &api]).unwrap();
        assert_eq!(plan.stages[1].targets[0].pin, Pin::Image(web.clone()));
        assert_eq!(
            plan.stages[0].targets[0].pin.image(),
            format!("ghcr.io/acme/api:v2@{digest}")
        );
        assert_eq!(
            plan.stages[0].targets[1].pin.image(),
            "ghcr.io/acme/worker:v1"
        );
    }

    #[test]
    fn one_stage_and_images_for_others_are_noted() {
        let plan = plan_manifest(
            Some("frontend"),
            None,
            &["web=ghcr.io/acme/web:v3", "api=ghcr.io/acme/api:v3"],
        )
        .unwrap();
        assert_eq!(plan.stages.len(), 1);
        assert_eq!(plan.stages[0].targets[0].pin.image(), "ghcr.io/acme/web:v3");
        assert_eq!(
            plan.notes,
            ["--image api=ghcr.io/acme/api:v3 ignored: service `api` is not in stage frontend"]
        );
    }

    #[test]
    fn bad_requests_say_what_to_do() {
        let message = |result: Result<Plan, PlanError>| {
            let error = result.unwrap_err();
            let help = miette::Diagnostic::help(&error).map(|help| help.to_string());
            format!("{error} | {}", help.unwrap_or_default())
        };
        assert_eq!(
            message(plan_manifest(Some("fronted"), Some("v1"), &[])),
            "stage `fronted` is not one of deploy.stages (`backend`, `frontend`) | did you mean `frontend`?"
        );
        assert_eq!(
            message(plan_manifest(None, None, &["api=ghcr.io/acme/api:v1"])),
            "no image for service `worker` | pass --tag TAG to deploy ghcr.io/acme/worker:TAG, or --image worker=REF"
        );
        assert_eq!(
            message(plan_manifest(
                None,
                Some("v1"),
                &["apx=ghcr.io/acme/api:v1"]
            )),
            "`--image apx=ghcr.io/acme/api:v1` names no target: the manifest has no service `apx` | did you mean `api`?"
        );
        assert_eq!(
            message(plan_manifest(
                None,
                Some("v1"),
                &["docs=ghcr.io/acme/docs:v1"]
            )),
            "`--image docs=ghcr.io/acme/docs:v1` names no target: service `docs` has no `deploy:` entry | give images only for services that deploy"
        );
        assert_eq!(
            message(plan_manifest(None, Some("v1"), &["ghcr.io/acme/other:v1"])),
            "`--image ghcr.io/acme/other:v1` names no target: no deploying service has this image name | write `--image SERVICE=REF` to name the service"
        );
        assert!(
            message(plan_manifest(None, Some("v1"), &["api=ghcr.io/acme/web:v1"]))
                .starts_with("compose target `api` cannot use `ghcr.io/acme/web:v1`: its image name is not `ghcr.io/acme/api`")
        );
        let digest_only = format!("api=ghcr.io/acme/api@sha256:{}", "b".repeat(64));
        assert!(
            message(plan_manifest(None, Some("v1"), &[&digest_only])).contains("it has no tag")
        );
        assert!(matches!(
            plan_manifest(None, Some("bad tag"), &[]),
            Err(PlanError::BadReference { flag: "tag", .. })
        ));
        assert!(matches!(
            plan_manifest(None, Some("v1"), &["api=not a ref"]),
            Err(PlanError::BadReference { flag: "image", .. })
        ));
    }

    #[test]
    fn flag_targets() {
        let applications = strings(&["app1"]);
        let composes = strings(&["shop/production/stack"]);
        let images = strings(&["app1=ghcr.io/acme/api:v9"]);
        let plan = plan(&Inputs {
            tag: Some("v8"),
            images: &images,
            applications: &applications,
            composes: &composes,
            ..Inputs::default()
        })
        .unwrap();
        let targets = &plan.stages[0].targets;
        assert_eq!(plan.stages[0].name, "default");
        assert_eq!(targets[0].pin, Pin::Image("ghcr.io/acme/api:v9".into()));
        assert_eq!(
            targets[1].pin,
            Pin::Variable {
                var: "IMAGE_TAG".into(),
                value: "v8".into(),
                repository: None
            }
        );
        assert_eq!(targets[1].pin.image(), "v8");

        let single = strings(&["ghcr.io/acme/api:v1"]);
        let plan = super::plan(&Inputs {
            images: &single,
            applications: &applications,
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!(plan.stages[0].targets[0].pin.image(), "ghcr.io/acme/api:v1");

        let two = strings(&["a", "b"]);
        let error = super::plan(&Inputs {
            images: &single,
            applications: &two,
            ..Inputs::default()
        })
        .unwrap_err();
        assert!(error.to_string().contains("there are 2 targets"), "{error}");
        let error = super::plan(&Inputs {
            tag: Some("v1"),
            applications: &applications,
            ..Inputs::default()
        })
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("no image for application `app1`"),
            "{error}"
        );
        let error = super::plan(&Inputs {
            stage: Some("backend"),
            tag: Some("v1"),
            composes: &composes,
            ..Inputs::default()
        })
        .unwrap_err();
        assert!(matches!(error, PlanError::Flags { .. }), "{error}");
        assert!(matches!(
            super::plan(&Inputs::default()),
            Err(PlanError::NothingToDeploy { .. })
        ));
    }

    #[test]
    fn units_share_a_compose_but_not_an_application() {
        let plan = plan_manifest(None, Some("v1"), &[]).unwrap();
        let backend = plan.stages[0].targets.clone();
        let units = group(
            backend
                .iter()
                .cloned()
                .map(|t| (t, "c1".to_owned()))
                .collect(),
        )
        .unwrap();
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].label(), "api+worker");

        let same_var = vec![
            (backend[0].clone(), "c1".to_owned()),
            (
                Target {
                    name: "api2".into(),
                    ..backend[0].clone()
                },
                "c1".to_owned(),
            ),
        ];
        let error = group(same_var).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`api` and `api2` both set the variable API_TAG of compose c1"
        );

        let web = plan.stages[1].targets[0].clone();
        let error = group(vec![
            (web.clone(), "a1".into()),
            (
                Target {
                    name: "web2".into(),
                    ..web.clone()
                },
                "a1".into(),
            ),
        ])
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`web` and `web2` both set the application a1"
        );
        let separate = group(vec![(web.clone(), "a1".into()), (web, "a2".into())]).unwrap();
        assert_eq!(separate.len(), 2);
    }

    #[test]
    fn one_declared_environment_is_deployed_and_several_need_environment() {
        let environments = |names: &[&str]| {
            let mut text = "version: 1\nregistry: r.io/a\nservices:\n  api:\n    context: api\n    deploy:\n      environments:\n".to_owned();
            for name in names {
                text += &format!("        {name}: {{dokploy: {{application: {name}-app}}}}\n");
            }
            text += "deploy:\n  environments:\n";
            for name in names {
                text += &format!("    {name}: {{dokploy: {{url: https://{name}.example}}}}\n");
            }
            gantry_manifest::parse("gantry.yml", &text, None)
                .unwrap()
                .manifest
        };
        let manifest = environments(&["staging"]);
        let planned = plan(&Inputs {
            manifest: Some(&manifest),
            tag: Some("v1"),
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!(planned.stages[0].targets[0].service, "staging-app");

        let manifest = environments(&["staging", "production"]);
        let error = plan(&Inputs {
            manifest: Some(&manifest),
            tag: Some("v1"),
            ..Inputs::default()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the manifest deploys to several environments (`staging`, `production`); which one is this run for?"
        );
        let planned = plan(&Inputs {
            manifest: Some(&manifest),
            environment: Some("production"),
            tag: Some("v1"),
            ..Inputs::default()
        })
        .unwrap();
        assert_eq!(planned.stages[0].targets[0].service, "production-app");
        let error = plan(&Inputs {
            manifest: Some(&manifest),
            environment: Some("prod"),
            tag: Some("v1"),
            ..Inputs::default()
        })
        .unwrap_err();
        let help = miette::Diagnostic::help(&error).unwrap().to_string();
        assert_eq!(
            format!("{error} | {help}"),
            "environment `prod` is not one of deploy.environments (`staging`, `production`) | did you mean `production`?"
        );
    }
}
