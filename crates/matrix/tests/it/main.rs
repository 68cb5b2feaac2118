//! Integration tests of gantry-matrix: real git repositories, the binary as a process.

mod actions;
mod changes;
mod conformance;
mod errors;
mod events;
mod example;
mod explain;
mod props;
mod reliability;
mod since;
mod support;
