//! The one HTTP client setup shared by gantry's network tools.
//!
//! - [`install_crypto_provider`]: reqwest is built with `rustls-no-provider` (ring, no aws-lc C
//!   build), so a process must install the ring provider before it builds any client.
//! - [`client`] / [`client_builder`]: a `reqwest::Client` with a real User-Agent
//!   (`gantry-<tool>/<version>`, see [`user_agent!`]) and connect/read timeouts.
//! - [`retry`]: which answers may be repeated, how long the server asks us to wait
//!   (`Retry-After`, `x-ratelimit-*`) and [`retry::send`], a retry loop on `backon` in which the
//!   caller states whether the request is idempotent.
//! - [`Secret`] and [`HttpError`]: credentials never reach Display or Debug output.

mod error;
pub mod retry;
mod secret;

use std::time::Duration;

pub use error::{HttpError, redact_url};
pub use secret::Secret;

/// Time allowed to open a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest silence allowed while reading a response; slow but alive transfers go on.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

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

/// A client builder with gantry's defaults: User-Agent, [`CONNECT_TIMEOUT`], [`READ_TIMEOUT`].
///
/// Proxies come only from the standard `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` variables (as
/// with curl); reqwest's OS proxy lookup is not compiled in. Installs the crypto provider.
pub fn client_builder(user_agent: &str) -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
}

/// A ready client with gantry's defaults; see [`client_builder`].
pub fn client(user_agent: &str) -> Result<reqwest::Client, HttpError> {
    client_builder(user_agent)
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

    #[test]
    fn installing_the_provider_twice_is_harmless() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        client("gantry-test/0").expect("a client builds once the provider is installed");
    }
}
