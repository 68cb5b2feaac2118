//! `--explain`: why each service was or was not selected. Every changed file with what it
//! touched (or which `ignore` took it), every service with the files or dependency that
//! selected it, and, for the others, what would have.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use gantry_manifest::{Manifest, Service};
use serde::Serialize;

use crate::git::short;
use crate::matcher::{Matcher, Touches};
use crate::select::{Graph, Reason, files_of_services};

/// How many files the text lists per service before `(+N more)`.
const TEXT_FILES: usize = 5;

/// The explanation of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Every changed file (inside the manifest's directory), in git's order.
    pub files: Vec<ExplainedFile>,
    /// The changed files that touch nothing: no service, library or `global` glob claims
    /// them, and no service ignores them.
    pub unclaimed: Vec<String>,
    /// Every service judged, by its index in the manifest.
    #[serde(serialize_with = "in_order")]
    pub services: BTreeMap<usize, ExplainedService>,
    /// Where each path is in `files`.
    #[serde(skip)]
    row_of: HashMap<String, usize>,
}

/// A changed file and what it touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExplainedFile {
    pub path: String,
    /// It matches a `global` glob.
    pub global: bool,
    /// The services and libraries it touches (their context, Dockerfile, `watch` or `paths`).
    pub touches: Vec<String>,
    /// The services it would have touched, directly or through `depends-on`, but that ignore it.
    pub ignored_by: Vec<String>,
}

/// A service, and why it was or was not selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExplainedService {
    pub service: String,
    pub selected: bool,
    /// Why it was selected.
    pub reason: Option<String>,
    /// `--since-last-build`: the commit of its last build, which its changes start from.
    pub base: Option<String>,
    /// The changed files that affect it: its own, its dependencies' (not ignored), `global`.
    pub files: Vec<String>,
    /// Changed files its `ignore` took away, from itself or from what it depends on.
    pub ignored: Vec<String>,
    /// For a service not selected: what would have selected it.
    pub why_not: Option<String>,
}

/// One change set and the services judged on it.
pub struct Judged<'a, 'm> {
    pub manifest: &'m Manifest,
    pub matcher: &'a Matcher,
    pub graph: &'a Graph,
    pub touches: &'a Touches,
    /// Each service's reason (manifest order); only `services` were judged on this change set.
    pub reasons: &'a [Option<Reason>],
    /// Indices (manifest order) of the services judged here.
    pub services: &'a [usize],
    /// `--since-last-build`: the commit of their last build.
    pub base: Option<&'a str>,
}

impl Explanation {
    /// Adds what one change set says about the services judged on it (one change set for
    /// the event; one per base with `--since-last-build`).
    pub fn add(&mut self, judged: &Judged<'_, '_>) {
        let Judged {
            manifest,
            matcher,
            graph,
            touches,
            reasons,
            services,
            base,
        } = *judged;
        let files = files_of_services(manifest, matcher, graph, touches);
        let mut ignored_by: Vec<Vec<String>> = vec![Vec::new(); touches.files.len()];
        let service_list: Vec<&Service> = manifest.services().collect();
        for &index in services {
            let service = service_list[index];
            for &file in &files[index].ignored {
                ignored_by[file].push(service.name.clone());
            }
            let reason = &reasons[index];
            self.services.insert(
                index,
                ExplainedService {
                    service: service.name.clone(),
                    selected: reason.is_some(),
                    reason: reason.as_ref().map(Reason::to_string),
                    base: base.map(str::to_owned),
                    files: paths(touches, &files[index].affecting),
                    ignored: paths(touches, &files[index].ignored),
                    why_not: reason.is_none().then(|| why_not(manifest, service)),
                },
            );
        }
        let mut touching: Vec<Vec<String>> = vec![Vec::new(); touches.files.len()];
        for (node, of_node) in touches.of_node.iter().enumerate() {
            for &file in of_node {
                touching[file].push(matcher.nodes()[node].clone());
            }
        }
        let global: HashSet<usize> = touches.global.iter().copied().collect();
        for (file, path) in touches.files.iter().enumerate() {
            let row = *self.row_of.entry(path.clone()).or_insert_with(|| {
                self.files.push(ExplainedFile {
                    path: path.clone(),
                    global: false,
                    touches: Vec::new(),
                    ignored_by: Vec::new(),
                });
                self.files.len() - 1
            });
            let entry = &mut self.files[row];
            entry.global |= global.contains(&file);
            merge(&mut entry.touches, &touching[file]);
            merge(&mut entry.ignored_by, &ignored_by[file]);
        }
        self.unclaimed = self
            .files
            .iter()
            .filter(|f| !f.global && f.touches.is_empty() && f.ignored_by.is_empty())
            .map(|f| f.path.clone())
            .collect();
    }

    /// Adds a service judged without a change set (`--since-last-build`: one never built,
    /// or built from the head itself, with `why_not` saying so).
    pub fn add_unchanged(
        &mut self,
        index: usize,
        service: &Service,
        reason: Option<&Reason>,
        base: Option<&str>,
        why_not: Option<String>,
    ) {
        self.services.insert(
            index,
            ExplainedService {
                service: service.name.clone(),
                selected: reason.is_some(),
                reason: reason.map(Reason::to_string),
                base: base.map(str::to_owned),
                files: Vec::new(),
                ignored: Vec::new(),
                why_not,
            },
        );
    }

    /// The explanation as text, after the report.
    pub fn to_text(&self) -> String {
        let mut text = String::from("\nchanged files:\n");
        if self.files.is_empty() {
            text.push_str("  none\n");
        }
        let width = self
            .files
            .iter()
            .map(|f| f.path.chars().count())
            .max()
            .unwrap_or(0);
        for file in &self.files {
            let mut what: Vec<String> = Vec::new();
            if file.global {
                what.push("global (every service)".to_owned());
            }
            what.extend(file.touches.iter().cloned());
            if what.is_empty() {
                what.push("nothing".to_owned());
            }
            let mut line = what.join(", ");
            if !file.ignored_by.is_empty() {
                let _ = write!(line, " (ignored by {})", file.ignored_by.join(", "));
            }
            let _ = writeln!(text, "  {:width$}  → {line}", file.path);
        }
        text.push_str("\nservices:\n");
        let width = self
            .services
            .values()
            .map(|s| s.service.chars().count())
            .max()
            .unwrap_or(0);
        for service in self.services.values() {
            let head = match (&service.reason, &service.why_not) {
                (Some(reason), _) => format!("selected: {reason}"),
                (None, Some(why_not)) => format!("not selected: {why_not}"),
                (None, None) => "not selected".to_owned(),
            };
            let _ = writeln!(text, "  {:width$}  {head}", service.service);
            let indent = " ".repeat(width + 4);
            if let Some(base) = &service.base {
                let _ = writeln!(text, "{indent}base: {}", short(base));
            }
            for (label, files) in [("files", &service.files), ("ignored", &service.ignored)] {
                if !files.is_empty() {
                    let _ = writeln!(text, "{indent}{label}: {}", listed(files));
                }
            }
        }
        text
    }
}

/// The services as a list, in manifest order.
fn in_order<S: serde::Serializer>(
    services: &BTreeMap<usize, ExplainedService>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(services.values())
}

/// The paths of `files`.
fn paths(touches: &Touches, files: &[usize]) -> Vec<String> {
    files
        .iter()
        .map(|&file| touches.files[file].clone())
        .collect()
}

/// Adds the names of `more` that `into` lacks.
fn merge(into: &mut Vec<String>, more: &[String]) {
    for name in more {
        if !into.contains(name) {
            into.push(name.clone());
        }
    }
}

/// Up to [`TEXT_FILES`] paths, then how many more.
fn listed(files: &[String]) -> String {
    let mut text = files
        .iter()
        .take(TEXT_FILES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > TEXT_FILES {
        let _ = write!(text, " (+{} more)", files.len() - TEXT_FILES);
    }
    text
}

/// What would select `service`: a change below its context, to its Dockerfile, matching its
/// `watch`, to what it depends on, or to `global`.
fn why_not(manifest: &Manifest, service: &Service) -> String {
    let mut places = vec![
        if service.context == "." {
            "anywhere in the repository".to_owned()
        } else {
            format!("below {}", service.context)
        },
        format!("at {}", service.dockerfile_path()),
    ];
    let globs = |globs: &[gantry_manifest::glob::PathGlob]| {
        globs
            .iter()
            .map(|g| format!("`{}`", g.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !service.watch.is_empty() {
        places.push(format!("matching watch {}", globs(&service.watch)));
    }
    let dependencies = manifest.depends_on(&service.name);
    if !dependencies.is_empty() {
        places.push(format!(
            "in what it depends on ({}, and their dependencies)",
            dependencies.join(", ")
        ));
    }
    let mut text = format!("no changed file {}", places.join(", "));
    if !service.ignore.is_empty() {
        let _ = write!(
            text,
            " that its ignore {} lets through",
            globs(&service.ignore)
        );
    }
    text
}
