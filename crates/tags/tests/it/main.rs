//! gantry-tags integration tests.

mod cli;
mod conformance;
mod hostile;
mod support;
