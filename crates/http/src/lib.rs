//! The one HTTP client setup shared by gantry's network tools.
//!
//! - [`install_crypto_provider`]: reqwest is built with `rustls-no-provider` (ring, no aws-lc C
//!   build), so a process must install the ring provider before it builds any client.
//! - [`client`] / [`client_builder`]: a `reqwest::Client` with a real User-Agent
//!   (`gantry-<tool>/<version>`, see [`user_agent!`]), connect/read timeouts and the
//!   environment's proxies ([`ProxySettings`]), never for loopback addresses.
//! - [`retry`]: which answers may be repeated, how long the server asks us to wait
//!   (`Retry-After`, `x-ratelimit-*`) and [`retry::send`], a retry loop on `backon` in which the
//!   caller states whether the request is idempotent; every answer is read with a size limit
//!   and every call ends within a time budget (or a caller's deadline, [`retry::send_before`]).
//! - [`Deadline`]: the end of a phase of work (a deploy stage), shared by a client's clones.
//! - [`HttpError`]: credentials never reach Display or Debug output; credentials are
//!   [`Secret`]s (gantry-gha's, re-exported), which print as `***`.

mod deadline;
mod error;
pub mod retry;

use std::time::Duration;

pub use deadline::{Deadline, Phase};
pub use error::{HttpError, redact_url};
pub use gantry_gha::Secret;

/// Time allowed to open a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest silence allowed while reading a response; slow but alive transfers go on.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Test-only knob: a shorter [`READ_TIMEOUT`] (a humantime duration such as `2s`), so tests of
/// stalled servers finish in seconds. Not part of the user contract.
pub const READ_TIMEOUT_VAR: &str = "GANTRY_HTTP_READ_TIMEOUT";

/// The read timeout to use: [`READ_TIMEOUT`], or [`READ_TIMEOUT_VAR`] when it holds a valid
/// duration (anything else is ignored rather than failing a production run).
pub fn read_timeout() -> Duration {
    timeout_knob(READ_TIMEOUT_VAR, READ_TIMEOUT)
}

/// Longest time one attempt may take, from connecting to the answer's last byte: a server
/// that drips its answer (each byte within [`READ_TIMEOUT`]) cannot hold a request longer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Test-only knob: a shorter [`REQUEST_TIMEOUT`] (a humantime duration such as `2s`).
pub const REQUEST_TIMEOUT_VAR: &str = "GANTRY_HTTP_REQUEST_TIMEOUT";

/// The per-attempt time limit to use: [`REQUEST_TIMEOUT`], or [`REQUEST_TIMEOUT_VAR`] when it
/// holds a valid duration.
pub fn request_timeout() -> Duration {
    timeout_knob(REQUEST_TIMEOUT_VAR, REQUEST_TIMEOUT)
}

/// The non-zero duration in the test-only knob `variable`, else `default`.
fn timeout_knob(variable: &str, default: Duration) -> Duration {
    duration_knob(variable)
        .filter(|timeout| !timeout.is_zero())
        .unwrap_or(default)
}

/// The humantime duration in the test-only knob `variable`; `None` when unset or invalid.
pub(crate) fn duration_knob(variable: &str) -> Option<Duration> {
    std::env::var(variable)
        .ok()
        .and_then(|value| humantime::parse_duration(value.trim()).ok())
}

/// `gantry-<tool>/<version>` of the crate that expands it, as a `&'static str`.
///
/// Expands `env!("CARGO_PKG_NAME")` in the calling crate, so `gantry-promote` gets
/// `gantry-promote/0.1.0`. A `&'static str` because oci-client's config wants one.
#[macro_export]
macro_rules! user_agent {
    () => {
        concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"))
    };
}

/// Installs rustls' ring crypto provider for this process; later calls do nothing.
///
/// Must run before any reqwest or oci-client client is built: with `rustls-no-provider`
/// building a client without a process-wide provider panics.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race against another thread installing the same provider is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Hosts never sent through a proxy, whatever `NO_PROXY` says: test servers and local
/// registries live there.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.0/8", "::1"];

/// Proxies as curl reads them from the environment: `HTTPS_PROXY` / `HTTP_PROXY` (or
/// lowercase), falling back to `ALL_PROXY`, and `NO_PROXY` plus the loopback addresses.
///
/// Nothing else: reqwest's OS proxy lookup is not compiled in. Proxy URLs can hold
/// credentials, so they are [`Secret`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub https: Option<Secret>,
    pub http: Option<Secret>,
    /// Comma-separated hosts, domains and CIDR ranges that go direct.
    pub no_proxy: String,
}

impl ProxySettings {
    pub fn from_env() -> ProxySettings {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> ProxySettings {
        let read = |name: &str| {
            var(name)
                .or_else(|| var(&name.to_ascii_lowercase()))
                .filter(|value| !value.trim().is_empty())
        };
        let any = read("ALL_PROXY");
        let mut no_proxy = read("NO_PROXY").unwrap_or_default();
        for host in LOOPBACK {
            if !no_proxy.split(',').any(|listed| listed.trim() == host) {
                if !no_proxy.is_empty() {
                    no_proxy.push(',');
                }
                no_proxy.push_str(host);
            }
        }
        ProxySettings {
            https: read("HTTPS_PROXY")
                .or_else(|| any.clone())
                .map(Secret::from),
            http: read("HTTP_PROXY").or(any).map(Secret::from),
            no_proxy,
        }
    }
}

/// A client builder with gantry's defaults: User-Agent, [`CONNECT_TIMEOUT`], [`read_timeout`],
/// a total [`request_timeout`] per request, and only the proxies of
/// [`ProxySettings::from_env`]. Installs the crypto provider.
/// Fails only on a proxy variable that is not a URL.
pub fn client_builder(user_agent: &str) -> Result<reqwest::ClientBuilder, HttpError> {
    install_crypto_provider();
    let proxies = ProxySettings::from_env();
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(read_timeout())
        .timeout(request_timeout())
        .no_proxy();
    let direct = || reqwest::NoProxy::from_string(&proxies.no_proxy);
    if let Some(url) = &proxies.https {
        let proxy = reqwest::Proxy::https(url.expose())
            .map_err(|err| HttpError::setup("proxy of HTTPS_PROXY", err))?;
        builder = builder.proxy(proxy.no_proxy(direct()));
    }
    if let Some(url) = &proxies.http {
        let proxy = reqwest::Proxy::http(url.expose())
            .map_err(|err| HttpError::setup("proxy of HTTP_PROXY", err))?;
        builder = builder.proxy(proxy.no_proxy(direct()));
    }
    Ok(builder)
}

/// A ready client with gantry's defaults; see [`client_builder`].
pub fn client(user_agent: &str) -> Result<reqwest::Client, HttpError> {
    client_builder(user_agent)?
        .build()
        .map_err(|err| HttpError::setup("HTTP client", err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_names_this_crate_and_version() {
        assert_eq!(
            user_agent!(),
            format!("gantry-http/{}", env!("CARGO_PKG_VERSION"))
        );
    }

    fn settings(vars: &[(&str, &str)]) -> ProxySettings {
        ProxySettings::from_vars(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn proxies_come_from_the_environment_but_never_for_loopback() {
        let none = settings(&[]);
        assert_eq!(none.https, None);
        assert_eq!(none.http, None);
        assert_eq!(none.no_proxy, "localhost,127.0.0.0/8,::1");

        let set = settings(&[
            ("https_proxy", "http://proxy:3128"),
            ("ALL_PROXY", "http://fallback:3128"),
            ("NO_PROXY", "internal.example,localhost"),
        ]);
        assert_eq!(set.https.unwrap().expose(), "http://proxy:3128");
        assert_eq!(set.http.unwrap().expose(), "http://fallback:3128");
        assert_eq!(set.no_proxy, "internal.example,localhost,127.0.0.0/8,::1");

        let blank = settings(&[("HTTPS_PROXY", "  ")]);
        assert_eq!(blank.https, None);
    }

    #[test]
    fn proxy_credentials_stay_hidden() {
        let set = settings(&[("HTTPS_PROXY", "http://user:hunter2@proxy:3128")]);
        assert!(!format!("{set:?}").contains("hunter2"));
    }

    #[test]
    fn installing_the_provider_twice_is_harmless() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        client("gantry-test/0").expect("a client builds once the provider is installed");
    }
}
