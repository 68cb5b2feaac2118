//! Which credentials a registry gets, decided by the endpoint gantry talks to (never by the
//! image's name). Secrets come from the environment only; the one user name comes from a
//! flag (`--username`, `INPUT_USERNAME`).

use gantry_gha::{Runtime, SecretInput};

use crate::{Credentials, Endpoint};

/// Environment variable holding the password for `--username`.
pub const PASSWORD_VAR: &str = "REGISTRY_PASSWORD";

/// Environment variable holding a GitHub token, exchanged for a registry token.
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";

/// The action input passing [`PASSWORD_VAR`], shared by every tool that talks to registries.
pub const PASSWORD_INPUT: SecretInput = SecretInput {
    input: "password",
    var: PASSWORD_VAR,
    default: "",
    required: false,
    description: "Password for username, passed as REGISTRY_PASSWORD",
};

/// The action input passing [`TOKEN_VAR`], the job's own token by default; each tool says
/// what it needs the token for in its `description`.
pub const fn token_input(description: &'static str) -> SecretInput {
    SecretInput {
        input: "token",
        var: TOKEN_VAR,
        default: "${{ github.token }}",
        required: false,
        description,
    }
}

/// GitHub's container registry.
const GHCR: &str = "ghcr.io";

/// What the environment says about credentials.
#[derive(Debug, Clone, Default)]
pub struct EnvCredentials {
    /// `$REGISTRY_PASSWORD`
    pub password: Option<gantry_gha::Secret>,
    /// `$GITHUB_TOKEN`
    pub github_token: Option<gantry_gha::Secret>,
    /// `$GITHUB_SERVER_URL`: on GitHub Enterprise Server its registry is `containers.<host>`.
    pub github_server_url: Option<String>,
    /// `$GITHUB_API_URL` (`https://<host>/api/v3` on GitHub Enterprise Server), for when the
    /// server URL is not set.
    pub github_api_url: Option<String>,
}

impl EnvCredentials {
    /// Reads (and masks, before anything can print them) the secrets of the process.
    pub fn read(runtime: &Runtime) -> EnvCredentials {
        EnvCredentials {
            password: runtime.secret_from_env(PASSWORD_VAR),
            github_token: runtime.secret_from_env(TOKEN_VAR),
            github_server_url: runtime.env().get("GITHUB_SERVER_URL").map(str::to_owned),
            github_api_url: runtime.env().get("GITHUB_API_URL").map(str::to_owned),
        }
    }

    /// GitHub's container registry for this server: `ghcr.io`, or `containers.<host>` on
    /// GitHub Enterprise Server (and GHE.com).
    pub fn github_registry(&self) -> String {
        github_registry(
            self.github_server_url.as_deref(),
            self.github_api_url.as_deref(),
        )
    }
}

/// A user name without its password or the other way round: bad input.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CredentialsError {
    #[error("--username {username} is given but {PASSWORD_VAR} is not set")]
    #[diagnostic(
        code(gantry::credentials),
        help(
            "put the password in the {PASSWORD_VAR} environment variable (never a flag); for ghcr.io drop --username and set GITHUB_TOKEN instead"
        )
    )]
    PasswordMissing { username: String },

    #[error("{PASSWORD_VAR} is set but --username (INPUT_USERNAME) is not")]
    #[diagnostic(
        code(gantry::credentials),
        help(
            "give the user name the password belongs to with --username, or unset {PASSWORD_VAR}"
        )
    )]
    UsernameMissing,
}

impl Credentials {
    /// `--username` with `$REGISTRY_PASSWORD`, else `$GITHUB_TOKEN` when `endpoint` is GitHub's
    /// registry over HTTPS, else anonymous. An empty user name is no user name (an unset
    /// action input).
    ///
    /// The endpoint decides, not the image's name: `ghcr.io/acme/api` read through
    /// `--registry-url http://127.0.0.1:5000` talks to that server, which must never see the
    /// token, nor be able to send it to a token service of its choosing.
    pub fn resolve(
        username: Option<&str>,
        endpoint: &Endpoint,
        env: EnvCredentials,
    ) -> Result<Credentials, CredentialsError> {
        let registry = endpoint.host();
        let github_registry = env.github_registry();
        let username = username.filter(|name| !name.is_empty());
        match (username, env.password) {
            (Some(username), Some(password)) => Ok(Credentials::Basic {
                username: username.to_owned(),
                password,
            }),
            (Some(username), None) => Err(CredentialsError::PasswordMissing {
                username: username.to_owned(),
            }),
            (None, Some(_)) => Err(CredentialsError::UsernameMissing),
            (None, None) => match env.github_token {
                Some(token) if is_github_registry(registry, &github_registry) => {
                    if endpoint.is_plain_http() {
                        tracing::warn!(
                            "{TOKEN_VAR} is not sent to {registry} over plain HTTP; give --registry-url https://{registry}"
                        );
                        return Ok(Credentials::Anonymous);
                    }
                    Ok(Credentials::GitHubToken(token))
                }
                Some(_) => {
                    tracing::info!(
                        "{TOKEN_VAR} is set but not sent to {registry}, which is not GitHub's registry ({github_registry}); for it use --username and {PASSWORD_VAR}"
                    );
                    Ok(Credentials::Anonymous)
                }
                None => Ok(Credentials::Anonymous),
            },
        }
    }
}

/// GitHub's container registry: `containers.<host>` when `server_url` (else `api_url`, as
/// `https://<host>/api/v3`) names a GitHub Enterprise Server or GHE.com host, else `ghcr.io`.
pub fn github_registry(server_url: Option<&str>, api_url: Option<&str>) -> String {
    let host_of = |url: &str| {
        reqwest::Url::parse(url.trim())
            .ok()
            .and_then(|url| Some((url.host_str()?.to_ascii_lowercase(), url.path().to_owned())))
    };
    // `https://api.github.com` is github.com; an enterprise API lives at `/api/v3`.
    let enterprise_host = match server_url {
        Some(url) => host_of(url)
            .map(|(host, _)| host)
            .filter(|host| host != "github.com"),
        None => api_url
            .and_then(host_of)
            .filter(|(_, path)| path.trim_end_matches('/') == "/api/v3")
            .map(|(host, _)| host),
    };
    match enterprise_host {
        Some(host) => format!("containers.{host}"),
        None => GHCR.to_owned(),
    }
}

/// Whether `registry` (`host[:port]`) is GitHub's registry `github_registry` (see
/// [`github_registry`]), or ghcr.io.
pub fn is_github_registry(registry: &str, github_registry: &str) -> bool {
    let registry = registry.to_ascii_lowercase();
    registry == GHCR || registry == github_registry
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_gha::Secret;

    fn env(password: Option<&str>, token: Option<&str>) -> EnvCredentials {
        EnvCredentials {
            password: password.map(Secret::new),
            github_token: token.map(Secret::new),
            github_server_url: Some("https://github.com".to_owned()),
            github_api_url: Some("https://api.github.com".to_owned()),
        }
    }

    /// The credentials for the image registry `registry` (HTTPS unless loopback).
    fn resolve(
        username: Option<&str>,
        registry: &str,
        env: EnvCredentials,
    ) -> Result<Credentials, CredentialsError> {
        Credentials::resolve(username, &Endpoint::for_registry(registry), env)
    }

    #[test]
    fn credentials_follow_the_documented_precedence() {
        let basic = resolve(Some("robot"), "ghcr.io", env(Some("pw"), Some("tok"))).unwrap();
        assert!(
            matches!(&basic, Credentials::Basic { username, password } if username == "robot" && password.expose() == "pw")
        );
        let token = resolve(None, "ghcr.io", env(None, Some("tok"))).unwrap();
        assert!(matches!(&token, Credentials::GitHubToken(token) if token.expose() == "tok"));
        let empty_user = resolve(Some(""), "ghcr.io", env(None, Some("tok"))).unwrap();
        assert!(matches!(empty_user, Credentials::GitHubToken(_)));
        assert!(matches!(
            resolve(None, "ghcr.io", env(None, None)).unwrap(),
            Credentials::Anonymous
        ));
        let err = resolve(Some("robot"), "ghcr.io", env(None, Some("tok"))).unwrap_err();
        assert!(matches!(err, CredentialsError::PasswordMissing { .. }));
        let err = resolve(None, "ghcr.io", env(Some("pw"), None)).unwrap_err();
        assert!(matches!(err, CredentialsError::UsernameMissing));
    }

    #[test]
    fn the_github_token_goes_to_githubs_registries_only() {
        for registry in [
            "docker.io",
            "registry.example.com",
            "127.0.0.1:5000",
            "ghcr.io.evil",
        ] {
            assert!(
                matches!(
                    resolve(None, registry, env(None, Some("tok"))).unwrap(),
                    Credentials::Anonymous
                ),
                "{registry}"
            );
        }
        let enterprise = EnvCredentials {
            github_server_url: Some("https://git.acme.example".to_owned()),
            ..env(None, Some("tok"))
        };
        assert!(matches!(
            resolve(None, "containers.git.acme.example", enterprise).unwrap(),
            Credentials::GitHubToken(_)
        ));
    }

    /// The image may say ghcr.io: what counts is the server gantry talks to.
    #[test]
    fn the_endpoint_decides_not_the_image_name() {
        for url in [
            "http://127.0.0.1:5000",
            "https://mirror.example",
            "http://ghcr.io",
        ] {
            let endpoint = Endpoint::from_url(url).unwrap();
            assert!(
                matches!(
                    Credentials::resolve(None, &endpoint, env(None, Some("tok"))).unwrap(),
                    Credentials::Anonymous
                ),
                "{url}"
            );
        }
        let ghcr = Endpoint::from_url("https://ghcr.io").unwrap();
        assert!(matches!(
            Credentials::resolve(None, &ghcr, env(None, Some("tok"))).unwrap(),
            Credentials::GitHubToken(_)
        ));
        // A loopback registry of its own takes its own user name and password.
        let local = Endpoint::from_url("http://127.0.0.1:5000").unwrap();
        assert!(matches!(
            Credentials::resolve(Some("bot"), &local, env(Some("pw"), Some("tok"))).unwrap(),
            Credentials::Basic { .. }
        ));
    }

    #[test]
    fn githubs_registry_follows_the_server() {
        let registry = github_registry;
        assert_eq!(registry(None, None), "ghcr.io");
        assert_eq!(
            registry(Some("https://github.com"), Some("https://api.github.com")),
            "ghcr.io"
        );
        assert_eq!(
            registry(Some("https://git.acme.example/"), None),
            "containers.git.acme.example"
        );
        assert_eq!(
            registry(None, Some("https://git.acme.example/api/v3")),
            "containers.git.acme.example"
        );
        assert_eq!(
            registry(Some("https://octo.ghe.com"), None),
            "containers.octo.ghe.com"
        );
        // A test API on loopback is not an enterprise server.
        assert_eq!(registry(None, Some("http://127.0.0.1:8080")), "ghcr.io");
        assert_eq!(registry(Some("not a url"), None), "ghcr.io");
        assert!(is_github_registry("ghcr.io", "containers.x"));
        assert!(is_github_registry("containers.x", "containers.x"));
        assert!(!is_github_registry("containers.github.com", "ghcr.io"));
    }

    #[test]
    fn a_forgejo_runner_never_sends_the_token_to_its_own_registry() {
        // Forgejo and Gitea Actions set GITHUB_SERVER_URL to the instance and
        // GITHUB_API_URL to its /api/v1; their registry is the instance's host itself.
        let forgejo = github_registry(
            Some("https://codeberg.org"),
            Some("https://codeberg.org/api/v1"),
        );
        assert!(!is_github_registry("codeberg.org", &forgejo));
        let endpoint = Endpoint::from_url("https://codeberg.org").unwrap();
        let env = EnvCredentials {
            github_token: Some(gantry_gha::Secret::new("forgejo-token".to_owned())),
            github_server_url: Some("https://codeberg.org".to_owned()),
            github_api_url: Some("https://codeberg.org/api/v1".to_owned()),
            ..EnvCredentials::default()
        };
        assert!(matches!(
            Credentials::resolve(None, &endpoint, env).unwrap(),
            Credentials::Anonymous
        ));
    }
}
