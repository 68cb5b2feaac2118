//! Which manifest nodes a set of changed files touches, in one pass: the globs of every
//! service, library and of `global` are compiled into a single `GlobSet`, and each match
//! is mapped back to the rules that use the glob.
//!
//! A service is touched by a file that its context (`dir/**`), its Dockerfile (exact path)
//! or a `watch` glob matches, unless an `ignore` glob matches it; a library by a file its
//! `paths` match; `global` by a file one of its globs matches.

use std::collections::HashMap;

use gantry_manifest::Manifest;
use gantry_manifest::glob::{GlobError, PathGlob};
use globset::{Candidate, Glob, GlobSet, GlobSetBuilder};

/// A manifest whose globs cannot be compiled together (the manifest checks each one, so
/// this is a limit of the combined set, such as its size).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum MatcherError {
    #[error("invalid glob `{glob}` of `{node}`: {source}")]
    #[diagnostic(code(gantry::matrix::glob))]
    Glob {
        node: String,
        glob: String,
        #[source]
        source: GlobError,
    },
    #[error("cannot compile the manifest's globs together: {0}")]
    #[diagnostic(
        code(gantry::matrix::glob_set),
        help("simplify the globs (fewer or shorter alternatives), or split the manifest")
    )]
    Set(#[from] globset::Error),
}

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

/// The globs of a manifest, compiled.
#[derive(Debug)]
pub struct Matcher {
    set: GlobSet,
    /// For each glob of the set, the rules it is an `any_of` glob of.
    rules_of_glob: Vec<Vec<usize>>,
    rules: Vec<Rule>,
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
            builder.add(Target::Global, compiled("global", glob, PathGlob::new(glob))?);
        }
        let libraries = manifest.libraries.values().map(|l| (&l.name, &l.paths, None));
        let services = manifest
            .services()
            .map(|s| (&s.name, &s.watch, Some(s)));
        for (index, (name, globs, service)) in libraries.chain(services).enumerate() {
            builder.nodes.push(name.clone());
            let node = Target::Node(index);
            if let Some(service) = service {
                let context = &service.context;
                builder.add(node, compiled(name, context, PathGlob::directory(context))?);
                let dockerfile = service.dockerfile_path();
                builder.add(node, compiled(name, dockerfile, PathGlob::file(dockerfile))?);
                for glob in &service.ignore {
                    let ignore = Target::Ignore(index);
                    builder.add(ignore, compiled(name, glob, PathGlob::new(glob))?);
                }
            }
            for glob in globs {
                builder.add(node, compiled(name, glob, PathGlob::new(glob))?);
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

/// `glob` of `node`, or why it does not compile.
fn compiled(
    node: &str,
    text: &str,
    glob: Result<PathGlob, GlobError>,
) -> Result<PathGlob, MatcherError> {
    glob.map_err(|source| MatcherError::Glob {
        node: node.to_owned(),
        glob: text.to_owned(),
        source,
    })
}

/// Collects rules, sharing each distinct glob between every rule that uses it.
#[derive(Default)]
struct Builder {
    globs: Vec<Glob>,
    index_of: HashMap<String, usize>,
    rules_of_glob: Vec<Vec<usize>>,
    rules: Vec<Rule>,
    nodes: Vec<String>,
}

impl Builder {
    fn add(&mut self, target: Target, glob: PathGlob) {
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
            nodes: self.nodes,
        })
    }
}
