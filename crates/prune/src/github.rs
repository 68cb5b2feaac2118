//! The GitHub Packages REST API, on reqwest through gantry-http: the owner lookup, package and
//! version listings (every page, in parallel once the last page is known), version deletes,
//! rate-limit bookkeeping and errors that say which token to use.
//!
//! reqwest rather than octocrab: the pruner must see every `Link` header, every
//! `x-ratelimit-*` header and every 403 body to pace itself, stop on a spent budget and tell a
//! rate limit from a permission problem; gantry-http's retry loop already does the waiting.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use futures::StreamExt as _;
use gantry_http::Secret;
use gantry_http::retry::{Idempotency, RateLimit, Reply, RetryPolicy};
use jiff::Timestamp;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LINK};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::error::PruneError;
use crate::model::Version;

/// Versions (and packages) asked for per page: GitHub's maximum.
pub const PER_PAGE: usize = 100;

/// Characters escaped in a path segment: a package name's `/` becomes `%2F`.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `name` as one URL path segment.
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// Who owns the packages, which decides the URL family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// `/orgs/{org}`
    Organization(String),
    /// `/users/{login}`
    User(String),
}

impl Owner {
    pub fn login(&self) -> &str {
        match self {
            Owner::Organization(login) | Owner::User(login) => login,
        }
    }

    fn prefix(&self) -> String {
        match self {
            Owner::Organization(org) => format!("/orgs/{}", encode_segment(org)),
            Owner::User(login) => format!("/users/{}", encode_segment(login)),
        }
    }
}

/// What a delete came to.
#[derive(Debug)]
pub enum Deleted {
    Done,
    /// 404: gone already (a stale listing or another run).
    AlreadyGone,
    /// GitHub's 400 "You cannot delete the last tagged version of a package".
    LastTagged(String),
    /// GitHub's 400 for public versions with more than 5,000 downloads.
    Popular(String),
}

/// REST requests by kind; each counts one logical call, repeats go to `retries`.
#[derive(Debug, Default)]
pub struct RestCounters {
    pub owner_lookups: AtomicU64,
    pub package_pages: AtomicU64,
    pub version_pages: AtomicU64,
    pub deletes: AtomicU64,
    pub retries: AtomicU64,
}

/// A client for one GitHub API (api.github.com or a GHES `/api/v3`).
pub struct GithubApi {
    http: reqwest::Client,
    /// Without a trailing slash.
    base: Url,
    token: Secret,
    retry: RetryPolicy,
    /// Caps REST requests in flight (GitHub's secondary limit allows 100).
    slots: Semaphore,
    list_concurrency: usize,
    pub counters: RestCounters,
    rate: Mutex<Option<RateLimit>>,
}

/// A version object, read leniently: unknown fields are ignored.
#[derive(Deserialize)]
struct VersionJson {
    id: u64,
    name: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    metadata: Option<MetadataJson>,
}

#[derive(Deserialize)]
struct MetadataJson {
    #[serde(default)]
    container: Option<ContainerJson>,
}

#[derive(Deserialize)]
struct ContainerJson {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct PackageJson {
    name: String,
}

#[derive(Deserialize)]
struct OwnerJson {
    #[serde(rename = "type")]
    kind: String,
}

impl GithubApi {
    /// `api_url` is `GITHUB_API_URL` (`https://api.github.com`, or `https://HOST/api/v3`).
    pub fn new(
        api_url: &str,
        token: Secret,
        retry: RetryPolicy,
        max_in_flight: usize,
        user_agent: &str,
    ) -> Result<GithubApi, PruneError> {
        let base = Url::parse(api_url.trim_end_matches('/')).map_err(|err| {
            PruneError::BadInput(format!(
                "GITHUB_API_URL {api_url:?} is not a URL ({err}); give e.g. https://api.github.com"
            ))
        })?;
        let http = gantry_http::client(user_agent).map_err(PruneError::Transport)?;
        Ok(GithubApi {
            http,
            base,
            token,
            retry,
            slots: Semaphore::new(max_in_flight.max(1)),
            list_concurrency: 8,
            counters: RestCounters::default(),
            rate: Mutex::new(None),
        })
    }

    /// The primary rate limit as of the last answer.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate.lock().expect("rate lock").clone()
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{path}", self.base.path().trim_end_matches('/'));
        url.set_path(&joined);
        url
    }

    /// Sends one request with the retry policy; counts it under `counter`.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        counter: &AtomicU64,
    ) -> Result<Reply, PruneError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        counter.fetch_add(1, Ordering::Relaxed);
        let reply = gantry_http::retry::send(Idempotency::Idempotent, &self.retry, || {
            self.http
                .request(method.clone(), url.clone())
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()))
        })
        .await
        .map_err(PruneError::Transport)?;
        self.counters.retries.fetch_add(
            u64::from(reply.attempts.saturating_sub(1)),
            Ordering::Relaxed,
        );
        let limit = reply.rate_limit();
        if limit.remaining.is_some() {
            *self.rate.lock().expect("rate lock") = Some(limit);
        }
        Ok(reply)
    }

    /// The owner's kind (`GET /users/{owner}`): one call per run.
    pub async fn owner(&self, login: &str) -> Result<Owner, PruneError> {
        let url = self.url(&format!("/users/{}", encode_segment(login)));
        let reply = self
            .send(Method::GET, &url, &self.counters.owner_lookups)
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(PruneError::UnknownOwner {
                owner: login.to_owned(),
            });
        }
        check(&reply, &url)?;
        let owner: OwnerJson = parse(&reply, &url)?;
        Ok(match owner.kind.as_str() {
            "Organization" => Owner::Organization(login.to_owned()),
            _ => Owner::User(login.to_owned()),
        })
    }

    /// The owner's container packages (only needed for globs; `GITHUB_TOKEN` cannot).
    pub async fn packages(&self, owner: &Owner) -> Result<Vec<String>, PruneError> {
        let mut url = self.url(&format!("{}/packages", owner.prefix()));
        url.query_pairs_mut()
            .append_pair("package_type", "container");
        let pages = self
            .all_pages(url, &self.counters.package_pages, |status, body| {
                (status == StatusCode::BAD_REQUEST).then(|| PruneError::CannotListPackages {
                    owner: owner.login().to_owned(),
                    answer: message(body),
                })
            })
            .await?;
        let Some(pages) = pages else {
            return Ok(Vec::new());
        };
        let mut names = Vec::new();
        for (url, page) in pages {
            let packages: Vec<PackageJson> =
                serde_json::from_slice(&page).map_err(|err| PruneError::BadAnswer {
                    request: gantry_http::redact_url(&url),
                    problem: err.to_string(),
                })?;
            names.extend(packages.into_iter().map(|package| package.name));
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Every version of `package`, deduplicated by id; `None` when GitHub says the package
    /// does not exist (or the token cannot see it).
    pub async fn versions(
        &self,
        owner: &Owner,
        package: &str,
    ) -> Result<Option<Vec<Version>>, PruneError> {
        let mut url = self.url(&format!(
            "{}/packages/container/{}/versions",
            owner.prefix(),
            encode_segment(package)
        ));
        url.query_pairs_mut().append_pair("state", "active");
        let Some(pages) = self
            .all_pages(url, &self.counters.version_pages, |_, _| None)
            .await?
        else {
            return Ok(None);
        };
        let mut versions: Vec<Version> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (url, page) in pages {
            let bad = |problem: String| PruneError::BadAnswer {
                request: gantry_http::redact_url(&url),
                problem,
            };
            let entries: Vec<VersionJson> =
                serde_json::from_slice(&page).map_err(|err| bad(err.to_string()))?;
            for entry in entries {
                if !seen.insert(entry.id) {
                    continue;
                }
                let time = |text: Option<String>| match text {
                    Some(text) => text
                        .parse::<Timestamp>()
                        .map(Some)
                        .map_err(|err| bad(format!("version {}: time {text:?}: {err}", entry.id))),
                    None => Ok(None),
                };
                let tags = entry
                    .metadata
                    .and_then(|metadata| metadata.container)
                    .and_then(|container| container.tags)
                    .unwrap_or_default();
                versions.push(Version {
                    id: entry.id,
                    digest: entry.name,
                    tags,
                    created_at: time(entry.created_at)?,
                    updated_at: time(entry.updated_at)?,
                });
            }
        }
        Ok(Some(versions))
    }

    /// Every page of a listing: page 1, then (knowing the last page from `Link`) the rest in
    /// parallel, then `next` links while the listing keeps growing. `None` on a 404.
    /// `refusal` turns a failed first answer into a specific error.
    async fn all_pages(
        &self,
        mut first: Url,
        counter: &AtomicU64,
        refusal: impl Fn(StatusCode, &[u8]) -> Option<PruneError>,
    ) -> Result<Option<Vec<(Url, Vec<u8>)>>, PruneError> {
        first
            .query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string())
            .append_pair("page", "1");
        let reply = self.send(Method::GET, &first, counter).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !reply.status.is_success()
            && let Some(error) = refusal(reply.status, &reply.body)
        {
            return Err(error);
        }
        check(&reply, &first)?;
        let links = self.links(&reply.headers, &first)?;
        let mut pages = vec![(first.clone(), reply.body)];
        let mut next = links.next;
        if let Some(last) = links.last
            && let Some(count) = page_number(&last)
        {
            let urls: Vec<Url> = (2..=count).map(|page| with_page(&last, page)).collect();
            let mut fetched: Vec<(usize, Url, Reply)> =
                futures::stream::iter(urls.into_iter().enumerate())
                    .map(|(position, url)| async move {
                        let reply = self.send(Method::GET, &url, counter).await?;
                        Ok::<_, PruneError>((position, url, reply))
                    })
                    .buffer_unordered(self.list_concurrency)
                    .collect::<Vec<_>>()
                    .await
                    .into_iter()
                    .collect::<Result<_, _>>()?;
            fetched.sort_by_key(|(position, _, _)| *position);
            next = None;
            for (_, url, reply) in fetched {
                check(&reply, &url)?;
                next = self.links(&reply.headers, &url)?.next;
                pages.push((url, reply.body));
            }
        }
        // The listing grew while it was read, or the server gave no `last`.
        while let Some(url) = next.take() {
            if pages.len() > 100_000 {
                break;
            }
            let reply = self.send(Method::GET, &url, counter).await?;
            check(&reply, &url)?;
            next = self.links(&reply.headers, &url)?.next;
            pages.push((url, reply.body));
        }
        Ok(Some(pages))
    }

    /// `next` and `last` of a `Link` header. Entries that do not parse are skipped; a link to
    /// another origin is refused, so the token never leaves the API.
    fn links(&self, headers: &HeaderMap, request: &Url) -> Result<Links, PruneError> {
        let mut links = Links::default();
        let Some(header) = headers.get(LINK).and_then(|value| value.to_str().ok()) else {
            return Ok(links);
        };
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let Some(target) = parts
                .next()
                .map(str::trim)
                .and_then(|part| part.strip_prefix('<'))
                .and_then(|part| part.strip_suffix('>'))
            else {
                continue;
            };
            let Ok(url) = request.join(target) else {
                continue;
            };
            if url.origin() != self.base.origin() {
                return Err(PruneError::BadAnswer {
                    request: gantry_http::redact_url(request),
                    problem: format!(
                        "a Link header points to another origin ({}); not following it with the token",
                        gantry_http::redact_url(&url)
                    ),
                });
            }
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    continue;
                };
                if key.trim() != "rel" {
                    continue;
                }
                for rel in value.trim().trim_matches('"').split_whitespace() {
                    match rel {
                        "next" => links.next = Some(url.clone()),
                        "last" => links.last = Some(url.clone()),
                        _ => {}
                    }
                }
            }
        }
        Ok(links)
    }

    /// Deletes one version.
    pub async fn delete(
        &self,
        owner: &Owner,
        package: &str,
        id: u64,
    ) -> Result<Deleted, PruneError> {
        let url = self.url(&format!(
            "{}/packages/container/{}/versions/{id}",
            owner.prefix(),
            encode_segment(package)
        ));
        let reply = self
            .send(Method::DELETE, &url, &self.counters.deletes)
            .await?;
        match reply.status.as_u16() {
            200..=299 => Ok(Deleted::Done),
            404 => Ok(Deleted::AlreadyGone),
            400 => {
                let text = message(&reply.body);
                let lower = text.to_ascii_lowercase();
                if lower.contains("last tagged version") {
                    Ok(Deleted::LastTagged(text))
                } else if lower.contains("5000 downloads") || lower.contains("5,000 downloads") {
                    Ok(Deleted::Popular(text))
                } else {
                    Err(status_error(&reply, &url))
                }
            }
            _ => Err(status_error(&reply, &url)),
        }
    }
}

#[derive(Default)]
struct Links {
    next: Option<Url>,
    last: Option<Url>,
}

fn page_number(url: &Url) -> Option<usize> {
    url.query_pairs()
        .find(|(key, _)| key == "page")
        .and_then(|(_, value)| value.parse().ok())
}

fn with_page(url: &Url, page: usize) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "page")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut url = url.clone();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("page", &page.to_string());
    url
}

/// GitHub's `message`, or the start of the body.
fn message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    match serde_json::from_slice::<Message>(body) {
        Ok(found) => found.message,
        Err(_) => String::from_utf8_lossy(body).chars().take(200).collect(),
    }
}

fn check(reply: &Reply, url: &Url) -> Result<(), PruneError> {
    if reply.status.is_success() {
        Ok(())
    } else {
        Err(status_error(reply, url))
    }
}

/// The error for a refused request: a token problem, a spent rate limit, or anything else.
fn status_error(reply: &Reply, url: &Url) -> PruneError {
    let request = gantry_http::redact_url(url);
    let text = message(&reply.body);
    let limit = reply.rate_limit();
    let rate_limited = reply.status == StatusCode::TOO_MANY_REQUESTS
        || (reply.status == StatusCode::FORBIDDEN
            && (limit.remaining == Some(0)
                || reply.headers.contains_key("retry-after")
                || text.to_ascii_lowercase().contains("rate limit")));
    if rate_limited {
        return PruneError::RateLimited {
            request,
            reset: limit
                .reset
                .and_then(|reset| Timestamp::try_from(reset).ok())
                .filter(|reset| {
                    *reset > Timestamp::try_from(SystemTime::now()).unwrap_or_default()
                }),
            answer: text,
        };
    }
    if matches!(reply.status.as_u16(), 401 | 403) {
        return PruneError::Token {
            status: reply.status.as_u16(),
            request,
            answer: text,
        };
    }
    PruneError::Status {
        request,
        status: reply.status.as_u16(),
        answer: text,
    }
}

fn parse<T: serde::de::DeserializeOwned>(reply: &Reply, url: &Url) -> Result<T, PruneError> {
    reply.json().map_err(|err| PruneError::BadAnswer {
        request: gantry_http::redact_url(url),
        problem: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_one_segment() {
        assert_eq!(encode_segment("team/app"), "team%2Fapp");
        assert_eq!(encode_segment("shop-api_v2.1"), "shop-api_v2.1");
    }

    #[test]
    fn pages_are_replaced_not_added() {
        let url = Url::parse("https://api.github.com/x?per_page=100&page=7&state=active").unwrap();
        assert_eq!(page_number(&url), Some(7));
        assert_eq!(
            with_page(&url, 3).as_str(),
            "https://api.github.com/x?per_page=100&state=active&page=3"
        );
    }

    fn api() -> GithubApi {
        GithubApi::new(
            "https://api.github.com",
            Secret::new("t"),
            RetryPolicy::default(),
            10,
            "test",
        )
        .unwrap()
    }

    #[test]
    fn links_are_read_leniently_and_never_followed_elsewhere() {
        let api = api();
        let request = Url::parse("https://api.github.com/orgs/a/packages").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            "<https://api.github.com/orgs/a/packages?page=2>; rel=\"next\", garbage, <https://api.github.com/orgs/a/packages?page=9>; rel=\"last\"; foo=bar, <x>; rel=\"weird\""
                .parse()
                .unwrap(),
        );
        let links = api.links(&headers, &request).unwrap();
        assert_eq!(page_number(&links.next.unwrap()), Some(2));
        assert_eq!(page_number(&links.last.unwrap()), Some(9));
        headers.insert(
            LINK,
            "<https://evil.example/steal?page=2>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert!(matches!(
            api.links(&headers, &request),
            Err(PruneError::BadAnswer { .. })
        ));
    }

    #[test]
    fn ghes_paths_keep_their_prefix() {
        let api = GithubApi::new(
            "https://ghes.example.com/api/v3/",
            Secret::new("t"),
            RetryPolicy::default(),
            10,
            "test",
        )
        .unwrap();
        assert_eq!(
            api.url("/users/acme").as_str(),
            "https://ghes.example.com/api/v3/users/acme"
        );
    }
}
