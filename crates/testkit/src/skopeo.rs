//! Checks through `skopeo`, a registry client that shares no code with gantry.
//!
//! References are relative to the registry: `repo:tag` or `repo@sha256:…`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::registry::Registry;

/// Where Debian's `skopeo` package puts the binary.
pub const SKOPEO_BINARY: &str = "/usr/bin/skopeo";

impl Registry {
    /// `docker://127.0.0.1:PORT/<reference>`, skopeo's name for a registry-relative reference.
    pub fn skopeo_reference(&self, reference: &str) -> String {
        format!("docker://{}/{reference}", self.host())
    }

    /// The manifest bytes exactly as the registry serves them (`skopeo inspect --raw`).
    pub fn inspect_raw(&self, reference: &str) -> Vec<u8> {
        self.try_inspect_raw(reference)
            .unwrap_or_else(|message| self.fail(&message))
    }

    /// Like [`Self::inspect_raw`], with skopeo's complaint as the error.
    pub fn try_inspect_raw(&self, reference: &str) -> Result<Vec<u8>, String> {
        self.skopeo(&["inspect", "--raw"], reference)
    }

    /// `skopeo inspect` (resolves an index to the `linux/amd64` image and reads its config).
    pub fn inspect(&self, reference: &str) -> Value {
        let output = self
            .skopeo(&["inspect"], reference)
            .unwrap_or_else(|message| self.fail(&message));
        serde_json::from_slice(&output)
            .unwrap_or_else(|err| self.fail(&format!("skopeo inspect {reference}: {err}")))
    }

    /// The digest skopeo computes (`skopeo manifest-digest`) for the manifest at `reference`.
    pub fn digest_of(&self, reference: &str) -> String {
        let raw = self.inspect_raw(reference);
        let file = tempfile::NamedTempFile::new_in(self.dir())
            .unwrap_or_else(|err| self.fail(&format!("temporary manifest file: {err}")));
        std::fs::write(file.path(), &raw)
            .unwrap_or_else(|err| self.fail(&format!("write manifest file: {err}")));
        let output = run_skopeo(&["manifest-digest".as_ref(), file.path().as_os_str()])
            .unwrap_or_else(|message| self.fail(&message));
        String::from_utf8_lossy(&output).trim().to_owned()
    }

    /// Puts the tag `tag` on the manifest at `reference` (`repo:tag` or `repo@digest`), bytes
    /// unchanged, as gantry-promote would; returns its digest.
    pub fn retag(&self, reference: &str, tag: &str) -> String {
        let raw = self.inspect_raw(reference);
        let manifest: Value = serde_json::from_slice(&raw)
            .unwrap_or_else(|err| self.fail(&format!("manifest {reference} is not JSON: {err}")));
        let media_type = manifest["mediaType"]
            .as_str()
            .unwrap_or("application/vnd.oci.image.manifest.v1+json")
            .to_owned();
        self.push_manifest(repository_of(reference), tag, &media_type, &raw)
    }

    /// Panics unless the manifest at `reference`, every manifest an index lists (recursively)
    /// and every blob an image manifest lists (config, layers) can be fetched.
    pub fn assert_resolves_fully(&self, reference: &str) {
        if let Err(message) = self.resolves_fully(reference) {
            self.fail(&format!("{reference} does not resolve fully: {message}"));
        }
    }

    /// What [`Self::assert_resolves_fully`] checks, as a result: `Err` names the first missing
    /// manifest or blob.
    pub fn resolves_fully(&self, reference: &str) -> Result<(), String> {
        let repository = repository_of(reference);
        let mut visited = BTreeSet::new();
        self.resolve(repository, reference, &mut visited)
    }

    fn resolve(
        &self,
        repository: &str,
        reference: &str,
        visited: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        let raw = self.try_inspect_raw(reference)?;
        let manifest: Value = serde_json::from_slice(&raw)
            .map_err(|err| format!("manifest {reference} is not JSON: {err}"))?;
        if let Some(children) = manifest["manifests"].as_array() {
            for child in children {
                let digest = child["digest"]
                    .as_str()
                    .ok_or_else(|| format!("{reference} lists a child without a digest"))?;
                if visited.insert(digest.to_owned()) {
                    self.resolve(repository, &format!("{repository}@{digest}"), visited)
                        .map_err(|message| format!("child of {reference}: {message}"))?;
                }
            }
            return Ok(());
        }
        let blobs = std::iter::once(&manifest["config"])
            .chain(manifest["layers"].as_array().into_iter().flatten());
        for blob in blobs {
            let digest = blob["digest"]
                .as_str()
                .ok_or_else(|| format!("{reference} lists a blob without a digest"))?;
            if !self.blob_exists(repository, digest) {
                return Err(format!("blob {digest} of {reference} is missing"));
            }
        }
        Ok(())
    }

    fn skopeo(&self, command: &[&str], reference: &str) -> Result<Vec<u8>, String> {
        let target = self.skopeo_reference(reference);
        let creds = self
            .basic_auth()
            .map(|(user, password)| format!("{user}:{password}"));
        let mut args: Vec<&std::ffi::OsStr> = command.iter().map(|arg| arg.as_ref()).collect();
        args.push("--tls-verify=false".as_ref());
        match &creds {
            Some(creds) => {
                args.push("--creds".as_ref());
                args.push(creds.as_ref());
            }
            None => args.push("--no-creds".as_ref()),
        }
        args.push(target.as_ref());
        run_skopeo(&args)
    }
}

/// `repo` of `repo:tag` or `repo@digest`.
fn repository_of(reference: &str) -> &str {
    if let Some((repository, _)) = reference.split_once('@') {
        return repository;
    }
    match reference.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => reference,
    }
}

fn run_skopeo(args: &[&std::ffi::OsStr]) -> Result<Vec<u8>, String> {
    if !Path::new(SKOPEO_BINARY).exists() {
        panic!("{SKOPEO_BINARY} is missing; install it with `apt-get install skopeo`");
    }
    let output = Command::new(SKOPEO_BINARY)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {SKOPEO_BINARY}: {err}"));
    if output.status.success() {
        Ok(output.stdout)
    } else {
        // The command line, minus the value after --creds.
        let mut shown = Vec::new();
        let mut hide_next = false;
        for arg in args {
            let arg = arg.to_string_lossy();
            shown.push(if hide_next {
                "<redacted>".into()
            } else {
                arg.clone()
            });
            hide_next = arg == "--creds";
        }
        Err(format!(
            "skopeo {} failed ({}): {}",
            shown.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::repository_of;

    #[test]
    fn repository_is_split_from_tags_and_digests() {
        assert_eq!(repository_of("acme/api:v1"), "acme/api");
        assert_eq!(repository_of("acme/api@sha256:abc"), "acme/api");
        assert_eq!(repository_of("acme/api"), "acme/api");
    }
}
