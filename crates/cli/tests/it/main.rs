//! Integration tests of gantry-cli. Its process contract (exit statuses, help, masking,
//! annotations) is tested through a demo tool in the testkit (`tests/it/cli_demo.rs` there).

mod clap_env;
