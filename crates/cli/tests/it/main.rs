//! Integration tests of gantry-cli: the demo binary run as a process, the way the runner and
//! a person run gantry's binaries.

mod clap_env;
mod demo;
