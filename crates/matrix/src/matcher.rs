//! Which manifest nodes a set of changed files touches, in one pass: the globs of every
//! service, library and of `global` are in a single `GlobSet`, and each match is mapped back
//! to the rules that use the glob. Contexts and Dockerfiles are paths, looked up directly.
//!
//! A service is touched by a file below its context (or the context itself), its Dockerfile
//! or a file a `watch` glob matches, unless an `ignore` glob matches it; a library by a file
//! its `paths` match; `global` by a file one of its globs matches. Which `ignore` globs
//! matched each file is kept too ([`Touches::is_ignored`]): a file that reaches a service
//! through `depends-on` is subject to that service's `ignore` as well.

use std::collections::{HashMap, HashSet};

use gantry_manifest::Manifest;
use gantry_manifest::glob::{PathGlob, Pattern, Shape};
use globset::{Candidate, GlobSet, GlobSetBuilder};

/// The manifest's globs cannot be compiled together (each one is valid: this is a limit of
/// the combined set, such as its size).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot compile the manifest's globs together: {0}")]
#[diagnostic(
    code(gantry::matrix::glob_set),
    help("simplify the globs (fewer or shorter alternatives), or split the manifest")
)]
pub struct MatcherError(#[from] globset::Error);

/// A node of the dependency graph: libraries first, then services, in manifest order.
pub type Node = usize;

/// The services sharing one list of `ignore` globs.
pub type IgnoreGroup = usize;

/// What a rule's match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `global`: every service.
    Global,
    /// The node is touched...
    Node(Node),
    /// ... unless an `ignore` glob of its group matches too.
    Ignore(IgnoreGroup),
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
    /// For each glob of the set: its pattern's index.
    pattern_of_glob: Vec<usize>,
    /// For each glob of the set: its pattern, whose exact check confirms a match.
    checks: Vec<Pattern>,
    /// Patterns that are one literal path (`gantry.yml`), by that path: looked up, not
    /// matched.
    literal: HashMap<String, Vec<usize>>,
    /// Patterns `dir/**` with a literal `dir`, by `dir`: looked up for each directory above
    /// a path. Monorepo globs are mostly these; a set of thousands would take long to build.
    below: HashMap<String, Vec<usize>>,
    /// For each glob of the set, the rules it is an `any_of` glob of.
    rules_of_glob: Vec<Vec<usize>>,
    rules: Vec<Rule>,
    /// Services by context directory (`.` for the whole repository).
    contexts: HashMap<String, Vec<Node>>,
    /// Services by Dockerfile path.
    dockerfiles: HashMap<String, Vec<Node>>,
    /// Node names: libraries, then services.
    nodes: Vec<String>,
    /// The ignore group of each node (`None`: no `ignore` globs, and for libraries).
    ignore_group: Vec<Option<IgnoreGroup>>,
}

/// What a change set touched: for each node the files touching it, by index into
/// [`Touches::files`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Touches {
    /// The changed files, in git's order.
    pub files: Vec<String>,
    /// Files matching `global`.
    pub global: Vec<usize>,
    /// For each node, the files touching it (after its own `ignore`).
    pub of_node: Vec<Vec<usize>>,
    /// For each node, the files its `ignore` took away from it.
    pub ignored_of_node: Vec<Vec<usize>>,
    /// (file, ignore group) for every file an `ignore` glob of the group matched.
    ignored: HashSet<(usize, IgnoreGroup)>,
}

impl Touches {
    /// Whether the `ignore` globs of `group` match file `file`.
    pub fn is_ignored(&self, file: usize, group: Option<IgnoreGroup>) -> bool {
        group.is_some_and(|group| self.ignored.contains(&(file, group)))
    }

    /// The files touching `node` that a service of `group` does not ignore.
    pub fn relevant(
        &self,
        node: Node,
        group: Option<IgnoreGroup>,
    ) -> impl Iterator<Item = usize> + '_ {
        self.of_node[node]
            .iter()
            .copied()
            .filter(move |&file| !self.is_ignored(file, group))
    }
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
        let mut groups: HashMap<Vec<&str>, IgnoreGroup> = HashMap::new();
        for (index, (name, globs, service)) in libraries.chain(services).enumerate() {
            builder.nodes.push(name.clone());
            let mut group = None;
            if let Some(service) = service {
                let by_path = |map: &mut HashMap<String, Vec<Node>>, path: &str| {
                    map.entry(path.to_owned()).or_default().push(index);
                };
                by_path(&mut builder.contexts, &service.context);
                by_path(&mut builder.dockerfiles, service.dockerfile_path());
                if !service.ignore.is_empty() {
                    let key: Vec<&str> = service.ignore.iter().map(PathGlob::as_str).collect();
                    let next = groups.len();
                    let id = *groups.entry(key).or_insert(next);
                    if id == next {
                        for glob in &service.ignore {
                            builder.add(Target::Ignore(id), glob);
                        }
                    }
                    group = Some(id);
                }
            }
            builder.ignore_group.push(group);
            for glob in globs {
                builder.add(Target::Node(index), glob);
            }
        }
        builder.build()
    }

    /// The node names: libraries, then services, in manifest order.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// The ignore group of `node`.
    pub fn ignore_group(&self, node: Node) -> Option<IgnoreGroup> {
        self.ignore_group[node]
    }

    /// What `files` (paths relative to the manifest's directory) touch.
    pub fn touches(&self, files: Vec<String>) -> Touches {
        let mut touches = Touches {
            global: Vec::new(),
            of_node: vec![Vec::new(); self.nodes.len()],
            ignored_of_node: vec![Vec::new(); self.nodes.len()],
            ignored: HashSet::new(),
            files: Vec::new(),
        };
        let mut globs = Vec::new();
        let mut included = Vec::new();
        let mut ignored = Vec::new();
        let mut matched = Vec::new();
        for (file, path) in files.iter().enumerate() {
            self.set
                .matches_candidate_into(&Candidate::new(path), &mut matched);
            globs.clear();
            globs.extend(
                matched
                    .iter()
                    .filter(|&&glob| self.checks[glob].confirms(path))
                    .map(|&glob| self.pattern_of_glob[glob]),
            );
            globs.extend(self.literal.get(path.as_str()).into_iter().flatten());
            for (end, _) in path.match_indices('/') {
                globs.extend(self.below.get(&path[..end]).into_iter().flatten());
            }
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
                        Target::Ignore(group) => ignored.push(group),
                    }
                }
            }
            if is_global {
                touches.global.push(file);
            }
            for &group in &ignored {
                touches.ignored.insert((file, group));
            }
            included.extend(self.dockerfiles.get(path.as_str()).into_iter().flatten());
            // The path itself, each directory above it, and the repository (`.`).
            let directories = path
                .match_indices('/')
                .map(|(end, _)| &path[..end])
                .chain([path.as_str(), "."]);
            for directory in directories {
                included.extend(self.contexts.get(directory).into_iter().flatten());
            }
            included.sort_unstable();
            included.dedup();
            for &node in &included {
                let group = self.ignore_group[node];
                if group.is_some_and(|group| ignored.contains(&group)) {
                    touches.ignored_of_node[node].push(file);
                } else {
                    touches.of_node[node].push(file);
                }
            }
        }
        touches.files = files;
        touches
    }
}

/// Collects rules, sharing each distinct pattern between every rule that uses it.
#[derive(Default)]
struct Builder<'m> {
    patterns: Vec<&'m Pattern>,
    index_of: HashMap<(&'m str, &'m str, Option<&'m str>), usize>,
    rules_of_glob: Vec<Vec<usize>>,
    rules: Vec<Rule>,
    contexts: HashMap<String, Vec<Node>>,
    dockerfiles: HashMap<String, Vec<Node>>,
    nodes: Vec<String>,
    ignore_group: Vec<Option<IgnoreGroup>>,
}

impl<'m> Builder<'m> {
    fn add(&mut self, target: Target, glob: &'m PathGlob) {
        let rule = self.rules.len();
        let none_of = glob.none_of().iter().map(|p| self.intern(p)).collect();
        self.rules.push(Rule { target, none_of });
        for any in glob.any_of() {
            let index = self.intern(any);
            self.rules_of_glob[index].push(rule);
        }
    }

    fn intern(&mut self, pattern: &'m Pattern) -> usize {
        let next = self.patterns.len();
        let index = *self.index_of.entry(pattern.key()).or_insert(next);
        if index == next {
            self.patterns.push(pattern);
            self.rules_of_glob.push(Vec::new());
        }
        index
    }

    fn build(self) -> Result<Matcher, MatcherError> {
        let mut set = GlobSetBuilder::new();
        let mut pattern_of_glob = Vec::new();
        let mut checks = Vec::new();
        let mut literal: HashMap<String, Vec<usize>> = HashMap::new();
        let mut below: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, pattern) in self.patterns.iter().enumerate() {
            match pattern.shape() {
                Shape::Literal(path) => literal.entry(path.clone()).or_default().push(index),
                Shape::Below(dir) => below.entry(dir.clone()).or_default().push(index),
                Shape::Glob(glob) => {
                    set.add(glob.clone());
                    pattern_of_glob.push(index);
                    checks.push((*pattern).clone());
                }
            }
        }
        Ok(Matcher {
            set: set.build()?,
            pattern_of_glob,
            checks,
            literal,
            below,
            rules_of_glob: self.rules_of_glob,
            rules: self.rules,
            contexts: self.contexts,
            dockerfiles: self.dockerfiles,
            nodes: self.nodes,
            ignore_group: self.ignore_group,
        })
    }
}
