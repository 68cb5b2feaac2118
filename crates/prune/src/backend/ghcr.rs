//! GHCR: versions listed and deleted through the GitHub Packages REST API, manifests read
//! from the registry (`ghcr.io`, or `--registry-url`).

use std::sync::atomic::{AtomicU64, Ordering};

use gantry_registry::{Digest, RegistryClient, Repository, TagOrDigest};
use jiff::Timestamp;

use super::{ApiCalls, Backend, RegistryCalls, RestCalls, knowledge};
use crate::error::PruneError;
use crate::github::{Deleted, GithubApi, Owner, PackageNames};
use crate::model::Version;
use crate::plan::Knowledge;

pub struct GhcrBackend {
    api: GithubApi,
    owner: Owner,
    registry: RegistryClient,
}

impl GhcrBackend {
    /// Looks the owner up (its kind picks `/orgs`, `/users` or, for the token's own
    /// account, `/user`): one REST call, two for a user.
    pub async fn connect(
        api: GithubApi,
        owner: &str,
        registry: RegistryClient,
    ) -> Result<GhcrBackend, PruneError> {
        let owner = api.owner(owner).await?;
        Ok(GhcrBackend {
            api,
            owner,
            registry,
        })
    }

    /// The registry repository of a package: `owner/package`, the owner lowercased as
    /// ghcr.io names it.
    fn repository(&self, package: &str) -> Result<Repository, PruneError> {
        let name = format!("{}/{package}", self.owner.login().to_lowercase());
        Repository::parse(&name).map_err(|err| PruneError::BadInput(err.to_string()))
    }
}

impl Backend for GhcrBackend {
    async fn list_packages(&self) -> Result<PackageNames, PruneError> {
        self.api.packages(&self.owner).await
    }

    async fn versions(&self, package: &str) -> Result<Option<Vec<Version>>, PruneError> {
        self.api.versions(&self.owner, package).await
    }

    async fn read(&self, package: &str, digest: &str) -> Knowledge {
        let target = match (self.repository(package), Digest::parse(digest)) {
            (Ok(repository), Ok(digest)) => (repository, TagOrDigest::Digest(digest)),
            (Err(err), _) => return Knowledge::Unreadable(err.to_string()),
            (_, Err(err)) => {
                return Knowledge::Unreadable(format!("the version name is not a digest: {err}"));
            }
        };
        knowledge(self.registry.get_manifest(&target.0, &target.1).await)
    }

    async fn delete(&self, package: &str, version: &Version) -> Result<Deleted, PruneError> {
        self.api.delete(&self.owner, package, version.id).await
    }

    fn budget(&self) -> Option<(u64, Option<Timestamp>)> {
        let limit = self.api.rate_limit()?;
        let reset = limit
            .reset
            .and_then(|reset| Timestamp::try_from(reset).ok());
        Some((limit.remaining?, reset))
    }

    fn calls(&self) -> ApiCalls {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = &self.api.counters;
        let mut rest = RestCalls {
            owner_lookups: read(&counters.owner_lookups),
            package_pages: read(&counters.package_pages),
            version_pages: read(&counters.version_pages),
            deletes: read(&counters.deletes),
            read_backs: read(&counters.read_backs),
            retries: read(&counters.retries),
            total: 0,
        };
        rest.total = rest.owner_lookups
            + rest.package_pages
            + rest.version_pages
            + rest.deletes
            + rest.read_backs
            + rest.retries;
        ApiCalls {
            rest,
            registry: RegistryCalls::from(self.registry.stats()),
            dokploy: Default::default(),
        }
    }

    fn display_name(&self, package: &str) -> String {
        format!("{}/{package}", self.owner.login())
    }
}
