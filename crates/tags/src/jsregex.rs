//! JavaScript regular expressions on fancy-regex, for `type=match` and the `match` attribute.
//!
//! The pattern is translated so it means what it means in JavaScript: `\d`, `\w`, `\s`, `\b`
//! and `.` keep their JavaScript (mostly ASCII) meaning, `{` that does not start a quantifier is
//! a literal brace, `[]` matches nothing and `[^]` anything, and the `m` flag knows all four
//! JavaScript line terminators. Backreferences, named groups and lookbehind come from
//! fancy-regex. Flags `d g i m s u v y` are accepted; `g` and `y` change what
//! [`JsRegex::string_match`] returns as `String.prototype.match` does.
//!
//! Not supported (an error, never a silent difference): legacy octal escapes (`\1` without a
//! group 1, `\07`) and lone surrogate escapes. Known differences: case-insensitive matching
//! folds case the Unicode way, and the `v` flag is read as `u` (no set operations).

use std::fmt::Write as _;

/// JavaScript's `\s`, as class members.
const SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
const WORD: &str = "A-Za-z0-9_";
const LINE_TERMINATORS: &str = r"\n\r\x{2028}\x{2029}";

/// A pattern or flags that JavaScript (or this translation) rejects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression /{pattern}/{flags}: {reason}")]
pub struct JsRegexError {
    pub pattern: String,
    pub flags: String,
    pub reason: String,
}

/// A compiled JavaScript regular expression.
#[derive(Debug)]
pub struct JsRegex {
    regex: fancy_regex::Regex,
    global: bool,
    sticky: bool,
}

impl JsRegex {
    /// `new RegExp(pattern, flags)`.
    pub fn new(pattern: &str, flags: &str) -> Result<Self, JsRegexError> {
        let error = |reason: String| JsRegexError {
            pattern: pattern.to_owned(),
            flags: flags.to_owned(),
            reason,
        };
        let mut seen = String::new();
        for flag in flags.chars() {
            if !"dgimsuvy".contains(flag) || seen.contains(flag) {
                return Err(error(format!("invalid flag `{flag}`")));
            }
            seen.push(flag);
        }
        if seen.contains('u') && seen.contains('v') {
            return Err(error("the flags `u` and `v` cannot be combined".into()));
        }
        let options = Options {
            dot_all: seen.contains('s'),
            multiline: seen.contains('m'),
            unicode: seen.contains('u') || seen.contains('v'),
        };
        let mut translated = translate(pattern, options).map_err(error)?;
        if seen.contains('i') {
            translated.insert_str(0, "(?i)");
        }
        let regex = fancy_regex::RegexBuilder::new(&translated)
            .build()
            .map_err(|e| error(e.to_string()))?;
        Ok(Self {
            regex,
            global: seen.contains('g'),
            sticky: seen.contains('y'),
        })
    }

    /// `text.match(regex)`: `None` for no match; without `g`, the match and its groups
    /// (`None` for a group that took no part); with `g`, every match.
    pub fn string_match(&self, text: &str) -> Result<Option<Vec<Option<String>>>, String> {
        if !self.global {
            let captures = self
                .regex
                .captures(text)
                .map_err(|error| error.to_string())?;
            return Ok(captures
                .filter(|captures| !self.sticky || captures.get(0).is_some_and(|m| m.start() == 0))
                .map(|captures| {
                    captures
                        .iter()
                        .map(|group| group.map(|m| m.as_str().to_owned()))
                        .collect()
                }));
        }
        let mut matches = Vec::new();
        let mut at = 0;
        while at <= text.len() {
            let Some(found) = self
                .regex
                .find_from_pos(text, at)
                .map_err(|error| error.to_string())?
            else {
                break;
            };
            if self.sticky && found.start() != at {
                break;
            }
            matches.push(Some(found.as_str().to_owned()));
            at = if found.end() == found.start() {
                // An empty match: step over one character, as `lastIndex` does.
                found.end() + text[found.end()..].chars().next().map_or(1, char::len_utf8)
            } else {
                found.end()
            };
        }
        Ok((!matches.is_empty()).then_some(matches))
    }
}

#[derive(Clone, Copy)]
struct Options {
    dot_all: bool,
    multiline: bool,
    unicode: bool,
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    options: Options,
    groups: usize,
    named_groups: bool,
    out: String,
}

fn translate(pattern: &str, options: Options) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let (groups, named_groups) = count_groups(&chars);
    let mut translator = Translator {
        chars,
        pos: 0,
        options,
        groups,
        named_groups,
        out: String::new(),
    };
    translator.run()?;
    Ok(translator.out)
}

/// Capturing groups in the pattern, and whether any is named.
fn count_groups(chars: &[char]) -> (usize, bool) {
    let (mut count, mut named, mut in_class, mut i) = (0, false, false, 0);
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => {
                if chars.get(i + 1) != Some(&'?') {
                    count += 1;
                } else if chars.get(i + 2) == Some(&'<')
                    && !matches!(chars.get(i + 3), Some('=' | '!'))
                {
                    count += 1;
                    named = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (count, named)
}

/// One member of a character class.
enum ClassItem {
    Char(char),
    /// Ready-made class syntax (`0-9`, `[^0-9]`).
    Set(String),
}

impl Translator {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => self.escape()?,
                '.' if self.options.dot_all => self.out.push_str(r"(?s:.)"),
                '.' => write!(self.out, "[^{LINE_TERMINATORS}]").unwrap_or_default(),
                '^' if self.options.multiline => {
                    write!(self.out, "(?:^|(?<=[{LINE_TERMINATORS}]))").unwrap_or_default()
                }
                '$' if self.options.multiline => {
                    write!(self.out, "(?:$|(?=[{LINE_TERMINATORS}]))").unwrap_or_default()
                }
                '(' => self.group()?,
                '[' => self.class()?,
                '{' if self.quantifier_len().is_some() => {
                    let len = self.quantifier_len().unwrap_or_default();
                    self.out.push('{');
                    self.out.extend(&self.chars[self.pos..self.pos + len]);
                    self.pos += len;
                }
                '^' | '$' | ')' | '|' | '*' | '+' | '?' => self.out.push(c),
                other => self.literal(other),
            }
        }
        Ok(())
    }

    /// After `{`: the length of `n}`, `n,}` or `n,m}` if that follows.
    fn quantifier_len(&self) -> Option<usize> {
        let rest: String = self.chars[self.pos..].iter().take(64).collect();
        let close = rest.find('}')?;
        let body = &rest[..close];
        let (low, high) = body.split_once(',').unwrap_or((body, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(low) && (high.is_empty() || digits(high))).then_some(close + 1)
    }

    fn literal(&mut self, c: char) {
        self.out.push_str(&fancy_regex::escape(&c.to_string()));
    }

    fn group(&mut self) -> Result<(), String> {
        self.out.push('(');
        if self.peek(0) != Some('?') {
            return Ok(());
        }
        let rest: String = self.chars[self.pos..].iter().take(3).collect();
        for prefix in ["?:", "?=", "?!", "?<=", "?<!"] {
            if rest.starts_with(prefix) {
                self.out.push_str(prefix);
                self.pos += prefix.chars().count();
                return Ok(());
            }
        }
        if rest.starts_with("?<") {
            let name: String = self.chars[self.pos + 2..]
                .iter()
                .take_while(|c| **c != '>')
                .collect();
            self.pos += 2 + name.chars().count() + 1;
            write!(self.out, "?<{name}>").unwrap_or_default();
            return Ok(());
        }
        // Modifiers, `(?i:...)` or `(?-i:...)`.
        let modifiers: String = self.chars[self.pos + 1..]
            .iter()
            .take_while(|c| "ims-".contains(**c))
            .collect();
        if self.chars.get(self.pos + 1 + modifiers.chars().count()) == Some(&':') {
            write!(self.out, "?{modifiers}:").unwrap_or_default();
            self.pos += 1 + modifiers.chars().count() + 1;
            return Ok(());
        }
        Err("invalid group: `(?` must be followed by `:`, `=`, `!`, `<=`, `<!` or `<name>`".into())
    }

    /// A `\` escape outside a class.
    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.peek(0) else {
            return Err("`\\` at the end of the pattern".into());
        };
        self.pos += 1;
        let word_before = format!("(?<=[{WORD}])");
        let no_word_before = format!("(?<![{WORD}])");
        let word_after = format!("(?=[{WORD}])");
        let no_word_after = format!("(?![{WORD}])");
        match c {
            'd' => self.out.push_str("[0-9]"),
            'D' => self.out.push_str("[^0-9]"),
            'w' => write!(self.out, "[{WORD}]").unwrap_or_default(),
            'W' => write!(self.out, "[^{WORD}]").unwrap_or_default(),
            's' => write!(self.out, "[{SPACE}]").unwrap_or_default(),
            'S' => write!(self.out, "[^{SPACE}]").unwrap_or_default(),
            'b' => write!(
                self.out,
                "(?:{word_before}{no_word_after}|{no_word_before}{word_after})"
            )
            .unwrap_or_default(),
            'B' => write!(
                self.out,
                "(?:{word_before}{word_after}|{no_word_before}{no_word_after})"
            )
            .unwrap_or_default(),
            '1'..='9' => {
                let mut digits = c.to_string();
                while let Some(d) = self.peek(0).filter(char::is_ascii_digit) {
                    digits.push(d);
                    self.pos += 1;
                }
                let number: usize = digits.parse().unwrap_or(usize::MAX);
                if number > self.groups {
                    return Err(format!(
                        "`\\{digits}` refers to a group that does not exist (legacy octal \
                         escapes are not supported)"
                    ));
                }
                write!(self.out, "\\{number}").unwrap_or_default();
            }
            'k' if self.named_groups || self.options.unicode => {
                let name: String = self.chars[self.pos..]
                    .iter()
                    .skip(1)
                    .take_while(|c| **c != '>')
                    .collect();
                if self.peek(0) != Some('<') {
                    return Err("`\\k` must be followed by `<name>`".into());
                }
                self.pos += name.chars().count() + 2;
                write!(self.out, "\\k<{name}>").unwrap_or_default();
            }
            'p' | 'P' if self.options.unicode => {
                let body: String = self.chars[self.pos..]
                    .iter()
                    .take_while(|c| **c != '}')
                    .collect();
                if !body.starts_with('{') {
                    return Err(format!("`\\{c}` must be followed by `{{property}}`"));
                }
                self.pos += body.chars().count() + 1;
                write!(self.out, "\\{c}{body}}}").unwrap_or_default();
            }
            _ => {
                let c = self.char_escape(c)?;
                self.literal(c);
            }
        }
        Ok(())
    }

    /// The character an escape stands for: `\n`, `\x41`, `\u0041`, `\u{1F600}`, `\cJ`, or the
    /// character itself (identity escapes).
    fn char_escape(&mut self, c: char) -> Result<char, String> {
        let hex = |this: &mut Self, len: usize| -> Option<u32> {
            let digits: String = this.chars.get(this.pos..this.pos + len)?.iter().collect();
            let value = u32::from_str_radix(&digits, 16).ok()?;
            this.pos += len;
            Some(value)
        };
        Ok(match c {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\x0C',
            'v' => '\x0B',
            '0' if !self.peek(0).is_some_and(|d| d.is_ascii_digit()) => '\0',
            '0' => return Err("legacy octal escapes are not supported".into()),
            'c' => match self.peek(0).filter(char::is_ascii_alphabetic) {
                Some(letter) => {
                    self.pos += 1;
                    char::from(letter as u8 % 32)
                }
                None => {
                    // `\c` without a letter is a backslash and a `c`.
                    self.pos -= 1;
                    '\\'
                }
            },
            'x' => match hex(self, 2) {
                Some(value) => char::from_u32(value).unwrap_or('x'),
                None => 'x',
            },
            'u' if self.peek(0) == Some('{') => {
                let body: String = self.chars[self.pos + 1..]
                    .iter()
                    .take_while(|c| **c != '}')
                    .collect();
                let value = u32::from_str_radix(&body, 16).map_err(|_| "invalid `\\u{...}`")?;
                self.pos += body.chars().count() + 2;
                char::from_u32(value).ok_or("invalid `\\u{...}` code point")?
            }
            'u' => match hex(self, 4) {
                Some(high @ 0xD800..=0xDBFF) => {
                    let low = (self.peek(0) == Some('\\') && self.peek(1) == Some('u'))
                        .then(|| {
                            self.pos += 2;
                            hex(self, 4)
                        })
                        .flatten()
                        .filter(|low| (0xDC00..=0xDFFF).contains(low))
                        .ok_or("lone surrogate escapes are not supported")?;
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                        .ok_or("invalid surrogate pair")?
                }
                Some(value) => {
                    char::from_u32(value).ok_or("lone surrogate escapes are not supported")?
                }
                None => 'u',
            },
            other => other,
        })
    }

    /// A character class; `[` is consumed.
    fn class(&mut self) -> Result<(), String> {
        let negated = self.peek(0) == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err("a character class `[` is never closed".into());
            };
            self.pos += 1;
            if c == ']' {
                break;
            }
            let item = self.class_atom(c)?;
            // A range: `a-z`, but not `\d-z` or a trailing `-`.
            if let ClassItem::Char(start) = item
                && self.peek(0) == Some('-')
                && self.peek(1).is_some_and(|c| c != ']')
            {
                self.pos += 1;
                let next = self.peek(0).unwrap_or_default();
                self.pos += 1;
                match self.class_atom(next)? {
                    ClassItem::Char(end) if end < start => {
                        return Err(format!("range out of order in class: `{start}-{end}`"));
                    }
                    ClassItem::Char(end) => {
                        items.push(ClassItem::Set(format!(
                            "\\x{{{:X}}}-\\x{{{:X}}}",
                            u32::from(start),
                            u32::from(end)
                        )));
                    }
                    set @ ClassItem::Set(_) => {
                        items.extend([ClassItem::Char(start), ClassItem::Char('-'), set]);
                    }
                }
                continue;
            }
            items.push(item);
        }
        if items.is_empty() {
            // `[]` matches nothing; `[^]` matches anything.
            self.out.push_str(if negated { "(?s:.)" } else { "(?!)" });
            return Ok(());
        }
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        for item in items {
            match item {
                ClassItem::Char(c) => {
                    write!(self.out, "\\x{{{:X}}}", u32::from(c)).unwrap_or_default();
                }
                ClassItem::Set(set) => self.out.push_str(&set),
            }
        }
        self.out.push(']');
        Ok(())
    }

    fn class_atom(&mut self, c: char) -> Result<ClassItem, String> {
        if c != '\\' {
            return Ok(ClassItem::Char(c));
        }
        let Some(e) = self.peek(0) else {
            return Err("`\\` at the end of the pattern".into());
        };
        self.pos += 1;
        Ok(match e {
            'd' => ClassItem::Set("0-9".into()),
            'D' => ClassItem::Set("[^0-9]".into()),
            'w' => ClassItem::Set(WORD.into()),
            'W' => ClassItem::Set(format!("[^{WORD}]")),
            's' => ClassItem::Set(SPACE.into()),
            'S' => ClassItem::Set(format!("[^{SPACE}]")),
            'b' => ClassItem::Char('\x08'),
            '-' => ClassItem::Char('-'),
            'p' | 'P' if self.options.unicode => {
                let body: String = self.chars[self.pos..]
                    .iter()
                    .take_while(|c| **c != '}')
                    .collect();
                self.pos += body.chars().count() + 1;
                ClassItem::Set(format!("\\{e}{body}}}"))
            }
            other => ClassItem::Char(self.char_escape(other)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(pattern: &str, flags: &str, text: &str) -> Option<Vec<Option<String>>> {
        JsRegex::new(pattern, flags)
            .unwrap()
            .string_match(text)
            .unwrap()
    }

    fn group(pattern: &str, text: &str, index: usize) -> Option<String> {
        first(pattern, "", text)?.get(index).cloned().flatten()
    }

    #[test]
    fn metadata_action_patterns() {
        assert_eq!(
            group(r"\d{8}", "20200110-RC2", 0).as_deref(),
            Some("20200110")
        );
        assert_eq!(
            group("(.*)-RC", "20200110-RC2", 1).as_deref(),
            Some("20200110")
        );
        assert_eq!(
            group(r"^v(\d.\d.\d)$", "v1.1.1", 1).as_deref(),
            Some("1.1.1")
        );
        assert_eq!(
            group(r"\d.\d.\d-(alpha|beta).\d+", "v2.0.8-beta.67", 0).as_deref(),
            Some("2.0.8-beta.67")
        );
        assert_eq!(
            group(r"v(.*)-beta.(.*)", "v2.0.8-beta.67", 2).as_deref(),
            Some("67")
        );
        assert_eq!(first(r"\d.\d", "", "sometag"), None);
    }

    #[test]
    fn javascript_meanings() {
        assert_eq!(
            group(r"\d+", "٣12", 0).as_deref(),
            Some("12"),
            "\\d is ASCII"
        );
        assert_eq!(group(r"\w+", "é_a1", 0).as_deref(), Some("_a1"));
        assert_eq!(group(r"a.c", "a\rc", 0), None, ". skips \\r too");
        assert_eq!(first(r"a.c", "s", "a\rc").map(|m| m.len()), Some(1));
        assert_eq!(
            group(r"\d{1", "a5{1", 0).as_deref(),
            Some("5{1"),
            "literal {{"
        );
        assert_eq!(group(r"x{,2}", "x{,2}", 0).as_deref(), Some("x{,2}"));
        assert_eq!(group(r"[a&&b]+", "b&&a", 0).as_deref(), Some("b&&a"));
        assert_eq!(group(r"[\d-z]+", "1-z", 0).as_deref(), Some("1-z"));
        assert_eq!(group(r"[^]", "\n", 0).as_deref(), Some("\n"));
        assert_eq!(first(r"a[]", "", "a"), None);
        assert_eq!(group(r"\bfoo\b", "a foo.", 0).as_deref(), Some("foo"));
        assert_eq!(group(r"(?<=v)\d+", "v12", 0).as_deref(), Some("12"));
        assert_eq!(
            group(r"(?<y>\d{4})-\k<y>", "2020-2020", 1).as_deref(),
            Some("2020")
        );
        assert_eq!(group(r"(a)\1", "aa", 0).as_deref(), Some("aa"));
        assert_eq!(group(r"\u0041\x42\/\-", "AB/-", 0).as_deref(), Some("AB/-"));
        assert_eq!(group(r"\uD83D\uDE00", "😀", 0).as_deref(), Some("😀"));
        assert_eq!(
            group(r"\a\e", "ae", 0).as_deref(),
            Some("ae"),
            "identity escapes"
        );
        assert_eq!(group(r"(a)|(b)", "b", 1), None, "unmatched group");
    }

    #[test]
    fn flags() {
        assert_eq!(first("V1", "i", "v1").map(|m| m.len()), Some(1));
        assert_eq!(
            first(r"\d", "g", "a1b22"),
            Some(vec![Some("1".into()), Some("2".into()), Some("2".into())])
        );
        assert_eq!(
            first("x*", "g", "ab"),
            Some(vec![
                Some(String::new()),
                Some(String::new()),
                Some(String::new())
            ])
        );
        assert_eq!(first(r"\d", "y", "a1"), None);
        assert_eq!(first(r"\d", "gy", "12a3").map(|m| m.len()), Some(2));
        assert_eq!(first("^b$", "m", "a\rb\nc").map(|m| m.len()), Some(1));
        assert_eq!(first("^b$", "", "a\nb\nc"), None);
        assert_eq!(group(r"\p{Lu}+", "abCD", 0), None, "\\p is a `p` without u");
        assert_eq!(
            first(r"\p{Lu}+", "u", "abCD"),
            Some(vec![Some("CD".into())])
        );
        for bad in ["gg", "x", "uv"] {
            assert!(JsRegex::new("a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn javascript_syntax_errors_are_errors() {
        for pattern in ["(", "a)", "*a", "[z-a]", r"\2(a)", "(?x)", "[a", r"\"] {
            assert!(JsRegex::new(pattern, "").is_err(), "{pattern}");
        }
    }
}
