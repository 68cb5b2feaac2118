//! gantry.yml: the manifest every gantry tool reads.
//!
//! [`load`] reads and validates a manifest file; [`parse`] does the same for text in
//! memory. Both return a [`Loaded`] manifest with its warnings, or a [`ManifestError`]
//! that renders with miette (file, line, column, a caret under the culprit and the fix)
//! and lists every validation problem at once. Every `ManifestError` is bad input
//! (exit status 2 in the tools).
//!
//! Paths and globs in a manifest are relative to the directory that holds it (the
//! repository root in the usual layout); [`Loaded::root`] is that directory. Keys and the
//! rules are documented in `docs/manifest.md`; [`json_schema`] is the schema for editors.
//!
//! Every manifest is a list of environments ([`Manifest::environments`]): the declared
//! `deploy.environments`, or [`DEFAULT_ENVIRONMENT`] for the single-target form. [`ledger`]
//! names the deploy ledger's tags.

mod error;
pub mod glob;
mod image;
pub mod ledger;
mod model;
mod names;
mod paths;
mod raw;
mod schema;
mod validate;

use std::path::{Path, PathBuf};

pub use error::{ManifestError, Problem, Warning};
pub use model::{
    Age, AgeFrom, DEFAULT_ENVIRONMENT, DEFAULT_HISTORY, DEFAULT_STAGE, DEFAULT_TAG_VAR, Deploy,
    DokployTarget, Environment, Keep, Library, Manifest, NodeKind, Retention, RetentionRule,
    Service, ServiceDeploy, ServiceTarget,
};
pub use names::closest;
pub use schema::json_schema;

use error::Source;

/// Manifest format versions this build understands.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// Largest manifest accepted, in bytes. A real one is a few kilobytes; the cap keeps a wrong
/// `--manifest` path (a log, an image) from being parsed at length.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A validated manifest, where it came from, and what is worth fixing in it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest file as given to [`load`], or the name given to [`parse`].
    pub path: PathBuf,
    /// The directory manifest paths are relative to: the manifest's directory for [`load`]
    /// (`.` when the path has none), the root given to [`parse`] (empty when none was).
    pub root: PathBuf,
    /// Problems that do not stop the manifest from working, in file order.
    pub warnings: Vec<Warning>,
}

/// Read and validate the manifest at `path`. Its directory is the repository root that
/// its paths are relative to, and contexts and Dockerfiles are looked up there (a missing
/// one is a warning).
pub fn load(path: &Path) -> Result<Loaded, ManifestError> {
    let read_error = |source| ManifestError::Read {
        path: path.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if metadata.is_dir() {
        return Err(ManifestError::IsDirectory {
            path: path.to_owned(),
        });
    }
    if metadata.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            path: path.to_owned(),
            size: metadata.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // The valid prefix is UTF-8 by definition, so this never falls back.
        let (line, column) =
            error::line_column(std::str::from_utf8(valid).unwrap_or(""), valid.len());
        ManifestError::NotUtf8 {
            path: path.to_owned(),
            line,
            column,
        }
    })?;
    parse(
        &path.display().to_string(),
        &text,
        Some(&manifest_dir(path)),
    )
}

/// The directory of a manifest file, which its paths are relative to ([`Loaded::root`] of
/// [`load`]): `.` for a bare file name.
pub fn manifest_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Validate manifest `text`. `file_name` names it in errors and annotations; `root` is the
/// directory its paths are relative to, where contexts and Dockerfiles are looked up
/// (`None`: not looked up).
pub fn parse(file_name: &str, text: &str, root: Option<&Path>) -> Result<Loaded, ManifestError> {
    let source = Source {
        file: file_name,
        text,
    };
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            path: file_name.into(),
            size: text.len() as u64,
        });
    }
    if text
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        let problem = source.problem_at(
            (0, 0).into(),
            "the manifest is empty",
            "nothing here",
            Some("start with `version: 1` and a `services:` mapping".into()),
        );
        return Err(source.error(vec![problem]));
    }
    // One read when the manifest is fine. When it is not, a lenient second read reports
    // problems of the document as a whole first, then an unsupported version alone (before
    // the keys it might define), then the problem of the first read.
    let raw = deserialize::<raw::RawManifest>(&source);
    let version = match &raw {
        Ok(raw) => raw.version.clone(),
        Err(_) => deserialize::<raw::VersionProbe>(&source)?.version,
    };
    if let Some(version) = version
        && !SUPPORTED_VERSIONS.contains(&version.value)
    {
        let problem = source.problem(
            &version.at,
            format!("unsupported manifest version {}", version.value),
            "unsupported version",
            Some(format!(
                "this gantry reads version {}; upgrade gantry, or write the manifest for a \
                 supported version",
                supported_versions()
            )),
        );
        return Err(source.error(vec![problem]));
    }
    let (manifest, warnings) =
        validate::check(raw?, &source, root).map_err(|problems| source.error(problems))?;
    Ok(Loaded {
        manifest,
        path: file_name.into(),
        root: root.map(Path::to_owned).unwrap_or_default(),
        warnings: source.warnings(warnings),
    })
}

fn supported_versions() -> String {
    SUPPORTED_VERSIONS
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// YAML to `T` with gantry.yml's reading rules: a string is only what YAML 1.2 reads as a
/// string (`3.10` or `true` in a string field is an error asking for quotes, as the schema
/// and other YAML tools would read them as numbers and booleans), and nesting is capped so
/// hostile input cannot exhaust the stack.
fn deserialize<T: serde::de::DeserializeOwned>(source: &Source<'_>) -> Result<T, ManifestError> {
    let options = serde_saphyr::options! {
        no_schema: true,
        strict_booleans: true,
        // Events and nodes: about what MAX_MANIFEST_BYTES of plain YAML can hold (a
        // 10,000-service monorepo takes some 250,000 events). What aliases replay is capped
        // lower: anchors in a real manifest are a few shared lists.
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_events: 2_000_000,
            max_nodes: 2_000_000,
            max_recorded_anchor_events: 200_000,
        },
    };
    serde_saphyr::from_str_with_options(source.text, options)
        .map_err(|e| source.error(vec![source.parse_problem(&e)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_manifest_directory() {
        assert_eq!(manifest_dir(Path::new("gantry.yml")), Path::new("."));
        assert_eq!(
            manifest_dir(Path::new("repo/gantry.yml")),
            Path::new("repo")
        );
        assert_eq!(manifest_dir(Path::new("/r/gantry.yml")), Path::new("/r"));
    }
}
