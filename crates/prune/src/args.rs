//! The command line: every flag, each also from its `INPUT_*` variable (how the composite
//! action passes inputs); list flags take commas and newlines in one value.

use std::num::NonZeroU32;

use gantry_cli::{FormatArgs, GithubArgs, ManifestArgs};

use crate::engine::GITHUB_MAX_IN_FLIGHT;
use crate::rules::Age;

/// Retention for GHCR and any OCI registry that never breaks a kept image.
///
/// Without --apply nothing is deleted: the plan is the report.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gantry-prune", version)]
pub struct Args {
    /// Account owning the packages (ghcr.io/OWNER/…) [default: the owner of the manifest's
    /// images, else of GITHUB_REPOSITORY]
    #[arg(long, env = "INPUT_OWNER", value_name = "NAME")]
    pub owner: Option<String>,
    /// Packages: exact names or globs, comma- or newline-separated [default: the manifest's
    /// service images]
    #[arg(long, env = "INPUT_PACKAGES", value_name = "NAMES")]
    pub packages: Vec<String>,
    /// Keep the newest N tagged images the other rules would delete (protected images are
    /// kept in addition)
    #[arg(long, env = "INPUT_KEEP_TAGGED", value_name = "N")]
    pub keep_tagged: Option<u32>,
    /// Keep the newest N untagged images (children, referrers and signatures never count)
    #[arg(long, env = "INPUT_KEEP_UNTAGGED", value_name = "N")]
    pub keep_untagged: Option<u32>,
    /// Delete only images older than this: 30d, 12h, 2weeks
    #[arg(long, env = "INPUT_OLDER_THAN", value_name = "AGE", value_parser = Age::parse)]
    pub older_than: Option<Age>,
    /// Which timestamp --older-than and the newest-N ranking use [default: updated]
    #[arg(long, env = "INPUT_AGE_FROM", value_enum)]
    pub age_from: Option<AgeFromArg>,
    /// Delete only tagged images whose every tag matches one of these globs
    #[arg(long, env = "INPUT_DELETE_TAGS", value_name = "GLOBS")]
    pub delete_tags: Vec<String>,
    /// Never delete an image with a tag matching one of these globs (wins over everything)
    #[arg(long, env = "INPUT_PROTECT_TAGS", value_name = "GLOBS")]
    pub protect_tags: Vec<String>,
    /// ghcr: list and delete through the GitHub Packages API; oci: any registry that
    /// accepts manifest DELETE
    #[arg(long, env = "INPUT_BACKEND", value_enum, default_value_t = BackendKind::Ghcr)]
    pub backend: BackendKind,
    /// Registry to read manifests from (and to delete from, with --backend oci)
    /// [default: ghcr.io, or containers.HOST on GitHub Enterprise Server (HTTPS); oci: the
    /// manifest's registry]
    #[arg(long, env = "INPUT_REGISTRY_URL", value_name = "URL")]
    pub registry_url: Option<String>,
    /// User name for a registry with user and password (any registry but GitHub's, which
    /// takes GITHUB_TOKEN); the password comes from $REGISTRY_PASSWORD
    #[arg(long, env = "INPUT_USERNAME", value_name = "NAME")]
    pub username: Option<String>,
    /// Delete nothing in a package whose plan deletes more than N versions (the run fails
    /// with the numbers)
    #[arg(long, env = "INPUT_MAX_DELETE", value_name = "N")]
    pub max_delete: Option<usize>,
    /// Delete nothing in a package whose plan deletes more than P% of its versions (the run
    /// fails with the numbers)
    #[arg(long, env = "INPUT_MAX_DELETE_PERCENT", value_name = "P", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub max_delete_percent: Option<u8>,
    /// Delete. Without it nothing is deleted and the plan is the report
    #[arg(long, env = "INPUT_APPLY")]
    pub apply: bool,
    /// Pace deletes [default: 180 for ghcr, GitHub's secondary limit; unpaced for oci]
    #[arg(long, env = "INPUT_MAX_DELETES_PER_MINUTE", value_name = "N")]
    pub max_deletes_per_minute: Option<NonZeroU32>,
    /// Requests in flight at most (GitHub allows 100)
    #[arg(long, env = "INPUT_MAX_IN_FLIGHT", value_name = "N", default_value_t = GITHUB_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Ghcr,
    Oci,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgeFromArg {
    Created,
    Updated,
}
