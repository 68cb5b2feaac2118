//! The image naming rule and OCI repository name checks.

/// Longest repository name registries accept (Docker's limit for the whole name).
const MAX_NAME_LEN: usize = 255;

/// `{registry}/{image-prefix}{service}`, lowercased.
pub(crate) fn default_image(registry: &str, prefix: &str, service: &str) -> String {
    format!("{}/{prefix}{service}", registry.trim_end_matches('/')).to_lowercase()
}

/// Why `name` is not a registry host with optional namespace (`ghcr.io`, `ghcr.io/acme`).
pub(crate) fn check_registry(name: &str) -> Result<(), String> {
    check_reference(name, false)
}

/// Why `name` is not a full image name: `host[:port]/path` with no tag or digest.
pub(crate) fn check_image(name: &str) -> Result<(), String> {
    check_reference(name, true)
}

fn check_reference(name: &str, needs_path: bool) -> Result<(), String> {
    if name.len() > MAX_NAME_LEN {
        return Err(format!("it is longer than {MAX_NAME_LEN} characters"));
    }
    if name.contains('@')
        || name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
    {
        return Err(
            "it has a tag or digest; give the name alone, tags come from gantry-tags".into(),
        );
    }
    let (host, path) = name.split_once('/').unwrap_or((name, ""));
    check_host(host)?;
    if path.is_empty() {
        return if needs_path {
            Err(format!(
                "it is only the registry `{host}`; add the repository path"
            ))
        } else {
            Ok(())
        };
    }
    path.split('/').try_for_each(check_path_component)
}

/// A registry host: a DNS name or `localhost`, optionally with a port. Without a `.` or a
/// port, Docker would read the first component as a Docker Hub namespace instead, so a
/// host must be unambiguous.
fn check_host(host: &str) -> Result<(), String> {
    let (domain, port) = host.split_once(':').unwrap_or((host, ""));
    if host.contains(':') && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("the registry host `{host}` has an invalid port"));
    }
    if !(domain.contains('.') || domain == "localhost" || host.contains(':')) {
        return Err(format!(
            "it must start with a registry host such as `ghcr.io` or `localhost:5000`, not `{domain}`"
        ));
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if domain.split('.').all(valid_label) {
        Ok(())
    } else {
        Err(format!("`{domain}` is not a valid registry host name"))
    }
}

/// One path component: `[a-z0-9]+(([._]|__|[-]*)[a-z0-9]+)*`.
fn check_path_component(component: &str) -> Result<(), String> {
    let is_separator = |c: char| matches!(c, '.' | '_' | '-');
    if component.is_empty() {
        return Err("it has an empty path component (`//` or a trailing `/`)".into());
    }
    if let Some(c) = component
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || is_separator(*c)))
    {
        return Err(format!(
            "the path component `{component}` contains `{c}`; only a-z, 0-9, `.`, `_` and `-` are allowed"
        ));
    }
    if component.starts_with(is_separator) || component.ends_with(is_separator) {
        return Err(format!(
            "the path component `{component}` must start and end with a letter or digit"
        ));
    }
    for run in component.split(|c: char| c.is_ascii_alphanumeric()) {
        let allowed =
            run.is_empty() || matches!(run, "." | "_" | "__") || run.bytes().all(|b| b == b'-');
        if !allowed {
            return Err(format!(
                "the path component `{component}` has `{run}`; separators are one `.`, one or two `_`, or dashes"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_the_rule() {
        assert_eq!(
            default_image("ghcr.io/Acme", "shop-", "api"),
            "ghcr.io/acme/shop-api"
        );
        assert_eq!(
            default_image("ghcr.io/acme/", "", "api"),
            "ghcr.io/acme/api"
        );
        assert_eq!(
            default_image("localhost:5000", "team/", "web"),
            "localhost:5000/team/web"
        );
    }

    #[test]
    fn valid_names_pass() {
        for name in [
            "ghcr.io/acme/api",
            "ghcr.io/acme/shop-api",
            "ghcr.io/acme/a.b/c__d/e---f",
            "localhost/api",
            "localhost:5000/acme/api",
            "127.0.0.1:5000/api",
            "registry.example.com:443/a/b/c",
        ] {
            assert_eq!(check_image(name), Ok(()), "{name}");
        }
        assert_eq!(check_registry("ghcr.io"), Ok(()));
        assert_eq!(check_registry("ghcr.io/acme"), Ok(()));
    }

    #[test]
    fn invalid_names_say_which_part_is_wrong() {
        for (name, why) in [
            ("ghcr.io", "only the registry"),
            ("acme/api", "registry host such as"),
            ("ghcr.io/acme/api:latest", "tag or digest"),
            ("ghcr.io/acme/api@sha256:abc", "tag or digest"),
            ("ghcr.io:x/api", "invalid port"),
            ("ghcr..io/api", "not a valid registry host"),
            ("-ghcr.io/api", "not a valid registry host"),
            ("ghcr.io/acme//api", "empty path component"),
            ("ghcr.io/acme/", "empty path component"),
            ("ghcr.io/acme/shop-", "start and end"),
            ("ghcr.io/acme/.api", "start and end"),
            ("ghcr.io/acme/a..b", "has `..`"),
            ("ghcr.io/acme/a___b", "has `___`"),
            ("ghcr.io/acme/a_-b", "has `_-`"),
            ("ghcr.io/acme/a b", "contains ` `"),
        ] {
            let err = check_image(name).unwrap_err();
            assert!(err.contains(why), "{name}: {err}");
        }
        let long = format!("ghcr.io/{}", "a".repeat(250));
        assert!(check_image(&long).unwrap_err().contains("longer than 255"));
    }
}
