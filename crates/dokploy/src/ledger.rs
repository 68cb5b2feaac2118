//! The deploy ledger in the registry: after a stage of environment `E` succeeds, each image
//! it deployed gets the tags `E` (moving) and `E-{UTC YYYYMMDDTHHMMSSZ}` (history), written
//! like gantry-promote writes tags (the manifest pushed under the new tag, no layer moves).
//! Also what rollback and promotion read from it: the digest behind a tag, an
//! environment's entries, the tag a compose target can pin for a digest.
//!
//! Tag names come from [`gantry_manifest::ledger`]; registry access follows gantry-promote's
//! credential rules (`--username` with `REGISTRY_PASSWORD`, else `GITHUB_TOKEN` for GitHub's
//! registry over HTTPS, else anonymous), towards the image's registry or `--registry-url`.

use futures::stream::{self, StreamExt, TryStreamExt};
use gantry_manifest::ledger;
use gantry_registry::{
    Credentials, Digest, Endpoint, EnvCredentials, ImageRef, RegistryClient, Tag,
};
use jiff::Timestamp;
use serde::Serialize;

use crate::deploy::ReadyStage;
use crate::plan::{Pin, Target};
use crate::report::Report;

/// Ledger entries read at once (manifest HEADs to one registry).
const ENTRY_READS: usize = 8;

/// How to reach the registries of the images: gantry-promote's rules.
#[derive(Debug, Clone)]
pub struct Registries {
    pub registry_url: Option<String>,
    pub username: Option<String>,
    pub credentials: EnvCredentials,
    /// Retries of registry requests (tests use milliseconds).
    pub retry: Option<gantry_http::retry::RetryPolicy>,
}

impl Registries {
    /// A client for the registry `image` lives in (or `--registry-url`).
    pub fn client(&self, image: &ImageRef) -> Result<RegistryClient, String> {
        let endpoint = Endpoint::for_image(image, self.registry_url.as_deref())
            .map_err(|error| format!("--registry-url: {error}"))?;
        let credentials = Credentials::resolve(
            self.username.as_deref(),
            &endpoint,
            self.credentials.clone(),
        )
        .map_err(|error| error.to_string())?;
        let client = RegistryClient::new(endpoint, credentials, gantry_http::user_agent!())
            .map_err(|error| error.to_string())?;
        Ok(match &self.retry {
            Some(retry) => client.with_retry_policy(retry.clone()),
            None => client,
        })
    }

    /// The digest `image` resolves to now.
    pub async fn digest(&self, image: &str) -> Result<Digest, String> {
        let reference = parse(image)?;
        let client = self.client(&reference)?;
        client
            .manifest_digest(reference.repository(), &reference.target())
            .await
            .map_err(|error| error.to_string())?
            .ok_or_else(|| format!("{image} is not in the registry"))
    }

    /// The digest `tag` points at in `repository`'s repository, `None` when there is no such tag.
    pub async fn tag_digest(&self, repository: &str, tag: &str) -> Result<Option<Digest>, String> {
        let reference = parse(&format!("{repository}:{tag}"))?;
        self.client(&reference)?
            .manifest_digest(reference.repository(), &reference.target())
            .await
            .map_err(|error| error.to_string())
    }

    /// The ledger entries of `environment` in `repository`, newest first, with their digests.
    pub async fn entries(
        &self,
        repository: &str,
        environment: &str,
    ) -> Result<Vec<(String, Digest)>, String> {
        let reference = parse(repository)?;
        // One client (one connection pool, one token) for the listing and every entry.
        let client = self.client(&reference)?;
        let tags = list_tags(&client, &reference).await?;
        let names = entry_names(environment, &tags);
        let digests = tag_digests(&client, repository, &names).await?;
        Ok(names
            .into_iter()
            .zip(digests)
            .filter_map(|(tag, digest)| Some((tag.to_owned(), digest?)))
            .collect())
    }

    /// Every tag of `repository` (none when the registry does not know it yet).
    pub async fn tags(&self, repository: &str) -> Result<Vec<String>, String> {
        let reference = parse(repository)?;
        list_tags(&self.client(&reference)?, &reference).await
    }

    /// A tag of `repository` that points at `digest` and can be pinned in a compose variable:
    /// the newest entry of `environment` with it, else any tag but an environment's name or
    /// `latest` (which move). `None` when there is none.
    pub async fn immutable_tag(
        &self,
        repository: &str,
        digest: &Digest,
        environment: &str,
        moving: &[&str],
    ) -> Result<Option<String>, String> {
        let reference = parse(repository)?;
        let client = self.client(&reference)?;
        let tags = list_tags(&client, &reference).await?;
        let names = entry_names(environment, &tags);
        let digests = tag_digests(&client, repository, &names).await?;
        if let Some((tag, _)) = names
            .iter()
            .zip(&digests)
            .find(|(_, found)| found.as_ref() == Some(digest))
        {
            return Ok(Some((*tag).to_owned()));
        }
        // The entries were read above and point elsewhere.
        for tag in &tags {
            if tag == "latest" || moving.contains(&tag.as_str()) || names.contains(&tag.as_str()) {
                continue;
            }
            if tag_digests(&client, repository, &[tag.as_str()]).await?[0].as_ref() == Some(digest)
            {
                return Ok(Some(tag.clone()));
            }
        }
        Ok(None)
    }
}

/// The ledger entries of `environment` among `tags`, newest first.
fn entry_names<'a>(environment: &str, tags: &'a [String]) -> Vec<&'a str> {
    ledger::entries(environment, tags.iter().map(|tag| (tag.as_str(), "")))
        .into_iter()
        .map(|entry| entry.tag)
        .collect()
}

/// The digest each of `tags` points at in `repository` (`None`: no such tag), read
/// [`ENTRY_READS`] at a time: a long ledger read one after another was most of a
/// rollback's time (docs/performance.md, the environments bench).
async fn tag_digests(
    client: &RegistryClient,
    repository: &str,
    tags: &[&str],
) -> Result<Vec<Option<Digest>>, String> {
    stream::iter(tags.iter().map(|tag| async move {
        let entry = parse(&format!("{repository}:{tag}"))?;
        client
            .manifest_digest(entry.repository(), &entry.target())
            .await
            .map_err(|error| error.to_string())
    }))
    .buffered(ENTRY_READS)
    .try_collect()
    .await
}

/// The tags of `reference`'s repository (none when the registry does not know it yet).
async fn list_tags(client: &RegistryClient, reference: &ImageRef) -> Result<Vec<String>, String> {
    match client.list_tags(reference.repository()).await {
        Ok(tags) => Ok(tags),
        Err(gantry_registry::RegistryError::NotFound { .. }) => Ok(Vec::new()),
        Err(error) => Err(error.to_string()),
    }
}

fn parse(image: &str) -> Result<ImageRef, String> {
    ImageRef::parse(image).map_err(|error| format!("`{image}`: {error}"))
}

/// One image the ledger recorded after a successful stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Recorded {
    pub service: String,
    /// `registry/repository`.
    pub repository: String,
    pub digest: String,
    /// `{environment}` and `{environment}-{stamp}`.
    pub tags: Vec<String>,
}

/// The ledger of the environment a run deploys to.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub environment: String,
    pub registries: Registries,
    /// `false` with `--no-ledger`: pinned digests are still checked, no tag is written.
    pub write: bool,
}

impl Ledger {
    /// Checks, just before a stage, that each compose tag pinned for a known digest still
    /// resolves to it (a tag can be moved between planning and deploying).
    pub async fn verify(&self, stage: &ReadyStage) -> Result<(), String> {
        for target in stage.units.iter().flat_map(|ready| &ready.unit.targets) {
            let (Some(expected), Pin::Variable { .. }) = (&target.digest, &target.pin) else {
                continue;
            };
            let image = target.pin.image();
            let digest = self.registries.digest(&image).await?;
            if digest.as_str() != expected {
                return Err(format!(
                    "{}: {image} resolves to {digest}, not {expected} as planned: the tag moved; \
                     nothing was deployed, run again",
                    target.name
                ));
            }
        }
        Ok(())
    }

    /// Tags every image of the successful `stage`; `false` (with the failures in the report)
    /// when a tag could not be written.
    pub async fn record(&self, stage: &ReadyStage, report: &mut Report) -> bool {
        if !self.write {
            return true;
        }
        let mut ok = true;
        for target in stage.units.iter().flat_map(|ready| &ready.unit.targets) {
            match self.record_target(target).await {
                Ok(Some(recorded)) => {
                    tracing::info!(
                        "{}: ledger {} on {}@{}",
                        target.name,
                        recorded.tags.join(", "),
                        recorded.repository,
                        recorded.digest
                    );
                    report.ledger.push(recorded);
                }
                Ok(None) => {}
                Err(error) => {
                    ok = false;
                    report.failures.push(format!(
                        "{}: deployed, but the ledger tags of {} could not be written: {error}; \
                         run the deploy again to record it",
                        target.name, self.environment
                    ));
                }
            }
        }
        ok
    }

    async fn record_target(&self, target: &Target) -> Result<Option<Recorded>, String> {
        let image = target.pin.image();
        let (repository, digest) = match &target.pin {
            Pin::Variable {
                repository: None, ..
            } => return Ok(None),
            _ => {
                let reference = parse(&image)?;
                let digest = match &target.digest {
                    Some(digest) => Digest::parse(digest).map_err(|error| error.to_string())?,
                    None => self.registries.digest(&image).await?,
                };
                (
                    format!("{}/{}", reference.registry(), reference.repository()),
                    digest,
                )
            }
        };
        let tags = self.registries.tags(&repository).await?;
        let stamp = ledger::next_stamp(
            &self.environment,
            Timestamp::now(),
            tags.iter().map(String::as_str),
        )
        .ok_or("no ledger stamp after the year 9999")?;
        let names = [
            self.environment.clone(),
            ledger::entry_tag(&self.environment, stamp),
        ];
        let source = parse(&format!("{repository}@{digest}"))?;
        let new_tags = names
            .iter()
            .map(|name| Tag::parse(name).map_err(|error| error.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let client = self.registries.client(&source)?;
        gantry_promote::promote(&client, &source, &new_tags)
            .await
            .map_err(|error| error.to_string())?;
        Ok(Some(Recorded {
            service: target.name.clone(),
            repository,
            digest: digest.to_string(),
            tags: names.to_vec(),
        }))
    }
}
