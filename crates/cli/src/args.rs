//! Argument groups shared by the binaries; `#[command(flatten)]` them into a tool's `Args`.

use std::path::{Path, PathBuf};

use gantry_gha::{Context, ContextError, ContextVars, Env, Runtime};

/// The manifest used when none is named.
pub const DEFAULT_MANIFEST: &str = "gantry.yml";

/// The names a manifest is looked for under, in order.
pub const MANIFEST_NAMES: &[&str] = &[DEFAULT_MANIFEST, "gantry.yaml"];

/// What a tool prints on stdout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A report for people.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// The items of a list flag that may be repeated: each value split at newlines and at
/// commas outside `{…}` by [`gantry_gha::inputs::split_list`], trimmed, empty items dropped.
pub fn list_items(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|value| gantry_gha::inputs::split_list(value))
        .collect()
}

/// `--format text|json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct FormatArgs {
    /// Report format on stdout
    #[arg(long, value_enum, env = "INPUT_FORMAT", default_value_t = Format::Text)]
    pub format: Format,
}

/// `--manifest PATH`: just the path (reading it is gantry-manifest's job).
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct ManifestArgs {
    /// The manifest [default: $GANTRY_MANIFEST, else gantry.yml (or gantry.yaml) in the current
    /// directory or the nearest one above it, up to the top of the git repository]
    #[arg(long, env = "INPUT_MANIFEST", value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

impl ManifestArgs {
    /// The manifest the user named: `--manifest`, `INPUT_MANIFEST`, then `GANTRY_MANIFEST`.
    pub fn requested(&self, env: &Env) -> Option<PathBuf> {
        self.manifest
            .clone()
            .filter(|path| !path.as_os_str().is_empty())
            .or_else(|| env.get("GANTRY_MANIFEST").map(PathBuf::from))
    }

    /// The manifest to read: [`ManifestArgs::requested`], else the one [`find_manifest`]
    /// finds from the current directory, else `gantry.yml` (whose absence the reader
    /// reports).
    pub fn path(&self, env: &Env) -> PathBuf {
        self.requested(env)
            .or_else(|| find_manifest(Path::new("")))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_MANIFEST))
    }
}

/// The nearest manifest ([`MANIFEST_NAMES`]) in `start` or a directory above it, up to the
/// top of the git repository (the directory holding `.git`); a tool run from
/// `services/api/` finds the repository's `gantry.yml`. The path is `start` joined with as
/// many `..` as it took (`start` may be empty: the current directory). Outside a repository
/// only `start` is looked in.
pub fn find_manifest(start: &Path) -> Option<PathBuf> {
    let absolute = if start.as_os_str().is_empty() {
        std::env::current_dir().ok()?
    } else {
        std::fs::canonicalize(start).ok()?
    };
    let in_repository = absolute.ancestors().any(|dir| dir.join(".git").exists());
    let mut relative = start.to_path_buf();
    for dir in absolute.ancestors() {
        for name in MANIFEST_NAMES {
            if dir.join(name).is_file() {
                return Some(relative.join(name));
            }
        }
        if !in_repository || dir.join(".git").exists() {
            return None;
        }
        relative.push("..");
    }
    None
}

/// The run's GitHub context: each value from its standard variable, or a flag for local runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "GitHub context (defaults from the GITHUB_* variables)")]
pub struct GithubArgs {
    /// Event that triggered the run: push, pull_request, merge_group, ...
    #[arg(long, env = "GITHUB_EVENT_NAME", value_name = "NAME")]
    pub event_name: Option<String>,
    /// Webhook payload of the event (JSON)
    #[arg(long, env = "GITHUB_EVENT_PATH", value_name = "FILE")]
    pub event_path: Option<PathBuf>,
    /// Full ref, as refs/heads/main
    #[arg(long = "ref", env = "GITHUB_REF", value_name = "REF")]
    pub git_ref: Option<String>,
    /// Commit SHA of the run
    #[arg(long, env = "GITHUB_SHA")]
    pub sha: Option<String>,
    /// Repository, as owner/name
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repository: Option<String>,
    /// GitHub web address [default: https://github.com]
    #[arg(long, env = "GITHUB_SERVER_URL", value_name = "URL")]
    pub server_url: Option<String>,
    /// GitHub REST API address [default: https://api.github.com]
    #[arg(long, env = "GITHUB_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Workflow run id
    #[arg(long, env = "GITHUB_RUN_ID", value_name = "ID")]
    pub run_id: Option<String>,
    /// Attempt number of the workflow run
    #[arg(long, env = "GITHUB_RUN_ATTEMPT", value_name = "N")]
    pub run_attempt: Option<String>,
    /// Base branch of a pull request
    #[arg(long, env = "GITHUB_BASE_REF", value_name = "BRANCH")]
    pub base_ref: Option<String>,
    /// Head branch of a pull request
    #[arg(long, env = "GITHUB_HEAD_REF", value_name = "BRANCH")]
    pub head_ref: Option<String>,
}

impl GithubArgs {
    /// The context values, with `GITHUB_ACTIONS` from `runtime`.
    pub fn vars(&self, runtime: &Runtime) -> ContextVars {
        ContextVars {
            actions: runtime.is_actions(),
            event_name: self.event_name.clone(),
            event_path: self.event_path.clone(),
            git_ref: self.git_ref.clone(),
            sha: self.sha.clone(),
            repository: self.repository.clone(),
            server_url: self.server_url.clone(),
            api_url: self.api_url.clone(),
            run_id: self.run_id.clone(),
            run_attempt: self.run_attempt.clone(),
            base_ref: self.base_ref.clone(),
            head_ref: self.head_ref.clone(),
        }
    }

    /// The validated context, with the event payload read.
    pub fn context(&self, runtime: &Runtime) -> Result<Context, ContextError> {
        Context::load(self.vars(runtime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{FromArgMatches, Parser};

    #[derive(Debug, Parser)]
    struct Args {
        #[command(flatten)]
        format: FormatArgs,
        #[command(flatten)]
        manifest: ManifestArgs,
        #[command(flatten)]
        github: GithubArgs,
    }

    #[test]
    fn flags_parse_into_the_groups() {
        // Every variable treated as unset: the test must not see the GITHUB_* of a CI run.
        let matches = crate::command::<Args>(&|_| true)
            .try_get_matches_from([
                "tool",
                "--format",
                "json",
                "--manifest",
                "deploy/gantry.yml",
                "--event-name",
                "push",
                "--ref",
                "refs/heads/main",
                "--run-attempt",
                "2",
            ])
            .unwrap();
        let args = Args::from_arg_matches(&matches).unwrap();
        assert_eq!(args.format.format, Format::Json);
        assert_eq!(
            args.manifest.manifest,
            Some(PathBuf::from("deploy/gantry.yml"))
        );
        let (runtime, _log) = Runtime::captured(Env::from_pairs([("GITHUB_ACTIONS", "true")]));
        let context = args.github.context(&runtime).unwrap();
        assert!(context.actions);
        assert_eq!(context.event_name.as_deref(), Some("push"));
        assert_eq!(context.git_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(context.run_attempt, Some(2));
    }

    #[test]
    fn context_errors_are_reported_not_panicked() {
        let github = GithubArgs {
            event_name: Some("push".into()),
            event_path: Some("/nonexistent/event.json".into()),
            ..GithubArgs::default()
        };
        let (runtime, _log) = Runtime::captured(Env::default());
        assert!(matches!(
            github.context(&runtime),
            Err(ContextError::PayloadUnreadable { .. })
        ));
    }

    #[test]
    fn list_values_split_at_lines_and_commas_outside_braces() {
        let values = vec![
            "api=ghcr.io/a/api:v1, web=ghcr.io/a/web:v1\r\n\n".to_owned(),
            "v{1,2}.*".to_owned(),
            " , ".to_owned(),
        ];
        assert_eq!(
            list_items(&values),
            ["api=ghcr.io/a/api:v1", "web=ghcr.io/a/web:v1", "v{1,2}.*"]
        );
    }

    #[test]
    fn manifest_precedence() {
        let env = Env::from_pairs([("GANTRY_MANIFEST", "from-env.yml")]);
        let flag = ManifestArgs {
            manifest: Some("flag.yml".into()),
        };
        assert_eq!(flag.path(&env), PathBuf::from("flag.yml"));
        assert_eq!(
            ManifestArgs::default().path(&env),
            PathBuf::from("from-env.yml")
        );
        assert_eq!(ManifestArgs::default().requested(&Env::default()), None);
        assert_eq!(
            ManifestArgs::default().path(&Env::default()),
            PathBuf::from(DEFAULT_MANIFEST)
        );
        let empty = ManifestArgs {
            manifest: Some(PathBuf::new()),
        };
        assert_eq!(empty.path(&env), PathBuf::from("from-env.yml"));
    }

    #[test]
    fn the_nearest_manifest_up_to_the_repository_top_is_found() {
        let outer = tempfile::tempdir().unwrap();
        let top = outer.path().join("repo");
        let deep = top.join("services/api/src");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir(top.join(".git")).unwrap();
        // Above the repository: never found.
        std::fs::write(outer.path().join(DEFAULT_MANIFEST), "").unwrap();
        assert_eq!(find_manifest(&deep), None);

        std::fs::write(top.join("gantry.yaml"), "").unwrap();
        assert_eq!(
            find_manifest(&deep),
            Some(deep.join("../../../gantry.yaml"))
        );
        std::fs::write(top.join(DEFAULT_MANIFEST), "").unwrap();
        assert_eq!(find_manifest(&deep), Some(deep.join("../../../gantry.yml")));
        std::fs::write(top.join("services/gantry.yml"), "").unwrap();
        assert_eq!(
            find_manifest(&deep),
            Some(deep.join("../../gantry.yml")),
            "the nearest"
        );
        assert_eq!(find_manifest(&top), Some(top.join("gantry.yml")));

        // Outside a repository, only the directory itself.
        let loose = tempfile::tempdir().unwrap();
        std::fs::create_dir(loose.path().join("sub")).unwrap();
        std::fs::write(loose.path().join(DEFAULT_MANIFEST), "").unwrap();
        assert_eq!(find_manifest(&loose.path().join("sub")), None);
        assert_eq!(
            find_manifest(loose.path()),
            Some(loose.path().join(DEFAULT_MANIFEST))
        );
    }
}
