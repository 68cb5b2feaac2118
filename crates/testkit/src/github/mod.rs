//! A stateful fake of the GitHub Packages REST API and of ghcr.io's registry front, backed by
//! a real [`Registry`].
//!
//! It follows `shared/reference/ghcr-packages.md`:
//!
//! - REST (`GITHUB_API_URL` = [`GithubFake::api_url`]): `GET /users/{owner}` for the owner
//!   type, `GET /user` for the token's account; the three owner families `/orgs/{org}`, `/users/{user}` and `/user`, each with
//!   `packages`, `packages/container/{name}`, `…/versions` and `…/versions/{id}` (GET,
//!   DELETE); `GET /rate_limit`. Package names are one path segment (`team%2Fapp`); `per_page`
//!   is capped at 100; `Link` headers carry absolute URLs with `next`, `prev`, `first`, `last`;
//!   version objects carry `metadata.container.tags`; ids are above `u32::MAX`.
//! - The registry behind it: a package `{owner}/{name}` is the registry repository of that
//!   path, and every manifest in it (tagged or not) is a version, read from the registry's
//!   storage, so pushes through any client show up. Deleting a version deletes the manifest
//!   in the registry's storage as distribution's own delete does (revision link and tags),
//!   so `skopeo` sees what a pruner left.
//! - ghcr.io (`--registry-url` = [`GithubFake::registry_url`]): manifests, blobs and tags
//!   proxied to the registry behind the standard 401 challenge and token exchange (Basic auth
//!   with a GitHub token as password); manifest DELETE answers `405 UNSUPPORTED`; there is no
//!   referrers API.
//! - Limits and faults: primary rate-limit headers and refusals, an optional secondary limit
//!   on DELETEs (403 with `retry-after` and GitHub's message), a cap on requests in flight,
//!   injected 5xx answers, the three undeletable-version 400s, DELETE 404 races, tokens that
//!   cannot list packages (`GITHUB_TOKEN`), cannot delete (`GITHUB_TOKEN` without the Admin
//!   role: 404) or cannot use the API at all (GitHub App installation tokens, fine-grained
//!   PATs), package listings without `Link` headers and with the 10,000-item window, private
//!   user packages that only `/user` serves, and hostile `Link` headers on version listings.
//!
//! Where the real server differs from `shared/reference/ghcr-packages.md`, the fake follows
//! the server: each such behaviour cites its source (the REST description's operation id in
//! github/rest-api-description, api.github.com 2022-11-28, or the issue thread that showed it).
//!
//! Every request is counted by [`RequestKind`], refused or not, so tests can assert exact
//! call counts.

mod rest;
mod state;
mod upstream;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::response::Response;
use tokio::sync::oneshot;

use crate::registry::{Registry, RegistryOptions};

use state::{Shared, State};

/// What an owner is, as `GET /users/{owner}` reports it (`.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    Organization,
    User,
}

/// What a token may do, as GitHub decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A classic PAT of an admin, with `read:packages`, `write:packages`, `delete:packages`.
    Classic,
    /// A GitHub App installation token: every packages operation answers 403 "Resource not
    /// accessible by integration" (`enabledForGitHubApps: false` on each of them).
    App,
    /// `GITHUB_TOKEN`: exact package names only, and only the packages listed here (those
    /// that granted the workflow's repository `role`). Listing packages answers 400,
    /// user-owned packages 403; below [`PackageRole::Admin`] a DELETE answers 404.
    GithubToken {
        packages: Vec<String>,
        role: PackageRole,
    },
    /// A fine-grained PAT: the Packages API refuses it (403).
    FineGrained,
}

/// The role a package's *Manage Actions access* gives a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageRole {
    Read,
    Write,
    Admin,
}

/// A package's visibility (`visibility` of the package object); new packages are private.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Visibility {
    Public,
    #[default]
    Private,
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Internal => "internal",
        }
    }
}

/// How version listings write their `Link` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LinkFault {
    /// As GitHub does: `next`, `last`, `first`, `prev` with absolute URLs.
    #[default]
    None,
    /// No `Link` header at all, on every page.
    Omitted,
    /// `rel="last"` names this page (`18446744073709551615`, `1e8`, …); `next` stays right.
    LastPage(String),
    /// The last page carries `rel="next"` back to page 1.
    NextToFirst,
}

/// Kinds of requests the fake counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// `GET /users/{owner}`
    OwnerLookup,
    /// `GET /user`: who the token acts for
    AuthenticatedUser,
    /// `GET …/packages`
    PackageList,
    /// `GET …/packages/container/{name}`
    PackageGet,
    /// `GET …/packages/container/{name}/versions`
    VersionList,
    /// `GET …/versions/{id}`
    VersionGet,
    /// `DELETE …/versions/{id}`
    VersionDelete,
    /// `GET /rate_limit`
    RateLimit,
    /// Any other API path.
    OtherApi,
    /// `GET /v2/` on the registry front.
    RegistryPing,
    /// A token request to the registry front's realm.
    RegistryToken,
    /// `GET` or `HEAD` of a manifest on the registry front.
    RegistryManifest,
    /// A manifest `DELETE` on the registry front (always refused, as on ghcr.io).
    RegistryDelete,
    /// Blobs, tag lists, referrers and anything else on the registry front.
    RegistryOther,
}

/// The primary rate limit: `limit` REST requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrimaryLimit {
    pub limit: u64,
    pub window: Duration,
}

/// GitHub's secondary limit on deletes: at most `deletes` DELETEs per `window`; more are
/// refused with 403, `retry-after` (the rest of the window, in whole seconds) and GitHub's
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondaryLimit {
    pub deletes: u64,
    pub window: Duration,
}

/// How the fake behaves; `Default` is GitHub's documented limits and no latency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOptions {
    /// Waited before answering every request (REST and registry front).
    pub latency: Duration,
    pub primary: PrimaryLimit,
    pub secondary: Option<SecondaryLimit>,
    /// More REST requests than this at once are refused as a secondary limit.
    pub max_in_flight: usize,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            primary: PrimaryLimit {
                limit: 5000,
                window: Duration::from_secs(3600),
            },
            secondary: None,
            max_in_flight: 100,
        }
    }
}

/// A version as the fake lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeVersion {
    pub id: u64,
    pub digest: String,
    /// Sorted.
    pub tags: Vec<String>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

/// Package `acme/big` with 10,000 versions, for benchmarks and limit runs: `latest` and nine
/// indexes of 1,110 images each (`build-0` … `build-8`), in a registry whose storage is in
/// memory, behind a fake with `latency` per request and a primary rate limit no run reaches.
pub struct BigPackage {
    // Declared first: the fake stops before the registry it reads.
    pub fake: GithubFake,
    pub registry: Registry,
    /// How many versions the fake lists (10,000).
    pub versions: usize,
}

impl BigPackage {
    /// `token` is a classic PAT of organisation `acme`.
    pub fn start(token: &str, latency: Duration) -> BigPackage {
        let registry = Registry::start_with(RegistryOptions {
            in_memory: true,
            ..RegistryOptions::default()
        });
        let fake = GithubFake::start_with(
            &registry,
            FakeOptions {
                latency,
                primary: PrimaryLimit {
                    limit: 1_000_000,
                    window: Duration::from_secs(3600),
                },
                ..FakeOptions::default()
            },
        );
        fake.add_owner("acme", OwnerKind::Organization);
        fake.add_token(token, "acme-bot", TokenKind::Classic);
        let base = registry.image("acme/big").tag("latest").push();
        registry.write_bulk_indexes(&base, 9, 1_110, "build-");
        let versions = fake.versions("acme/big").len();
        BigPackage {
            fake,
            registry,
            versions,
        }
    }
}

/// The running fake; stopped when dropped. Cheap to query from any test thread.
pub struct GithubFake {
    shared: Arc<Shared>,
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl GithubFake {
    /// A fake over `registry` with [`FakeOptions::default`].
    pub fn start(registry: &Registry) -> GithubFake {
        Self::start_with(registry, FakeOptions::default())
    }

    pub fn start_with(registry: &Registry, options: FakeOptions) -> GithubFake {
        let (sender, receiver) = oneshot::channel::<()>();
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fake GitHub API");
        let address = listener.local_addr().expect("local address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let shared = Arc::new(Shared::new(format!("http://{address}"), registry, options));
        let app = Router::new()
            .fallback(dispatch)
            .with_state(Arc::clone(&shared));
        let runtime = runtime();
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).expect("register the listener")
        };
        runtime.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = receiver.await;
                })
                .await;
        });
        GithubFake {
            shared,
            address,
            shutdown: Some(sender),
        }
    }

    /// The REST API's base URL (`GITHUB_API_URL`): `http://127.0.0.1:PORT`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The ghcr.io-like registry front (`--registry-url`), on the same port.
    pub fn registry_url(&self) -> String {
        self.api_url()
    }

    /// `127.0.0.1:PORT`, the registry host of image names served by the front.
    pub fn registry_host(&self) -> String {
        self.address.to_string()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state()
    }

    /// Registers an owner (`GET /users/{login}` answers 404 for unknown ones).
    pub fn add_owner(&self, login: &str, kind: OwnerKind) {
        self.state().owners.insert(login.to_owned(), kind);
    }

    /// Registers `token` for `login` (the owner `/user` endpoints act for).
    pub fn add_token(&self, token: &str, login: &str, kind: TokenKind) {
        self.state().add_token(token, login, kind);
    }

    /// Sets when a version was created and last updated (the default is the time the fake
    /// first saw it, and the last tag change).
    pub fn set_times(
        &self,
        repository: &str,
        digest: &str,
        created_at: SystemTime,
        updated_at: SystemTime,
    ) {
        self.state()
            .package_mut(repository)
            .overrides
            .insert(digest.to_owned(), (created_at, updated_at));
    }

    /// Gives a version more than 5,000 downloads: deleting it answers GitHub's 400.
    pub fn make_popular(&self, repository: &str, digest: &str) {
        self.state()
            .package_mut(repository)
            .popular
            .insert(digest.to_owned());
    }

    /// Sets a package's visibility (the default is private).
    pub fn set_visibility(&self, repository: &str, visibility: Visibility) {
        self.state().package_mut(repository).visibility = visibility;
    }

    /// Lists `names` as further container packages of `owner` in the package listings (they
    /// have no versions): for listings larger than a registry is quick to fill.
    pub fn add_listed_packages(&self, owner: &str, names: impl IntoIterator<Item = String>) {
        self.state()
            .listed_only
            .entry(owner.to_owned())
            .or_default()
            .extend(names);
    }

    /// How version listings write `Link` from now on.
    pub fn set_link_fault(&self, fault: LinkFault) {
        self.state().link_fault = fault;
    }

    /// Version listings refuse pages beyond `items` (page × per_page) with the 400 that the
    /// package listings document. The REST description documents it for package listings
    /// only; this is for checking how a client copes if versions get it too.
    pub fn window_version_listings(&self, items: usize) {
        self.state().version_window = Some(items);
    }

    /// Someone else deletes this version just before our DELETE arrives, which then
    /// answers 404 (the stale-list race).
    pub fn vanish_before_delete(&self, repository: &str, digest: &str) {
        self.state()
            .package_mut(repository)
            .vanishing
            .insert(digest.to_owned());
    }

    /// The next `count` requests of `kind` answer `status` (e.g. 502) before any other check.
    pub fn fail_next(&self, kind: RequestKind, status: u16, count: usize) {
        self.state().faults.push((kind, status, count));
    }

    /// After `deletes` more successful DELETEs, every request answers 503 until
    /// [`Self::recover`]: a run cut off midway.
    pub fn go_down_after_deletes(&self, deletes: u64) {
        self.state().down_after_deletes = Some(deletes);
    }

    /// Ends [`Self::go_down_after_deletes`].
    pub fn recover(&self) {
        let mut state = self.state();
        state.down_after_deletes = None;
        state.down = false;
    }

    /// Requests of `kind` seen so far (refused ones included).
    pub fn count(&self, kind: RequestKind) -> u64 {
        self.state().counts.get(&kind).copied().unwrap_or(0)
    }

    /// Every count that is not zero.
    pub fn counts(&self) -> BTreeMap<RequestKind, u64> {
        self.state().counts.clone()
    }

    /// REST requests refused by a rate limit (primary or secondary).
    pub fn rate_limited(&self) -> u64 {
        self.state().rate_limited
    }

    /// Versions deleted through the API so far.
    pub fn deleted(&self) -> u64 {
        self.state().deleted
    }

    /// Digests deleted through the API so far, in the order the deletes completed.
    pub fn deletions(&self) -> Vec<String> {
        self.state().deletions.clone()
    }

    /// The most REST requests that were in flight at once.
    pub fn max_in_flight_seen(&self) -> usize {
        self.state().max_in_flight_seen
    }

    /// Registry tokens the front has issued (they must never be printed either).
    pub fn issued_registry_tokens(&self) -> Vec<String> {
        self.state().registry_tokens.iter().cloned().collect()
    }

    /// The versions of `repository` as the API lists them now, newest first.
    pub fn versions(&self, repository: &str) -> Vec<FakeVersion> {
        let mut state = self.state();
        let root = self.shared.storage_root.clone();
        state.refresh(&root, repository);
        state
            .package_mut(repository)
            .listing()
            .into_iter()
            .cloned()
            .collect()
    }
}

impl Drop for GithubFake {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
    }
}

/// The fakes' own runtime: two workers, so a slow handler (a storage scan, a registry
/// delete) never stalls the fakes of other tests, and apart from the testkit helpers' runtime.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gantry-fake-github")
            .enable_all()
            .build()
            .expect("build the fake GitHub runtime")
    })
}

/// Registry paths go to the ghcr.io front, everything else to the REST API.
async fn dispatch(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    let path = request.uri().path();
    if path == "/token" || path == "/v2" || path.starts_with("/v2/") {
        upstream::handle(&shared, request).await
    } else {
        rest::handle(&shared, request).await
    }
}
