//! What every gantry tool shares, so that a tool crate is its domain and one descriptor:
//!
//! ```no_run
//! # #[derive(clap::Parser)] struct Args { #[command(flatten)] format: gantry_cli::FormatArgs }
//! # struct Done;
//! # impl gantry_cli::Report for Done {
//! #     fn text(&self) -> String { String::new() }
//! #     fn json(&self) -> String { String::new() }
//! #     fn outputs(&self) -> Vec<(String, String)> { Vec::new() }
//! #     fn summary(&self) -> gantry_gha::Summary { gantry_gha::Summary::new() }
//! # }
//! impl gantry_cli::Invocation for Args {
//!     type Report = Done;
//!     fn run(self, runtime: &gantry_gha::Runtime) -> Result<Done, gantry_cli::Error> { Ok(Done) }
//! }
//! pub const TOOL: gantry_cli::Tool = gantry_cli::Tool::new::<Args>("demo", &[], &[]);
//!
//! fn main() -> std::process::ExitCode {
//!     gantry_cli::main(&TOOL)
//! }
//! ```
//!
//! - The tool descriptor ([`Tool`]): name, clap command, outputs, the secrets it reads
//!   ([`SecretInput`]) and its run ([`Invocation`]). The multicall binary ([`multicall`]), the
//!   generated actions and docs, and the masking at start all read it.
//! - One publish path ([`publish`]) for every [`Report`]: the document on stdout (a closed
//!   stdout is a normal end), then the step outputs, exported variables and step summary.
//! - Exit statuses ([`ExitStatus`]): 0 done, 1 the operation failed, 2 bad input; tool errors
//!   say which by implementing [`Classify`], and travel to `main` as an [`Error`].
//! - Errors rendered by miette on stderr, plus an `::error file=…,line=…,col=…::` annotation
//!   under Actions ([`render_report`], [`error_annotation`]); secrets are redacted before the
//!   report is laid out, and a cause the message already quotes is not repeated. Manifest
//!   warnings ([`report_warning`]) are annotated too, unless [`MANIFEST_WARNINGS_VAR`] is `log`
//!   (jobs after the one that planned the run).
//! - Argument groups: [`FormatArgs`], [`GithubArgs`], [`ManifestArgs`], and list values
//!   ([`list_items`]); `-v/--verbose` is added to every tool, and an empty
//!   `INPUT_*`/`GITHUB_*` variable counts as unset.
//! - Process setup: the [`gantry_gha::Runtime`], masking of every tool's secrets and of the
//!   job's token, logging through its tracing layer, a panic hook that reports a bug briefly.

mod args;
mod exit;
mod publish;
mod redacted;
mod report;
mod run;
mod tool;

pub use args::{
    DEFAULT_MANIFEST, Format, FormatArgs, GithubArgs, ManifestArgs, find_manifest, list_items,
};
pub use exit::{Classify, Error, ExitStatus};
pub use gantry_gha::SecretInput;
pub use publish::{Report, publish};
pub use report::{
    MANIFEST_WARNINGS_VAR, REPORT_WIDTH, WARNINGS_SHOWN, check_warnings_setting, error_annotation,
    render_report, report_error, report_warning, report_warnings,
};
pub use run::{block_on, command, main, multicall, parse, secret_vars};
pub use tool::{Invocation, Output, Tool};
