//! The REST API: routing, auth, rate limits, faults, and the package endpoints.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};

use super::state::{Shared, State, Token, remove_manifest};
use super::{FakeVersion, LinkFault, OwnerKind, PackageRole, RequestKind, TokenKind, Visibility};

const DOCS: &str = "https://docs.github.com/rest/packages/packages";
const SECONDARY_MESSAGE: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:FAKE.";
const LAST_TAGGED_MESSAGE: &str =
    "You cannot delete the last tagged version of a package. You must delete the package instead.";
/// Reported in pruners' threads alongside the "last tagged" one (issue #14's audit).
const LAST_VERSION_MESSAGE: &str =
    "You cannot delete the last version of a package. You must delete the package instead.";
const POPULAR_MESSAGE: &str = "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance.";
/// The answer an installation token gets from an operation not enabled for GitHub Apps.
const INTEGRATION_MESSAGE: &str = "Resource not accessible by integration";
/// `components/responses/package_es_list_error` of the REST description.
const WINDOW_MESSAGE: &str =
    "The value of `per_page` multiplied by `page` cannot be greater than 10000.";
/// The package listings' window: `page × per_page` at most this (`package_es_list_error`).
const PACKAGE_LIST_WINDOW: usize = 10_000;

/// Whose packages a path is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Prefix {
    Org(String),
    User(String),
    /// `/user`: the token's own account.
    Me,
}

#[derive(Debug)]
struct Route {
    kind: RequestKind,
    prefix: Option<Prefix>,
    /// The decoded package name.
    package: Option<String>,
    version: Option<u64>,
    /// `/users/{login}` of an owner lookup.
    login: Option<String>,
}

fn route(method: &Method, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut route = Route {
        kind: RequestKind::OtherApi,
        prefix: None,
        package: None,
        version: None,
        login: None,
    };
    let get = method == Method::GET;
    let (prefix, rest): (Prefix, &[&str]) = match segments.as_slice() {
        ["rate_limit"] if get => {
            route.kind = RequestKind::RateLimit;
            return route;
        }
        ["user"] if get => {
            route.kind = RequestKind::AuthenticatedUser;
            return route;
        }
        ["users", login] if get => {
            route.kind = RequestKind::OwnerLookup;
            route.login = Some(decode(login));
            return route;
        }
        ["orgs", org, rest @ ..] => (Prefix::Org(decode(org)), rest),
        ["users", login, rest @ ..] => (Prefix::User(decode(login)), rest),
        ["user", rest @ ..] => (Prefix::Me, rest),
        _ => return route,
    };
    let kind = match rest {
        ["packages"] if get => RequestKind::PackageList,
        ["packages", "container", _] if get => RequestKind::PackageGet,
        ["packages", "container", _, "versions"] if get => RequestKind::VersionList,
        ["packages", "container", _, "versions", _] if get => RequestKind::VersionGet,
        ["packages", "container", _, "versions", _] if method == Method::DELETE => {
            RequestKind::VersionDelete
        }
        _ => return route,
    };
    let version = match rest.get(4) {
        Some(id) => match id.parse::<u64>() {
            Ok(id) => Some(id),
            Err(_) => return route,
        },
        None => None,
    };
    Route {
        kind,
        prefix: Some(prefix),
        package: rest.get(2).map(|name| decode(name)),
        version,
        login: None,
    }
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// A package name as one path segment (`team/app` → `team%2Fapp`).
fn encode(name: &str) -> String {
    utf8_percent_encode(name, NON_ALPHANUMERIC).to_string()
}

/// Counts one REST request in flight while alive.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> (InFlight<'a>, usize) {
        let mut state = shared.state();
        state.in_flight += 1;
        state.max_in_flight_seen = state.max_in_flight_seen.max(state.in_flight);
        (InFlight(shared), state.in_flight)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.state().in_flight -= 1;
    }
}

pub(crate) async fn handle(shared: &Shared, request: Request) -> Response {
    let (_guard, in_flight) = InFlight::enter(shared);
    let route = route(request.method(), request.uri().path());
    let query = parse_query(request.uri().query().unwrap_or(""));
    let token = bearer(&request);
    let decision = admit(shared, &route, token.as_deref(), in_flight);
    let token = match decision {
        Ok(token) => token,
        Err(refusal) => return *refusal,
    };
    let path = request.uri().path().to_owned();
    match route.kind {
        RequestKind::RateLimit => {
            let (limit, remaining, used, reset) = primary_numbers(shared, &shared.state());
            let core = json!({"limit": limit, "remaining": remaining, "used": used, "reset": reset, "resource": "core"});
            respond(
                shared,
                StatusCode::OK,
                &json!({"resources": {"core": core}, "rate": core}),
            )
        }
        RequestKind::OwnerLookup => {
            let login = route.login.unwrap_or_default();
            let kind = shared.state().owners.get(&login).copied();
            match kind {
                Some(kind) => respond(
                    shared,
                    StatusCode::OK,
                    &json!({
                        "login": login,
                        "id": 1,
                        "type": match kind {
                            OwnerKind::Organization => "Organization",
                            OwnerKind::User => "User",
                        },
                    }),
                ),
                None => not_found(shared, "Not Found"),
            }
        }
        // users/get-authenticated acts for a user: installation tokens (GitHub Apps and
        // GITHUB_TOKEN) get the integration refusal.
        RequestKind::AuthenticatedUser => match token.kind {
            TokenKind::App | TokenKind::GithubToken { .. } => {
                message(shared, StatusCode::FORBIDDEN, INTEGRATION_MESSAGE)
            }
            TokenKind::Classic | TokenKind::FineGrained => respond(
                shared,
                StatusCode::OK,
                &json!({"login": token.login, "id": 2, "type": "User"}),
            ),
        },
        RequestKind::OtherApi => not_found(shared, "Not Found"),
        _ => packages(shared, &route, &token, &path, &query).await,
    }
}

/// The checks every request passes before its handler: faults, credentials, rate limits.
/// Returns the caller's token.
fn admit(
    shared: &Shared,
    route: &Route,
    token: Option<&str>,
    in_flight: usize,
) -> Result<Token, Box<Response>> {
    let mut state = shared.state();
    if let Some(status) = state.record(route.kind) {
        drop(state);
        return Err(Box::new(message(
            shared,
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "Server Error",
        )));
    }
    let Some(token) = token.and_then(|token| state.token(token)) else {
        drop(state);
        return Err(Box::new(message(
            shared,
            StatusCode::UNAUTHORIZED,
            "Bad credentials",
        )));
    };
    if route.kind == RequestKind::RateLimit {
        return Ok(token);
    }
    let options = &shared.options;
    state.primary.roll(options.primary.window);
    if state.primary.used >= options.primary.limit {
        state.rate_limited += 1;
        drop(state);
        return Err(Box::new(message(
            shared,
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:FAKE.",
        )));
    }
    state.primary.used += 1;
    if in_flight > options.max_in_flight {
        state.rate_limited += 1;
        drop(state);
        return Err(Box::new(secondary_refusal(shared, Duration::from_secs(1))));
    }
    if route.kind == RequestKind::VersionDelete
        && let Some(limit) = options.secondary
    {
        state.secondary.roll(limit.window);
        if state.secondary.used >= limit.deletes {
            state.rate_limited += 1;
            let left = limit
                .window
                .saturating_sub(state.secondary.started.elapsed());
            drop(state);
            return Err(Box::new(secondary_refusal(shared, left)));
        }
        state.secondary.used += 1;
    }
    Ok(token)
}

fn secondary_refusal(shared: &Shared, wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = message(shared, StatusCode::FORBIDDEN, SECONDARY_MESSAGE);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).expect("digits"),
    );
    response
}

/// Package, version-list, version and delete requests of one owner family.
async fn packages(
    shared: &Shared,
    route: &Route,
    token: &Token,
    path: &str,
    query: &HashMap<String, String>,
) -> Response {
    let prefix = route.prefix.clone().expect("package routes have a prefix");
    let owner = {
        let state = shared.state();
        match &prefix {
            Prefix::Org(org) => (state.owners.get(org) == Some(&OwnerKind::Organization))
                .then(|| (org.clone(), OwnerKind::Organization)),
            Prefix::User(login) => state.owners.get(login).map(|kind| (login.clone(), *kind)),
            Prefix::Me => Some((
                token.login.clone(),
                state
                    .owners
                    .get(&token.login)
                    .copied()
                    .unwrap_or(OwnerKind::User),
            )),
        }
    };
    let Some((owner, owner_kind)) = owner else {
        return not_found(shared, "Not Found");
    };
    let name = route.package.clone().unwrap_or_default();
    let repository = format!("{owner}/{name}");
    // Admin of every package of the owner: a classic PAT of the owner (or of an org admin).
    let admin = match &token.kind {
        // GitHub Packages takes classic PATs only ("About permissions for GitHub Packages").
        TokenKind::FineGrained => {
            return message(
                shared,
                StatusCode::FORBIDDEN,
                "Resource not accessible by personal access token",
            );
        }
        // Every packages operation has `x-github.enabledForGitHubApps: false`
        // (packages/list-packages-for-organization, packages/get-all-package-versions-for-
        // package-owned-by-org, packages/delete-package-version-for-org, …); GitHub support
        // confirmed Apps cannot delete versions (snok#94). Installation tokens get the
        // integration refusal (werf#3650).
        TokenKind::App => {
            return message(shared, StatusCode::FORBIDDEN, INTEGRATION_MESSAGE);
        }
        TokenKind::GithubToken { packages, role } => {
            if route.kind == RequestKind::PackageList {
                // chz#59: GITHUB_TOKEN cannot list packages.
                return message(shared, StatusCode::BAD_REQUEST, "Invalid argument");
            }
            if owner_kind == OwnerKind::User {
                // dax#28: not on user-owned packages.
                return message(shared, StatusCode::FORBIDDEN, INTEGRATION_MESSAGE);
            }
            if !packages.contains(&name) {
                // dpv#57: packages that did not grant the repository access.
                return not_found(shared, "Package not found.");
            }
            // packages/delete-package-version-for-org: "the authenticated user must also have
            // admin permissions to the package". Below Admin the version stays readable and
            // the DELETE answers 404 (issue #14; ghapi#132 saw the same from a workflow).
            if route.kind == RequestKind::VersionDelete && *role != PackageRole::Admin {
                return not_found(shared, "Package not found.");
            }
            true
        }
        TokenKind::Classic => {
            owner_kind == OwnerKind::Organization || prefix == Prefix::Me || token.login == owner
        }
    };
    let prefix_path = match &prefix {
        Prefix::Org(org) => format!("/orgs/{}", encode(org)),
        Prefix::User(login) => format!("/users/{}", encode(login)),
        Prefix::Me => "/user".to_owned(),
    };
    // The /users/{username} package routes are for public packages of *other* accounts:
    // packages/get-package-for-user and packages/get-all-package-versions-for-package-owned-
    // by-user say "a public package owned by a (specified) user"; a user's own private
    // packages go through /user (packages/get-all-package-versions-for-package-owned-by-
    // authenticated-user).
    let public_only = matches!(prefix, Prefix::User(_)) && owner_kind == OwnerKind::User;
    if route.kind == RequestKind::PackageList {
        if query.get("package_type").map(String::as_str) != Some("container") {
            return message(
                shared,
                StatusCode::BAD_REQUEST,
                "package_type must be one of npm, maven, rubygems, docker, nuget, container",
            );
        }
        let mut names: Vec<String> = State::packages_of(&shared.storage_root, &owner)
            .into_iter()
            .filter_map(|repository| {
                repository
                    .strip_prefix(&format!("{owner}/"))
                    .map(str::to_owned)
            })
            .collect();
        let listed: Vec<(String, Visibility)> = {
            let mut state = shared.state();
            names.extend(state.listed_only.get(&owner).cloned().unwrap_or_default());
            names.sort();
            names.dedup();
            names
                .into_iter()
                .map(|name| {
                    let visibility = state.package_mut(&format!("{owner}/{name}")).visibility;
                    (name, visibility)
                })
                .collect()
        };
        // packages/list-packages-for-user: "packages … for which the requesting user has
        // access"; `visibility` "only filters an existing result set".
        let wanted = query.get("visibility").map(String::as_str);
        let names: Vec<(String, Visibility)> = listed
            .into_iter()
            .filter(|(_, visibility)| {
                (!public_only || token.login == owner || *visibility == Visibility::Public)
                    && wanted.is_none_or(|wanted| wanted == visibility.as_str())
            })
            .collect();
        // No `Link` header on package listings, whatever the page: octokit/core.js#695 and
        // octokit/octokit.js#2400 show `/orgs/{org}/packages` answering without one.
        let page = paginated(
            shared,
            path,
            query,
            &names,
            |(name, visibility)| package_json(shared, &prefix_path, &owner, name, *visibility),
            &LinkFault::Omitted,
            Some(PACKAGE_LIST_WINDOW),
        );
        return page_response(shared, page);
    }
    let (exists, visibility) = {
        let mut state = shared.state();
        if state.package_mut(&repository).is_empty() {
            state.refresh(&shared.storage_root, &repository);
        }
        let package = state.package_mut(&repository);
        (!package.is_empty(), package.visibility)
    };
    let hidden =
        public_only && visibility != Visibility::Public && route.kind != RequestKind::VersionDelete;
    if !exists || hidden {
        return not_found(shared, "Package not found.");
    }
    if route.kind == RequestKind::VersionDelete && !admin {
        // packages/delete-package-version-for-user: "the authenticated user must have admin
        // permissions to the package".
        return not_found(shared, "Package not found.");
    }
    let version_url = |id: u64| {
        format!(
            "{}{prefix_path}/packages/container/{}/versions/{id}",
            shared.base_url,
            encode(&name)
        )
    };
    let to_json =
        |version: &FakeVersion| version_json(version, &version_url(version.id), &owner, &name);
    match route.kind {
        RequestKind::PackageGet => respond(
            shared,
            StatusCode::OK,
            &package_json(shared, &prefix_path, &owner, &name, visibility),
        ),
        RequestKind::VersionList => {
            let page = query
                .get("page")
                .and_then(|page| page.parse::<usize>().ok());
            let mut state = shared.state();
            if page.unwrap_or(1) <= 1 || state.package_mut(&repository).is_empty() {
                state.refresh(&shared.storage_root, &repository);
            }
            let (links, window) = (state.link_fault.clone(), state.version_window);
            let package = state.package_mut(&repository);
            let listed = if query.get("state").map(String::as_str) == Some("deleted") {
                Vec::new()
            } else {
                package.listing()
            };
            let page = paginated(
                shared,
                path,
                query,
                &listed,
                |version| to_json(version),
                &links,
                window,
            );
            drop(state);
            page_response(shared, page)
        }
        RequestKind::VersionGet => match find_version(shared, &repository, route.version) {
            Some(version) => respond(shared, StatusCode::OK, &to_json(&version)),
            None => not_found(shared, "Not Found"),
        },
        RequestKind::VersionDelete => delete(shared, &repository, route.version).await,
        _ => not_found(shared, "Not Found"),
    }
}

fn find_version(shared: &Shared, repository: &str, id: Option<u64>) -> Option<FakeVersion> {
    let id = id?;
    let mut state = shared.state();
    if let Some(version) = state.package_mut(repository).version(id) {
        return Some(version.clone());
    }
    state.refresh(&shared.storage_root, repository);
    state.package_mut(repository).version(id).cloned()
}

async fn delete(shared: &Shared, repository: &str, id: Option<u64>) -> Response {
    let Some(version) = find_version(shared, repository, id) else {
        return not_found(shared, "Not Found");
    };
    let (vanishing, refusal) = {
        let mut state = shared.state();
        let package = state.package_mut(repository);
        let vanishing = package.vanishing.remove(&version.digest);
        let other_tagged = package.other_tagged(version.id);
        let refusal = if package.popular.contains(&version.digest) {
            Some(POPULAR_MESSAGE)
        } else if package.len() == 1 {
            Some(LAST_VERSION_MESSAGE)
        } else if !version.tags.is_empty() && !other_tagged {
            Some(LAST_TAGGED_MESSAGE)
        } else {
            None
        };
        (vanishing, refusal)
    };
    if let Some(text) = refusal {
        return message(shared, StatusCode::BAD_REQUEST, text);
    }
    let removed = remove_manifest(&shared.storage_root, repository, &version.digest);
    let mut state = shared.state();
    if removed && !vanishing {
        state.deleted_version(repository, version.id, &version.digest);
        drop(state);
        return empty(shared, StatusCode::NO_CONTENT);
    }
    // Gone before our delete: someone else's (a race), not ours to count.
    state.package_mut(repository).forget(version.id);
    drop(state);
    not_found(shared, "Not Found")
}

fn package_json(
    shared: &Shared,
    prefix_path: &str,
    owner: &str,
    name: &str,
    visibility: Visibility,
) -> Value {
    json!({
        "id": 1,
        "name": name,
        "package_type": "container",
        "owner": {"login": owner},
        "visibility": visibility.as_str(),
        "url": format!("{}{prefix_path}/packages/container/{}", shared.base_url, encode(name)),
        "html_url": format!("https://github.com/{owner}/packages/container/package/{}", encode(name)),
    })
}

fn version_json(version: &FakeVersion, url: &str, owner: &str, name: &str) -> Value {
    json!({
        "id": version.id,
        "name": version.digest,
        "url": url,
        "package_html_url": format!("https://github.com/{owner}/packages/container/package/{}", encode(name)),
        "created_at": rfc3339(version.created_at),
        "updated_at": rfc3339(version.updated_at),
        "html_url": format!("https://github.com/{owner}/packages/container/{}/{}", encode(name), version.id),
        "metadata": {"package_type": "container", "container": {"tags": version.tags}},
    })
}

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

/// One page of `items` (`per_page` at most 100, default 30) and its `Link` header, written
/// as `links` says; `None` for a page beyond `window` items (see [`window_refusal`]).
fn paginated<T>(
    shared: &Shared,
    path: &str,
    query: &HashMap<String, String>,
    items: &[T],
    to_json: impl Fn(&T) -> Value,
    links: &LinkFault,
    window: Option<usize>,
) -> Option<(Value, Option<String>)> {
    let per_page = query
        .get("per_page")
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = query
        .get("page")
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    if window.is_some_and(|window| page.saturating_mul(per_page) > window) {
        return None;
    }
    let last = items.len().div_ceil(per_page).max(1);
    let body: Vec<Value> = items
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(to_json)
        .collect();
    let link_to = |target: &str| {
        let mut url = reqwest::Url::parse(&format!("{}{path}", shared.base_url))
            .expect("the fake's own URLs parse");
        {
            let mut pairs = url.query_pairs_mut();
            let mut keys: Vec<&String> = query.keys().collect();
            keys.sort();
            for key in keys {
                if key != "page" && key != "per_page" {
                    pairs.append_pair(key, &query[key]);
                }
            }
            pairs.append_pair("per_page", &per_page.to_string());
            pairs.append_pair("page", target);
        }
        url.to_string()
    };
    let last_target = match links {
        LinkFault::LastPage(text) => text.clone(),
        _ => last.to_string(),
    };
    let mut header = Vec::new();
    if page < last {
        header.push(format!(
            "<{}>; rel=\"next\"",
            link_to(&(page + 1).to_string())
        ));
        header.push(format!("<{}>; rel=\"last\"", link_to(&last_target)));
    } else if *links == LinkFault::NextToFirst {
        header.push(format!("<{}>; rel=\"next\"", link_to("1")));
    }
    if page > 1 {
        header.push(format!("<{}>; rel=\"first\"", link_to("1")));
        header.push(format!(
            "<{}>; rel=\"prev\"",
            link_to(&(page - 1).min(last).to_string())
        ));
    }
    let header = (!header.is_empty() && *links != LinkFault::Omitted).then(|| header.join(", "));
    Some((Value::Array(body), header))
}

/// A listing page as a response; beyond the window, `package_es_list_error`'s 400.
fn page_response(shared: &Shared, page: Option<(Value, Option<String>)>) -> Response {
    match page {
        Some((body, link)) => with_link(respond(shared, StatusCode::OK, &body), link),
        None => message(shared, StatusCode::BAD_REQUEST, WINDOW_MESSAGE),
    }
}

fn with_link(mut response: Response, link: Option<String>) -> Response {
    if let Some(link) = link {
        response.headers_mut().insert(
            header::LINK,
            HeaderValue::from_str(&link).expect("ASCII links"),
        );
    }
    response
}

fn parse_query(query: &str) -> HashMap<String, String> {
    reqwest::Url::parse(&format!("http://fake/?{query}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// The token of `Authorization: Bearer …` or `token …`.
fn bearer(request: &Request) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim().to_owned())
}

/// (limit, remaining, used, reset epoch seconds) of the primary window.
fn primary_numbers(shared: &Shared, state: &State) -> (u64, u64, u64, u64) {
    let limit = shared.options.primary.limit;
    let used = state.primary.used.min(limit);
    let left = shared
        .options
        .primary
        .window
        .saturating_sub(state.primary.started.elapsed());
    let reset = (SystemTime::now() + left)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() + 1);
    (limit, limit - used, used, reset)
}

fn respond(shared: &Shared, status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).expect("serialize JSON");
    with_headers(shared, status, Body::from(bytes))
}

fn empty(shared: &Shared, status: StatusCode) -> Response {
    with_headers(shared, status, Body::empty())
}

fn message(shared: &Shared, status: StatusCode, text: &str) -> Response {
    respond(
        shared,
        status,
        &json!({"message": text, "documentation_url": DOCS}),
    )
}

fn not_found(shared: &Shared, text: &str) -> Response {
    message(shared, StatusCode::NOT_FOUND, text)
}

/// Every REST answer carries the content type and the primary rate-limit headers.
fn with_headers(shared: &Shared, status: StatusCode, body: Body) -> Response {
    let (limit, remaining, used, reset) = primary_numbers(shared, &shared.state());
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (name, value) in [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-used", used.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        ("x-ratelimit-resource", "core".to_owned()),
        ("x-github-api-version-selected", "2022-11-28".to_owned()),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).expect("ASCII header"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_cover_the_three_owner_families() {
        let get = Method::GET;
        let r = route(&get, "/orgs/acme/packages/container/team%2Fapp/versions");
        assert_eq!(r.kind, RequestKind::VersionList);
        assert_eq!(r.prefix, Some(Prefix::Org("acme".into())));
        assert_eq!(r.package.as_deref(), Some("team/app"));
        let r = route(
            &Method::DELETE,
            "/user/packages/container/api/versions/5000000001",
        );
        assert_eq!(r.kind, RequestKind::VersionDelete);
        assert_eq!(r.prefix, Some(Prefix::Me));
        assert_eq!(r.version, Some(5_000_000_001));
        let r = route(&get, "/users/octo/packages");
        assert_eq!(r.kind, RequestKind::PackageList);
        assert_eq!(route(&get, "/users/octo").kind, RequestKind::OwnerLookup);
        // An unencoded slash makes more segments: not a route, as on GitHub.
        let r = route(&get, "/orgs/acme/packages/container/team/app/versions");
        assert_eq!(r.kind, RequestKind::OtherApi);
        assert_eq!(
            route(&get, "/orgs/acme/packages/container/api/versions/x").kind,
            RequestKind::OtherApi
        );
    }
}
