//! What runs where: for each service of a manifest environment, the image its Dokploy target
//! runs now. Read-only (`application.one`, `compose.one`, and `project.all` when a target is
//! a name path); used by `gantry-dokploy --plan` and by gantry-prune, which keeps what runs.
//!
//! "Runs now" is what Dokploy stores for the next (and the last) deploy: an application's
//! `dockerImage`, or a compose's tag variable (from its `env`) on the service's image
//! repository (`{image}:{value}`, the compose file names its image `repository:${VAR}`).
//! Each target is read on its own (several at once), so one unreadable target leaves the
//! others' answers; a compose shared by several services is read once.
//!
//! ```no_run
//! # async fn example(manifest: &gantry_manifest::Manifest, key: gantry_http::Secret) {
//! let client = gantry_dokploy::running::client(
//!     "https://dokploy.example.com",
//!     key,
//!     gantry_http::retry::RetryPolicy::default(),
//! )
//! .unwrap();
//! for running in gantry_dokploy::running::what_runs(manifest, "production", &client)
//!     .await
//!     .unwrap()
//! {
//!     match &running.image {
//!         Ok(Some(image)) => println!("{} runs {image}", running.service),
//!         Ok(None) => println!("{} has no image set", running.service),
//!         Err(error) => println!("{}: {error}", running.service),
//!     }
//! }
//! # }
//! ```

use std::collections::HashMap;

use futures::stream::{self, StreamExt};

use gantry_http::Secret;
use gantry_http::retry::RetryPolicy;
use gantry_manifest::{DokployTarget, Manifest};

use crate::api::{self, ServiceKind};
use crate::client::{self, Client};
use crate::envfile;
use crate::error::ApiError;
use crate::plan::shown_variable;
use crate::resolve::{self, Candidate};

/// One service's target in an environment, and the image it runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// The manifest service.
    pub service: String,
    pub kind: ServiceKind,
    /// The Dokploy id, or the `project/environment/service` name path, as the manifest
    /// gives it.
    pub target: String,
    /// The compose variable holding the tag (compose targets).
    pub tag_var: Option<String>,
    /// The service's image repository (`registry/name`, no tag): what a compose's variable
    /// is the tag of.
    pub repository: String,
    /// The image reference it runs (`repo:tag`, `repo@digest` or `repo:tag@digest`);
    /// `Ok(None)` when no image is set (an application without `dockerImage`, a compose
    /// without the variable); `Err` when Dokploy could not tell.
    pub image: Result<Option<String>, ReadError>,
}

/// Why what a target runs could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {what}: {cause}")]
pub struct ReadError {
    /// `compose abc (service api)`.
    pub what: String,
    /// Dokploy's error, as text.
    pub cause: String,
}

/// What can stop the whole reading.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RunningError {
    #[error("the manifest has no environment `{environment}` (it has {known})")]
    #[diagnostic(
        code(gantry::dokploy::unknown_environment),
        help("name one of deploy.environments")
    )]
    UnknownEnvironment { environment: String, known: String },
}

/// A read-only client for the Dokploy panel at `url`, with gantry's HTTP defaults (no
/// redirects, so the key never leaves the panel), retrying failed reads by `retry` (the
/// caller's run policy, or [`RetryPolicy::default`]).
pub fn client(url: &str, key: Secret, retry: RetryPolicy) -> Result<Client, ApiError> {
    let http = client::http_client().map_err(|source| ApiError::Transport {
        procedure: "(setup)".into(),
        source,
    })?;
    Client::new(http, url, key, retry)
}

/// How many targets are read at once: a handful of services answer in one round trip
/// without flooding the panel.
const READS_IN_FLIGHT: usize = 8;

/// For each service of `manifest` with a target in `environment`, in manifest order, the
/// image its target runs now, read from the Dokploy that `client` talks to. Name paths are
/// resolved first (`project.all` once), then each distinct target is read once, up to
/// [`READS_IN_FLIGHT`] at a time.
pub async fn what_runs(
    manifest: &Manifest,
    environment: &str,
    client: &Client,
) -> Result<Vec<Running>, RunningError> {
    if manifest.environment(environment).is_none() {
        return Err(RunningError::UnknownEnvironment {
            environment: environment.to_owned(),
            known: manifest
                .environments()
                .map(|env| format!("`{}`", env.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut resolver = Resolver::new(client);
    // Each service's target, with its resolved id, in manifest order.
    let mut targets = Vec::new();
    for service in manifest.services_in_environment(environment) {
        let Some(target) = service.target(environment) else {
            continue;
        };
        let (kind, tag_var) = match &target.dokploy {
            DokployTarget::Application { .. } => (ServiceKind::Application, None),
            DokployTarget::Compose { tag_var, .. } => (ServiceKind::Compose, Some(tag_var)),
        };
        let id = target.dokploy.id();
        let resolved = resolver.id(kind, id).await;
        targets.push((service, kind, tag_var, id, resolved));
    }
    let mut distinct: Vec<(ServiceKind, &str)> = Vec::new();
    for (_, kind, _, _, resolved) in &targets {
        if let Ok(id) = resolved
            && !distinct.contains(&(*kind, id.as_str()))
        {
            distinct.push((*kind, id));
        }
    }
    let stored: HashMap<(ServiceKind, &str), Result<Stored, String>> = stream::iter(distinct)
        .map(|(kind, id)| async move { ((kind, id), read(client, kind, id).await) })
        .buffer_unordered(READS_IN_FLIGHT)
        .collect()
        .await;
    Ok(targets
        .iter()
        .map(|(service, kind, tag_var, id, resolved)| {
            let what = format!("{} {id} (service {})", kind.as_str(), service.name);
            let image = match resolved {
                Ok(resolved) => stored[&(*kind, resolved.as_str())].clone(),
                Err(error) => Err(error.clone()),
            }
            .map(|stored| stored.image(tag_var.map(String::as_str), Some(&service.image)))
            .map_err(|cause| ReadError { what, cause });
            Running {
                service: service.name.clone(),
                kind: *kind,
                target: (*id).to_owned(),
                tag_var: tag_var.cloned(),
                repository: service.image.clone(),
                image,
            }
        })
        .collect())
}

/// What Dokploy stores for one service: an application's image, or a compose's env (which
/// holds secrets: it never leaves this module).
#[derive(Clone)]
enum Stored {
    Image(Option<String>),
    Env(String),
}

impl Stored {
    /// The image it stands for: an application's, or `repository:value` of a compose's
    /// `tag_var` (the value alone without a repository).
    fn image(self, tag_var: Option<&str>, repository: Option<&str>) -> Option<String> {
        match (self, tag_var) {
            (Stored::Image(image), _) => image,
            (Stored::Env(env), Some(var)) => envfile::get(&env, var)
                .filter(|value| !value.trim().is_empty())
                .map(|value| shown_variable(repository, value.trim())),
            (Stored::Env(_), None) => None,
        }
    }
}

/// What one Dokploy service (by id) runs now: an application's image, or the image a
/// compose's `tag_var` names on `repository`. `Err` says why it could not be read.
pub async fn current(
    client: &Client,
    kind: ServiceKind,
    id: &str,
    tag_var: Option<&str>,
    repository: Option<&str>,
) -> Result<Option<String>, String> {
    let id = Resolver::new(client).id(kind, id).await?;
    read(client, kind, &id)
        .await
        .map(|stored| stored.image(tag_var, repository))
}

/// What Dokploy stores for the service `id`.
async fn read(client: &Client, kind: ServiceKind, id: &str) -> Result<Stored, String> {
    match kind {
        ServiceKind::Application => api::application(client, id).await.map(|application| {
            Stored::Image(application.docker_image.filter(|image| !image.is_empty()))
        }),
        ServiceKind::Compose => api::compose(client, id)
            .await
            .map(|compose| Stored::Env(compose.env.unwrap_or_default())),
    }
    .map_err(|error| error.to_string())
}

/// Resolves targets to ids, reading `project.all` once if a name path needs it.
struct Resolver<'c> {
    client: &'c Client,
    candidates: Option<Result<Vec<Candidate>, String>>,
}

impl<'c> Resolver<'c> {
    fn new(client: &'c Client) -> Self {
        Resolver {
            client,
            candidates: None,
        }
    }

    /// The id of `target`, resolving a name path through `project.all` (read once).
    async fn id(&mut self, kind: ServiceKind, target: &str) -> Result<String, String> {
        if !target.contains('/') {
            return Ok(target.to_owned());
        }
        let candidates = match self.candidates.take() {
            Some(known) => known,
            None => api::projects(self.client)
                .await
                .map(|projects| resolve::candidates(&projects))
                .map_err(|error| error.to_string()),
        };
        let id = match &candidates {
            Ok(candidates) => {
                resolve::resolve(candidates, kind, target).map_err(|error| error.to_string())
            }
            Err(error) => Err(error.clone()),
        };
        self.candidates = Some(candidates);
        id
    }
}
