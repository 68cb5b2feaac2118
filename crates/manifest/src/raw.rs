//! The shape of gantry.yml as written, with the source location of every value.
//!
//! These types are what serde-saphyr deserializes and what the JSON Schema is generated
//! from, so their doc comments are the key descriptions editors show. Required keys are
//! `Option` here and reported by validation, which can then point at the entry that lacks
//! them and report every problem at once instead of stopping at serde's first one.

use std::borrow::Cow;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_saphyr::{Location, Spanned};

use crate::model::{AgeFrom, Keep};

/// A value and where it was written (for an alias: where it was used).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Node<T> {
    pub value: T,
    pub at: Location,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Node<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            at: spanned.referenced,
        })
    }
}

/// The location is invisible in the file, so the schema is the value's.
impl<T: JsonSchema> JsonSchema for Node<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// The name of a service or library: the key of its entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(transparent)]
pub(crate) struct Name(pub String);

impl JsonSchema for Name {
    fn schema_name() -> Cow<'static, str> {
        "Name".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": crate::names::NAME_PATTERN,
            "description": "Lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit.",
        })
    }
}

pub(crate) type Entries<T> = IndexMap<Node<Name>, Node<T>>;

/// gantry.yml: the services of a monorepo, how their images are named, tagged, deployed
/// and pruned. Paths and globs are relative to the directory holding this file (the
/// repository root).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a mapping of gantry.yml keys (version, registry, services, ...)"
)]
#[schemars(title = "gantry.yml")]
pub(crate) struct RawManifest {
    /// Manifest format version; `1` is the only one.
    #[schemars(required, with = "u32", extend("enum" = [1]))]
    pub version: Option<Node<u32>>,
    /// Registry and namespace images live under, e.g. `ghcr.io/acme`. A service's image
    /// is `{registry}/{image-prefix}{service}`, lowercased, unless it sets `image`.
    pub registry: Option<Node<String>>,
    /// Put before the service name in default image names, e.g. `shop-`.
    #[schemars(extend("default" = ""))]
    pub image_prefix: Option<Node<String>>,
    /// Path globs: a change to a matching file rebuilds every service.
    pub global: Option<Vec<Node<String>>>,
    /// Path globs of files only the deploy reads, e.g. a Dokploy compose file: a change to a
    /// matching file redeploys every service with a deploy entry (their newest builds)
    /// without building anything for it.
    pub redeploy: Option<Vec<Node<String>>>,
    /// Tag rules in docker/metadata-action `tags` syntax, one per line, used by
    /// `gantry-tags --manifest`. A service's own `tags` replaces them.
    pub tags: Option<Node<String>>,
    /// Shared code that is not built on its own; services depend on it with `depends-on`.
    pub libraries: Option<Entries<RawLibrary>>,
    /// The services to build, by name, in the order tools list them.
    pub services: Option<Node<Entries<RawService>>>,
    /// Defaults for gantry-prune for every image of this manifest.
    pub retention: Option<RawRetention>,
    /// Where and in which order gantry-dokploy deploys.
    pub deploy: Option<RawDeploy>,
}

/// A library: paths whose changes affect the services that depend on it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a library mapping (paths, depends-on)"
)]
#[schemars(rename = "Library")]
pub(crate) struct RawLibrary {
    /// Path globs of the library's files.
    #[schemars(required, with = "Vec<String>")]
    pub paths: Option<Vec<Node<String>>>,
    /// Libraries (or services) this library uses; changes to them affect it too.
    pub depends_on: Option<Vec<Node<String>>>,
}

/// A service: one image built from one Dockerfile.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a service mapping (context, dockerfile, image, ...)"
)]
#[schemars(rename = "Service")]
pub(crate) struct RawService {
    /// The Docker build context, a directory. Any change below it affects the service.
    #[schemars(required, with = "String")]
    pub context: Option<Node<String>>,
    /// The Dockerfile, relative to `context`; it may point outside it with `..`.
    #[schemars(extend("default" = "Dockerfile"))]
    pub dockerfile: Option<Node<String>>,
    /// The image name (no tag), replacing `{registry}/{image-prefix}{service}`.
    pub image: Option<Node<String>>,
    /// More path globs whose changes affect the service.
    pub watch: Option<Vec<Node<String>>>,
    /// Path globs that never affect the service; they win over `context` and `watch`.
    pub ignore: Option<Vec<Node<String>>>,
    /// Services or libraries this service uses; their changes affect it, transitively.
    pub depends_on: Option<Vec<Node<String>>>,
    /// Target platforms as `os/arch[/variant]`, e.g. `linux/amd64`, `linux/arm/v7`.
    pub platforms: Option<Vec<Node<String>>>,
    /// Docker build arguments. Values are strings: quote numbers such as `"3.10"`.
    pub build_args: Option<IndexMap<Node<String>, Node<String>>>,
    /// Tag rules for this service (docker/metadata-action syntax), replacing the top-level `tags`.
    pub tags: Option<Node<String>>,
    /// How gantry-dokploy deploys this service.
    pub deploy: Option<Node<RawServiceDeploy>>,
}

/// Where a service is deployed: one target (`dokploy`), or one per environment
/// (`environments`) when the manifest declares `deploy.environments`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a service deploy mapping (stage, dokploy, health, environments)"
)]
#[schemars(transform = one_target_form)]
#[schemars(rename = "ServiceDeploy")]
pub(crate) struct RawServiceDeploy {
    /// One of `deploy.stages`; may be left out when there is only one stage.
    pub stage: Option<Node<String>>,
    /// The Dokploy application or compose service that runs the image (the single-target
    /// form, with `deploy.dokploy.url`).
    pub dokploy: Option<Node<RawDokployTarget>>,
    /// A URL that answers 2xx (or gantry-dokploy's `--health-status`) when the deployed
    /// service is healthy (the single-target form).
    #[schemars(extend("format" = "uri"))]
    pub health: Option<Node<String>>,
    /// The service's target in each environment of `deploy.environments` it deploys to; it is
    /// not deployed to the others.
    pub environments: Option<Node<Entries<RawServiceEnvironment>>>,
}

/// The schema twin of validation's rule: a deploy entry has `dokploy` or `environments`,
/// and `health` belongs to the single-target form.
fn one_target_form(schema: &mut Schema) {
    one_of_two(schema, ["dokploy", "environments"], ("health", "dokploy"));
}

/// Exactly one of the two `keys`, and the first key of `dependent` only with its second.
fn one_of_two(schema: &mut Schema, [a, b]: [&str; 2], (dependent, on): (&str, &str)) {
    schema.insert(
        "oneOf".into(),
        serde_json::json!([{"required": [a]}, {"required": [b]}]),
    );
    schema.insert(
        "dependentRequired".into(),
        serde_json::json!({dependent: [on]}),
    );
}

/// A service in one environment.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a mapping with the environment's `dokploy` target and optional `health` URL"
)]
#[schemars(rename = "ServiceEnvironment")]
pub(crate) struct RawServiceEnvironment {
    /// The Dokploy application or compose service that runs the image in this environment.
    #[schemars(required)]
    pub dokploy: Option<Node<RawDokployTarget>>,
    /// A URL that answers 2xx (or gantry-dokploy's `--health-status`) when the service
    /// deployed in this environment is healthy.
    #[schemars(extend("format" = "uri"))]
    pub health: Option<Node<String>>,
}

/// `{application: ID}` or `{compose: ID, tag-var: NAME}`. An ID may also be a
/// `project/environment/service` name path.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a mapping with `application` or `compose`"
)]
#[schemars(transform = exactly_one_target)]
#[schemars(rename = "DokployTarget")]
pub(crate) struct RawDokployTarget {
    /// A Dokploy application: its image is set to the exact image reference, then it is deployed.
    pub application: Option<Node<String>>,
    /// A Dokploy compose service: its `tag-var` environment variable is set to the tag.
    pub compose: Option<Node<String>>,
    /// The compose environment variable holding the image tag (compose only).
    #[schemars(extend("default" = "IMAGE_TAG"))]
    pub tag_var: Option<Node<String>>,
}

/// The schema twin of validation's rule: one of `application` or `compose`, and
/// `tag-var` only with `compose`.
fn exactly_one_target(schema: &mut Schema) {
    one_of_two(schema, ["application", "compose"], ("tag-var", "compose"));
}

/// Which image versions gantry-prune keeps.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a retention mapping (keep-tagged, older-than, ...)"
)]
#[schemars(rename = "Retention")]
pub(crate) struct RawRetention {
    /// Keep the newest N tagged images that are not already protected.
    pub keep_tagged: Option<Node<u32>>,
    /// Keep the newest N untagged images.
    pub keep_untagged: Option<Node<u32>>,
    /// Only delete images older than this, e.g. `30d`, `12h`, `2weeks`.
    pub older_than: Option<Node<String>>,
    /// Which timestamp `older-than` is measured from.
    pub age_from: Option<AgeFrom>,
    /// Tag globs that are never deleted, e.g. `latest`, `v*`.
    pub protect_tags: Option<Vec<Node<String>>>,
    /// Tag globs of images to delete whatever their age or rank (gantry-prune `--delete-tags`).
    pub delete_tags: Option<Vec<Node<String>>>,
    /// Retention per tag pattern, e.g. the newest 3 `pr-*` images, 20 `sha-*`, every `v*`.
    /// A version is kept when any rule matching one of its tags keeps it.
    pub rules: Option<Vec<Node<RawRetentionRule>>>,
}

/// How many versions with a matching tag one retention rule keeps, and for how long.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a retention rule mapping (tags, keep, older-than)"
)]
#[schemars(transform = keeps_something)]
#[schemars(rename = "RetentionRule")]
pub(crate) struct RawRetentionRule {
    /// A tag glob, e.g. `pr-*`, `sha-*`, `v*` or `{v*,release-*}`; the rule applies to
    /// versions with a matching tag.
    #[schemars(required, with = "String")]
    pub tags: Option<Node<String>>,
    /// Keep the newest N matching versions, or `all` of them.
    pub keep: Option<Node<Keep>>,
    /// Keep matching versions younger than this, e.g. `7d`, whatever their rank.
    pub older_than: Option<Node<String>>,
}

/// The schema twin of validation's rule: a rule says what it keeps.
fn keeps_something(schema: &mut Schema) {
    schema.insert(
        "anyOf".into(),
        serde_json::json!([{"required": ["keep"]}, {"required": ["older-than"]}]),
    );
}

/// Deployment settings for gantry-dokploy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a deploy mapping (dokploy, stages)"
)]
#[schemars(rename = "Deploy")]
pub(crate) struct RawDeploy {
    /// The Dokploy server of the single-target form (one environment, `default`). Its API
    /// key comes from the DOKPLOY_API_KEY environment variable. Not with `environments`.
    pub dokploy: Option<Node<RawDokployServer>>,
    /// Deploy stages in the order they run; services name theirs in `deploy.stage`.
    pub stages: Option<Vec<Node<String>>>,
    /// The environments services deploy to, e.g. `staging` and `production`, each with its
    /// Dokploy server. Replaces `dokploy`.
    pub environments: Option<Node<Entries<RawEnvironment>>>,
    /// Deploy-ledger entries (`{env}-{timestamp}` tags) kept per environment: the newest N
    /// distinct images deployed there, which rollbacks can return to.
    #[schemars(extend("minimum" = 1, "default" = 10))]
    pub history: Option<Node<u32>>,
}

/// One environment: its Dokploy server and where its images come from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "an environment mapping (dokploy, promote-from)"
)]
#[schemars(transform = url_required)]
#[schemars(rename = "Environment")]
pub(crate) struct RawEnvironment {
    /// The environment's Dokploy server. Its API key comes from DOKPLOY_API_KEY.
    #[schemars(required)]
    pub dokploy: Option<Node<RawDokployServer>>,
    /// Another environment: this one only receives images that ran there (e.g.
    /// `production` promotes from `staging`).
    pub promote_from: Option<Node<String>>,
}

/// The Dokploy server. Never put the API key here: it comes from DOKPLOY_API_KEY.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a mapping with the Dokploy `url`"
)]
#[schemars(rename = "DokployServer")]
pub(crate) struct RawDokployServer {
    /// Base URL of the Dokploy server, `http://` or `https://`.
    #[schemars(extend("format" = "uri"))]
    pub url: Option<Node<String>>,
}

/// The schema twin of validation's rule: an environment's server has its `url`.
fn url_required(schema: &mut Schema) {
    if let Some(server) = schema
        .get_mut("properties")
        .and_then(|properties| properties.get_mut("dokploy"))
        .and_then(|server| server.as_object_mut())
    {
        server.insert("required".into(), serde_json::json!(["url"]));
    }
}

/// Just the version, read before anything else: a manifest of another version may use keys
/// this one does not know, and "unsupported version" is the useful error then.
#[derive(Deserialize)]
pub(crate) struct VersionProbe {
    pub version: Option<Node<u32>>,
}
