//! When to repeat a request and how long to wait first.
//!
//! Whether a request may be repeated at all is the caller's decision ([`Idempotency`]): a
//! server error (5xx) or a timeout can hide a request that took effect, so only idempotent
//! requests are repeated then. Rate-limit refusals (429, GitHub's rate-limit 403) and failed
//! connects prove the server did nothing, so every request may be repeated after them.
//!
//! Waits come from the server when it names one (`Retry-After`, or `x-ratelimit-reset` once
//! `x-ratelimit-remaining` is 0), else from an exponential backoff with jitter built by
//! `backon`. A server asking for more than [`RetryPolicy::max_wait`] gets its answer handed back
//! to the caller instead of a stalled job.
//!
//! Whatever the server does, one [`send`] ends within [`RetryPolicy::budget`] (and
//! [`send_before`] by its deadline): each attempt is cut at what is left of it, and no wait
//! runs past it. Each attempt also ends within [`crate::request_timeout`], and reads at most
//! [`RetryPolicy::body_limit`] bytes of the answer: a larger one is refused, never buffered.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backon::{ExponentialBuilder, Retryable as _};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;

use crate::HttpError;

/// Whether repeating a request is harmless, as the caller knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating has the same effect as sending once: GET, HEAD, PUT of the same bytes, a
    /// DELETE whose 404 means "already gone".
    Idempotent,
    /// Repeating could act twice (trigger a deploy, create something): repeated only when the
    /// server provably did not process it.
    NotIdempotent,
}

/// What an HTTP answer means for a retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    /// A success, or an error that the same request will meet again.
    Final,
    /// Refused unprocessed because of a rate limit (429, or a GitHub 403 that says so).
    /// `wait` is the server's own figure when it gave one.
    RateLimited { wait: Option<Duration> },
    /// A server-side failure (500, 502, 503, 504, 408, …) that may pass; the request may
    /// or may not have taken effect.
    Transient { wait: Option<Duration> },
}

impl ResponseClass {
    /// Whether a request of this idempotency may be sent again after this answer.
    pub fn may_retry(self, idempotency: Idempotency) -> bool {
        match self {
            ResponseClass::Final => false,
            ResponseClass::RateLimited { .. } => true,
            ResponseClass::Transient { .. } => idempotency == Idempotency::Idempotent,
        }
    }
}

/// Sorts an answer into final, rate-limited or transient.
///
/// `body` is only searched for GitHub's "rate limit" wording on 403s; `now` anchors
/// HTTP-date and epoch headers (a parameter so tests need no clock).
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> ResponseClass {
    let server_wait =
        || retry_after(headers, now).or_else(|| RateLimit::from_headers(headers).wait(now));
    match status {
        StatusCode::TOO_MANY_REQUESTS => ResponseClass::RateLimited {
            wait: server_wait(),
        },
        StatusCode::FORBIDDEN if is_rate_limit_refusal(headers, body) => {
            ResponseClass::RateLimited {
                wait: server_wait(),
            }
        }
        StatusCode::REQUEST_TIMEOUT => ResponseClass::Transient {
            wait: server_wait(),
        },
        // 501 and 505 say the server cannot do this at all; asking again changes nothing.
        StatusCode::NOT_IMPLEMENTED | StatusCode::HTTP_VERSION_NOT_SUPPORTED => {
            ResponseClass::Final
        }
        status if status.is_server_error() => ResponseClass::Transient {
            wait: server_wait(),
        },
        _ => ResponseClass::Final,
    }
}

/// GitHub answers both primary and secondary limits with 403 (or 429): the primary one with
/// `x-ratelimit-remaining: 0`, the secondary one with `retry-after` or only a message such as
/// "You have exceeded a secondary rate limit".
fn is_rate_limit_refusal(headers: &HeaderMap, body: &[u8]) -> bool {
    if headers.contains_key(RETRY_AFTER) || RateLimit::from_headers(headers).remaining == Some(0) {
        return true;
    }
    // The message is near the start; a bounded look keeps huge error pages cheap.
    let head = &body[..body.len().min(4096)];
    String::from_utf8_lossy(head)
        .to_ascii_lowercase()
        .contains("rate limit")
}

/// The wait a `Retry-After` header asks for: delta seconds or an HTTP-date (a date in the past
/// means no wait). `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let at = UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(at.as_second()).ok()?))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// GitHub's `x-ratelimit-*` headers; each field is `None` when missing or unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub used: Option<u64>,
    /// When the window resets (`x-ratelimit-reset`, epoch seconds).
    pub reset: Option<SystemTime>,
    /// Which limit the numbers are for (`core`, `graphql`, …).
    pub resource: Option<String>,
}

impl RateLimit {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
        };
        let number = |name: &str| text(name).and_then(|value| value.parse::<u64>().ok());
        Self {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            used: number("x-ratelimit-used"),
            // Far beyond any clock (18446744073709551615) is no reset time at all.
            reset: number("x-ratelimit-reset")
                .and_then(|epoch| UNIX_EPOCH.checked_add(Duration::from_secs(epoch))),
            resource: text("x-ratelimit-resource").map(str::to_owned),
        }
    }

    /// How long until the window resets, when it is used up (`remaining` is 0).
    pub fn wait(&self, now: SystemTime) -> Option<Duration> {
        if self.remaining != Some(0) {
            return None;
        }
        let reset = self.reset?;
        Some(reset.duration_since(now).unwrap_or(Duration::ZERO))
    }
}

/// How often and how long to wait between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Repeats after the first attempt.
    pub retries: usize,
    /// First backoff delay; it doubles (with jitter) up to `max_delay`.
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Least wait after a rate-limit refusal that names no time (GitHub's advice: at least a
    /// minute).
    pub rate_limit_floor: Duration,
    /// Longest single wait accepted. Asked for longer, [`send`] returns the answer instead.
    pub max_wait: Duration,
    /// Longest time one [`send`] may take, every attempt and wait included.
    pub budget: Duration,
    /// Largest answer body read, in bytes; a larger answer is an error, and is not read.
    pub body_limit: usize,
}

/// Largest answer body [`RetryPolicy::default`] reads: API answers are far smaller.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Test-only knob: the first backoff delay of [`RetryPolicy::default`] (a humantime duration
/// such as `10ms`), so fault tests retry in milliseconds. Not part of the user contract;
/// waits a server names (`Retry-After`) are kept.
pub const RETRY_DELAY_VAR: &str = "GANTRY_HTTP_RETRY_DELAY";

impl Default for RetryPolicy {
    fn default() -> Self {
        let min_delay = crate::duration_knob(RETRY_DELAY_VAR).unwrap_or(Duration::from_secs(1));
        Self {
            retries: 4,
            min_delay,
            max_delay: Duration::from_secs(30),
            rate_limit_floor: Duration::from_secs(60),
            max_wait: Duration::from_secs(15 * 60),
            // Room for the longest rate-limit wait and an attempt after it.
            budget: Duration::from_secs(20 * 60),
            body_limit: BODY_LIMIT,
        }
    }
}

impl RetryPolicy {
    /// The backoff schedule for the waits the server does not name.
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.retries)
            .with_jitter()
    }

    /// The wait before the next attempt, given the backoff's next delay (`None` once the
    /// retries are used up); `None` means give up.
    fn next_wait(&self, class: ResponseClass, backoff: Option<Duration>) -> Option<Duration> {
        let backoff = backoff?;
        let wait = match class {
            ResponseClass::Final => return None,
            ResponseClass::RateLimited { wait: Some(wait) }
            | ResponseClass::Transient { wait: Some(wait) } => wait,
            ResponseClass::RateLimited { wait: None } => backoff.max(self.rate_limit_floor),
            ResponseClass::Transient { wait: None } => backoff,
        };
        (wait <= self.max_wait).then_some(wait)
    }
}

/// A complete answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Requests sent to get this answer (1 when the first one was final).
    pub attempts: u32,
}

impl Reply {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(&self.headers)
    }
}

/// Why one attempt did not produce a final answer.
enum Failure {
    /// An answer that may be retried; handed to the caller if the retries run out.
    Answer(Reply, ResponseClass),
    Transport(HttpError),
    /// The request could not be built; repeating cannot help.
    Setup(HttpError),
}

/// Sends the request that `request` builds, repeating it as `policy` and `idempotency` allow.
///
/// `request` is called once per attempt, so bodies are rebuilt rather than replayed. Returns
/// the last answer whatever its status (a 429 after the retries is an `Ok` with that status);
/// `Err` only when no answer came at all, or the answer was too large.
pub async fn send(
    idempotency: Idempotency,
    policy: &RetryPolicy,
    request: impl FnMut() -> reqwest::RequestBuilder,
) -> Result<Reply, HttpError> {
    send_before(None, idempotency, policy, request).await
}

/// [`send`] that also ends by `deadline` (a caller's phase of work), if that comes before the
/// end of the policy's budget.
pub async fn send_before(
    deadline: Option<Instant>,
    idempotency: Idempotency,
    policy: &RetryPolicy,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
) -> Result<Reply, HttpError> {
    let budget_end = Instant::now()
        .checked_add(policy.budget)
        .unwrap_or_else(far_future);
    let end = deadline.map_or(budget_end, |deadline| deadline.min(budget_end));
    let attempts = AtomicU32::new(0);
    let attempt = || {
        let builder = request();
        let attempts = &attempts;
        async move {
            attempts.fetch_add(1, Ordering::Relaxed);
            send_once(builder, idempotency, end, policy.body_limit).await
        }
    };
    // A wait that would end past `end` is not started: the last failure stands.
    let in_time = |wait: Option<Duration>| {
        wait.filter(|wait| Instant::now().checked_add(*wait).is_some_and(|at| at < end))
    };
    let outcome = attempt
        .retry(policy.backoff())
        .when(|failure| match failure {
            Failure::Answer(..) => true,
            Failure::Transport(err) => idempotency == Idempotency::Idempotent || err.is_connect(),
            Failure::Setup(_) => false,
        })
        .adjust(|failure, backoff| match failure {
            Failure::Answer(_, class) => in_time(policy.next_wait(*class, backoff)),
            Failure::Transport(_) | Failure::Setup(_) => in_time(backoff),
        })
        .notify(|failure, wait| match failure {
            Failure::Answer(reply, _) => {
                tracing::info!(status = %reply.status, ?wait, "retrying after a refused request");
            }
            Failure::Transport(err) => {
                tracing::info!(%err, ?wait, "retrying after a failed request")
            }
            Failure::Setup(_) => {}
        })
        .await;
    let attempts = attempts.load(Ordering::Relaxed);
    match outcome {
        Ok(reply) | Err(Failure::Answer(reply, _)) => Ok(Reply { attempts, ..reply }),
        Err(Failure::Transport(err) | Failure::Setup(err)) => Err(err),
    }
}

/// Far enough to never come, near enough to add to.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

async fn send_once(
    builder: reqwest::RequestBuilder,
    idempotency: Idempotency,
    end: Instant,
    body_limit: usize,
) -> Result<Reply, Failure> {
    let (client, request) = builder.build_split();
    let mut request = request.map_err(|err| Failure::Setup(HttpError::setup("request", err)))?;
    let method = request.method().clone();
    let url = request.url().clone();
    let left = end.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Failure::Setup(HttpError::out_of_time(&method, &url)));
    }
    // From connecting to the body's last byte, whatever pace the server keeps.
    *request.timeout_mut() = Some(left.min(crate::request_timeout()));
    let transport = |err| Failure::Transport(HttpError::transport(&method, &url, err));
    let mut response = client.execute(request).await.map_err(transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let too_large = || Failure::Setup(HttpError::too_large(&method, &url, body_limit));
    // A HEAD answer's length is that of the body it leaves out.
    if method != reqwest::Method::HEAD
        && response
            .content_length()
            .is_some_and(|length| length > body_limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > body_limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let class = classify(status, &headers, &body, SystemTime::now());
    let reply = Reply {
        status,
        headers,
        body,
        attempts: 0,
    };
    if class.may_retry(idempotency) {
        Err(Failure::Answer(reply, class))
    } else {
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    /// 2015-10-21T07:28:00Z, the date of RFC 9110's example.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_445_412_480)
    }

    fn class(status: u16, pairs: &[(&'static str, &str)], body: &str) -> ResponseClass {
        classify(
            StatusCode::from_u16(status).unwrap(),
            &headers(pairs),
            body.as_bytes(),
            now(),
        )
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "120")]), now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]),
                now()
            ),
            Some(Duration::from_secs(30))
        );
        // A date already past asks for no wait at all.
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]),
                now()
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "soon")]), now()),
            None
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-5")]), now()), None);
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn rate_limit_headers_are_read_leniently() {
        let limit = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-used", "5000"),
            ("x-ratelimit-reset", "1445412540"),
            ("x-ratelimit-resource", "core"),
        ]));
        assert_eq!(limit.limit, Some(5000));
        assert_eq!(limit.remaining, Some(0));
        assert_eq!(limit.resource.as_deref(), Some("core"));
        assert_eq!(limit.wait(now()), Some(Duration::from_secs(60)));

        let garbled = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-remaining", "lots"),
            ("x-ratelimit-reset", "tomorrow"),
        ]));
        assert_eq!(garbled, RateLimit::default());
        assert_eq!(garbled.wait(now()), None);

        // A reset beyond any clock is no reset time, not a panic.
        let far = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "18446744073709551615"),
        ]));
        assert_eq!(far.reset, None);
        assert_eq!(far.wait(now()), None);
        assert_eq!(
            class(
                429,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "18446744073709551615")
                ],
                ""
            ),
            ResponseClass::RateLimited { wait: None }
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "18446744073709551615")]), now()),
            Some(Duration::from_secs(u64::MAX))
        );

        // Requests left: no reason to wait whatever the reset time.
        let left = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", "1445412540"),
        ]));
        assert_eq!(left.wait(now()), None);
    }

    #[test]
    fn server_errors_are_transient_except_the_permanent_ones() {
        for status in [500, 502, 503, 504, 408] {
            assert_eq!(
                class(status, &[], ""),
                ResponseClass::Transient { wait: None },
                "{status}"
            );
        }
        assert_eq!(
            class(503, &[("retry-after", "7")], ""),
            ResponseClass::Transient {
                wait: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(class(501, &[], ""), ResponseClass::Final);
        assert_eq!(class(505, &[], ""), ResponseClass::Final);
    }

    #[test]
    fn successes_and_client_errors_are_final() {
        for status in [200, 201, 204, 301, 400, 401, 404, 405, 422] {
            assert_eq!(
                class(status, &[], "rate limit"),
                ResponseClass::Final,
                "{status}"
            );
        }
    }

    #[test]
    fn github_rate_limit_refusals_are_recognised() {
        assert_eq!(
            class(429, &[], ""),
            ResponseClass::RateLimited { wait: None }
        );
        assert_eq!(
            class(429, &[("retry-after", "3")], ""),
            ResponseClass::RateLimited {
                wait: Some(Duration::from_secs(3))
            }
        );
        // Primary limit: remaining 0, wait until the reset.
        assert_eq!(
            class(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1445412500")
                ],
                r#"{"message":"API rate limit exceeded for installation ID 1."}"#
            ),
            ResponseClass::RateLimited {
                wait: Some(Duration::from_secs(20))
            }
        );
        // Secondary limit: only the message tells.
        assert_eq!(
            class(
                403,
                &[("x-ratelimit-remaining", "4200")],
                r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/"}"#
            ),
            ResponseClass::RateLimited { wait: None }
        );
        // A permission 403 is final.
        assert_eq!(
            class(
                403,
                &[],
                r#"{"message":"Resource not accessible by integration"}"#
            ),
            ResponseClass::Final
        );
    }

    #[test]
    fn only_rate_limits_let_non_idempotent_requests_repeat() {
        let limited = ResponseClass::RateLimited { wait: None };
        let transient = ResponseClass::Transient { wait: None };
        assert!(limited.may_retry(Idempotency::NotIdempotent));
        assert!(limited.may_retry(Idempotency::Idempotent));
        assert!(!transient.may_retry(Idempotency::NotIdempotent));
        assert!(transient.may_retry(Idempotency::Idempotent));
        assert!(!ResponseClass::Final.may_retry(Idempotency::Idempotent));
    }

    #[test]
    fn waits_follow_the_server_then_the_backoff_within_the_cap() {
        let policy = RetryPolicy::default();
        let backoff = Some(Duration::from_secs(2));
        let server = |secs| Some(Duration::from_secs(secs));
        assert_eq!(
            policy.next_wait(ResponseClass::Transient { wait: None }, backoff),
            backoff
        );
        assert_eq!(
            policy.next_wait(ResponseClass::Transient { wait: server(9) }, backoff),
            server(9)
        );
        assert_eq!(
            policy.next_wait(ResponseClass::RateLimited { wait: None }, backoff),
            Some(policy.rate_limit_floor)
        );
        assert_eq!(
            policy.next_wait(ResponseClass::RateLimited { wait: server(3600) }, backoff),
            None,
            "an hour is beyond max_wait"
        );
        assert_eq!(
            policy.next_wait(ResponseClass::Transient { wait: server(1) }, None),
            None,
            "no retries left"
        );
    }
}
