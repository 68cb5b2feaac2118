//! A prune run: the flags and the manifest's `retention:` resolved into rules, packages and
//! a backend, then the plan carried out by the engine.

use std::collections::HashMap;
use std::num::NonZeroU32;

use gantry_cli::{Error, Invocation};
use gantry_gha::Runtime;
use gantry_http::retry::RetryPolicy;
use gantry_registry::credentials::TOKEN_VAR;
use gantry_registry::{
    Credentials, Endpoint, EnvCredentials, ImageRef, RegistryClient, Repository,
};

use crate::args::{AgeFromArg, Args, BackendKind};
use crate::backend::{
    Backend, DokployCalls, GhcrBackend, OciBackend, PackageSelection, select_packages,
};
use crate::deployed;
use crate::engine::{self, GITHUB_DELETES_PER_MINUTE, GITHUB_MAX_IN_FLIGHT, Run, Settings};
use crate::error::PruneError;
use crate::github::GithubApi;
use crate::rules::{Age, AgeFrom, Deployed, Rules, TagGlobs, TagRule};

impl Invocation for Args {
    type Report = Run;

    /// Prunes; the report's verdict fails the run when a deletion failed or a package could
    /// not be pruned safely.
    fn run(self, runtime: &Runtime) -> Result<Run, Error> {
        gantry_cli::block_on(prune(&self, runtime, RetryPolicy::default()))
    }
}

/// Resolves the flags and the manifest, builds the backend and runs the prune. Prints
/// nothing to stdout; progress goes to `runtime`'s log.
pub async fn prune(args: &Args, runtime: &Runtime, retry: RetryPolicy) -> Result<Run, PruneError> {
    let manifest = load_manifest(args, runtime)?;
    let retention = manifest
        .as_ref()
        .map(|manifest| manifest.retention.clone())
        .unwrap_or_default();
    let mut rules = rules(args, &retention)?;
    if let Some(manifest) = &manifest {
        rules.deployed = deployed(manifest);
    }
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
        max_delete: args.max_delete,
        max_delete_percent: args.max_delete_percent,
        running: HashMap::new(),
        deployed_unknown: HashMap::new(),
    };
    let mut dokploy_calls = DokployCalls::default();
    if let Some(manifest) = &manifest
        && let Some(deployments) = deployed::read(manifest, &owner, runtime, &retry).await
    {
        settings.running = deployments.running;
        settings.deployed_unknown = deployments.unknown;
        dokploy_calls = deployments.calls;
    }
    let mut run = match args.backend {
        BackendKind::Ghcr => {
            let backend = ghcr_backend(args, runtime, retry, &owner, &mut settings).await?;
            prune_with(&backend, &selection, &settings, &progress).await
        }
        BackendKind::Oci => {
            let backend = oci_backend(args, runtime, retry, &owner, &images)?;
            prune_with(&backend, &selection, &settings, &progress).await
        }
    }?;
    run.calls.dokploy = dokploy_calls;
    Ok(run)
}

/// The GitHub Packages backend, within GitHub's limits: paced under its secondary limit, no
/// more requests in flight than it allows.
async fn ghcr_backend(
    args: &Args,
    runtime: &Runtime,
    retry: RetryPolicy,
    owner: &str,
    settings: &mut Settings,
) -> Result<GhcrBackend, PruneError> {
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
        .secret_from_env(TOKEN_VAR)
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
    let env = env_credentials(args, runtime);
    let endpoint = match &args.registry_url {
        Some(url) => Endpoint::from_url(url)?,
        None => Endpoint::from_url(&format!("https://{}", env.github_registry()))?,
    };
    // GITHUB_TOKEN goes to GitHub's registry only; any other --registry-url gets
    // --username with REGISTRY_PASSWORD, or nothing.
    let credentials = Credentials::resolve(args.username.as_deref(), &endpoint, env)?;
    let registry = registry_client(endpoint, credentials, retry)?;
    GhcrBackend::connect(api, owner, registry).await
}

/// The distribution API backend: the registry of --registry-url, else of the manifest's
/// images.
fn oci_backend(
    args: &Args,
    runtime: &Runtime,
    retry: RetryPolicy,
    owner: &str,
    images: &[ImageRef],
) -> Result<OciBackend, PruneError> {
    let endpoint = match (&args.registry_url, images.first()) {
        (Some(url), _) => Endpoint::from_url(url)?,
        (None, Some(image)) => Endpoint::for_registry(image.registry()),
        (None, None) => {
            return Err(PruneError::BadInput(
                "--backend oci needs --registry-url (or a manifest whose images name the registry)"
                    .to_owned(),
            ));
        }
    };
    let credentials = Credentials::resolve(
        args.username.as_deref(),
        &endpoint,
        env_credentials(args, runtime),
    )?;
    let registry = registry_client(endpoint, credentials, retry)?;
    Ok(OciBackend::new(registry, owner))
}

async fn prune_with<B: Backend>(
    backend: &B,
    selection: &PackageSelection,
    settings: &Settings,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Run, PruneError> {
    let (packages, windowed) = select_packages(backend, selection).await?;
    let window = windowed.then(|| {
        format!(
            "GitHub lists no more than {} packages (page × per_page ≤ 10,000) and the owner has more: the globs in --packages were matched against the first {0} only; name the others exactly",
            crate::github::PACKAGE_LIST_WINDOW
        )
    });
    if packages.is_empty() {
        let mut text = "no package matches --packages".to_owned();
        if let Some(window) = &window {
            text = format!("{text} ({window})");
        }
        return Err(PruneError::BadInput(text));
    }
    let mut run = engine::run(backend, &packages, settings, progress).await;
    run.warnings.extend(window);
    Ok(run)
}

/// The environment's credentials, with GitHub's addresses as the flags give them.
fn env_credentials(args: &Args, runtime: &Runtime) -> EnvCredentials {
    let env = EnvCredentials::read(runtime);
    EnvCredentials {
        github_server_url: args.github.server_url.clone().or(env.github_server_url),
        github_api_url: args.github.api_url.clone().or(env.github_api_url),
        ..env
    }
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
    // Image references in --packages (`ghcr.io/acme/api`) name their owner too.
    let referenced: Vec<ImageRef> = gantry_cli::list_items(&args.packages)
        .iter()
        .filter(|item| registry_prefix(item).is_some())
        .filter_map(|item| ImageRef::parse(item).ok())
        .collect();
    let mut owners: Vec<&str> = images
        .iter()
        .chain(&referenced)
        .filter_map(|image| owner_and_package(image).map(|(owner, _)| owner))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    match owners.as_slice() {
        [owner] => return Ok((*owner).to_owned()),
        [] => {}
        many => {
            return Err(PruneError::BadInput(format!(
                "the manifest's images (and --packages) have several owners ({}); choose one with --owner",
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
    let requested: Vec<String> = gantry_cli::list_items(&args.packages)
        .iter()
        .map(|item| package_of(item, owner, registry_host(args).as_deref()))
        .collect::<Result<_, _>>()?;
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

/// The registry host the run talks to, when the flags say it: `--registry-url`'s, else
/// ghcr.io for the GHCR backend on github.com.
fn registry_host(args: &Args) -> Option<String> {
    match (&args.registry_url, args.backend) {
        (Some(url), _) => {
            let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
            Some(rest.split('/').next().unwrap_or(rest).to_lowercase())
        }
        (None, BackendKind::Ghcr) if args.github.server_url.is_none() => Some("ghcr.io".to_owned()),
        (None, _) => None,
    }
}

/// `(registry, rest)` when a `--packages` item starts with a registry host, as image
/// references do (`ghcr.io/…`, `localhost:5000/…`).
fn registry_prefix(item: &str) -> Option<(&str, &str)> {
    item.split_once('/')
        .filter(|(first, _)| first.contains(['.', ':']) || *first == "localhost")
}

/// A `--packages` item as a package name: an image reference (`ghcr.io/acme/api`, globs
/// allowed after the owner) is understood as its package when it names the owner (and the
/// registry the run talks to); anything else that names a registry is bad input with the
/// fix, never a package that is "not found".
fn package_of(item: &str, owner: &str, registry: Option<&str>) -> Result<String, PruneError> {
    let Some((first, rest)) = registry_prefix(item) else {
        return Ok(item.to_owned());
    };
    let fix = |problem: String| {
        PruneError::BadInput(format!(
            "--packages `{item}`: {problem}; --packages takes package names under --owner (`api` for ghcr.io/{owner}/api)"
        ))
    };
    if let Some(registry) = registry
        && !first.eq_ignore_ascii_case(registry)
    {
        return Err(fix(format!(
            "this run prunes {registry}, not {first} (give --registry-url https://{first} to prune there)"
        )));
    }
    let (item_owner, package) = rest.split_once('/').unwrap_or((rest, ""));
    if !item_owner.eq_ignore_ascii_case(owner) || package.is_empty() {
        return Err(fix(format!(
            "it is not a package of {owner} (give --owner {item_owner} to prune that account's packages)"
        )));
    }
    if package.contains(['@', ':']) {
        return Err(fix(
            "it names one image (a tag or digest), and prune works on whole packages".to_owned(),
        ));
    }
    Ok(package.to_owned())
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
        let flag = gantry_cli::list_items(flag);
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
        tag_rules: retention
            .rules
            .iter()
            .map(TagRule::from_manifest)
            .collect::<Result<_, _>>()?,
        deployed: Deployed::default(),
    })
}

/// What the manifest's environments protect in every package: their tags and the newest
/// `deploy.history` ledger entries.
fn deployed(manifest: &gantry_manifest::Manifest) -> Deployed {
    Deployed {
        environments: manifest
            .environments()
            .map(|environment| environment.name.clone())
            .collect(),
        history: manifest.history() as usize,
        running: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn image_references_in_packages_are_understood_or_refused_with_the_fix() {
        let ghcr = Some("ghcr.io");
        assert_eq!(package_of("api", "acme", ghcr).unwrap(), "api");
        assert_eq!(package_of("team/app", "acme", ghcr).unwrap(), "team/app");
        assert_eq!(package_of("ghcr.io/acme/api", "acme", ghcr).unwrap(), "api");
        assert_eq!(
            package_of("GHCR.io/Acme/team/*", "acme", ghcr).unwrap(),
            "team/*"
        );
        assert_eq!(
            package_of("localhost:5000/acme/api", "acme", None).unwrap(),
            "api"
        );
        for (item, fix) in [
            ("ghcr.io/other/api", "give --owner other"),
            ("ghcr.io/acme/api:v1", "names one image"),
            ("ghcr.io/acme/api@sha256:00", "names one image"),
            (
                "docker.io/acme/api",
                "give --registry-url https://docker.io",
            ),
            ("ghcr.io/acme", "not a package of acme"),
        ] {
            let err = package_of(item, "acme", ghcr).unwrap_err().to_string();
            assert!(err.contains(fix), "{item}: {err}");
            assert!(err.contains("--packages takes package names"), "{err}");
        }
        // Without --owner, the reference names it.
        let args = <Args as clap::Parser>::try_parse_from([
            "gantry-prune",
            "--packages",
            "ghcr.io/acme/api",
        ])
        .unwrap();
        assert_eq!(owner(&args, &[]).unwrap(), "acme");
    }

    #[test]
    fn manifest_retention_rules_come_with_the_shorthand() {
        let args = <Args as clap::Parser>::try_parse_from(["gantry-prune"]).unwrap();
        let loaded = gantry_manifest::parse(
            "gantry.yml",
            "version: 1\nretention:\n  keep-tagged: 5\n  rules: [{tags: \"v*\", keep: all}, {tags: \"pr-*\", keep: 3, older-than: 7d}]\n",
            None,
        )
        .unwrap();
        let rules = rules(&args, &loaded.manifest.retention).unwrap();
        let names: Vec<Option<String>> = rules
            .tagged_rules()
            .into_iter()
            .map(|rule| rule.name)
            .collect();
        assert_eq!(names, [Some("v*".into()), Some("pr-*".into()), None]);
        assert_eq!(rules.keep_tagged, Some(5));
    }
}
