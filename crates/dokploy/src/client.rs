//! The Dokploy REST client: `/api/<router>.<procedure>`, queries as GET with flat query
//! parameters, mutations as POST with a JSON body, the key in `x-api-key`.
//!
//! The key never follows a redirect: reqwest drops only the standard credential headers on
//! another origin, so the HTTP client given must not follow redirects (see [`http_client`]),
//! and a redirect answer is an error that names where it points.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gantry_http::retry::{self, Idempotency, RetryPolicy};
use gantry_http::{Deadline, Secret};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// The header Dokploy (v0.19.0+) reads API keys from.
const API_KEY_HEADER: &str = "x-api-key";

/// A Dokploy server and the key to talk to it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `https://host[/prefix]/api/`: procedures are joined onto it.
    api: Url,
    /// The API key, marked sensitive so no HTTP-level debug output shows it.
    key: HeaderValue,
    retry: RetryPolicy,
    /// The end of the current phase (setup, a stage, a rollback): no request outlives it.
    deadline: Deadline,
    /// Shared by the clones, so a caller can count what a whole run asked.
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    calls: AtomicU64,
    sent: AtomicU64,
}

/// What a client and its clones asked the panel: `calls` (one per query or mutation) and
/// every request `sent` (the calls, and their retries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requests {
    pub calls: u64,
    pub sent: u64,
}

/// The HTTP client for Dokploy: gantry's defaults, and no redirects (the key would follow).
pub fn http_client() -> Result<reqwest::Client, gantry_http::HttpError> {
    let builder = gantry_http::client_builder(gantry_http::user_agent!())?;
    builder
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(gantry_http::HttpError::from)
}

impl Client {
    /// A client for the Dokploy panel at `server` (its address, with or without a trailing
    /// `/api`). `http` should come from [`gantry_http::client`].
    pub fn new(
        http: reqwest::Client,
        server: &str,
        key: Secret,
        retry: RetryPolicy,
    ) -> Result<Client, ApiError> {
        let mut key = HeaderValue::from_str(key.expose().trim()).map_err(|_| ApiError::BadKey)?;
        key.set_sensitive(true);
        Ok(Client {
            http,
            api: api_base(server)?,
            key,
            retry,
            deadline: Deadline::default(),
            counts: Arc::default(),
        })
    }

    /// What this client and its clones asked so far.
    pub fn requests(&self) -> Requests {
        Requests {
            calls: self.counts.calls.load(Ordering::Relaxed),
            sent: self.counts.sent.load(Ordering::Relaxed),
        }
    }

    /// The end of the current phase of work; set it with [`Deadline::until`].
    pub fn deadline(&self) -> &Deadline {
        &self.deadline
    }

    /// The panel's address (without `/api/`), for links to its UI.
    pub fn panel_url(&self) -> String {
        let api = self.api.as_str().trim_end_matches('/');
        api.strip_suffix("/api").unwrap_or(api).to_owned()
    }

    /// The plain HTTP client (for health checks, which must not carry the key).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A query: `GET /api/<procedure>?k=v...`, repeated on 5xx and failed connections.
    pub async fn query<T: DeserializeOwned>(
        &self,
        procedure: &str,
        params: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let url = self.url(procedure);
        let body = self
            .send(procedure, Idempotency::Idempotent, || {
                self.http.get(url.clone()).query(params)
            })
            .await?;
        parse(procedure, &body)
    }

    /// A query that older servers do not have: `None` on 404.
    pub async fn query_if_available<T: DeserializeOwned>(
        &self,
        procedure: &str,
        params: &[(&str, &str)],
    ) -> Result<Option<T>, ApiError> {
        match self.query(procedure, params).await {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A mutation: `POST /api/<procedure>` with `body` as JSON. An empty answer is `None`.
    ///
    /// `idempotency` says whether a 5xx or a lost answer may be repeated; a deploy trigger is
    /// [`Idempotency::NotIdempotent`] and then goes out again only when the connection never
    /// opened.
    pub async fn mutate(
        &self,
        procedure: &str,
        body: &Value,
        idempotency: Idempotency,
    ) -> Result<Option<Value>, ApiError> {
        let url = self.url(procedure);
        let body = self
            .send(procedure, idempotency, || {
                self.http.post(url.clone()).json(body)
            })
            .await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        parse(procedure, &body).map(Some)
    }

    /// Sends what `request` builds, with the key, retried as `idempotency` allows; the body
    /// of a successful answer, or the error the answer describes.
    async fn send(
        &self,
        procedure: &str,
        idempotency: Idempotency,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ApiError> {
        self.counts.calls.fetch_add(1, Ordering::Relaxed);
        let reply = retry::send_before(self.deadline.get(), idempotency, &self.retry, || {
            self.counts.sent.fetch_add(1, Ordering::Relaxed);
            request().header(API_KEY_HEADER, self.key.clone())
        })
        .await
        .map_err(|source| ApiError::Transport {
            procedure: procedure.to_owned(),
            source,
        })?;
        if reply.status.is_success() {
            return Ok(reply.body);
        }
        Err(error_from_answer(
            procedure,
            self.panel_url(),
            reply.status.as_u16(),
            &reply.headers,
            &reply.body,
        ))
    }

    fn url(&self, procedure: &str) -> Url {
        // Procedure names are fixed identifiers (`router.procedure`): joining cannot fail.
        self.api
            .join(procedure)
            .unwrap_or_else(|_| self.api.clone())
    }
}

/// `https://host/prefix` (or `.../api`) → `https://host/prefix/api/`.
fn api_base(server: &str) -> Result<Url, ApiError> {
    let bad = |problem: &str| ApiError::BadUrl {
        url: server.to_owned(),
        problem: problem.to_owned(),
    };
    let mut url = Url::parse(server.trim()).map_err(|error| bad(&error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Printing the URL back would print the credentials: say it without the URL.
        return Err(ApiError::BadUrl {
            url: gantry_http::redact_url(&url),
            problem: "it holds credentials; the API key comes from DOKPLOY_API_KEY only".into(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/api").unwrap_or(path);
    url.set_path(&format!("{path}/api/"));
    Ok(url)
}

/// Turns a Dokploy error answer into a readable error: its message and validation issues, the
/// key's 401 (no `code`) told apart from a handler's refusal (with `code`), HTML pages summed up.
pub(crate) fn error_from_answer(
    procedure: &str,
    server: String,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiError {
    let procedure = procedure.to_owned();
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(|json| json.get("message"))
        .and_then(Value::as_str);
    let code = json
        .as_ref()
        .and_then(|json| json.get("code"))
        .and_then(Value::as_str);
    if (300..400).contains(&status) {
        return redirect_error(procedure, status, headers);
    }
    if message.is_none() && looks_like_html(headers, body) {
        return html_error(procedure, status, headers, body);
    }
    match (status, code) {
        (401, None) => ApiError::Unauthorized { server, procedure },
        (401 | 403, _) => ApiError::forbidden(
            procedure,
            status,
            message.map_or_else(|| snippet(body), str::to_owned),
        ),
        _ => ApiError::Rejected {
            procedure,
            status,
            code: code.unwrap_or_default().to_owned(),
            message: with_issues(
                message.map_or_else(|| snippet(body), str::to_owned),
                json.as_ref(),
            ),
        },
    }
}

/// A redirect is not followed with the key: say where it points, so the user can give that
/// address instead.
fn redirect_error(procedure: String, status: u16, headers: &HeaderMap) -> ApiError {
    let target = headers
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(|location| match Url::parse(location) {
            Ok(url) => gantry_http::redact_url(&url),
            Err(_) => one_line(location),
        })
        .unwrap_or_else(|| "nowhere".to_owned());
    ApiError::Rejected {
        procedure,
        status,
        code: String::new(),
        message: format!(
            "a redirect to {target}, not followed (it would carry the API key there); if that \
             is your Dokploy, give its address as --dokploy-url"
        ),
    }
}

fn looks_like_html(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    content_type.starts_with("text/html")
        || String::from_utf8_lossy(&body[..body.len().min(256)])
            .trim_start()
            .starts_with('<')
}

fn html_error(procedure: String, status: u16, headers: &HeaderMap, body: &[u8]) -> ApiError {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let title = lower
        .find("<title")
        .and_then(|start| Some(start + lower[start..].find('>')? + 1))
        .and_then(|start| Some((start, start + lower[start..].find("</title")?)))
        .map(|(start, end)| one_line(&text[start..end]))
        .filter(|title| !title.is_empty())
        .map(|title| format!(", \"{title}\""))
        .unwrap_or_default();
    let cloudflare = headers.contains_key("cf-ray")
        || headers
            .get("server")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|server| server.eq_ignore_ascii_case("cloudflare"));
    ApiError::Html {
        procedure,
        status,
        title,
        via: if cloudflare {
            " (through Cloudflare)".into()
        } else {
            String::new()
        },
    }
}

/// `message: path.to.field: issue; other: issue` for a 400 with zod issues.
fn with_issues(message: String, json: Option<&Value>) -> String {
    let issues: Vec<String> = json
        .and_then(|json| json.get("issues"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|issue| {
            let text = issue.get("message")?.as_str()?;
            let path: Vec<String> = issue
                .get("path")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|part| match part {
                    Value::String(name) => name.clone(),
                    other => other.to_string(),
                })
                .collect();
            Some(if path.is_empty() {
                text.to_owned()
            } else {
                format!("{}: {text}", path.join("."))
            })
        })
        .collect();
    if issues.is_empty() {
        message
    } else {
        format!("{message} ({})", issues.join("; "))
    }
}

/// The start of a non-JSON error body, on one line.
fn snippet(body: &[u8]) -> String {
    let text = one_line(&String::from_utf8_lossy(&body[..body.len().min(200)]));
    if text.is_empty() {
        "(empty answer)".into()
    } else {
        text
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses a successful answer. Errors never quote the body (it may hold secrets), only
/// where the problem is and, for a missing field, which.
fn parse<T: DeserializeOwned>(procedure: &str, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        let message = error.to_string();
        let what = if message.starts_with("missing field") {
            message
                .split(" at line")
                .next()
                .unwrap_or_default()
                .to_owned()
        } else if body.is_empty() {
            "an empty answer".to_owned()
        } else {
            match error.classify() {
                serde_json::error::Category::Data => "unexpected JSON types".to_owned(),
                _ => "not JSON".to_owned(),
            }
        };
        ApiError::BadAnswer {
            procedure: procedure.to_owned(),
            problem: format!("{what} (line {}, column {})", error.line(), error.column()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn answer(status: u16, content_type: &str, body: &str) -> ApiError {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        error_from_answer(
            "application.update",
            "https://dokploy.example".into(),
            status,
            &headers,
            body.as_bytes(),
        )
    }

    #[test]
    fn api_base_accepts_the_panel_address_in_every_spelling() {
        for (given, expected) in [
            (
                "https://dokploy.example.com",
                "https://dokploy.example.com/api/",
            ),
            (
                "https://dokploy.example.com/",
                "https://dokploy.example.com/api/",
            ),
            (
                "https://dokploy.example.com/api",
                "https://dokploy.example.com/api/",
            ),
            (
                "http://10.0.0.2:3000/panel/",
                "http://10.0.0.2:3000/panel/api/",
            ),
        ] {
            assert_eq!(api_base(given).unwrap().as_str(), expected, "{given}");
        }
    }

    #[test]
    fn api_base_refuses_credentials_without_printing_them() {
        let error = api_base("https://user:hunter2@dokploy.example.com").unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(matches!(
            api_base("ftp://x").unwrap_err(),
            ApiError::BadUrl { .. }
        ));
        assert!(matches!(
            api_base("not a url").unwrap_err(),
            ApiError::BadUrl { .. }
        ));
    }

    #[test]
    fn the_key_wrapper_401_differs_from_a_handler_401() {
        let key = answer(401, "application/json", r#"{"message":"Unauthorized"}"#);
        assert!(matches!(key, ApiError::Unauthorized { .. }), "{key:?}");
        let handler = answer(
            401,
            "application/json",
            r#"{"message":"You don't have access to this service","code":"UNAUTHORIZED"}"#,
        );
        assert_eq!(
            handler.to_string(),
            "Dokploy denied application.update (401): You don't have access to this service"
        );
    }

    #[test]
    fn validation_issues_are_listed() {
        let error = answer(
            400,
            "application/json",
            r#"{"message":"Input validation failed","code":"BAD_REQUEST","issues":[
                {"code":"invalid_type","path":["applicationId"],"message":"Required"},
                {"code":"custom","path":[],"message":"Bad"}]}"#,
        );
        assert_eq!(
            error.to_string(),
            "Dokploy rejected application.update (400 BAD_REQUEST): Input validation failed \
             (applicationId: Required; Bad)"
        );
    }

    #[test]
    fn html_pages_are_summed_up_not_dumped() {
        let page = "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title>\
                    </head><body>lots of markup</body></html>";
        let mut headers = HeaderMap::new();
        headers.insert("cf-ray", HeaderValue::from_static("8a1b"));
        let error = error_from_answer(
            "deployment.all",
            String::new(),
            403,
            &headers,
            page.as_bytes(),
        );
        assert_eq!(
            error.to_string(),
            "Dokploy answered deployment.all with an HTML page (403, \"Attention Required! | \
             Cloudflare\") (through Cloudflare)"
        );
        let bare = answer(502, "text/html", "<html><body>Bad Gateway</body></html>");
        assert_eq!(
            bare.to_string(),
            "Dokploy answered application.update with an HTML page (502)"
        );
        assert!(bare.is_ambiguous() && bare.is_transient());
    }

    #[test]
    fn plain_text_errors_are_quoted_briefly() {
        let error = answer(500, "text/plain", "Internal\n  Server Error");
        assert_eq!(
            error.to_string(),
            "Dokploy rejected application.update (500): Internal Server Error"
        );
        assert!(error.is_ambiguous());
    }

    #[test]
    fn parse_errors_never_quote_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Row {
            count: u32,
            name: String,
        }
        let error = parse::<Row>("x.one", br#"{"count":"s3cret-value","name":"a"}"#).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("unexpected JSON types"), "{shown}");
        let missing = parse::<Row>("x.one", br#"{"count":1}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `name`"),
            "{missing}"
        );
        let empty = parse::<Row>("x.one", b"").unwrap_err();
        assert!(empty.to_string().contains("an empty answer"), "{empty}");
    }
}
