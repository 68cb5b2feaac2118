//! A real OCI registry per test: Debian's `docker-registry` (distribution 2.8) on a free
//! loopback port, with blob, manifest and tag helpers that speak the distribution API with a
//! client of their own (plain reqwest, independent of the product's registry crate).

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sha2::{Digest as _, Sha256};

use crate::block_on;

/// Where Debian's `docker-registry` package puts the binary.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// User accepted by a registry started with [`RegistryOptions::basic_auth`].
pub const BASIC_USER: &str = "gantry-test";
/// Password of [`BASIC_USER`].
pub const BASIC_PASSWORD: &str = "correct horse battery staple";
/// bcrypt of [`BASIC_PASSWORD`], fixed so no bcrypt crate is needed; cost 4 because the
/// registry checks it on every request.
const BASIC_PASSWORD_BCRYPT: &str = "$2b$04$pgl8Z73fjQm3r.aOcYiDvOWrPpL0eCAREJZOOhayA3q/0M.3drZ2O";

/// Every manifest media type the helpers read.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// Ports tried before giving up when others keep taking the free port first.
const PORT_ATTEMPTS: usize = 8;
/// How long a starting registry may take to answer `GET /v2/`.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);

/// A running registry, killed and its storage removed on drop (also when the test panics).
///
/// Start one per test: it takes a fraction of a second and keeps tests independent. Every
/// helper panics on failure with the tail of the registry's log in the message.
pub struct Registry {
    process: Child,
    /// A `sh` that kills the registry once this pipe closes, so it cannot outlive the test
    /// process even when that one is killed before `Drop` runs.
    watchdog: Child,
    watchdog_pipe: Option<ChildStdin>,
    port: u16,
    basic_auth: Option<(String, String)>,
    dir: tempfile::TempDir,
}

/// A manifest for [`Registry::write_manifests`]: its exact bytes, and a tag if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    pub bytes: Vec<u8>,
    pub tag: Option<String>,
}

/// A blob the registry now holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
}

/// How to configure a [`Registry`]; `Default` is an open registry with deletes enabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryOptions {
    /// Demand HTTP Basic auth ([`BASIC_USER`] / [`BASIC_PASSWORD`], htpasswd). The helpers of
    /// [`Registry`] send those credentials themselves.
    pub basic_auth: bool,
    /// Refuse manifest deletes with `405 UNSUPPORTED`, as ghcr.io does.
    pub deletes_disabled: bool,
    /// Keep the storage in memory (`/dev/shm`, when there is one): for tests that create
    /// or delete thousands of manifests, where disk metadata writes dominate. Needs about
    /// 8 KiB of memory per manifest.
    pub in_memory: bool,
}

impl Registry {
    /// An open registry (no auth) with deletes enabled.
    pub fn start() -> Registry {
        Self::start_with(RegistryOptions::default())
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// User and password the registry demands, if it was started with basic auth.
    pub fn basic_auth(&self) -> Option<(&str, &str)> {
        self.basic_auth
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_str()))
    }

    /// The last lines of the registry's own log (level warn and above).
    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Panics with `message` and the registry log: the way every failed helper ends.
    pub(crate) fn fail(&self, message: &str) -> ! {
        panic!(
            "{message}\n--- docker-registry log on {} (last lines) ---\n{}",
            self.host(),
            self.log_tail()
        )
    }

    /// Uploads `data` as a blob of `repository` (monolithic upload: POST, then PUT with the
    /// digest).
    pub fn push_blob(&self, repository: &str, data: &[u8]) -> Blob {
        let digest = sha256_digest(data);
        let (status, location) = block_on(async {
            let response = self
                .request(Method::POST, &format!("/v2/{repository}/blobs/uploads/"))
                .send()
                .await?;
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            Ok::<_, reqwest::Error>((response.status(), location))
        })
        .unwrap_or_else(|err| self.fail(&format!("POST blob upload to {repository}: {err}")));
        let Some(location) = location.filter(|_| status == StatusCode::ACCEPTED) else {
            self.fail(&format!(
                "POST blob upload to {repository}: expected 202 with a Location, got {status}"
            ))
        };
        let mut upload = reqwest::Url::parse(&self.url())
            .and_then(|base| base.join(&location))
            .unwrap_or_else(|err| self.fail(&format!("upload Location {location:?}: {err}")));
        upload.query_pairs_mut().append_pair("digest", &digest);
        let (status, body) = block_on(async {
            let response = self
                .authorize(client().put(upload))
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(data.to_vec())
                .send()
                .await?;
            Ok::<_, reqwest::Error>((response.status(), response.text().await?))
        })
        .unwrap_or_else(|err| self.fail(&format!("PUT blob {digest} to {repository}: {err}")));
        if status != StatusCode::CREATED {
            self.fail(&format!(
                "PUT blob {digest} to {repository}: expected 201, got {status}: {body}"
            ));
        }
        Blob {
            digest,
            size: data.len() as u64,
        }
    }

    /// Pushes manifest bytes as they are under `reference` (a tag, or the digest itself) and
    /// returns their digest after checking that the registry computed the same one.
    pub fn push_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        manifest: &[u8],
    ) -> String {
        let digest = sha256_digest(manifest);
        let (status, header_digest, body) = block_on(async {
            let response = self
                .request(
                    Method::PUT,
                    &format!("/v2/{repository}/manifests/{reference}"),
                )
                .header(reqwest::header::CONTENT_TYPE, media_type)
                .body(manifest.to_vec())
                .send()
                .await?;
            let header_digest = response
                .headers()
                .get("docker-content-digest")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            Ok::<_, reqwest::Error>((response.status(), header_digest, response.text().await?))
        })
        .unwrap_or_else(|err| self.fail(&format!("PUT manifest {repository}:{reference}: {err}")));
        if status != StatusCode::CREATED {
            self.fail(&format!(
                "PUT manifest {repository}:{reference} ({media_type}): expected 201, got {status}: {body}"
            ));
        }
        if header_digest.as_deref() != Some(digest.as_str()) {
            self.fail(&format!(
                "PUT manifest {repository}:{reference}: registry says digest {header_digest:?}, the bytes hash to {digest}"
            ));
        }
        digest
    }

    /// The repository's tags, sorted; empty when the repository does not exist.
    pub fn list_tags(&self, repository: &str) -> Vec<String> {
        let (status, body) = block_on(async {
            let response = self
                .request(Method::GET, &format!("/v2/{repository}/tags/list"))
                .send()
                .await?;
            Ok::<_, reqwest::Error>((response.status(), response.text().await?))
        })
        .unwrap_or_else(|err| self.fail(&format!("GET tags of {repository}: {err}")));
        if status == StatusCode::NOT_FOUND {
            return Vec::new();
        }
        if status != StatusCode::OK {
            self.fail(&format!("GET tags of {repository}: {status}: {body}"));
        }
        let listing: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|err| self.fail(&format!("tags of {repository}: {err}: {body}")));
        let mut tags: Vec<String> = listing["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|tag| tag.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }

    /// Whether `HEAD /v2/<repository>/manifests/<digest>` finds the manifest.
    pub fn manifest_exists(&self, repository: &str, digest: &str) -> bool {
        self.head_exists(&format!("/v2/{repository}/manifests/{digest}"))
    }

    /// Whether `HEAD /v2/<repository>/blobs/<digest>` finds the blob.
    pub fn blob_exists(&self, repository: &str, digest: &str) -> bool {
        self.head_exists(&format!("/v2/{repository}/blobs/{digest}"))
    }

    /// Writes manifests straight into the registry's storage, as distribution 2.8 lays it out,
    /// each tagged or by digest only: thousands per second where pushing over HTTP manages a
    /// few hundred. The blobs they list must already be in the repository (push them with
    /// [`Self::push_blob`]); unlike a push, nothing is checked. Returns the digests in order.
    pub fn write_manifests(&self, repository: &str, manifests: &[StoredManifest]) -> Vec<String> {
        let root = self.storage_root();
        let repository_dir = root.join("repositories").join(repository);
        let write = |path: PathBuf, contents: &[u8]| {
            let parent = path.parent().expect("storage paths have parents");
            fs::create_dir_all(parent)
                .and_then(|()| fs::write(&path, contents))
                .unwrap_or_else(|err| self.fail(&format!("write {}: {err}", path.display())));
        };
        manifests
            .iter()
            .map(|manifest| {
                let digest = sha256_digest(&manifest.bytes);
                let hex = &digest["sha256:".len()..];
                write(
                    root.join("blobs/sha256")
                        .join(&hex[..2])
                        .join(hex)
                        .join("data"),
                    &manifest.bytes,
                );
                let manifests_dir = repository_dir.join("_manifests");
                write(
                    manifests_dir
                        .join("revisions/sha256")
                        .join(hex)
                        .join("link"),
                    digest.as_bytes(),
                );
                if let Some(tag) = &manifest.tag {
                    let tag_dir = manifests_dir.join("tags").join(tag);
                    write(tag_dir.join("current/link"), digest.as_bytes());
                    write(
                        tag_dir.join("index/sha256").join(hex).join("link"),
                        digest.as_bytes(),
                    );
                }
                digest
            })
            .collect()
    }

    /// `…/docker/registry/v2`: the registry's storage, laid out as distribution 2.8 does.
    pub fn storage_root(&self) -> PathBuf {
        self.dir.path().join("data/docker/registry/v2")
    }

    fn head_exists(&self, path: &str) -> bool {
        let status = block_on(async {
            self.request(Method::HEAD, path)
                .header(reqwest::header::ACCEPT, MANIFEST_ACCEPT)
                .send()
                .await
                .map(|response| response.status())
        })
        .unwrap_or_else(|err| self.fail(&format!("HEAD {path}: {err}")));
        match status {
            StatusCode::OK => true,
            StatusCode::NOT_FOUND => false,
            other => self.fail(&format!("HEAD {path}: unexpected {other}")),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.authorize(client().request(method, format!("{}{path}", self.url())))
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.basic_auth {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    /// A registry configured by `options`; panics (with the registry's log) if it cannot start.
    pub fn start_with(options: RegistryOptions) -> Registry {
        if !Path::new(REGISTRY_BINARY).exists() {
            panic!(
                "{REGISTRY_BINARY} is missing; the tests need a real registry: \
                 install it with `apt-get install docker-registry`"
            );
        }
        let mut dir = tempfile::Builder::new();
        dir.prefix("gantry-registry-");
        let shm = Path::new("/dev/shm");
        let dir = if options.in_memory && shm.is_dir() {
            dir.tempdir_in(shm)
        } else {
            dir.tempdir()
        }
        .expect("create a temporary directory for the registry");
        let htpasswd = options.basic_auth.then(|| {
            let path = dir.path().join("htpasswd");
            fs::write(&path, format!("{BASIC_USER}:{BASIC_PASSWORD_BCRYPT}\n"))
                .expect("write htpasswd");
            path
        });
        let log_path = dir.path().join("registry.log");
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            // Our own header in every answer tells our registry from anything else that may
            // have taken the port in the meantime.
            let instance = uuid::Uuid::new_v4().to_string();
            let config = dir.path().join("config.yml");
            fs::write(
                &config,
                config_yaml(
                    &dir.path().join("data"),
                    port,
                    &instance,
                    htpasswd.as_deref(),
                    !options.deletes_disabled,
                ),
            )
            .expect("write the registry config");
            let log = File::create(&log_path).expect("create the registry log");
            let mut command = Command::new(REGISTRY_BINARY);
            command
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone the log handle"))
                .stderr(log);
            // REGISTRY_* variables override the config file; none may leak in.
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("REGISTRY_") {
                    command.env_remove(name);
                }
            }
            let mut process = command
                .spawn()
                .unwrap_or_else(|err| panic!("cannot start {REGISTRY_BINARY}: {err}"));
            match wait_until_ready(&mut process, port, &instance) {
                Startup::Ready => {
                    let (watchdog, watchdog_pipe) = spawn_watchdog(process.id());
                    return Registry {
                        process,
                        watchdog,
                        watchdog_pipe: Some(watchdog_pipe),
                        port,
                        basic_auth: options
                            .basic_auth
                            .then(|| (BASIC_USER.to_owned(), BASIC_PASSWORD.to_owned())),
                        dir,
                    };
                }
                Startup::Exited(status) => {
                    let log = fs::read_to_string(&log_path).unwrap_or_default();
                    if !log.contains("address already in use") {
                        panic!("{REGISTRY_BINARY} exited at startup ({status}):\n{log}");
                    }
                }
                Startup::TimedOut => {
                    let _ = process.kill();
                    let _ = process.wait();
                    let log = fs::read_to_string(&log_path).unwrap_or_default();
                    panic!(
                        "{REGISTRY_BINARY} did not answer GET /v2/ on port {port} within \
                         {STARTUP_DEADLINE:?}:\n{log}"
                    );
                }
            }
        }
        panic!(
            "{REGISTRY_BINARY}: every one of {PORT_ATTEMPTS} free ports was taken before it could bind"
        )
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog SIGTERM the registry; reaping the watchdog
        // first means the registry's pid cannot have been reused when it is signalled.
        drop(self.watchdog_pipe.take());
        let _ = self.watchdog.wait();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn config_yaml(
    storage: &Path,
    port: u16,
    instance: &str,
    htpasswd: Option<&Path>,
    deletes: bool,
) -> String {
    let auth = htpasswd
        .map(|path| {
            format!(
                "auth:\n  htpasswd:\n    realm: gantry-testkit\n    path: {}\n",
                path.display()
            )
        })
        .unwrap_or_default();
    format!(
        "version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: {deletes}
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: {instance}
  headers:
    X-Gantry-Testkit-Instance: [\"{instance}\"]
{auth}",
        storage = storage.display()
    )
}

/// A port that was free a moment ago; `launch` retries when another process wins it first.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("bind an ephemeral loopback port")
}

enum Startup {
    Ready,
    Exited(std::process::ExitStatus),
    TimedOut,
}

fn wait_until_ready(process: &mut Child, port: u16, instance: &str) -> Startup {
    let deadline = Instant::now() + STARTUP_DEADLINE;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = process.try_wait() {
            return Startup::Exited(status);
        }
        if answers_as(port, instance) {
            return Startup::Ready;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Startup::TimedOut
}

/// Whether `GET /v2/` on the port answers with our instance header (200, or 401 when auth
/// is on). Raw HTTP/1.0 over std: no runtime needed for a probe.
fn answers_as(port: u16, instance: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .to_ascii_lowercase()
        .contains(&format!("x-gantry-testkit-instance: {instance}"))
}

/// `sh` waits for its stdin to close (our end is dropped with the Registry, or the kernel
/// closes it when the test process dies), then terminates the registry.
fn spawn_watchdog(registry_pid: u32) -> (Child, ChildStdin) {
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg("read _ignored; kill \"$0\" 2>/dev/null")
        .arg(registry_pid.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the registry watchdog (sh)");
    let pipe = watchdog.stdin.take().expect("watchdog stdin is piped");
    (watchdog, pipe)
}

/// `sha256:<hex>` of the bytes.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// The helpers' HTTP client, tied to the testkit runtime like the requests it sends.
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        gantry_http::install_crypto_provider();
        reqwest::Client::builder()
            .no_proxy()
            .user_agent("gantry-testkit")
            .build()
            .expect("build the testkit HTTP client")
    })
}
