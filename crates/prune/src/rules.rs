//! The retention rules: which images the user wants gone, before any graph protection.

use std::time::Duration;

use globset::{GlobBuilder, GlobMatcher};

pub use gantry_manifest::AgeFrom;

/// Tag globs (`*`, `?`, `[...]`, `{a,b}`), matched against whole **tags**, never digests.
#[derive(Debug, Clone, Default)]
pub struct TagGlobs {
    globs: Vec<(String, GlobMatcher)>,
}

/// A glob that does not parse, and the input that held it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid glob `{glob}` in {input}: {problem}")]
#[diagnostic(
    code(gantry::prune::glob),
    help("tag globs use `*`, `?`, `[abc]` and `{{a,b}}`; quote them in YAML and shells")
)]
pub struct GlobError {
    pub glob: String,
    pub problem: String,
    /// `--protect-tags`, `retention.delete-tags`, …
    pub input: &'static str,
}

impl GlobError {
    /// The same error, naming the flag or manifest key the glob came from.
    pub fn in_input(self, input: &'static str) -> GlobError {
        GlobError { input, ..self }
    }
}

impl TagGlobs {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<TagGlobs, GlobError> {
        let globs = patterns
            .iter()
            .map(|pattern| {
                let pattern = pattern.as_ref();
                GlobBuilder::new(pattern)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .map(|glob| (pattern.to_owned(), glob.compile_matcher()))
                    .map_err(|err| GlobError {
                        glob: pattern.to_owned(),
                        problem: err.kind().to_string(),
                        input: "the tag globs",
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(TagGlobs { globs })
    }

    /// The first pattern matching `tag`.
    pub fn matching(&self, tag: &str) -> Option<&str> {
        self.globs
            .iter()
            .find(|(_, matcher)| matcher.is_match(tag))
            .map(|(pattern, _)| pattern.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.globs.iter().map(|(pattern, _)| pattern.as_str())
    }
}

/// A duration and how the user wrote it (`30d`), for reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Age {
    pub text: String,
    pub duration: Duration,
}

impl Age {
    /// `30d`, `12h`, `2weeks` (humantime).
    pub fn parse(text: &str) -> Result<Age, String> {
        humantime::parse_duration(text.trim())
            .map(|duration| Age {
                text: text.trim().to_owned(),
                duration,
            })
            .map_err(|err| {
                format!("`{text}` is not a duration ({err}); write e.g. 30d, 12h or 2weeks")
            })
    }
}

/// What the user asked for, per package.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Keep the newest N tagged images that the other rules would delete.
    pub keep_tagged: Option<usize>,
    /// Keep the newest N untagged images.
    pub keep_untagged: Option<usize>,
    /// Delete only images older than this.
    pub older_than: Option<Age>,
    pub age_from: AgeFrom,
    /// Only tagged images whose every tag matches are candidates; `None`: every tagged image.
    pub delete_tags: Option<TagGlobs>,
    /// Images with a matching tag are never deleted.
    pub protect_tags: TagGlobs,
    /// `retention.rules`, in manifest order.
    pub tag_rules: Vec<TagRule>,
    /// What runs where, and what a rollback needs: kept whatever the rules say.
    pub deployed: Deployed,
}

/// One rule over the tags that match its glob: it keeps the newest `keep` versions it
/// matches (among those the other protections do not keep already), and those younger than
/// `older_than`.
#[derive(Debug, Clone)]
pub struct TagRule {
    /// `None`: the flags' shorthand (`--keep-tagged`, `--older-than`, `--delete-tags`),
    /// whose reasons name the flags.
    pub name: Option<String>,
    /// `None`: every tag.
    pub tags: Option<TagGlobs>,
    pub keep: Option<KeepCount>,
    pub older_than: Option<Age>,
}

/// How many of the versions a rule matches it keeps by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepCount {
    All,
    Newest(usize),
}

impl TagRule {
    /// A `retention.rules` entry.
    pub fn from_manifest(rule: &gantry_manifest::RetentionRule) -> Result<TagRule, GlobError> {
        Ok(TagRule {
            name: Some(rule.tags.clone()),
            tags: Some(
                TagGlobs::new(&[&rule.tags]).map_err(|err| err.in_input("retention.rules"))?,
            ),
            keep: rule.keep.map(|keep| match keep {
                gantry_manifest::Keep::All => KeepCount::All,
                gantry_manifest::Keep::Newest(n) => KeepCount::Newest(n as usize),
            }),
            older_than: rule.older_than.as_ref().map(|age| Age {
                text: age.text.clone(),
                duration: age.duration,
            }),
        })
    }

    /// Whether the rule applies to `tag`.
    pub fn matches(&self, tag: &str) -> bool {
        self.tags
            .as_ref()
            .is_none_or(|globs| globs.matching(tag).is_some())
    }
}

/// The deploy side of a manifest, and what Dokploy runs in the package being planned.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    /// `deploy.environments`' names: each is a tag that moves to what runs there.
    pub environments: Vec<String>,
    /// `deploy.history`: ledger entries (distinct digests) kept per environment.
    pub history: usize,
    /// What Dokploy runs right now, in the package being planned.
    pub running: Vec<Running>,
}

/// An image a Dokploy target runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// The tag or the digest (`sha256:…`) of its reference.
    pub tag_or_digest: String,
    /// `runs in production (Dokploy application …)`.
    pub why: String,
}

impl Rules {
    /// Whether the flags' shorthand selects tagged images.
    fn shorthand_selects_tagged(&self) -> bool {
        self.keep_tagged.is_some() || self.older_than.is_some() || self.delete_tags.is_some()
    }

    /// Whether any rule selects tagged images at all. Without one, tagged images are kept
    /// and only untagged ones are pruned.
    pub fn selects_tagged(&self) -> bool {
        self.shorthand_selects_tagged() || !self.tag_rules.is_empty()
    }

    /// Every rule over tagged images: `retention.rules` in order, then the shorthand. Next to
    /// `retention.rules`, `older-than` alone is no rule over every tag (it would delete every
    /// older image no rule keeps, `main` included): it then guards untagged images only, and
    /// joins `keep-tagged` / `delete-tags` when they are given.
    pub fn tagged_rules(&self) -> Vec<TagRule> {
        let mut rules = self.tag_rules.clone();
        let shorthand = if rules.is_empty() {
            self.shorthand_selects_tagged()
        } else {
            self.keep_tagged.is_some() || self.delete_tags.is_some()
        };
        if shorthand {
            rules.push(TagRule {
                name: None,
                tags: self.delete_tags.clone(),
                keep: self.keep_tagged.map(KeepCount::Newest),
                older_than: self.older_than.clone(),
            });
        }
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_tags() {
        let globs = TagGlobs::new(&["v*", "release-{a,b}", "pr-[0-9]*"]).unwrap();
        assert_eq!(globs.matching("v1.2.3"), Some("v*"));
        assert_eq!(globs.matching("release-b"), Some("release-{a,b}"));
        assert_eq!(globs.matching("pr-12"), Some("pr-[0-9]*"));
        assert_eq!(globs.matching("xv1"), None);
        assert_eq!(globs.matching("release-c"), None);
        let everything = TagGlobs::new(&["*"]).unwrap();
        assert_eq!(everything.matching("a.b-c_d"), Some("*"));
    }

    #[test]
    fn bad_globs_are_errors() {
        let err = TagGlobs::new(&["v[1"]).unwrap_err();
        assert_eq!(err.glob, "v[1");
        assert_eq!(
            err.in_input("--protect-tags").to_string(),
            "invalid glob `v[1` in --protect-tags: unclosed character class; missing ']'"
        );
    }

    #[test]
    fn ages_parse_as_humantime() {
        assert_eq!(
            Age::parse("30d").unwrap().duration,
            Duration::from_secs(30 * 86400)
        );
        assert_eq!(Age::parse(" 12h ").unwrap().text, "12h");
        assert!(Age::parse("soon").unwrap_err().contains("not a duration"));
    }
}
