//! gantry-tags integration tests.

mod conformance;
