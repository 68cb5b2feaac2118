//! Integration tests of gantry-gha: payload fixtures, the environment files and workflow
//! commands read back with the runner's own rules, and the runtime under and outside Actions.

mod commands;
mod env_files;
mod layer;
mod payloads;
mod runner;
mod runtime;
