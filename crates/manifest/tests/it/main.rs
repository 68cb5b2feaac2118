//! Integration tests of gantry-manifest.

mod api;
mod environments;
mod example;
mod files;
mod ledger;
mod props;
mod rules;
mod schema;
mod snapshots;
mod support;
