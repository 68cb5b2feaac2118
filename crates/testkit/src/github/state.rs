//! The fake's state: owners, tokens, packages read from the registry's storage, counters,
//! rate-limit windows and injected faults.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime};

use super::{FakeOptions, FakeVersion, LinkFault, OwnerKind, RequestKind, TokenKind, Visibility};
use crate::registry::Registry;

/// Version ids start above `u32::MAX`, as real ones soon will: a 32-bit id breaks at once.
const FIRST_VERSION_ID: u64 = 5_000_000_000;

/// What every handler shares.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`: absolute URLs in `Link` headers and version objects.
    pub base_url: String,
    /// The registry the packages live in, and its storage.
    pub registry_url: String,
    pub registry_basic: Option<(String, String)>,
    pub storage_root: PathBuf,
    pub options: FakeOptions,
    pub http: reqwest::Client,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(base_url: String, registry: &Registry, options: FakeOptions) -> Shared {
        gantry_http::install_crypto_provider();
        Shared {
            base_url,
            registry_url: registry.url(),
            registry_basic: registry
                .basic_auth()
                .map(|(user, password)| (user.to_owned(), password.to_owned())),
            storage_root: registry.storage_root(),
            options,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("build the fake's HTTP client"),
            state: Mutex::new(State::default()),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request to the registry behind the fake, with its credentials.
    pub fn registry_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.registry_url));
        match &self.registry_basic {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }
}

/// A token the fake accepts.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub login: String,
    pub kind: TokenKind,
}

/// One package (registry repository).
#[derive(Debug, Default)]
pub(crate) struct Package {
    /// Ids by digest, kept while the manifest exists.
    ids: HashMap<String, u64>,
    /// When the fake first saw each digest.
    first_seen: HashMap<String, SystemTime>,
    /// Times set by the test: (created, updated).
    pub overrides: HashMap<String, (SystemTime, SystemTime)>,
    /// Versions with more than 5,000 downloads.
    pub popular: HashSet<String>,
    /// Versions someone else deletes just before our DELETE.
    pub vanishing: HashSet<String>,
    pub visibility: Visibility,
    /// The versions as of the last refresh, updated by deletes.
    versions: HashMap<u64, FakeVersion>,
    /// Their ids, newest first (deleted ones are skipped when listing).
    order: Vec<u64>,
    /// How many of them have tags.
    tagged: usize,
}

impl Package {
    /// The versions, newest first.
    pub fn listing(&self) -> Vec<&FakeVersion> {
        self.order
            .iter()
            .filter_map(|id| self.versions.get(id))
            .collect()
    }

    pub fn version(&self, id: u64) -> Option<&FakeVersion> {
        self.versions.get(&id)
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// How many versions are listed.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Whether a version other than `id` has a tag.
    pub fn other_tagged(&self, id: u64) -> bool {
        let own = self
            .versions
            .get(&id)
            .is_some_and(|version| !version.tags.is_empty());
        self.tagged > usize::from(own)
    }

    /// Drops a version from the listing.
    pub fn forget(&mut self, id: u64) {
        if let Some(version) = self.versions.remove(&id) {
            self.ids.remove(&version.digest);
            if !version.tags.is_empty() {
                self.tagged -= 1;
            }
        }
    }
}

/// A fixed window of `used` requests.
#[derive(Debug)]
pub(crate) struct Window {
    pub started: Instant,
    pub used: u64,
}

impl Window {
    fn new() -> Self {
        Window {
            started: Instant::now(),
            used: 0,
        }
    }

    /// Starts a new window when `length` has passed.
    pub fn roll(&mut self, length: std::time::Duration) {
        if self.started.elapsed() >= length {
            *self = Window::new();
        }
    }
}

impl Default for Window {
    fn default() -> Self {
        Window::new()
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub owners: HashMap<String, OwnerKind>,
    tokens: HashMap<String, Token>,
    packages: HashMap<String, Package>,
    next_id: u64,
    pub counts: BTreeMap<RequestKind, u64>,
    pub rate_limited: u64,
    pub deleted: u64,
    /// Digests deleted through the API, in order.
    pub deletions: Vec<String>,
    /// (kind, status, remaining count)
    pub faults: Vec<(RequestKind, u16, usize)>,
    pub down_after_deletes: Option<u64>,
    pub down: bool,
    pub primary: Window,
    pub secondary: Window,
    pub in_flight: usize,
    pub max_in_flight_seen: usize,
    pub registry_tokens: HashSet<String>,
    /// Package names listed per owner beyond the registry's repositories.
    pub listed_only: HashMap<String, Vec<String>>,
    pub link_fault: LinkFault,
    pub version_window: Option<usize>,
}

impl State {
    pub fn add_token(&mut self, token: &str, login: &str, kind: TokenKind) {
        self.tokens.insert(
            token.to_owned(),
            Token {
                login: login.to_owned(),
                kind,
            },
        );
    }

    pub fn token(&self, token: &str) -> Option<Token> {
        self.tokens.get(token).cloned()
    }

    pub fn package_mut(&mut self, repository: &str) -> &mut Package {
        self.packages.entry(repository.to_owned()).or_default()
    }

    /// Counts a request and returns the status of an injected fault, if one applies.
    pub fn record(&mut self, kind: RequestKind) -> Option<u16> {
        *self.counts.entry(kind).or_default() += 1;
        if self.down {
            return Some(503);
        }
        let fault = self
            .faults
            .iter_mut()
            .find(|(fault_kind, _, left)| *fault_kind == kind && *left > 0)?;
        fault.2 -= 1;
        Some(fault.1)
    }

    /// A successful delete: removes the version from the listing; may take the fake down.
    pub fn deleted_version(&mut self, repository: &str, id: u64, digest: &str) {
        self.package_mut(repository).forget(id);
        self.deleted += 1;
        self.deletions.push(digest.to_owned());
        if let Some(left) = self.down_after_deletes.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.down = true;
            }
        }
    }

    /// Re-reads `repository`'s manifests and tags from the registry's storage.
    pub fn refresh(&mut self, storage_root: &Path, repository: &str) {
        let scanned = scan(storage_root, repository);
        let mut next_id = self.next_id.max(FIRST_VERSION_ID);
        let package = self.package_mut(repository);
        let present: HashSet<&str> = scanned.iter().map(|entry| entry.digest.as_str()).collect();
        package
            .ids
            .retain(|digest, _| present.contains(digest.as_str()));
        let mut listed: Vec<FakeVersion> = scanned
            .into_iter()
            .map(|entry| {
                let id = *package.ids.entry(entry.digest.clone()).or_insert_with(|| {
                    next_id += 1;
                    next_id
                });
                let first_seen = *package
                    .first_seen
                    .entry(entry.digest.clone())
                    .or_insert(entry.pushed_at);
                let (created_at, updated_at) = package
                    .overrides
                    .get(&entry.digest)
                    .copied()
                    .unwrap_or_else(|| {
                        let tagged = entry.tags.iter().map(|(_, at)| *at).max();
                        (
                            first_seen,
                            tagged.map_or(first_seen, |at| at.max(first_seen)),
                        )
                    });
                let mut tags: Vec<String> = entry.tags.into_iter().map(|(tag, _)| tag).collect();
                tags.sort();
                FakeVersion {
                    id,
                    digest: entry.digest,
                    tags,
                    created_at,
                    updated_at,
                }
            })
            .collect();
        listed.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        package.order = listed.iter().map(|version| version.id).collect();
        package.tagged = listed
            .iter()
            .filter(|version| !version.tags.is_empty())
            .count();
        package.versions = listed
            .into_iter()
            .map(|version| (version.id, version))
            .collect();
        self.next_id = next_id;
    }

    /// The repositories (packages) of `owner` in the registry's storage, sorted.
    pub fn packages_of(storage_root: &Path, owner: &str) -> Vec<String> {
        let mut found = Vec::new();
        let owner_dir = storage_root.join("repositories").join(owner);
        collect_repositories(&owner_dir, owner, &mut found);
        found.sort();
        found
    }
}

fn collect_repositories(dir: &Path, name: &str, found: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name == "_manifests" {
            if has_manifests(dir) {
                found.push(name.to_owned());
            }
        } else if !file_name.starts_with('_') && entry.path().is_dir() {
            collect_repositories(&entry.path(), &format!("{name}/{file_name}"), found);
        }
    }
}

fn has_manifests(repository_dir: &Path) -> bool {
    fs::read_dir(repository_dir.join("_manifests/revisions/sha256"))
        .map(|entries| {
            entries
                .flatten()
                .any(|entry| entry.path().join("link").exists())
        })
        .unwrap_or(false)
}

/// Deletes manifest `digest` of `repository` in the registry's storage as distribution does
/// on `DELETE /v2/<name>/manifests/<digest>`: its revision link and every tag pointing at it
/// go, the blobs stay for garbage collection. `false` when it was not there. Straight to
/// storage, because a registry process spends milliseconds of CPU on each delete and the
/// fake must delete thousands.
pub(crate) fn remove_manifest(storage_root: &Path, repository: &str, digest: &str) -> bool {
    let manifests = storage_root
        .join("repositories")
        .join(repository)
        .join("_manifests");
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return false;
    };
    let link = manifests.join("revisions/sha256").join(hex).join("link");
    if fs::remove_file(&link).is_err() {
        return false;
    }
    for entry in fs::read_dir(manifests.join("tags"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let points_here = fs::read_to_string(entry.path().join("current/link"))
            .is_ok_and(|current| current.trim() == digest);
        if points_here {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    true
}

/// A manifest found in storage.
struct Scanned {
    digest: String,
    pushed_at: SystemTime,
    tags: Vec<(String, SystemTime)>,
}

/// Every manifest revision of `repository` with a link (deleted ones lose it), and the tags
/// pointing at each.
fn scan(storage_root: &Path, repository: &str) -> Vec<Scanned> {
    let manifests = storage_root
        .join("repositories")
        .join(repository)
        .join("_manifests");
    let modified = |path: &Path| {
        fs::metadata(path)
            .and_then(|metadata| metadata.modified())
            .ok()
    };
    let mut tags: HashMap<String, Vec<(String, SystemTime)>> = HashMap::new();
    for entry in fs::read_dir(manifests.join("tags"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let link = entry.path().join("current/link");
        if let (Ok(digest), Some(at)) = (fs::read_to_string(&link), modified(&link)) {
            tags.entry(digest.trim().to_owned())
                .or_default()
                .push((entry.file_name().to_string_lossy().into_owned(), at));
        }
    }
    fs::read_dir(manifests.join("revisions/sha256"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pushed_at = modified(&entry.path().join("link"))?;
            let digest = format!("sha256:{}", entry.file_name().to_string_lossy());
            Some(Scanned {
                tags: tags.remove(&digest).unwrap_or_default(),
                digest,
                pushed_at,
            })
        })
        .collect()
}
