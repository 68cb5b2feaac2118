//! gantry-prune: retention for GHCR and OCI registries that never breaks a kept image.
//!
//! - [`args`]: the flags, each also from `INPUT_*`; [`run`]: the run, from the flags and the
//!   manifest's `retention:` defaults to the backend and the engine; [`report`]: the JSON
//!   document, the text report, the step summary, the outputs and the verdict; [`error`]:
//!   everything a run can fail with.
//! - [`deployed`]: what the manifest's Dokploy targets run now, kept in their packages.
//! - [`plan`]: the pure planner. From a package's versions, the manifests read so far and the
//!   [`rules::Rules`], what is kept, deleted (parents first) or skipped, and which manifests
//!   must still be read: exactly those safety needs.
//! - [`backend`]: where versions come from and go to. [`backend::GhcrBackend`] lists and
//!   deletes through the GitHub Packages REST API ([`github`]) and reads manifests from the
//!   registry; [`backend::OciBackend`] does everything through the distribution API.
//! - [`engine`]: runs the plan: reads, then deletes in waves, paced (governor) under GitHub's
//!   secondary limit, within the primary budget, stopping cleanly when it is spent.

pub mod args;
pub mod backend;
pub mod deployed;
pub mod engine;
pub mod error;
pub mod github;
pub mod model;
pub mod plan;
pub mod report;
pub mod rules;
pub mod run;

pub use args::Args;
pub use run::prune;

use gantry_cli::{SecretInput, Tool};
use gantry_registry::credentials::{PASSWORD_INPUT, token_input};

/// The Dokploy API key: what runs now is kept ([`deployed`]).
const DOKPLOY_KEY_INPUT: SecretInput = SecretInput {
    input: "dokploy-api-key",
    var: gantry_dokploy::API_KEY_VAR,
    default: "",
    required: false,
    description: "Dokploy API key (from a secret), passed as DOKPLOY_API_KEY: with a \
                  manifest that has deploy.environments, the images each target runs \
                  now are kept (an unreadable panel leaves its services' packages \
                  untouched)",
};

/// gantry-prune's descriptor.
pub const TOOL: Tool = Tool::new::<Args>(
    "prune",
    report::OUTPUTS,
    &[
        token_input(
            "GitHub token, passed as GITHUB_TOKEN: lists and deletes package versions \
             (GITHUB_TOKEN needs packages: write and the Admin role on each package; else a \
             classic PAT with delete:packages, see docs/prune.md)",
        ),
        PASSWORD_INPUT,
        DOKPLOY_KEY_INPUT,
    ],
);
