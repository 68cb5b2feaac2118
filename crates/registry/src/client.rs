//! The registry client: manifests, tags and deletes over the distribution API.
//!
//! Every request is sent by this client itself: each answers the registry's 401 challenge
//! once per repository and action (pull, push, delete) with the scope the registry names, and
//! reuses the credentials it got. It never pings `GET /v2/` first, which a pruner reading
//! thousands of manifests cannot afford. [`RegistryClient::stats`] counts the requests.
//!
//! Credentials go only where they belong (see [`realm_refusal`]): the token service a
//! registry names gets them over HTTPS, or over plain HTTP only on the plain-HTTP registry's
//! own host; a GitHub token only on the registry's own host (or, for GitHub Enterprise
//! Server's `containers.<host>`, on `<host>`). Manifests are read up to 4 MiB.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gantry_http::Secret;
use gantry_http::retry::{Idempotency, Reply, RetryPolicy};
use oci_client::errors::OciEnvelope;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

use crate::error::{Context, RegistryError};
use crate::manifest::{MANIFEST_MEDIA_TYPES, Manifest, ManifestError, MediaTypeOrigin};
use crate::reference::{Digest, ImageRef, Repository, Tag, TagOrDigest};

/// User name sent with a GitHub token: ghcr.io accepts any name with the token as password.
const GITHUB_TOKEN_USER: &str = "gantry";

/// Tags asked for per page of a tag listing.
const TAGS_PAGE_SIZE: usize = 1000;

/// The largest manifest read: what registries are expected to accept (the OCI distribution
/// spec's 4 MiB); a bigger "manifest" is refused unread.
pub const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;

/// How gantry authenticates to a registry.
#[derive(Debug, Clone)]
pub enum Credentials {
    Anonymous,
    /// HTTP Basic credentials, also used for the token exchange of bearer registries.
    Basic {
        username: String,
        password: Secret,
    },
    /// A GitHub token (`GITHUB_TOKEN`, classic PAT, App token), exchanged for a registry token
    /// through the standard challenge. ghcr.io takes it as a Basic password with any user name.
    GitHubToken(Secret),
}

impl Credentials {
    /// User name and password for a Basic challenge or a token request.
    fn basic_pair(&self) -> Option<(&str, &str)> {
        match self {
            Credentials::Anonymous => None,
            Credentials::Basic { username, password } => Some((username, password.expose())),
            Credentials::GitHubToken(token) => Some((GITHUB_TOKEN_USER, token.expose())),
        }
    }

    fn auth_hint(&self) -> &'static str {
        match self {
            Credentials::Anonymous => {
                "the registry wants credentials: set GITHUB_TOKEN for ghcr.io, or registry credentials for other registries"
            }
            Credentials::Basic { .. } => {
                "check the registry user name and password, and that this user may access the repository"
            }
            Credentials::GitHubToken(_) => {
                "the token needs packages: read (write to push, delete to prune) and access to this package; for GITHUB_TOKEN grant the repository access under the package's Manage Actions access. Fine-grained personal access tokens do not work with packages: use GITHUB_TOKEN, a classic PAT or a GitHub App token"
            }
        }
    }
}

/// Where a registry is reached: host (and port), over HTTPS or plain HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
    plain_http: bool,
}

impl Endpoint {
    /// A `--registry-url`: `https://ghcr.io`, `http://127.0.0.1:5000`. No path, query or
    /// credentials.
    pub fn from_url(url: &str) -> Result<Endpoint, RegistryError> {
        let bad = |shown: String, problem: &str| RegistryError::BadRegistryUrl {
            url: shown,
            problem: problem.to_owned(),
        };
        let parsed =
            reqwest::Url::parse(url).map_err(|err| bad(url.to_owned(), &err.to_string()))?;
        // Never echo credentials back, even in an error about them.
        let shown = gantry_http::redact_url(&parsed);
        let plain_http = match parsed.scheme() {
            "https" => false,
            "http" => true,
            _ => return Err(bad(shown, "the scheme must be http or https")),
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad(
                shown,
                "credentials do not belong in the URL; they come from the environment",
            ));
        }
        if !matches!(parsed.path(), "" | "/")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(bad(
                shown,
                "registries are served at the root: give only scheme://host[:port]",
            ));
        }
        let Some(host) = parsed.host_str() else {
            return Err(bad(shown, "there is no host"));
        };
        let host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Endpoint { host, plain_http })
    }

    /// The registry of an image reference: HTTPS, except plain HTTP for loopback hosts (as
    /// Docker allows); `docker.io` is served by `registry-1.docker.io`.
    pub fn for_registry(registry: &str) -> Endpoint {
        let host = match registry {
            "docker.io" | "index.docker.io" => "registry-1.docker.io",
            other => other,
        };
        Endpoint {
            host: host.to_owned(),
            plain_http: is_loopback(host),
        }
    }

    /// `--registry-url` when given, else the image's own registry.
    pub fn for_image(
        image: &ImageRef,
        registry_url: Option<&str>,
    ) -> Result<Endpoint, RegistryError> {
        match registry_url {
            Some(url) => Endpoint::from_url(url),
            None => Ok(Endpoint::for_registry(image.registry())),
        }
    }

    /// `host[:port]`
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host without its port (`[::1]` for IPv6).
    pub fn host_name(&self) -> &str {
        if self.host.starts_with('[') {
            return self.host.split_inclusive(']').next().unwrap_or(&self.host);
        }
        self.host.split(':').next().unwrap_or(&self.host)
    }

    /// `https://host[:port]` or `http://…`
    pub fn url(&self) -> String {
        let scheme = if self.plain_http { "http" } else { "https" };
        format!("{scheme}://{}", self.host)
    }

    pub fn is_plain_http(&self) -> bool {
        self.plain_http
    }
}

fn is_loopback(host_and_port: &str) -> bool {
    let host = match host_and_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host_and_port.split(':').next().unwrap_or(""),
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A manifest as the registry serves it, with its verified digest.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The digest of `raw`, checked against the registry's `Docker-Content-Digest` and the
    /// requested digest.
    pub digest: Digest,
    /// The exact bytes; pushing them elsewhere keeps the digest.
    pub raw: Vec<u8>,
    pub manifest: Manifest,
}

impl FetchedManifest {
    /// The body's `mediaType`, or the one inferred from its structure (see
    /// [`Manifest::media_type_origin`]).
    pub fn media_type(&self) -> &str {
        &self.manifest.media_type
    }
}

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// 404: someone else deleted it first, or it never existed.
    AlreadyGone,
}

/// What a request does to a repository, which names the scope of its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Action {
    Pull,
    Push,
    Delete,
}

impl Action {
    fn scope(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "pull,push",
            Action::Delete => "delete",
        }
    }
}

/// The requests this client sends.
#[derive(Debug, Clone, Copy)]
enum Request<'a> {
    ManifestGet,
    ManifestHead,
    ManifestPut {
        raw: &'a [u8],
        media_type: &'a HeaderValue,
    },
    TagListGet,
    Delete,
}

impl Request<'_> {
    fn action(self) -> Action {
        match self {
            Request::ManifestGet | Request::ManifestHead | Request::TagListGet => Action::Pull,
            Request::ManifestPut { .. } => Action::Push,
            Request::Delete => Action::Delete,
        }
    }
}

/// How a request authenticates, learned from the first answer per repository and action.
#[derive(Clone)]
enum RequestAuth {
    /// The registry answered without asking for credentials.
    None,
    Basic,
    Bearer(Secret),
}

/// What is known about one (repository, action), behind an async lock: the first request
/// holds it until it has learned how to authenticate, so concurrent requests wait for that
/// instead of each answering the challenge with a token request of its own.
type AuthSlot = Arc<tokio::sync::Mutex<Option<RequestAuth>>>;

/// Requests sent by the client and their token exchanges. Each kind counts one request per
/// call (a tag listing one per page); the requests a call needed beyond that are
/// `challenges` and `retries`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    pub manifest_gets: u64,
    /// Digest lookups (`HEAD`).
    pub manifest_heads: u64,
    pub manifest_puts: u64,
    pub tag_list_gets: u64,
    pub deletes: u64,
    /// Token requests to the registry's auth realm.
    pub token_requests: u64,
    /// Requests sent again with credentials after a 401.
    pub challenges: u64,
    /// Requests sent again after a failed attempt (network, 5xx, rate limit).
    pub retries: u64,
}

impl RequestStats {
    /// Every request sent.
    pub fn total(&self) -> u64 {
        self.manifest_gets
            + self.manifest_heads
            + self.manifest_puts
            + self.tag_list_gets
            + self.deletes
            + self.token_requests
            + self.challenges
            + self.retries
    }
}

#[derive(Default)]
struct Counters {
    manifest_gets: AtomicU64,
    manifest_heads: AtomicU64,
    manifest_puts: AtomicU64,
    tag_list_gets: AtomicU64,
    deletes: AtomicU64,
    token_requests: AtomicU64,
    challenges: AtomicU64,
    retries: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, count: u64) {
        counter.fetch_add(count, Ordering::Relaxed);
    }

    fn of(&self, request: Request<'_>) -> &AtomicU64 {
        match request {
            Request::ManifestGet => &self.manifest_gets,
            Request::ManifestHead => &self.manifest_heads,
            Request::ManifestPut { .. } => &self.manifest_puts,
            Request::TagListGet => &self.tag_list_gets,
            Request::Delete => &self.deletes,
        }
    }

    fn snapshot(&self) -> RequestStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RequestStats {
            manifest_gets: read(&self.manifest_gets),
            manifest_heads: read(&self.manifest_heads),
            manifest_puts: read(&self.manifest_puts),
            tag_list_gets: read(&self.tag_list_gets),
            deletes: read(&self.deletes),
            token_requests: read(&self.token_requests),
            challenges: read(&self.challenges),
            retries: read(&self.retries),
        }
    }
}

/// A client for one registry endpoint.
pub struct RegistryClient {
    endpoint: Endpoint,
    credentials: Credentials,
    http: reqwest::Client,
    retry: RetryPolicy,
    tags_page_size: usize,
    auth: Mutex<HashMap<(String, Action), AuthSlot>>,
    counters: Counters,
}

impl RegistryClient {
    /// `user_agent` is the tool's `gantry_http::user_agent!()`.
    pub fn new(
        endpoint: Endpoint,
        credentials: Credentials,
        user_agent: &'static str,
    ) -> Result<RegistryClient, RegistryError> {
        let http = gantry_http::client(user_agent).map_err(|err| RegistryError::Unavailable {
            registry: endpoint.host.clone(),
            operation: "setting up the HTTP client".to_owned(),
            answer: err.to_string(),
        })?;
        Ok(RegistryClient {
            endpoint,
            credentials,
            http,
            retry: RetryPolicy::default(),
            tags_page_size: TAGS_PAGE_SIZE,
            auth: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        })
    }

    /// Replaces the default retry policy (tests use millisecond waits).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> RegistryClient {
        self.retry = retry;
        self
    }

    /// Tags per page of [`Self::list_tags`] (1000 by default).
    pub fn with_tags_page_size(mut self, size: usize) -> RegistryClient {
        self.tags_page_size = size.max(1);
        self
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The requests this client has sent on its own path so far.
    pub fn stats(&self) -> RequestStats {
        self.counters.snapshot()
    }

    /// The manifest at `reference`, byte for byte, with its verified digest and parsed model.
    pub async fn get_manifest(
        &self,
        repository: &Repository,
        reference: &TagOrDigest,
    ) -> Result<FetchedManifest, RegistryError> {
        let context = self.manifest_context(repository, "reading", reference);
        let url = self.manifest_url(repository, reference);
        let reply = self
            .send_authorized(Request::ManifestGet, &url, repository, &context)
            .await?;
        if !reply.status.is_success() {
            return Err(self.refusal(&reply, &context));
        }
        let raw = reply.body;
        let served_digest = match served_digest(&reply.headers, &context)? {
            Some(digest) => digest,
            None => match reference {
                TagOrDigest::Digest(requested) => requested.actual_for(&raw),
                TagOrDigest::Tag(_) => Digest::sha256_of(&raw),
            },
        };
        // The promise "same bytes, same digest" is ours to keep, whatever the registry says.
        let actual = served_digest.actual_for(&raw);
        if actual != served_digest {
            return Err(context.digest_mismatch(served_digest.as_str(), actual.as_str()));
        }
        if let TagOrDigest::Digest(requested) = reference
            && *requested != served_digest
        {
            return Err(context.digest_mismatch(requested.as_str(), served_digest.as_str()));
        }
        let manifest = Manifest::parse(&raw)
            .map_err(|source| self.bad_manifest(repository, reference, source))?;
        if manifest.media_type_origin == MediaTypeOrigin::Inferred {
            tracing::info!(
                "{}/{repository} {reference} has no mediaType; read as {} from its structure",
                self.endpoint.host,
                manifest.media_type
            );
        }
        Ok(FetchedManifest {
            digest: served_digest,
            raw,
            manifest,
        })
    }

    /// Pushes `raw` unchanged under `tag` with `media_type` as its content type; returns its
    /// digest (unchanged by the push, since the bytes are).
    pub async fn put_manifest(
        &self,
        repository: &Repository,
        tag: &Tag,
        raw: &[u8],
        media_type: &str,
    ) -> Result<Digest, RegistryError> {
        let reference = TagOrDigest::Tag(tag.clone());
        let context = self.manifest_context(repository, "pushing", tag);
        let content_type = HeaderValue::from_str(media_type).map_err(|_| {
            self.bad_manifest(
                repository,
                &reference,
                ManifestError {
                    problem: format!("media type {media_type:?} is not a valid header value"),
                },
            )
        })?;
        let url = self.manifest_url(repository, tag);
        let put = Request::ManifestPut {
            raw,
            media_type: &content_type,
        };
        let reply = self
            .send_authorized(put, &url, repository, &context)
            .await?;
        if !reply.status.is_success() {
            return Err(self.refusal(&reply, &context));
        }
        Ok(Digest::sha256_of(raw))
    }

    /// The digest `reference` resolves to (a HEAD request, or a GET when the registry sends no
    /// `Docker-Content-Digest`), `None` when there is no such manifest.
    pub async fn manifest_digest(
        &self,
        repository: &Repository,
        reference: &TagOrDigest,
    ) -> Result<Option<Digest>, RegistryError> {
        let context = self.manifest_context(repository, "looking up", reference);
        let url = self.manifest_url(repository, reference);
        let reply = self
            .send_authorized(Request::ManifestHead, &url, repository, &context)
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(self.refusal(&reply, &context));
        }
        match served_digest(&reply.headers, &context)? {
            Some(digest) => Ok(Some(digest)),
            None => match self.get_manifest(repository, reference).await {
                Ok(fetched) => Ok(Some(fetched.digest)),
                Err(RegistryError::NotFound { .. }) => Ok(None),
                Err(err) => Err(err),
            },
        }
    }

    pub async fn manifest_exists(
        &self,
        repository: &Repository,
        reference: &TagOrDigest,
    ) -> Result<bool, RegistryError> {
        Ok(self.manifest_digest(repository, reference).await?.is_some())
    }

    /// Every tag of the repository, in the registry's order, all pages read. A repository the
    /// registry does not know is [`RegistryError::NotFound`].
    pub async fn list_tags(&self, repository: &Repository) -> Result<Vec<String>, RegistryError> {
        let context = self.context(
            repository,
            "listing tags".to_owned(),
            "repository".to_owned(),
        );
        #[derive(serde::Deserialize)]
        struct TagPage {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut tags: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let mut url = reqwest::Url::parse(&format!(
                "{}/v2/{repository}/tags/list",
                self.endpoint.url()
            ))
            .map_err(|err| context.protocol(err.to_string()))?;
            url.query_pairs_mut()
                .append_pair("n", &self.tags_page_size.to_string());
            if let Some(last) = tags.last() {
                url.query_pairs_mut().append_pair("last", last);
            }
            let reply = self
                .send_authorized(Request::TagListGet, url.as_str(), repository, &context)
                .await?;
            if !reply.status.is_success() {
                return Err(self.refusal(&reply, &context));
            }
            let page: TagPage = reply
                .json()
                .map_err(|err| context.protocol(format!("tag list: {err}")))?;
            let before = tags.len();
            tags.extend(
                page.tags
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|tag| seen.insert(tag.clone())),
            );
            // The listing is done at an empty page. A page with nothing new also ends it: some
            // registries ignore `last` and would repeat the same page forever.
            if tags.len() == before {
                return Ok(tags);
            }
        }
    }

    /// Deletes the manifest `digest` (tags pointing at it go with it).
    ///
    /// 404 is [`Deletion::AlreadyGone`]; a registry that refuses deletes (405 or
    /// `UNSUPPORTED`, as ghcr.io does) is [`RegistryError::DeleteUnsupported`].
    pub async fn delete_manifest(
        &self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<Deletion, RegistryError> {
        let context = self.manifest_context(repository, "deleting", digest);
        let url = self.manifest_url(repository, digest);
        let reply = self
            .send_authorized(Request::Delete, &url, repository, &context)
            .await?;
        match reply.status.as_u16() {
            200 | 202 | 204 => Ok(Deletion::Deleted),
            404 => Ok(Deletion::AlreadyGone),
            _ => Err(self.refusal(&reply, &context)),
        }
    }

    /// Sends `request` to `url` with the credentials learned for (`repository`, `action`); on a
    /// 401 answers the challenge, sends again and remembers what worked. Transient failures are
    /// retried by the policy. Any answer is returned; `Err` only when none came.
    async fn send_authorized(
        &self,
        request: Request<'_>,
        url: &str,
        repository: &Repository,
        context: &Context<'_>,
    ) -> Result<Reply, RegistryError> {
        let action = request.action();
        let slot = Arc::clone(
            self.auth
                .lock()
                .expect("registry auth cache poisoned")
                .entry((repository.as_str().to_owned(), action))
                .or_default(),
        );
        let mut first = Some(slot.lock().await);
        let known = first.as_ref().and_then(|learned| (**learned).clone());
        if known.is_some() {
            // Learned already: let concurrent requests go ahead.
            first = None;
        }
        let counter = self.counters.of(request);
        let reply = self.send(request, url, known.as_ref(), context).await?;
        Counters::add(counter, 1);
        if reply.status != StatusCode::UNAUTHORIZED {
            if let Some(mut learned) = first {
                *learned = Some(RequestAuth::None);
            }
            return Ok(reply);
        }
        let auth = self
            .answer_challenge(&reply.headers, repository, action, context)
            .await?;
        let reply = self.send(request, url, Some(&auth), context).await?;
        Counters::add(&self.counters.challenges, 1);
        if reply.status == StatusCode::UNAUTHORIZED {
            return Err(context.auth("401 Unauthorized"));
        }
        match first {
            Some(mut learned) => *learned = Some(auth),
            None => *slot.lock().await = Some(auth),
        }
        Ok(reply)
    }

    async fn send(
        &self,
        request: Request<'_>,
        url: &str,
        auth: Option<&RequestAuth>,
        context: &Context<'_>,
    ) -> Result<Reply, RegistryError> {
        let manifests = RetryPolicy {
            body_limit: MANIFEST_LIMIT,
            ..self.retry.clone()
        };
        let policy = match request {
            Request::ManifestGet => &manifests,
            _ => &self.retry,
        };
        // A PUT of the same bytes is as harmless to repeat as the reads and the DELETE.
        let reply = gantry_http::retry::send(Idempotency::Idempotent, policy, || {
            let accept = |builder: reqwest::RequestBuilder| {
                builder.header(ACCEPT, MANIFEST_MEDIA_TYPES.join(", "))
            };
            let builder = match request {
                Request::ManifestGet => accept(self.http.get(url)),
                Request::ManifestHead => accept(self.http.head(url)),
                Request::ManifestPut { raw, media_type } => self
                    .http
                    .put(url)
                    .header(CONTENT_TYPE, media_type.clone())
                    .body(raw.to_vec()),
                Request::TagListGet => self.http.get(url),
                Request::Delete => self.http.delete(url),
            };
            match auth {
                Some(RequestAuth::Bearer(token)) => builder.bearer_auth(token.expose()),
                Some(RequestAuth::Basic) => self.with_basic(builder),
                Some(RequestAuth::None) | None => builder,
            }
        })
        .await
        .map_err(|err| context.no_answer(&err))?;
        Counters::add(
            &self.counters.retries,
            u64::from(reply.attempts.saturating_sub(1)),
        );
        Ok(reply)
    }

    /// The error for an answer that is not a success: by status and distribution error code.
    fn refusal(&self, reply: &Reply, context: &Context<'_>) -> RegistryError {
        let envelope = serde_json::from_slice::<OciEnvelope>(&reply.body).ok();
        let error = envelope
            .as_ref()
            .and_then(|envelope| envelope.errors.first());
        let unsupported =
            error.is_some_and(|error| error.code == oci_client::errors::OciErrorCode::Unsupported);
        if context.operation.starts_with("deleting")
            && (reply.status == StatusCode::METHOD_NOT_ALLOWED || unsupported)
        {
            return self.delete_unsupported();
        }
        let text = match error {
            Some(error) => error.message.clone(),
            None => reply.text().trim().chars().take(300).collect(),
        };
        context.status_error(reply.status.as_u16(), error.map(|error| &error.code), &text)
    }

    /// Answers a 401's `WWW-Authenticate`: a bearer token for the scope the registry names
    /// (`repository:<repo>:<action>` when it names none), or the Basic credentials.
    async fn answer_challenge(
        &self,
        headers: &HeaderMap,
        repository: &Repository,
        action: Action,
        context: &Context<'_>,
    ) -> Result<RequestAuth, RegistryError> {
        let header = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| context.auth("401 without a WWW-Authenticate challenge"))?;
        let challenges = http_auth::parse_challenges(header)
            .map_err(|_| context.protocol(format!("unreadable WWW-Authenticate {header:?}")))?;
        let scheme = |name: &str| {
            challenges
                .iter()
                .find(|challenge| challenge.scheme.eq_ignore_ascii_case(name))
        };
        if let Some(bearer) = scheme("bearer") {
            let param = |name: &str| {
                bearer
                    .params
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.to_unescaped())
            };
            let realm = param("realm")
                .ok_or_else(|| context.protocol("a Bearer challenge without a realm"))?;
            let scope = param("scope")
                .unwrap_or_else(|| format!("repository:{repository}:{}", action.scope()));
            let token = self
                .fetch_token(&realm, param("service"), &scope, context)
                .await?;
            return Ok(RequestAuth::Bearer(token));
        }
        if scheme("basic").is_some() && self.credentials.basic_pair().is_some() {
            return Ok(RequestAuth::Basic);
        }
        Err(context.auth("401 Unauthorized"))
    }

    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<String>,
        scope: &str,
        context: &Context<'_>,
    ) -> Result<Secret, RegistryError> {
        let realm = Url::parse(realm)
            .map_err(|err| context.protocol(format!("token realm {realm:?}: {err}")))?;
        if let Some(refusal) = realm_refusal(&self.endpoint, &self.credentials, &realm) {
            return Err(context.auth(refusal));
        }
        let reply = gantry_http::retry::send(Idempotency::Idempotent, &self.retry, || {
            let mut request = self.http.get(realm.clone()).query(&[("scope", scope)]);
            if let Some(service) = &service {
                request = request.query(&[("service", service)]);
            }
            self.with_basic(request)
        })
        .await
        .map_err(|err| context.no_answer(&err))?;
        Counters::add(&self.counters.token_requests, 1);
        Counters::add(
            &self.counters.retries,
            u64::from(reply.attempts.saturating_sub(1)),
        );
        if !reply.status.is_success() {
            let answer = format!("token request for {scope}: {}", reply.status);
            return Err(match reply.status.as_u16() {
                401 | 403 => context.auth(answer),
                status => context.status_error(status, None, &answer),
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let answer: TokenAnswer = reply
            .json()
            .map_err(|err| context.protocol(format!("token answer: {err}")))?;
        answer
            .token
            .or(answer.access_token)
            .map(Secret::from)
            .ok_or_else(|| context.protocol("token answer without a token"))
    }

    fn with_basic(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.credentials.basic_pair() {
            Some((username, password)) => request.basic_auth(username, Some(password)),
            None => request,
        }
    }

    fn context<'a>(
        &'a self,
        repository: &'a Repository,
        operation: String,
        subject: String,
    ) -> Context<'a> {
        Context {
            registry: &self.endpoint.host,
            repository: repository.as_str(),
            operation,
            subject,
            auth_hint: self.credentials.auth_hint(),
        }
    }

    /// `…/v2/<repository>/manifests/<reference>` on this registry.
    fn manifest_url(&self, repository: &Repository, reference: &dyn std::fmt::Display) -> String {
        format!(
            "{}/v2/{repository}/manifests/{reference}",
            self.endpoint.url()
        )
    }

    /// The context of `{verb} manifest {reference}`.
    fn manifest_context<'a>(
        &'a self,
        repository: &'a Repository,
        verb: &str,
        reference: &dyn std::fmt::Display,
    ) -> Context<'a> {
        self.context(
            repository,
            format!("{verb} manifest {reference}"),
            format!("manifest {reference}"),
        )
    }

    fn bad_manifest(
        &self,
        repository: &Repository,
        reference: &TagOrDigest,
        source: ManifestError,
    ) -> RegistryError {
        RegistryError::BadManifest {
            registry: self.endpoint.host.clone(),
            repository: repository.to_string(),
            reference: reference.to_string(),
            source,
        }
    }

    fn delete_unsupported(&self) -> RegistryError {
        RegistryError::DeleteUnsupported {
            registry: self.endpoint.host.clone(),
        }
    }
}

/// The `Docker-Content-Digest` an answer names, if it names one; an unreadable one is a
/// protocol error.
fn served_digest(
    headers: &HeaderMap,
    context: &Context<'_>,
) -> Result<Option<Digest>, RegistryError> {
    let Some(value) = headers.get("docker-content-digest") else {
        return Ok(None);
    };
    let header = value.to_str().unwrap_or_default().trim();
    Digest::parse(header)
        .map(Some)
        .map_err(|err| context.protocol(format!("digest {header:?}: {}", err.problem)))
}

/// Why `credentials` must not go to the token service at `realm`, which the registry at
/// `endpoint` named in its challenge; `None` when they may.
///
/// - Over plain HTTP, only to the registry's own host, and only when the registry itself is
///   plain HTTP (a loopback test registry, or an `http://` `--registry-url` you gave).
/// - A GitHub token, only to the registry's own host, or to `<host>` for GitHub Enterprise
///   Server's `containers.<host>` (GitHub's token services live there).
/// - A user name and password, over HTTPS to the service the registry names, wherever it is
///   (Docker Hub's is `auth.docker.io`, GitLab's `gitlab.com`), as Docker does.
pub fn realm_refusal(
    endpoint: &Endpoint,
    credentials: &Credentials,
    realm: &Url,
) -> Option<String> {
    let realm_host = realm.host_str().unwrap_or_default();
    let registry_host = endpoint.host_name();
    let shown = gantry_http::redact_url(realm);
    let what = match credentials {
        Credentials::Anonymous => return None,
        Credentials::Basic { .. } => "the registry password",
        Credentials::GitHubToken(_) => "the GitHub token",
    };
    let same_host = realm_host.eq_ignore_ascii_case(registry_host);
    match realm.scheme() {
        "https" => {}
        "http" if endpoint.plain_http && same_host => {}
        _ => {
            return Some(format!(
                "its token service {shown} is not HTTPS on the registry's own host; {what} is not sent there"
            ));
        }
    }
    let github_host = registry_host
        .strip_prefix("containers.")
        .is_some_and(|host| realm_host.eq_ignore_ascii_case(host));
    match credentials {
        Credentials::GitHubToken(_) if !(same_host || github_host) => Some(format!(
            "its token service {shown} is on another host; {what} goes to GitHub's own hosts only"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_urls_give_host_and_scheme() {
        let local = Endpoint::from_url("http://127.0.0.1:5000").unwrap();
        assert_eq!(local.host(), "127.0.0.1:5000");
        assert!(local.is_plain_http());
        assert_eq!(local.url(), "http://127.0.0.1:5000");
        let ghcr = Endpoint::from_url("https://ghcr.io/").unwrap();
        assert_eq!(ghcr.host(), "ghcr.io");
        assert!(!ghcr.is_plain_http());
        let ipv6 = Endpoint::from_url("http://[::1]:5000").unwrap();
        assert_eq!(ipv6.host(), "[::1]:5000");
    }

    #[test]
    fn bad_registry_urls_are_input_errors_that_hide_credentials() {
        for (url, problem) in [
            ("ghcr.io", "relative URL"),
            ("ftp://ghcr.io", "scheme"),
            ("https://ghcr.io/v2/acme", "root"),
            ("https://ghcr.io?x=1", "root"),
        ] {
            let err = Endpoint::from_url(url).unwrap_err();
            assert!(err.is_input_error());
            assert!(err.to_string().contains(problem), "{url}: {err}");
        }
        let err = Endpoint::from_url("https://bot:hunter2@ghcr.io").unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("bot"),
            "{shown}"
        );
        assert!(shown.contains("credentials do not belong"), "{shown}");
    }

    #[test]
    fn image_registries_default_to_https_except_loopback() {
        assert_eq!(Endpoint::for_registry("ghcr.io").url(), "https://ghcr.io");
        assert_eq!(
            Endpoint::for_registry("localhost:5000").url(),
            "http://localhost:5000"
        );
        assert_eq!(
            Endpoint::for_registry("127.0.0.1:5000").url(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            Endpoint::for_registry("[::1]:5000").url(),
            "http://[::1]:5000"
        );
        assert_eq!(
            Endpoint::for_registry("docker.io").url(),
            "https://registry-1.docker.io"
        );
        let image = ImageRef::parse("ghcr.io/acme/api:v1").unwrap();
        assert_eq!(
            Endpoint::for_image(&image, Some("http://127.0.0.1:5000"))
                .unwrap()
                .host(),
            "127.0.0.1:5000"
        );
        assert_eq!(Endpoint::for_image(&image, None).unwrap().host(), "ghcr.io");
    }

    #[test]
    fn credentials_go_only_to_token_services_they_belong_to() {
        let token = Credentials::GitHubToken(Secret::new("ghs_x"));
        let basic = Credentials::Basic {
            username: "bot".to_owned(),
            password: Secret::new("pw"),
        };
        let refused = |registry: &str, credentials: &Credentials, realm: &str| {
            let endpoint = Endpoint::from_url(registry).unwrap();
            realm_refusal(&endpoint, credentials, &Url::parse(realm).unwrap()).is_some()
        };
        // GitHub's own token services.
        assert!(!refused("https://ghcr.io", &token, "https://ghcr.io/token"));
        assert!(!refused(
            "https://containers.git.acme.example",
            &token,
            "https://git.acme.example/token"
        ));
        // Anywhere else, or over plain HTTP, never.
        assert!(refused(
            "https://ghcr.io",
            &token,
            "https://evil.example/token"
        ));
        assert!(refused("https://ghcr.io", &token, "http://ghcr.io/token"));
        assert!(refused(
            "http://127.0.0.1:5000",
            &token,
            "http://localhost:9/token"
        ));
        // A password: the HTTPS service its registry names (Docker Hub's is elsewhere), or
        // the plain-HTTP registry's own host.
        assert!(!refused(
            "https://registry-1.docker.io",
            &basic,
            "https://auth.docker.io/token"
        ));
        assert!(!refused(
            "http://127.0.0.1:5000",
            &basic,
            "http://127.0.0.1:5001/token"
        ));
        assert!(refused(
            "http://127.0.0.1:5000",
            &basic,
            "http://localhost:5000/token"
        ));
        assert!(refused(
            "https://registry.example",
            &basic,
            "http://registry.example/token"
        ));
        // Nothing to send, nothing to refuse.
        assert!(!refused(
            "https://ghcr.io",
            &Credentials::Anonymous,
            "http://evil.example/"
        ));
    }

    #[test]
    fn credentials_never_print_secrets() {
        let credentials = [
            Credentials::GitHubToken(Secret::new("ghs_topsecret")),
            Credentials::Basic {
                username: "robot".to_owned(),
                password: Secret::new("topsecret"),
            },
        ];
        for credential in credentials {
            let shown = format!("{credential:?}");
            assert!(!shown.contains("topsecret"), "{shown}");
        }
    }
}
