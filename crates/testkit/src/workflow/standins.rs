//! Stand-ins for the third-party actions gantry's workflows use: each does what the real one
//! does, against the test's repositories, registry and the run's artifact store, with the
//! real one's inputs and outputs (an unknown input is an error, to catch typos).
//!
//! - `actions/checkout`: `git init`, `fetch` and `checkout` from the repository's origin as
//!   the action's `ref-helper.ts` does: the event's commit (for a pull request its merge
//!   commit, `refs/pull/N/merge`), `fetch-depth` commits deep (1 by default, 0 for all history
//!   with every branch and tag), a local branch for a branch ref and a detached head
//!   otherwise; `persist-credentials` (default true) leaves an `extraheader` in `.git/config`.
//! - `docker/setup-qemu-action`, `docker/setup-buildx-action`: nothing to set up; outputs.
//! - `docker/login-action`: records the login; fails without a user name or password.
//! - `docker/build-push-action`: checks the context and Dockerfile exist, then (with `push`)
//!   pushes a synthetic multi-platform image to the test registry under every tag — an OCI
//!   index with one image per platform carrying the `labels`, the `annotations` (manifest
//!   level unless prefixed `index:`), and buildx's default provenance attestation manifests
//!   unless `provenance: false`; outputs `digest`, `imageid` and `metadata` as buildx reports
//!   them. Without `push` nothing reaches the registry and `digest` is empty.
//! - `actions/attest-build-provenance`: needs `id-token: write` and `attestations: write`;
//!   records the call and with `push-to-registry` pushes a Sigstore bundle referrer of the
//!   subject. It can be told to fail as on a private repository whose plan has no
//!   attestations ([`super::Simulator::attestations_unavailable`]).
//! - `actions/upload-artifact` / `download-artifact` (v4): copy files into and out of the
//!   run's artifact store, with v4's rules (the least common ancestor of the paths is the
//!   root, a name is uploaded once per run, `if-no-files-found`, `pattern`,
//!   `merge-multiple`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::permissions::Level;
use super::repo::try_git_in;
use super::report::StepRun;
use super::run::JobHost;
use super::{Attestation, Build, Login};
use crate::Descriptor;
use crate::image::SIGSTORE_BUNDLE;

/// A third-party action the simulator stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandIn {
    Checkout,
    SetupQemu,
    SetupBuildx,
    Login,
    BuildPush,
    AttestBuildProvenance,
    UploadArtifact,
    DownloadArtifact,
}

impl StandIn {
    /// The stand-in for `owner/repo[/path]` (the `uses:` without its ref).
    pub fn of(action: &str) -> Option<StandIn> {
        Some(match action.to_ascii_lowercase().as_str() {
            "actions/checkout" => StandIn::Checkout,
            "docker/setup-qemu-action" => StandIn::SetupQemu,
            "docker/setup-buildx-action" => StandIn::SetupBuildx,
            "docker/login-action" => StandIn::Login,
            "docker/build-push-action" => StandIn::BuildPush,
            "actions/attest-build-provenance" => StandIn::AttestBuildProvenance,
            "actions/upload-artifact" => StandIn::UploadArtifact,
            "actions/download-artifact" => StandIn::DownloadArtifact,
            _ => return None,
        })
    }

    /// The real action's inputs (its `action.yml`).
    pub fn inputs(self) -> &'static [&'static str] {
        match self {
            StandIn::Checkout => &[
                "repository",
                "ref",
                "token",
                "ssh-key",
                "ssh-known-hosts",
                "ssh-strict",
                "ssh-user",
                "persist-credentials",
                "path",
                "clean",
                "filter",
                "sparse-checkout",
                "sparse-checkout-cone-mode",
                "fetch-depth",
                "fetch-tags",
                "show-progress",
                "lfs",
                "submodules",
                "set-safe-directory",
                "github-server-url",
            ],
            StandIn::SetupQemu => &["image", "platforms", "cache-image"],
            StandIn::SetupBuildx => &[
                "version",
                "driver",
                "driver-opts",
                "buildkitd-flags",
                "buildkitd-config",
                "buildkitd-config-inline",
                "install",
                "use",
                "name",
                "endpoint",
                "platforms",
                "append",
                "keep-state",
                "cache-binary",
                "cleanup",
            ],
            StandIn::Login => &["registry", "username", "password", "ecr", "logout"],
            StandIn::BuildPush => &[
                "add-hosts",
                "allow",
                "annotations",
                "attests",
                "build-args",
                "build-contexts",
                "builder",
                "cache-from",
                "cache-to",
                "call",
                "cgroup-parent",
                "context",
                "file",
                "labels",
                "load",
                "network",
                "no-cache",
                "no-cache-filters",
                "outputs",
                "platforms",
                "provenance",
                "pull",
                "push",
                "sbom",
                "secrets",
                "secret-envs",
                "secret-files",
                "shm-size",
                "ssh",
                "tags",
                "target",
                "ulimit",
                "github-token",
            ],
            StandIn::AttestBuildProvenance => &[
                "subject-path",
                "subject-digest",
                "subject-name",
                "subject-checksums",
                "push-to-registry",
                "show-summary",
                "github-token",
            ],
            StandIn::UploadArtifact => &[
                "name",
                "path",
                "if-no-files-found",
                "retention-days",
                "compression-level",
                "overwrite",
                "include-hidden-files",
            ],
            StandIn::DownloadArtifact => &[
                "name",
                "path",
                "pattern",
                "merge-multiple",
                "github-token",
                "repository",
                "run-id",
            ],
        }
    }

    /// The real action's outputs.
    pub fn outputs(self) -> &'static [&'static str] {
        match self {
            StandIn::Checkout => &["ref", "commit"],
            StandIn::SetupQemu => &["platforms"],
            StandIn::SetupBuildx => &[
                "name",
                "driver",
                "platforms",
                "nodes",
                "endpoint",
                "status",
                "flags",
            ],
            StandIn::Login => &[],
            StandIn::BuildPush => &["imageid", "digest", "metadata"],
            StandIn::AttestBuildProvenance => &["bundle-path", "attestation-id", "attestation-url"],
            StandIn::UploadArtifact => &["artifact-id", "artifact-url", "artifact-digest"],
            StandIn::DownloadArtifact => &["download-path"],
        }
    }

    /// Refuses a `with:` key the real action does not have.
    pub fn check_inputs(self, with: &BTreeMap<String, String>) -> Result<(), String> {
        match with
            .keys()
            .find(|name| !self.inputs().contains(&name.as_str()))
        {
            Some(name) => Err(format!(
                "{self:?}: Unexpected input '{name}', valid inputs are [{}]",
                self.inputs().join(", ")
            )),
            None => Ok(()),
        }
    }
}

/// Runs `stand_in`; returns its outputs. Progress goes to the step's stdout.
pub(crate) fn run(
    stand_in: StandIn,
    host: &mut JobHost<'_, '_, '_>,
    with: &BTreeMap<String, String>,
    record: &mut StepRun,
) -> Result<BTreeMap<String, String>, String> {
    let inputs = Inputs(with);
    match stand_in {
        StandIn::Checkout => checkout(host, inputs, record),
        StandIn::SetupQemu => Ok(outputs(&[(
            "platforms",
            "linux/amd64,linux/arm64,linux/arm/v7",
        )])),
        StandIn::SetupBuildx => Ok(outputs(&[
            ("name", "builder-gantry-simulator"),
            ("driver", "docker-container"),
            ("platforms", "linux/amd64,linux/arm64"),
            ("status", "running"),
        ])),
        StandIn::Login => {
            if inputs.get("username").is_empty() || inputs.get("password").is_empty() {
                return Err("Username and password required".to_owned());
            }
            let registry = inputs.or("registry", "docker.io");
            record
                .stdout
                .push_str(&format!("Logging into {registry}...\nLogin Succeeded!\n"));
            host.run.sim.records().logins.push(Login {
                run: host.run.id,
                registry: registry.to_owned(),
                username: inputs.get("username").to_owned(),
            });
            Ok(BTreeMap::new())
        }
        StandIn::BuildPush => build_push(host, inputs, record),
        StandIn::AttestBuildProvenance => attest(host, inputs, record),
        StandIn::UploadArtifact => upload(host, inputs, record),
        StandIn::DownloadArtifact => download(host, inputs, record),
    }
}

/// The `with:` values of a stand-in step; a missing input is empty, as for `core.getInput`.
#[derive(Clone, Copy)]
struct Inputs<'a>(&'a BTreeMap<String, String>);

impl<'a> Inputs<'a> {
    fn get(self, name: &str) -> &'a str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }

    fn or(self, name: &str, default: &'a str) -> &'a str {
        match self.get(name) {
            "" => default,
            value => value,
        }
    }

    /// `core.getBooleanInput`: YAML 1.2 core schema booleans only.
    fn boolean(self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name) {
            "" => Ok(default),
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            other => Err(format!(
                "Input does not meet YAML 1.2 \"Core Schema\" specification: {name} ({other:?})"
            )),
        }
    }

    /// docker/actions-toolkit `Util.getInputList`: an item per line, and per comma unless
    /// `ignore_comma`; trimmed, empty items dropped.
    fn list(self, name: &str, ignore_comma: bool) -> Vec<String> {
        self.get(name)
            .lines()
            .flat_map(|line| {
                if ignore_comma {
                    vec![line]
                } else {
                    line.split(',').collect()
                }
            })
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn outputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn checkout(
    host: &mut JobHost<'_, '_, '_>,
    inputs: Inputs<'_>,
    record: &mut StepRun,
) -> Result<BTreeMap<String, String>, String> {
    let run = &*host.run;
    let repository = inputs.or("repository", &run.repository).to_owned();
    let origin = run.sim.origin(&repository)?;
    let depth: u32 = inputs.or("fetch-depth", "1").parse().map_err(|_| {
        format!(
            "fetch-depth: {:?} is not a number",
            inputs.get("fetch-depth")
        )
    })?;
    // The ref and commit: the event's, unless `ref` names another.
    let (git_ref, commit) = match inputs.get("ref") {
        "" if repository == run.repository => (run.event.git_ref.clone(), run.event.sha.clone()),
        "" => ("refs/heads/main".to_owned(), String::new()),
        sha if sha.len() == 40 && sha.bytes().all(|byte| byte.is_ascii_hexdigit()) => {
            (String::new(), sha.to_owned())
        }
        name if name.starts_with("refs/") => (name.to_owned(), String::new()),
        name => {
            let branch = format!("refs/heads/{name}");
            let is_branch = try_git_in(&origin, &["rev-parse", "--verify", "-q", &branch]).is_ok();
            (
                if is_branch {
                    branch
                } else {
                    format!("refs/tags/{name}")
                },
                String::new(),
            )
        }
    };
    let commit = if commit.is_empty() {
        try_git_in(&origin, &["rev-parse", &format!("{git_ref}^{{commit}}")])
            .map_err(|_| format!("A branch or tag with the name '{git_ref}' could not be found"))?
    } else {
        commit
    };
    let target = host.workspace.join(inputs.get("path"));
    std::fs::create_dir_all(&target).map_err(|error| error.to_string())?;
    let git = |args: &[&str]| try_git_in(&target, args);
    git(&["init", "-q"])?;
    git(&[
        "remote",
        "add",
        "origin",
        &format!("file://{}", origin.display()),
    ])?;
    // ref-helper.ts getRefSpec: where the fetched commit lands.
    let local = if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
        format!("refs/remotes/origin/{branch}")
    } else if let Some(pull) = git_ref.strip_prefix("refs/pull/") {
        format!("refs/remotes/pull/{pull}")
    } else if git_ref.starts_with("refs/tags/") {
        git_ref.clone()
    } else {
        String::new()
    };
    let mut fetch: Vec<String> = vec![
        "fetch".into(),
        "-q".into(),
        "--prune".into(),
        "--no-recurse-submodules".into(),
    ];
    if depth == 0 {
        fetch.extend([
            "origin".into(),
            "+refs/heads/*:refs/remotes/origin/*".into(),
            "+refs/tags/*:refs/tags/*".into(),
        ]);
        if git_ref.starts_with("refs/pull/") {
            fetch.push(format!("+{commit}:{local}"));
        }
    } else {
        fetch.extend([
            "--no-tags".into(),
            format!("--depth={depth}"),
            "origin".into(),
        ]);
        fetch.push(if local.is_empty() {
            commit.clone()
        } else {
            format!("+{commit}:{local}")
        });
    }
    let fetch: Vec<&str> = fetch.iter().map(String::as_str).collect();
    git(&fetch)?;
    match git_ref.strip_prefix("refs/heads/") {
        Some(branch) => git(&["checkout", "-q", "--force", "-B", branch, &local])?,
        None => git(&["checkout", "-q", "--force", "--detach", &commit])?,
    };
    if inputs.boolean("persist-credentials", true)? {
        git(&[
            "config",
            "--local",
            "http.https://github.com/.extraheader",
            "AUTHORIZATION: basic ***",
        ])?;
    }
    record.stdout.push_str(&format!(
        "Checked out {repository} {git_ref} ({commit}), depth {depth}\n"
    ));
    Ok(outputs(&[("ref", &git_ref), ("commit", &commit)]))
}

fn build_push(
    host: &mut JobHost<'_, '_, '_>,
    inputs: Inputs<'_>,
    record: &mut StepRun,
) -> Result<BTreeMap<String, String>, String> {
    let context = inputs.or("context", ".");
    if !host.workspace.join(context).is_dir() {
        return Err(format!(
            "ERROR: unable to prepare context: path \"{context}\" not found"
        ));
    }
    let file = match inputs.get("file") {
        "" => format!("{}/Dockerfile", context.trim_end_matches('/')),
        file => file.to_owned(),
    };
    if !host.workspace.join(&file).is_file() {
        return Err(format!(
            "ERROR: failed to read dockerfile: open {file}: no such file or directory"
        ));
    }
    let platforms = match inputs.list("platforms", false) {
        platforms if platforms.is_empty() => vec!["linux/amd64".to_owned()],
        platforms => platforms,
    };
    let tags = inputs.list("tags", false);
    let labels: Map<String, Value> = key_values(&inputs.list("labels", true))?;
    let mut image_annotations = Map::new();
    let mut index_annotations = Map::new();
    for line in inputs.list("annotations", true) {
        let (levels, pair) = match line.split_once('=').map(|(key, _)| key.contains(':')) {
            Some(true) => line
                .split_once(':')
                .map(|(levels, pair)| (levels.to_owned(), pair.to_owned()))
                .unwrap_or_default(),
            _ => ("manifest".to_owned(), line.clone()),
        };
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("annotations: {line:?} is not key=value"))?;
        for level in levels.split(',') {
            match level.trim() {
                "manifest" => image_annotations.insert(key.to_owned(), json!(value)),
                "index" => index_annotations.insert(key.to_owned(), json!(value)),
                "manifest-descriptor" | "index-descriptor" => None,
                other => return Err(format!("annotations: unknown level {other:?} in {line:?}")),
            };
        }
    }
    let push = inputs.boolean("push", false)?;
    let provenance = inputs.get("provenance") != "false";
    let build_args = inputs.list("build-args", true);
    let mut build = Build {
        run: host.run.id,
        job: host.job_id.clone(),
        context: context.to_owned(),
        file: file.clone(),
        platforms: platforms.clone(),
        tags: tags.clone(),
        labels: labels.clone(),
        build_args,
        pushed: push,
        digest: String::new(),
    };
    let mut result = BTreeMap::new();
    if push {
        if tags.is_empty() {
            return Err("ERROR: tag is needed when pushing to registry".to_owned());
        }
        let registry = host
            .run
            .sim
            .registry
            .ok_or("build-push: the simulator has no registry to push to")?;
        let mut repository = None;
        let mut tag_names = Vec::new();
        for tag in &tags {
            let (name, tag_name) = tag
                .rsplit_once(':')
                .filter(|(name, _)| name.contains('/'))
                .ok_or_else(|| format!("build-push: tag {tag:?} is not host/repository:tag"))?;
            let (host_name, path) = name.split_once('/').expect("checked above");
            if host_name != registry.host() {
                return Err(format!(
                    "ERROR: failed to push {tag}: dial tcp: lookup {host_name}: the simulator's registry is {}",
                    registry.host()
                ));
            }
            match &repository {
                None => repository = Some(path.to_owned()),
                Some(first) if first != path => {
                    return Err(format!(
                        "build-push: the stand-in pushes one repository per build ({first} and {path})"
                    ));
                }
                Some(_) => {}
            }
            tag_names.push(tag_name.to_owned());
        }
        let repository = repository.expect("at least one tag");
        let platform_refs: Vec<&str> = platforms.iter().map(String::as_str).collect();
        let mut builder = registry
            .index(&repository)
            .platforms(&platform_refs)
            .labels(labels)
            .annotations(image_annotations, index_annotations)
            .tag(&tag_names[0]);
        if provenance {
            builder = builder.attestations();
        }
        let index = builder.push();
        for tag in &tag_names[1..] {
            registry.push_manifest(&repository, tag, &index.media_type, &index.manifest);
        }
        let imageid = index.images[0].config.digest.clone();
        let metadata = json!({
            "buildx.build.ref": format!("builder-gantry-simulator/builder-gantry-simulator0/{}", host.run.id),
            "containerimage.descriptor": {"mediaType": index.media_type, "digest": index.digest, "size": index.manifest.len()},
            "containerimage.config.digest": imageid,
            "containerimage.digest": index.digest,
            "image.name": tags.join(","),
        });
        record
            .stdout
            .push_str(&format!("pushed {} ({})\n", tags.join(", "), index.digest));
        build.digest = index.digest.clone();
        result = outputs(&[
            ("imageid", &imageid),
            ("digest", &index.digest),
            ("metadata", &metadata.to_string()),
        ]);
    } else {
        record.stdout.push_str("WARNING: No output specified with docker-container driver. Build result will only remain in the build cache.\n");
        let metadata = json!({"buildx.build.ref": format!("builder-gantry-simulator/builder-gantry-simulator0/{}", host.run.id)});
        result.insert("metadata".to_owned(), metadata.to_string());
    }
    host.run.sim.records().builds.push(build);
    Ok(result)
}

/// `KEY=VALUE` lines.
fn key_values(lines: &[String]) -> Result<Map<String, Value>, String> {
    lines
        .iter()
        .map(|line| {
            line.split_once('=')
                .map(|(key, value)| (key.to_owned(), json!(value)))
                .ok_or_else(|| format!("{line:?} is not KEY=VALUE"))
        })
        .collect()
}

fn attest(
    host: &mut JobHost<'_, '_, '_>,
    inputs: Inputs<'_>,
    record: &mut StepRun,
) -> Result<BTreeMap<String, String>, String> {
    if host.permissions.level("id-token") < Level::Write {
        return Err("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable (the job needs permissions: id-token: write)".to_owned());
    }
    if host.permissions.level("attestations") < Level::Write {
        return Err("Failed to persist attestation: Resource not accessible by integration (the job needs permissions: attestations: write)".to_owned());
    }
    let sim = host.run.sim;
    if let Some(message) = &sim.attestations_unavailable {
        return Err(format!("Failed to persist attestation: {message}"));
    }
    let (name, digest) = (inputs.get("subject-name"), inputs.get("subject-digest"));
    if name.is_empty() || !digest.starts_with("sha256:") {
        return Err(format!(
            "One of subject-path, subject-digest or subject-checksums must be provided (subject-digest {digest:?})"
        ));
    }
    let mut referrer = None;
    if inputs.boolean("push-to-registry", false)? {
        let registry = sim
            .registry
            .ok_or("attest: the simulator has no registry")?;
        let repository = name
            .strip_prefix(&format!("{}/", registry.host()))
            .ok_or_else(|| {
                format!(
                    "attest: {name} is not in the simulator's registry {}",
                    registry.host()
                )
            })?;
        let manifest: Value =
            serde_json::from_slice(&registry.inspect_raw(&format!("{repository}@{digest}")))
                .map_err(|error| format!("attest: the subject's manifest: {error}"))?;
        let raw = registry.inspect_raw(&format!("{repository}@{digest}"));
        let subject = Descriptor {
            media_type: manifest["mediaType"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            digest: digest.to_owned(),
            size: raw.len() as u64,
        };
        referrer = Some(
            registry
                .push_referrer(repository, &subject, SIGSTORE_BUNDLE)
                .digest,
        );
    }
    let mut records = sim.records();
    let id = records.attestations.len() + 1;
    records.attestations.push(Attestation {
        run: host.run.id,
        subject_name: name.to_owned(),
        subject_digest: digest.to_owned(),
        referrer,
    });
    drop(records);
    let bundle = host.temp.join(format!("attestation-{id}.json"));
    std::fs::write(
        &bundle,
        json!({"mediaType": SIGSTORE_BUNDLE, "subject": {"name": name, "digest": digest}})
            .to_string(),
    )
    .map_err(|error| error.to_string())?;
    record
        .stdout
        .push_str(&format!("Attestation created for {name}@{digest}\n"));
    let url = format!(
        "https://github.com/{}/attestations/{id}",
        host.run.repository
    );
    Ok(outputs(&[
        ("bundle-path", &bundle.display().to_string()),
        ("attestation-id", &id.to_string()),
        ("attestation-url", &url),
    ]))
}

fn upload(
    host: &mut JobHost<'_, '_, '_>,
    inputs: Inputs<'_>,
    record: &mut StepRun,
) -> Result<BTreeMap<String, String>, String> {
    let name = inputs.or("name", "artifact");
    let lines = inputs.list("path", true);
    if lines.is_empty() {
        return Err("Input required and not supplied: path".to_owned());
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let mut roots: Vec<PathBuf> = Vec::new();
    for line in &lines {
        let path = host.workspace.join(line);
        if line.contains(['*', '?', '[']) {
            let glob = globset::Glob::new(&path.display().to_string())
                .map_err(|error| format!("path {line}: {error}"))?
                .compile_matcher();
            let base: PathBuf = path
                .ancestors()
                .find(|dir| !dir.display().to_string().contains(['*', '?', '[']))
                .unwrap_or(Path::new("/"))
                .to_path_buf();
            roots.push(base.clone());
            files.extend(walk(&base).into_iter().filter(|file| glob.is_match(file)));
        } else if path.is_dir() {
            roots.push(path.clone());
            files.extend(walk(&path));
        } else if path.is_file() {
            roots.push(path.parent().expect("a file has a parent").to_path_buf());
            files.push(path);
        }
    }
    if files.is_empty() {
        let message = format!(
            "No files were found with the provided path: {}. No artifacts will be uploaded.",
            lines.join(", ")
        );
        return match inputs.or("if-no-files-found", "warn") {
            "error" => Err(message),
            "ignore" => Ok(BTreeMap::new()),
            _ => {
                record.stdout.push_str(&format!("::warning::{message}\n"));
                Ok(BTreeMap::new())
            }
        };
    }
    // The least common ancestor of the search paths is the artifact's root.
    let mut root = roots[0].clone();
    for other in &roots[1..] {
        while !other.starts_with(&root) {
            root = root.parent().expect("paths share /").to_path_buf();
        }
    }
    let destination = host.run.artifacts.join(name);
    if destination.exists() {
        if !inputs.boolean("overwrite", false)? {
            return Err(format!(
                "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run ({name})"
            ));
        }
        std::fs::remove_dir_all(&destination).map_err(|error| error.to_string())?;
    }
    let mut digest = sha2::Sha256::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under the root");
        let to = destination.join(relative);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))
            .map_err(|error| error.to_string())?;
        std::fs::copy(file, &to).map_err(|error| error.to_string())?;
        use sha2::Digest as _;
        digest.update(relative.display().to_string().as_bytes());
        digest.update(std::fs::read(file).map_err(|error| error.to_string())?);
    }
    use sha2::Digest as _;
    let digest = hex::encode(digest.finalize());
    let mut records = host.run.sim.records();
    records.artifacts += 1;
    let id = records.artifacts;
    drop(records);
    record.stdout.push_str(&format!(
        "Uploaded artifact {name}: {} file(s)\n",
        files.len()
    ));
    let url = format!(
        "https://github.com/{}/actions/runs/{}/artifacts/{id}",
        host.run.repository, host.run.id
    );
    Ok(outputs(&[
        ("artifact-id", &id.to_string()),
        ("artifact-url", &url),
        ("artifact-digest", &digest),
    ]))
}

fn download(
    host: &mut JobHost<'_, '_, '_>,
    inputs: Inputs<'_>,
    record: &mut StepRun,
) -> Result<BTreeMap<String, String>, String> {
    let path = host.workspace.join(inputs.get("path"));
    let store = &host.run.artifacts;
    let mut names: Vec<String> = std::fs::read_dir(store)
        .map_err(|error| error.to_string())?
        .map(|entry| {
            entry
                .expect("an artifact")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let copies: Vec<(String, PathBuf)> = match inputs.get("name") {
        "" => {
            let pattern = globset::Glob::new(inputs.or("pattern", "*"))
                .map_err(|error| format!("pattern: {error}"))?
                .compile_matcher();
            let merge = inputs.boolean("merge-multiple", false)?;
            names
                .into_iter()
                .filter(|name| pattern.is_match(name))
                .map(|name| {
                    let to = if merge {
                        path.clone()
                    } else {
                        path.join(&name)
                    };
                    (name, to)
                })
                .collect()
        }
        name if names.iter().any(|known| known == name) => vec![(name.to_owned(), path.clone())],
        name => {
            return Err(format!(
                "Unable to download artifact(s): Artifact not found for name: {name}"
            ));
        }
    };
    for (name, to) in &copies {
        let from = store.join(name);
        for file in walk(&from) {
            let target = to.join(file.strip_prefix(&from).expect("under the artifact"));
            std::fs::create_dir_all(target.parent().expect("a file has a parent"))
                .map_err(|error| error.to_string())?;
            std::fs::copy(&file, &target).map_err(|error| error.to_string())?;
        }
        record
            .stdout
            .push_str(&format!("Downloaded artifact {name} to {}\n", to.display()));
    }
    Ok(outputs(&[("download-path", &path.display().to_string())]))
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
