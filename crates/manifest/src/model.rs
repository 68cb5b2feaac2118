//! The validated manifest: plain values, defaults applied, names resolved.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

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
    /// `redeploy`: path globs of files only the deploy reads; a change redeploys, builds
    /// nothing.
    pub redeploy: Vec<PathGlob>,
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

    /// The service's target in `environment`, if it deploys there.
    pub fn target(&self, environment: &str) -> Option<&ServiceTarget> {
        self.deploy.as_ref()?.environments.get(environment)
    }
}

/// Where a service is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploy {
    /// Its stage: one of [`Deploy::stages`], the same in every environment.
    pub stage: String,
    /// Its target in each environment it deploys to, in the order of
    /// [`Deploy::environments`]; never empty. The single-target form gives the one
    /// target of environment [`DEFAULT_ENVIRONMENT`].
    pub environments: IndexMap<String, ServiceTarget>,
}

/// A service in one environment: what runs its image, and how to tell it is healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTarget {
    /// The Dokploy target.
    pub dokploy: DokployTarget,
    /// An http(s) URL that answers 2xx when the deployed service is healthy.
    pub health: Option<String>,
}

/// A Dokploy application or compose service.
///
/// An `id` is either a Dokploy id or a `project/environment/service` name path (it then
/// contains `/`) for gantry-dokploy to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// `rules`: retention per tag glob, in manifest order, each glob once. The keys above
    /// are the shorthand for one rule over every tag.
    pub rules: Vec<RetentionRule>,
}

/// One `retention.rules` entry: how many versions with a matching tag to keep, and for how
/// long. It keeps a version when the version is among the `keep` newest versions the rule
/// matches, or younger than `older_than`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRule {
    /// The tag glob (`pr-*`), as written; it matches whole tags and `*` matches anything.
    pub tags: String,
    /// How many of the newest matching versions it keeps (unset: none by count).
    pub keep: Option<Keep>,
    /// Matching versions younger than this are kept whatever their rank.
    pub older_than: Option<Age>,
}

/// What a retention rule's `keep` takes, in errors.
pub(crate) const KEEP_EXPECTED: &str = "a whole number (0 or more) or `all`";

/// A retention rule's `keep`: a count, or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// `all`: every matching version.
    All,
    /// `N`: the newest N matching versions.
    Newest(u32),
}

impl<'de> Deserialize<'de> for Keep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Keep;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(KEEP_EXPECTED)
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Keep, E> {
                u32::try_from(n)
                    .map(Keep::Newest)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Keep, E> {
                u64::try_from(n)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
                    .and_then(|n| self.visit_u64(n))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Keep, E> {
                match text {
                    "all" => Ok(Keep::All),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(text), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for Keep {
    fn schema_name() -> Cow<'static, str> {
        "Keep".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [{"type": "integer", "minimum": 0}, {"const": "all"}],
            "description": "A number of versions, or `all`.",
        })
    }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    /// Stages in the order they run. When the manifest lists none, this is
    /// [`DEFAULT_STAGE`] alone if any service deploys, else empty.
    pub stages: Vec<String>,
    /// The environments, in manifest order: `deploy.environments`, or for the
    /// single-target form (`deploy.dokploy.url` and services' `deploy.dokploy`) one
    /// environment named [`DEFAULT_ENVIRONMENT`]. Empty when nothing is deployed and no
    /// Dokploy URL is given.
    pub environments: IndexMap<String, Environment>,
    /// Whether the manifest uses the single-target form rather than `deploy.environments`.
    pub single_target: bool,
    /// `deploy.history`: ledger entries kept per environment, as the newest N distinct
    /// digests among its entries (default [`DEFAULT_HISTORY`], at least 1).
    pub history: u32,
}

impl Default for Deploy {
    fn default() -> Self {
        Deploy {
            stages: Vec::new(),
            environments: IndexMap::new(),
            single_target: false,
            history: DEFAULT_HISTORY,
        }
    }
}

/// An environment services deploy to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its name (its key in `deploy.environments`), which is also its ledger tag.
    pub name: String,
    /// Its Dokploy server, http(s) without credentials. Always set for a declared
    /// environment; for [`DEFAULT_ENVIRONMENT`] of the single-target form it is
    /// `deploy.dokploy.url`, which may be left to `--dokploy-url`.
    pub dokploy_url: Option<String>,
    /// `promote-from`: the environment whose ledger its images must come from. The
    /// `promote-from` chains have no cycles.
    pub promote_from: Option<String>,
}

/// The environment of the single-target form (`deploy.dokploy.url` and services'
/// `deploy.dokploy`), so tools see every manifest as a list of environments.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// Ledger entries kept per environment when `deploy.history` is not given.
pub const DEFAULT_HISTORY: u32 = 10;

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

    /// The services that deploy in `stage` (in any environment), in manifest order.
    pub fn services_in_stage<'a>(&'a self, stage: &'a str) -> impl Iterator<Item = &'a Service> {
        self.services()
            .filter(move |s| s.deploy.as_ref().is_some_and(|d| d.stage == stage))
    }

    /// The environments in manifest order (see [`Deploy::environments`]).
    pub fn environments(&self) -> impl Iterator<Item = &Environment> {
        self.deploy.environments.values()
    }

    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.deploy.environments.get(name)
    }

    /// The environment when there is exactly one: the one a tool uses when none is named.
    pub fn only_environment(&self) -> Option<&Environment> {
        match self.deploy.environments.len() {
            1 => self.deploy.environments.get_index(0).map(|(_, env)| env),
            _ => None,
        }
    }

    /// Whether the manifest uses the single-target form: its only environment is
    /// [`DEFAULT_ENVIRONMENT`], from `deploy.dokploy` and services' `deploy.dokploy`.
    pub fn is_single_target(&self) -> bool {
        self.deploy.single_target
    }

    /// `deploy.history` (default [`DEFAULT_HISTORY`]).
    pub fn history(&self) -> u32 {
        self.deploy.history
    }

    /// Service `service`'s target in `environment`, if it deploys there.
    pub fn target(&self, service: &str, environment: &str) -> Option<&ServiceTarget> {
        self.service(service)?.target(environment)
    }

    /// The services deployed in `environment`, in manifest order.
    pub fn services_in_environment<'a>(
        &'a self,
        environment: &'a str,
    ) -> impl Iterator<Item = &'a Service> {
        self.services()
            .filter(move |s| s.target(environment).is_some())
    }

    /// The services deployed in `environment` in `stage`, in manifest order.
    pub fn services_in_environment_stage<'a>(
        &'a self,
        environment: &'a str,
        stage: &'a str,
    ) -> impl Iterator<Item = &'a Service> {
        self.services_in_stage(stage)
            .filter(move |s| s.target(environment).is_some())
    }

    /// The environment or ledger entry a tag stands for, if it is one: tags a build must
    /// not set, since gantry-dokploy moves `{env}` and writes `{env}-{stamp}` only after a
    /// successful deploy.
    pub fn reserved_tag(&self, tag: &str) -> Option<crate::ledger::Reserved<'_>> {
        crate::ledger::reserved(self.environments().map(|env| env.name.as_str()), tag)
    }
}
