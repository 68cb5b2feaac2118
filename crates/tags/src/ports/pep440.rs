//! PEP 440 versions as `@renovate/pep440` reads and normalises them for `type=pep440`:
//! `1.1beta2` → `1.1b2`, `1.0dev4` → `1.0.dev4`, `1.2post1` → `1.2.post1`, `v1.0` → `1.0`.
//!
//! Numbers are normalised by dropping leading zeros; they are kept exact where JavaScript
//! would round those above 2^53. The local segment keeps renovate's rendering, which joins
//! its parts with `,` (`1.0+abc.5` → `1.0+abc,5`).

use std::sync::LazyLock;

use regress::{Flags, Regex};

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = concat!(
        r"^v?(?:",
        r"(?:(?<epoch>[0-9]+)!)?",
        r"(?<release>[0-9]+(?:\.[0-9]+)*)",
        r"(?<pre>[-_\.]?(?<pre_l>(a|b|c|rc|alpha|beta|pre|preview))[-_\.]?(?<pre_n>[0-9]+)?)?",
        r"(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?",
        r"(?<dev>[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?",
        r")(?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$",
    );
    // A constant pattern; a failure is a bug caught by every test.
    Regex::with_flags(pattern, Flags::from("i"))
        .unwrap_or_else(|error| panic!("PEP 440 pattern: {error}"))
});

/// A PEP 440 version, parsed and normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pep440 {
    epoch: String,
    release: Vec<String>,
    pre: Option<(String, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Option<Vec<String>>,
}

impl Pep440 {
    /// Parses `text`; `None` when it is not a PEP 440 version.
    pub fn parse(text: &str) -> Option<Pep440> {
        let captures = VERSION.find(text)?;
        let group = |name: &str| captures.named_group(name).map(|range| &text[range]);
        let pre = group("pre_l").map(|letter| {
            let letter = match letter.to_lowercase().as_str() {
                "alpha" => "a".to_owned(),
                "beta" => "b".to_owned(),
                "c" | "pre" | "preview" => "rc".to_owned(),
                other => other.to_owned(),
            };
            (letter, number(group("pre_n").unwrap_or("0")))
        });
        let post = match (group("post_l"), group("post_n1").or(group("post_n2"))) {
            (Some(_), n) => Some(number(n.unwrap_or("0"))),
            (None, Some(n)) => Some(number(n)),
            (None, None) => None,
        };
        let dev = group("dev_l").map(|_| number(group("dev_n").unwrap_or("0")));
        let local = group("local").map(|local| {
            local
                .split(['.', '_', '-'])
                .map(|part| {
                    if part.bytes().all(|b| b.is_ascii_digit()) {
                        number(part)
                    } else {
                        part.to_lowercase()
                    }
                })
                .collect()
        });
        Some(Pep440 {
            epoch: number(group("epoch").unwrap_or("0")),
            release: group("release")?.split('.').map(number).collect(),
            pre,
            post,
            dev,
            local,
        })
    }

    /// The normalised form (renovate's `clean`).
    pub fn normalized(&self) -> String {
        let mut out = String::new();
        if self.epoch != "0" {
            out.push_str(&self.epoch);
            out.push('!');
        }
        out.push_str(&self.release.join("."));
        if let Some((letter, n)) = &self.pre {
            out.push_str(letter);
            out.push_str(n);
        }
        if let Some(n) = &self.post {
            out.push_str(".post");
            out.push_str(n);
        }
        if let Some(n) = &self.dev {
            out.push_str(".dev");
            out.push_str(n);
        }
        if let Some(local) = &self.local {
            out.push('+');
            out.push_str(&local.join(","));
        }
        out
    }

    /// A pre, post or dev release: metadata-action then ignores the pattern.
    pub fn is_unstable(&self) -> bool {
        self.pre.is_some() || self.post.is_some() || self.dev.is_some()
    }

    /// Release segment `index` (0 = major), `0` when the version has fewer.
    pub fn release_part(&self, index: usize) -> &str {
        self.release.get(index).map_or("0", String::as_str)
    }
}

/// A digit string as JavaScript's `Number` prints it back: without leading zeros.
fn number(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() { "0" } else { trimmed }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> Option<String> {
        Pep440::parse(text).map(|version| version.normalized())
    }

    #[test]
    fn normalisation() {
        for (text, normalized) in [
            ("1.1beta2", "1.1b2"),
            ("1.0dev4", "1.0.dev4"),
            ("1.2post1", "1.2.post1"),
            ("v1.1.1", "1.1.1"),
            ("1.2.3rc2", "1.2.3rc2"),
            ("1.0-1", "1.0.post1"),
            ("1.0.c1", "1.0rc1"),
            ("1.0preview", "1.0rc0"),
            ("1.0-r", "1.0.post0"),
            ("0!01.02", "1.2"),
            ("2!1.0", "2!1.0"),
            ("1.0a1.post2.dev3", "1.0a1.post2.dev3"),
            ("1.0RC1", "1.0rc1"),
            ("1.0+Ubuntu.05-x", "1.0+ubuntu,5,x"),
        ] {
            assert_eq!(clean(text).as_deref(), Some(normalized), "{text}");
        }
        for invalid in ["", "v", "1.", "1.0+", "1.0 ", "sometag", "1.0-dev-x"] {
            assert_eq!(clean(invalid), None, "{invalid}");
        }
        assert_eq!(
            clean("V1.0").as_deref(),
            Some("1.0"),
            "the pattern ignores case"
        );
    }

    #[test]
    fn stability_and_parts() {
        let version = Pep440::parse("1.2").unwrap();
        assert!(!version.is_unstable());
        assert_eq!([0, 1, 2].map(|i| version.release_part(i)), ["1", "2", "0"]);
        assert!(Pep440::parse("1.0.post1").unwrap().is_unstable());
        assert!(Pep440::parse("1.0.dev1").unwrap().is_unstable());
    }
}
