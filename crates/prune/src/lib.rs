//! gantry-prune: retention for GHCR and OCI registries that never breaks a kept image.
//!
//! - [`plan`]: the pure planner. From a package's versions, the manifests read so far and the
//!   [`rules::Rules`], what is kept, deleted (parents first) or skipped, and which manifests
//!   must still be read: exactly those safety needs.
//! - [`backend`]: where versions come from and go to. [`backend::GhcrBackend`] lists and
//!   deletes through the GitHub Packages REST API ([`github`]) and reads manifests from the
//!   registry; [`backend::OciBackend`] does everything through the distribution API.
//! - [`engine`]: runs the plan: reads, then deletes in waves, paced (governor) under GitHub's
//!   secondary limit, within the primary budget, stopping cleanly when it is spent.
//! - [`report`]: the JSON document, the text report, the step summary and the outputs.
//! - [`cli`]: flags (each also from `INPUT_*`), the manifest's `retention:` defaults, and the
//!   binary's `run`.

pub mod backend;
pub mod cli;
pub mod engine;
pub mod error;
pub mod github;
pub mod model;
pub mod plan;
pub mod report;
pub mod rules;
