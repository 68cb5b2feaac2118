//! The validated manifest: plain values, defaults applied, names resolved.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::glob::PathGlob;

/// A validated gantry.yml.
///
/// Paths are repository-relative (relative to the directory holding the manifest), with
/// `/` separators and no `./`; path globs are compiled ([`PathGlob::as_str`] gives them as
/// written). Maps keep the manifest's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The format version (always one of [`crate::SUPPORTED_VERSIONS`]).
    pub version: u32,
    /// `registry`, as written (e.g. `ghcr.io/acme`).
    pub registry: Option<String>,
    /// `image-prefix` (default empty).
    pub image_prefix: String,
    /// `global`: path globs whose changes affect every service.
    pub global: Vec<PathGlob>,
    /// The top-level `tags` spec (docker/metadata-action syntax), as written.
    pub tags: Option<String>,
    /// The 1-based manifest line where the text of `tags` starts (for a `|` block, its first
    /// content line), so tools can point at a rule by its line.
    pub tags_line: Option<usize>,
    /// Libraries by name, in manifest order.
    pub libraries: IndexMap<String, Library>,
    /// Services by name, in manifest order.
    pub services: IndexMap<String, Service>,
    /// `retention` (every field unset when the key is absent).
    pub retention: Retention,
    /// `deploy`.
    pub deploy: Deploy,
}

/// Shared code that is not built on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// The library's name (its key in `libraries`).
    pub name: String,
    /// Path globs of its files.
    pub paths: Vec<PathGlob>,
    /// Names of the services or libraries it depends on, duplicates removed.
    pub depends_on: Vec<String>,
}

/// A service: one image built from one Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service's name (its key in `services`).
    pub name: String,
    /// The build context, repository-relative and normalised (`.` for the root).
    pub context: String,
    /// The Dockerfile as written, relative to `context` (default `Dockerfile`).
    pub dockerfile: String,
    /// The image name without tag: `image` if set, else `{registry}/{image-prefix}{name}`,
    /// lowercased; always a valid OCI name.
    pub image: String,
    /// More path globs that affect the service.
    pub watch: Vec<PathGlob>,
    /// Path globs that never affect the service (they win over `context` and `watch`).
    pub ignore: Vec<PathGlob>,
    /// Names of the services or libraries it depends on, duplicates removed.
    pub depends_on: Vec<String>,
    /// Target platforms (`os/arch[/variant]`); empty means the builder's default.
    pub platforms: Vec<String>,
    /// Docker build arguments, in manifest order.
    pub build_args: IndexMap<String, String>,
    /// The service's own tag spec, replacing the top-level one (see [`Manifest::tag_spec`]).
    pub tags: Option<String>,
    /// The 1-based manifest line where the text of the service's `tags` starts.
    pub tags_line: Option<usize>,
    /// How gantry-dokploy deploys it, if it does.
    pub deploy: Option<ServiceDeploy>,
    pub(crate) dockerfile_path: String,
}

impl Service {
    /// The Dockerfile's repository-relative, normalised path (`context` joined with
    /// `dockerfile`, `..` applied).
    pub fn dockerfile_path(&self) -> &str {
        &self.dockerfile_path
    }
}

/// Where a service is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploy {
    /// Its stage: one of [`Deploy::stages`].
    pub stage: String,
    /// The Dokploy target.
    pub dokploy: DokployTarget,
}

/// A Dokploy application or compose service.
///
/// An `id` is either a Dokploy id or a `project/environment/service` name path (it then
/// contains `/`) for gantry-dokploy to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DokployTarget {
    /// `{application: ID}`: the application's image is set, then it is deployed.
    Application {
        /// Application id or name path.
        id: String,
    },
    /// `{compose: ID, tag-var: NAME}`: the compose environment variable `tag_var` is set to
    /// the tag, then the compose is deployed.
    Compose {
        /// Compose id or name path.
        id: String,
        /// The environment variable holding the tag (default `IMAGE_TAG`).
        tag_var: String,
    },
}

impl DokployTarget {
    /// The id or name path, whichever kind of target this is.
    pub fn id(&self) -> &str {
        match self {
            Self::Application { id } | Self::Compose { id, .. } => id,
        }
    }

    /// Whether the id is a `project/environment/service` name path rather than an id.
    pub fn is_name_path(&self) -> bool {
        self.id().contains('/')
    }
}

/// gantry-prune defaults. Unset values leave the tool's own defaults (or flags) in charge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Retention {
    /// `keep-tagged`.
    pub keep_tagged: Option<u32>,
    /// `keep-untagged`.
    pub keep_untagged: Option<u32>,
    /// `older-than`.
    pub older_than: Option<Age>,
    /// `age-from` (default `updated`).
    pub age_from: AgeFrom,
    /// `protect-tags` globs.
    pub protect_tags: Vec<String>,
    /// `delete-tags` globs.
    pub delete_tags: Vec<String>,
}

/// A duration as written (`30d`) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Age {
    /// The text from the manifest.
    pub text: String,
    /// What it means.
    pub duration: Duration,
}

/// Which timestamp of an image version `older-than` measures from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgeFrom {
    /// When the version was created (pushed first).
    Created,
    /// When the version was last updated (e.g. re-tagged).
    #[default]
    Updated,
}

/// Deployment settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deploy {
    /// `deploy.dokploy.url`, checked to be http(s).
    pub dokploy_url: Option<String>,
    /// Stages in the order they run. When the manifest lists none, this is
    /// [`DEFAULT_STAGE`] alone if any service deploys, else empty.
    pub stages: Vec<String>,
}

/// The compose variable that holds the tag when a target names no `tag-var`.
pub const DEFAULT_TAG_VAR: &str = "IMAGE_TAG";

/// The stage of every deploying service when `deploy.stages` is not given.
pub const DEFAULT_STAGE: &str = "default";

/// What a name in the dependency graph stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A service (built).
    Service,
    /// A library (not built).
    Library,
}

impl Manifest {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    /// The services in manifest order.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values()
    }

    /// The image name (no tag) of service `name`.
    pub fn image(&self, service: &str) -> Option<&str> {
        self.services.get(service).map(|s| s.image.as_str())
    }

    /// The tag spec that applies to a service: its own `tags`, else the top-level `tags`.
    /// `None` for an unknown service or when neither is set.
    pub fn tag_spec(&self, service: &str) -> Option<&str> {
        let service = self.services.get(service)?;
        service.tags.as_deref().or(self.tags.as_deref())
    }

    /// The manifest line where the text of [`Manifest::tag_spec`] starts.
    pub fn tag_spec_line(&self, service: &str) -> Option<usize> {
        let service = self.services.get(service)?;
        match service.tags {
            Some(_) => service.tags_line,
            None => self.tags.as_ref().and(self.tags_line),
        }
    }

    /// Whether `name` is a service, a library, or neither.
    pub fn kind(&self, name: &str) -> Option<NodeKind> {
        if self.services.contains_key(name) {
            Some(NodeKind::Service)
        } else if self.libraries.contains_key(name) {
            Some(NodeKind::Library)
        } else {
            None
        }
    }

    /// The direct dependencies (`depends-on`) of a service or library; empty for an unknown name.
    pub fn depends_on(&self, name: &str) -> &[String] {
        self.services
            .get(name)
            .map(|s| s.depends_on.as_slice())
            .or_else(|| self.libraries.get(name).map(|l| l.depends_on.as_slice()))
            .unwrap_or_default()
    }

    /// Everything `name` depends on, directly or not, nearest first (breadth-first, in
    /// `depends-on` order), each once, without `name` itself.
    pub fn transitive_depends_on(&self, name: &str) -> Vec<&str> {
        let mut seen = HashSet::from([name]);
        let mut queue = VecDeque::from([name]);
        let mut found = Vec::new();
        while let Some(node) = queue.pop_front() {
            for dep in self.depends_on(node) {
                if seen.insert(dep) {
                    found.push(dep.as_str());
                    queue.push_back(dep);
                }
            }
        }
        found
    }

    /// The services that deploy in `stage`, in manifest order.
    pub fn services_in_stage<'a>(&'a self, stage: &'a str) -> impl Iterator<Item = &'a Service> {
        self.services()
            .filter(move |s| s.deploy.as_ref().is_some_and(|d| d.stage == stage))
    }
}
