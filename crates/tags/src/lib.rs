//! gantry-tags: docker/metadata-action compatible image tags, labels and annotations.

pub mod collate;
pub mod context;
pub mod csv;
mod expr;
pub mod flavor;
pub mod image;
pub mod jsnum;
pub mod jsregex;
pub mod meta;
pub mod moment;
pub mod node_semver;
pub mod pep440;
pub mod spec;
pub mod tag;
pub mod template;

pub use context::{Repository, RunContext};
pub use meta::{Inputs, Metadata, Version, compute};
pub use spec::{Input, InputError, Line, Located, Notice};
pub mod output;
