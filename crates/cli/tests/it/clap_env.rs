//! Does clap take `INPUT_X=""` as a value? This test re-runs itself in a child process with
//! the variable set to empty (setting it in this process would be `unsafe`).

use std::ffi::OsStr;
use std::process::Command;

use clap::{FromArgMatches, Parser};
use gantry_cli::{Format, FormatArgs};

const CHILD: &str = "GANTRY_CLI_TEST_CHILD";

#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    format: FormatArgs,
}

#[test]
fn empty_env_values_are_absent_only_with_gantry_cli_command() {
    if std::env::var_os(CHILD).is_some() {
        // clap itself passes the empty value on, and `--format ""` is invalid ...
        assert!(Args::try_parse_from(["tool"]).is_err());
        // ... so gantry-cli drops empty variables and the default applies.
        let is_empty = |name: &OsStr| std::env::var_os(name).is_some_and(|value| value.is_empty());
        let (runtime, _log) = gantry_gha::Runtime::captured(gantry_gha::Env::default());
        let (matches, verbosity) =
            gantry_cli::parse(gantry_cli::command::<Args>(&is_empty), &runtime, ["tool"]).unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        assert_eq!(args.format.format, Format::Text);
        assert_eq!(verbosity, 0);
        return;
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "clap_env::empty_env_values_are_absent_only_with_gantry_cli_command",
        ])
        .env(CHILD, "1")
        .env("INPUT_FORMAT", "")
        .status()
        .unwrap();
    assert!(status.success(), "the child test failed: {status}");
}
