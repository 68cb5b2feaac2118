//! Where versions come from and go to: the [`Backend`] trait, its GHCR and OCI
//! implementations, package selection and the API-call counts.

mod ghcr;
mod oci;

use globset::{GlobBuilder, GlobMatcher};
use jiff::Timestamp;
use serde::Serialize;

pub use ghcr::GhcrBackend;
pub use oci::{JOURNAL_ANNOTATION, JOURNAL_TAG, JOURNAL_TYPE, OciBackend};

use crate::engine::Planned;
use crate::error::PruneError;
use crate::github::{Deleted, PackageNames};
use crate::model::{ManifestFacts, Version};
use crate::plan::Knowledge;
use crate::rules::GlobError;

/// A registry that lists, reads and deletes package versions.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// Every package name the owner has (only asked for when `--packages` has globs).
    async fn list_packages(&self) -> Result<PackageNames, PruneError>;
    /// Every version of `package`; `None` when there is no such package.
    async fn versions(&self, package: &str) -> Result<Option<Vec<Version>>, PruneError>;
    /// The manifest of a version; a failure becomes [`Knowledge::Unreadable`].
    async fn read(&self, package: &str, digest: &str) -> Knowledge;
    async fn delete(&self, package: &str, version: &Version) -> Result<Deleted, PruneError>;
    /// Before a package's deletions: a backend whose listing could not find what they leave
    /// unreachable records it here. An error is a warning: the deletions still run.
    async fn before_deletes(&self, _package: &str, _planned: &Planned) -> Result<(), PruneError> {
        Ok(())
    }
    /// After them: what [`Backend::before_deletes`] recorded and is gone now is forgotten.
    async fn after_deletes(&self, _package: &str, _planned: &Planned) -> Result<(), PruneError> {
        Ok(())
    }
    /// Requests left in the rate-limit window, and when it resets; `None` without a limit.
    fn budget(&self) -> Option<(u64, Option<Timestamp>)>;
    fn calls(&self) -> ApiCalls;
    /// How a package is named in reports: `acme/api`.
    fn display_name(&self, package: &str) -> String;
}

/// Requests to the GitHub REST API, by kind. Each kind counts logical calls; repeats after
/// a failed attempt are `retries`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RestCalls {
    pub owner_lookups: u64,
    pub package_pages: u64,
    pub version_pages: u64,
    pub deletes: u64,
    /// Versions read back after a DELETE answered 404.
    pub read_backs: u64,
    pub retries: u64,
    pub total: u64,
}

/// Requests to the registry, by kind (GHCR: manifest reads only; OCI: everything). Each kind
/// counts one request per call; `auth` and `retries` are the requests needed beyond those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RegistryCalls {
    pub manifest_reads: u64,
    pub tag_pages: u64,
    pub deletes: u64,
    /// OCI backend: journal manifests pushed.
    pub manifest_writes: u64,
    /// 401 challenges answered and token requests.
    pub auth: u64,
    pub retries: u64,
    pub total: u64,
}

/// Requests to the Dokploy panels (reading what runs, with a manifest's environments and
/// `DOKPLOY_API_KEY`): `reads` counts one per call, `retries` the repeats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DokployCalls {
    pub reads: u64,
    pub retries: u64,
    pub total: u64,
}

impl From<gantry_dokploy::client::Requests> for DokployCalls {
    fn from(requests: gantry_dokploy::client::Requests) -> DokployCalls {
        DokployCalls {
            reads: requests.calls,
            retries: requests.sent.saturating_sub(requests.calls),
            total: requests.sent,
        }
    }
}

impl std::ops::AddAssign for DokployCalls {
    fn add_assign(&mut self, other: DokployCalls) {
        self.reads += other.reads;
        self.retries += other.retries;
        self.total += other.total;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApiCalls {
    pub rest: RestCalls,
    pub registry: RegistryCalls,
    pub dokploy: DokployCalls,
}

impl From<gantry_registry::RequestStats> for RegistryCalls {
    fn from(stats: gantry_registry::RequestStats) -> RegistryCalls {
        RegistryCalls {
            manifest_reads: stats.manifest_gets,
            tag_pages: stats.tag_list_gets,
            deletes: stats.deletes,
            manifest_writes: 0,
            auth: stats.challenges + stats.token_requests,
            retries: stats.retries,
            total: stats.total(),
        }
    }
}

/// What a manifest read came to, as the planner wants it.
fn knowledge(
    read: Result<gantry_registry::FetchedManifest, gantry_registry::RegistryError>,
) -> Knowledge {
    match read {
        Ok(fetched) => Knowledge::Read(ManifestFacts::from_manifest(&fetched.manifest)),
        Err(err) => Knowledge::Unreadable(err.to_string()),
    }
}

/// `--packages`: exact names, and globs (`*` stays within one path segment).
#[derive(Debug, Clone, Default)]
pub struct PackageSelection {
    exact: Vec<String>,
    globs: Vec<(String, GlobMatcher)>,
}

impl PackageSelection {
    pub fn new(requested: &[String]) -> Result<PackageSelection, GlobError> {
        let mut selection = PackageSelection::default();
        for name in requested {
            if name.contains(['*', '?', '[', '{']) {
                let matcher = GlobBuilder::new(name)
                    .literal_separator(true)
                    .build()
                    .map_err(|err| GlobError {
                        glob: name.clone(),
                        problem: err.kind().to_string(),
                        input: "--packages",
                    })?
                    .compile_matcher();
                selection.globs.push((name.clone(), matcher));
            } else if !selection.exact.contains(name) {
                selection.exact.push(name.clone());
            }
        }
        Ok(selection)
    }

    /// Globs need the owner's package list; exact names do not.
    pub fn needs_listing(&self) -> bool {
        !self.globs.is_empty()
    }

    /// The exact names in the order given, then the listed packages a glob matches.
    pub fn resolve(&self, listed: &[String]) -> Vec<String> {
        let mut names = self.exact.clone();
        for name in listed {
            if self.globs.iter().any(|(_, glob)| glob.is_match(name)) && !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.globs.is_empty()
    }
}

/// The packages to prune: the listing is read only when globs need it. The flag says the
/// listing stopped at GitHub's window, so a glob may have missed packages beyond it.
pub async fn select_packages<B: Backend>(
    backend: &B,
    selection: &PackageSelection,
) -> Result<(Vec<String>, bool), PruneError> {
    if !selection.needs_listing() {
        return Ok((selection.resolve(&[]), false));
    }
    let listed = backend.list_packages().await?;
    Ok((selection.resolve(&listed.names), listed.windowed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_pass_and_globs_match_listed_packages() {
        let requested: Vec<String> = ["api", "team/*", "web-?", "api"]
            .map(str::to_owned)
            .to_vec();
        let selection = PackageSelection::new(&requested).unwrap();
        assert!(selection.needs_listing());
        let listed: Vec<String> = ["team/a", "team/b/c", "web-1", "web-10", "api"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            selection.resolve(&listed),
            ["api", "team/a", "web-1"],
            "`*` stays within a segment"
        );
        let exact = PackageSelection::new(&["a".to_owned()]).unwrap();
        assert!(!exact.needs_listing());
        assert!(PackageSelection::new(&["[".to_owned()]).is_err());
    }
}
