//! gantry-matrix: which services of a monorepo this event must build, as a GitHub Actions
//! matrix.
//!
//! 1. The change set comes from the git CLI ([`git`]), between a base and a head chosen per
//!    event ([`base`]); a shallow checkout fetches what it lacks ([`history`]).
//! 2. One glob set maps the changed files onto services, libraries and `global`
//!    ([`matcher`]); the dependency graph adds every dependent ([`select`]), each service
//!    with the reason it is built.
//! 3. The [`plan`] is printed (text or JSON), and under Actions written to the step outputs
//!    ([`outputs`], chunked above GitHub's 256 jobs per matrix) and the step summary.
//!
//! `docs/matrix.md` is the user guide.

pub mod base;
pub mod builds;
pub mod explain;
pub mod git;
pub mod history;
pub mod matcher;
pub mod outputs;
pub mod plan;
pub mod select;
pub mod tag_rules;

use std::path::{Path, PathBuf};

use gantry_cli::{Classify, ExitStatus, FormatArgs, GithubArgs, Invocation, ManifestArgs, Tool};
use gantry_gha::inputs::split_list;
use gantry_gha::{Annotation, Context, Runtime, Summary};
use gantry_manifest::{Loaded, ManifestError, Service};
use gantry_registry::credentials::{PASSWORD_INPUT, token_input};
use gantry_tags::error::TagsError;

use crate::base::{Change, Request, Resolution};
use crate::builds::{BuildRecords, BuildsError, RegistryShaTags};
use crate::explain::{Explanation, Judged};
use crate::git::{Git, GitError};
use crate::history::History;
use crate::matcher::{Matcher, MatcherError, Touches};
use crate::outputs::{ListFiles, MAX_JOBS, OutputsTooLarge};
use crate::plan::{Changes, Plan};
use crate::select::{Graph, Reason, Selected, UnknownService};
use crate::tag_rules::ShaTag;

/// Which services of the monorepo this event must build: git diff + dependency graph →
/// GitHub Actions matrix.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gantry-matrix", version)]
pub struct Args {
    /// Compare with this commit (SHA, branch, tag, origin/main, HEAD~1); the change set
    /// starts at its merge base with the head. A branch or tag missing from the checkout is
    /// fetched from origin [default: chosen per event]
    #[arg(long, env = "INPUT_BASE", value_name = "REV")]
    pub base: Option<String>,
    /// The commit to build [default: the event's head commit, else GITHUB_SHA, else HEAD]
    #[arg(long, env = "INPUT_HEAD", value_name = "REV")]
    pub head: Option<String>,
    /// Build every service, whatever changed
    #[arg(long, env = "INPUT_ALL")]
    pub all: bool,
    /// Build these services (comma- or newline-separated), whatever changed
    #[arg(long, env = "INPUT_SERVICES", value_name = "NAMES")]
    pub services: Option<String>,
    /// Compare each service with the commit of its newest image in the registry (its sha-…
    /// tags) instead of the event's base, so a failed or cancelled build is retried on the
    /// next run; one tag listing per service
    #[arg(long, env = "INPUT_SINCE_LAST_BUILD")]
    pub since_last_build: bool,
    /// Select each service whose newest build (its newest sha-… image in the head's
    /// history, as --since-last-build finds it) is not the image TAG points at, e.g. what
    /// runs in staging; output `images` gives SERVICE=image:tag@digest of each. With --all:
    /// every service that has a build (a redeploy)
    #[arg(long, env = "INPUT_NEWER_THAN", value_name = "TAG")]
    pub newer_than: Option<String>,
    /// With --since-last-build or --newer-than: read the tags from this registry instead of
    /// the one in each image name: scheme://host[:port]
    #[arg(long, env = "INPUT_REGISTRY_URL", value_name = "URL")]
    pub registry_url: Option<String>,
    /// With --since-last-build or --newer-than: user name for registries with user and
    /// password; the password comes from $REGISTRY_PASSWORD
    #[arg(long, env = "INPUT_USERNAME", value_name = "NAME")]
    pub username: Option<String>,
    /// Explain the choice: every changed file and what it touched, every service with the
    /// files or dependency that selected it, or what would have
    #[arg(long, env = "INPUT_EXPLAIN")]
    pub explain: bool,
    /// List each selected service's changed files: output `files` (a JSON object) and
    /// `<service>_files` in this format, and `files` in the JSON document
    #[arg(long, env = "INPUT_LIST_FILES", value_enum, default_value_t = ListFiles::None)]
    pub list_files: ListFiles,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum MatrixError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    TagRules(#[from] TagsError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Matcher(#[from] MatcherError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    UnknownService(#[from] UnknownService),
    #[error("--all and --services both choose the services to build")]
    #[diagnostic(
        code(gantry::matrix::all_and_services),
        help("give one of them (the inputs `all` and `services` of a workflow_dispatch form)")
    )]
    AllAndServices,
    #[error("--since-last-build and --base both choose what each service is compared with")]
    #[diagnostic(
        code(gantry::matrix::since_and_base),
        help("give one of them: --base compares every service with one commit")
    )]
    SinceAndBase,
    #[error(
        "--newer-than compares each service's newest build with a tag; {other} chooses otherwise"
    )]
    #[diagnostic(
        code(gantry::matrix::newer_than_and),
        help(
            "drop {other}: --newer-than finds each service's newest build in the head's \
             history by itself (give --head to name the history)"
        )
    )]
    NewerThanAnd { other: &'static str },
    #[error(
        "{flag} finds builds by their type=sha tags, and no tag rule of service `{service}` gives one"
    )]
    #[diagnostic(
        code(gantry::matrix::without_sha_rule),
        help(
            "add a type=sha rule to the manifest's `tags` (or the service's), e.g. \
             `type=sha,prefix=sha-`: the build then pushes a tag naming its commit"
        )
    )]
    WithoutShaRule { flag: &'static str, service: String },
    #[error(
        "invalid event payload {}: `{field}` is `{value}`, not a commit SHA",
        path.display()
    )]
    #[diagnostic(
        code(gantry::matrix::payload_sha),
        help("a commit SHA is 40 (or 64) hexadecimal digits, as GitHub sends them")
    )]
    BadSha {
        path: PathBuf,
        field: &'static str,
        value: String,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Builds(#[from] BuildsError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Outputs(#[from] OutputsTooLarge),
}

impl Classify for MatrixError {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Builds(error) if error.is_input_error() => ExitStatus::BadInput,
            Self::Git(_) | Self::Builds(_) | Self::Outputs(_) => ExitStatus::Failure,
            _ => ExitStatus::BadInput,
        }
    }
}

impl Invocation for Args {
    type Report = Report;

    fn run(self, runtime: &Runtime) -> Result<Report, gantry_cli::Error> {
        run(&self, runtime)
    }
}

/// gantry-matrix's descriptor.
pub const TOOL: Tool = Tool::new::<Args>(
    "matrix",
    outputs::OUTPUTS,
    &[
        token_input(
            "GitHub token, passed as GITHUB_TOKEN: with since-last-build, reads the sha tags on \
             GitHub's registries only (packages: read)",
        ),
        PASSWORD_INPUT,
    ],
);

/// What a run reports: the plan, and under Actions the step outputs it sets.
pub struct Report {
    plan: Plan<'static>,
    /// Under Actions only: GitHub's limits apply to step outputs.
    outputs: Option<outputs::Outputs>,
}

/// The whole run, up to its report.
pub fn run(args: &Args, runtime: &Runtime) -> Result<Report, gantry_cli::Error> {
    let context = args.github.context(runtime)?;
    let path = args.manifest.path(runtime.env());
    let root = gantry_manifest::manifest_dir(&path);
    // The event's change set is read while the manifest loads: a large `git diff` takes
    // about as long as everything else together. Manifest errors still come first.
    let reads_event =
        !args.all && named(args).is_none() && !args.since_last_build && newer_than(args).is_none();
    let (loaded, change) = std::thread::scope(|scope| {
        let loading = scope.spawn(|| gantry_manifest::load(&path));
        let change = reads_event.then(|| read_change(args, &context, &root, runtime));
        let loaded = loading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, change)
    });
    // The manifest lives as long as the process: the plan borrows it until the report is
    // published, and freeing a large manifest allocation by allocation would cost tens of
    // milliseconds at 10,000 services just before the process ends.
    let loaded: &'static Loaded = Box::leak(Box::new(loaded.map_err(MatrixError::from)?));
    gantry_cli::report_warnings(runtime, &loaded.warnings);
    // Every tag rule is read now, so a bad one stops the run before any build job starts.
    let sha_tags = tag_rules::sha_tags(loaded).map_err(MatrixError::from)?;
    let change = change.transpose()?;
    let plan = plan(args, &context, loaded, &sha_tags, change, runtime)?;
    // Checked before the report, so that a run that cannot set them prints nothing.
    let outputs = if runtime.is_actions() {
        Some(outputs::outputs(&plan, args.list_files).map_err(MatrixError::from)?)
    } else {
        None
    };
    Ok(Report { plan, outputs })
}

impl gantry_cli::Report for Report {
    fn text(&self) -> String {
        self.plan.to_text()
    }

    fn json(&self) -> String {
        self.plan.to_json()
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.outputs
            .as_ref()
            .map(|outputs| outputs.values.clone())
            .unwrap_or_default()
    }

    /// Under Actions only, with the outputs.
    fn summary(&self) -> Summary {
        match &self.outputs {
            Some(_) => self.plan.to_summary(),
            None => Summary::new(),
        }
    }

    /// The warning for a matrix split into chunks.
    fn conclude(self, runtime: &Runtime) -> Result<(), gantry_cli::Error> {
        if self
            .outputs
            .as_ref()
            .is_some_and(|outputs| outputs.matrix_left_out)
        {
            runtime.annotate(
                &Annotation::warning(format!(
                    "{} services are selected, more than the {MAX_JOBS} jobs GitHub runs from one \
                     matrix: the output `matrix` is not set; use `matrix-1` … `matrix-{}` (one build \
                     job per chunk, see docs/matrix.md)",
                    self.plan.selected.len(),
                    self.plan.selected.len().div_ceil(MAX_JOBS)
                ))
                .title("gantry-matrix: matrix split into chunks"),
            );
        }
        // The process ends now: freeing a large plan allocation by allocation would cost
        // tens of milliseconds at 10,000 services.
        std::mem::forget(self);
        Ok(())
    }
}

/// `--newer-than`, when it names a tag.
fn newer_than(args: &Args) -> Option<&str> {
    args.newer_than.as_deref().filter(|tag| !tag.is_empty())
}

/// `--services`, when it names any.
fn named(args: &Args) -> Option<Vec<String>> {
    args.services
        .as_deref()
        .map(split_list)
        .filter(|names| !names.is_empty())
}

/// The services to build for this run; `change` is the event's change set, read by
/// [`read_change`] unless `--all`, `--services` or `--since-last-build` choose otherwise.
pub fn plan<'m>(
    args: &Args,
    context: &Context,
    loaded: &'m Loaded,
    sha_tags: &[Vec<ShaTag>],
    change: Option<EventChange>,
    runtime: &Runtime,
) -> Result<Plan<'m>, MatrixError> {
    let manifest = &loaded.manifest;
    let base = args.base.as_deref().filter(|b| !b.is_empty());
    if args.since_last_build && base.is_some() {
        return Err(MatrixError::SinceAndBase);
    }
    if let Some(tag) = newer_than(args) {
        let other = if base.is_some() {
            Some("--base")
        } else if args.since_last_build {
            Some("--since-last-build")
        } else if named(args).is_some() {
            Some("--services")
        } else {
            None
        };
        if let Some(other) = other {
            return Err(MatrixError::NewerThanAnd { other });
        }
        return newest_builds(args, context, loaded, sha_tags, runtime, tag);
    }
    let chosen = |selected, note: &str| Plan {
        note: note.to_owned(),
        ..Plan::new(selected, loaded)
    };
    match (args.all, named(args)) {
        (true, Some(_)) => Err(MatrixError::AllAndServices),
        (true, None) => Ok(chosen(
            select::all(manifest, Reason::AllFlag),
            "--all: every service, whatever changed",
        )),
        (false, Some(names)) => {
            let manifest_name = loaded.path.display().to_string();
            let selected = select::named(manifest, &names, &manifest_name)?;
            Ok(chosen(
                selected,
                "--services: the services named, whatever changed",
            ))
        }
        (false, None) => match change {
            Some(change) => changed(args, loaded, change),
            None => since_last_build(args, context, loaded, sha_tags, runtime),
        },
    }
}

/// The event's change set: where its base came from, and the files that changed.
pub struct EventChange {
    pub resolution: Resolution,
    /// The manifest's directory in the repository, with a trailing `/` (empty at the top).
    pub manifest_dir: String,
    /// With a base: the changed files, as paths from the top of the repository.
    pub files: Vec<String>,
}

/// Reads the event's change set with git, in `root` (the manifest's directory).
pub fn read_change(
    args: &Args,
    context: &Context,
    root: &Path,
    runtime: &Runtime,
) -> Result<EventChange, MatrixError> {
    check_event(context)?;
    let git = Git::new(root);
    let manifest_dir = git.show_prefix()?;
    let resolution = base::resolve(&request(args, context), &mut History::new(&git, runtime))?;
    tracing::info!("base: {}", resolution.note);
    let files = match &resolution.change {
        Change::Diff { base, head } => git.changed_files(base, head)?,
        _ => Vec::new(),
    };
    Ok(EventChange {
        resolution,
        manifest_dir,
        files,
    })
}

/// The payload SHAs gantry-matrix uses are SHAs.
fn check_event(context: &Context) -> Result<(), MatrixError> {
    if let (Some(event), Some(payload)) = (context.event(), &context.payload) {
        base::check_event(event).map_err(|bad| MatrixError::BadSha {
            path: payload.path.clone(),
            field: bad.field,
            value: bad.value,
        })?;
    }
    Ok(())
}

/// What the flags and the event ask to compare.
fn request<'a>(args: &'a Args, context: &'a Context) -> Request<'a> {
    Request {
        base: args.base.as_deref().filter(|b| !b.is_empty()),
        head: args.head.as_deref().filter(|h| !h.is_empty()),
        event: context.event(),
        default_branch: context
            .payload_repository()
            .and_then(|r| r.default_branch.as_deref()),
        sha: context.sha.as_deref(),
    }
}

/// What a change set is judged with.
struct Judge<'a, 'm> {
    loaded: &'m Loaded,
    matcher: Matcher,
    graph: Graph,
    /// The manifest's directory in the repository, with a trailing `/` (empty at the top).
    manifest_dir: String,
    args: &'a Args,
}

impl<'a, 'm> Judge<'a, 'm> {
    fn new(args: &'a Args, loaded: &'m Loaded, manifest_dir: String) -> Result<Self, MatrixError> {
        let matcher = Matcher::new(&loaded.manifest)?;
        let graph = Graph::new(&loaded.manifest, &matcher);
        Ok(Self {
            loaded,
            matcher,
            graph,
            manifest_dir,
            args,
        })
    }

    /// What changed `files` (paths from the top of the repository) touch, and how many of
    /// them lie outside the manifest's directory.
    fn touches(&self, files: Vec<String>) -> (Touches, usize) {
        let total = files.len();
        let inside: Vec<String> = files
            .into_iter()
            .filter_map(|file| {
                file.strip_prefix(self.manifest_dir.as_str())
                    .map(str::to_owned)
            })
            .collect();
        let outside = total - inside.len();
        (self.matcher.touches(inside), outside)
    }

    /// Adds the explanation and file lists asked for, of the services `judged` on `touches`.
    fn record(
        &self,
        plan: &mut Plan<'m>,
        touches: &Touches,
        reasons: &[Option<Reason>],
        judged: &[usize],
        base: Option<&str>,
    ) {
        let manifest = &self.loaded.manifest;
        if self.args.explain {
            plan.explanation
                .get_or_insert_with(Explanation::default)
                .add(&Judged {
                    manifest,
                    matcher: &self.matcher,
                    graph: &self.graph,
                    touches,
                    reasons,
                    services: judged,
                    base,
                });
        }
        if self.args.list_files != ListFiles::None {
            let files = select::files_of_services(manifest, &self.matcher, &self.graph, touches);
            let names: Vec<&String> = manifest.services.keys().collect();
            let lists = plan.files.get_or_insert_with(Vec::new);
            for &index in judged {
                if reasons[index].is_some() {
                    let paths = files[index]
                        .affecting
                        .iter()
                        .map(|&file| touches.files[file].clone())
                        .collect();
                    lists.push((names[index].clone(), paths));
                }
            }
        }
    }
}

/// The services the event's change set affects.
fn changed<'m>(
    args: &Args,
    loaded: &'m Loaded,
    change: EventChange,
) -> Result<Plan<'m>, MatrixError> {
    let manifest = &loaded.manifest;
    let judge = Judge::new(args, loaded, change.manifest_dir)?;
    let mut plan = Plan {
        note: change.resolution.note,
        ..Plan::new(Vec::new(), loaded)
    };
    match change.resolution.change {
        Change::Diff { base, head } => {
            let (touches, outside) = judge.touches(change.files);
            plan.redeploy = touches
                .files
                .iter()
                .find(|file| manifest.redeploy.iter().any(|glob| glob.is_match(file)))
                .cloned();
            let reasons = select::affected(manifest, &judge.matcher, &judge.graph, &touches);
            let all: Vec<usize> = (0..manifest.services.len()).collect();
            plan.changes = Some(Changes {
                files: touches.files.len() + outside,
                outside,
                manifest_dir: judge.manifest_dir.clone(),
            });
            judge.record(&mut plan, &touches, &reasons, &all, None);
            plan.selected = selected(manifest, reasons);
            plan.base = Some(base);
            plan.head = Some(head);
        }
        Change::Everything { head } => {
            plan.selected = select::all(manifest, Reason::NoBase);
            plan.head = head;
        }
        Change::Nothing => {}
    }
    Ok(plan)
}

/// The services with a reason, in manifest order.
fn selected(
    manifest: &gantry_manifest::Manifest,
    reasons: Vec<Option<Reason>>,
) -> Vec<Selected<'_>> {
    manifest
        .services()
        .zip(reasons)
        .filter_map(|(service, reason)| {
            Some(Selected {
                service,
                reason: reason?,
            })
        })
        .collect()
}

/// Where `flag` finds each service's builds: the tags its `type=sha` rules give, in its
/// registry (or `--registry-url`). Refused when a service's rules give none: gantry-tags then
/// pushes no tag naming the commit, so its builds could never be found.
fn build_records<'a>(
    flag: &'static str,
    args: &'a Args,
    loaded: &Loaded,
    sha_tags: &'a [Vec<ShaTag>],
    runtime: &'a Runtime,
) -> Result<RegistryShaTags<'a>, MatrixError> {
    if let Some((service, _)) = loaded
        .manifest
        .services()
        .zip(sha_tags)
        .find(|(_, tags)| tags.is_empty())
    {
        return Err(MatrixError::WithoutShaRule {
            flag,
            service: service.name.clone(),
        });
    }
    Ok(RegistryShaTags {
        sha_tags,
        registry_url: args.registry_url.as_deref().filter(|u| !u.is_empty()),
        username: args.username.as_deref(),
        runtime,
    })
}

/// `--newer-than TAG`: each service's newest build in the head's history, selected when
/// `TAG` points at another image (always with `--all`).
fn newest_builds<'m>(
    args: &Args,
    context: &Context,
    loaded: &'m Loaded,
    sha_tags: &[Vec<ShaTag>],
    runtime: &Runtime,
    tag: &str,
) -> Result<Plan<'m>, MatrixError> {
    check_event(context)?;
    let manifest = &loaded.manifest;
    let records = build_records("--newer-than", args, loaded, sha_tags, runtime)?;
    let git = Git::new(&loaded.root);
    let mut history = History::new(&git, runtime);
    let mut plan = Plan {
        note: if args.all {
            "--all with --newer-than: each service's newest build (its sha-… tags in the registry)"
                .to_owned()
        } else {
            format!("each service's newest build (its sha-… tags in the registry) not at `{tag}`")
        },
        ..Plan::new(Vec::new(), loaded)
    };
    let (head, _) = match base::head_commit(&request(args, context), &mut history)? {
        Ok(found) => found,
        Err(resolution) => {
            plan.note = resolution.note;
            return Ok(plan);
        }
    };
    let services: Vec<&Service> = manifest.services().collect();
    let built = records.built_tags(&services)?;
    let commits: Vec<Vec<String>> = built
        .iter()
        .map(|tags| tags.iter().map(|(commit, _)| commit.clone()).collect())
        .collect();
    let last = builds::newest_built(&git, &history, &head, &commits)?;
    // The newest build's tag, and the tag compared with, per built service.
    let newest: Vec<(usize, String, String)> = last
        .iter()
        .enumerate()
        .filter_map(|(index, commit)| {
            let commit = commit.as_deref()?;
            let (_, build_tag) = built[index]
                .iter()
                .find(|(tagged, _)| commit.starts_with(tagged.as_str()))?;
            Some((index, commit.to_owned(), build_tag.clone()))
        })
        .collect();
    let mut asked: Vec<(usize, String)> = Vec::new();
    for (index, _, build_tag) in &newest {
        asked.push((*index, build_tag.clone()));
        asked.push((*index, tag.to_owned()));
    }
    let digests = records.digests(&services, &asked)?;
    let mut selected = Vec::new();
    let mut images = Vec::new();
    for ((index, commit, build_tag), pair) in newest.into_iter().zip(digests.chunks(2)) {
        // A build tag deleted since the listing is no build to deploy.
        let Some(build) = &pair[0] else { continue };
        if !args.all && pair[1].as_ref() == Some(build) {
            continue;
        }
        let service = services[index];
        images.push((
            service.name.clone(),
            format!("{}:{build_tag}@{build}", service.image),
        ));
        selected.push(Selected {
            service,
            reason: Reason::NewestBuild {
                sha: commit,
                not_at: (!args.all).then(|| tag.to_owned()),
            },
        });
    }
    plan.selected = selected;
    plan.images = Some(images);
    plan.last_builds = Some(by_service(&services, last));
    plan.head = Some(head);
    Ok(plan)
}

/// Each service's last build commit, by name (the JSON key `last-builds`).
fn by_service(services: &[&Service], last: Vec<Option<String>>) -> Vec<(String, Option<String>)> {
    services
        .iter()
        .zip(last)
        .map(|(service, base)| (service.name.clone(), base))
        .collect()
}

/// `--since-last-build`: each service against the commit of its newest build.
fn since_last_build<'m>(
    args: &Args,
    context: &Context,
    loaded: &'m Loaded,
    sha_tags: &[Vec<ShaTag>],
    runtime: &Runtime,
) -> Result<Plan<'m>, MatrixError> {
    check_event(context)?;
    let records = build_records("--since-last-build", args, loaded, sha_tags, runtime)?;
    let manifest = &loaded.manifest;
    let git = Git::new(&loaded.root);
    let judge = Judge::new(args, loaded, git.show_prefix()?)?;
    let mut history = History::new(&git, runtime);
    let mut plan = Plan {
        note: "each service since its newest build (its sha-… tags in the registry)".to_owned(),
        ..Plan::new(Vec::new(), loaded)
    };
    let (head, _) = match base::head_commit(&request(args, context), &mut history)? {
        Ok(found) => found,
        Err(resolution) => {
            if let Change::Everything { .. } = resolution.change {
                plan.selected = select::all(manifest, Reason::NoBase);
            }
            plan.note = resolution.note;
            return Ok(plan);
        }
    };
    let services: Vec<&Service> = manifest.services().collect();
    let built = records.built_commits(&services)?;
    let last = builds::newest_built(&git, &history, &head, &built)?;
    let mut reasons: Vec<Option<Reason>> = last
        .iter()
        .map(|base| base.is_none().then_some(Reason::NotBuiltYet))
        .collect();
    // One diff per distinct base, for the services built last from it.
    let mut bases: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, base) in last.iter().enumerate() {
        let Some(base) = base.as_deref().filter(|base| *base != head) else {
            continue;
        };
        match bases.iter_mut().find(|(b, _)| *b == base) {
            Some((_, services)) => services.push(index),
            None => bases.push((base, vec![index])),
        }
    }
    let mut changed_files = std::collections::HashSet::new();
    let mut outside_files = 0;
    for (base, judged) in &bases {
        let (touches, outside) = judge.touches(git.changed_files(base, &head)?);
        outside_files = outside_files.max(outside);
        changed_files.extend(touches.files.iter().cloned());
        let affected = select::affected(manifest, &judge.matcher, &judge.graph, &touches);
        let mut group_reasons: Vec<Option<Reason>> = vec![None; services.len()];
        for &index in judged {
            group_reasons[index] = affected[index]
                .clone()
                .map(|because| Reason::NotBuiltSince {
                    sha: (*base).to_owned(),
                    because: Box::new(because),
                });
            reasons[index] = group_reasons[index].clone();
        }
        judge.record(&mut plan, &touches, &group_reasons, judged, Some(base));
    }
    if args.explain {
        let explanation = plan.explanation.get_or_insert_with(Explanation::default);
        for (index, base) in last.iter().enumerate() {
            if base.as_deref().is_some_and(|base| base != head) {
                continue; // judged on the changes since its base
            }
            let why_not = base
                .is_some()
                .then(|| "its newest image was built from the head commit".to_owned());
            explanation.add_unchanged(
                index,
                services[index],
                reasons[index].as_ref(),
                base.as_deref(),
                why_not,
            );
        }
    }
    plan.changes = Some(Changes {
        files: changed_files.len() + outside_files,
        outside: outside_files,
        manifest_dir: judge.manifest_dir.clone(),
    });
    if let Some(files) = &mut plan.files {
        files.sort_by_key(|(name, _)| manifest.services.get_index_of(name));
    }
    plan.last_builds = Some(by_service(&services, last));
    plan.selected = selected(manifest, reasons);
    plan.head = Some(head);
    Ok(plan)
}
