//! The GitHub Actions runtime contract of gantry's binaries, owned here rather than borrowed:
//!
//! - [`Context`]: the `GITHUB_*` variables and the typed event payload ([`event`]).
//! - [`Inputs`]: `INPUT_*` variables, where an empty value is an absent one.
//! - [`Runtime`]: outputs (`GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`), the step summary
//!   ([`Summary`]), annotations and other workflow commands ([`commands`]), masking
//!   ([`Secret`], [`Redactor`]) and a tracing layer ([`ActionsLayer`]).
//!
//! Everything reads an injected [`Env`] and writes to an injected log, so it is tested without
//! a process. Outside Actions (`GITHUB_ACTIONS` is not `true`) nothing is written to files and
//! workflow commands become plain stderr lines.

pub mod commands;
mod context;
mod env;
pub mod event;
pub mod files;
pub mod inputs;
mod layer;
mod runtime;
mod secret;
pub mod summary;

pub use commands::{Annotation, AnnotationLevel};
pub use context::{
    Context, ContextError, ContextVars, DEFAULT_API_URL, DEFAULT_SERVER_URL, Payload,
};
pub use env::Env;
pub use event::Event;
pub use files::EnvFileError;
pub use inputs::{InputError, Inputs, SecretInput};
pub use layer::ActionsLayer;
pub use runtime::{CapturedLog, Group, MIN_SECRET_CHARS, Runtime};
pub use secret::{MASK, Redactor, Secret};
pub use summary::{Cell, Summary};
