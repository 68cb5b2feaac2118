//! Any OCI registry that accepts manifest DELETE, through the distribution API.
//!
//! The distribution API lists tags, not manifests, so the versions of a repository are the
//! manifests its tags point at plus everything those reach (children of indexes, at any
//! depth). An untagged manifest nothing reaches (a leftover platform image, an OCI 1.1
//! referrer on a registry without the referrers API) cannot be found, so it is never deleted
//! and never needed. Dates come from the `org.opencontainers.image.created` annotation (an
//! index without one takes its newest child's); a version without a date is never aged out.
//!
//! The same walk would lose the children of an index once the index is deleted: a run
//! stopped between the two (cancelled, killed) would leave them behind for good. So before
//! deleting, a run writes a **journal**, tag [`JOURNAL_TAG`]: an empty OCI index (it
//! references nothing, so every client resolves it and nothing is kept alive for it) whose
//! annotation lists the untagged versions it is about to delete. The next run reads it,
//! finds what is still there and deletes it ([`Version::leftover`]) unless something kept
//! reaches it; each run rewrites the journal to what it has not deleted, and deletes it
//! when nothing is left.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt as _;
use gantry_registry::manifest::OCI_INDEX;
use gantry_registry::{
    Deletion, Digest, FetchedManifest, RegistryClient, RegistryError, Repository, Tag, TagOrDigest,
};
use jiff::Timestamp;

use super::{ApiCalls, Backend, RegistryCalls, knowledge};
use crate::engine::Planned;
use crate::error::PruneError;
use crate::github::{Deleted, PackageNames};
use crate::model::{ManifestFacts, Version};
use crate::plan::{Decision, Knowledge};

/// Manifest reads in flight while a repository is walked.
const READ_CONCURRENCY: usize = 8;

/// The journal's tag; further chunks of a long one are `gantry-prune-pending-1`, `-2`, …
pub const JOURNAL_TAG: &str = "gantry-prune-pending";
/// A journal's `artifactType`: a tag of that name on anything else is an ordinary tag.
pub const JOURNAL_TYPE: &str = "application/vnd.gantry.prune.pending.v1+json";
/// The annotation listing a journal's digests, separated by spaces.
pub const JOURNAL_ANNOTATION: &str = "dev.gantry.prune.pending";
/// Digests per journal manifest: 1.4 MB, under registries' 4 MiB manifest limit.
const JOURNAL_CHUNK: usize = 20_000;

pub struct OciBackend {
    client: RegistryClient,
    owner: String,
    /// What the walk read, by (package, digest): the planner's reads are served from here.
    read: Mutex<HashMap<(String, String), Knowledge>>,
    /// Each package's journal manifests in the registry, as listed or written.
    journals: Mutex<HashMap<String, Vec<Digest>>>,
    /// Journal manifests pushed.
    journal_writes: AtomicU64,
}

fn journal_tag(chunk: usize) -> String {
    match chunk {
        0 => JOURNAL_TAG.to_owned(),
        _ => format!("{JOURNAL_TAG}-{chunk}"),
    }
}

fn is_journal_tag(tag: &str) -> bool {
    tag == JOURNAL_TAG
        || tag
            .strip_prefix(JOURNAL_TAG)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|chunk| !chunk.is_empty() && chunk.bytes().all(|b| b.is_ascii_digit()))
}

/// A journal manifest listing `digests`.
fn journal_manifest(digests: &[&str]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "artifactType": JOURNAL_TYPE,
        "manifests": [],
        "annotations": {JOURNAL_ANNOTATION: digests.join(" ")},
    }))
    .expect("JSON values serialize")
}

/// What a repository walk has found: manifests in the order found, and what each says.
#[derive(Default)]
struct Walked {
    seen: HashSet<String>,
    order: Vec<String>,
    facts: HashMap<String, ManifestFacts>,
}

/// The untagged deletions of a plan (a tag walk finds them only through their parents),
/// only those not done when `left_only`.
fn untagged_deletions(planned: &Planned, left_only: bool) -> Vec<&str> {
    planned
        .order
        .iter()
        .flatten()
        .copied()
        .filter(|&index| planned.versions[index].tags.is_empty())
        .filter(|&index| !left_only || planned.decisions[index].decision != Decision::Delete)
        .map(|index| planned.versions[index].digest.as_str())
        .collect()
}

impl OciBackend {
    /// Packages are the repositories `owner/package` of `client`'s registry.
    pub fn new(client: RegistryClient, owner: &str) -> OciBackend {
        OciBackend {
            client,
            owner: owner.to_owned(),
            read: Mutex::new(HashMap::new()),
            journals: Mutex::new(HashMap::new()),
            journal_writes: AtomicU64::new(0),
        }
    }

    /// The journal of `package` and the digests it lists; other tags are returned as they
    /// are.
    async fn read_journal(
        &self,
        package: &str,
        repository: &Repository,
        tags: Vec<String>,
    ) -> Result<(Vec<String>, Vec<String>), PruneError> {
        let (journal_tags, mut tags): (Vec<String>, Vec<String>) =
            tags.into_iter().partition(|tag| is_journal_tag(tag));
        let mut listed = Vec::new();
        let mut journals = Vec::new();
        for (tag, read) in self.read_all(repository, journal_tags).await {
            match read {
                Ok(fetched) if fetched.manifest.artifact_type.as_deref() == Some(JOURNAL_TYPE) => {
                    journals.push(fetched.digest);
                    listed.extend(
                        fetched
                            .manifest
                            .annotations
                            .get(JOURNAL_ANNOTATION)
                            .into_iter()
                            .flat_map(|digests| digests.split_whitespace())
                            .filter(|digest| Digest::parse(digest).is_ok())
                            .map(str::to_owned),
                    );
                }
                Ok(_) => tags.push(tag),
                Err(RegistryError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        self.journals
            .lock()
            .expect("journals poisoned")
            .insert(package.to_owned(), journals);
        Ok((tags, listed))
    }

    /// Replaces the journal of `package` with one listing `digests` (none: no journal).
    async fn write_journal(&self, package: &str, digests: &[&str]) -> Result<(), PruneError> {
        let repository = self.repository(package)?;
        let old = self
            .journals
            .lock()
            .expect("journals poisoned")
            .remove(package)
            .unwrap_or_default();
        let mut written = Vec::new();
        for (chunk, digests) in digests.chunks(JOURNAL_CHUNK).enumerate() {
            let tag = Tag::parse(&journal_tag(chunk)).map_err(RegistryError::from)?;
            let raw = journal_manifest(digests);
            self.journal_writes.fetch_add(1, Ordering::Relaxed);
            written.push(
                self.client
                    .put_manifest(&repository, &tag, &raw, OCI_INDEX)
                    .await?,
            );
        }
        // The old manifests lost their tags to the new ones, or are chunks no longer needed.
        for digest in old.iter().filter(|digest| !written.contains(digest)) {
            self.client.delete_manifest(&repository, digest).await?;
        }
        self.journals
            .lock()
            .expect("journals poisoned")
            .insert(package.to_owned(), written);
        Ok(())
    }

    /// Reads `frontier` and everything it reaches that `walked` has not seen. A manifest
    /// that cannot be read is remembered as unreadable (its package fails closed), except
    /// one that is gone when `missing_is_gone`.
    async fn walk(
        &self,
        package: &str,
        repository: &Repository,
        mut frontier: Vec<String>,
        missing_is_gone: bool,
        walked: &mut Walked,
    ) {
        while !frontier.is_empty() {
            let wanted: Vec<String> = frontier
                .drain(..)
                .filter(|digest| walked.seen.insert(digest.clone()))
                .collect();
            let reads = self.read_all(repository, wanted).await;
            for (digest, read) in reads {
                if missing_is_gone && matches!(read, Err(RegistryError::NotFound { .. })) {
                    continue;
                }
                match knowledge(read) {
                    Knowledge::Read(child) => {
                        frontier.extend(child.children.iter().cloned());
                        walked.order.push(digest.clone());
                        walked.facts.insert(digest, child);
                    }
                    // A child that cannot be read: its parent's package fails closed when
                    // the planner asks for it.
                    unreadable => {
                        walked.order.push(digest.clone());
                        self.remember(package, &digest, unreadable);
                    }
                }
            }
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
    async fn list_packages(&self) -> Result<PackageNames, PruneError> {
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
        let (tags, pending) = self.read_journal(package, &repository, tags).await?;
        // Tags first: each read names the digest the tag points at.
        let mut tags_of: HashMap<String, Vec<String>> = HashMap::new();
        let mut walked = Walked::default();
        let Walked { order, facts, .. } = &mut walked;
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
        let frontier: Vec<String> = order
            .iter()
            .flat_map(|digest| facts[digest].children.clone())
            .collect();
        walked.seen = walked.order.iter().cloned().collect();
        self.walk(package, &repository, frontier, false, &mut walked)
            .await;
        // Last, what an interrupted run left and is still there.
        let reached = walked.order.len();
        self.walk(package, &repository, pending, true, &mut walked)
            .await;
        let Walked { order, facts, .. } = walked;
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
                    leftover: position >= reached,
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

    async fn before_deletes(&self, package: &str, planned: &Planned) -> Result<(), PruneError> {
        let pending = untagged_deletions(planned, false);
        if pending.is_empty() {
            return Ok(());
        }
        self.write_journal(package, &pending).await
    }

    async fn after_deletes(&self, package: &str, planned: &Planned) -> Result<(), PruneError> {
        let journaled = self
            .journals
            .lock()
            .expect("journals poisoned")
            .get(package)
            .is_some_and(|journals| !journals.is_empty());
        if !journaled {
            return Ok(());
        }
        self.write_journal(package, &untagged_deletions(planned, true))
            .await
    }

    fn budget(&self) -> Option<(u64, Option<Timestamp>)> {
        None
    }

    fn calls(&self) -> ApiCalls {
        let mut registry = RegistryCalls::from(self.client.stats());
        registry.manifest_writes = self.journal_writes.load(Ordering::Relaxed);
        registry.total += registry.manifest_writes;
        ApiCalls {
            registry,
            ..Default::default()
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
