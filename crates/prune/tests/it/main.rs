//! gantry-prune against a real registry: through the fake GitHub Packages API and ghcr.io
//! front (GHCR backend), and directly (OCI backend). After every run skopeo proves that every
//! tag left resolves with all its children and blobs.

mod calls;
mod credentials;
mod ghcr;
mod github_api;
mod hostile;
mod limits;
mod oci;
mod process;
mod reliability;
mod retention;

use std::time::{Duration, SystemTime};

use clap::Parser as _;
use gantry_gha::{CapturedLog, Env, Runtime};
use gantry_http::retry::RetryPolicy;
use gantry_prune::engine::Run;
use gantry_prune::report::{Document, Entry};
use gantry_prune::{Args, run};
use gantry_testkit::github::{FakeOptions, GithubFake, OwnerKind, TokenKind};
use gantry_testkit::{Index, Registry, RegistryOptions};

/// A classic PAT, recognisable in any output it leaks into.
pub const TOKEN: &str = "ghp_PRUNE_TEST_TOKEN_5b1f0c";

/// Keep the 2 newest tagged images, delete the others older than 10 days.
pub const KEEP_TWO_OR_TEN_DAYS: [&str; 7] = [
    "--packages",
    "api",
    "--keep-tagged",
    "2",
    "--older-than",
    "10d",
    "--apply",
];

/// Delete the `pr-*` images of `acme/api`.
pub const PRS_GO: [&str; 5] = ["--packages", "api", "--delete-tags", "pr-*", "--apply"];

/// Delete the `build-*` images, keep `latest`.
pub const BUILDS_GO_LATEST_STAYS: [&str; 5] = [
    "--protect-tags",
    "latest",
    "--delete-tags",
    "build-*",
    "--apply",
];

/// Millisecond backoff; waits the server names (retry-after) are still honoured.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        retries: 4,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        rate_limit_floor: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
        ..RetryPolicy::default()
    }
}

/// `token` as GITHUB_TOKEN for the API and as the password of the fake's registry front.
pub fn token_env(token: &str) -> [(&'static str, &str); 2] {
    [("GITHUB_TOKEN", token), ("REGISTRY_PASSWORD", token)]
}

/// A registry with the fake GitHub API and ghcr.io front over it; owner `acme` is an
/// organisation and [`TOKEN`] a classic PAT.
pub struct Ghcr {
    pub registry: Registry,
    pub fake: GithubFake,
}

impl Ghcr {
    pub fn start() -> Ghcr {
        Ghcr::with(FakeOptions::default())
    }

    pub fn with(options: FakeOptions) -> Ghcr {
        Ghcr::over(registry(), options)
    }

    /// Over a registry of the caller's (e.g. one with its storage in memory).
    pub fn over(registry: Registry, options: FakeOptions) -> Ghcr {
        let fake = GithubFake::start_with(&registry, options);
        fake.add_owner("acme", OwnerKind::Organization);
        fake.add_token(TOKEN, "acme-bot", TokenKind::Classic);
        Ghcr { registry, fake }
    }

    /// The command line of a run against the fake, with `extra` flags; deletes are paced far
    /// above GitHub's limit unless `extra` says otherwise. The fake's ghcr.io front is a
    /// loopback registry, which never gets GITHUB_TOKEN: it takes a user name and the token
    /// as `REGISTRY_PASSWORD` (see [`token_env`]).
    pub fn argv(&self, extra: &[&str]) -> Vec<String> {
        let mut argv: Vec<String> = [
            "gantry-prune",
            "--api-url",
            &self.fake.api_url(),
            "--registry-url",
            &self.fake.registry_url(),
            "--username",
            "acme-bot",
        ]
        .map(str::to_owned)
        .to_vec();
        if !extra.contains(&"--owner") {
            argv.extend(["--owner".to_owned(), "acme".to_owned()]);
        }
        if !extra.contains(&"--max-deletes-per-minute") {
            argv.extend(["--max-deletes-per-minute".to_owned(), "600000".to_owned()]);
        }
        argv.extend(extra.iter().map(|arg| (*arg).to_owned()));
        argv
    }

    /// Runs the library with `extra` flags and `TOKEN`.
    pub async fn prune(&self, extra: &[&str]) -> Run {
        self.prune_as(TOKEN, extra).await.0
    }

    pub async fn prune_as(&self, token: &str, extra: &[&str]) -> (Run, CapturedLog) {
        prune(&self.argv(extra), &token_env(token)).await
    }

    /// `old` (a multi-arch index with attestations, 40 days old) and `new` (an index, a day
    /// old) in `acme/api`.
    pub fn old_and_new(&self) -> (Index, Index) {
        let old = self
            .registry
            .index("acme/api")
            .attestations()
            .tag("old")
            .push();
        let new = self.registry.index("acme/api").tag("new").push();
        self.age_index("acme/api", &old, 40);
        self.age_index("acme/api", &new, 1);
        (old, new)
    }

    /// Dates an index `days` ago, and its children a second before it (pushed just before
    /// it), so reports list them in one order every run.
    pub fn age_index(&self, repository: &str, index: &Index, days: u64) {
        let at = SystemTime::now() - Duration::from_secs(days * 86_400);
        self.fake.set_times(repository, &index.digest, at, at);
        let before = at - Duration::from_secs(1);
        for child in index.child_digests() {
            self.fake.set_times(repository, &child, before, before);
        }
    }

    /// `count` multi-arch indexes with attestations tagged `build-0`, `build-1`, … in
    /// `acme/api`.
    pub fn builds(&self, count: usize) -> Vec<Index> {
        self.registry.builds("acme/api", count)
    }

    /// Dates a version `days` ago (created and updated).
    pub fn age(&self, repository: &str, digest: &str, days: u64) {
        let at = SystemTime::now() - Duration::from_secs(days * 86_400);
        self.fake.set_times(repository, digest, at, at);
    }
}

/// Runs the library with a command line and an environment; panics with the log on an error.
pub async fn prune(argv: &[String], env: &[(&str, &str)]) -> (Run, CapturedLog) {
    let args = Args::try_parse_from(argv).unwrap();
    let (runtime, log) = Runtime::captured(Env::from_pairs(env.iter().copied()));
    let run = run::prune(&args, &runtime, quick_retry())
        .await
        .unwrap_or_else(|err| panic!("prune failed: {err:?}\n{}", log.text()));
    (run, log)
}

/// The command line of an OCI-backend run against `registry`, with `extra` flags.
pub fn oci_argv(registry: &Registry, extra: &[&str]) -> Vec<String> {
    let url = registry.url();
    [
        "gantry-prune",
        "--backend",
        "oci",
        "--owner",
        "acme",
        "--registry-url",
        &url,
    ]
    .iter()
    .chain(extra)
    .map(|arg| (*arg).to_owned())
    .collect()
}

/// A registry with its storage in memory: these tests write and delete many manifests.
pub fn registry() -> Registry {
    Registry::start_with(RegistryOptions {
        in_memory: true,
        ..RegistryOptions::default()
    })
}

/// An index and every manifest it lists.
pub fn family(index: &Index) -> Vec<String> {
    let mut digests = vec![index.digest.clone()];
    digests.extend(index.child_digests());
    digests
}

/// skopeo resolves every tag left in `repository`, children and blobs included.
pub fn assert_every_tag_resolves(registry: &Registry, repository: &str) {
    for tag in registry.list_tags(repository) {
        registry.assert_resolves_fully(&format!("{repository}:{tag}"));
    }
}

/// The report's entries by list, as digests, for assertions.
pub struct Outcome {
    pub report: Document,
}

impl Outcome {
    pub fn of(run: &Run) -> Outcome {
        Outcome {
            report: Document::new(run),
        }
    }

    fn find<'a>(list: &'a [Entry], digest: &str) -> Option<&'a Entry> {
        list.iter().find(|entry| entry.digest == digest)
    }

    /// `deleted`, `kept`, `skipped` or `failed`, and the reason.
    pub fn of_digest(&self, digest: &str) -> (&'static str, String) {
        let lists = [
            ("deleted", &self.report.deleted),
            ("kept", &self.report.kept),
            ("skipped", &self.report.skipped),
            ("failed", &self.report.failed),
        ];
        for (name, list) in lists {
            if let Some(entry) = Outcome::find(list, digest) {
                return (name, entry.reason.clone());
            }
        }
        panic!("{digest} is not in the report")
    }

    pub fn deleted(&self, digest: &str) -> bool {
        self.of_digest(digest).0 == "deleted"
    }

    pub fn kept(&self, digest: &str) -> bool {
        self.of_digest(digest).0 == "kept"
    }
}

/// Snapshots `text` with what varies from run to run (digests, ids, ports, dates) filtered
/// out; a macro, so the snapshot is named after the calling module.
#[macro_export]
macro_rules! assert_stable {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![
            (r"sha256:[0-9a-f]{12,64}", "[digest]"),
            (r"\b5000000\d{3}\b", "[id]"),
            (r"127\.0\.0\.1:\d+", "[host]"),
            (r"\d{4}(-|\\-)\d\d(-|\\-)\d\d \d\d\\?:\d\d", "[created]"),
        ]}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}
