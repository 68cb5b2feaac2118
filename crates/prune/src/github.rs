//! The GitHub Packages REST API, on reqwest through gantry-http: the owner lookup (and, for
//! a user, whether the token is that user's, for the `/user` routes), package and version
//! listings read to their end, version deletes (a 404 read back), rate-limit bookkeeping and
//! errors that say which token to use.
//!
//! Listings are read as GitHub serves them, not as its pagination guide says: package
//! listings carry no `Link` header, so a full page is never taken for the last one; page 1's
//! `rel="last"` lets the rest be read in parallel, but only a page number up to
//! [`MAX_PAGES`] is believed; no page is requested twice (a `next` back to page 1 ends
//! nothing and loops nothing); package listings stop at GitHub's 10,000-item window.
//!
//! reqwest rather than octocrab: the pruner must see every `Link` header, every
//! `x-ratelimit-*` header and every 403 body to pace itself, stop on a spent budget and tell a
//! rate limit from a permission problem; gantry-http's retry loop already does the waiting.

use std::collections::HashSet;
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
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use crate::error::PruneError;
use crate::model::Version;

/// Versions (and packages) asked for per page: GitHub's maximum.
pub const PER_PAGE: u64 = 100;
/// Pages one listing may take: a million versions. A server that pages on forever, or a
/// `rel="last"` of page 10⁸, ends in an error, never in a truncated listing or a huge
/// allocation.
pub const MAX_PAGES: u64 = 10_000;
/// Package listings answer 400 past `page × per_page = 10,000` (`package_es_list_error` in
/// the REST description); nothing in the API pages beyond it.
pub const PACKAGE_LIST_WINDOW: u64 = 10_000;

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
    /// `/users/{login}`: another user's packages (the REST description documents these
    /// routes for public packages).
    User(String),
    /// `/user`: the token's own account, private packages included.
    Me(String),
}

impl Owner {
    pub fn login(&self) -> &str {
        match self {
            Owner::Organization(login) | Owner::User(login) | Owner::Me(login) => login,
        }
    }

    fn prefix(&self) -> String {
        match self {
            Owner::Organization(org) => format!("/orgs/{}", encode_segment(org)),
            Owner::User(login) => format!("/users/{}", encode_segment(login)),
            Owner::Me(_) => "/user".to_owned(),
        }
    }
}

/// What a delete came to.
#[derive(Debug)]
pub enum Deleted {
    Done,
    /// 404, and reading the version back answers 404 too: gone already (a stale listing or
    /// another run).
    AlreadyGone,
    /// GitHub's 400 "You cannot delete the last tagged version of a package".
    LastTagged(String),
    /// GitHub's 400 "You cannot delete the last version of a package".
    LastVersion(String),
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
    /// Versions read back after a DELETE answered 404.
    pub read_backs: AtomicU64,
    pub retries: AtomicU64,
}

/// An owner's container packages, as far as GitHub lists them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PackageNames {
    /// Sorted, without duplicates.
    pub names: Vec<String>,
    /// The listing reached [`PACKAGE_LIST_WINDOW`] with more to come: packages beyond it
    /// are not in `names`.
    pub windowed: bool,
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

#[derive(Deserialize)]
struct LoginJson {
    login: String,
}

/// Which listing is read: they end differently at GitHub's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    Packages,
    Versions,
}

/// One page of a listing.
struct Page<T> {
    url: Url,
    number: u64,
    items: Vec<T>,
    links: Links,
}

/// A listing read to its end: its pages, and whether it stopped at the window.
struct Pages<T> {
    pages: Vec<(Url, Vec<T>)>,
    windowed: bool,
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
        if owner.kind == "Organization" {
            return Ok(Owner::Organization(login.to_owned()));
        }
        // A user's own private packages are served by the /user routes only (the
        // /users/{username} ones are documented for public packages): ask whose token it is.
        let me = self.url("/user");
        let reply = self
            .send(Method::GET, &me, &self.counters.owner_lookups)
            .await?;
        if !reply.status.is_success() {
            // Installation tokens (GITHUB_TOKEN, App tokens) act for no user; they cannot
            // reach a user's private packages either.
            return match status_error(&reply, &me) {
                PruneError::Integration { .. } => Ok(Owner::User(login.to_owned())),
                err => Err(err),
            };
        }
        let who: LoginJson = parse(&reply, &me)?;
        Ok(if who.login.eq_ignore_ascii_case(login) {
            Owner::Me(login.to_owned())
        } else {
            Owner::User(login.to_owned())
        })
    }

    /// The owner's container packages (only needed for globs; `GITHUB_TOKEN` cannot).
    pub async fn packages(&self, owner: &Owner) -> Result<PackageNames, PruneError> {
        let mut url = self.url(&format!("{}/packages", owner.prefix()));
        url.query_pairs_mut()
            .append_pair("package_type", "container");
        let listed = self
            .all_pages::<PackageJson>(url, Listing::Packages, |status, body| {
                (status == StatusCode::BAD_REQUEST).then(|| PruneError::CannotListPackages {
                    owner: owner.login().to_owned(),
                    answer: message(body),
                })
            })
            .await?;
        let Some(listed) = listed else {
            return Ok(PackageNames::default());
        };
        let mut names: Vec<String> = listed
            .pages
            .into_iter()
            .flat_map(|(_, packages)| packages)
            .map(|package| package.name)
            .collect();
        names.sort();
        names.dedup();
        Ok(PackageNames {
            names,
            windowed: listed.windowed,
        })
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
        let Some(listed) = self
            .all_pages::<VersionJson>(url, Listing::Versions, |_, _| None)
            .await?
        else {
            return Ok(None);
        };
        let mut versions: Vec<Version> = Vec::new();
        let mut seen = HashSet::new();
        for (url, entries) in listed.pages {
            let bad = |problem: String| PruneError::BadAnswer {
                request: gantry_http::redact_url(&url),
                problem,
            };
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
                    leftover: false,
                });
            }
        }
        Ok(Some(versions))
    }

    /// Every page of a listing, `None` on a 404. Page 1 first; when it names a believable
    /// `rel="last"`, pages 2 to last in parallel; then onwards one page at a time, by `next`
    /// or, where GitHub sent no `Link` (or a `next` already read), by page number after a
    /// full page. No page is requested twice. `refusal` turns a failed first answer into a
    /// specific error.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        mut first: Url,
        listing: Listing,
        refusal: impl Fn(StatusCode, &[u8]) -> Option<PruneError>,
    ) -> Result<Option<Pages<T>>, PruneError> {
        first
            .query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string())
            .append_pair("page", "1");
        let counter = self.counter(listing);
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
        let mut visited = HashSet::from([visit_key(&first)]);
        let mut current = self.page(reply, first, 1)?;
        let mut pages = Vec::new();
        let last = current
            .links
            .last
            .as_ref()
            .filter(|_| current.links.next.is_some())
            .and_then(|last| Some((last.clone(), page_number(last)?)))
            .filter(|(_, number)| (2..=MAX_PAGES).contains(number));
        if let Some((template, last)) = last {
            let last = match listing {
                Listing::Packages => last.min(PACKAGE_LIST_WINDOW / PER_PAGE),
                Listing::Versions => last,
            };
            let template = &template;
            let mut fetched: Vec<(u64, Option<Page<T>>)> = futures::stream::iter(2..=last)
                .map(|number| async move {
                    let url = with_page(template, number);
                    Ok::<_, PruneError>((number, self.fetch(url, number, listing).await?))
                })
                .buffer_unordered(self.list_concurrency)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, _>>()?;
            fetched.sort_by_key(|(number, _)| *number);
            for (_, page) in fetched {
                let Some(page) = page else {
                    pages.push((current.url, current.items));
                    return Ok(Some(Pages {
                        pages,
                        windowed: true,
                    }));
                };
                visited.insert(visit_key(&page.url));
                let done = std::mem::replace(&mut current, page);
                pages.push((done.url, done.items));
            }
        }
        loop {
            let next = following(&current, &visited);
            pages.push((current.url, current.items));
            let Some((url, number)) = next else {
                return Ok(Some(Pages {
                    pages,
                    windowed: false,
                }));
            };
            if listing == Listing::Packages && number.saturating_mul(PER_PAGE) > PACKAGE_LIST_WINDOW
            {
                return Ok(Some(Pages {
                    pages,
                    windowed: true,
                }));
            }
            if pages.len() as u64 >= MAX_PAGES {
                return Err(PruneError::ListingTooLong {
                    request: gantry_http::redact_url(&url),
                    pages: MAX_PAGES,
                });
            }
            visited.insert(visit_key(&url));
            match self.fetch(url, number, listing).await? {
                Some(page) => current = page,
                None => {
                    return Ok(Some(Pages {
                        pages,
                        windowed: true,
                    }));
                }
            }
        }
    }

    fn counter(&self, listing: Listing) -> &AtomicU64 {
        match listing {
            Listing::Packages => &self.counters.package_pages,
            Listing::Versions => &self.counters.version_pages,
        }
    }

    /// Page `number` of a listing; `None` when a package listing answers the window's 400.
    /// The version listings do not document the window: if one answers it anyway, the
    /// listing cannot be completed, which is an error.
    async fn fetch<T: DeserializeOwned>(
        &self,
        url: Url,
        number: u64,
        listing: Listing,
    ) -> Result<Option<Page<T>>, PruneError> {
        let reply = self.send(Method::GET, &url, self.counter(listing)).await?;
        // Page 1 was fine, so a 400 now is about the page: the window (which GitHub may well
        // apply below 10,000 to some listings).
        if reply.status == StatusCode::BAD_REQUEST && number > 1 {
            return match listing {
                Listing::Packages => Ok(None),
                Listing::Versions => Err(PruneError::ListingWindow {
                    request: gantry_http::redact_url(&url),
                    answer: message(&reply.body),
                }),
            };
        }
        check(&reply, &url)?;
        self.page(reply, url, number).map(Some)
    }

    fn page<T: DeserializeOwned>(
        &self,
        reply: Reply,
        url: Url,
        number: u64,
    ) -> Result<Page<T>, PruneError> {
        let links = self.links(&reply.headers, &url)?;
        let items = parse(&reply, &url)?;
        Ok(Page {
            url,
            number,
            items,
            links,
        })
    }

    /// `next` and `last` of a `Link` header. Entries that do not parse are skipped; a link to
    /// another origin is refused, so the token never leaves the API.
    fn links(&self, headers: &HeaderMap, request: &Url) -> Result<Links, PruneError> {
        let mut links = Links::default();
        let Some(header) = headers.get(LINK).and_then(|value| value.to_str().ok()) else {
            return Ok(links);
        };
        links.present = true;
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
            404 => self.read_back(&url).await,
            400 => {
                let text = message(&reply.body);
                let lower = text.to_ascii_lowercase();
                if lower.contains("last tagged version") {
                    Ok(Deleted::LastTagged(text))
                } else if lower.contains("last version") {
                    Ok(Deleted::LastVersion(text))
                } else if lower.contains("5000 downloads") || lower.contains("5,000 downloads") {
                    Ok(Deleted::Popular(text))
                } else {
                    Err(status_error(&reply, &url))
                }
            }
            _ => Err(status_error(&reply, &url)),
        }
    }

    /// After a DELETE answered 404: GitHub answers 404 both for a version that is gone and
    /// for a delete the token may not make (it can read the package but is not its admin).
    /// Reading the version back tells them apart.
    async fn read_back(&self, url: &Url) -> Result<Deleted, PruneError> {
        let reply = self
            .send(Method::GET, url, &self.counters.read_backs)
            .await?;
        match reply.status {
            StatusCode::NOT_FOUND => Ok(Deleted::AlreadyGone),
            status if status.is_success() => Err(PruneError::DeleteRefused {
                request: gantry_http::redact_url(url),
            }),
            _ => Err(status_error(&reply, url)),
        }
    }
}

#[derive(Default)]
struct Links {
    /// The response had a `Link` header at all.
    present: bool,
    next: Option<Url>,
    last: Option<Url>,
}

/// The page after `page`, with its number: its `next` link unless read already, else after
/// a full page without a `Link` header (or with a `next` that loops), the next page number.
fn following<T>(page: &Page<T>, visited: &HashSet<String>) -> Option<(Url, u64)> {
    let unread = |url: &Url| !visited.contains(&visit_key(url));
    let after = page.number.saturating_add(1);
    if let Some(next) = page.links.next.as_ref().filter(|url| unread(url)) {
        return Some((next.clone(), page_number(next).unwrap_or(after)));
    }
    let full = page.items.len() as u64 >= PER_PAGE;
    let unsaid = !page.links.present || page.links.next.is_some();
    let next = with_page(&page.url, after);
    (full && unsaid && unread(&next)).then_some((next, after))
}

/// A URL as a page of a listing: path and sorted query, so reordered parameters are the
/// same page.
fn visit_key(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    pairs.sort();
    format!("{}?{pairs:?}", url.path())
}

fn page_number(url: &Url) -> Option<u64> {
    url.query_pairs()
        .find(|(key, _)| key == "page")
        .and_then(|(_, value)| value.parse().ok())
}

fn with_page(url: &Url, page: u64) -> Url {
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
    if reply.status == StatusCode::FORBIDDEN
        && text
            .to_ascii_lowercase()
            .contains("resource not accessible by integration")
    {
        return PruneError::Integration {
            request,
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

    /// A page of `items` items at `url` with this `Link` header.
    fn page(url: &str, number: u64, items: usize, link: Option<&str>) -> Page<()> {
        let api = api();
        let url = Url::parse(url).unwrap();
        let mut headers = HeaderMap::new();
        if let Some(link) = link {
            headers.insert(LINK, link.parse().unwrap());
        }
        Page {
            links: api.links(&headers, &url).unwrap(),
            url,
            number,
            items: vec![(); items],
        }
    }

    #[test]
    fn a_page_is_followed_by_its_next_link_or_after_a_full_page_by_the_next_number() {
        let base = "https://api.github.com/orgs/a/packages?package_type=container&per_page=100";
        let visited = |urls: &[&str]| -> HashSet<String> {
            urls.iter()
                .map(|url| visit_key(&Url::parse(url).unwrap()))
                .collect()
        };
        let first = format!("{base}&page=1");
        let second = format!("{base}&page=2");
        let seen = visited(&[&first]);
        // No Link header: a full page goes on, a short one ends.
        let (next, number) = following(&page(&first, 1, 100, None), &seen).unwrap();
        assert_eq!((next.as_str(), number), (second.as_str(), 2));
        assert!(following(&page(&first, 1, 99, None), &seen).is_none());
        // A Link header without `next` is the server saying this is the last page.
        let last_page = format!("<{first}>; rel=\"first\"");
        assert!(following(&page(&second, 2, 100, Some(&last_page)), &seen).is_none());
        // A `next` already read (reordered parameters too) falls back to the page number.
        let reordered = "<https://api.github.com/orgs/a/packages?page=1&per_page=100&package_type=container>; rel=\"next\"";
        let seen = visited(&[&first, &second]);
        let (next, number) = following(&page(&second, 2, 100, Some(reordered)), &seen).unwrap();
        assert_eq!((page_number(&next), number), (Some(3), 3));
        assert!(following(&page(&second, 2, 7, Some(reordered)), &seen).is_none());
    }

    #[test]
    fn page_numbers_past_any_real_listing_parse_without_overflow() {
        let url = |page: &str| Url::parse(&format!("https://x/y?page={page}")).unwrap();
        assert_eq!(page_number(&url("18446744073709551615")), Some(u64::MAX));
        assert_eq!(page_number(&url("18446744073709551616")), None);
        assert_eq!(page_number(&url("1e8")), None);
        assert_eq!(page_number(&url("-1")), None);
        let at_max = page(url("18446744073709551615").as_ref(), u64::MAX, 100, None);
        let (_, number) = following(&at_max, &HashSet::new()).unwrap();
        assert_eq!(number, u64::MAX, "saturates");
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
