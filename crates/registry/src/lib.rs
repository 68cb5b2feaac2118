//! gantry's OCI distribution client, used by gantry-promote and gantry-prune.
//!
//! - [`reference`](mod@reference): image references (`ghcr.io/acme/api:v1@sha256:…`), repositories, tags
//!   and digests, with errors that name the bad part.
//! - [`manifest`]: a lenient model over raw manifest JSON (kind, children, attestations,
//!   `subject`, blobs) and cosign tag names.
//! - [`RegistryClient`]: read a manifest byte for byte with its verified digest, push those
//!   bytes under another tag, list tags, check and delete manifests: every registry request
//!   of gantry, on gantry-http (oci-client only models the OCI error envelope; docs/contract.md).
//! - [`credentials`]: which [`Credentials`] a registry gets from `--username` and the
//!   environment (a GitHub token only ever goes to GitHub's registries).
//! - [`RegistryError`]: typed failures; [`RegistryError::is_input_error`] picks exit status 2.

mod client;
pub mod credentials;
mod error;
pub mod manifest;
pub mod reference;

pub use client::{Credentials, Deletion, Endpoint, FetchedManifest, RegistryClient, RequestStats};
pub use credentials::{CredentialsError, EnvCredentials};
pub use error::RegistryError;
pub use gantry_http::Secret;
pub use manifest::{Descriptor, Manifest, ManifestKind, MediaTypeOrigin, Platform};
pub use reference::{Digest, ImageRef, ReferenceError, Repository, Tag, TagOrDigest};
