//! From what changed to the services to build, each with the reason it was selected.
//!
//! The dependency closure is one pass over the graph in topological order (dependencies
//! first), so a long `depends-on` chain costs linear time, not a search per service.

use std::collections::HashMap;
use std::fmt;

use gantry_manifest::{Manifest, Service};

use crate::git::short;
use crate::matcher::{IgnoreGroup, Matcher, Node, Touches};

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
    /// `--since-last-build`: what changed since the commit of its newest image.
    NotBuiltSince { sha: String, because: Box<Reason> },
    /// `--since-last-build`: no image of the service was built from the head's history.
    NotBuiltYet,
    /// `--newer-than`: its newest build, from commit `sha`, is not at the tag `not_at`
    /// (`None`: `--all`, whatever the tag points at).
    NewestBuild { sha: String, not_at: Option<String> },
}

impl Reason {
    /// The reason with the number of other files (`file a/b.py (+12 more)`), for people.
    /// [`Display`](fmt::Display) gives the stable form without it.
    pub fn detailed(&self) -> String {
        match self {
            Self::File { others, .. } | Self::Global { others, .. } if *others > 0 => {
                format!("{self} (+{others} more)")
            }
            Self::NotBuiltSince { sha, because } => {
                format!("not built since {}: {}", short(sha), because.detailed())
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
            Self::NotBuiltSince { sha, because } => {
                write!(f, "not built since {}: {because}", short(sha))
            }
            Self::NotBuiltYet => f.write_str("not built yet"),
            Self::NewestBuild {
                sha,
                not_at: Some(tag),
            } => write!(f, "newest build {} not at {tag}", short(sha)),
            Self::NewestBuild { sha, not_at: None } => {
                write!(f, "newest build {}: --all", short(sha))
            }
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

/// The `depends-on` graph over the matcher's nodes (libraries, then services).
#[derive(Debug)]
pub struct Graph {
    /// Each node's direct dependencies, in `depends-on` order.
    depends_on: Vec<Vec<Node>>,
    /// Each node's direct dependents.
    dependents: Vec<Vec<Node>>,
    /// Every node, dependencies before their dependents.
    order: Vec<Node>,
    /// Where services start among the nodes (after the libraries).
    first_service: Node,
}

impl Graph {
    /// The graph of a validated (acyclic) manifest, with nodes numbered as `matcher`'s.
    pub fn new(manifest: &Manifest, matcher: &Matcher) -> Self {
        let index: HashMap<&str, Node> = matcher
            .nodes()
            .iter()
            .enumerate()
            .map(|(node, name)| (name.as_str(), node))
            .collect();
        let depends_on: Vec<Vec<Node>> = matcher
            .nodes()
            .iter()
            .map(|name| {
                manifest
                    .depends_on(name)
                    .iter()
                    .filter_map(|dep| index.get(dep.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut dependents = vec![Vec::new(); depends_on.len()];
        for (node, deps) in depends_on.iter().enumerate() {
            for &dep in deps {
                dependents[dep].push(node);
            }
        }
        let order = topological(&depends_on);
        Self {
            depends_on,
            dependents,
            order,
            first_service: manifest.libraries.len(),
        }
    }

    /// The node of the `index`-th service.
    pub fn service_node(&self, index: usize) -> Node {
        self.first_service + index
    }
}

/// Searches for dependents, reusing one visited mark per node between searches.
struct Search {
    /// The search that last visited each node.
    visited_by: Vec<usize>,
    searches: usize,
}

impl Search {
    fn new(nodes: usize) -> Self {
        Self {
            visited_by: vec![0; nodes],
            searches: 0,
        }
    }

    /// Every service node that depends, directly or not, on `node`.
    fn dependent_services(&mut self, graph: &Graph, node: Node) -> Vec<Node> {
        self.searches += 1;
        let mut stack = vec![node];
        let mut found = Vec::new();
        while let Some(current) = stack.pop() {
            for &dependent in &graph.dependents[current] {
                if std::mem::replace(&mut self.visited_by[dependent], self.searches)
                    != self.searches
                {
                    if dependent >= graph.first_service {
                        found.push(dependent);
                    }
                    stack.push(dependent);
                }
            }
        }
        found
    }
}

/// Dependencies before dependents, iteratively (a long chain cannot overflow the stack).
fn topological(depends_on: &[Vec<Node>]) -> Vec<Node> {
    let mut done = vec![false; depends_on.len()];
    let mut order = Vec::with_capacity(depends_on.len());
    for start in 0..depends_on.len() {
        if done[start] {
            continue;
        }
        done[start] = true;
        let mut stack = vec![(start, 0)];
        while let Some((node, next)) = stack.last_mut() {
            match depends_on[*node].get(*next) {
                Some(&dep) => {
                    *next += 1;
                    if !std::mem::replace(&mut done[dep], true) {
                        stack.push((dep, 0));
                    }
                }
                None => {
                    order.push(*node);
                    stack.pop();
                }
            }
        }
    }
    order
}

/// For each node, how many `depends-on` steps away the nearest touched node is, and which.
type Nearest = Vec<Option<(usize, Node)>>;

/// For each node, the nearest touched node among itself and what it depends on: the fewest
/// `depends-on` steps, ties going to the earlier entry of each `depends-on` list (the order
/// a breadth-first search in `depends-on` order meets them).
fn nearest(graph: &Graph, touched: impl Fn(Node) -> bool) -> Nearest {
    let mut nearest: Nearest = vec![None; graph.depends_on.len()];
    for &node in &graph.order {
        nearest[node] = if touched(node) {
            Some((0, node))
        } else {
            graph.depends_on[node]
                .iter()
                .filter_map(|&dep| nearest[dep].map(|(steps, found)| (steps + 1, found)))
                .min_by_key(|&(steps, _)| steps)
        };
    }
    nearest
}

/// The services a change affects, as a reason per service in manifest order (`None`: not
/// affected): everything for a `global` file; else each service touched by a file of its
/// own, or depending (transitively) on a node touched by a file the service does not ignore,
/// with the nearest such dependency as the reason.
pub fn affected(
    manifest: &Manifest,
    matcher: &Matcher,
    graph: &Graph,
    touches: &Touches,
) -> Vec<Option<Reason>> {
    if let [first, ..] = touches.global.as_slice() {
        let reason = Reason::Global {
            path: touches.files[*first].clone(),
            others: touches.global.len() - 1,
        };
        return vec![Some(reason); manifest.services.len()];
    }
    let plain = nearest(graph, |node| !touches.of_node[node].is_empty());
    // A service whose `ignore` takes away every changed file of some touched node sees the
    // graph differently; the others share the plain answer.
    let touched: Vec<Node> = (0..touches.of_node.len())
        .filter(|&node| !touches.of_node[node].is_empty())
        .collect();
    let relevant = |node: Node, group| touches.relevant(node, group).next().is_some();
    let mut by_group: HashMap<IgnoreGroup, Option<Nearest>> = HashMap::new();
    (0..manifest.services.len())
        .map(|index| {
            let node = graph.service_node(index);
            let own = &touches.of_node[node];
            if let [first, ..] = own.as_slice() {
                return Some(Reason::File {
                    path: touches.files[*first].clone(),
                    others: own.len() - 1,
                });
            }
            let nearest_of = match matcher.ignore_group(node) {
                Some(group) => by_group
                    .entry(group)
                    .or_insert_with(|| {
                        touched
                            .iter()
                            .any(|&n| !relevant(n, Some(group)))
                            .then(|| nearest(graph, |n| relevant(n, Some(group))))
                    })
                    .as_ref()
                    .unwrap_or(&plain),
                None => &plain,
            };
            let (_, found) = nearest_of[node]?;
            Some(Reason::DependsOn(matcher.nodes()[found].clone()))
        })
        .collect()
}

/// The changed files that concern a service, by index into [`Touches::files`], in git's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFiles {
    /// Its own files, those of everything it depends on that it does not ignore, and the
    /// `global` ones.
    pub affecting: Vec<usize>,
    /// The files its `ignore` takes away from it or from what it depends on.
    pub ignored: Vec<usize>,
}

/// For each service (in manifest order), the changed files that concern it.
pub fn files_of_services(
    manifest: &Manifest,
    matcher: &Matcher,
    graph: &Graph,
    touches: &Touches,
) -> Vec<ServiceFiles> {
    let mut via: Vec<Vec<Node>> = vec![Vec::new(); matcher.nodes().len()];
    let mut search = Search::new(matcher.nodes().len());
    for (node, files) in touches.of_node.iter().enumerate() {
        if !files.is_empty() {
            for dependent in search.dependent_services(graph, node) {
                via[dependent].push(node);
            }
        }
    }
    (0..manifest.services.len())
        .map(|index| {
            let node = graph.service_node(index);
            let group = matcher.ignore_group(node);
            let mut affecting: Vec<usize> = touches.of_node[node].clone();
            affecting.extend(&touches.global);
            let mut ignored: Vec<usize> = touches.ignored_of_node[node].clone();
            for &dependency in &via[node] {
                for &file in &touches.of_node[dependency] {
                    if touches.is_ignored(file, group) {
                        ignored.push(file);
                    } else {
                        affecting.push(file);
                    }
                }
            }
            for files in [&mut affecting, &mut ignored] {
                files.sort_unstable();
                files.dedup();
            }
            ServiceFiles { affecting, ignored }
        })
        .collect()
}
