//! Integration tests of gantry-manifest.

mod api;
mod example;
mod files;
mod rules;
mod schema;
mod snapshots;
mod support;
