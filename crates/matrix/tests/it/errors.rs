//! Bad input exits 2 with a located message (never a panic); an unusable git exits 1.

use crate::support::{Run, Sandbox, Step};

#[track_caller]
fn assert_bad_input(run: &Run, parts: &[&str]) {
    run.assert_refused(2, parts);
}

#[test]
fn a_bad_manifest_is_located_in_the_log_and_in_an_annotation() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write(
        "gantry.yml",
        "version: 1\nregistry: ghcr.io/acme\nservices:\n  api:\n    context: services/api\n    dependson: [lib-a]\n",
    );
    let run = repo.run(&["--base", "HEAD"], &[]);
    assert_bad_input(
        &run,
        &[
            "unknown key `dependson`",
            "gantry.yml:6:5",
            "did you mean `depends-on`?",
        ],
    );

    let step = Step::new();
    let run = step.run(&repo, &["--base", "HEAD"], &[]);
    assert_bad_input(&run, &["::error file=gantry.yml,line=6,col=5,"]);
}

#[test]
fn manifest_rules_are_errors_too() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write(
        "gantry.yml",
        "version: 1\nregistry: ghcr.io/acme\nservices:\n  api:\n    context: services/api\n    watch: [\"!docs/**\"]\n    depends-on: [nope]\n",
    );
    let run = repo.run(&["--all"], &[]);
    assert_bad_input(
        &run,
        &[
            "invalid glob `!docs/**`",
            "`api` depends on `nope`",
            "gantry.yml:6:13",
        ],
    );
    let run = repo.run(&["--manifest", "missing.yml"], &[]);
    assert_bad_input(&run, &["cannot read the manifest missing.yml"]);
}

#[test]
fn bad_event_payloads_are_located() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let step = Step::new();
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "push",
            "{\"ref\": \"refs/heads/main\",\n \"before\": 12}",
            &["invalid event payload", "at `before`", "line 2"],
        ),
        (
            "push",
            "{\"ref\": \"refs/heads/main\", \"after\"",
            &["invalid event payload", "line 1"],
        ),
        (
            "merge_group",
            r#"{"merge_group": {"base_sha": "main", "head_sha": "0123456789012345678901234567890123456789", "base_ref": "refs/heads/main", "head_ref": "refs/heads/q"}}"#,
            &["`merge_group.base_sha` is `main`, not a commit SHA"],
        ),
        (
            "pull_request",
            r#"{"number": 1, "pull_request": {"base": {"ref": "main", "sha": "0123456789012345678901234567890123456789"}, "head": {"ref": "x", "sha": "HEAD"}}}"#,
            &["`pull_request.head.sha` is `HEAD`, not a commit SHA"],
        ),
    ];
    for (event, payload, parts) in cases {
        let path = step.event(&serde_json::Value::Null);
        std::fs::write(&path, payload).unwrap();
        let run = step.run(
            &repo,
            &[],
            &[("GITHUB_EVENT_NAME", event), ("GITHUB_EVENT_PATH", &path)],
        );
        assert_bad_input(&run, parts);
        assert!(run.stderr.contains("::error "), "{}", run.stderr);
    }
}

#[test]
fn bad_flags_and_inputs_are_bad_input() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let run = repo.run(&["--services", "api,wrker"], &[]);
    assert_bad_input(
        &run,
        &[
            "`wrker`, which is not a service of gantry.yml",
            "did you mean `worker`?",
        ],
    );
    let run = repo.run(&["--all", "--services", "api"], &[]);
    assert_bad_input(
        &run,
        &["--all and --services both choose the services to build"],
    );
    let run = repo.run(&[], &[("INPUT_ALL", "yes")]);
    assert_bad_input(&run, &["invalid value 'yes'"]);
    let run = repo.run(&["--format", "yaml"], &[]);
    assert_bad_input(&run, &["invalid value 'yaml'"]);
}

#[test]
fn empty_inputs_are_absent_and_inputs_choose_services() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let empty = [
        ("INPUT_BASE", "HEAD"),
        ("INPUT_HEAD", ""),
        ("INPUT_ALL", ""),
        ("INPUT_SERVICES", ""),
        ("INPUT_FORMAT", ""),
        ("INPUT_MANIFEST", ""),
    ];
    let run = repo.run(&[], &empty);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(
        run.stdout.starts_with("0 of 4 services to build\n"),
        "{}",
        run.stdout
    );

    let run = repo.run(
        &["--format", "json"],
        &[("INPUT_SERVICES", "worker\n api"), ("INPUT_ALL", "false")],
    );
    assert_eq!(
        crate::support::reasons(&run.json()),
        crate::support::pairs(&[
            ("api", "selected: --services"),
            ("worker", "selected: --services")
        ])
    );
}

#[test]
fn outside_a_repository_git_fails_clearly_but_forced_selections_work() {
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gantry.yml"), crate::support::MANIFEST).unwrap();
    let work = sandbox.at(dir.path());
    let run = work.run(&[], &[("GIT_CEILING_DIRECTORIES", "/")]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr.contains("is not inside a git repository"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pass --all or --services"),
        "{}",
        run.stderr
    );

    let run = work.run(&["--all", "--format", "json"], &[]);
    assert_eq!(run.json()["count"], 4);
}

#[test]
fn a_bad_tag_rule_stops_the_plan_located_in_the_manifest() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let manifest = crate::support::MANIFEST.replace(
        "libraries:",
        "tags: |\n  type=ref,event=branch\n  type=semvr,pattern={{version}}\nlibraries:",
    );
    repo.write("gantry.yml", &manifest);
    let run = repo.run(&["--all"], &[]);
    assert_bad_input(
        &run,
        &["type=semvr", "gantry.yml:6:3", "did you mean `type=semver`"],
    );

    // A service's own rules are read too.
    let manifest = crate::support::MANIFEST.replace(
        "  worker:\n",
        "  worker:\n    tags: \"type=sha,format=medium\"\n",
    );
    repo.write("gantry.yml", &manifest);
    let step = Step::new();
    let run = step.run(&repo, &["--base", "HEAD"], &[]);
    assert_bad_input(&run, &["format=medium", "::error file=gantry.yml,line=21"]);
}

#[test]
fn repeated_warnings_of_one_kind_are_grouped() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let mut manifest = String::from("version: 1\nregistry: ghcr.io/acme\nservices:\n");
    for index in 0..40 {
        manifest.push_str(&format!(
            "  svc-{index}:\n    context: services/svc-{index}\n"
        ));
        repo.write(&format!("services/svc-{index}/main.py"), "print()\n");
    }
    repo.write("gantry.yml", &manifest);
    repo.commit("no Dockerfiles");
    let step = Step::new();
    let run = step.run(&repo, &["--all"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.stderr.matches("⚠").count(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: 37 more warnings like these (no such file) at gantry.yml:10:3, \
             gantry.yml:12:3,"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("and 17 more places"), "{}", run.stderr);
    let annotations = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .count();
    assert_eq!(annotations, 4, "{}", run.stderr);
}
