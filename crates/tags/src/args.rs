//! The command line: docker/metadata-action's inputs as flags (each also from `INPUT_<NAME>`),
//! gantry's additions, and the shared format, manifest and GitHub context groups.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::path::PathBuf;

use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::{Parser, ValueEnum};
use gantry_cli::{FormatArgs, GithubArgs, ManifestArgs};

use crate::ports::jsstring;

/// metadata-action's `bake-target` default.
pub const DEFAULT_BAKE_TARGET: &str = "docker-metadata-action";

/// Image tags, OCI labels and annotations for this run, as docker/metadata-action computes
/// them, without network access or a token.
#[derive(Debug, Parser)]
#[command(name = "gantry-tags", version)]
pub struct Args {
    /// Image names without tag, one per line (or comma-separated on one line); a line may be
    /// `name=<image>,enable=<true|false>`. Without images, tags are bare
    #[arg(long, env = "INPUT_IMAGES", value_name = "LIST")]
    pub images: Option<String>,
    /// Tag rules, one per line: type=schedule|semver|pep440|match|edge|ref|raw|sha and its
    /// attributes [default: schedule, ref,event=branch, ref,event=tag, ref,event=pr]
    #[arg(long, env = "INPUT_TAGS", value_name = "LIST")]
    pub tags: Option<String>,
    /// Flavor lines: latest=auto|true|false, prefix=, suffix=, onlatest=true|false
    #[arg(long, env = "INPUT_FLAVOR", value_name = "LIST")]
    pub flavor: Option<String>,
    /// Extra labels, `key=value` per line; expressions such as {{date 'YYYY'}} are rendered
    #[arg(long, env = "INPUT_LABELS", value_name = "LIST")]
    pub labels: Option<String>,
    /// Extra annotations, `key=value` per line
    #[arg(long, env = "INPUT_ANNOTATIONS", value_name = "LIST")]
    pub annotations: Option<String>,
    /// Where the ref, SHA and commit date come from: the workflow's variables and payload, or
    /// the local checkout (git)
    #[arg(
        long,
        env = "INPUT_CONTEXT",
        default_value = "workflow",
        value_parser = Trimmed::<ContextSource>::default()
    )]
    pub context: ContextSource,
    /// Separator of the `tags` and `tag-names` outputs [default: newline]
    #[arg(
        long,
        env = "INPUT_SEP_TAGS",
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub sep_tags: Option<String>,
    /// Separator of the `labels` output [default: newline]
    #[arg(
        long,
        env = "INPUT_SEP_LABELS",
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub sep_labels: Option<String>,
    /// Separator of the `annotations` output [default: newline]
    #[arg(
        long,
        env = "INPUT_SEP_ANNOTATIONS",
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub sep_annotations: Option<String>,
    /// Target name in the bake files
    #[arg(
        long,
        env = "INPUT_BAKE_TARGET",
        value_name = "NAME",
        default_value = DEFAULT_BAKE_TARGET
    )]
    pub bake_target: String,
    /// Write the bake files into this directory (under Actions they go to a fresh directory
    /// under RUNNER_TEMP; a local run writes none unless given this)
    #[arg(long, env = "INPUT_BAKE_DIR", value_name = "DIR")]
    pub bake_dir: Option<PathBuf>,
    /// The repository's default branch, for type=edge and {{is_default_branch}} when the
    /// event payload does not name it
    #[arg(long, env = "INPUT_DEFAULT_BRANCH", value_name = "BRANCH")]
    pub default_branch: Option<String>,
    /// Take the image and the tag rules of this service from the manifest (flags win)
    #[arg(long, env = "INPUT_SERVICE", value_name = "NAME")]
    pub service: Option<String>,
    /// Make ignored attributes, repeated attributes, non-numeric priorities and unknown time
    /// zones errors instead of warnings
    #[arg(
        long,
        env = "INPUT_STRICT",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = parse_bool,
    )]
    pub strict: Option<bool>,
    /// Keep a quoted field that holds a comma whole (`type=match,"pattern=\d{1,2}"`), instead
    /// of splitting it at the comma as docker/metadata-action does
    #[arg(
        long,
        env = "INPUT_KEEP_QUOTED_FIELDS",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = parse_bool,
    )]
    pub keep_quoted_fields: Option<bool>,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Where the ref and SHA come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ContextSource {
    /// GITHUB_REF, GITHUB_SHA and the event payload
    #[default]
    Workflow,
    /// The local checkout: HEAD's ref, SHA and committer date
    Git,
}

/// A value of `E` read after JavaScript's `trim()`, as `core.getInput` trims the inputs
/// (`context: " git "` is `git`).
#[derive(Clone)]
struct Trimmed<E>(PhantomData<E>);

impl<E> Default for Trimmed<E> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<E: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for Trimmed<E> {
    type Value = E;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<E, clap::Error> {
        let trimmed = value
            .to_str()
            .map_or(value, |text| OsStr::new(jsstring::trim(text)));
        EnumValueParser::<E>::new().parse_ref(command, arg, trimmed)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            E::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    gantry_gha::inputs::parse_bool("flag", value).map_err(|_| "expected `true` or `false`".into())
}
