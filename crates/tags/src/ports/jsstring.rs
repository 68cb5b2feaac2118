//! JavaScript's `String.prototype.trim`, which `core.getInput`, the list inputs and the tag,
//! flavor and image parsers apply: its white space is not Rust's (U+FEFF is trimmed, U+0085
//! is kept).

/// The characters `trim()` removes: ECMAScript's WhiteSpace and LineTerminator.
pub fn is_whitespace(c: char) -> bool {
    // Rust's White_Space adds U+0085 (NEL) and lacks U+FEFF (ZWNBSP); otherwise the sets agree.
    c == '\u{FEFF}' || (c != '\u{85}' && c.is_whitespace())
}

/// `text.trim()`.
pub fn trim(text: &str) -> &str {
    text.trim_matches(is_whitespace)
}

/// `text.trimStart()`.
pub fn trim_start(text: &str) -> &str {
    text.trim_start_matches(is_whitespace)
}

/// `text.trimEnd()`.
pub fn trim_end(text: &str) -> &str {
    text.trim_end_matches(is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_javascript_white_space_only() {
        assert_eq!(trim("\u{FEFF} a\u{3000}\t"), "a");
        assert_eq!(trim("\u{85}a\u{85}"), "\u{85}a\u{85}");
        assert_eq!(trim("\u{2028}\u{A0}a\u{2029}\u{B}"), "a");
        assert_eq!(trim_start(" a "), "a ");
        assert_eq!(trim_end(" a "), " a");
        assert!(
            !is_whitespace('\u{180E}'),
            "no longer white space since Unicode 6.3"
        );
    }
}
