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
//!   under Actions ([`render_report`], [`error_annotation`]).
//! - Argument groups: [`FormatArgs`], [`GithubArgs`], [`ManifestArgs`]; `-v/--verbose` is added
//!   to every binary, and an empty `INPUT_*`/`GITHUB_*` variable counts as unset.
//! - Process setup: the [`gantry_gha::Runtime`], masking of [`SECRET_VARS`], logging through
//!   its tracing layer, a panic hook that reports a bug briefly.

mod args;
mod exit;
mod report;
mod run;

pub use args::{DEFAULT_MANIFEST, Format, FormatArgs, GithubArgs, ManifestArgs, find_manifest};
pub use exit::{Classify, Error, ExitStatus};
pub use report::{
    REPORT_WIDTH, WARNINGS_SHOWN, error_annotation, render_report, report_error, report_warning,
    report_warnings,
};
pub use run::{SECRET_VARS, command, finish, parse_args, run, run_async};
