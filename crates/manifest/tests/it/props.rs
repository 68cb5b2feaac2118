//! Properties: no input makes the parser panic, and valid manifests read back as written.

use std::collections::BTreeMap;

use gantry_manifest::{DEFAULT_ENVIRONMENT, DokployTarget, Manifest};
use proptest::prelude::*;
use proptest::sample::subsequence;

use crate::support::{parse, texts};

/// Text made of YAML's building blocks, so that inputs get past the tokenizer and reach
/// the deserializer and the checks, including on keys gantry knows.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("version: 1\n".to_owned()),
        Just("services:\n".to_owned()),
        Just("  api:\n".to_owned()),
        Just("    context: a\n".to_owned()),
        Just("    depends-on: [api]\n".to_owned()),
        Just("deploy:\n".to_owned()),
        Just("  stages: [a]\n".to_owned()),
        Just("  environments:\n".to_owned()),
        Just("    s: {dokploy: {url: https://d.io}, promote-from: p}\n".to_owned()),
        Just("    p: {dokploy: {url: x}, promote-from: s}\n".to_owned()),
        Just("    deploy: {environments: {s: {dokploy: {compose: c}, health: h}}}\n".to_owned()),
        Just("    deploy: {dokploy: {compose: c}, health: https://h.io}\n".to_owned()),
        Just("  history: 0\n".to_owned()),
        Just("retention: {rules: [{tags: a, keep: all}, {tags: a}]}\n".to_owned()),
        Just("registry: ghcr.io/x\n".to_owned()),
        Just("&a ".to_owned()),
        Just("*a ".to_owned()),
        Just("<<: ".to_owned()),
        Just("- ".to_owned()),
        Just("? ".to_owned()),
        Just(": ".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(", ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("|\n".to_owned()),
        Just("!!str ".to_owned()),
        Just("---\n".to_owned()),
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("\t".to_owned()),
        Just("é".to_owned()),
        "[a-z0-9./*_-]{1,8}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_is_refused_or_accepted_without_panicking(text in any::<String>()) {
        check_no_panic(&text);
    }

    #[test]
    fn yaml_like_text_is_refused_or_accepted_without_panicking(text in yamlish()) {
        check_no_panic(&text);
    }

    #[test]
    fn any_bytes_load_or_fail_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gantry.yml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(err) = gantry_manifest::load(&path) {
            let _ = crate::support::render(&err);
        }
    }

    #[test]
    fn valid_manifests_read_back_as_written(spec in spec()) {
        let text = spec.to_yaml();
        let loaded = match parse(&text) {
            Ok(loaded) => loaded,
            Err(e) => panic!("{}\n{text}", crate::support::render(&e)),
        };
        spec.assert_matches(&loaded.manifest);
    }
}

/// Parsing either succeeds or gives an error whose problems point inside the text, and
/// rendering never panics either.
fn check_no_panic(text: &str) {
    if let Err(err) = parse(text) {
        for problem in err.problems() {
            assert!(problem.span.offset() + problem.span.len() <= text.len());
            assert!(text.is_char_boundary(problem.span.offset()));
        }
        let _ = crate::support::render(&err);
    }
}

#[derive(Debug, Clone)]
struct ServiceSpec {
    name: String,
    context: String,
    dockerfile: Option<String>,
    watch: Vec<String>,
    platforms: Vec<String>,
    build_args: BTreeMap<String, String>,
    depends_on: Vec<String>,
    deploy: Option<(Option<String>, DokployTarget)>,
}

#[derive(Debug, Clone)]
struct Spec {
    prefix: String,
    libraries: Vec<(String, Vec<String>, Vec<String>)>,
    services: Vec<ServiceSpec>,
    stages: Vec<String>,
    keep_tagged: Option<u32>,
}

/// A string in YAML double quotes; JSON's escapes are valid there.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| quoted(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Spec {
    fn to_yaml(&self) -> String {
        let mut y = format!(
            "version: 1\nregistry: ghcr.io/acme\nimage-prefix: {}\n",
            quoted(&self.prefix)
        );
        y += "libraries:\n";
        for (name, paths, deps) in &self.libraries {
            y += &format!(
                "  {name}:\n    paths: {}\n    depends-on: {}\n",
                list(paths),
                list(deps)
            );
        }
        y += "services:\n";
        for s in &self.services {
            y += &format!("  {}:\n    context: {}\n", s.name, quoted(&s.context));
            if let Some(d) = &s.dockerfile {
                y += &format!("    dockerfile: {}\n", quoted(d));
            }
            y += &format!(
                "    watch: {}\n    platforms: {}\n",
                list(&s.watch),
                list(&s.platforms)
            );
            y += &format!("    depends-on: {}\n    build-args:\n", list(&s.depends_on));
            for (k, v) in &s.build_args {
                y += &format!("      {k}: {}\n", quoted(v));
            }
            if let Some((stage, target)) = &s.deploy {
                y += "    deploy:\n";
                if let Some(stage) = stage {
                    y += &format!("      stage: {stage}\n");
                }
                y += &match target {
                    DokployTarget::Application { id } => {
                        format!("      dokploy: {{application: {}}}\n", quoted(id))
                    }
                    DokployTarget::Compose { id, tag_var } => {
                        format!(
                            "      dokploy: {{compose: {}, tag-var: {tag_var}}}\n",
                            quoted(id)
                        )
                    }
                };
            }
        }
        if let Some(n) = self.keep_tagged {
            y += &format!("retention:\n  keep-tagged: {n}\n");
        }
        y += &format!("deploy:\n  stages: {}\n", list(&self.stages));
        y
    }

    fn assert_matches(&self, m: &Manifest) {
        assert_eq!(m.image_prefix, self.prefix);
        assert_eq!(m.retention.keep_tagged, self.keep_tagged);
        let libraries: Vec<&str> = self.libraries.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(m.libraries.keys().collect::<Vec<_>>(), libraries);
        for (name, paths, deps) in &self.libraries {
            assert_eq!(&texts(&m.libraries[name].paths), paths);
            assert_eq!(&m.libraries[name].depends_on, deps);
        }
        let services: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            m.services().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            services
        );
        let any_deploy = self.services.iter().any(|s| s.deploy.is_some());
        let expected_stages = if self.stages.is_empty() && any_deploy {
            vec!["default".to_owned()]
        } else {
            self.stages.clone()
        };
        assert_eq!(m.deploy.stages, expected_stages);
        for s in &self.services {
            let got = m.service(&s.name).unwrap();
            assert_eq!(got.context, s.context);
            let dockerfile = s.dockerfile.as_deref().unwrap_or("Dockerfile");
            assert_eq!(got.dockerfile, dockerfile);
            assert_eq!(got.dockerfile_path(), format!("{}/{dockerfile}", s.context));
            assert_eq!(got.image, format!("ghcr.io/acme/{}{}", self.prefix, s.name));
            assert_eq!(texts(&got.watch), s.watch);
            assert_eq!(got.platforms, s.platforms);
            assert_eq!(got.depends_on, s.depends_on);
            let args: BTreeMap<String, String> = got.build_args.clone().into_iter().collect();
            assert_eq!(args, s.build_args);
            let deploy = got.deploy.as_ref().map(|d| {
                (
                    d.stage.clone(),
                    d.environments[DEFAULT_ENVIRONMENT].dokploy.clone(),
                )
            });
            let expected = s.deploy.as_ref().map(|(stage, target)| {
                (
                    stage.clone().unwrap_or_else(|| expected_stages[0].clone()),
                    target.clone(),
                )
            });
            assert_eq!(deploy, expected);
        }
    }
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,4}(-[a-z0-9]{1,3})?"
}

fn spec() -> impl Strategy<Value = Spec> {
    let names = prop::collection::btree_set(name(), 0..8);
    let stages = prop::collection::btree_set("[a-z]{1,6}", 0..3);
    (
        names,
        stages,
        prop_oneof![Just(String::new()), Just("shop-".to_owned())],
        any::<Option<u32>>(),
    )
        .prop_flat_map(|(names, stages, prefix, keep_tagged)| {
            let names: Vec<String> = names.into_iter().collect();
            let stages: Vec<String> = stages.into_iter().collect();
            let count = names.len();
            (
                Just(names),
                Just(stages.clone()),
                Just(prefix),
                Just(keep_tagged),
                0..=count,
                prop::collection::vec(entry(), count),
            )
        })
        .prop_map(
            |(names, stages, prefix, keep_tagged, library_count, entries)| {
                let mut libraries = Vec::new();
                let mut services = Vec::new();
                for (i, (name, entry)) in names.iter().zip(entries).enumerate() {
                    // Depending only on names listed before keeps the graph acyclic.
                    let depends_on: Vec<String> = entry
                        .depends_on_indices
                        .iter()
                        .filter(|&&j| j < i)
                        .map(|&j| names[j].clone())
                        .collect();
                    if i < library_count {
                        libraries.push((name.clone(), entry.watch.clone(), depends_on));
                    } else {
                        let stage = match (&entry.deploy, stages.len()) {
                            (Some(_), 1) if entry.name_stage => Some(stages[0].clone()),
                            (Some(_), 0 | 1) => None,
                            (Some(_), n) => Some(stages[entry.stage_index % n].clone()),
                            (None, _) => None,
                        };
                        services.push(ServiceSpec {
                            name: name.clone(),
                            context: entry.context,
                            dockerfile: entry.dockerfile,
                            watch: entry.watch,
                            platforms: entry.platforms,
                            build_args: entry.build_args,
                            depends_on,
                            // Two services never share a target (a manifest error).
                            deploy: entry.deploy.map(|target| (stage, unique(target, i))),
                        });
                    }
                }
                Spec {
                    prefix,
                    libraries,
                    services,
                    stages,
                    keep_tagged,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Entry {
    context: String,
    dockerfile: Option<String>,
    watch: Vec<String>,
    platforms: Vec<String>,
    build_args: BTreeMap<String, String>,
    depends_on_indices: Vec<usize>,
    deploy: Option<DokployTarget>,
    name_stage: bool,
    stage_index: usize,
}

/// The target made unique to entry `i`: ids get a suffix.
fn unique(target: DokployTarget, i: usize) -> DokployTarget {
    match target {
        DokployTarget::Application { id } => DokployTarget::Application {
            id: format!("{id}{i}"),
        },
        DokployTarget::Compose { id, tag_var } => DokployTarget::Compose {
            id: format!("{id}{i}"),
            tag_var,
        },
    }
}

fn dokploy_target() -> impl Strategy<Value = DokployTarget> {
    prop_oneof![
        "[A-Za-z0-9_-]{1,21}".prop_map(|id| DokployTarget::Application { id }),
        ("[A-Za-z0-9_-]{1,21}", "[A-Z_][A-Z0-9_]{0,12}")
            .prop_map(|(id, tag_var)| DokployTarget::Compose { id, tag_var }),
        "[a-z]{1,5}/[a-z]{1,5}/[a-z]{1,5}".prop_map(|id| DokployTarget::Application { id }),
    ]
}

const GLOBS: [&str; 6] = [
    "src/**",
    "**/*.md",
    "proto/*.proto",
    "{a,b}/**",
    "x?/[ab]*",
    "gantry.yml",
];
const PLATFORMS: [&str; 3] = ["linux/amd64", "linux/arm64", "linux/arm/v7"];

prop_compose! {
    fn entry()(
        context in "[a-z0-9_-]{1,6}(/[a-z0-9_.-]{1,6}){0,2}"
            .prop_filter("no dot-only components", |c: &String| c.split('/').all(|p| p != "." && p != "..")),
        dockerfile in prop::option::of(prop_oneof![Just("Dockerfile"), Just("Dockerfile.prod")]),
        watch in subsequence(GLOBS.to_vec(), 0..=3),
        platforms in subsequence(PLATFORMS.to_vec(), 0..=3),
        build_args in prop::collection::btree_map("[A-Z_]{1,8}", any::<String>().prop_filter("no NUL", |v| !v.contains('\0')), 0..3),
        depends_on_indices in prop::collection::btree_set(0usize..8, 0..3),
        deploy in prop::option::of(dokploy_target()),
        name_stage in any::<bool>(),
        stage_index in any::<usize>(),
    ) -> Entry {
        Entry {
            context,
            dockerfile: dockerfile.map(String::from),
            watch: watch.into_iter().map(String::from).collect(),
            platforms: platforms.into_iter().map(String::from).collect(),
            build_args,
            depends_on_indices: depends_on_indices.into_iter().collect(),
            deploy,
            name_stage,
            stage_index,
        }
    }
}
