//! From the file's shape to a [`Manifest`]: defaults, naming, and every rule that needs
//! more than one value, each problem located and all of them collected.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_saphyr::Location;

use crate::error::{Problem, Source};
use crate::glob::PathGlob;
use crate::image;
use crate::model::{
    Age, DEFAULT_STAGE, Deploy, DokployTarget, Library, Manifest, Retention, Service, ServiceDeploy,
};
use crate::names;
use crate::paths;
use crate::raw::{
    Entries, Name, Node, RawDeploy, RawDokployTarget, RawLibrary, RawManifest, RawRetention,
    RawService, RawServiceDeploy,
};

mod deploy;
mod retention;

use deploy::Deploys;

/// The manifest and its warnings, or every error found.
pub(crate) fn check(
    raw: RawManifest,
    src: &Source<'_>,
    root: Option<&Path>,
) -> Result<(Manifest, Vec<Problem>), Vec<Problem>> {
    let mut checker = Checker {
        src,
        root,
        errors: Vec::new(),
        warnings: Vec::new(),
        links: Links::default(),
        path_glob_cache: HashMap::new(),
    };
    let manifest = checker.manifest(raw);
    if checker.errors.is_empty() {
        Ok((manifest, checker.warnings))
    } else {
        Err(checker.errors)
    }
}

struct Checker<'a, 't> {
    src: &'a Source<'t>,
    root: Option<&'a Path>,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    links: Links,
    path_glob_cache: HashMap<String, Result<PathGlob, String>>,
}

/// Where the document starts: the place for problems about something missing at the top.
const TOP: Location = Location::UNKNOWN;

impl Checker<'_, '_> {
    fn error(&mut self, at: &Location, message: String, label: &str, help: Option<String>) {
        let problem = self.src.problem(at, message, label, help);
        self.errors.push(problem);
    }

    fn warn(&mut self, at: &Location, message: String, label: &str, help: Option<String>) {
        let problem = self.src.problem(at, message, label, help);
        self.warnings.push(problem);
    }

    fn manifest(&mut self, raw: RawManifest) -> Manifest {
        let version = match raw.version {
            Some(v) => v.value,
            None => {
                self.error(
                    &TOP,
                    "the manifest has no `version`".into(),
                    "expected `version: 1` in this file",
                    Some("add `version: 1` as the first line".into()),
                );
                1
            }
        };
        let registry_given = raw.registry.is_some();
        let registry = raw.registry.and_then(|r| self.registry(r));
        let image_prefix = raw.image_prefix;
        let naming = Naming {
            registry: registry.as_ref(),
            registry_given,
            prefix: image_prefix.as_ref(),
        };
        let global = self.path_globs(raw.global);
        let redeploy = self.path_globs(raw.redeploy);
        let libraries = self.libraries(raw.libraries.unwrap_or_default());
        let (services, deploys) = self.services(raw.services, &libraries, &naming);
        let deploy = self.deploy(raw.deploy, deploys);
        let retention = raw.retention.map(|r| self.retention(r)).unwrap_or_default();
        self.graph(&libraries, &services);

        Manifest {
            version,
            registry: registry.map(|r| r.value),
            image_prefix: image_prefix.map(|p| p.value).unwrap_or_default(),
            global,
            redeploy,
            tags_line: raw.tags.as_ref().and_then(|t| line_of(&t.at)),
            tags: raw.tags.map(|t| t.value),
            libraries: libraries
                .into_iter()
                .map(|(name, lib)| (name.value.0, lib.model))
                .collect(),
            services: services
                .into_iter()
                .map(|(name, mut svc)| {
                    svc.model.deploy = deploy.targets.get(&name.value.0).cloned();
                    (name.value.0, svc.model)
                })
                .collect(),
            retention,
            deploy: deploy.model,
        }
    }

    fn registry(&mut self, registry: Node<String>) -> Option<Node<String>> {
        match image::check_registry(&registry.value.trim_end_matches('/').to_lowercase()) {
            Ok(()) => Some(registry),
            Err(why) => {
                self.error(
                    &registry.at,
                    format!("`{}` is not a valid registry: {why}", registry.value),
                    "invalid registry",
                    Some("write the registry host and namespace, e.g. `ghcr.io/acme`".into()),
                );
                None
            }
        }
    }

    fn globs<T>(
        &mut self,
        globs: Option<Vec<Node<String>>>,
        compile: fn(&str) -> Result<T, String>,
    ) -> Vec<T> {
        let mut valid = Vec::new();
        for glob in globs.unwrap_or_default() {
            match compile(&glob.value) {
                Ok(compiled) => valid.push(compiled),
                Err(why) => self.glob_error(&glob, why),
            }
        }
        valid
    }

    fn glob_error(&mut self, glob: &Node<String>, why: String) {
        self.error(
            &glob.at,
            format!("invalid glob `{}`: {why}", glob.value),
            "invalid glob",
            Some(
                "globs are relative to the repository root: `*` matches within one directory, \
                 `**` across directories, `{a,b}` either, `[abc]` one character"
                    .into(),
            ),
        );
    }

    fn path_globs(&mut self, globs: Option<Vec<Node<String>>>) -> Vec<PathGlob> {
        let mut valid = Vec::new();
        for glob in globs.unwrap_or_default() {
            self.check_directory_glob(&glob);
            // Thousands of services repeat the same few globs (`**/*.md`): compiled once.
            let compiled = self
                .path_glob_cache
                .entry(glob.value.clone())
                .or_insert_with(|| paths::path_glob(&glob.value))
                .clone();
            match compiled {
                Ok(compiled) => valid.push(compiled),
                Err(why) => self.glob_error(&glob, why),
            }
        }
        valid
    }

    /// Warn about a glob that names a directory without a wildcard: it matches only that
    /// exact path, never the files below it (a classic paths-filter surprise).
    fn check_directory_glob(&mut self, glob: &Node<String>) {
        let Some(root) = self.root else { return };
        let text = glob.value.trim_end_matches('/');
        let literal = !text.is_empty() && !text.contains(['*', '?', '[', '{', '\\', '!']);
        let dir = root.join(text);
        // A submodule is a directory that changes as one path: an exact glob is right for it.
        if literal && dir.is_dir() && !dir.join(".git").exists() {
            self.warn(
                &glob.at,
                format!(
                    "`{}` is a directory, and a glob without wildcards matches only that exact \
                     path, no file below it",
                    glob.value
                ),
                "matches no file",
                Some(format!("write `{text}/**` to match every file in it")),
            );
        }
    }

    fn name(&mut self, key: &Node<Name>, what: &str) {
        if let Err(why) = names::check_name(&key.value.0) {
            self.error(
                &key.at,
                format!("invalid {what} name: {why}"),
                "invalid name",
                Some(
                    "names use lowercase letters, digits, `-`, `_` and `.`, and start with a \
                     letter or digit"
                        .into(),
                ),
            );
        }
    }

    fn libraries(&mut self, raw: Entries<RawLibrary>) -> IndexMap<Node<Name>, Checked<Library>> {
        let mut libraries = IndexMap::new();
        for (key, lib) in raw {
            self.name(&key, "library");
            let RawLibrary { paths, depends_on } = lib.value;
            let name = &key.value.0;
            let paths = match paths {
                Some(paths) => {
                    if paths.is_empty() {
                        self.warn(
                            &key.at,
                            format!("library `{name}` has no paths, so no change ever affects it"),
                            "no paths",
                            Some(
                                "list the library's files in `paths`, e.g. `[libs/common/**]`"
                                    .into(),
                            ),
                        );
                    }
                    self.path_globs(Some(paths))
                }
                None => {
                    self.error(
                        &key.at,
                        format!("library `{name}` has no `paths`"),
                        "`paths` missing",
                        Some(
                            "add `paths:` with globs of its files, e.g. `[libs/common/**]`".into(),
                        ),
                    );
                    Vec::new()
                }
            };
            let (depends_on, edges) = dependencies(depends_on);
            let model = Library {
                name: name.clone(),
                paths,
                depends_on,
            };
            libraries.insert(key, Checked { model, edges });
        }
        libraries
    }

    fn services(
        &mut self,
        raw: Option<Node<Entries<RawService>>>,
        libraries: &IndexMap<Node<Name>, Checked<Library>>,
        naming: &Naming<'_>,
    ) -> (IndexMap<Node<Name>, Checked<Service>>, Deploys) {
        let raw = raw.unwrap_or_else(|| Node {
            value: Entries::default(),
            at: TOP,
        });
        if raw.value.is_empty() {
            self.warn(
                &raw.at,
                "the manifest has no services".into(),
                "no services",
                Some("add services under `services:`; until then there is nothing to build".into()),
            );
        }
        let library_names: HashMap<&str, &Location> = libraries
            .keys()
            .map(|k| (k.value.0.as_str(), &k.at))
            .collect();
        let mut services = IndexMap::new();
        let mut deploys = Vec::new();
        for (key, mut svc) in raw.value {
            self.name(&key, "service");
            if library_names.contains_key(key.value.0.as_str()) {
                self.error(
                    &key.at,
                    format!("`{}` is both a service and a library", key.value.0),
                    "also a library",
                    Some(
                        "rename one of them: `depends-on` names must say which one they mean"
                            .into(),
                    ),
                );
            }
            if let Some(deploy) = svc.value.deploy.take() {
                deploys.push((key.value.0.clone(), deploy));
            }
            let checked = self.service(&key, svc.value, naming);
            services.insert(key, checked);
        }
        (services, deploys)
    }

    fn service(
        &mut self,
        key: &Node<Name>,
        raw: RawService,
        naming: &Naming<'_>,
    ) -> Checked<Service> {
        let name = &key.value.0;
        // An invalid part is reported and the service still checked and kept in the graph,
        // so that one mistake does not turn into "unknown name" errors elsewhere.
        let context = match raw.context {
            Some(context) => context,
            None => {
                self.error(
                    &key.at,
                    format!("service `{name}` has no `context`"),
                    "`context` missing",
                    Some(format!(
                        "add the build context directory, e.g. `context: services/{name}`"
                    )),
                );
                Node {
                    value: ".".into(),
                    at: key.at,
                }
            }
        };
        let dockerfile = raw.dockerfile.unwrap_or_else(|| Node {
            value: "Dockerfile".into(),
            at: key.at,
        });
        let context_path = self.repo_path(".", &context, "context");
        let dockerfile_path = context_path
            .as_deref()
            .and_then(|base| self.repo_path(base, &dockerfile, "dockerfile"));
        if let (Some(context_path), Some(dockerfile_path)) = (&context_path, &dockerfile_path) {
            self.check_exists(&context, context_path, &dockerfile, dockerfile_path);
        }
        let image = self.image(key, raw.image, naming);

        let mut platforms: Vec<String> = Vec::new();
        for platform in raw.platforms.unwrap_or_default() {
            if let Err(why) = paths::check_platform(&platform.value) {
                self.error(
                    &platform.at,
                    format!("invalid platform: {why}"),
                    "invalid platform",
                    Some(
                        "platforms look like `linux/amd64`, `linux/arm64` or `linux/arm/v7`".into(),
                    ),
                );
            } else if platforms.contains(&platform.value) {
                self.error(
                    &platform.at,
                    format!("platform `{}` is listed twice", platform.value),
                    "listed again",
                    Some("remove the repeated entry".into()),
                );
            } else {
                platforms.push(platform.value);
            }
        }

        let mut build_args = IndexMap::new();
        for (arg, value) in raw.build_args.unwrap_or_default() {
            if arg.value.is_empty() {
                self.error(
                    &arg.at,
                    "a build argument has an empty name".into(),
                    "empty name",
                    Some("give the argument the name its Dockerfile `ARG` uses".into()),
                );
            } else if names::is_secret_key(&arg.value) {
                self.warn(
                    &arg.at,
                    format!("build argument `{}` looks like a secret", arg.value),
                    "kept in the image history",
                    Some(
                        "build arguments are stored in the image for anyone who can pull it; \
                         pass secrets as BuildKit secrets (`--secret`) instead"
                            .into(),
                    ),
                );
            }
            build_args.insert(arg.value, value.value);
        }

        let (depends_on, edges) = dependencies(raw.depends_on);
        let model = Service {
            name: name.clone(),
            context: context_path.unwrap_or_default(),
            dockerfile: dockerfile.value,
            image: image.unwrap_or_default(),
            watch: self.path_globs(raw.watch),
            ignore: self.path_globs(raw.ignore),
            depends_on,
            platforms,
            build_args,
            tags_line: raw.tags.as_ref().and_then(|t| line_of(&t.at)),
            tags: raw.tags.map(|t| t.value),
            deploy: None,
            dockerfile_path: dockerfile_path.unwrap_or_default(),
        };
        Checked { model, edges }
    }

    fn repo_path(&mut self, base: &str, path: &Node<String>, key: &str) -> Option<String> {
        match paths::join_normalised(base, &path.value) {
            Ok(path) => Some(path),
            Err(why) => {
                self.error(
                    &path.at,
                    format!("invalid `{key}`: {why}"),
                    "invalid path",
                    Some(format!(
                        "`{key}` is a path relative to {}",
                        if key == "context" {
                            "the directory of gantry.yml (the repository root)"
                        } else {
                            "`context`"
                        }
                    )),
                );
                None
            }
        }
    }

    /// Refuse a context or Dockerfile that a symbolic link takes outside the repository, and
    /// warn about one that does not exist (when we know where the repository is): a typo
    /// there only shows up later as a failed build.
    fn check_exists(
        &mut self,
        context: &Node<String>,
        context_path: &str,
        dockerfile: &Node<String>,
        dockerfile_path: &str,
    ) {
        let Some(root) = self.root else { return };
        let mut found = Vec::new();
        for (node, path, key) in [
            (context, context_path, "context"),
            (dockerfile, dockerfile_path, "dockerfile"),
        ] {
            match self.links.find(root, path) {
                Found::Outside(target) => {
                    self.error(
                        &node.at,
                        format!(
                            "`{key}` `{path}` leads outside the repository: a symbolic link \
                             makes it {}",
                            target.display()
                        ),
                        "outside the repository",
                        Some(format!(
                            "a build reads everything its `{key}` holds; point `{key}` at a \
                             path inside the repository, or commit the files instead of the link"
                        )),
                    );
                    return;
                }
                other => found.push(other),
            }
        }
        if found[0] != Found::Directory {
            let (what, label) = if found[0] == Found::Missing {
                ("does not exist", "no such directory")
            } else {
                ("is not a directory", "not a directory")
            };
            self.warn(
                &context.at,
                format!("build context `{context_path}` {what}"),
                label,
                Some("`context` is a directory relative to the directory of gantry.yml".into()),
            );
        } else if found[1] != Found::File {
            let nearest = nearest_dockerfile(&root.join(dockerfile_path));
            let hint = "`dockerfile` is relative to `context` and defaults to `Dockerfile`";
            self.warn(
                &dockerfile.at,
                format!("Dockerfile `{dockerfile_path}` does not exist"),
                "no such file",
                Some(match nearest {
                    Some(name) => format!("did you mean `{name}`? {hint}"),
                    None => hint.into(),
                }),
            );
        }
    }

    fn image(
        &mut self,
        key: &Node<Name>,
        image: Option<Node<String>>,
        naming: &Naming<'_>,
    ) -> Option<String> {
        let name = &key.value.0;
        if let Some(image) = image {
            let lowercase = image.value.to_lowercase();
            return match image::check_image(&lowercase) {
                Ok(()) => Some(lowercase),
                Err(why) => {
                    self.error(
                        &image.at,
                        format!("`{}` is not a valid image name: {why}", image.value),
                        "invalid image name",
                        Some("write `host/path` without a tag, e.g. `ghcr.io/acme/api`".into()),
                    );
                    None
                }
            };
        }
        if names::check_name(name).is_err() {
            return None; // reported already, and it would make the image name invalid too
        }
        let Some(registry) = naming.registry else {
            // An invalid registry was reported already; only a missing one is news.
            if !naming.registry_given {
                self.error(
                    &key.at,
                    format!("service `{name}` has no image name"),
                    "no image",
                    Some(format!(
                        "set `registry:` at the top level (images are then \
                         `{{registry}}/{{image-prefix}}{name}`), or `image:` on the service"
                    )),
                );
            }
            return None;
        };
        let prefix = naming.prefix.map_or("", |p| p.value.as_str());
        let image = image::default_image(&registry.value, prefix, name);
        match image::check_image(&image) {
            Ok(()) => Some(image),
            Err(why) => {
                // The registry is valid, so the prefix or the service name is to blame.
                let (at, part) = match naming.prefix {
                    Some(prefix) if !prefix.value.is_empty() => (&prefix.at, "image-prefix"),
                    _ => (&key.at, "service name"),
                };
                self.error(
                    at,
                    format!("the image name `{image}` of service `{name}` is invalid: {why}"),
                    &format!("this {part} makes an invalid image name"),
                    Some(format!(
                        "change the {part}, or set `image:` on service `{name}`"
                    )),
                );
                None
            }
        }
    }

    /// Unknown `depends-on` names and cycles.
    fn graph(
        &mut self,
        libraries: &IndexMap<Node<Name>, Checked<Library>>,
        services: &IndexMap<Node<Name>, Checked<Service>>,
    ) {
        // In file order, so the cycle reported is the one met reading from the top.
        let mut nodes: Vec<(&Node<Name>, &[Node<String>])> = libraries
            .iter()
            .map(|(k, l)| (k, l.edges.as_slice()))
            .chain(services.iter().map(|(k, s)| (k, s.edges.as_slice())))
            .collect();
        nodes.sort_by_key(|(k, _)| k.at.span().offset());
        let edges: HashMap<&str, &[Node<String>]> = nodes
            .iter()
            .map(|(k, e)| (k.value.0.as_str(), *e))
            .collect();

        for (key, deps) in &nodes {
            for dep in *deps {
                if !edges.contains_key(dep.value.as_str()) {
                    let suggestion = names::did_you_mean(&dep.value, edges.keys().copied());
                    self.error(
                        &dep.at,
                        format!(
                            "`{}` depends on `{}`, which is neither a service nor a library",
                            key.value.0, dep.value
                        ),
                        "unknown name",
                        Some(format!(
                            "{suggestion}`depends-on` names services or libraries of this manifest"
                        )),
                    );
                }
            }
        }

        for cycle in find_cycles(&nodes, &edges) {
            let (closing, path) = cycle;
            self.error(
                &closing.at,
                format!("dependency cycle: {}", path.join(" → ")),
                "this closes the cycle",
                Some(
                    "remove one of these `depends-on` entries: nothing may depend on itself, \
                     directly or through others"
                        .into(),
                ),
            );
        }
    }
}

/// The cycles of the graph, each as the edge that closes it and the names along it
/// (first name repeated at the end). Iterative, so a long chain cannot overflow the stack.
fn find_cycles<'a>(
    nodes: &[(&'a Node<Name>, &'a [Node<String>])],
    edges: &HashMap<&'a str, &'a [Node<String>]>,
) -> Vec<(&'a Node<String>, Vec<&'a str>)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnPath,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut cycles = Vec::new();
    for (start, _) in nodes {
        let start = start.value.0.as_str();
        if marks.contains_key(start) {
            continue;
        }
        marks.insert(start, Mark::OnPath);
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some((node, next)) = path.last_mut() {
            let deps = edges[*node];
            let Some(dep) = deps.get(*next) else {
                marks.insert(node, Mark::Done);
                path.pop();
                continue;
            };
            *next += 1;
            let name = dep.value.as_str();
            if !edges.contains_key(name) {
                continue;
            }
            match marks.get(name) {
                None => {
                    marks.insert(name, Mark::OnPath);
                    path.push((name, 0));
                }
                Some(Mark::OnPath) => {
                    let from = path.iter().position(|(n, _)| *n == name).unwrap_or(0);
                    let mut names: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                    names.push(name);
                    cycles.push((dep, names));
                }
                Some(Mark::Done) => {}
            }
        }
    }
    cycles
}

/// `depends-on` as names without repeats, and the entries with their locations for the
/// graph checks.
fn dependencies(raw: Option<Vec<Node<String>>>) -> (Vec<String>, Vec<Node<String>>) {
    let edges = raw.unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    for dep in &edges {
        if !names.contains(&dep.value) {
            names.push(dep.value.clone());
        }
    }
    (names, edges)
}

/// Inputs of the image naming rule, as far as they are valid.
struct Naming<'a> {
    /// The registry if it is valid.
    registry: Option<&'a Node<String>>,
    registry_given: bool,
    prefix: Option<&'a Node<String>>,
}

/// A checked entry and its `depends-on` entries (with locations) for the graph checks.
struct Checked<T> {
    model: T,
    edges: Vec<Node<String>>,
}

/// The 1-based line of a parser location, `None` when unknown.
fn line_of(at: &Location) -> Option<usize> {
    usize::try_from(at.line()).ok().filter(|line| *line > 0)
}

/// Where symbolic links lead, with the real location of each directory looked up once (a
/// manifest of thousands of services costs one `lstat` per context and Dockerfile).
#[derive(Default)]
struct Links {
    /// The repository's real location, once looked up (`None` inside: it cannot be).
    root: Option<Option<PathBuf>>,
    /// The real location of directories, by repository-relative path.
    directories: HashMap<String, Option<PathBuf>>,
}

/// What a repository-relative path really is.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// A symbolic link takes it outside the repository, to this path.
    Outside(PathBuf),
    Missing,
    Directory,
    File,
    Other,
}

impl Links {
    /// What `path` (repository-relative, normalised) is, following symbolic links, in the
    /// repository `root`.
    fn find(&mut self, root: &Path, path: &str) -> Found {
        let Some(real_root) = self
            .root
            .get_or_insert_with(|| std::fs::canonicalize(root).ok())
            .clone()
        else {
            return Found::Missing;
        };
        let (parent, name) = match path.rsplit_once('/') {
            Some(split) => split,
            None if path == "." => return Found::Directory,
            None => (".", path),
        };
        let Some(real_parent) = self
            .directories
            .entry(parent.to_owned())
            .or_insert_with(|| std::fs::canonicalize(root.join(parent)).ok())
            .clone()
        else {
            return Found::Missing;
        };
        let mut real = real_parent.join(name);
        let Ok(mut metadata) = std::fs::symlink_metadata(&real) else {
            return Found::Missing;
        };
        if metadata.file_type().is_symlink() {
            let Ok(target) = std::fs::canonicalize(&real) else {
                return Found::Missing; // a dangling link
            };
            if !target.starts_with(&real_root) {
                return Found::Outside(target);
            }
            let Ok(target_metadata) = std::fs::metadata(&target) else {
                return Found::Missing;
            };
            (real, metadata) = (target, target_metadata);
        } else if !real.starts_with(&real_root) {
            return Found::Outside(real);
        }
        if metadata.is_dir() {
            // The Dockerfile below it finds its directory here.
            self.directories.insert(path.to_owned(), Some(real));
            Found::Directory
        } else if metadata.is_file() {
            Found::File
        } else {
            Found::Other
        }
    }
}

/// The file name in the missing Dockerfile's directory closest to its own (`Dockerfile.prod`
/// → `Dockerfile.production`), if one is close.
fn nearest_dockerfile(missing: &Path) -> Option<String> {
    let wanted = missing.file_name()?.to_str()?;
    let names: Vec<String> = std::fs::read_dir(missing.parent()?)
        .ok()?
        .take(1000)
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry.file_type().ok()?.is_file().then_some(())?;
            entry.file_name().into_string().ok()
        })
        .collect();
    names::closest(wanted, names.iter().map(String::as_str)).map(str::to_owned)
}
