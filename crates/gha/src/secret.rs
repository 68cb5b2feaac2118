//! Secrets and the redactor that keeps them out of everything gantry prints or writes.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// What a secret is replaced with, as the runner does.
pub const MASK: &str = "***";

/// A secret value. `Debug` and `Display` print [`MASK`]; the value is only reachable through
/// [`Secret::expose`], which makes every use visible in review.
///
/// Make secrets with [`crate::Runtime::secret`] or [`crate::Runtime::secret_from_env`], which
/// also register them for masking.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value` **without** registering it for masking.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the one place that needs it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    /// Wraps `value` **without** registering it for masking, like [`Secret::new`].
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Replaces registered secrets with [`MASK`]. Clones share one set of secrets, so the runtime,
/// the tracing layer and the panic hook of a process all redact the same values.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    /// Registers `secret` and, for a multi-line secret, each of its lines (the runner masks
    /// line by line too). Returns the pieces that were not registered before.
    ///
    /// Also redacted, but not returned: the secret's base64 forms inside a longer encoded
    /// text, such as `Basic base64(user:password)` echoed back in a server's error body.
    pub fn add(&self, secret: &str) -> Vec<String> {
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        let mut added = Vec::new();
        for piece in mask_pieces(secret) {
            if !secrets.iter().any(|known| known == piece) {
                secrets.push(piece.to_owned());
                added.push(piece.to_owned());
            }
            for encoded in base64_forms(piece) {
                if !secrets.contains(&encoded) {
                    secrets.push(encoded);
                }
            }
        }
        secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
        added
    }

    /// `text` with every registered secret replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.replace_secrets(text, |_| MASK.to_owned())
    }

    /// `text` with every registered secret overwritten by as many `*` as it has bytes, so
    /// byte offsets into the text (a diagnostic's labels) still point at the same places.
    pub fn redact_keeping_offsets<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.replace_secrets(text, |secret| "*".repeat(secret.len()))
    }

    fn replace_secrets<'a>(&self, text: &'a str, mask: impl Fn(&str) -> String) -> Cow<'a, str> {
        let secrets = self.secrets.read().unwrap_or_else(PoisonError::into_inner);
        let mut text = Cow::Borrowed(text);
        for secret in secrets.iter() {
            if text.contains(secret.as_str()) {
                text = Cow::Owned(text.replace(secret.as_str(), &mask(secret)));
            }
        }
        text
    }
}

/// The base64 text that encodes `secret` wherever it sits in a longer encoded value: for each
/// of the three byte alignments, the characters that depend on the secret's bytes alone.
/// At most two bytes at either end stay visible. Short secrets get none (too many false
/// matches in ordinary text).
fn base64_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let bytes = secret.as_bytes();
    (0..3)
        .filter_map(|skip| {
            let whole_groups = bytes.len().checked_sub(skip)? / 3;
            (whole_groups >= 3).then(|| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .encode(&bytes[skip..skip + 3 * whole_groups])
            })
        })
        .collect()
}

/// The whole value, then each line of a multi-line value (without its `\r`); no empty pieces.
fn mask_pieces(secret: &str) -> Vec<&str> {
    let mut pieces = vec![secret];
    if secret.contains('\n') {
        pieces.extend(secret.lines());
    }
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn redacts_base64_forms_such_as_basic_credentials() {
        use base64::Engine;
        let redactor = Redactor::default();
        redactor.add("regSECRETpassword0123");
        for user in ["u", "bot", "ab", "robot-account"] {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:regSECRETpassword0123"));
            let redacted = redactor.redact(&basic).into_owned();
            assert!(redacted.contains(MASK), "{user}: {redacted}");
            // After the mask at most two bytes of the secret (and padding) stay visible.
            let tail = redacted.rsplit(MASK).next().unwrap_or_default();
            assert!(tail.len() <= 4, "{user}: {redacted}");
        }
        // Short secrets are not encoded (the runner masks them as given).
        assert_eq!(base64_forms("abc"), Vec::<String>::new());
    }

    #[test]
    fn redacts_every_occurrence_longest_first() {
        let redactor = Redactor::default();
        redactor.add("abc");
        redactor.add("abcdef");
        assert_eq!(redactor.redact("x abcdef y abc z"), "x *** y *** z");
    }

    #[test]
    fn multi_line_secrets_are_masked_whole_and_line_by_line() {
        let redactor = Redactor::default();
        let added = redactor.add("line-one\r\nline-two\n");
        assert_eq!(added, ["line-one\r\nline-two\n", "line-one", "line-two"]);
        assert_eq!(redactor.redact("a line-two b line-one"), "a *** b ***");
    }

    #[test]
    fn adding_twice_reports_nothing_new_and_empty_is_ignored() {
        let redactor = Redactor::default();
        assert_eq!(redactor.add("s3cret"), ["s3cret"]);
        assert!(redactor.add("s3cret").is_empty());
        assert!(redactor.add("").is_empty());
        assert_eq!(redactor.redact(""), "");
    }

    #[test]
    fn offsets_survive_redaction() {
        let redactor = Redactor::default();
        redactor.add("sécret");
        let text = "a sécret b";
        let redacted = redactor.redact_keeping_offsets(text);
        assert_eq!(redacted, "a ******* b");
        assert_eq!(redacted.len(), text.len());
    }

    #[test]
    fn clones_share_secrets() {
        let redactor = Redactor::default();
        let clone = redactor.clone();
        redactor.add("tok");
        assert_eq!(clone.redact("tok"), "***");
    }

    #[test]
    fn untouched_text_is_borrowed() {
        let redactor = Redactor::default();
        redactor.add("tok");
        assert!(matches!(redactor.redact("nothing"), Cow::Borrowed(_)));
    }
}
