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
pub mod git;
pub mod history;
pub mod matcher;
pub mod outputs;
pub mod plan;
pub mod select;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use gantry_cli::{Classify, ExitStatus, Format, FormatArgs, GithubArgs, ManifestArgs};
use gantry_gha::inputs::split_list;
use gantry_gha::{Annotation, Context, Runtime};
use gantry_manifest::{Loaded, ManifestError};

use crate::base::{Change, Request};
use crate::git::{Git, GitError};
use crate::history::History;
use crate::matcher::{Matcher, MatcherError};
use crate::outputs::{MAX_JOBS, OutputsTooLarge};
use crate::plan::{Changes, Plan};
use crate::select::{Reason, UnknownService};

/// Which services of the monorepo this event must build: git diff + dependency graph →
/// GitHub Actions matrix.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gantry-matrix", version)]
pub struct Args {
    /// Compare with this commit (SHA, branch, tag, origin/main, HEAD~1); the change set
    /// starts at its merge base with the head [default: chosen per event]
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
    Outputs(#[from] OutputsTooLarge),
    #[error("cannot write the report: {0}")]
    #[diagnostic(code(gantry::matrix::stdout))]
    Stdout(#[source] std::io::Error),
}

impl Classify for MatrixError {
    fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Git(_) | Self::Outputs(_) | Self::Stdout(_) => ExitStatus::Failure,
            _ => ExitStatus::BadInput,
        }
    }
}

/// The whole run: the plan on stdout; under Actions also the outputs and the step summary.
pub fn run(args: Args, runtime: &Runtime) -> Result<(), gantry_cli::Error> {
    let context = args.github.context(runtime)?;
    let loaded =
        gantry_manifest::load(&args.manifest.path(runtime.env())).map_err(MatrixError::from)?;
    for warning in &loaded.warnings {
        gantry_cli::report_warning(runtime, warning);
    }
    let plan = plan(&args, &context, &loaded, runtime)?;
    let outputs = outputs::outputs(&plan).map_err(MatrixError::from)?;

    let report = match args.format.format {
        Format::Text => plan.to_text(),
        Format::Json => plan.to_json() + "\n",
    };
    // The runner reads stdout for workflow commands too: revisions and names are untrusted.
    std::io::stdout()
        .lock()
        .write_all(runtime.stdout_report(&report).as_bytes())
        .map_err(MatrixError::Stdout)?;

    for (name, value) in &outputs.values {
        runtime.set_output(name, value)?;
    }
    if outputs.matrix_left_out {
        runtime.annotate(
            &Annotation::warning(format!(
                "{} services are selected, more than the {MAX_JOBS} jobs GitHub runs from one \
                 matrix: the output `matrix` is not set; use `matrix-1` … `matrix-{}` (one build \
                 job per chunk, see docs/matrix.md)",
                plan.selected.len(),
                plan.selected.len().div_ceil(MAX_JOBS)
            ))
            .title("gantry-matrix: matrix split into chunks"),
        );
    }
    runtime.append_summary(&plan.to_summary())?;
    Ok(())
}

/// The services to build for this run.
pub fn plan<'m>(
    args: &Args,
    context: &Context,
    loaded: &'m Loaded,
    runtime: &Runtime,
) -> Result<Plan<'m>, MatrixError> {
    let manifest = &loaded.manifest;
    let named = args
        .services
        .as_deref()
        .map(split_list)
        .filter(|names| !names.is_empty());
    let chosen = |selected, note: &str| Plan {
        selected,
        total: manifest.services.len(),
        base: None,
        head: None,
        note: note.to_owned(),
        changes: None,
        path_prefix: path_prefix(&loaded.root),
    };
    match (args.all, named) {
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
        (false, None) => changed(args, context, loaded, runtime),
    }
}

/// The services the change set of this event affects.
fn changed<'m>(
    args: &Args,
    context: &Context,
    loaded: &'m Loaded,
    runtime: &Runtime,
) -> Result<Plan<'m>, MatrixError> {
    let manifest = &loaded.manifest;
    if let (Some(event), Some(payload)) = (context.event(), &context.payload) {
        base::check_event(event).map_err(|bad| MatrixError::BadSha {
            path: payload.path.clone(),
            field: bad.field,
            value: bad.value,
        })?;
    }
    let matcher = Matcher::new(manifest)?;
    let git = Git::new(git_dir(&loaded.root));
    let manifest_dir = git.show_prefix()?;
    let request = Request {
        base: args.base.as_deref().filter(|b| !b.is_empty()),
        head: args.head.as_deref().filter(|h| !h.is_empty()),
        event: context.event(),
        default_branch: context
            .payload_repository()
            .and_then(|r| r.default_branch.as_deref()),
        sha: context.sha.as_deref(),
    };
    let resolution = base::resolve(&request, &mut History::new(&git, runtime))?;
    tracing::info!("base: {}", resolution.note);
    let (base, head, selected, changes) = match resolution.change {
        Change::Diff { base, head } => {
            let files = git.changed_files(&base, &head)?;
            let inside: Vec<&str> = files
                .iter()
                .filter_map(|file| file.strip_prefix(manifest_dir.as_str()))
                .collect();
            let selected = select::affected(manifest, &matcher.touched(inside.iter().copied()));
            let changes = Changes {
                files: files.len(),
                outside: files.len() - inside.len(),
                manifest_dir,
            };
            (Some(base), Some(head), selected, Some(changes))
        }
        Change::Everything { head } => (None, head, select::all(manifest, Reason::NoBase), None),
        Change::Nothing => (None, None, Vec::new(), None),
    };
    Ok(Plan {
        selected,
        total: manifest.services.len(),
        base,
        head,
        note: resolution.note,
        changes,
        path_prefix: path_prefix(&loaded.root),
    })
}

/// Where git runs: the manifest's directory.
fn git_dir(root: &Path) -> &Path {
    if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    }
}

/// The manifest's directory as a prefix of the paths in the matrix: `""` for the current
/// directory, else the directory and a `/`.
fn path_prefix(root: &Path) -> String {
    let root = root.to_string_lossy();
    let root = root.trim_start_matches("./").trim_end_matches('/');
    if root.is_empty() || root == "." {
        String::new()
    } else {
        format!("{root}/")
    }
}
