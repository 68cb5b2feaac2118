//! What the manifest's Dokploy targets run right now, by package: read (when
//! `DOKPLOY_API_KEY` is set and the manifest has `deploy.environments`) through
//! `gantry_dokploy::running`, which reads each target's stored image (an application's
//! `dockerImage`, a compose's tag variable), read-only. A target that cannot be read leaves
//! its service's package untouched: nothing is deleted in it (fail closed).

use std::collections::HashMap;

use gantry_dokploy::running::{self, Running as Target};
use gantry_gha::Runtime;
use gantry_http::retry::RetryPolicy;
use gantry_manifest::Manifest;
use gantry_registry::{ImageRef, TagOrDigest};

use crate::backend::DokployCalls;
use crate::rules::Running;

/// What Dokploy runs in each package of `owner`, and the packages it could not tell about.
#[derive(Debug, Default)]
pub struct Deployments {
    /// By package (as `--packages` names it under the owner).
    pub running: HashMap<String, Vec<Running>>,
    /// Packages whose targets could not be read, and why.
    pub unknown: HashMap<String, String>,
    /// The requests the panels were sent.
    pub calls: DokployCalls,
}

/// Reads what each environment's targets run, when the key is set and the manifest has
/// environments; else nothing (`None`: Dokploy is not consulted).
pub async fn read(
    manifest: &Manifest,
    owner: &str,
    runtime: &Runtime,
    retry: &RetryPolicy,
) -> Option<Deployments> {
    if manifest.is_single_target() || manifest.environments().next().is_none() {
        return None;
    }
    let Some(key) = runtime.secret_from_env(gantry_dokploy::API_KEY_VAR) else {
        runtime.info(
            "DOKPLOY_API_KEY is not set: what the Dokploy targets run now is not read (the \
             environment tags and the newest ledger entries are kept all the same)",
        );
        return None;
    };
    let mut deployments = Deployments::default();
    for environment in manifest.environments() {
        let name = &environment.name;
        // Validation requires a URL for every environment of `deploy.environments`.
        let url = environment.dokploy_url.as_deref().unwrap_or_default();
        let targets = match running::client(url, key.clone(), retry.clone()) {
            Ok(client) => {
                let targets = running::what_runs(manifest, name, &client).await;
                deployments.calls += client.requests().into();
                targets.map_err(|err| err.to_string())
            }
            Err(err) => Err(err.to_string()),
        };
        match targets {
            Ok(targets) => {
                for target in targets {
                    deployments.add(owner, name, url, target);
                }
            }
            // Every service deployed there is unknown.
            Err(why) => {
                for service in manifest.services_in_environment(name) {
                    if let Some(package) = package_of(&service.image, owner) {
                        deployments.unknown.entry(package).or_insert_with(|| {
                            format!("Dokploy ({url}) cannot say what runs in {name}: {why}")
                        });
                    }
                }
            }
        }
    }
    Some(deployments)
}

impl Deployments {
    fn add(&mut self, owner: &str, environment: &str, url: &str, target: Target) {
        let image = match target.image {
            Ok(Some(image)) => image,
            // Nothing stored: nothing runs from the registry there.
            Ok(None) => return,
            Err(err) => {
                if let Some(package) = package_of(&target.repository, owner) {
                    self.unknown.entry(package).or_insert_with(|| {
                        format!("Dokploy ({url}) cannot say what runs in {environment}: {err}")
                    });
                }
                return;
            }
        };
        let why = format!(
            "runs in {environment} now (Dokploy {} {})",
            target.kind.as_str(),
            target.target
        );
        let Ok(reference) = ImageRef::parse(&image) else {
            // Not a reference the registry can hold (a typo in the panel): the service's
            // package cannot be told apart, so it is left untouched.
            if let Some(package) = package_of(&target.repository, owner) {
                self.unknown.entry(package).or_insert_with(|| {
                    format!(
                        "Dokploy ({url}): {} {} in {environment} runs `{image}`, which is not an image reference",
                        target.kind.as_str(),
                        target.target
                    )
                });
            }
            return;
        };
        let Some(package) = package_of(
            &format!("{}/{}", reference.registry(), reference.repository()),
            owner,
        ) else {
            return;
        };
        let tag_or_digest = match reference.target() {
            TagOrDigest::Digest(digest) => digest.to_string(),
            TagOrDigest::Tag(tag) => tag.to_string(),
        };
        self.running
            .entry(package)
            .or_default()
            .push(Running { tag_or_digest, why });
    }
}

/// The package of an image under `owner` (`ghcr.io/acme/team/api` → `team/api`); `None`
/// for another owner's image, which this run does not prune.
fn package_of(image: &str, owner: &str) -> Option<String> {
    let reference = ImageRef::parse(image).ok()?;
    let (image_owner, package) = reference.repository().as_str().split_once('/')?;
    image_owner
        .eq_ignore_ascii_case(owner)
        .then(|| package.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_the_owners_packages() {
        assert_eq!(
            package_of("ghcr.io/acme/api", "acme").as_deref(),
            Some("api")
        );
        assert_eq!(
            package_of("ghcr.io/acme/team/api:v1", "Acme").as_deref(),
            Some("team/api")
        );
        assert_eq!(package_of("ghcr.io/other/api", "acme"), None);
        assert_eq!(package_of("not a reference", "acme"), None);
    }
}
