//! Which credentials a registry gets. Secrets come from the environment only; the one user
//! name comes from a flag (`--username`, `INPUT_USERNAME`).

use gantry_gha::Runtime;

use crate::Credentials;

/// Environment variable holding the password for `--username`.
pub const PASSWORD_VAR: &str = "REGISTRY_PASSWORD";

/// Environment variable holding a GitHub token, exchanged for a registry token.
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";

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
}

impl EnvCredentials {
    /// Reads (and masks, before anything can print them) the secrets of the process.
    pub fn read(runtime: &Runtime) -> EnvCredentials {
        EnvCredentials {
            password: runtime.secret_from_env(PASSWORD_VAR),
            github_token: runtime.secret_from_env(TOKEN_VAR),
            github_server_url: runtime.env().get("GITHUB_SERVER_URL").map(str::to_owned),
        }
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
    /// `--username` with `$REGISTRY_PASSWORD`, else `$GITHUB_TOKEN` for GitHub's own
    /// registries, else anonymous. An empty user name is no user name (an unset action input).
    ///
    /// The token goes to GitHub's registries only: answering another registry's challenge
    /// would hand a GitHub token to whatever token service that registry names.
    pub fn resolve(
        username: Option<&str>,
        registry: &str,
        env: EnvCredentials,
    ) -> Result<Credentials, CredentialsError> {
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
                Some(token) if is_github_registry(registry, env.github_server_url.as_deref()) => {
                    Ok(Credentials::GitHubToken(token))
                }
                Some(_) => {
                    tracing::info!(
                        "{TOKEN_VAR} is set but not sent to {registry}, which is not GitHub's registry; for it use --username and {PASSWORD_VAR}"
                    );
                    Ok(Credentials::Anonymous)
                }
                None => Ok(Credentials::Anonymous),
            },
        }
    }
}

/// `ghcr.io`, or `containers.<host>` of a GitHub Enterprise Server at `server_url`.
pub fn is_github_registry(registry: &str, server_url: Option<&str>) -> bool {
    let enterprise_host = server_url
        .and_then(|url| url.split_once("://"))
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|host| !host.is_empty() && *host != "github.com");
    registry == GHCR || enterprise_host.is_some_and(|host| registry == format!("containers.{host}"))
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
        }
    }

    fn resolve(
        username: Option<&str>,
        registry: &str,
        env: EnvCredentials,
    ) -> Result<Credentials, CredentialsError> {
        Credentials::resolve(username, registry, env)
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
        assert!(is_github_registry("ghcr.io", None));
        assert!(!is_github_registry(
            "containers.github.com",
            Some("https://github.com")
        ));
        assert!(!is_github_registry("containers.", Some("https://")));
        assert!(!is_github_registry("containers.x", Some("x")));
    }
}
