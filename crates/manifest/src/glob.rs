//! Path globs as gantry.yml's `global`, `paths`, `watch` and `ignore` mean them: the semantics
//! of dorny/paths-filter (picomatch with `dot: true`) where they serve users, GitHub's own
//! filter syntax where users copy from it, and an error wherever a glob would otherwise
//! silently never match. Checked by the manifest, matched by gantry-matrix on `globset`.
//!
//! - `*` stays within one path segment and `**` as a whole segment spans any number of them
//!   (none too: `**/*.js` matches `a.js`); both match names starting with `.`.
//! - `**` next to other characters in a segment matches across `/` as in GitHub's filter
//!   syntax: `**.md` is every Markdown file, `docs/**.md` every one below `docs`.
//! - `dir/**` also matches `dir` itself when `dir`'s last segment is literal (`packages/*/**`
//!   does not match `packages/README.md`).
//! - `?` is one character and `[…]` one character of a class (`[a-z]`, `[!a]`, `[^a]`,
//!   `[[:alpha:]]`, `[\]]`), never `/`. A class also matches its own text literally, so
//!   Next.js route folders (`app/[locale]/**`, `[...slug]`, `[[...slug]]`) work as written.
//! - `{a,b}` is either (nested at will), `{1..3}` / `{01..10}` / `{a..e}` / `{0..10..5}` a
//!   range; a brace pair with neither a comma nor a range is literal text.
//! - A leading `./` is dropped (`./proto/**` is `proto/**`).
//! - A glob without wildcards matches only that exact path, not the files below it.
//! - Extglob negation `!(a|b)` is supported as the last part of a glob (`src/**/!(*.md)`, or
//!   the whole glob): the rest of the path matches none of the alternatives. Other extglobs
//!   (`@(…)`, `+(…)`, `*(…)`, `?(…)`, or `!(…)` elsewhere) are refused rather than read
//!   literally.
//! - A leading `!` is refused: in paths-filter it makes a rule that matches every path
//!   *outside* the glob, which is never what a list of globs means; gantry lists exclusions
//!   under `ignore` instead.
//!
//! A [`PathGlob`] compiles to [`Pattern`]s: a path matches when it matches one of
//! [`PathGlob::any_of`] and none of [`PathGlob::none_of`]. Each pattern is a literal path, a
//! literal directory's contents, or a plain globset glob ([`Shape`]), so a matcher can look
//! the first two up and put the globs of every service into one `GlobSet`. globset compares
//! bytes, not characters: a pattern whose `?` or class could meet a multi-byte character is
//! given to globset as a superset (`*`) and carries the exact test ([`Pattern::confirms`]).

use std::fmt;

use globset::{Glob, GlobBuilder};
use regex::Regex;

/// A path glob, compiled for matching repository-relative, `/`-separated paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathGlob {
    text: String,
    any_of: Vec<Pattern>,
    none_of: Vec<Pattern>,
}

/// One alternative of a [`PathGlob`].
#[derive(Debug, Clone)]
pub struct Pattern {
    shape: Shape,
    /// When a [`Shape::Glob`] is a superset of the pattern: the exact test, on characters.
    exact: Option<Regex>,
}

/// What a [`Pattern`] is, from the cheapest to match to the dearest. Monorepo globs are mostly
/// the first two, which a matcher looks up instead of compiling thousands of them.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Exactly this path (`gantry.yml`).
    Literal(String),
    /// Any path below this directory (`libs/common/**`, the directory being `libs/common`).
    Below(String),
    /// A globset glob.
    Glob(Glob),
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Pattern {}

impl Pattern {
    /// What the pattern is.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Whether a path that the [`Shape::Glob`] matched really matches.
    pub fn confirms(&self, path: &str) -> bool {
        self.exact.as_ref().is_none_or(|exact| exact.is_match(path))
    }

    /// What identifies the pattern: equal keys match the same paths.
    pub fn key(&self) -> (&str, &str, Option<&str>) {
        let (kind, text) = match &self.shape {
            Shape::Literal(path) => ("literal", path.as_str()),
            Shape::Below(dir) => ("below", dir.as_str()),
            Shape::Glob(glob) => ("glob", glob.glob()),
        };
        (kind, text, self.exact.as_ref().map(Regex::as_str))
    }

    /// Whether `path` matches, on its own (matchers use a `GlobSet` of many patterns).
    pub fn is_match(&self, path: &str) -> bool {
        match &self.shape {
            Shape::Literal(literal) => path == literal,
            Shape::Below(dir) => path
                .strip_prefix(dir.as_str())
                .is_some_and(|rest| rest.starts_with('/')),
            Shape::Glob(glob) => glob.compile_matcher().is_match(path) && self.confirms(path),
        }
    }
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
    /// Syntax that cannot be read, with the reason.
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

/// Braces nested deeper than this are refused (globset's regex would be refused anyway, far
/// from the manifest line that caused it).
pub const MAX_BRACE_DEPTH: usize = 8;
/// A glob may stand for at most this many plain globs once braces, ranges and `**` inside a
/// segment are expanded.
pub const MAX_EXPANSIONS: usize = 256;

impl PathGlob {
    /// Compiles a glob as written in gantry.yml.
    pub fn new(text: &str) -> Result<Self, GlobError> {
        let mut body = text;
        while let Some(rest) = body.strip_prefix("./") {
            body = rest;
        }
        if body.is_empty() {
            return Err(GlobError::Empty);
        }
        if let Some(rest) = body.strip_prefix('!')
            && !rest.starts_with('(')
        {
            return Err(GlobError::Negated { rest: rest.into() });
        }
        let (any_of, none_of) = match find_extglob(body)? {
            None => (compile(body, true)?, Vec::new()),
            Some(Extglob {
                start,
                alternatives,
            }) => {
                let prefix = &body[..start];
                // The alternatives decide how much of the path the extglob covers: one segment,
                // or (when one contains `/`) the whole rest of the path.
                let rest = if alternatives.iter().any(|a| a.contains('/')) {
                    "**"
                } else {
                    "*"
                };
                let mut none_of = Vec::new();
                for alternative in alternatives {
                    none_of.extend(compile(&format!("{prefix}{alternative}"), false)?);
                }
                (compile(&format!("{prefix}{rest}"), false)?, none_of)
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
    pub fn any_of(&self) -> &[Pattern] {
        &self.any_of
    }

    /// ... and none of these.
    pub fn none_of(&self) -> &[Pattern] {
        &self.none_of
    }

    /// Whether `path` matches, this glob alone (matchers use a `GlobSet` of many globs).
    pub fn is_match(&self, path: &str) -> bool {
        self.any_of.iter().any(|p| p.is_match(path))
            && !self.none_of.iter().any(|p| p.is_match(path))
    }
}

/// One element of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// A run of `*`: one is `*`, more is `**`.
    Stars(usize),
    /// `?`
    Any,
    Class(Class),
    /// `{a,b}` or a range, as its alternatives.
    Braces(Vec<Vec<Token>>),
    Separator,
}

/// `[…]`: one character of `ranges` (or of none of them when negated).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
    /// The class as written, escapes removed: what it also matches literally.
    text: String,
}

/// An element of a brace-free glob, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(char),
    /// `*`
    Star,
    /// `**` as a whole segment.
    GlobStar,
    Any,
    Class(Class),
    Separator,
}

/// The patterns of a glob without a final extglob. `dir_too`: also match `dir` for `dir/**`.
fn compile(text: &str, dir_too: bool) -> Result<Vec<Pattern>, GlobError> {
    let tokens = Parser::new(text).sequence(0, &[])?;
    let mut patterns: Vec<Pattern> = Vec::new();
    for parts in expand(&tokens)? {
        let mut add = |parts: &[Part]| -> Result<(), GlobError> {
            let pattern = render(parts)?;
            if !patterns.contains(&pattern) {
                patterns.push(pattern);
            }
            Ok(())
        };
        add(&parts)?;
        if dir_too
            && let [dir @ .., Part::Separator, Part::GlobStar] = parts.as_slice()
            && let Some(last) = dir.rsplit(|p| *p == Part::Separator).next()
            && !last.is_empty()
            && last.iter().all(|p| matches!(p, Part::Literal(_)))
        {
            add(dir)?;
        }
    }
    Ok(patterns)
}

struct Parser<'t> {
    text: &'t str,
    chars: std::iter::Peekable<std::str::CharIndices<'t>>,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            chars: text.char_indices().peekable(),
        }
    }

    /// Tokens up to the end, or (inside braces) up to one of `stops`, which is not consumed.
    fn sequence(&mut self, depth: usize, stops: &[char]) -> Result<Vec<Token>, GlobError> {
        let mut tokens = Vec::new();
        while let Some(&(at, c)) = self.chars.peek() {
            if stops.contains(&c) {
                break;
            }
            self.chars.next();
            let token = match c {
                '\\' => match self.chars.next() {
                    Some((_, escaped)) => Token::Literal(escaped),
                    None => return Err(invalid("a trailing `\\` escapes nothing")),
                },
                '*' => {
                    let mut run = 1;
                    while self.chars.next_if(|&(_, c)| c == '*').is_some() {
                        run += 1;
                    }
                    Token::Stars(run)
                }
                '?' => Token::Any,
                '/' => Token::Separator,
                '[' => Token::Class(self.class(at)?),
                '{' => self.braces(at, depth + 1)?,
                c => Token::Literal(c),
            };
            tokens.push(token);
        }
        Ok(tokens)
    }

    /// After `[` (at byte `start`): the class up to its `]`.
    fn class(&mut self, start: usize) -> Result<Class, GlobError> {
        let negated = self.chars.next_if(|&(_, c)| c == '!' || c == '^').is_some();
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut first = true;
        loop {
            let Some((at, c)) = self.chars.next() else {
                return Err(invalid(format!(
                    "unclosed character class `{}`; escape the `[` as `\\[` to match it literally",
                    &self.text[start..]
                )));
            };
            let member = match c {
                ']' if !first => {
                    let text = unescape(&self.text[start..=at]);
                    return Ok(Class {
                        negated,
                        ranges,
                        text,
                    });
                }
                '/' => {
                    return Err(invalid(
                        "a character class cannot contain `/`: classes match one character of a \
                         file or directory name",
                    ));
                }
                '[' if self.chars.peek().is_some_and(|&(_, c)| c == ':') => {
                    ranges.extend(self.posix_class()?);
                    first = false;
                    continue;
                }
                '\\' => match self.chars.next() {
                    Some((_, escaped)) => escaped,
                    None => return Err(invalid("a trailing `\\` escapes nothing")),
                },
                c => c,
            };
            first = false;
            // `a-z`, but a `-` before the closing `]` is itself.
            let is_range = self.chars.peek().is_some_and(|&(_, c)| c == '-')
                && self.text[self.position()..]
                    .chars()
                    .nth(1)
                    .is_some_and(|c| c != ']');
            if !is_range {
                ranges.push((member, member));
                continue;
            }
            self.chars.next();
            let end = match self.chars.next() {
                Some((_, '\\')) => self.chars.next().map(|(_, c)| c),
                other => other.map(|(_, c)| c),
            };
            let Some(end) = end else {
                continue; // unclosed: reported by the next iteration
            };
            if end < member {
                return Err(invalid(format!(
                    "the range `{member}-{end}` in a character class is backwards; write \
                     `{end}-{member}`"
                )));
            }
            ranges.push((member, end));
        }
    }

    /// After `[` inside a class, with `:` next: the ranges of `[:name:]`.
    fn posix_class(&mut self) -> Result<Vec<(char, char)>, GlobError> {
        let rest = &self.text[self.position()..];
        let Some(end) = rest[1..].find(":]").map(|end| end + 1) else {
            return Err(invalid("unclosed POSIX class: write it as `[:alpha:]`"));
        };
        let name = &rest[1..end];
        let ranges: &[(char, char)] = match name {
            "alnum" => &[('0', '9'), ('A', 'Z'), ('a', 'z')],
            "alpha" => &[('A', 'Z'), ('a', 'z')],
            "ascii" => &[('\0', '.'), ('0', '\x7f')],
            "blank" => &[(' ', ' '), ('\t', '\t')],
            "cntrl" => &[('\0', '\x1f'), ('\x7f', '\x7f')],
            "digit" => &[('0', '9')],
            "graph" => &[('!', '.'), ('0', '~')],
            "lower" => &[('a', 'z')],
            "print" => &[(' ', '.'), ('0', '~')],
            // Without `/`: a class never matches it.
            "punct" => &[('!', '.'), (':', '@'), ('[', '`'), ('{', '~')],
            "space" => &[(' ', ' '), ('\t', '\r')],
            "upper" => &[('A', 'Z')],
            "word" => &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
            "xdigit" => &[('0', '9'), ('A', 'F'), ('a', 'f')],
            other => {
                return Err(invalid(format!(
                    "unknown POSIX class `[:{other}:]`; the classes are alnum, alpha, ascii, \
                     blank, cntrl, digit, graph, lower, print, punct, space, upper, word, xdigit"
                )));
            }
        };
        let target = self.position() + end + 2;
        while self.chars.next_if(|&(at, _)| at < target).is_some() {}
        Ok(ranges.to_vec())
    }

    /// After `{` (at byte `start`): the alternatives, a range, or literal text.
    fn braces(&mut self, start: usize, depth: usize) -> Result<Token, GlobError> {
        if depth > MAX_BRACE_DEPTH {
            return Err(invalid(format!(
                "braces are nested more than {MAX_BRACE_DEPTH} deep; list the alternatives as \
                 separate globs"
            )));
        }
        let mut alternatives = vec![self.sequence(depth, &[',', '}'])?];
        loop {
            match self.chars.next() {
                Some((_, ',')) => alternatives.push(self.sequence(depth, &[',', '}'])?),
                Some((end, _)) => {
                    if alternatives.len() > 1 {
                        return Ok(Token::Braces(alternatives));
                    }
                    let inner = &self.text[start + 1..end];
                    if let Some(range) = range(inner)? {
                        return Ok(Token::Braces(range));
                    }
                    // Neither a comma nor a range: the braces are text, as in picomatch.
                    let mut literal = vec![Token::Literal('{')];
                    literal.append(&mut alternatives[0]);
                    literal.push(Token::Literal('}'));
                    return Ok(Token::Braces(vec![literal]));
                }
                None => {
                    return Err(invalid(format!(
                        "unclosed `{{` in `{}`; close it, or escape it as `\\{{` to match it \
                         literally",
                        &self.text[start..]
                    )));
                }
            }
        }
    }

    fn position(&mut self) -> usize {
        self.chars.peek().map_or(self.text.len(), |&(at, _)| at)
    }
}

fn invalid(why: impl Into<String>) -> GlobError {
    GlobError::Invalid(why.into())
}

/// `text` without its backslash escapes.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.extend(if c == '\\' { chars.next() } else { Some(c) });
    }
    out
}

/// The alternatives of a brace range `a..b[..step]`, if `inner` is one.
fn range(inner: &str) -> Result<Option<Vec<Vec<Token>>>, GlobError> {
    let parts: Vec<&str> = inner.split("..").collect();
    if !(2..=3).contains(&parts.len()) {
        return Ok(None);
    }
    let step = match parts.get(2) {
        None => 1,
        Some(step) => match step.parse::<i64>() {
            Ok(step) if step != 0 => step.unsigned_abs(),
            _ => return Ok(None),
        },
    };
    let letter = |part: &str| {
        let mut chars = part.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Some(i64::from(c as u8)),
            _ => None,
        }
    };
    // `{01..10}`: every value as wide as the wider end, as in bash.
    let padded = [parts[0], parts[1]].iter().any(|p| {
        let digits = p.trim_start_matches('-');
        digits.len() > 1 && digits.starts_with('0')
    });
    let width = if padded {
        parts[0].len().max(parts[1].len())
    } else {
        0
    };
    let (from, to, render): (i64, i64, Box<dyn Fn(i64) -> String>) =
        match (parts[0].parse::<i64>(), parts[1].parse::<i64>()) {
            (Ok(from), Ok(to)) => (from, to, Box::new(move |value| format!("{value:0width$}"))),
            _ => match (letter(parts[0]), letter(parts[1])) {
                (Some(from), Some(to)) => (
                    from,
                    to,
                    Box::new(|value| {
                        u8::try_from(value)
                            .map(char::from)
                            .unwrap_or('?')
                            .to_string()
                    }),
                ),
                _ => return Ok(None),
            },
        };
    let count = from.abs_diff(to) / step + 1;
    if count > MAX_EXPANSIONS as u64 {
        return Err(invalid(format!(
            "the range `{{{inner}}}` has more than {MAX_EXPANSIONS} values; use `*` or a class"
        )));
    }
    let values = (0..count).map(|i| {
        let offset = (i * step) as i64;
        let value = if from <= to {
            from + offset
        } else {
            from - offset
        };
        render(value).chars().map(Token::Literal).collect()
    });
    Ok(Some(values.collect()))
}

/// Every brace-free glob `tokens` stands for, with `**` inside a segment spelled out.
fn expand(tokens: &[Token]) -> Result<Vec<Vec<Part>>, GlobError> {
    let mut parts = Vec::new();
    for flat in expand_braces(tokens)? {
        parts.extend(resolve_stars(&flat).into_iter().map(collapse_globstars));
        if parts.len() > MAX_EXPANSIONS {
            return Err(too_many());
        }
    }
    Ok(parts)
}

fn too_many() -> GlobError {
    invalid(format!(
        "the glob stands for more than {MAX_EXPANSIONS} globs once its braces are expanded; \
         split it or use `*`"
    ))
}

/// `tokens` with its braces expanded: token lists without [`Token::Braces`].
fn expand_braces(tokens: &[Token]) -> Result<Vec<Vec<Token>>, GlobError> {
    let mut results: Vec<Vec<Token>> = vec![Vec::new()];
    for token in tokens {
        match token {
            Token::Braces(alternatives) => {
                let mut all = Vec::new();
                for alternative in alternatives {
                    all.extend(expand_braces(alternative)?);
                }
                if results.len() * all.len() > MAX_EXPANSIONS {
                    return Err(too_many());
                }
                results = results
                    .into_iter()
                    .flat_map(|prefix| {
                        all.iter().map(move |alternative| {
                            let mut joined = prefix.clone();
                            joined.extend(alternative.iter().cloned());
                            joined
                        })
                    })
                    .collect();
            }
            other => {
                for result in &mut results {
                    result.push(other.clone());
                }
            }
        }
    }
    Ok(results)
}

/// A brace-free token list as parts: a run of stars that is a whole segment is `**`; a run of
/// two or more inside a segment matches across `/` (GitHub's reading of `**.md`), so
/// `P**S` stands for `P*S` and `P*/**/*S`.
fn resolve_stars(tokens: &[Token]) -> Vec<Vec<Part>> {
    let mut results: Vec<Vec<Part>> = vec![Vec::new()];
    for (index, token) in tokens.iter().enumerate() {
        let single: Vec<Part> = match token {
            Token::Literal(c) => vec![Part::Literal(*c)],
            Token::Any => vec![Part::Any],
            Token::Class(class) => vec![Part::Class(class.clone())],
            Token::Separator => vec![Part::Separator],
            Token::Stars(1) => vec![Part::Star],
            Token::Stars(_) => {
                let starts_segment = index == 0 || tokens[index - 1] == Token::Separator;
                let ends_segment = tokens
                    .get(index + 1)
                    .is_none_or(|next| *next == Token::Separator);
                if starts_segment && ends_segment {
                    vec![Part::GlobStar]
                } else {
                    let deep = [
                        Part::Star,
                        Part::Separator,
                        Part::GlobStar,
                        Part::Separator,
                        Part::Star,
                    ];
                    let mut both = Vec::new();
                    for result in &results {
                        for alternative in [&[Part::Star][..], &deep[..]] {
                            let mut joined = result.clone();
                            joined.extend_from_slice(alternative);
                            both.push(joined);
                        }
                    }
                    results = both;
                    continue;
                }
            }
            // Expanded before stars are resolved.
            Token::Braces(_) => continue,
        };
        for result in &mut results {
            result.extend(single.iter().cloned());
        }
    }
    results
}

/// `**/**` is `**`.
fn collapse_globstars(parts: Vec<Part>) -> Vec<Part> {
    let mut segments: Vec<&[Part]> = Vec::new();
    for segment in parts.split(|p| *p == Part::Separator) {
        if segment == [Part::GlobStar] && segments.last() == Some(&&[Part::GlobStar][..]) {
            continue;
        }
        segments.push(segment);
    }
    segments.join(&Part::Separator)
}

/// A brace-free glob as a globset glob, plus the exact test when globset cannot be exact.
fn render(parts: &[Part]) -> Result<Pattern, GlobError> {
    let classes: Vec<Option<String>> = parts
        .iter()
        .map(|part| match part {
            Part::Class(class) => globset_class(class),
            _ => None,
        })
        .collect();
    let needs_check = parts.iter().zip(&classes).any(|(part, class)| match part {
        Part::Any => true,
        Part::Class(_) => class.is_none(),
        _ => false,
    });
    if !needs_check && let Some(shape) = literal_shape(parts) {
        return Ok(Pattern { shape, exact: None });
    }
    let mut glob = String::new();
    for (part, class) in parts.iter().zip(classes) {
        match part {
            Part::Literal(c) => push_escaped(&mut glob, *c),
            Part::Star => glob.push('*'),
            Part::GlobStar => glob.push_str("**"),
            Part::Separator => glob.push('/'),
            // The superset: the exact test decides.
            Part::Any | Part::Class(_) if needs_check => glob.push('*'),
            Part::Any => glob.push('?'),
            Part::Class(written) => {
                // One character of the class, or the class's own text.
                glob.push('{');
                glob.push_str(class.as_deref().unwrap_or_default());
                glob.push(',');
                for c in written.text.chars() {
                    push_escaped(&mut glob, c);
                }
                glob.push('}');
            }
        }
    }
    let compiled = GlobBuilder::new(&glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| GlobError::Invalid(e.kind().to_string()))?;
    let exact = if needs_check {
        let regex = Regex::new(&regex_of(parts))
            .map_err(|e| invalid(format!("the glob is too complex to match: {e}")))?;
        Some(regex)
    } else {
        None
    };
    Ok(Pattern {
        shape: Shape::Glob(compiled),
        exact,
    })
}

/// A glob that is one literal path, or a literal directory and `/**`, as such.
fn literal_shape(parts: &[Part]) -> Option<Shape> {
    let (literal, shape): (&[Part], fn(String) -> Shape) = match parts {
        [dir @ .., Part::Separator, Part::GlobStar] => (dir, Shape::Below),
        all => (all, Shape::Literal),
    };
    let text: Option<String> = literal
        .iter()
        .map(|part| match part {
            Part::Literal(c) => Some(*c),
            Part::Separator => Some('/'),
            _ => None,
        })
        .collect();
    text.filter(|text| !text.is_empty()).map(shape)
}

/// `class` in globset's syntax, when globset (which compares bytes) matches exactly what it
/// does: not negated, ASCII only, and writable (`]` first, `-` last, no `!` or `^` first).
fn globset_class(class: &Class) -> Option<String> {
    if class.negated || !class.ranges.iter().all(|(_, to)| to.is_ascii()) {
        return None;
    }
    let mut members = class.ranges.clone();
    members.sort_by_key(|&(from, _)| match from {
        ']' => 0,
        '!' | '^' => 2,
        '-' => 3,
        _ => 1,
    });
    if members
        .first()
        .is_some_and(|&(from, _)| from == '!' || from == '^')
        || members[..members.len() - 1]
            .iter()
            .any(|&(from, to)| from == '-' || to == '-')
    {
        return None;
    }
    let mut text = String::from("[");
    for (from, to) in members {
        text.push(from);
        if to != from {
            text.push('-');
            text.push(to);
        }
    }
    text.push(']');
    Some(text)
}

fn push_escaped(glob: &mut String, c: char) {
    if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | ',' | '\\') {
        glob.push('\\');
    }
    glob.push(c);
}

/// The anchored regular expression of a brace-free glob, on characters.
fn regex_of(parts: &[Part]) -> String {
    let segments: Vec<&[Part]> = parts.split(|p| *p == Part::Separator).collect();
    let mut regex = String::from("^");
    let last = segments.len() - 1;
    for (index, segment) in segments.iter().enumerate() {
        if *segment == [Part::GlobStar] {
            regex.push_str(match (index == 0, index == last) {
                (true, true) => ".*",
                (true, false) => "(?:.*/)?",
                (false, true) => "/.*",
                (false, false) => "/(?:.*/)?",
            });
            continue;
        }
        let after_globstar = index > 0 && segments[index - 1] == [Part::GlobStar];
        if index > 0 && !after_globstar {
            regex.push('/');
        }
        for part in *segment {
            match part {
                Part::Literal(c) => regex.push_str(&regex::escape(&c.to_string())),
                Part::Star => regex.push_str("[^/]*"),
                Part::Any => regex.push_str("[^/]"),
                Part::Class(class) => {
                    regex.push_str(if class.negated { "(?:[^/" } else { "(?:[" });
                    for &(from, to) in &class.ranges {
                        push_class_char(&mut regex, from);
                        if to != from {
                            regex.push('-');
                            push_class_char(&mut regex, to);
                        }
                    }
                    regex.push_str("]|");
                    regex.push_str(&regex::escape(&class.text));
                    regex.push(')');
                }
                Part::GlobStar | Part::Separator => {}
            }
        }
    }
    regex.push('$');
    regex
}

/// A character inside a regex class: escaped where a class gives it a meaning.
fn push_class_char(regex: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        regex.push('\\');
        regex.push(c);
    } else if c.is_control() {
        regex.push_str(&format!("\\x{{{:X}}}", c as u32));
    } else {
        regex.push(c);
    }
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

    fn glob(text: &str) -> PathGlob {
        PathGlob::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[track_caller]
    fn check(text: &str, cases: &[(&str, bool)]) {
        let glob = glob(text);
        for (path, expected) in cases {
            assert_eq!(glob.is_match(path), *expected, "{text} vs {path}");
        }
    }

    fn error(text: &str) -> String {
        PathGlob::new(text).unwrap_err().to_string()
    }

    #[test]
    fn star_stays_in_its_segment_and_globstar_crosses() {
        check("*.md", &[("README.md", true), ("docs/a.md", false)]);
        check("src/*", &[("src/a", true), ("src/a/b.js", false)]);
        check("**/*.js", &[("a.js", true), (".test/.test.js", true)]);
        check(
            "src/**/**.md",
            &[("src/a/README.md", true), ("src/a/README.txt", false)],
        );
        check("**/**", &[("a", true), ("a/b/c", true)]);
        check("a/**/**/b", &[("a/b", true), ("a/x/y/b", true)]);
    }

    #[test]
    fn globstar_inside_a_segment_crosses_directories_as_in_github_filters() {
        check(
            "**.md",
            &[
                ("a.md", true),
                ("docs/a.md", true),
                ("docs/x/a.md", true),
                ("a.mdx", false),
            ],
        );
        check(
            "docs/**.md",
            &[("docs/a.md", true), ("docs/x/a.md", true), ("a.md", false)],
        );
        check(
            "src/a**",
            &[("src/abc", true), ("src/ab/c.js", true), ("src/b", false)],
        );
        check("a**z", &[("az", true), ("a/b/z", true), ("a/b/y", false)]);
    }

    #[test]
    fn a_trailing_globstar_also_matches_a_literal_directory() {
        check(
            "src/**",
            &[("src", true), ("src/a/b", true), ("srcs", false)],
        );
        assert_eq!(glob("**").any_of().len(), 1);
        check(
            "packages/*/**",
            &[("packages/README.md", false), ("packages/a/b.js", true)],
        );
        check("*/**", &[("README.md", false), ("a/b", true)]);
        check("src/a*/**", &[("src/a.js", false), ("src/ab/c.js", true)]);
        check(
            "{app,web}/**",
            &[("app", true), ("web", true), ("api", false)],
        );
        check("./proto/**", &[("proto", true), ("proto/a.proto", true)]);
    }

    #[test]
    fn a_glob_without_wildcards_is_one_exact_path() {
        check(
            "src/package1",
            &[("src/package1", true), ("src/package1/index.ts", false)],
        );
    }

    #[test]
    fn question_marks_and_classes_match_one_character_not_one_byte() {
        check(
            "docs/caf?.md",
            &[
                ("docs/café.md", true),
                ("docs/cafe.md", true),
                ("docs/caf.md", false),
            ],
        );
        check("??", &[("é", false), ("ab", true), ("éa", true)]);
        check("caf[é].md", &[("café.md", true), ("cafe.md", false)]);
        check(
            "[!j]s/**",
            &[("ts/a", true), ("js/a", false), ("és/a", true)],
        );
        check("[^j]s", &[("ts", true), ("js", false)]);
        check("?", &[("/", false), ("a", true)]);
        check("[!a]", &[("/", false)]);
    }

    #[test]
    fn classes_also_match_their_own_text_for_route_folders() {
        check(
            "app/[locale]/**",
            &[
                ("app/[locale]/page.tsx", true),
                ("app/l/page.tsx", true),
                ("app/x/page.tsx", false),
            ],
        );
        check(
            "app/[...slug]/page.tsx",
            &[("app/[...slug]/page.tsx", true), ("app/s/page.tsx", true)],
        );
        check(
            "app/[[...slug]]/page.tsx",
            &[("app/[[...slug]]/page.tsx", true)],
        );
        check("app/(marketing)/**", &[("app/(marketing)/page.tsx", true)]);
        check(r"app/\[id\]/x", &[("app/[id]/x", true), ("app/i/x", false)]);
    }

    #[test]
    fn posix_classes_ranges_and_escaped_brackets() {
        check("v[[:digit:]]", &[("v1", true), ("va", false)]);
        check(
            "[[:alpha:]_]x",
            &[("ax", true), ("_x", true), ("1x", false)],
        );
        check("[[:punct:]]", &[("/", false), ("!", true)]);
        check(r"[\]]", &[("]", true), ("a", false)]);
        check("[]a]", &[("]", true), ("a", true)]);
        check("[a-]", &[("-", true), ("a", true), ("b", false)]);
        check("[a-c]", &[("b", true), ("d", false)]);
        check("[!-~]x", &[("!x", true), ("-x", false), ("~x", false)]);
        check(r"[\!-#]x", &[("\"x", true), ("ax", false)]);
        check(r"[\!a]", &[("!", true), ("a", true), ("b", false)]);
        assert!(error("[z-a]").contains("backwards"), "{}", error("[z-a]"));
        assert!(error("[[:letters:]]").contains("unknown POSIX class"));
        assert!(error("[a/b]").contains("cannot contain `/`"));
        assert!(error("src/[a-").contains("unclosed character class"));
    }

    #[test]
    fn braces_nest_and_ranges_expand() {
        check(
            "{a,{b,c}}/x",
            &[("a/x", true), ("c/x", true), ("d/x", false)],
        );
        check(
            "v{1..3}",
            &[
                ("v1", true),
                ("v3", true),
                ("v4", false),
                ("v{1..3}", false),
            ],
        );
        check("v{01..10}", &[("v01", true), ("v10", true), ("v1", false)]);
        check("{a..c}", &[("b", true), ("d", false)]);
        check("{0..10..5}", &[("5", true), ("1", false), ("10", true)]);
        check("{3..1}", &[("2", true)]);
        check("x{a}", &[("x{a}", true), ("xa", false)]);
        check("{,a}b", &[("b", true), ("ab", true)]);
        check(
            "{src,lib}/**/*.{ts,tsx}",
            &[
                ("lib/a/b.tsx", true),
                ("src/c.ts", true),
                ("src/c.js", false),
            ],
        );
        let deep = format!("{}a,b{}", "{".repeat(300), "}".repeat(300));
        assert!(
            error(&deep).contains("nested more than 8 deep"),
            "{}",
            error(&deep)
        );
        assert!(error("{1..100000}").contains("more than 256 values"));
        assert!(
            error("{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}").contains("more than 256 globs")
        );
        assert!(error("{a,b").contains("unclosed `{`"));
    }

    #[test]
    fn final_extglob_negation_of_one_segment() {
        let cases = [
            ("src/a/handler.ts", true),
            ("src/handler.ts", true),
            ("src/a/README.md", false),
            ("src/notes.txt", false),
            ("lib/handler.ts", false),
        ];
        check("src/**/!(*.md|*.txt)", &cases);
        check(
            "!(*.md)",
            &[
                ("main.rs", true),
                ("README.md", false),
                ("src/main.rs", false),
            ],
        );
    }

    #[test]
    fn whole_extglob_negation_across_segments() {
        check(
            "!(**/*.tsx|**/*.less)",
            &[
                ("src/server.py", true),
                ("src/ui.tsx", false),
                ("root.tsx", false),
            ],
        );
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
        assert!(error("!docs/**").contains("under the service's `ignore`"));
        assert_eq!(PathGlob::new(""), Err(GlobError::Empty));
        assert_eq!(PathGlob::new("./"), Err(GlobError::Empty));
        assert!(matches!(PathGlob::new("!()"), Err(GlobError::Invalid(_))));
        assert!(error("a\\").contains("trailing `\\`"));
    }

    #[test]
    fn escaped_and_bracketed_openings_are_literal() {
        check(r"a\!(b)", &[("a!(b)", true)]);
        check("a[!(]b", &[("axb", true)]);
        check("a/b!c", &[("a/b!c", true)]);
        check(r"a\*b", &[("a*b", true), ("axb", false)]);
        check(r"a\{b,c\}", &[("a{b,c}", true)]);
    }

    #[test]
    fn only_globs_globset_cannot_match_exactly_carry_a_check() {
        let checked = |text: &str| glob(text).any_of().iter().any(|p| p.exact.is_some());
        let shapes = |text: &str| -> Vec<String> {
            glob(text)
                .any_of()
                .iter()
                .map(|p| match p.shape() {
                    Shape::Literal(path) => format!("literal {path}"),
                    Shape::Below(dir) => format!("below {dir}"),
                    Shape::Glob(glob) => format!("glob {}", glob.glob()),
                })
                .collect()
        };
        assert_eq!(
            shapes("libs/common/**"),
            ["below libs/common", "literal libs/common"]
        );
        assert_eq!(shapes("gantry.yml"), ["literal gantry.yml"]);
        assert_eq!(shapes("a*/**"), ["glob a*/**"]);
        assert_eq!(shapes(r"a\*b"), ["literal a*b"]);
        assert!(!checked("src/**/*.{ts,tsx}"));
        assert!(!checked("app/[locale]/**"));
        assert!(checked("docs/caf?.md"));
        assert!(checked("[!j]s"));
        assert!(checked("[é]"));
    }
}
