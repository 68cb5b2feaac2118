//! Under GitHub Actions: step outputs (chunked above 256 jobs), the step summary, masking.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::support::{Sandbox, Step};

#[test]
fn outputs_and_summary_of_a_change() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    repo.write("services/api/main.py", "print('v2')\n");
    repo.write("libs/b/b.py", "B = 2\n");
    repo.write("services/web/index.html", "<h1>v2</h1>\n");
    repo.commit("change");
    let step = Step::new();
    let run = step.run(&repo, &["--base", "HEAD~1"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");

    let names: Vec<String> = step.outputs().into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "matrix", "services", "count", "any", "chunks", "matrix-1", "redeploy"
        ]
    );
    assert_declared(&names);
    let matrix: Value = serde_json::from_str(&step.output("matrix")).unwrap();
    assert!(!step.output("matrix").contains('\n'), "one line");
    assert_eq!(
        matrix["include"][0],
        json!({
            "service": "api",
            "context": "services/api",
            "dockerfile": "services/api/Dockerfile",
            "image": "ghcr.io/acme/api",
            "platforms": ["linux/amd64", "linux/arm64"],
            "build-args": {"PYTHON_VERSION": "3.12"},
            "build-args-lines": "PYTHON_VERSION=3.12"
        })
    );
    assert_eq!(matrix["include"][1]["service"], "web");
    assert_eq!(matrix["include"][1]["build-args-lines"], "");
    assert_eq!(step.output("matrix-1"), step.output("matrix"));
    assert_eq!(step.output("services"), r#"["api","web"]"#);
    assert_eq!(step.output("count"), "2");
    assert_eq!(step.output("any"), "true");
    assert_eq!(step.output("chunks"), "1");
    insta::assert_snapshot!(step.summary());
}

/// Every output written is one of `OUTPUTS`, which the composite action declares.
fn assert_declared(names: &[String]) {
    for name in names {
        assert!(
            gantry_matrix::outputs::OUTPUTS
                .iter()
                .any(|(declared, _)| declared == name),
            "output {name} is not in OUTPUTS"
        );
    }
}

#[test]
fn an_empty_selection_has_outputs_for_a_job_level_if() {
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    let step = Step::new();
    let run = step.run(&repo, &["--base", "HEAD", "--head", "HEAD"], &[]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        step.outputs(),
        [
            ("matrix", r#"{"include":[]}"#),
            ("services", "[]"),
            ("count", "0"),
            ("any", "false"),
            ("chunks", "0"),
            ("redeploy", "false"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
    );
    assert!(
        step.summary().contains("Nothing to build."),
        "{}",
        step.summary()
    );
}

#[test]
fn build_args_also_come_as_lines_for_build_push_action() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("api")).unwrap();
    std::fs::write(dir.path().join("api/Dockerfile"), "FROM scratch\n").unwrap();
    let manifest = dir.path().join("gantry.yml");
    std::fs::write(
        &manifest,
        "version: 1\nregistry: ghcr.io/acme\nservices:\n  api:\n    context: api\n    \
         build-args: {PYTHON_VERSION: \"3.12\", GREETING: \"a=b c\", EMPTY: \"\"}\n",
    )
    .unwrap();
    let sandbox = Sandbox::new();
    let repo = sandbox.at(dir.path());
    let step = Step::new();
    let run = step.run(
        &repo,
        &["--manifest", manifest.to_str().unwrap(), "--all"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:#?}");
    let matrix: Value = serde_json::from_str(&step.output("matrix")).unwrap();
    assert_eq!(
        matrix["include"][0]["build-args-lines"], "PYTHON_VERSION=3.12\nGREETING=a=b c\nEMPTY=",
        "manifest order, one KEY=value line each"
    );
}

/// A manifest of `count` services, each with a build argument of `arg_len` characters, in
/// a fresh directory (no repository: `--all` needs none).
fn generated(count: usize, arg_len: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("version: 1\nregistry: ghcr.io/acme\nservices:\n");
    for index in 0..count {
        let context = dir.path().join(format!("services/svc-{index:03}"));
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("Dockerfile"), "FROM scratch\n").unwrap();
        let _ = write!(
            manifest,
            "  svc-{index:03}:\n    context: services/svc-{index:03}\n    build-args: {{PAD: \"{}\"}}\n",
            "x".repeat(arg_len)
        );
    }
    let path = dir.path().join("gantry.yml");
    std::fs::write(&path, manifest).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn more_than_256_services_are_split_into_chunk_outputs() {
    let (dir, manifest) = generated(300, 1);
    let sandbox = Sandbox::new();
    let repo = sandbox.at(dir.path());
    let step = Step::new();
    let run = step.run(
        &repo,
        &["--manifest", &manifest, "--all", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.json()["count"], 300, "stdout keeps the whole matrix");

    let names: Vec<String> = step.outputs().into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "services", "count", "any", "chunks", "matrix-1", "matrix-2", "redeploy"
        ],
        "no `matrix`: GitHub refuses more than 256 jobs"
    );
    assert_declared(&names);
    assert_eq!(step.output("chunks"), "2");
    let chunk = |name: &str| -> Vec<String> {
        let matrix: Value = serde_json::from_str(&step.output(name)).unwrap();
        matrix["include"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["service"].as_str().unwrap().to_owned())
            .collect()
    };
    let (first, second) = (chunk("matrix-1"), chunk("matrix-2"));
    assert_eq!((first.len(), second.len()), (256, 44));
    assert_eq!(
        (first[0].as_str(), first[255].as_str()),
        ("svc-000", "svc-255")
    );
    assert_eq!(
        (second[0].as_str(), second[43].as_str()),
        ("svc-256", "svc-299")
    );
    let services: Vec<String> = serde_json::from_str(&step.output("services")).unwrap();
    assert_eq!(services.len(), 300);
    assert!(
        run.stderr.contains(
            "::warning title=gantry-matrix%3A matrix split into chunks::300 services are selected"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn outputs_over_github_size_limit_fail_with_how_to_split() {
    let (dir, manifest) = generated(200, 2_000);
    let sandbox = Sandbox::new();
    let repo = sandbox.at(dir.path());
    let step = Step::new();
    let run = step.run(&repo, &["--manifest", &manifest, "--all"], &[]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr
            .contains("more than the 1000000 GitHub accepts per job (UTF-16 measure)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("split the services over several manifests")
    );
    assert_eq!(step.outputs(), [], "nothing half-written");
    assert_eq!(run.stdout, "");

    // GitHub's limit is for step outputs: outside Actions the plan is printed in full.
    for format in ["text", "json"] {
        let run = repo.run(&["--manifest", &manifest, "--all", "--format", format], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("svc-199"), "{format}");
    }
}

#[test]
fn secrets_never_appear_in_any_output() {
    let token = "ghp_SECRETtoken1234567890";
    let sandbox = Sandbox::new();
    let repo = sandbox.monorepo("repo");
    // The secret in the data itself: a file name.
    repo.write(&format!("services/api/{token}.py"), "x\n");
    repo.commit("leak");
    for format in ["text", "json"] {
        let step = Step::new();
        let run = step.run(
            &repo,
            &["--base", "HEAD~1", "--format", format],
            &[
                ("GITHUB_TOKEN", token),
                ("DOKPLOY_API_KEY", "dokploy-KEY-123"),
            ],
        );
        assert_eq!(run.code, 0, "{run:#?}");
        assert!(
            run.stderr.contains(&format!("::add-mask::{token}\n")),
            "{}",
            run.stderr
        );
        let stderr: String = run
            .stderr
            .lines()
            .filter(|line| !line.starts_with("::add-mask::"))
            .collect();
        let outputs = format!("{:?}", step.outputs());
        for (name, text) in [
            ("stdout", &run.stdout),
            ("stderr", &stderr),
            ("outputs", &outputs),
            ("summary", &step.summary()),
        ] {
            assert!(!text.contains(token), "{name}: {text}");
            assert!(!text.contains("dokploy-KEY-123"), "{name}: {text}");
        }
        assert!(run.stdout.contains("services/api/***.py"), "{}", run.stdout);
    }
}
