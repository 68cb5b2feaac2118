//! Argument groups shared by the binaries; `#[command(flatten)]` them into a tool's `Args`.

use std::path::PathBuf;

use gantry_gha::{Context, ContextError, ContextVars, Env, Runtime};

/// The manifest used when none is named.
pub const DEFAULT_MANIFEST: &str = "gantry.yml";

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
    /// The manifest [default: gantry.yml, or $GANTRY_MANIFEST]
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

    /// The manifest to read: [`ManifestArgs::requested`], else `gantry.yml`.
    pub fn path(&self, env: &Env) -> PathBuf {
        self.requested(env)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_MANIFEST))
    }
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
}
