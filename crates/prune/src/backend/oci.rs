//! Any OCI registry that accepts manifest DELETE, through the distribution API.
//!
//! The distribution API lists tags, not manifests, so the versions of a repository are the
//! manifests its tags point at plus everything those reach (children of indexes, at any
//! depth). An untagged manifest nothing reaches (a leftover platform image, an OCI 1.1
//! referrer on a registry without the referrers API) cannot be found, so it is never deleted
//! and never needed. Dates come from the `org.opencontainers.image.created` annotation (an
//! index without one takes its newest child's); a version without a date is never aged out.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use futures::StreamExt as _;
use gantry_registry::{
    Deletion, Digest, FetchedManifest, RegistryClient, RegistryError, Repository, TagOrDigest,
};
use jiff::Timestamp;

use super::{ApiCalls, Backend, RegistryCalls, knowledge};
use crate::error::PruneError;
use crate::github::Deleted;
use crate::model::{ManifestFacts, Version};
use crate::plan::Knowledge;

/// Manifest reads in flight while a repository is walked.
const READ_CONCURRENCY: usize = 8;

pub struct OciBackend {
    client: RegistryClient,
    owner: String,
    /// What the walk read, by (package, digest): the planner's reads are served from here.
    read: Mutex<HashMap<(String, String), Knowledge>>,
}

impl OciBackend {
    /// Packages are the repositories `owner/package` of `client`'s registry.
    pub fn new(client: RegistryClient, owner: &str) -> OciBackend {
        OciBackend {
            client,
            owner: owner.to_owned(),
            read: Mutex::new(HashMap::new()),
        }
    }

    fn repository(&self, package: &str) -> Result<Repository, PruneError> {
        Repository::parse(&format!("{}/{package}", self.owner))
            .map_err(|err| PruneError::BadInput(err.to_string()))
    }

    /// Reads `references` (tags or digests) a few at a time; results in the same order.
    async fn read_all(
        &self,
        repository: &Repository,
        references: Vec<String>,
    ) -> Vec<(String, Result<FetchedManifest, RegistryError>)> {
        futures::stream::iter(references)
            .map(|text| async move {
                let read = match TagOrDigest::parse(&text) {
                    Ok(reference) => self.client.get_manifest(repository, &reference).await,
                    Err(err) => Err(err.into()),
                };
                (text, read)
            })
            .buffered(READ_CONCURRENCY)
            .collect()
            .await
    }

    fn remember(&self, package: &str, digest: &str, knowledge: Knowledge) {
        self.read
            .lock()
            .expect("read cache poisoned")
            .insert((package.to_owned(), digest.to_owned()), knowledge);
    }
}

impl Backend for OciBackend {
    async fn list_packages(&self) -> Result<Vec<String>, PruneError> {
        Err(PruneError::BadInput(
            "package globs need a package listing, which the distribution API does not have: give exact names with --backend oci".to_owned(),
        ))
    }

    async fn versions(&self, package: &str) -> Result<Option<Vec<Version>>, PruneError> {
        let repository = self.repository(package)?;
        let tags = match self.client.list_tags(&repository).await {
            Ok(tags) => tags,
            Err(RegistryError::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        // Tags first: each read names the digest the tag points at.
        let mut tags_of: HashMap<String, Vec<String>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut facts: HashMap<String, ManifestFacts> = HashMap::new();
        let tag_reads = self.read_all(&repository, tags).await;
        for (tag, read) in tag_reads {
            let fetched = match read {
                Ok(fetched) => fetched,
                // Deleted since the listing: nothing to keep or delete.
                Err(RegistryError::NotFound { .. }) => continue,
                Err(err) => return Err(err.into()),
            };
            let digest = fetched.digest.to_string();
            if !tags_of.contains_key(&digest) {
                order.push(digest.clone());
            }
            tags_of.entry(digest.clone()).or_default().push(tag);
            facts
                .entry(digest)
                .or_insert_with(|| ManifestFacts::from_manifest(&fetched.manifest));
        }
        // Then everything the tagged manifests reach.
        let mut frontier: Vec<String> = order
            .iter()
            .flat_map(|digest| facts[digest].children.clone())
            .collect();
        let mut seen: HashSet<String> = order.iter().cloned().collect();
        while !frontier.is_empty() {
            let wanted: Vec<String> = frontier
                .drain(..)
                .filter(|digest| seen.insert(digest.clone()))
                .collect();
            let reads = self.read_all(&repository, wanted).await;
            for (digest, read) in reads {
                match knowledge(read) {
                    Knowledge::Read(child) => {
                        frontier.extend(child.children.iter().cloned());
                        order.push(digest.clone());
                        facts.insert(digest, child);
                    }
                    // A child that cannot be read: its parent's package fails closed when
                    // the planner asks for it.
                    unreadable => {
                        order.push(digest.clone());
                        self.remember(package, &digest, unreadable);
                    }
                }
            }
        }
        let created = dates(&order, &facts);
        let versions = order
            .iter()
            .enumerate()
            .map(|(position, digest)| {
                let mut tags = tags_of.remove(digest).unwrap_or_default();
                tags.sort();
                Version {
                    id: position as u64 + 1,
                    digest: digest.clone(),
                    tags,
                    created_at: created.get(digest).copied(),
                    updated_at: created.get(digest).copied(),
                }
            })
            .collect();
        for (digest, facts) in facts {
            self.remember(package, &digest, Knowledge::Read(facts));
        }
        Ok(Some(versions))
    }

    async fn read(&self, package: &str, digest: &str) -> Knowledge {
        let cached = self
            .read
            .lock()
            .expect("read cache poisoned")
            .get(&(package.to_owned(), digest.to_owned()))
            .cloned();
        if let Some(known) = cached {
            return known;
        }
        let read = match (self.repository(package), Digest::parse(digest)) {
            (Ok(repository), Ok(parsed)) => {
                self.client
                    .get_manifest(&repository, &TagOrDigest::Digest(parsed))
                    .await
            }
            (Err(err), _) => return Knowledge::Unreadable(err.to_string()),
            (_, Err(err)) => Err(err.into()),
        };
        knowledge(read)
    }

    async fn delete(&self, package: &str, version: &Version) -> Result<Deleted, PruneError> {
        let repository = self.repository(package)?;
        let digest = Digest::parse(&version.digest).map_err(RegistryError::from)?;
        match self.client.delete_manifest(&repository, &digest).await? {
            Deletion::Deleted => Ok(Deleted::Done),
            Deletion::AlreadyGone => Ok(Deleted::AlreadyGone),
        }
    }

    fn budget(&self) -> Option<(u64, Option<Timestamp>)> {
        None
    }

    fn calls(&self) -> ApiCalls {
        ApiCalls {
            rest: Default::default(),
            registry: RegistryCalls::from(self.client.stats()),
        }
    }

    fn display_name(&self, package: &str) -> String {
        format!("{}/{package}", self.owner)
    }
}

/// Each manifest's date: its own annotation, else (for an index) its newest child's.
fn dates(order: &[String], facts: &HashMap<String, ManifestFacts>) -> HashMap<String, Timestamp> {
    fn date(
        digest: &str,
        facts: &HashMap<String, ManifestFacts>,
        visiting: &mut HashSet<String>,
    ) -> Option<Timestamp> {
        let manifest = facts.get(digest)?;
        if let Some(created) = manifest.created {
            return Some(created);
        }
        if !visiting.insert(digest.to_owned()) {
            return None;
        }
        manifest
            .children
            .iter()
            .filter_map(|child| date(child, facts, visiting))
            .max()
    }
    order
        .iter()
        .filter_map(|digest| Some((digest.clone(), date(digest, facts, &mut HashSet::new())?)))
        .collect()
}
