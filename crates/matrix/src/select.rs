//! From what changed to the services to build, each with the reason it was selected.

use std::fmt;

use gantry_manifest::{Manifest, Service};

use crate::matcher::{Hit, Touched};

/// Why a service is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A file of its own changed (the first in git's order, and how many others did).
    File { path: String, others: usize },
    /// A service or library it depends on, directly or not, changed (the nearest one).
    DependsOn(String),
    /// A `global` file changed.
    Global { path: String, others: usize },
    /// No base to compare with.
    NoBase,
    /// `--all`.
    AllFlag,
    /// `--services`.
    Named,
}

impl Reason {
    /// The reason with the number of other files (`file a/b.py (+12 more)`), for people.
    /// [`Display`](fmt::Display) gives the stable form without it.
    pub fn detailed(&self) -> String {
        match self {
            Self::File { others, .. } | Self::Global { others, .. } if *others > 0 => {
                format!("{self} (+{others} more)")
            }
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, .. } => write!(f, "file {path}"),
            Self::DependsOn(name) => write!(f, "depends on {name}"),
            Self::Global { path, .. } => write!(f, "global {path}"),
            Self::NoBase => f.write_str("all: no base"),
            Self::AllFlag => f.write_str("all: --all"),
            Self::Named => f.write_str("selected: --services"),
        }
    }
}

/// A service to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected<'m> {
    pub service: &'m Service,
    pub reason: Reason,
}

/// Every service, for `reason`.
pub fn all(manifest: &Manifest, reason: Reason) -> Vec<Selected<'_>> {
    manifest
        .services()
        .map(|service| Selected {
            service,
            reason: reason.clone(),
        })
        .collect()
}

/// A `--services` name that is not a service of the manifest.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("--services names `{name}`, which is not a service of {manifest}")]
#[diagnostic(code(gantry::matrix::unknown_service))]
pub struct UnknownService {
    pub name: String,
    pub manifest: String,
    #[help]
    pub help: String,
}

/// The services named (in manifest order, each once).
pub fn named<'m>(
    manifest: &'m Manifest,
    names: &[String],
    manifest_name: &str,
) -> Result<Vec<Selected<'m>>, UnknownService> {
    if let Some(unknown) = names.iter().find(|n| manifest.service(n).is_none()) {
        let known = manifest.services.keys().map(String::as_str);
        let suggestion = gantry_manifest::closest(unknown, known.clone())
            .map(|name| format!("did you mean `{name}`? "))
            .unwrap_or_default();
        return Err(UnknownService {
            name: unknown.clone(),
            manifest: manifest_name.to_owned(),
            help: format!(
                "{suggestion}the services are: {}",
                known.collect::<Vec<_>>().join(", ")
            ),
        });
    }
    Ok(manifest
        .services()
        .filter(|service| names.contains(&service.name))
        .map(|service| Selected {
            service,
            reason: Reason::Named,
        })
        .collect())
}

/// The services a change affects: everything for a `global` file; else each service
/// touched by a file of its own, or depending (transitively) on a touched service or
/// library, with the nearest such dependency as the reason.
pub fn affected<'m>(manifest: &'m Manifest, touched: &Touched) -> Vec<Selected<'m>> {
    if let Some(Hit { first, count }) = &touched.global {
        let reason = Reason::Global {
            path: first.clone(),
            others: count - 1,
        };
        return all(manifest, reason);
    }
    manifest
        .services()
        .filter_map(|service| {
            let reason = match touched.nodes.get(&service.name) {
                Some(Hit { first, count }) => Reason::File {
                    path: first.clone(),
                    others: count - 1,
                },
                None => {
                    let nearest = manifest
                        .transitive_depends_on(&service.name)
                        .into_iter()
                        .find(|dependency| touched.nodes.contains_key(*dependency))?;
                    Reason::DependsOn(nearest.to_owned())
                }
            };
            Some(Selected { service, reason })
        })
        .collect()
}
