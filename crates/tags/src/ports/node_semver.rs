//! node-semver's `parse`, the version reader behind `type=semver`.
//!
//! metadata-action accepts a version when `semver.valid(value)` (strict: an optional leading
//! `v`, no leading zeros, `-` before a prerelease) and renders the pattern with the fields of
//! `semver.parse(value, {loose: true})`. Loose reading also accepts `=` and spaces before
//! the version, leading zeros and a prerelease without `-` (`1.0.0beta1`). Both use
//! node-semver's own regular expressions, so they split a version exactly as it does.

use std::sync::LazyLock;

use regress::Regex;

/// node-semver's `MAX_LENGTH`: a longer string is not a version.
const MAX_LENGTH: usize = 256;
/// `Number.MAX_SAFE_INTEGER`: larger major, minor or patch numbers are rejected.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

const NUMERIC: &str = "0|[1-9][0-9]*";
const NUMERIC_LOOSE: &str = "[0-9]+";
const NON_NUMERIC: &str = "[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
const BUILD: &str = r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))";

static FULL: LazyLock<Regex> = LazyLock::new(|| {
    let identifier = format!("(?:{NUMERIC}|{NON_NUMERIC})");
    compile(&format!(
        r"^v?({NUMERIC})\.({NUMERIC})\.({NUMERIC})(?:-({identifier}(?:\.{identifier})*))?{BUILD}?$"
    ))
});

static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    let identifier = format!("(?:{NUMERIC_LOOSE}|{NON_NUMERIC})");
    compile(&format!(
        r"^[v=\s]*({NUMERIC_LOOSE})\.({NUMERIC_LOOSE})\.({NUMERIC_LOOSE})(?:-?({identifier}(?:\.{identifier})*))?{BUILD}?$"
    ))
});

fn compile(pattern: &str) -> Regex {
    // The patterns are constants; a failure is a bug caught by every test.
    Regex::new(pattern).unwrap_or_else(|error| panic!("node-semver pattern {pattern}: {error}"))
}

/// A prerelease identifier: a number (up to `MAX_SAFE_INTEGER`) or text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    Numeric(u64),
    Text(String),
}

impl std::fmt::Display for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identifier::Numeric(number) => write!(f, "{number}"),
            Identifier::Text(text) => f.write_str(text),
        }
    }
}

/// A parsed version: node-semver's `SemVer` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemVer {
    /// The string as given.
    pub raw: String,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: Vec<Identifier>,
    pub build: Vec<String>,
    /// Parsed with `{loose: true}`.
    pub loose: bool,
}

impl SemVer {
    /// node-semver's `parse(text, {loose})`; `None` where it returns `null`.
    pub fn parse(text: &str, loose: bool) -> Option<SemVer> {
        if text.len() > MAX_LENGTH {
            return None;
        }
        let regex = if loose { &*LOOSE } else { &*FULL };
        let text = crate::ports::jsstring::trim(text);
        let captures = regex.find(text)?;
        let group = |index: usize| captures.group(index).map(|range| &text[range]);
        let number = |index: usize| {
            group(index)?
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= MAX_SAFE_INTEGER)
        };
        let prerelease = group(4)
            .map(|pre| {
                pre.split('.')
                    .map(|id| match id.parse::<u64>() {
                        Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) && n < MAX_SAFE_INTEGER => {
                            Identifier::Numeric(n)
                        }
                        _ => Identifier::Text(id.to_owned()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let build = group(5)
            .map(|build| build.split('.').map(str::to_owned).collect())
            .unwrap_or_default();
        Some(SemVer {
            raw: text.to_owned(),
            major: number(1)?,
            minor: number(2)?,
            patch: number(3)?,
            prerelease,
            build,
            loose,
        })
    }

    /// node-semver's `valid`: the normalised version of a strictly valid string.
    pub fn valid(text: &str) -> Option<String> {
        SemVer::parse(text, false).map(|version| version.version())
    }

    /// `major.minor.patch[-prerelease]`, without build metadata (node-semver's `version`).
    pub fn version(&self) -> String {
        let mut version = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.prerelease.is_empty() {
            version.push('-');
            version.push_str(&self.prerelease_text("."));
        }
        version
    }

    /// The prerelease identifiers joined with `separator`.
    pub fn prerelease_text(&self, separator: &str) -> String {
        self.prerelease
            .iter()
            .map(Identifier::to_string)
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// The version for ordering (semver precedence), build metadata kept but ignored.
    pub fn precedence(&self) -> Option<semver::Version> {
        let mut version = semver::Version::new(self.major, self.minor, self.patch);
        if !self.prerelease.is_empty() {
            version.pre = semver::Prerelease::new(&self.prerelease_text(".")).ok()?;
        }
        Some(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_reading() {
        let version = SemVer::parse("v2.0.8-beta.67+build.5", false).unwrap();
        assert_eq!(version.raw, "v2.0.8-beta.67+build.5");
        assert_eq!((version.major, version.minor, version.patch), (2, 0, 8));
        assert_eq!(
            version.prerelease,
            [Identifier::Text("beta".into()), Identifier::Numeric(67)]
        );
        assert_eq!(version.build, ["build", "5"]);
        assert_eq!(version.version(), "2.0.8-beta.67");
        for invalid in [
            "1.2",
            "v0.29",
            "=1.2.3",
            "01.2.3",
            "1.2.3-01",
            "1.2.3beta",
            "vv1.2.3",
            "1.2.3-",
            "1.2.3+",
            "9007199254740992.0.0",
            "release1",
            "",
        ] {
            assert_eq!(SemVer::valid(invalid), None, "{invalid}");
        }
        assert_eq!(SemVer::valid(" v1.2.3 ").as_deref(), Some("1.2.3"));
        assert_eq!(SemVer::valid("1.2.3-0a.1").as_deref(), Some("1.2.3-0a.1"));
    }

    #[test]
    fn loose_reading() {
        for (text, version) in [
            ("=1.2.3", "1.2.3"),
            ("v 01.02.03", "1.2.3"),
            ("1.2.3beta1", "1.2.3-beta1"),
            ("1.2.34.5", "1.2.3-4.5"),
        ] {
            assert_eq!(
                SemVer::parse(text, true).map(|v| v.version()).as_deref(),
                Some(version),
                "{text}"
            );
        }
        assert_eq!(SemVer::parse("1.2", true), None);
        assert_eq!(
            SemVer::parse(&format!("1.2.3-{}", "a".repeat(300)), true),
            None
        );
    }

    #[test]
    fn precedence_orders_prereleases_first() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta",
            "1.0.0",
            "1.10.0",
        ]
        .map(|text| SemVer::parse(text, false).unwrap().precedence().unwrap());
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
