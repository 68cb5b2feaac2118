use std::fmt;

/// A credential (token, password, API key) that never prints itself.
///
/// There is no `Display`, and `Debug` shows `Secret(<redacted>)`, so a secret inside any
/// derived-`Debug` struct or error stays hidden. Read it only where it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for building an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        #[derive(Debug)]
        #[allow(dead_code)] // read only through Debug
        struct Holder {
            token: Secret,
        }
        let holder = Holder {
            token: Secret::new("ghp_supersecret"),
        };
        let printed = format!("{holder:?} {holder:#?}");
        assert!(!printed.contains("supersecret"), "{printed}");
        assert!(printed.contains("<redacted>"));
        assert_eq!(holder.token.expose(), "ghp_supersecret");
    }
}
