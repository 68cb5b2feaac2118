//! gantry-tags: image tags, OCI labels and annotations for a GitHub Actions run, computed as
//! docker/metadata-action computes them, without network access or a token.
//!
//! - [`compute`]: the pure computation, from the list inputs ([`Inputs`], one [`Line`] per
//!   item) and the run's [`RunContext`] (event, ref, SHA, payload, repository, clock) to the
//!   [`Metadata`]: version, tags, labels, annotations and warnings ([`Notice`]).
//! - [`ports`]: the pieces it is built from, each a faithful port of what metadata-action
//!   runs (csv-parse, Handlebars, moment, JavaScript regular expressions, node-semver,
//!   PEP 440, `localeCompare`, `Number()`, `trim()`, V8's sort), with their conformance
//!   contract.
//! - [`output`]: metadata-action's outputs (`json`, bake files, `DOCKER_METADATA_OUTPUT_*`).
//! - [`run()`]: the binary: flags and `INPUT_*`, `--manifest`/`--service`, `--context git`,
//!   the `DOCKER_METADATA_*` variables and `SOURCE_DATE_EPOCH`, outputs, summary, report.

pub mod args;
pub mod context;
pub mod error;
mod expr;
pub mod flavor;
pub mod git;
pub mod image;
pub mod meta;
pub mod output;
pub mod ports;
pub mod report;
mod run;
pub mod spec;
pub mod tag;

pub use args::Args;
pub use context::{Repository, RunContext};
pub use meta::{Inputs, Metadata, Version, compute};
pub use run::{ManifestSource, Report, Settings, input_report, run};

/// gantry-tags's descriptor: it reads no secret.
pub const TOOL: gantry_cli::Tool = gantry_cli::Tool::new::<Args>("tags", output::OUTPUTS, &[]);
pub use spec::{Input, InputError, Line, Located, Notice};
