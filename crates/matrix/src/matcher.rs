//! Which manifest nodes a set of changed files touches, in one pass: the globs of every
//! service, library and of `global` are in a single `GlobSet`, and each match is mapped back
//! to the rules that use the glob. Contexts and Dockerfiles are paths, looked up directly.
//!
//! A service is touched by a file below its context (or the context itself), its Dockerfile
//! or a file a `watch` glob matches, unless an `ignore` glob matches it; a library by a file
//! its `paths` match; `global` by a file one of its globs matches.

use std::collections::HashMap;

use gantry_manifest::Manifest;
use gantry_manifest::glob::PathGlob;
use globset::{Candidate, Glob, GlobSet, GlobSetBuilder};

/// The manifest's globs cannot be compiled together (each one is valid: this is a limit of
/// the combined set, such as its size).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot compile the manifest's globs together: {0}")]
#[diagnostic(
    code(gantry::matrix::glob_set),
    help("simplify the globs (fewer or shorter alternatives), or split the manifest")
)]
pub struct MatcherError(#[from] globset::Error);

/// What a rule's match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `global`: every service.
    Global,
    /// Node `n` (libraries first, then services, in manifest order) is touched...
    Node(usize),
    /// ... unless this `ignore` rule of node `n` matches too.
    Ignore(usize),
}

/// One [`PathGlob`] of one target, as indices into the combined set.
#[derive(Debug)]
struct Rule {
    target: Target,
    none_of: Vec<usize>,
}

/// The globs and paths of a manifest, ready to match.
#[derive(Debug)]
pub struct Matcher {
    set: GlobSet,
    /// For each glob of the set, the rules it is an `any_of` glob of.
    rules_of_glob: Vec<Vec<usize>>,
    rules: Vec<Rule>,
    /// Services by context directory (`.` for the whole repository).
    contexts: HashMap<String, Vec<usize>>,
    /// Services by Dockerfile path.
    dockerfiles: HashMap<String, Vec<usize>>,
    /// Node names: libraries, then services.
    nodes: Vec<String>,
}

/// The first file that touched something, and how many did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub first: String,
    pub count: usize,
}

impl Hit {
    fn record(hit: &mut Option<Hit>, path: &str) {
        match hit {
            Some(hit) => hit.count += 1,
            None => {
                *hit = Some(Hit {
                    first: path.to_owned(),
                    count: 1,
                })
            }
        }
    }
}

/// What a change set touched.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Touched {
    /// Files matching `global`.
    pub global: Option<Hit>,
    /// Files touching each node, by node name (only nodes that were touched).
    pub nodes: HashMap<String, Hit>,
}

impl Matcher {
    /// Compiles the globs of `manifest`.
    pub fn new(manifest: &Manifest) -> Result<Self, MatcherError> {
        let mut builder = Builder::default();
        for glob in &manifest.global {
            builder.add(Target::Global, glob);
        }
        let libraries = manifest
            .libraries
            .values()
            .map(|l| (&l.name, &l.paths, None));
        let services = manifest.services().map(|s| (&s.name, &s.watch, Some(s)));
        for (index, (name, globs, service)) in libraries.chain(services).enumerate() {
            builder.nodes.push(name.clone());
            if let Some(service) = service {
                let by_path = |map: &mut HashMap<String, Vec<usize>>, path: &str| {
                    map.entry(path.to_owned()).or_default().push(index);
                };
                by_path(&mut builder.contexts, &service.context);
                by_path(&mut builder.dockerfiles, service.dockerfile_path());
                for glob in &service.ignore {
                    builder.add(Target::Ignore(index), glob);
                }
            }
            for glob in globs {
                builder.add(Target::Node(index), glob);
            }
        }
        builder.build()
    }

    /// What `files` (paths relative to the manifest's directory) touch.
    pub fn touched<'f>(&self, files: impl IntoIterator<Item = &'f str>) -> Touched {
        let mut global = None;
        let mut nodes: Vec<Option<Hit>> = vec![None; self.nodes.len()];
        let mut globs = Vec::new();
        let mut included = Vec::new();
        let mut ignored = Vec::new();
        for path in files {
            self.set
                .matches_candidate_into(&Candidate::new(path), &mut globs);
            globs.sort_unstable();
            included.clear();
            ignored.clear();
            let mut is_global = false;
            for &glob in &globs {
                for &rule in &self.rules_of_glob[glob] {
                    let rule = &self.rules[rule];
                    if rule.none_of.iter().any(|g| globs.binary_search(g).is_ok()) {
                        continue;
                    }
                    match rule.target {
                        Target::Global => is_global = true,
                        Target::Node(node) => included.push(node),
                        Target::Ignore(node) => ignored.push(node),
                    }
                }
            }
            if is_global {
                Hit::record(&mut global, path);
            }
            included.extend(self.dockerfiles.get(path).into_iter().flatten());
            // The path itself, each directory above it, and the repository (`.`).
            let directories = path
                .match_indices('/')
                .map(|(end, _)| &path[..end])
                .chain([path, "."]);
            for directory in directories {
                included.extend(self.contexts.get(directory).into_iter().flatten());
            }
            included.sort_unstable();
            included.dedup();
            for &node in &included {
                if !ignored.contains(&node) {
                    Hit::record(&mut nodes[node], path);
                }
            }
        }
        Touched {
            global,
            nodes: self
                .nodes
                .iter()
                .zip(nodes)
                .filter_map(|(name, hit)| Some((name.clone(), hit?)))
                .collect(),
        }
    }
}

/// Collects rules, sharing each distinct glob between every rule that uses it.
#[derive(Default)]
struct Builder {
    globs: Vec<Glob>,
    index_of: HashMap<String, usize>,
    rules_of_glob: Vec<Vec<usize>>,
    rules: Vec<Rule>,
    contexts: HashMap<String, Vec<usize>>,
    dockerfiles: HashMap<String, Vec<usize>>,
    nodes: Vec<String>,
}

impl Builder {
    fn add(&mut self, target: Target, glob: &PathGlob) {
        let rule = self.rules.len();
        let none_of = glob.none_of().iter().map(|g| self.intern(g)).collect();
        self.rules.push(Rule { target, none_of });
        for any in glob.any_of() {
            let index = self.intern(any);
            self.rules_of_glob[index].push(rule);
        }
    }

    fn intern(&mut self, glob: &Glob) -> usize {
        if let Some(&index) = self.index_of.get(glob.glob()) {
            return index;
        }
        let index = self.globs.len();
        self.index_of.insert(glob.glob().to_owned(), index);
        self.globs.push(glob.clone());
        self.rules_of_glob.push(Vec::new());
        index
    }

    fn build(self) -> Result<Matcher, MatcherError> {
        let mut set = GlobSetBuilder::new();
        for glob in self.globs {
            set.add(glob);
        }
        Ok(Matcher {
            set: set.build()?,
            rules_of_glob: self.rules_of_glob,
            rules: self.rules,
            contexts: self.contexts,
            dockerfiles: self.dockerfiles,
            nodes: self.nodes,
        })
    }
}
