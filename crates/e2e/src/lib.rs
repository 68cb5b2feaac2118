//! Test-only: gantry as a workflow author meets it, through `uses:` lines.
//!
//! - [`action`]: the `action.yml` model (composite actions) and loading.
//! - [`tools`]: the tools the actions package: their descriptors, and what each generated
//!   action declares.
//! - [`snippets`]: the docs test: every fenced block of README.md and docs/ extracted and
//!   checked (workflows linted, manifests loaded, JSON shapes compared, commands run).
//! - [`documents`]: each tool's JSON document as its report types serialize it.
//! - [`runner`]: a local runner for composite actions that runs their `run:` steps the way
//!   GitHub's runner does.
//! - [`workspace`]: where the repository, the target directory and the built binaries are.
//!
//! The tests in `tests/it` use these to run every action and to fail when an `action.yml`,
//! a workflow or the docs drift from the binaries.

pub mod action;
pub mod documents;
pub mod runner;
pub mod snippets;
pub mod tools;
pub mod workspace;

pub use action::Action;
pub use runner::{ActionRun, Runner};
pub use tools::{InputSpec, Tool, tools};
