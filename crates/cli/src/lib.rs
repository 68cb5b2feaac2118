//! What every gantry binary shares, so that its `main.rs` is one line:
//!
//! ```no_run
//! # #[derive(clap::Parser)] struct Args {}
//! # async fn tool(args: Args, runtime: &gantry_gha::Runtime) -> Result<(), gantry_cli::Error> { Ok(()) }
//! fn main() -> std::process::ExitCode {
//!     gantry_cli::run_async(tool)
//! }
//! ```
//!
//! - Exit statuses ([`ExitStatus`]): 0 done, 1 the operation failed, 2 bad input; tool errors
//!   say which by implementing [`Classify`], and travel to `main` as an [`Error`].
//! - Errors rendered by miette on stderr, plus an `::error file=…,line=…,col=…::` annotation
//!   under Actions ([`render_report`], [`error_annotation`]); secrets are redacted before the
//!   report is laid out, and a cause the message already quotes is not repeated. Manifest
//!   warnings ([`report_warning`]) are annotated too, unless [`MANIFEST_WARNINGS_VAR`] is `log`
//!   (jobs after the one that planned the run).
//! - Argument groups: [`FormatArgs`], [`GithubArgs`], [`ManifestArgs`]; `-v/--verbose` is added
//!   to every binary, and an empty `INPUT_*`/`GITHUB_*` variable counts as unset.
//! - Process setup: the [`gantry_gha::Runtime`], masking of [`SECRET_VARS`], logging through
//!   its tracing layer, a panic hook that reports a bug briefly.

mod args;
mod exit;
mod redacted;
mod report;
mod run;

pub use args::{DEFAULT_MANIFEST, Format, FormatArgs, GithubArgs, ManifestArgs};
pub use exit::{Classify, Error, ExitStatus};
pub use report::{
    MANIFEST_WARNINGS_VAR, REPORT_WIDTH, check_warnings_setting, error_annotation, render_report,
    report_error, report_warning,
};
pub use run::{SECRET_VARS, command, finish, parse_args, run, run_async};
