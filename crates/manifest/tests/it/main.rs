//! Integration tests of gantry-manifest.

mod example;
mod support;
