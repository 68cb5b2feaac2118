//! Small rules on names and words: service/library names, "did you mean", secret-looking keys.

/// Service and library names: what the name rule in [`check_name`] accepts, for the schema.
pub(crate) const NAME_PATTERN: &str = "^[a-z0-9][a-z0-9._-]*$";

/// Why `name` is not a valid service or library name, if it is not.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("the name is empty".into());
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(format!(
            "`{name}` must start with a lowercase letter or a digit"
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        Some(c) if c.is_ascii_uppercase() => Err(format!("`{name}` has an uppercase letter")),
        Some(c) => Err(format!("`{name}` contains `{c}`")),
        None => Ok(()),
    }
}

/// The known word closest to `word`, if one is close enough to be what was meant.
pub fn closest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // `depends_on` and `dependsOn` mean `depends-on`; compare spellings without separators.
    let plain = |s: &str| s.to_lowercase().replace(['-', '_'], "");
    let wanted = plain(word);
    known
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&wanted, &plain(candidate)), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// ", did you mean `x`?" or nothing.
pub(crate) fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, known).map_or_else(String::new, |c| format!("did you mean `{c}`? "))
}

/// Whether a key looks like it holds a credential (`api-key`, `token`, `password`, ...).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let plain = key.to_lowercase().replace(['-', '_', ' '], "");
    [
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "credential",
        "auth",
    ]
    .iter()
    .any(|word| plain.contains(word))
        || plain == "key"
}

/// Help for a secret-looking key: where secrets come from instead.
pub(crate) const SECRET_HELP: &str = "gantry never reads secrets from gantry.yml: the Dokploy API key comes from the \
DOKPLOY_API_KEY environment variable and registry access from GITHUB_TOKEN (store them as \
GitHub secrets). Remove this key, and rotate the secret if this file was ever committed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        for good in ["api", "a", "0day", "brain-gateway", "py_common", "v1.2"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("-api", "must start"),
            (".api", "must start"),
            ("Api", "must start"),
            ("apI", "uppercase"),
            ("my api", "contains ` `"),
            ("api/v2", "contains `/`"),
            ("ápi", "must start"),
        ] {
            let err = check_name(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn suggestions_find_the_intended_key() {
        let keys = ["context", "dockerfile", "depends-on", "build-args", "watch"];
        assert_eq!(closest("dependson", keys), Some("depends-on"));
        assert_eq!(closest("depends_on", keys), Some("depends-on"));
        assert_eq!(closest("dependsOn", keys), Some("depends-on"));
        assert_eq!(closest("contxt", keys), Some("context"));
        assert_eq!(closest("Dockerfile", keys), Some("dockerfile"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(did_you_mean("zzz", keys), "");
    }

    #[test]
    fn secret_keys_are_recognised() {
        for key in [
            "api-key",
            "api_key",
            "apiKey",
            "token",
            "dokploy-token",
            "password",
            "key",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["keep-tagged", "url", "stages", "context", "keys"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
