//! The command line: flags (each also from `INPUT_*`), the manifest's `retention:` defaults,
//! backend setup, and what is printed, written to the outputs and the step summary.

use std::num::NonZeroU32;

use gantry_cli::{Error, Format, FormatArgs, GithubArgs, ManifestArgs};
use gantry_gha::{Annotation, Runtime};
use gantry_http::retry::RetryPolicy;
use gantry_registry::{
    Credentials, Endpoint, EnvCredentials, ImageRef, RegistryClient, Repository,
};

use crate::backend::{Backend, GhcrBackend, OciBackend, PackageSelection, select_packages};
use crate::engine::{
    self, GITHUB_DELETES_PER_MINUTE, GITHUB_MAX_IN_FLIGHT, PackageOutcome, Run, Settings,
};
use crate::error::PruneError;
use crate::github::GithubApi;
use crate::plan::ReasonKind;
use crate::report::{self, Report};
use crate::rules::{Age, AgeFrom, Rules, TagGlobs};

/// The registry the GHCR backend reads manifests from, unless `--registry-url` says otherwise.
pub const GHCR_URL: &str = "https://ghcr.io";

/// Retention for GHCR and any OCI registry that never breaks a kept image.
///
/// Without --apply nothing is deleted: the plan is the report.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "gantry-prune", version)]
pub struct Args {
    /// Account owning the packages (ghcr.io/OWNER/…) [default: the owner of the manifest's
    /// images, else of GITHUB_REPOSITORY]
    #[arg(long, env = "INPUT_OWNER", value_name = "NAME")]
    pub owner: Option<String>,
    /// Packages: exact names or globs, comma- or newline-separated [default: the manifest's
    /// service images]
    #[arg(long, env = "INPUT_PACKAGES", value_name = "NAMES")]
    pub packages: Vec<String>,
    /// Keep the newest N tagged images the other rules would delete (protected images are
    /// kept in addition)
    #[arg(long, env = "INPUT_KEEP_TAGGED", value_name = "N")]
    pub keep_tagged: Option<u32>,
    /// Keep the newest N untagged images (children, referrers and signatures never count)
    #[arg(long, env = "INPUT_KEEP_UNTAGGED", value_name = "N")]
    pub keep_untagged: Option<u32>,
    /// Delete only images older than this: 30d, 12h, 2weeks
    #[arg(long, env = "INPUT_OLDER_THAN", value_name = "AGE", value_parser = Age::parse)]
    pub older_than: Option<Age>,
    /// Which timestamp --older-than and the newest-N ranking use [default: updated]
    #[arg(long, env = "INPUT_AGE_FROM", value_enum)]
    pub age_from: Option<AgeFromArg>,
    /// Delete only tagged images whose every tag matches one of these globs
    #[arg(long, env = "INPUT_DELETE_TAGS", value_name = "GLOBS")]
    pub delete_tags: Vec<String>,
    /// Never delete an image with a tag matching one of these globs (wins over everything)
    #[arg(long, env = "INPUT_PROTECT_TAGS", value_name = "GLOBS")]
    pub protect_tags: Vec<String>,
    /// ghcr: list and delete through the GitHub Packages API; oci: any registry that
    /// accepts manifest DELETE
    #[arg(long, env = "INPUT_BACKEND", value_enum, default_value_t = BackendKind::Ghcr)]
    pub backend: BackendKind,
    /// Registry to read manifests from (and to delete from, with --backend oci)
    /// [default: ghcr.io (HTTPS); oci: the manifest's registry]
    #[arg(long, env = "INPUT_REGISTRY_URL", value_name = "URL")]
    pub registry_url: Option<String>,
    /// User name for an OCI registry with user and password; the password comes from
    /// $REGISTRY_PASSWORD
    #[arg(long, env = "INPUT_USERNAME", value_name = "NAME")]
    pub username: Option<String>,
    /// Delete. Without it nothing is deleted and the plan is the report
    #[arg(long, env = "INPUT_APPLY")]
    pub apply: bool,
    /// Pace deletes [default: 180 for ghcr, GitHub's secondary limit; unpaced for oci]
    #[arg(long, env = "INPUT_MAX_DELETES_PER_MINUTE", value_name = "N")]
    pub max_deletes_per_minute: Option<NonZeroU32>,
    /// Requests in flight at most (GitHub allows 100)
    #[arg(long, env = "INPUT_MAX_IN_FLIGHT", value_name = "N", default_value_t = GITHUB_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Ghcr,
    Oci,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgeFromArg {
    Created,
    Updated,
}

/// The binary's `run`: prunes, prints the report, writes outputs and the summary, and fails
/// when a deletion failed or a package could not be pruned safely.
pub async fn run(args: Args, runtime: &Runtime) -> Result<(), Error> {
    let format = args.format.format;
    let run = prune(&args, runtime, RetryPolicy::default()).await?;
    let report = Report::new(&run);
    // The runner reads stdout for workflow commands too: tag names are untrusted.
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&report).expect("the report serializes"),
        Format::Text => report::text(&run),
    };
    print!("{}", runtime.stdout_report(&text));
    for (name, value) in report::outputs(&report, run.applied) {
        runtime.set_output(name, &value)?;
    }
    runtime.append_summary(&report::summary(&run))?;
    conclude(run, &report, runtime)
}

/// Annotations for what went wrong, and the exit status.
fn conclude(run: Run, report: &Report, runtime: &Runtime) -> Result<(), Error> {
    let mut problems = Vec::new();
    for package in &run.packages {
        match &package.outcome {
            PackageOutcome::Missing => runtime.annotate(&Annotation::warning(format!(
                "{}: no such package, or the token cannot see it",
                package.name
            ))),
            PackageOutcome::Failed(error) => problems.push(format!("{}: {error}", package.name)),
            PackageOutcome::NotReached(why) => runtime.annotate(&Annotation::warning(format!(
                "{}: not pruned, {why}",
                package.name
            ))),
            PackageOutcome::Planned(planned) => {
                if let Some(why) = &planned.fail_closed {
                    problems.push(format!(
                        "{}: nothing deleted, the package fails closed: {why}",
                        package.name
                    ));
                }
            }
        }
    }
    let left: usize = run
        .packages
        .iter()
        .map(|package| match &package.outcome {
            PackageOutcome::Planned(planned) => planned
                .decisions
                .iter()
                .filter(|decided| decided.reason.kind == ReasonKind::BudgetSpent)
                .count(),
            _ => 0,
        })
        .sum();
    if left > 0 {
        runtime.annotate(&Annotation::warning(format!(
            "the rate-limit budget ran out: {left} versions are left for the next run"
        )));
    }
    if let Some(error) = run.stopped
        && !matches!(error, PruneError::RateLimited { .. })
    {
        return Err(error.into());
    }
    if !report.failed.is_empty() {
        problems.push(format!(
            "{} versions could not be deleted (see the report)",
            report.failed.len()
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::failed(problems.join("\n")))
}

/// Resolves the flags and the manifest, builds the backend and runs the prune. Prints
/// nothing to stdout; progress goes to `runtime`'s log.
pub async fn prune(args: &Args, runtime: &Runtime, retry: RetryPolicy) -> Result<Run, PruneError> {
    let manifest = load_manifest(args, runtime)?;
    let retention = manifest
        .as_ref()
        .map(|manifest| manifest.retention.clone())
        .unwrap_or_default();
    let rules = rules(args, &retention)?;
    let images = manifest.as_ref().map(manifest_images).unwrap_or_default();
    let owner = owner(args, &images)?;
    let selection = selection(args, &images, &owner)?;
    let progress = |line: &str| runtime.info(line);
    let mut settings = Settings {
        rules,
        apply: args.apply,
        now: jiff::Timestamp::now(),
        deletes_per_minute: args.max_deletes_per_minute,
        max_in_flight: args.max_in_flight.max(1),
        read_concurrency: engine::READ_CONCURRENCY,
    };
    match args.backend {
        BackendKind::Ghcr => {
            if args.max_in_flight > GITHUB_MAX_IN_FLIGHT {
                return Err(PruneError::BadInput(format!(
                    "--max-in-flight {} is over GitHub's limit of {GITHUB_MAX_IN_FLIGHT} concurrent requests",
                    args.max_in_flight
                )));
            }
            settings.deletes_per_minute = Some(
                args.max_deletes_per_minute
                    .unwrap_or(NonZeroU32::new(GITHUB_DELETES_PER_MINUTE).expect("not zero")),
            );
            let token = runtime
                .secret_from_env("GITHUB_TOKEN")
                .ok_or(PruneError::MissingToken)?;
            let api_url = args
                .github
                .api_url
                .clone()
                .unwrap_or_else(|| gantry_gha::DEFAULT_API_URL.to_owned());
            let api = GithubApi::new(
                &api_url,
                token.clone(),
                retry.clone(),
                settings.max_in_flight,
                gantry_http::user_agent!(),
            )?;
            let endpoint = Endpoint::from_url(args.registry_url.as_deref().unwrap_or(GHCR_URL))?;
            let registry = registry_client(endpoint, Credentials::GitHubToken(token), retry)?;
            let backend = GhcrBackend::connect(api, &owner, registry).await?;
            prune_with(&backend, &selection, &settings, &progress).await
        }
        BackendKind::Oci => {
            let endpoint = match (&args.registry_url, images.first()) {
                (Some(url), _) => Endpoint::from_url(url)?,
                (None, Some(image)) => Endpoint::for_registry(image.registry()),
                (None, None) => {
                    return Err(PruneError::BadInput(
                        "--backend oci needs --registry-url (or a manifest whose images name the registry)".to_owned(),
                    ));
                }
            };
            let credentials = Credentials::resolve(
                args.username.as_deref(),
                endpoint.host(),
                EnvCredentials::read(runtime),
            )?;
            let registry = registry_client(endpoint, credentials, retry)?;
            let backend = OciBackend::new(registry, &owner);
            prune_with(&backend, &selection, &settings, &progress).await
        }
    }
}

async fn prune_with<B: Backend>(
    backend: &B,
    selection: &PackageSelection,
    settings: &Settings,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Run, PruneError> {
    let packages = select_packages(backend, selection).await?;
    if packages.is_empty() {
        return Err(PruneError::BadInput(
            "no package matches --packages".to_owned(),
        ));
    }
    Ok(engine::run(backend, &packages, settings, progress).await)
}

fn registry_client(
    endpoint: Endpoint,
    credentials: Credentials,
    retry: RetryPolicy,
) -> Result<RegistryClient, PruneError> {
    Ok(
        RegistryClient::new(endpoint, credentials, gantry_http::user_agent!())?
            .with_retry_policy(retry),
    )
}

/// The manifest named by `--manifest` / `GANTRY_MANIFEST`, else `gantry.yml` when present.
fn load_manifest(
    args: &Args,
    runtime: &Runtime,
) -> Result<Option<gantry_manifest::Manifest>, PruneError> {
    let path = args.manifest.path(runtime.env());
    if args.manifest.requested(runtime.env()).is_none() && !path.is_file() {
        return Ok(None);
    }
    let loaded = gantry_manifest::load(&path)?;
    gantry_cli::report_warnings(runtime, &loaded.warnings);
    Ok(Some(loaded.manifest))
}

/// The images of the manifest's services.
fn manifest_images(manifest: &gantry_manifest::Manifest) -> Vec<ImageRef> {
    manifest
        .services()
        .filter_map(|service| ImageRef::parse(&service.image).ok())
        .collect()
}

/// `owner/package…` of an image's repository.
fn owner_and_package(image: &ImageRef) -> Option<(&str, &str)> {
    image.repository().as_str().split_once('/')
}

fn owner(args: &Args, images: &[ImageRef]) -> Result<String, PruneError> {
    if let Some(owner) = args.owner.as_deref().filter(|owner| !owner.is_empty()) {
        return Ok(owner.to_owned());
    }
    let mut owners: Vec<&str> = images
        .iter()
        .filter_map(|image| owner_and_package(image).map(|(owner, _)| owner))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    match owners.as_slice() {
        [owner] => return Ok((*owner).to_owned()),
        [] => {}
        many => {
            return Err(PruneError::BadInput(format!(
                "the manifest's images have several owners ({}); choose one with --owner",
                many.join(", ")
            )));
        }
    }
    args.github
        .repository
        .as_deref()
        .and_then(|repository| repository.split_once('/'))
        .map(|(owner, _)| owner.to_owned())
        .ok_or_else(|| {
            PruneError::BadInput(
                "no owner: give --owner (the account in ghcr.io/OWNER/PACKAGE)".to_owned(),
            )
        })
}

fn selection(
    args: &Args,
    images: &[ImageRef],
    owner: &str,
) -> Result<PackageSelection, PruneError> {
    let requested = split_list(&args.packages);
    if !requested.is_empty() {
        check_names(owner, &requested)?;
        return Ok(PackageSelection::new(&requested)?);
    }
    let names: Vec<String> = images
        .iter()
        .filter_map(owner_and_package)
        .filter(|(image_owner, _)| image_owner.eq_ignore_ascii_case(owner))
        .map(|(_, package)| package.to_owned())
        .collect();
    if names.is_empty() {
        return Err(PruneError::BadInput(format!(
            "no packages: give --packages, or a manifest whose services have images under {owner}"
        )));
    }
    Ok(PackageSelection::new(&names)?)
}

/// The owner and every package named without a glob form valid repository names: bad input
/// (exit 2) before any request, rather than one failed package per name after listing.
fn check_names(owner: &str, packages: &[String]) -> Result<(), PruneError> {
    let literal = packages
        .iter()
        .filter(|name| !name.contains(['*', '?', '[', '{']));
    for package in literal {
        // ghcr.io lowercases owners; registries take the name as given.
        Repository::parse(&format!("{}/{package}", owner.to_lowercase()))
            .map_err(|err| PruneError::BadInput(format!("--owner / --packages: {err}")))?;
    }
    Ok(())
}

/// Flags win over the manifest's `retention:`.
fn rules(args: &Args, retention: &gantry_manifest::Retention) -> Result<Rules, PruneError> {
    // The names say where a bad glob came from: the flag, or the manifest's key.
    let globs = |(flag_name, flag): (&'static str, &[String]),
                 (key, manifest): (&'static str, &[String])|
     -> Result<Option<TagGlobs>, PruneError> {
        let flag = split_list(flag);
        let (input, patterns) = if flag.is_empty() {
            (key, manifest.to_vec())
        } else {
            (flag_name, flag)
        };
        if patterns.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            TagGlobs::new(&patterns).map_err(|err| err.in_input(input))?,
        ))
    };
    let to_count = |value: Option<u32>| value.map(|n| n as usize);
    Ok(Rules {
        keep_tagged: to_count(args.keep_tagged.or(retention.keep_tagged)),
        keep_untagged: to_count(args.keep_untagged.or(retention.keep_untagged)),
        older_than: args.older_than.clone().or_else(|| {
            retention.older_than.as_ref().map(|age| Age {
                text: age.text.clone(),
                duration: age.duration,
            })
        }),
        age_from: match args.age_from {
            Some(AgeFromArg::Created) => AgeFrom::Created,
            Some(AgeFromArg::Updated) => AgeFrom::Updated,
            None => retention.age_from,
        },
        delete_tags: globs(
            ("--delete-tags", &args.delete_tags),
            ("retention.delete-tags", &retention.delete_tags),
        )?,
        protect_tags: globs(
            ("--protect-tags", &args.protect_tags),
            ("retention.protect-tags", &retention.protect_tags),
        )?
        .unwrap_or_default(),
    })
}

/// Values as lists: split on new lines, and on commas outside `{…}` (a glob alternation).
pub fn split_list(values: &[String]) -> Vec<String> {
    let mut items = Vec::new();
    for value in values {
        for line in value.lines() {
            let mut depth = 0usize;
            let mut current = String::new();
            for character in line.chars() {
                match character {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        items.push(std::mem::take(&mut current));
                        continue;
                    }
                    _ => {}
                }
                current.push(character);
            }
            items.push(current);
        }
    }
    items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_lines_and_commas_outside_braces() {
        let values = vec!["pr-*, v{1,2}.*\nlatest".to_owned(), " , edge ".to_owned()];
        assert_eq!(split_list(&values), ["pr-*", "v{1,2}.*", "latest", "edge"]);
    }

    #[test]
    fn bad_owner_and_package_names_are_bad_input() {
        let names = |list: &[&str]| {
            list.iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>()
        };
        assert!(check_names("Acme", &names(&["api", "web-*", "team/{a,b}"])).is_ok());
        for (owner, package) in [("::error::x", "api"), ("acme", "../etc"), ("acme", "a%0Ab")] {
            let err = check_names(owner, &names(&[package])).unwrap_err();
            assert!(
                matches!(&err, PruneError::BadInput(message) if message.starts_with("--owner / --packages: ")),
                "{err}"
            );
        }
    }
}
