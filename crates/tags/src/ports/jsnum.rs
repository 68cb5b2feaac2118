//! JavaScript's `Number(string)`, for the attributes metadata-action converts with it
//! (`priority`, `group`, `DOCKER_METADATA_SHORT_SHA_LENGTH`).

/// `Number(text)`: decimal (with exponent), `0x`/`0o`/`0b` integers, `Infinity`, or 0 for
/// blank text; NaN for anything else.
pub fn number(text: &str) -> f64 {
    let text = crate::ports::jsstring::trim(text);
    if text.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        // Bytes, not `&text[..2]`: the second character may be several bytes long.
        if text.len() > 2 && text.as_bytes()[..2].eq_ignore_ascii_case(prefix.as_bytes()) {
            return integer(&text[2..], radix);
        }
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let negative = text.starts_with('-');
    if unsigned == "Infinity" {
        return if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if is_decimal_literal(unsigned) {
        // The syntax is checked; Rust's parser agrees with JavaScript's on these.
        text.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// `text` read as an array index the way `array[text]` does: only the canonical form of
/// a non-negative integer (`"1"`, not `"01"`, `"1.0"` or `" 1"`) names an element.
pub fn array_index(text: &str) -> Option<usize> {
    let canonical = text == "0" || (text.starts_with(|c: char| matches!(c, '1'..='9')));
    if canonical && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// JavaScript's `ToIntegerOrInfinity`, saturated to `usize` (negative → 0).
pub fn to_length(value: f64) -> usize {
    if value.is_nan() || value <= 0.0 {
        0
    } else if value >= usize::MAX as f64 {
        usize::MAX
    } else {
        value.trunc() as usize
    }
}

fn integer(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return f64::NAN;
    }
    digits.chars().fold(0.0, |value, c| {
        value * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
    })
}

/// `digits [. digits?] | . digits`, then an optional exponent.
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|exponent| {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !exponent.is_empty() && digits(exponent)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multibyte_second_character_is_not_a_number() {
        // Found by `cargo fuzz run tag_spec`: slicing at byte 2 panicked inside `ɏ`.
        assert!(number("9ɏ").is_nan());
        assert!(number("0ɏ").is_nan());
    }

    #[test]
    fn numbers_as_javascript_reads_them() {
        for (text, expected) in [
            ("900", 900.0),
            (" 12 ", 12.0),
            ("", 0.0),
            ("  ", 0.0),
            ("-1.5", -1.5),
            ("1e3", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+7", 7.0),
            ("0x1F", 31.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ] {
            assert_eq!(number(text), expected, "{text:?}");
        }
        for text in [
            "high", "1a", "inf", "nan", "NaN", "0x", "-0x1", "1e", ".", "e5", "1_000",
        ] {
            assert!(number(text).is_nan(), "{text:?}");
        }
    }

    #[test]
    fn only_canonical_indexes_index() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("12"), Some(12));
        for text in ["01", "1.0", " 1", "", "-0", "1e0", "0x1"] {
            assert_eq!(array_index(text), None, "{text:?}");
        }
    }

    #[test]
    fn lengths_truncate_and_saturate() {
        assert_eq!(to_length(7.9), 7);
        assert_eq!(to_length(-3.0), 0);
        assert_eq!(to_length(f64::NAN), 0);
        assert_eq!(to_length(f64::INFINITY), usize::MAX);
    }
}
