//! Each validation rule, through `parse`: what is accepted, what is refused, and where.

use gantry_manifest::{AgeFrom, DEFAULT_ENVIRONMENT, DEFAULT_STAGE, DokployTarget, ManifestError};

use crate::support::{parse, parse_err, texts};

/// `version: 1` and a registry, then `rest`.
fn manifest(rest: &str) -> String {
    format!("version: 1\nregistry: ghcr.io/acme\n{rest}")
}

/// The (line, column, message) of every problem.
fn problems(err: &ManifestError) -> Vec<(usize, usize, String)> {
    err.problems()
        .iter()
        .map(|p| (p.line, p.column, p.message.clone()))
        .collect()
}

#[track_caller]
fn assert_one_problem(text: &str, line: usize, column: usize, message_part: &str) {
    let err = parse_err(text);
    let found = problems(&err);
    assert_eq!(found.len(), 1, "{found:?}");
    let (l, c, message) = &found[0];
    assert_eq!((*l, *c), (line, column), "{message}");
    assert!(
        message.contains(message_part),
        "{message:?} lacks {message_part:?}"
    );
}

#[test]
fn a_minimal_manifest_gets_the_defaults() {
    let loaded = parse(&manifest("services:\n  api:\n    context: services/api/\n")).unwrap();
    let m = &loaded.manifest;
    let api = m.service("api").unwrap();
    assert_eq!(api.context, "services/api");
    assert_eq!(api.dockerfile, "Dockerfile");
    assert_eq!(api.dockerfile_path(), "services/api/Dockerfile");
    assert_eq!(api.image, "ghcr.io/acme/api");
    assert!(api.watch.is_empty() && api.ignore.is_empty() && api.platforms.is_empty());
    assert_eq!(api.deploy, None);
    assert_eq!(m.image_prefix, "");
    assert_eq!(m.retention, Default::default());
    assert_eq!(m.retention.age_from, AgeFrom::Updated);
    assert!(m.deploy.stages.is_empty());
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.root, std::path::PathBuf::new());
}

#[test]
fn the_version_is_required_and_must_be_supported() {
    assert_one_problem("services: {}\n", 1, 1, "no `version`");
    // An unsupported version is reported alone, before keys it might define.
    assert_one_problem(
        "new-key: x\nversion: 7\n",
        2,
        10,
        "unsupported manifest version 7",
    );
    assert_one_problem("version: one\n", 1, 10, "expected a whole number");
}

#[test]
fn unknown_keys_are_errors_with_the_nearest_key_suggested() {
    for (text, line, column, key, suggestion) in [
        ("registy: x\n", 3, 1, "registy", Some("registry")),
        (
            "services:\n  api:\n    context: a\n    dockerfle: D\n",
            6,
            5,
            "dockerfle",
            Some("dockerfile"),
        ),
        (
            "services:\n  api:\n    context: a\n    build_args: {}\n",
            6,
            5,
            "build_args",
            Some("build-args"),
        ),
        (
            "libraries:\n  l:\n    path: [a]\n",
            5,
            5,
            "path",
            Some("paths"),
        ),
        (
            "retention:\n  keep_tagged: 3\n",
            4,
            3,
            "keep_tagged",
            Some("keep-tagged"),
        ),
        ("deploy:\n  stage: [a]\n", 4, 3, "stage", Some("stages")),
        ("whatever: 1\n", 3, 1, "whatever", None),
    ] {
        let err = parse_err(&manifest(text));
        let problem = &err.problems()[0];
        assert_eq!((problem.line, problem.column), (line, column), "{text}");
        assert_eq!(problem.message, format!("unknown key `{key}`"));
        let help = problem.help.as_deref().unwrap();
        match suggestion {
            Some(s) => assert!(help.starts_with(&format!("did you mean `{s}`?")), "{help}"),
            None => assert!(!help.contains("did you mean"), "{help}"),
        }
    }
}

#[test]
fn secret_keys_point_to_the_environment_and_are_masked() {
    for key in ["api-key", "token", "dokploy-api-key", "password"] {
        let text = manifest(&format!(
            "services: {{}}\ndeploy:\n  dokploy:\n    url: https://d.example\n    {key}: hunter2-secret\n"
        ));
        let err = parse_err(&text);
        let help = err.problems()[0].help.clone().unwrap();
        assert!(help.contains("DOKPLOY_API_KEY"), "{key}: {help}");
        let shown = format!("{err:?}\n{}", crate::support::render(&err));
        assert!(
            !shown.contains("hunter2"),
            "{key}: the secret leaked:\n{shown}"
        );
    }
}

#[test]
fn type_errors_are_located() {
    assert_one_problem(
        &manifest("services:\n  api:\n    context: [a]\n"),
        5,
        14,
        "expected a string",
    );
    assert_one_problem(&manifest("services: [api]\n"), 3, 11, "expected a mapping");
    assert_one_problem(
        &manifest("retention:\n  keep-tagged: -1\n"),
        4,
        16,
        "whole number",
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context:\n"),
        4,
        3,
        "has no `context`",
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n    build-args: {A: }\n"),
        6,
        19,
        "value is missing",
    );
}

#[test]
fn strings_that_yaml_reads_as_numbers_or_booleans_must_be_quoted() {
    let base = "services:\n  api:\n    context: a\n    build-args:\n";
    for value in ["3.10", "12", "true", "0x1f", "1e3"] {
        let err = parse_err(&manifest(&format!("{base}      V: {value}\n")));
        let problem = &err.problems()[0];
        assert!(
            problem
                .message
                .contains(&format!("`{value}` must be quoted")),
            "{problem:?}"
        );
        assert_eq!(
            problem.help.as_deref(),
            Some(format!("quote the value: \"{value}\"").as_str())
        );
    }
    // YAML 1.1 booleans are plain strings here, like in YAML 1.2 and the JSON Schema.
    let loaded = parse(&manifest(&format!(
        "{base}      A: \"3.10\"\n      B: yes\n      C: 'on'\n"
    )))
    .unwrap();
    let args = &loaded.manifest.service("api").unwrap().build_args;
    assert_eq!(
        args.iter().collect::<Vec<_>>(),
        [
            (&"A".into(), &"3.10".into()),
            (&"B".into(), &"yes".into()),
            (&"C".into(), &"on".into())
        ]
    );
}

#[test]
fn duplicate_keys_are_errors_at_the_second_one() {
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n  api:\n    context: b\n"),
        6,
        3,
        "`api` is defined twice",
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n    context: b\n"),
        6,
        5,
        "`context` is defined twice",
    );
}

#[test]
fn names_follow_the_name_rule() {
    assert_one_problem(
        &manifest("services:\n  Api:\n    context: a\n"),
        4,
        3,
        "invalid service name",
    );
    assert_one_problem(
        &manifest("services:\n  _api:\n    context: a\n"),
        4,
        3,
        "must start",
    );
    assert_one_problem(
        &manifest("libraries:\n  \"my lib\":\n    paths: []\n"),
        4,
        3,
        "invalid library name",
    );
    let loaded = parse(&manifest("services:\n  api.v2_x-y:\n    context: a\n")).unwrap();
    assert_eq!(
        loaded.manifest.image("api.v2_x-y"),
        Some("ghcr.io/acme/api.v2_x-y")
    );
}

#[test]
fn required_keys_are_reported_at_their_entry() {
    assert_one_problem(
        &manifest("services:\n  api:\n    image: ghcr.io/a/b\n"),
        4,
        3,
        "service `api` has no `context`",
    );
    assert_one_problem(
        &manifest("libraries:\n  common:\n    depends-on: []\n"),
        4,
        3,
        "library `common` has no `paths`",
    );
}

#[test]
fn paths_are_normalised_and_must_stay_in_the_repository() {
    let loaded = parse(&manifest(
        "services:\n  api:\n    context: ./services/./api\n    dockerfile: ../../docker/api.Dockerfile\n  root:\n    context: .\n",
    ))
    .unwrap();
    let api = loaded.manifest.service("api").unwrap();
    assert_eq!(api.context, "services/api");
    assert_eq!(api.dockerfile, "../../docker/api.Dockerfile");
    assert_eq!(api.dockerfile_path(), "docker/api.Dockerfile");
    assert_eq!(
        loaded.manifest.service("root").unwrap().dockerfile_path(),
        "Dockerfile"
    );

    assert_one_problem(
        &manifest("services:\n  api:\n    context: /srv/api\n"),
        5,
        14,
        "not a relative path",
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context: api\n    dockerfile: ../../Dockerfile\n"),
        6,
        17,
        "leads outside the repository",
    );
}

#[test]
fn globs_are_compiled_like_the_matrix_does() {
    let loaded = parse(&manifest(
        "global: [gantry.yml, \".github/**\"]\nservices:\n  api:\n    context: a\n    watch: [\"proto/{a,b}/*.proto\"]\n    ignore: [\"**/*.md\"]\n",
    ))
    .unwrap();
    assert_eq!(texts(&loaded.manifest.global), ["gantry.yml", ".github/**"]);
    assert_eq!(
        texts(&loaded.manifest.service("api").unwrap().ignore),
        ["**/*.md"]
    );

    let err = parse_err(&manifest(
        "global: [\"a/[b\"]\nservices:\n  api:\n    context: a\n    watch: [\"/proto/**\"]\n    ignore: [\"{x\"]\nretention:\n  protect-tags: [\"v[\"]\n",
    ));
    let found = problems(&err);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found[0].2.contains("unclosed character class"), "{found:?}");
    assert!(found[1].2.contains("never matches"), "{found:?}");
    assert!(found[2].2.contains("unclosed `{`"), "{found:?}");
    assert_eq!(found[3].0, 10);
}

#[test]
fn leading_negation_and_unsupported_extglobs_are_refused_with_the_fix() {
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n    watch: [\"!docs/**\"]\n"),
        6,
        13,
        "list `docs/**` under the service's `ignore`",
    );
    assert_one_problem(
        &manifest("global: [\"src/@(a|b)/**\"]\n"),
        3,
        10,
        "the extglob `@(…)` is not supported",
    );
    let loaded = parse(&manifest(
        "services:\n  api:\n    context: a\n    watch: [\"src/**/!(*.md)\"]\n",
    ))
    .unwrap();
    assert_eq!(
        texts(&loaded.manifest.service("api").unwrap().watch),
        ["src/**/!(*.md)"]
    );
}

#[test]
fn platforms_are_os_arch_variant() {
    let loaded = parse(&manifest(
        "services:\n  api:\n    context: a\n    platforms: [linux/amd64, linux/arm/v7]\n",
    ))
    .unwrap();
    assert_eq!(
        loaded.manifest.service("api").unwrap().platforms,
        ["linux/amd64", "linux/arm/v7"]
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n    platforms: [amd64]\n"),
        6,
        17,
        "invalid platform",
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n    platforms: [linux/amd64, linux/amd64]\n"),
        6,
        30,
        "listed twice",
    );
}

#[test]
fn images_follow_the_naming_rule() {
    let loaded = parse(
        "version: 1\nregistry: GHCR.io/Acme/\nimage-prefix: Shop-\nservices:\n  api:\n    context: a\n  web:\n    context: b\n    image: Registry.Example.com:5000/Team/Web\n",
    )
    .unwrap();
    assert_eq!(loaded.manifest.image("api"), Some("ghcr.io/acme/shop-api"));
    assert_eq!(
        loaded.manifest.image("web"),
        Some("registry.example.com:5000/team/web")
    );
    assert_eq!(loaded.manifest.image("nope"), None);

    // Without a registry, every service needs its own image.
    let loaded =
        parse("version: 1\nservices:\n  api:\n    context: a\n    image: ghcr.io/x/api\n").unwrap();
    assert_eq!(loaded.manifest.image("api"), Some("ghcr.io/x/api"));
    assert_one_problem(
        "version: 1\nservices:\n  api:\n    context: a\n",
        3,
        3,
        "has no image name",
    );

    // The part to blame is pointed at.
    assert_one_problem(
        "version: 1\nregistry: acme\nservices:\n  api:\n    context: a\n",
        2,
        11,
        "not a valid registry",
    );
    assert_one_problem(
        &manifest("image-prefix: \"-\"\nservices:\n  api:\n    context: a\n"),
        3,
        15,
        "image name `ghcr.io/acme/-api`",
    );
    assert_one_problem(
        &manifest("services:\n  api_:\n    context: a\n"),
        4,
        3,
        "image name `ghcr.io/acme/api_`",
    );
    assert_one_problem(
        &manifest("services:\n  api:\n    context: a\n    image: ghcr.io/acme/api@sha256:0\n"),
        6,
        12,
        "tag or digest",
    );
}

#[test]
fn depends_on_names_must_exist_and_not_form_cycles() {
    let err = parse_err(&manifest(
        "libraries:\n  py-common:\n    paths: [libs/**]\nservices:\n  api:\n    context: a\n    depends-on: [py-commn, web]\n  web:\n    context: b\n    depends-on: [api]\n",
    ));
    let found = problems(&err);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (9, 18));
    assert!(
        err.problems()[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `py-common`?")
    );
    assert_eq!(found[1].2, "dependency cycle: api → web → api");
    assert_eq!((found[1].0, found[1].1), (12, 18));
}

#[test]
fn a_name_is_a_service_or_a_library_not_both() {
    assert_one_problem(
        &manifest("libraries:\n  api:\n    paths: [a/**]\nservices:\n  api:\n    context: a\n"),
        7,
        3,
        "both a service and a library",
    );
}

#[test]
fn deploy_stages_default_when_there_is_at_most_one() {
    let service =
        "services:\n  api:\n    context: a\n    deploy:\n      dokploy: {application: app1}\n";
    let stage_of_api = |text: &str| {
        let manifest = parse(&manifest(text)).unwrap().manifest;
        let stage = manifest
            .service("api")
            .unwrap()
            .deploy
            .as_ref()
            .unwrap()
            .stage
            .clone();
        (manifest.deploy.stages, stage)
    };
    assert_eq!(
        stage_of_api(service),
        (vec![DEFAULT_STAGE.to_owned()], DEFAULT_STAGE.to_owned())
    );
    assert_eq!(
        stage_of_api(&format!("{service}deploy:\n  stages: [only]\n")),
        (vec!["only".to_owned()], "only".to_owned())
    );

    assert_one_problem(
        &manifest(&format!("{service}deploy:\n  stages: [a, b]\n")),
        7,
        7,
        "does not say which stage",
    );
    assert_one_problem(
        &manifest(
            "services:\n  api:\n    context: a\n    deploy:\n      stage: be\n      dokploy: {application: x}\n",
        ),
        7,
        14,
        "not listed in `deploy.stages`",
    );
}

#[test]
fn stages_are_unique_and_unused_ones_are_warned_about() {
    assert_one_problem(
        &manifest("deploy:\n  stages: [a, a]\n"),
        4,
        15,
        "listed twice",
    );
    let loaded = parse(&manifest(
        "services:\n  api:\n    context: a\n    deploy:\n      stage: a\n      dokploy: {application: x}\ndeploy:\n  stages: [a, b]\n",
    ))
    .unwrap();
    let warnings: Vec<_> = loaded
        .warnings
        .iter()
        .map(|w| (w.problem.line, w.problem.message.as_str()))
        .collect();
    assert_eq!(warnings, [(10, "no service deploys in stage `b`")]);
}

#[test]
fn dokploy_targets_are_an_application_or_a_compose() {
    let loaded = parse(&manifest(
        "services:\n  a:\n    context: a\n    deploy:\n      dokploy: {application: app1}\n  b:\n    context: b\n    deploy:\n      dokploy: {compose: shop/production/web}\n  c:\n    context: c\n    deploy:\n      dokploy: {compose: cmp1, tag-var: C_TAG}\n",
    ))
    .unwrap();
    let target = |name: &str| {
        loaded
            .manifest
            .target(name, DEFAULT_ENVIRONMENT)
            .unwrap()
            .dokploy
            .clone()
    };
    assert_eq!(
        target("a"),
        DokployTarget::Application { id: "app1".into() }
    );
    assert_eq!(
        target("b"),
        DokployTarget::Compose {
            id: "shop/production/web".into(),
            tag_var: "IMAGE_TAG".into()
        }
    );
    assert!(target("b").is_name_path() && !target("a").is_name_path());
    assert_eq!(target("c").id(), "cmp1");

    let deploy = |target: &str| {
        manifest(&format!(
            "services:\n  a:\n    context: a\n    deploy:\n      dokploy: {target}\n"
        ))
    };
    assert_one_problem(&deploy("{}"), 7, 16, "neither an application nor a compose");
    assert_one_problem(&deploy("{application: x, compose: y}"), 7, 42, "not both");
    assert_one_problem(
        &deploy("{application: x, tag-var: T}"),
        7,
        42,
        "only applies to a compose",
    );
    assert_one_problem(
        &deploy("{compose: y, tag-var: 1X}"),
        7,
        38,
        "not an environment variable name",
    );
    assert_one_problem(
        &deploy("{compose: a/b}"),
        7,
        26,
        "neither a Dokploy id nor a name path",
    );
    assert_one_problem(&deploy("{app: x}"), 7, 17, "unknown key `app`");
    assert_one_problem(
        &manifest("services:\n  a:\n    context: a\n    deploy: {}\n"),
        6,
        13,
        "no `dokploy` target",
    );
}

#[test]
fn the_dokploy_url_is_http_without_credentials() {
    let url = |u: &str| manifest(&format!("deploy:\n  dokploy:\n    url: {u}\n"));
    let loaded = parse(&url("http://localhost:3000")).unwrap();
    assert_eq!(
        loaded
            .manifest
            .environment(DEFAULT_ENVIRONMENT)
            .unwrap()
            .dokploy_url
            .as_deref(),
        Some("http://localhost:3000")
    );
    assert_one_problem(&url("dokploy.example.com"), 5, 10, "not a URL");
    assert_one_problem(&url("ftp://d.example"), 5, 10, "http:// or https://");
    let err = parse_err(&url("https://admin:pw@d.example"));
    assert!(err.problems()[0].message.contains("contains credentials"));
    assert!(
        err.problems()[0]
            .help
            .as_deref()
            .unwrap()
            .contains("DOKPLOY_API_KEY")
    );
}

#[test]
fn retention_reads_counts_durations_and_tag_globs() {
    let loaded = parse(&manifest(
        "retention:\n  keep-tagged: 5\n  keep-untagged: 0\n  older-than: 2weeks\n  age-from: created\n  protect-tags: [latest, \"v*\"]\n  delete-tags: [\"pr-*\"]\n",
    ))
    .unwrap();
    let r = &loaded.manifest.retention;
    assert_eq!((r.keep_tagged, r.keep_untagged), (Some(5), Some(0)));
    let age = r.older_than.as_ref().unwrap();
    assert_eq!(
        (age.text.as_str(), age.duration.as_secs()),
        ("2weeks", 14 * 24 * 3600)
    );
    assert_eq!(r.age_from, AgeFrom::Created);
    assert_eq!(r.protect_tags, ["latest", "v*"]);
    assert_eq!(r.delete_tags, ["pr-*"]);
    assert_one_problem(
        &manifest("retention:\n  older-than: soon\n"),
        4,
        15,
        "not a duration",
    );
    assert_one_problem(
        &manifest("retention:\n  age-from: pushed\n"),
        4,
        13,
        "unknown value `pushed`",
    );
}

#[test]
fn every_validation_problem_is_reported_at_once_in_file_order() {
    let err = parse_err(&manifest(
        "libraries:\n  Lib:\n    paths: [x]\nservices:\n  api:\n    context: /abs\n    platforms: [x]\n  web:\n    context: w\n    depends-on: [nope]\n",
    ));
    let lines: Vec<usize> = err.problems().iter().map(|p| p.line).collect();
    assert_eq!(lines, [4, 8, 9, 12]);
    // The first problem is the error itself; the others are related diagnostics.
    use miette::Diagnostic;
    assert_eq!(err.to_string(), err.problems()[0].message);
    assert_eq!(err.related().unwrap().count(), 3);
    assert_eq!(err.file(), "gantry.yml");
    let label = err.labels().unwrap().next().unwrap();
    assert_eq!(label.offset(), err.problems()[0].span.offset());
}

#[test]
fn no_services_is_legal_but_warned_about() {
    for text in [
        "version: 1\n",
        "version: 1\nservices: {}\n",
        "version: 1\nservices:\n",
    ] {
        let loaded = parse(text).unwrap();
        assert!(loaded.manifest.services.is_empty());
        let messages: Vec<_> = loaded
            .warnings
            .iter()
            .map(|w| w.problem.message.as_str())
            .collect();
        assert_eq!(messages, ["the manifest has no services"], "{text}");
    }
}

#[test]
fn hostile_input_is_refused_without_crashing() {
    let deep_flow = format!(
        "version: 1\nglobal: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let err = parse_err(&deep_flow);
    assert!(err.problems()[0].message.contains("limit"), "{err}");
    let deep_block: String = (0..200)
        .map(|depth| format!("{}- x:\n", "  ".repeat(depth)))
        .collect();
    let err = parse_err(&format!("version: 1\nglobal:\n{deep_block}"));
    assert!(
        err.problems()[0]
            .message
            .contains("too large or too deeply nested"),
        "{err}"
    );

    let huge = "#".repeat(5 * 1024 * 1024);
    assert!(matches!(parse(&huge), Err(ManifestError::TooLarge { .. })));
}

#[test]
fn ten_thousand_services_are_not_hostile_input() {
    let mut text = manifest("libraries:\n  lib:\n    paths: [\"lib/**\"]\nservices:\n");
    for index in 0..10_000 {
        text.push_str(&format!(
            "  s-{index}:\n    context: s/{index}\n    watch: [\"p/{index}/**\"]\n    ignore: \
             [\"**/*.md\"]\n    depends-on: [lib]\n    platforms: [linux/amd64]\n"
        ));
    }
    let loaded = parse(&text).unwrap();
    assert_eq!(loaded.manifest.services.len(), 10_000);
}

#[test]
fn yaml_features_keep_their_locations() {
    let loaded = parse(&manifest(
        "services:\n  api: &svc\n    context: a\n    platforms: [linux/amd64]\n  web:\n    <<: *svc\n    context: b\n",
    ))
    .unwrap();
    assert_eq!(
        loaded.manifest.service("web").unwrap().platforms,
        ["linux/amd64"]
    );
    // A problem in an anchored value is reported where it is used.
    let err = parse_err(&manifest(
        "x: &bad linux\nservices:\n  api:\n    context: a\n    platforms: [*bad]\n",
    ));
    assert_eq!(err.problems()[0].message, "unknown key `x`");
}

#[test]
fn byte_order_marks_and_crlf_line_ends_are_fine() {
    let text = "\u{feff}version: 1\r\nregistry: ghcr.io/acme\r\nservices:\r\n  api:\r\n    context: a\r\n    platforms: [x]\r\n";
    let err = parse_err(text);
    let problem = &err.problems()[0];
    assert_eq!((problem.line, problem.column), (6, 17), "{problem:?}");
    assert_eq!(&text[problem.span.offset()..][..1], "x");
    let fixed = text.replace("[x]", "[linux/amd64]");
    assert_eq!(
        parse(&fixed)
            .unwrap()
            .manifest
            .service("api")
            .unwrap()
            .context,
        "a"
    );
}

#[test]
fn secret_looking_build_args_are_warned_about_and_masked() {
    let loaded = parse(&manifest(
        "services:\n  api:\n    context: a\n    build-args:\n      NPM_TOKEN: \"npm_abcdef\"\n      NODE_ENV: production\n",
    ))
    .unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    let warning = &loaded.warnings[0];
    assert_eq!((warning.problem.line, warning.problem.column), (7, 7));
    assert!(
        warning
            .problem
            .message
            .contains("`NPM_TOKEN` looks like a secret")
    );
    let shown = crate::support::render(warning);
    assert!(!shown.contains("npm_abcdef"), "{shown}");
}

#[test]
fn glob_syntax_that_would_never_match_is_refused_where_it_is_written() {
    let deep = format!("{}a,b{}", "{".repeat(300), "}".repeat(300));
    let text = manifest(&format!(
        "services:\n  api:\n    context: a\n    watch: [\"{deep}\", \"[[:letters:]]\", \"v{{1..9999}}\"]\n    ignore: [\"../x/**\", \"./docs/**\"]\n"
    ));
    let err = parse_err(&text);
    let found = problems(&err);
    assert_eq!(
        found.iter().map(|(l, c, _)| (*l, *c)).collect::<Vec<_>>(),
        [(6, 13), (6, 620), (6, 637), (7, 14)],
        "{found:?}"
    );
    for (at, part) in [
        (0, "braces are nested more than 8 deep"),
        (1, "unknown POSIX class `[:letters:]`"),
        (2, "more than 256 values"),
        (3, "drop the leading `../`"),
    ] {
        assert!(found[at].2.contains(part), "{found:?}");
    }
}
