//! `--since-last-build`: each service is compared with the commit of its newest successful
//! build instead of the event's base, so a service whose build failed or was cancelled stays
//! selected until a build of it succeeds.
//!
//! What was built comes from a [`BuildRecords`] source: today the registry's `type=sha` tags
//! ([`RegistryShaTags`]: a tag exists only once its image was pushed, the last step of a
//! build); the deploy ledger of the environments can be another source later. Among the
//! commits a source names, a service's base is the newest ancestor of the head
//! ([`newest_built`]), fetching deeper history from `origin` in a shallow checkout.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt as _;
use gantry_gha::Runtime;
use gantry_manifest::Service;
use gantry_registry::{
    Credentials, CredentialsError, Digest, Endpoint, EnvCredentials, ImageRef, RegistryClient,
    RegistryError, Tag, TagOrDigest,
};

use crate::git::{Git, GitError};
use crate::history::History;
use crate::tag_rules::ShaTag;

/// Tag listings in flight at once.
const CONCURRENT_LISTINGS: usize = 8;

/// Why the builds could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BuildsError {
    #[error("cannot read the builds of service `{service}` from {image}")]
    #[diagnostic(
        code(gantry::matrix::builds),
        help(
            "--since-last-build reads each service's tags from its registry: give it read \
             access (GITHUB_TOKEN with packages: read for ghcr.io, else --username and \
             REGISTRY_PASSWORD), or drop --since-last-build"
        )
    )]
    Registry {
        service: String,
        image: String,
        #[source]
        source: Box<RegistryError>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("cannot start the async runtime: {0}")]
    #[diagnostic(code(gantry::matrix::runtime))]
    Runtime(#[source] std::io::Error),
}

impl BuildsError {
    /// Bad input (exit 2) rather than a failed read (exit 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Self::Registry { source, .. } => source.is_input_error(),
            Self::Credentials(_) => true,
            Self::Runtime(_) => false,
        }
    }
}

/// Where the record of successful builds comes from.
pub trait BuildRecords {
    /// For each service (in the order given), the commits its builds came from, as full or
    /// abbreviated SHAs, in any order.
    fn built_commits(&self, services: &[&Service]) -> Result<Vec<Vec<String>>, BuildsError>;
}

/// The `type=sha` tags of each service's image in its registry.
pub struct RegistryShaTags<'a> {
    /// For each service given to [`BuildRecords::built_commits`]: its sha tags.
    pub sha_tags: &'a [Vec<ShaTag>],
    /// `--registry-url`: talk to this registry instead of the one in each image name.
    pub registry_url: Option<&'a str>,
    /// `--username` (the password from `REGISTRY_PASSWORD`).
    pub username: Option<&'a str>,
    pub runtime: &'a Runtime,
}

impl BuildRecords for RegistryShaTags<'_> {
    fn built_commits(&self, services: &[&Service]) -> Result<Vec<Vec<String>>, BuildsError> {
        Ok(self
            .built_tags(services)?
            .into_iter()
            .map(|tags| tags.into_iter().map(|(commit, _)| commit).collect())
            .collect())
    }
}

impl RegistryShaTags<'_> {
    /// For each service: (commit, tag) of each of its sha tags, the commit lowercased.
    pub fn built_tags(
        &self,
        services: &[&Service],
    ) -> Result<Vec<Vec<(String, String)>>, BuildsError> {
        let registry = self.connect(services)?;
        let _group = self.runtime.group(&format!(
            "Reading the sha tags of {} images",
            services.len()
        ));
        let mut listings = registry.executor.block_on(
            futures::stream::iter(registry.images.iter().enumerate().map(|(index, image)| {
                let client = &registry.clients[image.registry()];
                async move { (index, client.list_tags(image.repository()).await) }
            }))
            .buffer_unordered(CONCURRENT_LISTINGS)
            .collect::<Vec<_>>(),
        );
        // The first failure in manifest order, whichever answered first.
        listings.sort_by_key(|(index, _)| *index);
        let mut built = vec![Vec::new(); services.len()];
        for (index, listing) in listings {
            let tags = match listing {
                Ok(tags) => tags,
                // Never pushed: nothing built yet.
                Err(RegistryError::NotFound { .. }) => Vec::new(),
                Err(source) => return Err(registry_error(services[index], source)),
            };
            built[index] = tags
                .into_iter()
                .filter_map(|tag| {
                    let commit = self.sha_tags[index]
                        .iter()
                        .find_map(|rule| rule.commit(&tag))?
                        .to_lowercase();
                    Some((commit, tag))
                })
                .collect();
        }
        Ok(built)
    }

    /// For each `(service index, tag)` asked: the digest the tag points at in the service's
    /// repository (`None`: no such tag).
    pub fn digests(
        &self,
        services: &[&Service],
        asked: &[(usize, String)],
    ) -> Result<Vec<Option<Digest>>, BuildsError> {
        let registry = self.connect(services)?;
        let mut answers = registry.executor.block_on(
            futures::stream::iter(asked.iter().enumerate().map(|(slot, (index, tag))| {
                let image = &registry.images[*index];
                let client = &registry.clients[image.registry()];
                async move {
                    let answer = match Tag::parse(tag) {
                        Ok(tag) => {
                            client
                                .manifest_digest(image.repository(), &TagOrDigest::Tag(tag))
                                .await
                        }
                        Err(error) => Err(error.into()),
                    };
                    (slot, answer)
                }
            }))
            .buffer_unordered(CONCURRENT_LISTINGS)
            .collect::<Vec<_>>(),
        );
        answers.sort_by_key(|(slot, _)| *slot);
        answers
            .into_iter()
            .map(|(slot, answer)| answer.map_err(|e| registry_error(services[asked[slot].0], e)))
            .collect()
    }

    /// One client per registry, the services' images parsed.
    fn connect(&self, services: &[&Service]) -> Result<Connected, BuildsError> {
        let env = EnvCredentials::read(self.runtime);
        let mut clients: HashMap<String, RegistryClient> = HashMap::new();
        let mut images = Vec::new();
        for service in services {
            let failed = |source| registry_error(service, source);
            let image = ImageRef::parse(&service.image).map_err(|e| failed(e.into()))?;
            let endpoint = Endpoint::for_image(&image, self.registry_url).map_err(failed)?;
            if !clients.contains_key(image.registry()) {
                let credentials = Credentials::resolve(self.username, &endpoint, env.clone())?;
                let client = RegistryClient::new(endpoint, credentials, gantry_http::user_agent!())
                    .map_err(failed)?;
                clients.insert(image.registry().to_owned(), client);
            }
            images.push(image);
        }
        let executor = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BuildsError::Runtime)?;
        Ok(Connected {
            clients,
            images,
            executor,
        })
    }
}

/// Clients for the registries of some services.
struct Connected {
    clients: HashMap<String, RegistryClient>,
    /// One per service, in the order given.
    images: Vec<ImageRef>,
    executor: tokio::runtime::Runtime,
}

fn registry_error(service: &Service, source: RegistryError) -> BuildsError {
    BuildsError::Registry {
        service: service.name.clone(),
        image: service.image.clone(),
        source: Box::new(source),
    }
}

/// Commits listed per round of the history walk, growing fourfold.
const FIRST_ROUND: usize = 100;

/// For each service, the newest ancestor of `head` (full SHA) among the commits `built`
/// names for it (`None`: none is an ancestor, even in the whole history). A shallow
/// checkout is deepened from `origin` until every service is found or the history ends.
pub fn newest_built(
    git: &Git,
    history: &History<'_>,
    head: &str,
    built: &[Vec<String>],
) -> Result<Vec<Option<String>>, GitError> {
    let mut services_of: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut lengths = BTreeSet::new();
    for (service, commits) in built.iter().enumerate() {
        for commit in commits {
            services_of.entry(commit).or_default().push(service);
            lengths.insert(commit.len());
        }
    }
    let wanted = built.iter().filter(|commits| !commits.is_empty()).count();
    let mut found: Vec<Option<String>> = vec![None; built.len()];
    let mut count = FIRST_ROUND;
    let mut deepening = history.deepening("looking for each service's last build");
    loop {
        let commits = git.ancestors(head, count)?;
        found.fill(None);
        let mut resolved = 0;
        'walk: for commit in &commits {
            for &length in &lengths {
                let Some(services) = commit.get(..length).and_then(|p| services_of.get(p)) else {
                    continue;
                };
                for &service in services {
                    if found[service].is_none() {
                        found[service] = Some(commit.clone());
                        resolved += 1;
                        if resolved == wanted {
                            break 'walk;
                        }
                    }
                }
            }
        }
        if resolved == wanted {
            return Ok(found);
        }
        if commits.len() == count {
            count *= 4;
        } else if !deepening.next(&[head])? {
            return Ok(found);
        }
    }
}
