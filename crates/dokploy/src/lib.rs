//! gantry-dokploy: deploy exact image tags to Dokploy in ordered stages, wait for each
//! deployment to really finish, and roll back on failure.
//!
//! - [`args`]: the flags; [`run`]: the run (plan, connect, check, deploy); [`report`]: JSON,
//!   text, outputs, step summary and the verdict; [`error`]: what a run can fail with.
//! - [`plan`]: what to deploy, from the manifest or the flags (pure).
//! - [`client`], [`api`], [`version`]: the Dokploy REST API, typed, with the server's
//!   features read once; [`error::ApiError`] for what it can fail with.
//! - [`resolve`]: `project/environment/service` names → ids through `project.all`.
//! - [`prepare`]: every target checked, and the key's permissions, before anything changes.
//! - [`envfile`]: editing one variable of a compose env, byte-exact.
//! - [`deploy`] and [`wait`]: pin, trigger, await, roll back.
//! - [`health`]: optional HTTP checks after a stage.
//! - [`running`]: what runs where, read-only (for `--plan` and gantry-prune).

pub mod api;
pub mod args;
pub mod client;
pub mod deploy;
pub mod envfile;
pub mod error;
pub mod health;
pub mod plan;
pub mod prepare;
pub mod report;
pub mod resolve;
pub mod run;
pub mod running;
pub mod version;
pub mod wait;

pub use args::Args;
pub use prepare::prepare;

use gantry_cli::{SecretInput, Tool};

/// Lines of a failed deployment's log shown in the log and the summary.
pub const LOG_LINES: usize = 50;

/// The variable the API key comes from (never a flag or a file).
pub const API_KEY_VAR: &str = "DOKPLOY_API_KEY";

/// gantry-dokploy's descriptor.
pub const TOOL: Tool = Tool::new::<Args>(
    "dokploy",
    report::OUTPUTS,
    &[SecretInput {
        input: "api-key",
        var: API_KEY_VAR,
        default: "",
        required: true,
        description: "Dokploy API key (from a secret), passed as DOKPLOY_API_KEY",
    }],
);
