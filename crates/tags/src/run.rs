//! A gantry-tags run: inputs from flags, `INPUT_*` and the manifest, the context from the
//! workflow or the checkout, the computation, then outputs, reports and warnings.

use std::path::PathBuf;

use gantry_cli::Invocation;
use gantry_gha::{Annotation, Context, ContextError, ContextVars, Env, Runtime, Summary};
use jiff::Timestamp;
use miette::{NamedSource, SourceSpan};
use serde_json::Value as Json;

use crate::args::{Args, ContextSource};
use crate::context::{Repository, RunContext};
use crate::error::{InputReport, TagsError};
use crate::git::Git;
use crate::meta::{self, Inputs, Metadata};
use crate::output::{self, OutputOptions};
use crate::ports::csv::{self, Comments};
use crate::ports::node_semver::SemVer;
use crate::ports::{jsdate, jsstring};
use crate::report;
use crate::spec::{Input, InputError, Line, Located, Notice};

/// The `DOCKER_METADATA_*` and other environment settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `DOCKER_METADATA_PR_HEAD_SHA` (any value containing `true`).
    pub pr_head_sha: bool,
    /// `DOCKER_METADATA_SHORT_SHA_LENGTH`, checked when used.
    pub short_sha_length: Option<String>,
    /// `DOCKER_METADATA_ANNOTATIONS_LEVELS` split at commas (default `manifest`).
    pub annotation_levels: Vec<String>,
    /// `DOCKER_METADATA_SET_OUTPUT_ENV` (default true).
    pub set_output_env: bool,
    /// `SOURCE_DATE_EPOCH`: the clock for `created` and `{{date}}`.
    pub source_date_epoch: Option<Timestamp>,
    /// `RUNNER_TEMP`: where bake files go.
    pub runner_temp: Option<PathBuf>,
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, TagsError> {
        let set_output_env = match env.get("DOCKER_METADATA_SET_OUTPUT_ENV") {
            None => true,
            // actions-toolkit's `Util.parseBool` (Go's `strconv.ParseBool`): these spellings only.
            Some(value) => match value {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
                "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
                _ => {
                    return Err(TagsError::Environment {
                        name: "DOCKER_METADATA_SET_OUTPUT_ENV",
                        value: value.to_owned(),
                        expected: "use true or false (1, t, T, TRUE, True; 0, f, F, FALSE, False)",
                    });
                }
            },
        };
        let source_date_epoch = env
            .get("SOURCE_DATE_EPOCH")
            .map(|value| {
                value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|seconds| Timestamp::from_second(seconds).ok())
                    .ok_or_else(|| TagsError::Environment {
                        name: "SOURCE_DATE_EPOCH",
                        value: value.to_owned(),
                        expected: "it must be a whole number of seconds since 1970-01-01 UTC",
                    })
            })
            .transpose()?;
        Ok(Self {
            pr_head_sha: env
                .get("DOCKER_METADATA_PR_HEAD_SHA")
                .is_some_and(|value| value.to_lowercase().contains("true")),
            short_sha_length: env
                .get("DOCKER_METADATA_SHORT_SHA_LENGTH")
                .map(str::to_owned),
            annotation_levels: env
                .get("DOCKER_METADATA_ANNOTATIONS_LEVELS")
                .unwrap_or("manifest")
                .split(',')
                .map(str::to_owned)
                .collect(),
            set_output_env,
            source_date_epoch,
            runner_temp: env.get("RUNNER_TEMP").map(PathBuf::from),
        })
    }

    /// "Now": `SOURCE_DATE_EPOCH` when set, else the clock (to the millisecond, as a
    /// JavaScript `Date`).
    pub fn now(&self) -> Timestamp {
        self.source_date_epoch.unwrap_or_else(|| {
            Timestamp::from_millisecond(Timestamp::now().as_millisecond())
                .unwrap_or(Timestamp::UNIX_EPOCH)
        })
    }
}

/// The tag rules' place in gantry.yml, when they come from it.
#[derive(Clone, Debug)]
pub struct ManifestSource {
    pub path: String,
    pub text: String,
    /// The manifest line where the rules' text starts.
    pub first_line: usize,
    /// The rules as written (the manifest value).
    pub spec: String,
}

impl ManifestSource {
    /// The manifest line, column and byte span of a rule (or of its attribute).
    fn position(&self, at: &Located) -> (usize, usize, SourceSpan) {
        let written = self
            .spec
            .lines()
            .nth(at.line.saturating_sub(1))
            .unwrap_or_default()
            .trim();
        let candidate = self.first_line + at.line.saturating_sub(1);
        let line = if self.text.lines().nth(candidate - 1).map(str::trim) == Some(written) {
            candidate
        } else {
            self.first_line
        };
        let line_start: usize = self
            .text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum();
        let line_text = self.text[line_start..].lines().next().unwrap_or_default();
        let indent = line_text.len() - line_text.trim_start().len();
        let content = line_text.trim();
        let (offset, len) = at
            .attribute
            .as_deref()
            .and_then(|attribute| {
                let found = content.to_lowercase().find(attribute)?;
                let end = content[found..]
                    .find(',')
                    .map_or(content.len(), |e| found + e);
                Some((found, end - found))
            })
            .unwrap_or((0, content.len()));
        let start = line_start + indent + offset;
        let column = self.text[line_start..start].chars().count() + 1;
        (line, column, SourceSpan::from((start, len)))
    }
}

/// The list inputs after the first pass, where the tag rules came from, and the
/// warnings of the first pass.
struct ListInputs {
    inputs: Inputs,
    tags_source: Option<ManifestSource>,
    notices: Vec<Notice>,
    /// The manifest's declared environments, whose names and ledger entries only
    /// gantry-dokploy sets (empty without a manifest or in the single-target form).
    environments: Vec<String>,
}

impl Invocation for Args {
    type Report = Report;

    fn run(self, runtime: &Runtime) -> Result<Report, gantry_cli::Error> {
        run(&self, runtime)
    }
}

/// Runs gantry-tags, up to its report.
pub fn run(args: &Args, runtime: &Runtime) -> Result<Report, gantry_cli::Error> {
    let settings = Settings::from_env(runtime.env())?;
    let lists = read_inputs(args, runtime)?;
    let report_input = |error: InputError| input_report(error, lists.tags_source.as_ref());
    let github = load_context(args, runtime)?;
    let git = Git::new(".");
    let (context, missing_context) = match args.context {
        ContextSource::Workflow if runtime.is_actions() || github.git_ref.is_some() => {
            (workflow_context(&github, args, &settings, &git), None)
        }
        ContextSource::Workflow => local_context(&github, args, &settings, &git),
        ContextSource::Git => (git_context(&github, args, &settings, &git)?, None),
    };
    log_context(runtime, &context);
    let metadata = meta::compute(&lists.inputs, &context).map_err(report_input)?;
    log_lines(runtime, "Tag rules", &metadata.rules);
    let mut notices = lists.notices;
    // Without a ref the tags input is not to blame: say which context is missing instead.
    notices.extend(
        metadata
            .notices
            .iter()
            .filter(|notice| missing_context.is_none() || notice.message != meta::NO_VERSION)
            .cloned(),
    );
    notices.extend(missing_context);
    notices.extend(backport_notice(&metadata, &context, &git));
    notices.extend(reserved_tag_notices(&metadata, &lists.environments));
    if args.strict == Some(true) {
        let problems: Vec<String> = notices
            .iter()
            .filter(|notice| notice.strict)
            .map(|notice| {
                let annotation = notice_annotation(notice, lists.tags_source.as_ref());
                match (&annotation.file, annotation.line, annotation.col) {
                    (Some(file), Some(line), Some(col)) => {
                        format!("{file}:{line}:{col}: {}", annotation.message)
                    }
                    _ => annotation.message,
                }
            })
            .collect();
        if !problems.is_empty() {
            return Err(TagsError::Strict { problems }.into());
        }
    }
    for notice in &notices {
        runtime.annotate(&notice_annotation(notice, lists.tags_source.as_ref()));
    }
    let options = OutputOptions {
        sep_tags: args.sep_tags.clone().unwrap_or_else(|| "\n".into()),
        sep_labels: args.sep_labels.clone().unwrap_or_else(|| "\n".into()),
        sep_annotations: args.sep_annotations.clone().unwrap_or_else(|| "\n".into()),
        annotation_levels: settings.annotation_levels.clone(),
        // `core.getInput('bake-target') || 'docker-metadata-action'`: trimmed, empty is unset.
        bake_target: match jsstring::trim(&args.bake_target) {
            "" => crate::args::DEFAULT_BAKE_TARGET.to_owned(),
            target => target.to_owned(),
        },
    };
    let bake_dir = bake_dir(args, &settings, runtime)?;
    let redact = |text: &str| runtime.redactor().redact(text).into_owned();
    let bake = bake_dir
        .as_ref()
        .map(|dir| {
            output::write_bake_files(dir, &metadata, &options, &redact).map_err(|source| {
                TagsError::BakeFiles {
                    dir: dir.clone(),
                    source,
                }
            })
        })
        .transpose()?;
    let outputs = output::outputs(&metadata, &options, bake.as_ref())
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    Ok(Report {
        metadata,
        notices,
        annotation_levels: options.annotation_levels,
        bake_dir,
        outputs,
        set_output_env: settings.set_output_env,
    })
}

/// What a run reports: the metadata, its warnings and the outputs it sets.
pub struct Report {
    metadata: Metadata,
    notices: Vec<Notice>,
    annotation_levels: Vec<String>,
    bake_dir: Option<PathBuf>,
    outputs: Vec<(String, String)>,
    /// `DOCKER_METADATA_SET_OUTPUT_ENV`: the outputs are exported as variables too.
    set_output_env: bool,
}

impl gantry_cli::Report for Report {
    fn text(&self) -> String {
        report::text(
            &self.metadata,
            &self.metadata.leveled_annotations(&self.annotation_levels),
            self.bake_dir.as_deref(),
        )
    }

    fn json(&self) -> String {
        let json = output::report_json(&self.metadata, &self.annotation_levels);
        serde_json::to_string_pretty(&json).unwrap_or_default()
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.outputs.clone()
    }

    /// metadata-action's `DOCKER_METADATA_OUTPUT_*` variables.
    fn exports(&self) -> Vec<(String, String)> {
        if !self.set_output_env {
            return Vec::new();
        }
        self.outputs
            .iter()
            .map(|(name, value)| (output::env_name(name), value.clone()))
            .collect()
    }

    fn summary(&self) -> Summary {
        report::summary(&self.metadata, &self.notices)
    }
}

/// Reads the list inputs (flags, `INPUT_*`, then the manifest for images and tags) and
/// runs the first CSV pass over them.
fn read_inputs(args: &Args, runtime: &Runtime) -> Result<ListInputs, TagsError> {
    let keep_quoted = args.keep_quoted_fields == Some(true);
    let mut images = args.images.clone();
    let mut tags = args.tags.clone();
    let mut tags_source = None;
    let mut environments = Vec::new();
    if let Some(service) = &args.service {
        let path = args.manifest.path(runtime.env());
        let loaded = gantry_manifest::load(&path)?;
        for warning in &loaded.warnings {
            gantry_cli::report_warning(runtime, warning);
        }
        let manifest = &loaded.manifest;
        if !manifest.is_single_target() {
            environments = manifest
                .environments()
                .map(|env| env.name.clone())
                .collect();
        }
        let Some(image) = manifest.image(service) else {
            let known: Vec<&str> = manifest.services.keys().map(String::as_str).collect();
            return Err(TagsError::UnknownService {
                name: service.clone(),
                manifest: path.display().to_string(),
                help: match crate::spec::suggest(service, &known) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("the services are: {}", known.join(", ")),
                },
            });
        };
        if images.is_none() {
            images = Some(image.to_owned());
        }
        if tags.is_none()
            && let Some(spec) = manifest.tag_spec(service)
        {
            tags = Some(spec.to_owned());
            tags_source = manifest
                .tag_spec_line(service)
                .map(|first_line| ManifestSource {
                    path: path.display().to_string(),
                    text: std::fs::read_to_string(&path).unwrap_or_default(),
                    first_line,
                    spec: spec.to_owned(),
                });
        }
    }
    let mut notices = Vec::new();
    let mut split = |input: Input, text: Option<&str>| -> Result<Vec<Line>, TagsError> {
        // Quotes matter to the second pass only for lines that have one.
        let second_pass = matches!(input, Input::Images | Input::Tags | Input::Flavor);
        let items = csv::split_list(
            jsstring::trim(text.unwrap_or_default()),
            Comments::Leading,
            keep_quoted && second_pass,
        )
        .map_err(|error| {
            let line = Line {
                text: text
                    .unwrap_or_default()
                    .lines()
                    .nth(error.line - 1)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                number: error.line,
            };
            input_report(
                InputError::new(Located::new(input, &line), error.to_string()),
                tags_source.as_ref().filter(|_| input == Input::Tags),
            )
        })?;
        Ok(items
            .into_iter()
            .map(|item| {
                let line = Line {
                    text: item.text,
                    number: item.line,
                };
                if second_pass && let Some(field) = item.trap {
                    notices.push(Notice::at(
                        Located::new(input, &line),
                        format!(
                            "the quoted field {field} loses its quotes before the line is split \
                             into attributes, so it is split at its comma (as in \
                             docker/metadata-action); quote the whole line and double the inner \
                             quotes, or pass --keep-quoted-fields"
                        ),
                    ));
                }
                line
            })
            .collect())
    };
    let inputs = Inputs {
        images: split(Input::Images, images.as_deref())?,
        tags: split(Input::Tags, tags.as_deref())?,
        flavor: split(Input::Flavor, args.flavor.as_deref())?,
        labels: split(Input::Labels, args.labels.as_deref())?,
        annotations: split(Input::Annotations, args.annotations.as_deref())?,
    };
    Ok(ListInputs {
        inputs,
        tags_source,
        notices,
        environments,
    })
}

/// A warning, with the fix, for each tag a build would set that an environment reserves:
/// `{env}` must only ever point at what was deployed there successfully (gantry-dokploy moves
/// it after each successful deploy), and `{env}-{stamp}` is a ledger entry. A
/// `type=ref,event=branch` rule on a branch named `staging` is the usual cause.
fn reserved_tag_notices(metadata: &Metadata, environments: &[String]) -> Vec<Notice> {
    metadata
        .tag_names()
        .iter()
        .filter_map(|tag| {
            let reserved =
                gantry_manifest::ledger::reserved(environments.iter().map(String::as_str), tag)?;
            let environment = reserved.environment();
            Some(Notice::new(match reserved {
                gantry_manifest::ledger::Reserved::Environment(_) => format!(
                    "tag `{tag}` is the name of environment `{environment}`: only gantry-dokploy \
                     should set it, after a successful deploy there (the ledger), or it would \
                     claim an image that never ran in {environment}; keep the rule from making \
                     it, e.g. add a prefix (`type=ref,event=branch,prefix=branch-`) or disable \
                     it on that branch (`enable=${{{{ github.ref_name != '{environment}' }}}}`)"
                ),
                gantry_manifest::ledger::Reserved::Entry(_) => format!(
                    "tag `{tag}` has the form of a ledger entry of environment `{environment}` \
                     ({environment}-YYYYMMDDTHHMMSSZ), which only gantry-dokploy writes after a \
                     successful deploy; change the rule so builds never make it"
                ),
            }))
        })
        .collect()
}

/// `error` as a report, located in gantry.yml when the tag rules came from it.
pub fn input_report(error: InputError, source: Option<&ManifestSource>) -> TagsError {
    let source = source.and_then(|source| {
        let at = error.at.as_ref().filter(|at| at.input == Input::Tags)?;
        let (_, _, span) = source.position(at);
        Some((
            NamedSource::new(source.path.clone(), source.text.clone()),
            span,
        ))
    });
    TagsError::Input(Box::new(InputReport { error, source }))
}

fn notice_annotation(notice: &Notice, source: Option<&ManifestSource>) -> Annotation {
    let located = notice.at.as_ref().filter(|at| at.input == Input::Tags);
    match (located, source) {
        (Some(at), Some(source)) => {
            let (line, column, _) = source.position(at);
            Annotation::warning(format!("`{}`: {}", at.text, notice.message))
                .file(source.path.clone())
                .line(line)
                .col(column)
                .title("gantry-tags")
        }
        _ => Annotation::warning(notice.to_string()).title("gantry-tags"),
    }
}

/// The run's context from the workflow's variables and payload.
fn workflow_context(github: &Context, args: &Args, settings: &Settings, git: &Git) -> RunContext {
    let payload = payload_json(github);
    let now = settings.now();
    let mut context = base_context(github, args, settings, payload, now);
    context.apply_workflow_rules(settings.pr_head_sha);
    context.commit_date = commit_date_from_payload(&context.payload, &context.sha)
        .or_else(|| {
            git.commit_date(&context.sha)
                .ok()
                .filter(|_| !context.sha.is_empty())
        })
        .unwrap_or(now);
    context
}

/// The GitHub context, as `@actions/github` reads it: a `GITHUB_EVENT_PATH` that names no
/// file is reported and read as no payload, as metadata-action does.
fn load_context(args: &Args, runtime: &Runtime) -> Result<Context, TagsError> {
    let vars = args.github.vars(runtime);
    match Context::load(vars.clone()) {
        Err(ContextError::PayloadUnreadable { path, source })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            runtime.annotate(
                &Annotation::warning(format!(
                    "the event payload {} does not exist; reading the run without one, as \
                     docker/metadata-action does",
                    path.display()
                ))
                .title("gantry-tags"),
            );
            Ok(Context::load(ContextVars {
                event_path: None,
                ..vars
            })?)
        }
        other => Ok(other?),
    }
}

/// A local run that names no ref: the workflow context completed from the checkout (branch
/// or tag, SHA, `origin/HEAD` as the default branch), or a notice naming what is missing.
fn local_context(
    github: &Context,
    args: &Args,
    settings: &Settings,
    git: &Git,
) -> (RunContext, Option<Notice>) {
    let mut context = workflow_context(github, args, settings, git);
    match git.head_ref() {
        Ok(git_ref) => {
            context.git_ref = git_ref;
            if github.sha.is_none() {
                context.sha = git.head_sha().unwrap_or_default();
            }
            if context.default_branch.is_none() {
                context.default_branch = git.default_branch();
            }
            context.commit_date = git.commit_date(&context.sha).unwrap_or(context.now);
            (context, None)
        }
        Err(error) => {
            let missing = Notice::new(format!(
                "no GitHub context: GITHUB_REF (--ref) is not set and the checkout cannot tell \
                 the ref ({error}), so rules that read the ref (type=ref, semver, pep440, match, \
                 edge, {{{{branch}}}}, {{{{tag}}}}) give nothing; pass --ref, or run in a git \
                 checkout"
            ));
            (context, Some(missing))
        }
    }
}

/// The run's context with ref, SHA and commit date from the checkout.
fn git_context(
    github: &Context,
    args: &Args,
    settings: &Settings,
    git: &Git,
) -> Result<RunContext, TagsError> {
    let payload = payload_json(github);
    let mut context = base_context(github, args, settings, payload, settings.now());
    context.git_ref = git.head_ref()?;
    context.sha = git.head_sha()?;
    context.commit_date = git.commit_date("HEAD")?;
    Ok(context)
}

/// The event payload as JSON; `{}` without one.
fn payload_json(github: &Context) -> Json {
    github.payload.as_ref().map_or_else(
        || Json::Object(Default::default()),
        |payload| payload.raw.clone(),
    )
}

fn base_context(
    github: &Context,
    args: &Args,
    settings: &Settings,
    payload: Json,
    now: Timestamp,
) -> RunContext {
    let mut context = RunContext::new(
        github.event_name.as_deref().unwrap_or_default(),
        github.git_ref.as_deref().unwrap_or_default(),
        github.sha.as_deref().unwrap_or_default(),
        now,
    );
    let repository = github.payload_repository();
    context.default_branch = args
        .default_branch
        .clone()
        .or_else(|| repository.and_then(|r| r.default_branch.clone()));
    context.repository = match repository {
        Some(repository) => Repository {
            name: repository.name.clone().unwrap_or_default(),
            description: repository.description.clone().unwrap_or_default(),
            html_url: repository.html_url.clone().unwrap_or_default(),
            license: repository.spdx_id().unwrap_or_default().to_owned(),
        },
        // No payload (a local run): what GITHUB_REPOSITORY tells.
        None => Repository {
            name: github.repository_name().unwrap_or_default().to_owned(),
            html_url: github
                .repository
                .as_ref()
                .map(|repository| format!("{}/{repository}", github.server_url))
                .unwrap_or_default(),
            ..Repository::default()
        },
    };
    context.payload = payload;
    context.short_sha_length = settings.short_sha_length.clone();
    context
}

/// The commit date metadata-action takes from the payload: the `commits` entry of `sha`,
/// else `head_commit` when it is `sha`.
fn commit_date_from_payload(payload: &Json, sha: &str) -> Option<Timestamp> {
    let timestamp = |commit: &Json| jsdate::parse(commit.get("timestamp")?.as_str()?);
    let is_sha = |commit: &&Json| commit.get("id").and_then(Json::as_str) == Some(sha);
    payload
        .get("commits")
        .and_then(Json::as_array)
        .and_then(|commits| commits.iter().find(is_sha))
        .and_then(timestamp)
        .or_else(|| {
            payload
                .get("head_commit")
                .filter(is_sha)
                .and_then(timestamp)
        })
}

fn log_context(runtime: &Runtime, context: &RunContext) {
    let lines = [
        format!("event: {}", context.event_name),
        format!("ref: {}", context.git_ref),
        format!("sha: {}", context.sha),
        format!("commit date: {}", context.commit_date),
        format!("now: {}", context.now),
    ];
    log_lines(runtime, "Context", &lines);
}

/// A log group under Actions (as metadata-action's); debug lines locally, where the report
/// says what matters.
fn log_lines(runtime: &Runtime, title: &str, lines: &[String]) {
    if runtime.is_actions() {
        let _group = runtime.group(title);
        for line in lines {
            runtime.info(line);
        }
    } else {
        for line in lines {
            tracing::debug!("{title}: {line}");
        }
    }
}

/// A warning when `latest` moves to a release lower than one the checkout already has
/// (a backport): users expect `latest` to be the highest release.
fn backport_notice(metadata: &Metadata, context: &RunContext, git: &Git) -> Option<Notice> {
    if !metadata.version.latest {
        return None;
    }
    let tag = context.tag()?;
    let (prefix, version) = tag.rsplit_once('/').map_or(("", tag), |(p, v)| (p, v));
    let pushed = SemVer::parse(version, false)?.precedence()?;
    let higher = git
        .tags()
        .ok()?
        .into_iter()
        .filter_map(|existing| {
            let (existing_prefix, version) = existing.rsplit_once('/').unwrap_or(("", &existing));
            let parsed = SemVer::parse(version, false)?;
            let stable = parsed.prerelease.is_empty();
            let precedence = parsed.precedence()?;
            (existing_prefix == prefix && stable && precedence > pushed)
                .then_some((precedence, existing))
        })
        .max()?;
    Some(Notice::new(format!(
        "`latest` moves to {tag} although the higher release {} exists (a backport?); add \
         `latest=false` to the flavor for backport releases",
        higher.1
    )))
}

/// Where the bake files go: `--bake-dir` when given, else under Actions a fresh directory
/// under `RUNNER_TEMP` (the system's temporary directory if unset), kept after the run for
/// the steps that read them. A local run writes none unless asked.
fn bake_dir(
    args: &Args,
    settings: &Settings,
    runtime: &Runtime,
) -> Result<Option<PathBuf>, TagsError> {
    if let Some(dir) = &args.bake_dir {
        std::fs::create_dir_all(dir).map_err(|source| TagsError::BakeFiles {
            dir: dir.clone(),
            source,
        })?;
        return Ok(Some(dir.clone()));
    }
    if !runtime.is_actions() {
        return Ok(None);
    }
    let base = settings
        .runner_temp
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let error = |source| TagsError::BakeFiles {
        dir: base.clone(),
        source,
    };
    std::fs::create_dir_all(&base).map_err(error)?;
    let dir = tempfile::Builder::new()
        .prefix("gantry-tags-")
        .tempdir_in(&base)
        .map_err(error)?;
    Ok(Some(dir.keep()))
}
