//! JavaScript orderings that labels depend on: `localeCompare` (ICU root collation, which
//! metadata-action sorts label keys with) and the key order of a plain object (which its JSON
//! output has).
//!
//! The collation is exact for printable ASCII: punctuation and symbols first in ICU's order,
//! then digits, then letters with lower case before upper case only when the strings are
//! otherwise equal. Other characters are ordered by code point after ASCII letters.

use std::cmp::Ordering;

/// Printable ASCII punctuation and symbols in the order of the root collation.
const PUNCTUATION: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

/// `a.localeCompare(b)`, for keys.
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    let primary = |text: &str| text.chars().filter_map(primary_weight).collect::<Vec<_>>();
    primary(a).cmp(&primary(b)).then_with(|| {
        let tertiary = |text: &str| {
            text.chars()
                .filter(|c| primary_weight(*c).is_some())
                .map(|c| c.is_ascii_uppercase())
                .collect::<Vec<_>>()
        };
        tertiary(a).cmp(&tertiary(b))
    })
}

/// The character's primary weight; `None` for characters the collation ignores.
fn primary_weight(c: char) -> Option<u32> {
    const WHITESPACE: &str = "\t\n\x0B\x0C\r ";
    if let Some(index) = WHITESPACE.find(c) {
        return Some(index as u32);
    }
    if c.is_control() {
        return None;
    }
    let base = WHITESPACE.len() as u32;
    if let Some(index) = PUNCTUATION.find(c) {
        return Some(base + index as u32);
    }
    let base = base + PUNCTUATION.len() as u32;
    match c {
        '0'..='9' => Some(base + (c as u32 - '0' as u32)),
        'a'..='z' | 'A'..='Z' => Some(base + 10 + (c.to_ascii_lowercase() as u32 - 'a' as u32)),
        other => Some(base + 36 + other as u32),
    }
}

/// The keys of a JavaScript object built by inserting `keys` in order: array-index keys
/// (`"0"`, `"42"`) first in numeric order, then the others in insertion order.
pub fn object_key_order<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    let (mut indexes, others): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(key, _)| is_array_index(key));
    indexes.sort_by_key(|(key, _)| key.parse::<u64>().unwrap_or(u64::MAX));
    indexes.extend(others);
    indexes
}

/// A canonical integer below 2^32 - 1, which JavaScript objects order first.
fn is_array_index(key: &str) -> bool {
    crate::ports::jsnum::array_index(key).is_some_and(|index| (index as u64) < u64::from(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        keys.sort_by(|a, b| locale_compare(a, b));
        keys
    }

    #[test]
    fn icu_order_for_ascii_keys() {
        assert_eq!(
            sorted(&[
                "org.opencontainers.image.version",
                "maintainer",
                "org.opencontainers.image.created",
                "Z",
                "a",
                "A",
                "1",
                "_x",
                "-x",
                "b"
            ]),
            [
                "_x",
                "-x",
                "1",
                "a",
                "A",
                "b",
                "maintainer",
                "org.opencontainers.image.created",
                "org.opencontainers.image.version",
                "Z"
            ]
        );
        assert_eq!(
            locale_compare("a.b", "a_b"),
            Ordering::Greater,
            "`_` sorts before `.`"
        );
        assert_eq!(locale_compare("ab", "Ab"), Ordering::Less);
        assert_eq!(
            locale_compare("Ab", "ac"),
            Ordering::Less,
            "case only breaks ties"
        );
        assert_eq!(
            locale_compare("a", "a\u{1}"),
            Ordering::Equal,
            "controls are ignored"
        );
    }

    #[test]
    fn array_index_keys_come_first() {
        let ordered = object_key_order(vec![
            ("b".to_owned(), 1),
            ("10".to_owned(), 2),
            ("a".to_owned(), 3),
            ("2".to_owned(), 4),
            ("01".to_owned(), 5),
        ]);
        let keys: Vec<&str> = ordered.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["2", "10", "b", "a", "01"]);
    }
}
