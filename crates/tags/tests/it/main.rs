//! gantry-tags integration tests.

mod checkout;
mod cli;
mod conformance;
mod differences;
mod hostile;
mod manifest;
mod properties;
mod reliability;
mod support;
