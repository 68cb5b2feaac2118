use std::error::Error as _;
use std::fmt;

use reqwest::Url;

/// A request that got no HTTP answer (connect, TLS, timeout, broken body), or a client that
/// could not be built.
///
/// Built from the parts of a `reqwest::Error` that cannot hold credentials: the URL goes
/// through [`redact_url`] and the underlying error is kept as text without its URL, so neither
/// `Display` nor `Debug` can show userinfo or tokens. Headers are never part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// `GET https://host/path`, redacted; `None` when no request was involved.
    request: Option<String>,
    reason: String,
    timeout: bool,
    connect: bool,
    too_large: bool,
}

impl HttpError {
    /// A client or request that could not be built (TLS setup, malformed URL or header).
    pub(crate) fn setup(what: &str, err: reqwest::Error) -> Self {
        Self {
            request: None,
            reason: format!("cannot build the {what}: {}", error_chain(err)),
            timeout: false,
            connect: false,
            too_large: false,
        }
    }

    /// Wraps a transport error of the request `method url`.
    pub fn transport(method: &reqwest::Method, url: &Url, err: reqwest::Error) -> Self {
        Self {
            request: Some(format!("{method} {}", redact_url(url))),
            timeout: err.is_timeout(),
            connect: err.is_connect(),
            too_large: false,
            reason: error_chain(err),
        }
    }

    /// The answer to `method url` was larger than `limit` bytes; it was not read.
    pub(crate) fn too_large(method: &reqwest::Method, url: &Url, limit: usize) -> Self {
        Self {
            request: Some(format!("{method} {}", redact_url(url))),
            reason: format!(
                "the answer is larger than {} MiB, far more than this request ever needs; it was not read",
                limit.div_ceil(1024 * 1024)
            ),
            timeout: false,
            connect: false,
            too_large: true,
        }
    }

    /// No time was left to send `method url` (the caller's deadline or the retry budget).
    pub(crate) fn out_of_time(method: &reqwest::Method, url: &Url) -> Self {
        Self {
            request: Some(format!("{method} {}", redact_url(url))),
            reason: "no time left for it (the time allowed for this request and its retries has run out)".to_owned(),
            timeout: true,
            connect: false,
            too_large: false,
        }
    }

    /// The connection was never made, so the server saw nothing of the request.
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// The answer was larger than the request's limit (and was not read).
    pub fn is_too_large(&self) -> bool {
        self.too_large
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            Some(request) => write!(f, "{request}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for HttpError {}

/// A reqwest error on its own: the request shown is the error's URL, redacted.
impl From<reqwest::Error> for HttpError {
    fn from(err: reqwest::Error) -> Self {
        Self {
            request: err.url().map(redact_url),
            timeout: err.is_timeout(),
            connect: err.is_connect(),
            too_large: false,
            reason: error_chain(err),
        }
    }
}

/// `error sending request: client error (Connect): tcp connect error: Connection refused`:
/// every level of the chain, because reqwest's own Display stops at the first.
fn error_chain(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // hyper repeats the inner message in the outer one now and then.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Query parameters whose values are credentials in some API or other.
const SECRET_QUERY_KEYS: &[&str] = &[
    "access_token",
    "token",
    "api_key",
    "apikey",
    "key",
    "password",
    "secret",
    "signature",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
];

/// A URL safe to print: no user name or password, and credential-like query values replaced
/// by `REDACTED` (pre-signed blob URLs and `?access_token=` APIs carry secrets there).
pub fn redact_url(url: &Url) -> String {
    let mut url = url.clone();
    // Fails only for URLs that cannot have userinfo, which then have none to hide.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let secret = SECRET_QUERY_KEYS
                    .iter()
                    .any(|candidate| key.eq_ignore_ascii_case(candidate));
                let value = if secret {
                    "REDACTED".to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_userinfo_and_secret_query_values() {
        let url = Url::parse(
            "https://bot:hunter2@ghcr.io/v2/acme/api/blobs/x?X-Amz-Signature=abc123&page=2&access_token=tok",
        )
        .unwrap();
        let shown = redact_url(&url);
        assert_eq!(
            shown,
            "https://ghcr.io/v2/acme/api/blobs/x?X-Amz-Signature=REDACTED&page=2&access_token=REDACTED"
        );
        assert!(!shown.contains("hunter2") && !shown.contains("bot"));
    }

    #[test]
    fn redaction_keeps_plain_urls_unchanged() {
        let url = Url::parse("http://127.0.0.1:5000/v2/").unwrap();
        assert_eq!(redact_url(&url), "http://127.0.0.1:5000/v2/");
    }

    #[tokio::test]
    async fn transport_errors_never_show_credentials() {
        crate::install_crypto_provider();
        // Port 9 (discard) on loopback is closed here; the connect fails at once.
        let url = Url::parse("http://user:hunter2@127.0.0.1:9/x?token=tok").unwrap();
        let err = crate::client("gantry-test/0")
            .unwrap()
            .get(url.clone())
            .send()
            .await
            .expect_err("nothing listens on port 9");
        let err = HttpError::transport(&reqwest::Method::GET, &url, err);
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("user:"),
            "{shown}"
        );
        assert!(
            !shown.contains("tok&") && !shown.ends_with("tok"),
            "{shown}"
        );
        assert!(
            shown.contains("GET http://127.0.0.1:9/x?token=REDACTED"),
            "{shown}"
        );
        assert!(err.is_connect(), "{shown}");
    }
}
