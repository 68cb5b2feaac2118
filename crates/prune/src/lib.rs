//! gantry-prune: retention for GHCR and OCI registries that never breaks a kept image.

pub mod model;
pub mod plan;
pub mod rules;
