//! Path globs with the semantics of dorny/paths-filter (picomatch with `dot: true`), compiled
//! onto `globset`: what gantry.yml's `global`, `paths`, `watch` and `ignore` mean, checked by
//! the manifest and matched by gantry-matrix.
//!
//! - `*` and `?` stay within one path segment (`literal_separator`), `**` spans segments and
//!   may match none (`**/*.js` matches `a.js`), and both match names starting with `.`.
//! - `dir/**` also matches `dir` itself (globset alone would not).
//! - A glob without wildcards matches only that exact path, not the files below it.
//! - Extglob negation `!(a|b)` is supported as the last part of a glob (`src/**/!(*.md)`, or
//!   the whole glob): the rest of the path matches none of the alternatives. Other extglobs
//!   (`@(…)`, `+(…)`, `*(…)`, `?(…)`, or `!(…)` elsewhere) are refused with an error rather
//!   than read literally.
//! - A leading `!` is refused: in paths-filter it makes a rule that matches every path
//!   *outside* the glob, which is never what a list of globs means; gantry lists exclusions
//!   under `ignore` instead.
//!
//! A [`PathGlob`] is a set of globset globs: a path matches when it matches one of
//! [`PathGlob::any_of`] and none of [`PathGlob::none_of`]. Keeping them as plain globs lets a
//! matcher put the globs of every service into one `GlobSet`.

use std::fmt;

use globset::{Glob, GlobBuilder};

/// A path glob, compiled for matching repository-relative, `/`-separated paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGlob {
    text: String,
    any_of: Vec<Glob>,
    none_of: Vec<Glob>,
}

/// Why a glob cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobError {
    /// The glob is empty.
    Empty,
    /// A leading `!` (paths-filter's negated rule).
    Negated {
        /// The glob after the `!`.
        rest: String,
    },
    /// An extglob other than a final `!(…)`.
    UnsupportedExtglob {
        /// The extglob's opening, as `@(`.
        opening: String,
    },
    /// globset's reason.
    Invalid(String),
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the glob is empty"),
            Self::Negated { rest } => write!(
                f,
                "a leading `!` would match every path outside `{rest}`; to exclude paths, list \
                 `{rest}` under the service's `ignore`"
            ),
            Self::UnsupportedExtglob { opening } => write!(
                f,
                "the extglob `{opening}…)` is not supported; only `!(a|b)` as the last part of a \
                 glob is (e.g. `src/**/!(*.md)`), or list exclusions under `ignore`"
            ),
            Self::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for GlobError {}

impl PathGlob {
    /// Compiles a glob as written in gantry.yml.
    pub fn new(text: &str) -> Result<Self, GlobError> {
        if text.is_empty() {
            return Err(GlobError::Empty);
        }
        if let Some(rest) = text.strip_prefix('!')
            && !rest.starts_with('(')
        {
            return Err(GlobError::Negated { rest: rest.into() });
        }
        let (any_of, none_of) = match find_extglob(text)? {
            None => {
                let mut any_of = vec![compile(text)?];
                // picomatch: `dir/**` also matches `dir`.
                if let Some(dir) = text.strip_suffix("/**")
                    && !dir.is_empty()
                {
                    any_of.push(compile(dir)?);
                }
                (any_of, Vec::new())
            }
            Some(Extglob {
                start,
                alternatives,
            }) => {
                let prefix = &text[..start];
                // The alternatives decide how much of the path the extglob covers: one segment,
                // or (when one contains `/`) the whole rest of the path.
                let rest = if alternatives.iter().any(|a| a.contains('/')) {
                    "**"
                } else {
                    "*"
                };
                let none_of = alternatives
                    .iter()
                    .map(|alternative| compile(&format!("{prefix}{alternative}")))
                    .collect::<Result<_, _>>()?;
                (vec![compile(&format!("{prefix}{rest}"))?], none_of)
            }
        };
        Ok(Self {
            text: text.into(),
            any_of,
            none_of,
        })
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A path matches when it matches one of these ...
    pub fn any_of(&self) -> &[Glob] {
        &self.any_of
    }

    /// ... and none of these.
    pub fn none_of(&self) -> &[Glob] {
        &self.none_of
    }
}

/// globset with picomatch's separator rule, and backslash escapes on every platform.
fn compile(glob: &str) -> Result<Glob, GlobError> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| GlobError::Invalid(e.kind().to_string()))
}

/// A final `!(a|b)`: where it starts and its alternatives.
struct Extglob<'t> {
    start: usize,
    alternatives: Vec<&'t str>,
}

/// The supported extglob of `text`, if it has one; an error for any other extglob.
fn find_extglob(text: &str) -> Result<Option<Extglob<'_>>, GlobError> {
    let mut found = None;
    let mut in_class = false;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '@' | '*' | '+' | '?' | '!' if !in_class => {
                if chars.peek().map(|&(_, next)| next) != Some('(') {
                    continue;
                }
                let supported = c == '!'
                    && found.is_none()
                    && (at == 0 || text[..at].ends_with('/'))
                    && text.ends_with(')')
                    && !text[at + 2..text.len() - 1].contains(['(', ')']);
                if !supported {
                    return Err(GlobError::UnsupportedExtglob {
                        opening: format!("{c}("),
                    });
                }
                found = Some(Extglob {
                    start: at,
                    alternatives: text[at + 2..text.len() - 1].split('|').collect(),
                });
            }
            _ => {}
        }
    }
    if let Some(Extglob { alternatives, .. }) = &found
        && alternatives.iter().any(|a| a.is_empty())
    {
        return Err(GlobError::Invalid(
            "an alternative of `!(…)` is empty".into(),
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use globset::GlobSet;

    fn set(globs: &[Glob]) -> GlobSet {
        let mut builder = GlobSet::builder();
        for glob in globs {
            builder.add(glob.clone());
        }
        builder.build().unwrap()
    }

    fn matches(glob: &PathGlob, path: &str) -> bool {
        set(glob.any_of()).is_match(path) && !set(glob.none_of()).is_match(path)
    }

    fn glob(text: &str) -> PathGlob {
        PathGlob::new(text).unwrap()
    }

    #[test]
    fn star_stays_in_its_segment_and_globstar_crosses() {
        assert!(matches(&glob("*.md"), "README.md"));
        assert!(!matches(&glob("*.md"), "docs/a.md"));
        assert!(!matches(&glob("src/*"), "src/a/b.js"));
        assert!(matches(&glob("**/*.js"), "a.js"));
        assert!(matches(&glob("**/*.js"), ".test/.test.js"));
        assert!(matches(&glob("src/**/**.md"), "src/a/README.md"));
        assert!(!matches(&glob("src/**/**.md"), "src/a/README.txt"));
    }

    #[test]
    fn a_trailing_globstar_also_matches_the_directory() {
        assert!(matches(&glob("src/**"), "src"));
        assert!(matches(&glob("src/**"), "src/a/b"));
        assert!(!matches(&glob("src/**"), "srcs"));
        assert_eq!(glob("**").any_of().len(), 1);
    }

    #[test]
    fn a_glob_without_wildcards_is_one_exact_path() {
        assert!(matches(&glob("src/package1"), "src/package1"));
        assert!(!matches(&glob("src/package1"), "src/package1/index.ts"));
    }

    #[test]
    fn final_extglob_negation_of_one_segment() {
        let code = glob("src/**/!(*.md|*.txt)");
        assert!(matches(&code, "src/a/handler.ts"));
        assert!(matches(&code, "src/handler.ts"));
        assert!(!matches(&code, "src/a/README.md"));
        assert!(!matches(&code, "src/notes.txt"));
        assert!(!matches(&code, "lib/handler.ts"));
        let root = glob("!(*.md)");
        assert!(matches(&root, "main.rs"));
        assert!(!matches(&root, "README.md"));
        assert!(!matches(&root, "src/main.rs"), "one segment only");
    }

    #[test]
    fn whole_extglob_negation_across_segments() {
        let not_ui = glob("!(**/*.tsx|**/*.less)");
        assert!(matches(&not_ui, "src/server.py"));
        assert!(!matches(&not_ui, "src/ui.tsx"));
        assert!(!matches(&not_ui, "root.tsx"));
    }

    #[test]
    fn other_extglobs_and_leading_negation_are_refused() {
        for (text, opening) in [
            ("src/@(a|b)/**", "@("),
            ("src/+(a)", "+("),
            ("*(a|b)", "*("),
            ("src/?(a)", "?("),
            ("src/!(a)/**", "!("),
            ("src/x!(a)", "!("),
            ("!(a)/!(b)", "!("),
        ] {
            assert_eq!(
                PathGlob::new(text),
                Err(GlobError::UnsupportedExtglob {
                    opening: opening.into()
                }),
                "{text}"
            );
        }
        assert_eq!(
            PathGlob::new("!docs/**"),
            Err(GlobError::Negated {
                rest: "docs/**".into()
            })
        );
        assert!(
            PathGlob::new("!docs/**")
                .unwrap_err()
                .to_string()
                .contains("under the service's `ignore`")
        );
        assert_eq!(PathGlob::new(""), Err(GlobError::Empty));
        assert!(matches!(PathGlob::new("!()"), Err(GlobError::Invalid(_))));
        assert!(matches!(PathGlob::new("{a,b"), Err(GlobError::Invalid(_))));
    }

    #[test]
    fn escaped_and_bracketed_openings_are_literal() {
        assert!(matches(&glob(r"a\!(b)"), "a!(b)"));
        assert!(matches(&glob("a[!(]b"), "axb"));
        assert!(matches(&glob("a/b!c"), "a/b!c"));
    }
}
