//! Repository paths, path globs and platform strings.

use globset::GlobBuilder;

use crate::glob::PathGlob;

/// `path` made repository-relative and normalised (`/` separators, no `.`, `..` applied,
/// no trailing `/`; the root itself is `.`), joined onto `base` (itself normalised).
/// Errors say why the path cannot be one inside the repository.
pub(crate) fn join_normalised(base: &str, path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.starts_with('/') || path.contains('\\') || path.get(1..3) == Some(":/") {
        return Err(format!(
            "`{path}` is not a relative path with `/` separators; paths are relative to the \
             directory of gantry.yml"
        ));
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "`{path}` leads outside the repository (the directory of gantry.yml)"
                    ));
                }
            }
            part => parts.push(part),
        }
    }
    Ok(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// `glob` compiled the way the matrix tool matches it ([`PathGlob`]), or why it cannot be.
pub(crate) fn path_glob(glob: &str) -> Result<PathGlob, String> {
    if glob.starts_with('/') || glob.starts_with("../") {
        return Err(format!(
            "`{glob}` never matches: changed paths are relative to the directory of gantry.yml \
             and stay inside it; drop the leading `{}`",
            if glob.starts_with('/') { "/" } else { "../" }
        ));
    }
    PathGlob::new(glob).map_err(|e| e.to_string())
}

/// `glob` if it is a usable tag glob (tags have no `/`, so `*` matches anything), else why not.
pub(crate) fn tag_glob(glob: &str) -> Result<String, String> {
    if glob.is_empty() {
        return Err("the glob is empty".into());
    }
    GlobBuilder::new(glob)
        .build()
        .map(|_| glob.to_owned())
        .map_err(|e| e.kind().to_string())
}

/// Why `platform` is not `os/arch[/variant]`, if it is not.
pub(crate) fn check_platform(platform: &str) -> Result<(), String> {
    let parts: Vec<&str> = platform.split('/').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(format!(
            "`{platform}` is not `os/arch` or `os/arch/variant`, e.g. `linux/amd64`, `linux/arm/v7`"
        ));
    }
    for (part, what) in parts.iter().zip(["os", "architecture", "variant"]) {
        if part.is_empty() {
            return Err(format!("`{platform}` has an empty {what}"));
        }
        if let Some(c) = part
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
        {
            return Err(format!(
                "the {what} `{part}` of `{platform}` contains `{c}`; platforms are lowercase \
                 letters, digits and `_`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_inside_the_repository() {
        assert_eq!(
            join_normalised(".", "services/api/").unwrap(),
            "services/api"
        );
        assert_eq!(
            join_normalised(".", "./services//api").unwrap(),
            "services/api"
        );
        assert_eq!(join_normalised(".", ".").unwrap(), ".");
        assert_eq!(
            join_normalised("services/api", "Dockerfile").unwrap(),
            "services/api/Dockerfile"
        );
        assert_eq!(
            join_normalised("services/api", "../../docker/api.Dockerfile").unwrap(),
            "docker/api.Dockerfile"
        );
        assert_eq!(join_normalised(".", "a/../b").unwrap(), "b");
        assert!(join_normalised(".", "..").unwrap_err().contains("outside"));
        assert!(
            join_normalised("a", "../../x")
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            join_normalised(".", "/abs")
                .unwrap_err()
                .contains("relative")
        );
        assert!(
            join_normalised(".", "C:/x")
                .unwrap_err()
                .contains("relative")
        );
        assert!(
            join_normalised(".", "a\\b")
                .unwrap_err()
                .contains("relative")
        );
        assert!(join_normalised(".", "").unwrap_err().contains("empty"));
    }

    #[test]
    fn globs_are_checked_like_the_matrix_compiles_them() {
        for good in ["services/**", "**/*.md", "{a,b}/*.py"] {
            assert_eq!(path_glob(good).unwrap().as_str(), good);
        }
        assert!(path_glob("services/[a-").unwrap_err().contains("unclosed"));
        assert!(path_glob("{a,b").unwrap_err().contains("unclosed"));
        assert!(path_glob("./services/**").unwrap().is_match("services/a"));
        assert!(
            path_glob("../services/**")
                .unwrap_err()
                .contains("drop the leading `../`")
        );
        assert!(
            path_glob("/services/**")
                .unwrap_err()
                .contains("never matches")
        );
        assert!(path_glob("").unwrap_err().contains("empty"));
        assert_eq!(tag_glob("v*").unwrap(), "v*");
        assert!(tag_glob("v[").is_err());
    }

    #[test]
    fn platforms_have_the_os_arch_variant_shape() {
        for good in [
            "linux/amd64",
            "linux/arm64",
            "linux/arm/v7",
            "windows/amd64",
            "linux/386",
        ] {
            assert_eq!(check_platform(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("linux", "not `os/arch`"),
            ("linux/arm/v7/x", "not `os/arch`"),
            ("linux/", "empty architecture"),
            ("/amd64", "empty os"),
            ("Linux/amd64", "contains `L`"),
            ("linux/x86-64", "contains `-`"),
        ] {
            let err = check_platform(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
