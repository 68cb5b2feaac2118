//! Integration tests of gantry-manifest.

mod api;
mod example;
mod files;
mod props;
mod rules;
mod schema;
mod snapshots;
mod support;
