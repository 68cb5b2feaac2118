//! JavaScript regular expressions, for `type=match` and the `match` attribute: `new
//! RegExp(pattern, flags)` and `String.prototype.match`, on regress, an ECMAScript engine
//! (Annex B syntax included: legacy octal escapes, identity escapes, literal braces).
//!
//! Strings are matched as JavaScript holds them, in UTF-16 code units: without the `u` or
//! `v` flag `.` and a class match one unit, and a pattern's astral character is two units,
//! as in JavaScript. Flags `d g i m s u v y` are accepted; `g` and `y` change what
//! [`JsRegex::string_match`] returns as `String.prototype.match` does (`lastIndex` steps).

/// A pattern or flags that JavaScript rejects.
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
    regex: regress::Regex,
    /// `u` or `v`: the text is read in code points, not code units.
    unicode: bool,
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
        let has = |flag: char| seen.contains(flag);
        if has('u') && has('v') {
            return Err(error("the flags `u` and `v` cannot be combined".into()));
        }
        let unicode = has('u') || has('v');
        let options = regress::Flags {
            icase: has('i'),
            multiline: has('m'),
            dot_all: has('s'),
            unicode: has('u'),
            unicode_sets: has('v'),
            no_opt: false,
        };
        let regex = if unicode {
            regress::Regex::from_unicode(pattern.chars().map(u32::from), options)
        } else {
            regress::Regex::from_unicode(code_units(pattern).into_iter(), options)
        }
        .map_err(|e| error(e.to_string()))?;
        Ok(Self {
            regex,
            unicode,
            global: has('g'),
            sticky: has('y'),
        })
    }

    /// The first match at or after code unit `at` (only at `at` when sticky).
    fn find(&self, units: &[u16], at: usize) -> Option<regress::Match> {
        let found = if self.unicode {
            self.regex.find_from_utf16(units, at).next()
        } else {
            self.regex.find_from_ucs2(units, at).next()
        };
        found.filter(|found| !self.sticky || found.start() == at)
    }

    /// `text.match(regex)`: `None` for no match; without `g`, the match and its groups
    /// (`None` for a group that took no part); with `g`, every match.
    pub fn string_match(&self, text: &str) -> Result<Option<Vec<Option<String>>>, String> {
        let units: Vec<u16> = text.encode_utf16().collect();
        let slice = |range: std::ops::Range<usize>| String::from_utf16_lossy(&units[range]);
        if !self.global {
            return Ok(self.find(&units, 0).map(|found| {
                (0..=found.captures.len())
                    .map(|index| found.group(index).map(slice))
                    .collect()
            }));
        }
        let mut matches = Vec::new();
        let mut last_index = 0;
        while last_index <= units.len() {
            let Some(found) = self.find(&units, last_index) else {
                break;
            };
            last_index = if found.range.is_empty() {
                // AdvanceStringIndex: one unit, or a whole surrogate pair under `u`.
                let pair = self.unicode
                    && char::decode_utf16(units[found.end()..].iter().copied())
                        .next()
                        .is_some_and(|c| c.is_ok_and(|c| c.len_utf16() == 2));
                found.end() + if pair { 2 } else { 1 }
            } else {
                found.end()
            };
            matches.push(Some(slice(found.range)));
        }
        Ok((!matches.is_empty()).then_some(matches))
    }
}

/// The pattern as JavaScript reads it without `u`: UTF-16 code units, with each `\uXXXX`
/// escape of a surrogate replaced by the unit itself. regress would join an escaped pair
/// into one code point, which a code unit never equals; in JavaScript the pair is two units.
fn code_units(pattern: &str) -> Vec<u32> {
    let units: Vec<u32> = pattern.encode_utf16().map(u32::from).collect();
    let mut out = Vec::with_capacity(units.len());
    let mut at = 0;
    while at < units.len() {
        if units[at] != u32::from(b'\\') {
            out.push(units[at]);
            at += 1;
            continue;
        }
        let surrogate = units
            .get(at + 1..at + 6)
            .filter(|escape| escape[0] == u32::from(b'u'))
            .and_then(|escape| {
                let hex: String = escape[1..]
                    .iter()
                    .filter_map(|&u| char::from_u32(u))
                    .collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
            })
            .filter(|unit| (0xD800..=0xDFFF).contains(unit));
        match surrogate {
            Some(unit) => {
                out.push(unit);
                at += 6;
            }
            // Any other escape: the backslash and the escaped unit, as they are.
            None => {
                out.extend(units.get(at..at + 2).unwrap_or(&units[at..]));
                at += 2;
            }
        }
    }
    out
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
            first(r"^[\uD83D\uDE00]$", "", "😀"),
            None,
            "a class of two code units matches one"
        );
        assert_eq!(group(r"^[\uD83D\uDE00]$", "\u{FFFD}", 0), None);
        assert_eq!(
            first(r"^\uD83D\uDE00+$", "u", "😀😀").map(|m| m.len()),
            Some(1)
        );
        assert_eq!(first(r"^.$", "", "😀"), None, ". is one code unit");
        assert_eq!(first(r"^..$", "", "😀").map(|m| m.len()), Some(1));
        assert_eq!(first(r"^.$", "u", "😀").map(|m| m.len()), Some(1));
        assert_eq!(
            group(r"\2(a)", "a\u{2}a", 0).as_deref(),
            Some("\u{2}a"),
            "a legacy octal escape (Annex B)"
        );
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
        for pattern in [
            "(", "a)", "*a", "[z-a]", "(?x)", "[a", r"\", "a++", "x{1}{2}",
        ] {
            assert!(JsRegex::new(pattern, "").is_err(), "{pattern}");
        }
    }
}
