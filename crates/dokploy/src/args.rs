//! The command line. Every flag can also come from `INPUT_<NAME>` (how the composite action
//! passes inputs); list flags accept commas and newlines in one value.

use std::time::Duration;

use gantry_cli::{FormatArgs, GithubArgs, ManifestArgs};

/// Deploy exact image tags to Dokploy in ordered stages, wait for each deployment to really
/// finish, and roll back on failure.
///
/// The API key comes from the DOKPLOY_API_KEY environment variable only.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gantry-dokploy", version)]
pub struct Args {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// The manifest environment to deploy to: its Dokploy URL, targets and health URLs;
    /// required when deploy.environments has several
    #[arg(long, env = "INPUT_ENVIRONMENT", value_name = "NAME")]
    pub environment: Option<String>,

    /// Change nothing: read what every target runs and print current → wanted (without
    /// --tag/--image: what runs where)
    #[arg(long, env = "INPUT_PLAN")]
    pub plan: bool,

    /// Deploy, to each selected service, the digest behind this environment's tag (its last
    /// successful deploy there): promotion by digest
    #[arg(long, env = "INPUT_FROM_ENVIRONMENT", value_name = "NAME")]
    pub from_environment: Option<String>,

    /// Deploy, to each selected service, the newest ledger entry of --environment whose digest
    /// differs from what its environment tag points at (or --to)
    #[arg(long, env = "INPUT_ROLLBACK")]
    pub rollback: bool,

    /// With --rollback: a tag (resolved in each selected service's repository) or a digest
    /// (with exactly one service in --services)
    #[arg(
        long,
        env = "INPUT_TO",
        value_name = "TAG|DIGEST",
        requires = "rollback"
    )]
    pub to: Option<String>,

    /// Do not write the ledger tags ({environment} and {environment}-{UTC stamp}) after a
    /// successful stage
    #[arg(long, env = "INPUT_NO_LEDGER")]
    pub no_ledger: bool,

    /// Talk to this registry for the ledger instead of the one in the image names:
    /// scheme://host[:port]
    #[arg(long, env = "INPUT_REGISTRY_URL", value_name = "URL")]
    pub registry_url: Option<String>,

    /// Registry user name; the password comes from $REGISTRY_PASSWORD (else GITHUB_TOKEN for
    /// GitHub's registry), as for gantry-promote
    #[arg(long, env = "INPUT_USERNAME", value_name = "NAME")]
    pub username: Option<String>,

    /// Deploy only this stage of deploy.stages
    #[arg(long, env = "INPUT_STAGE", value_name = "NAME")]
    pub stage: Option<String>,

    /// Deploy only these manifest services (comma- or newline-separated), e.g. the ones just
    /// built; those without a deploy: entry are skipped with a note
    #[arg(long, env = "INPUT_SERVICES", value_name = "NAMES")]
    pub services: Vec<String>,

    /// Deploy {service image}:TAG for each target (a compose target gets TAG in its tag variable)
    #[arg(long, env = "INPUT_TAG")]
    pub tag: Option<String>,

    /// Exact image of one target: SERVICE=REF (a digest reference is fine); a bare REF for
    /// the one flag-given target, or the manifest service with that image name
    #[arg(long, env = "INPUT_IMAGE", value_name = "[SERVICE=]REF")]
    pub image: Vec<String>,

    /// Deploy this Dokploy application (an id, or project/environment/service)
    #[arg(long, env = "INPUT_APPLICATION", value_name = "ID")]
    pub application: Vec<String>,

    /// Deploy this Dokploy compose (an id, or project/environment/service); its tag variable
    /// is IMAGE_TAG
    #[arg(long, env = "INPUT_COMPOSE", value_name = "ID")]
    pub compose: Vec<String>,

    /// The Dokploy server [default: deploy.dokploy.url of the manifest]
    #[arg(long, env = "INPUT_DOKPLOY_URL", value_name = "URL")]
    pub dokploy_url: Option<String>,

    /// Longest time per stage, from its first pin to its last deployment's end
    #[arg(long, env = "INPUT_TIMEOUT", default_value = "15m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,

    /// First wait between polls; waits grow by half up to five times this
    #[arg(long, env = "INPUT_POLL_INTERVAL", default_value = "2s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,

    /// Only queue the deploys; do not wait for them (nothing is verified)
    #[arg(long, env = "INPUT_NO_WAIT")]
    pub no_wait: bool,

    /// When a stage fails, put back the previous images of its services and deploy them
    #[arg(long, env = "INPUT_ROLLBACK_ON_FAILURE")]
    pub rollback_on_failure: bool,

    /// Check [STAGE=]URL after that stage (else after the last one); part of success
    #[arg(long, env = "INPUT_HEALTH_URL", value_name = "[STAGE=]URL")]
    pub health_url: Vec<String>,

    /// The HTTP status a healthy service answers with [default: any 2xx]
    #[arg(long, env = "INPUT_HEALTH_STATUS", value_name = "CODE")]
    pub health_status: Option<u16>,

    /// At most this many health check attempts after the first [default: as many as
    /// --health-timeout allows]
    #[arg(long, env = "INPUT_HEALTH_RETRIES", value_name = "N")]
    pub health_retries: Option<usize>,

    /// Longest time a service may take to answer healthy, per service, polling included
    #[arg(long, env = "INPUT_HEALTH_TIMEOUT", default_value = "2m", value_parser = humantime::parse_duration)]
    pub health_timeout: Duration,

    #[command(flatten)]
    pub format: FormatArgs,

    #[command(flatten)]
    pub github: GithubArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_with_defaults() {
        let matches = gantry_cli::command::<Args>(&|_| true)
            .try_get_matches_from([
                "gantry-dokploy",
                "--tag",
                "v1",
                "--timeout",
                "90s",
                "--no-wait",
                "--image",
                "a=r:1",
                "--image",
                "b=r:2",
            ])
            .unwrap();
        let args = <Args as clap::FromArgMatches>::from_arg_matches(&matches).unwrap();
        assert_eq!(args.timeout, Duration::from_secs(90));
        assert_eq!(args.poll_interval, Duration::from_secs(2));
        assert!(args.no_wait && !args.rollback_on_failure);
        assert_eq!(args.image, ["a=r:1", "b=r:2"]);
        assert_eq!(args.health_status, None);
        assert_eq!(args.health_timeout, Duration::from_secs(120));
    }
}
