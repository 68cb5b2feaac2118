//! Test support for gantry (dev-dependency only).
//!
//! - [`registry`]: a real OCI registry per test (Debian's `docker-registry`) with blob,
//!   manifest and tag helpers over plain HTTP.
//! - [`image`]: builders that push synthetic images, indexes, attestations, referrers and
//!   cosign tags, returning every digest they made.
//! - [`skopeo`]: checks through `skopeo`, a client independent of gantry.
//! - [`dokploy`]: a stateful fake Dokploy API (queue, deployment rows, scripted failures).
//! - [`github`]: a fake of the GitHub Packages REST API and ghcr.io over a [`Registry`].
//! - [`corpus`]: the hostile input corpus of `tests/corpus/`, run through a real binary.
//! - [`scan`]: forged workflow commands and leaked secrets in what a binary printed.
//! - [`faults`]: an HTTP proxy that injects faults in front of a real server.
//! - [`workflow`]: a workflow simulator that runs GitHub Actions workflows from their YAML
//!   (reusable workflows, matrices, composite actions, stand-ins for third-party actions).
//! - [`process`]: a gantry binary run with a clean environment, or as a runner [`Step`]
//!   whose outputs and summary are read back as a later step would.
//!
//! Every helper is synchronous and panics with context on failure, so it works the same in
//! plain `#[test]`s and in `#[tokio::test]`s: the HTTP work runs on a runtime of the testkit's
//! own, on a separate thread.

pub mod corpus;
pub mod dokploy;
pub mod faults;
pub mod github;
pub mod health;
pub mod image;
pub mod process;
pub mod registry;
pub mod scan;
pub mod skopeo;
pub mod workflow;

pub use image::{
    Attestation, BulkIndex, CosignKind, CosignTag, Descriptor, Format, Image, Index, Platform,
    Referrer, SharedChild,
};
pub use process::{Run, Step};
pub use registry::{BASIC_PASSWORD, BASIC_USER, Blob, Registry, RegistryOptions, StoredManifest};

use std::future::Future;
use std::sync::OnceLock;

/// Runs `future` to completion on the testkit runtime from any context, including inside
/// another runtime (where `Runtime::block_on` itself would panic): a scoped thread drives it.
pub(crate) fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gantry-testkit")
            .enable_all()
            .build()
            .expect("build the testkit runtime")
    });
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(future))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
