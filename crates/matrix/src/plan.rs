//! The result of a run, and its renderings: the JSON document, the text report and the
//! step summary.

use std::fmt::Write as _;

use std::path::Path;

use gantry_gha::{Cell, Summary};
use gantry_manifest::Loaded;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::explain::Explanation;
use crate::git::short;
use crate::select::Selected;

/// The services to build for this event, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<'m> {
    /// In manifest order.
    pub selected: Vec<Selected<'m>>,
    /// How many services the manifest has.
    pub total: usize,
    /// The commit the change set starts from.
    pub base: Option<String>,
    /// The commit the change set ends at.
    pub head: Option<String>,
    /// Where the base came from (or why there is none), for people.
    pub note: String,
    /// The change set, when one was computed.
    pub changes: Option<Changes>,
    /// The manifest's directory as the paths of the matrix start with it (`""`, or
    /// `deploy/` for `--manifest deploy/gantry.yml`): contexts and Dockerfiles are given
    /// from the current directory, where the workflow's build steps run.
    pub path_prefix: String,
    /// `--list-files`: each selected service's changed files, in manifest order.
    pub files: Option<Vec<(String, Vec<String>)>>,
    /// `--explain`.
    pub explanation: Option<Explanation>,
    /// The first changed file matching a `redeploy` glob: the services are to be redeployed.
    pub redeploy: Option<String>,
    /// `--newer-than`: each selected service's newest build, `image:tag@digest`.
    pub images: Option<Vec<(String, String)>>,
    /// `--since-last-build`: each service's last build commit (`None`: not built yet).
    pub last_builds: Option<Vec<(String, Option<String>)>>,
}

/// Size of the change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Files that differ between base and head.
    pub files: usize,
    /// Of those, files outside the manifest's directory (they affect nothing).
    pub outside: usize,
    /// The manifest's directory from the top of the repository (`""` at the top).
    pub manifest_dir: String,
}

/// `value` as one line of JSON.
pub(crate) fn one_line(value: &impl Serialize) -> String {
    // Plain data (strings, numbers, maps with string keys): serialization cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// One `include` entry of the matrix.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Entry<'m> {
    pub service: &'m str,
    pub context: String,
    pub dockerfile: String,
    pub image: &'m str,
    pub platforms: &'m [String],
    pub build_args: Map<String, Value>,
    /// The same build arguments as `KEY=value` lines, the form docker/build-push-action's
    /// `build-args` input takes (it cannot take an object).
    pub build_args_lines: String,
}

/// `{"include": [...]}`.
#[derive(Debug, Serialize)]
pub struct Matrix<'m> {
    pub include: Vec<Entry<'m>>,
}

/// The JSON document of `--format json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Document<'p> {
    services: Vec<&'p str>,
    count: usize,
    base: Option<&'p str>,
    head: Option<&'p str>,
    reasons: Map<String, Value>,
    matrix: Matrix<'p>,
    base_reason: &'p str,
    changed_files: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeploy: Option<&'p str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    images: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_builds: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<&'p Explanation>,
}

impl<'m> Plan<'m> {
    /// A plan of `selected` for the manifest `loaded`, with nothing else known yet.
    pub fn new(selected: Vec<Selected<'m>>, loaded: &Loaded) -> Self {
        Self {
            selected,
            total: loaded.manifest.services.len(),
            base: None,
            head: None,
            note: String::new(),
            changes: None,
            path_prefix: path_prefix(&loaded.root),
            files: None,
            explanation: None,
            redeploy: None,
            images: None,
            last_builds: None,
        }
    }

    /// `--list-files` as a JSON object: service → array of paths.
    pub fn files_object(&self) -> Option<Map<String, Value>> {
        self.files.as_ref().map(|files| {
            files
                .iter()
                .map(|(name, paths)| (name.clone(), serde_json::json!(paths)))
                .collect()
        })
    }

    /// The matrix entries of `selected`.
    pub fn entries(&self, selected: &[Selected<'m>]) -> Vec<Entry<'m>> {
        selected
            .iter()
            .map(|Selected { service, .. }| Entry {
                service: &service.name,
                context: self.seen_from_cwd(&service.context),
                dockerfile: self.seen_from_cwd(service.dockerfile_path()),
                image: &service.image,
                platforms: &service.platforms,
                build_args: service
                    .build_args
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
                build_args_lines: service
                    .build_args
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
            .collect()
    }

    fn seen_from_cwd(&self, path: &str) -> String {
        match (self.path_prefix.as_str(), path) {
            ("", path) => path.to_owned(),
            (prefix, ".") => prefix.trim_end_matches('/').to_owned(),
            (prefix, path) => format!("{prefix}{path}"),
        }
    }

    /// The service names, in manifest order.
    pub fn names(&self) -> Vec<&str> {
        self.selected
            .iter()
            .map(|s| s.service.name.as_str())
            .collect()
    }

    /// The `--format json` document, on one line.
    pub fn to_json(&self) -> String {
        let document = Document {
            services: self.names(),
            count: self.selected.len(),
            base: self.base.as_deref(),
            head: self.head.as_deref(),
            reasons: self
                .selected
                .iter()
                .map(|s| (s.service.name.clone(), Value::String(s.reason.to_string())))
                .collect(),
            matrix: Matrix {
                include: self.entries(&self.selected),
            },
            base_reason: &self.note,
            changed_files: self.changes.as_ref().map(|c| c.files),
            files: self.files_object(),
            redeploy: self.redeploy.as_deref(),
            images: self.images.as_ref().map(|images| {
                images
                    .iter()
                    .map(|(name, image)| (name.clone(), Value::String(image.clone())))
                    .collect()
            }),
            last_builds: self.last_builds.as_ref().map(|builds| {
                builds
                    .iter()
                    .map(|(name, sha)| (name.clone(), serde_json::json!(sha)))
                    .collect()
            }),
            explain: self.explanation.as_ref(),
        };
        one_line(&document)
    }

    fn headline(&self) -> String {
        let plural = if self.total == 1 { "" } else { "s" };
        format!(
            "{} of {} service{plural} to build",
            self.selected.len(),
            self.total
        )
    }

    fn changes_line(&self) -> Option<String> {
        let changes = self.changes.as_ref()?;
        let plural = if changes.files == 1 { "" } else { "s" };
        let mut line = format!("{} changed file{plural}", changes.files);
        if changes.outside > 0 {
            let _ = write!(
                line,
                " ({} outside {}, where the manifest is)",
                changes.outside,
                changes.manifest_dir.trim_end_matches('/')
            );
        }
        Some(line)
    }

    /// The text report.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n", self.headline());
        let commit = |sha: &Option<String>| sha.as_deref().map_or("none", short).to_owned();
        let _ = writeln!(text, "base:    {} ({})", commit(&self.base), self.note);
        let _ = writeln!(text, "head:    {}", commit(&self.head));
        if let Some(line) = self.changes_line() {
            let _ = writeln!(text, "changes: {line}");
        }
        if let Some(path) = &self.redeploy {
            let _ = writeln!(text, "redeploy: {path} (a redeploy glob)");
        }
        if self.selected.is_empty() {
            text.push_str("\nnothing to build\n");
        } else {
            self.table(&mut text);
        }
        if let Some(explanation) = &self.explanation {
            text.push_str(&explanation.to_text());
        }
        text
    }

    fn table(&self, text: &mut String) {
        let width = |header: &str, column: fn(&Selected<'m>) -> &'m str| {
            self.selected
                .iter()
                .map(|s| column(s).chars().count())
                .fold(header.len(), usize::max)
        };
        let name_width = width("SERVICE", |s| &s.service.name);
        let image_width = width("IMAGE", |s| &s.service.image);
        let _ = writeln!(
            text,
            "\n{:name_width$}  {:image_width$}  REASON",
            "SERVICE", "IMAGE"
        );
        for selected in &self.selected {
            let _ = writeln!(
                text,
                "{:name_width$}  {:image_width$}  {}",
                selected.service.name,
                selected.service.image,
                selected.reason.detailed()
            );
        }
    }

    /// The Markdown for the step summary.
    pub fn to_summary(&self) -> Summary {
        let mut summary = Summary::new();
        summary.heading(2, &format!("gantry-matrix: {}", self.headline()));
        let commit = |sha: &Option<String>| {
            sha.as_deref()
                .map_or_else(|| "none".to_owned(), |sha| format!("`{}`", short(sha)))
        };
        let mut facts = vec![
            format!("Base: {} ({})", commit(&self.base), self.note),
            format!("Head: {}", commit(&self.head)),
        ];
        facts.extend(self.changes_line().map(|line| format!("Changes: {line}")));
        facts.extend(
            self.redeploy
                .as_ref()
                .map(|path| format!("Redeploy: `{path}` (a redeploy glob)")),
        );
        summary.list(facts);
        if self.selected.is_empty() {
            summary.paragraph("Nothing to build.");
        } else {
            summary.table(
                &["Service", "Image", "Reason"],
                self.selected.iter().map(|s| {
                    [
                        Cell::from(&s.service.name),
                        Cell::code(&s.service.image),
                        Cell::from(s.reason.detailed()),
                    ]
                }),
            );
        }
        summary
    }
}

/// The manifest's directory as a prefix of the paths in the matrix: `""` for the current
/// directory, else the directory and a `/`.
fn path_prefix(root: &Path) -> String {
    let root = root.to_string_lossy();
    let root = root.trim_start_matches("./").trim_end_matches('/');
    if root.is_empty() || root == "." {
        String::new()
    } else {
        format!("{root}/")
    }
}
