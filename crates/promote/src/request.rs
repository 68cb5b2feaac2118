//! The command line and what it asks for, checked before anything talks to a registry.

use gantry_cli::{FormatArgs, ManifestArgs};
use gantry_registry::{Credentials, Endpoint, EnvCredentials, ImageRef, Tag};

use crate::error::PromoteError;

/// Adds tags to an image already in a registry, without pulling or rebuilding it: the
/// manifest (or image index, with every child) is pushed byte for byte under each new tag.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "gantry-promote",
    version,
    after_help = "Credentials come from the environment only: GITHUB_TOKEN (sent only to \
                  GitHub's registry over HTTPS), or --username with REGISTRY_PASSWORD. See \
                  docs/promote.md and docs/registries.md."
)]
pub struct Args {
    /// The image to promote, by tag or digest, e.g. ghcr.io/acme/api:sha-1a2b3c4
    #[arg(
        long,
        env = "INPUT_IMAGE",
        value_name = "REF",
        required_unless_present = "environment"
    )]
    pub image: Option<String>,

    /// Instead of --image: tag what runs in this manifest environment, the digest behind
    /// each of its services' `{environment}` tag (the deploy ledger)
    #[arg(
        long,
        env = "INPUT_ENVIRONMENT",
        value_name = "NAME",
        conflicts_with = "image"
    )]
    pub environment: Option<String>,

    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// New tags in the image's repository, separated by commas or newlines; repeatable
    #[arg(long, env = "INPUT_TAGS", value_name = "TAGS", required = true)]
    pub tags: Vec<String>,

    /// Talk to this registry instead of the one named in --image: scheme://host[:port]
    #[arg(long, env = "INPUT_REGISTRY_URL", value_name = "URL")]
    pub registry_url: Option<String>,

    /// User name for registries with user and password; the password comes from
    /// $REGISTRY_PASSWORD
    #[arg(long, env = "INPUT_USERNAME", value_name = "NAME")]
    pub username: Option<String>,

    #[command(flatten)]
    pub format: FormatArgs,
}

/// A checked request: what to promote, to which tags, where and as whom.
#[derive(Debug, Clone)]
pub struct Request {
    pub image: ImageRef,
    pub tags: Vec<Tag>,
    pub endpoint: Endpoint,
    pub credentials: Credentials,
}

impl Request {
    /// Checks every argument; any error here is bad input (exit 2) and nothing was sent.
    pub fn new(args: &Args, env: EnvCredentials) -> Result<Request, PromoteError> {
        let image = ImageRef::parse(args.image.as_deref().unwrap_or_default().trim())
            .map_err(|err| PromoteError::bad_input("--image", err))?;
        Request::of(image, args, env)
    }

    /// The request to promote `image` to the tags of `args`.
    pub fn of(image: ImageRef, args: &Args, env: EnvCredentials) -> Result<Request, PromoteError> {
        let tags = parse_tags(&args.tags, &image)?;
        let registry_url = args.registry_url.as_deref().filter(|url| !url.is_empty());
        let endpoint = Endpoint::for_image(&image, registry_url)
            .map_err(|err| PromoteError::bad_input("--registry-url", err))?;
        // The server talked to decides the credentials, not the name in --image.
        let credentials = Credentials::resolve(args.username.as_deref(), &endpoint, env)?;
        Ok(Request {
            image,
            tags,
            endpoint,
            credentials,
        })
    }
}

/// The tags of every `--tags` value (commas or newlines between them), in order, without
/// repeats. Full references are refused with a hint, since promotion stays in one repository.
pub fn parse_tags(values: &[String], image: &ImageRef) -> Result<Vec<Tag>, PromoteError> {
    let mut tags: Vec<Tag> = Vec::new();
    for entry in values
        .iter()
        .flat_map(|value| gantry_gha::inputs::split_list(value))
    {
        if entry.contains(['/', ':', '@']) {
            return Err(not_a_tag(entry, image));
        }
        let tag = Tag::parse(&entry).map_err(|err| PromoteError::bad_input("--tags", err))?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.is_empty() {
        return Err(PromoteError::NoTags);
    }
    Ok(tags)
}

/// Says what to write instead of a reference given as a tag.
fn not_a_tag(entry: String, image: &ImageRef) -> PromoteError {
    let same_repository = |other: &ImageRef| {
        other.registry() == image.registry() && other.repository() == image.repository()
    };
    // Without a `/` it names no repository: a mistyped tag rather than a reference.
    let reference = Some(&entry)
        .filter(|entry| entry.contains('/'))
        .map(|entry| ImageRef::parse(entry));
    let help = match reference {
        Some(Ok(other)) if same_repository(&other) => match other.tag() {
            Some(tag) => format!("--tags takes plain tags: write `{tag}`"),
            None => {
                "--tags takes plain tags, e.g. `production`; a digest cannot be a tag".to_owned()
            }
        },
        Some(Ok(_)) => format!(
            "gantry-promote adds tags within {}/{}; copying an image to another repository or registry moves blobs (skopeo copy, crane copy)",
            image.registry(),
            image.repository()
        ),
        _ => "a tag is up to 128 letters, digits, _ . and -, not starting with . or -, e.g. v1.2.3"
            .to_owned(),
    };
    PromoteError::NotATag { entry, help }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_cli::{Classify, ExitStatus};
    use proptest::prelude::*;

    fn image() -> ImageRef {
        ImageRef::parse("ghcr.io/acme/api:staging").unwrap()
    }

    fn tags(values: &[&str]) -> Result<Vec<String>, PromoteError> {
        let values: Vec<String> = values.iter().map(|value| (*value).to_owned()).collect();
        parse_tags(&values, &image()).map(|tags| tags.iter().map(ToString::to_string).collect())
    }

    fn help(err: &PromoteError) -> String {
        miette::Diagnostic::help(err).unwrap().to_string()
    }

    #[test]
    fn tags_split_on_commas_and_newlines_in_order_without_repeats() {
        assert_eq!(
            tags(&["production, v1.2.3\nv1.2", "latest,production", " ,"]).unwrap(),
            ["production", "v1.2.3", "v1.2", "latest"]
        );
    }

    #[test]
    fn no_tags_is_bad_input() {
        let err = tags(&[" , \n"]).unwrap_err();
        assert!(matches!(err, PromoteError::NoTags));
        assert_eq!(err.exit_status(), ExitStatus::BadInput);
    }

    #[test]
    fn invalid_tags_name_the_problem() {
        let err = tags(&["ok", ".hidden"]).unwrap_err();
        assert_eq!(err.exit_status(), ExitStatus::BadInput);
        assert_eq!(
            err.to_string(),
            "--tags: invalid tag in \".hidden\": it starts with '.'"
        );
        assert_eq!(
            help(&err),
            "a tag is up to 128 letters, digits, _ . and -, not starting with . or -, e.g. v1.2.3"
        );
        let err = tags(&["x".repeat(129).as_str()]).unwrap_err();
        assert!(err.to_string().contains("at most 128"), "{err}");
    }

    #[test]
    fn references_in_tags_are_refused_with_the_tag_to_write() {
        let err = tags(&["ghcr.io/acme/api:production"]).unwrap_err();
        assert_eq!(err.exit_status(), ExitStatus::BadInput);
        assert_eq!(
            err.to_string(),
            "`ghcr.io/acme/api:production` in --tags is not a plain tag"
        );
        assert_eq!(help(&err), "--tags takes plain tags: write `production`");

        let err = tags(&["ghcr.io/acme/web:production"]).unwrap_err();
        assert!(
            help(&err).contains("within ghcr.io/acme/api"),
            "{}",
            help(&err)
        );
        let by_digest = format!("ghcr.io/acme/api@sha256:{}", "a".repeat(64));
        let err = tags(&[&by_digest]).unwrap_err();
        assert!(
            help(&err).contains("a digest cannot be a tag"),
            "{}",
            help(&err)
        );
        let err = tags(&["prod:1"]).unwrap_err();
        assert!(help(&err).contains("128 letters"), "{}", help(&err));
    }

    proptest! {
        #[test]
        fn any_tags_value_parses_or_fails_cleanly(value in "\\PC{0,40}") {
            match tags(&[value.as_str()]) {
                Ok(parsed) => {
                    prop_assert!(!parsed.is_empty());
                    for tag in parsed {
                        prop_assert!(Tag::parse(&tag).is_ok());
                        prop_assert!(value.contains(&tag));
                    }
                }
                Err(err) => prop_assert_eq!(err.exit_status(), ExitStatus::BadInput),
            }
        }

        #[test]
        fn valid_tags_read_back(
            list in proptest::collection::vec("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", 1..6),
            separator in prop_oneof![Just(","), Just("\n"), Just(" , ")],
        ) {
            let parsed = tags(&[list.join(separator).as_str()]).unwrap();
            let mut expected: Vec<String> = Vec::new();
            for tag in list {
                if !expected.contains(&tag) {
                    expected.push(tag);
                }
            }
            prop_assert_eq!(parsed, expected);
        }
    }
}
