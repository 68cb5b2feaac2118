//! Image references: `[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`, parsed by the rules of the
//! distribution reference grammar, with errors that say which part is wrong and how to fix it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// Registry assumed for references without one, as Docker does.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// Longest repository name (with its registry) that registries accept.
const NAME_MAX: usize = 255;
/// Longest tag.
const TAG_MAX: usize = 128;

/// Which part of a reference is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferencePart {
    Reference,
    Registry,
    Repository,
    Tag,
    Digest,
}

impl ReferencePart {
    fn help(self) -> &'static str {
        match self {
            ReferencePart::Reference => {
                "write an image as REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. ghcr.io/acme/api:v1.2.3"
            }
            ReferencePart::Registry => {
                "a registry is a host name with an optional port, e.g. ghcr.io or 127.0.0.1:5000"
            }
            ReferencePart::Repository => {
                "repository paths are lowercase letters, digits and single separators (. _ __ -) between them, in /-separated parts, e.g. acme/shop-api"
            }
            ReferencePart::Tag => {
                "a tag is up to 128 letters, digits, _ . and -, not starting with . or -, e.g. v1.2.3"
            }
            ReferencePart::Digest => "a digest is sha256: followed by 64 lowercase hex digits",
        }
    }
}

impl fmt::Display for ReferencePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReferencePart::Reference => "image reference",
            ReferencePart::Registry => "registry",
            ReferencePart::Repository => "repository",
            ReferencePart::Tag => "tag",
            ReferencePart::Digest => "digest",
        })
    }
}

/// A reference, repository, tag or digest that does not follow the grammar. Bad input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {part} in {input:?}: {problem}")]
pub struct ReferenceError {
    /// The whole text that was being parsed.
    pub input: String,
    pub part: ReferencePart,
    pub problem: String,
}

impl miette::Diagnostic for ReferenceError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("gantry::registry::reference"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.part.help()))
    }
}

fn invalid(input: &str, part: ReferencePart, problem: impl Into<String>) -> ReferenceError {
    ReferenceError {
        input: input.to_owned(),
        part,
        problem: problem.into(),
    }
}

/// A content digest, `sha256:<64 hex>` or `sha512:<128 hex>`, lowercase.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    pub fn parse(text: &str) -> Result<Digest, ReferenceError> {
        let fail = |problem: String| invalid(text, ReferencePart::Digest, problem);
        let Some((algorithm, hex)) = text.split_once(':') else {
            return Err(fail("no algorithm: expected sha256:<hex>".to_owned()));
        };
        let length = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            other => {
                return Err(fail(format!(
                    "unsupported algorithm {other:?} (sha256 and sha512 are supported)"
                )));
            }
        };
        if hex.len() != length {
            return Err(fail(format!(
                "{algorithm} needs {length} hex digits, found {}",
                hex.len()
            )));
        }
        if let Some(bad) = hex.chars().find(|c| !matches!(c, '0'..='9' | 'a'..='f')) {
            return Err(fail(format!("{bad:?} is not a lowercase hex digit")));
        }
        Ok(Digest(text.to_owned()))
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest(format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(bytes))
        ))
    }

    /// Whether `bytes` hash to this digest.
    pub fn verify(&self, bytes: &[u8]) -> bool {
        self.actual_for(bytes) == *self
    }

    /// The digest of `bytes` with this digest's algorithm.
    pub fn actual_for(&self, bytes: &[u8]) -> Digest {
        match self.algorithm() {
            "sha512" => Digest(format!(
                "sha512:{}",
                hex::encode(sha2::Sha512::digest(bytes))
            )),
            _ => Digest::sha256_of(bytes),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `sha256` or `sha512`.
    pub fn algorithm(&self) -> &str {
        self.0
            .split_once(':')
            .map_or("", |(algorithm, _)| algorithm)
    }

    /// The hex part after the colon.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, hex)| hex)
    }
}

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(text: &str) -> Result<Tag, ReferenceError> {
        check_tag(text).map_err(|problem| invalid(text, ReferencePart::Tag, problem))?;
        Ok(Tag(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    let Some(first) = tag.chars().next() else {
        return Err("the tag is empty".to_owned());
    };
    if tag.len() > TAG_MAX {
        return Err(format!(
            "{} characters, at most {TAG_MAX} allowed",
            tag.len()
        ));
    }
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Err(format!("it starts with {first:?}"));
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!("{bad:?} is not allowed in a tag"));
    }
    Ok(())
}

/// A repository path inside a registry, e.g. `acme/shop-api`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Repository(String);

impl Repository {
    pub fn parse(text: &str) -> Result<Repository, ReferenceError> {
        check_repository(text)
            .map_err(|problem| invalid(text, ReferencePart::Repository, problem))?;
        Ok(Repository(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_repository(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the repository path is empty".to_owned());
    }
    if path.len() > NAME_MAX {
        return Err(format!(
            "{} characters, at most {NAME_MAX} allowed",
            path.len()
        ));
    }
    path.split('/').try_for_each(check_path_component)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn check_path_component(component: &str) -> Result<(), String> {
    if component.is_empty() {
        return Err("it has an empty path part (// or a leading or trailing /)".to_owned());
    }
    if let Some(bad) = component
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-'))
    {
        return Err(if bad.is_ascii_uppercase() {
            format!(
                "{component:?} has uppercase letters; repository paths are lowercase: {:?}",
                component.to_ascii_lowercase()
            )
        } else {
            format!("{bad:?} is not allowed in {component:?}")
        });
    }
    let is_separator = |c: char| matches!(c, '.' | '_' | '-');
    if component.starts_with(is_separator) || component.ends_with(is_separator) {
        return Err(format!(
            "{component:?} must start and end with a letter or digit"
        ));
    }
    // Between alphanumeric runs: one '.', one or two '_', or any number of '-'.
    for separator in component
        .split(|c: char| c.is_ascii_alphanumeric())
        .filter(|run| !run.is_empty())
    {
        let allowed = matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-');
        if !allowed {
            return Err(format!(
                "{separator:?} in {component:?} is not a separator (use one of . _ __ -)"
            ));
        }
    }
    Ok(())
}

/// `host[:port]` with DNS-style labels or a bracketed IPv6 address.
fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = match registry.strip_prefix('[') {
        Some(rest) => {
            let (address, after) = rest
                .split_once(']')
                .ok_or_else(|| "the IPv6 address has no closing ]".to_owned())?;
            if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                return Err(format!("[{address}] is not an IPv6 address"));
            }
            match after {
                "" => (None, None),
                _ => {
                    (
                        None,
                        Some(after.strip_prefix(':').ok_or_else(|| {
                            format!("unexpected {after:?} after the IPv6 address")
                        })?),
                    )
                }
            }
        }
        None => match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        },
    };
    if let Some(host) = host {
        for label in host.split('.') {
            let valid = !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !valid {
                return Err(format!("{host:?} is not a host name"));
            }
        }
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |port| port == 0)
    {
        return Err(format!("{port:?} is not a port number"));
    }
    Ok(())
}

/// What to fetch from a repository: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagOrDigest {
    Tag(Tag),
    Digest(Digest),
}

impl TagOrDigest {
    /// A digest when the text has a `:` (tags cannot), else a tag.
    pub fn parse(text: &str) -> Result<TagOrDigest, ReferenceError> {
        if text.contains(':') {
            Digest::parse(text).map(TagOrDigest::Digest)
        } else {
            Tag::parse(text).map(TagOrDigest::Tag)
        }
    }
}

impl From<Tag> for TagOrDigest {
    fn from(tag: Tag) -> Self {
        TagOrDigest::Tag(tag)
    }
}

impl From<Digest> for TagOrDigest {
    fn from(digest: Digest) -> Self {
        TagOrDigest::Digest(digest)
    }
}

impl fmt::Display for TagOrDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagOrDigest::Tag(tag) => tag.fmt(f),
            TagOrDigest::Digest(digest) => digest.fmt(f),
        }
    }
}

/// A parsed image reference: registry, repository, and tag and/or digest.
///
/// Follows Docker's rules for the registry: the first path part is the registry when it has
/// a `.` or a `:` or is `localhost`; otherwise the registry is `docker.io`, where one-part
/// names live under `library/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: Repository,
    tag: Option<Tag>,
    digest: Option<Digest>,
}

impl ImageRef {
    pub fn parse(input: &str) -> Result<ImageRef, ReferenceError> {
        let fail = |part, problem: &str| invalid(input, part, problem);
        if input.is_empty() {
            return Err(fail(ReferencePart::Reference, "it is empty"));
        }
        if input.chars().any(char::is_whitespace) {
            return Err(fail(
                ReferencePart::Reference,
                "it contains white space (a stray newline or space from a variable?)",
            ));
        }
        if input.contains("://") {
            return Err(fail(
                ReferencePart::Reference,
                "image references have no scheme; drop the http(s):// and give a plain-HTTP registry with --registry-url",
            ));
        }
        let (name, digest) = match input.split_once('@') {
            Some((name, digest)) => {
                let digest = Digest::parse(digest).map_err(|err| ReferenceError {
                    input: input.to_owned(),
                    ..err
                })?;
                (name, Some(digest))
            }
            None => (input, None),
        };
        let (registry, remainder) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                check_registry(first).map_err(|problem| fail(ReferencePart::Registry, &problem))?;
                (first.to_owned(), rest)
            }
            _ => (DEFAULT_REGISTRY.to_owned(), name),
        };
        let (path, tag) = match remainder.rsplit_once(':') {
            Some((path, tag)) => {
                check_tag(tag).map_err(|problem| fail(ReferencePart::Tag, &problem))?;
                (path, Some(Tag(tag.to_owned())))
            }
            None => (remainder, None),
        };
        let path = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        check_repository(&path).map_err(|problem| fail(ReferencePart::Repository, &problem))?;
        if registry.len() + 1 + path.len() > NAME_MAX {
            return Err(fail(
                ReferencePart::Repository,
                &format!("registry and repository exceed {NAME_MAX} characters"),
            ));
        }
        Ok(ImageRef {
            registry,
            repository: Repository(path),
            tag,
            digest,
        })
    }

    /// `ghcr.io`, `127.0.0.1:5000`, `docker.io`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    pub fn tag(&self) -> Option<&Tag> {
        self.tag.as_ref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to ask the registry for: the digest when there is one (it pins the content), else
    /// the tag, else `latest` as Docker does.
    pub fn target(&self) -> TagOrDigest {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => TagOrDigest::Digest(digest.clone()),
            (None, Some(tag)) => TagOrDigest::Tag(tag.clone()),
            (None, None) => TagOrDigest::Tag(Tag("latest".to_owned())),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Display, Debug, FromStr and the serde conversions of the string newtypes.
macro_rules! string_newtype {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ReferenceError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ReferenceError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    )*};
}

string_newtype!(Digest, Tag, Repository);

impl FromStr for ImageRef {
    type Err = ReferenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(text)
    }
}

impl FromStr for TagOrDigest {
    type Err = ReferenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TagOrDigest::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(input: &str) -> (String, String, Option<String>, Option<String>) {
        let image = ImageRef::parse(input).unwrap_or_else(|err| panic!("{input}: {err}"));
        (
            image.registry().to_owned(),
            image.repository().to_string(),
            image.tag().map(ToString::to_string),
            image.digest().map(ToString::to_string),
        )
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn registries_repositories_tags_and_digests_are_split() {
        assert_eq!(
            parts("ghcr.io/acme/api:v1.2"),
            ("ghcr.io".into(), "acme/api".into(), some("v1.2"), None)
        );
        assert_eq!(
            parts(&format!("127.0.0.1:5000/team/app/web@sha256:{HEX}")),
            (
                "127.0.0.1:5000".into(),
                "team/app/web".into(),
                None,
                some(&format!("sha256:{HEX}"))
            )
        );
        assert_eq!(
            parts(&format!("localhost/app:rc-1@sha256:{HEX}")),
            (
                "localhost".into(),
                "app".into(),
                some("rc-1"),
                some(&format!("sha256:{HEX}"))
            )
        );
        assert_eq!(
            parts("[::1]:5000/app"),
            ("[::1]:5000".into(), "app".into(), None, None)
        );
    }

    #[test]
    fn docker_hub_names_follow_docker() {
        assert_eq!(
            parts("nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            parts("acme/api:1"),
            ("docker.io".into(), "acme/api".into(), some("1"), None)
        );
    }

    #[test]
    fn target_prefers_the_digest_then_the_tag_then_latest() {
        let digest = Digest::parse(&format!("sha256:{HEX}")).unwrap();
        let pinned = ImageRef::parse(&format!("ghcr.io/a/b:v1@{digest}")).unwrap();
        assert_eq!(pinned.target(), TagOrDigest::Digest(digest));
        let tagged = ImageRef::parse("ghcr.io/a/b:v1").unwrap();
        assert_eq!(tagged.target().to_string(), "v1");
        let bare = ImageRef::parse("ghcr.io/a/b").unwrap();
        assert_eq!(bare.target().to_string(), "latest");
    }

    fn problem(input: &str) -> ReferenceError {
        ImageRef::parse(input).expect_err(input)
    }

    #[test]
    fn bad_references_name_the_part_and_the_fix() {
        let err = problem("ghcr.io/Acme/api:v1");
        assert_eq!(err.part, ReferencePart::Repository);
        assert!(err.problem.contains("\"acme\""), "{err}");

        let err = problem("ghcr.io/acme/api:");
        assert_eq!(err.part, ReferencePart::Tag);

        let err = problem("ghcr.io/acme/api:-v1");
        assert_eq!(err.part, ReferencePart::Tag);

        let err = problem("ghcr.io/acme/api@sha256:abc");
        assert_eq!(err.part, ReferencePart::Digest);
        assert!(err.problem.contains("64"), "{err}");
        assert_eq!(err.input, "ghcr.io/acme/api@sha256:abc");

        let err = problem("ghcr.io/acme/api@md5:abc");
        assert!(err.problem.contains("unsupported algorithm"), "{err}");

        let err = problem("https://ghcr.io/acme/api");
        assert_eq!(err.part, ReferencePart::Reference);
        assert!(err.problem.contains("--registry-url"), "{err}");

        let err = problem("ghcr.io/acme/api:v1\n");
        assert!(err.problem.contains("white space"), "{err}");

        let err = problem("ghcr.io:99999/acme/api");
        assert_eq!(err.part, ReferencePart::Registry);

        assert_eq!(problem("ghcr.io/acme//api").part, ReferencePart::Repository);
        assert_eq!(
            problem("ghcr.io/acme/api..x").part,
            ReferencePart::Repository
        );
        assert_eq!(problem("ghcr.io/acme/_api").part, ReferencePart::Repository);
        assert_eq!(problem("").part, ReferencePart::Reference);
        assert_eq!(problem(&"a".repeat(300)).part, ReferencePart::Repository);
    }

    #[test]
    fn errors_render_with_help() {
        let err = problem("ghcr.io/acme/API");
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("lowercase"), "{help}");
        assert_eq!(
            err.to_string(),
            r#"invalid repository in "ghcr.io/acme/API": "API" has uppercase letters; repository paths are lowercase: "api""#
        );
    }

    #[test]
    fn digests_verify_content() {
        let digest = Digest::sha256_of(b"hello");
        assert!(digest.verify(b"hello"));
        assert!(!digest.verify(b"hello!"));
        assert_eq!(digest.algorithm(), "sha256");
        assert_eq!(digest.hex().len(), 64);
        assert_eq!(Digest::parse(digest.as_str()).unwrap(), digest);
        let sha512 = Digest::parse(&format!("sha512:{HEX}{HEX}")).unwrap();
        assert!(!sha512.verify(b"hello"));
        assert_eq!(
            serde_json::to_string(&digest).unwrap(),
            format!("\"{digest}\"")
        );
        assert!(serde_json::from_str::<Digest>("\"sha256:zz\"").is_err());
    }

    #[test]
    fn tag_or_digest_tells_them_apart() {
        assert_eq!(
            TagOrDigest::parse("v1").unwrap(),
            TagOrDigest::Tag(Tag::parse("v1").unwrap())
        );
        assert!(matches!(
            TagOrDigest::parse(&format!("sha256:{HEX}")).unwrap(),
            TagOrDigest::Digest(_)
        ));
        assert_eq!(
            TagOrDigest::parse("sha256:nothex").unwrap_err().part,
            ReferencePart::Digest
        );
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,6}(([._]|__|-{1,3})[a-z0-9]{1,6}){0,2}"
    }

    proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,80}") {
            let _ = ImageRef::parse(&input);
            let _ = TagOrDigest::parse(&input);
            let _ = Repository::parse(&input);
        }

        #[test]
        fn display_round_trips(input in "[a-zA-Z0-9./:@_-]{1,60}") {
            if let Ok(image) = ImageRef::parse(&input) {
                let again = ImageRef::parse(&image.to_string()).unwrap();
                prop_assert_eq!(again, image);
            }
        }

        #[test]
        fn well_formed_references_parse_to_their_parts(
            host in "[a-z][a-z0-9-]{0,8}[a-z0-9]\\.[a-z]{2,4}",
            port in proptest::option::of(1u16..),
            path in proptest::collection::vec(component(), 1..4),
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
            digest in proptest::option::of("[0-9a-f]{64}"),
        ) {
            let registry = match port {
                Some(port) => format!("{host}:{port}"),
                None => host,
            };
            let repository = path.join("/");
            let mut input = format!("{registry}/{repository}");
            if let Some(tag) = &tag {
                input.push(':');
                input.push_str(tag);
            }
            if let Some(hex) = &digest {
                input.push_str("@sha256:");
                input.push_str(hex);
            }
            let image = ImageRef::parse(&input).unwrap();
            prop_assert_eq!(image.registry(), registry);
            prop_assert_eq!(image.repository().as_str(), repository);
            prop_assert_eq!(image.tag().map(Tag::as_str), tag.as_deref());
            prop_assert_eq!(image.digest().map(Digest::hex), digest.as_deref());
            prop_assert_eq!(image.to_string(), input);
        }
    }
}
