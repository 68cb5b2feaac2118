//! Loading from disk: the root, file errors, and warnings about the repository.

use std::fs;

use gantry_manifest::ManifestError;
use miette::Diagnostic;

use crate::support::render;

const MANIFEST: &str = "version: 1
registry: ghcr.io/acme
services:
  api:
    context: services/api
  web:
    context: services/web
    dockerfile: ../../docker/web.Dockerfile
  missing:
    context: services/missing
  file:
    context: README.md
";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write("gantry.yml", MANIFEST);
    write("services/api/Dockerfile", "FROM scratch\n");
    write("services/web/index.html", "");
    write("README.md", "");
    dir
}

#[test]
fn paths_are_relative_to_the_manifest_directory() {
    let repo = repo();
    let loaded = gantry_manifest::load(&repo.path().join("gantry.yml")).unwrap();
    assert_eq!(loaded.root, repo.path());
    assert_eq!(loaded.path, repo.path().join("gantry.yml"));
    let web = loaded.manifest.service("web").unwrap();
    assert_eq!(web.dockerfile_path(), "docker/web.Dockerfile");
}

#[test]
fn contexts_and_dockerfiles_missing_from_the_repository_are_warnings() {
    let repo = repo();
    let loaded = gantry_manifest::load(&repo.path().join("gantry.yml")).unwrap();
    let warnings = crate::support::warnings(&loaded);
    assert_eq!(
        warnings,
        [
            (8, 17, "Dockerfile `docker/web.Dockerfile` does not exist"),
            (10, 14, "build context `services/missing` does not exist"),
            (12, 14, "build context `README.md` is not a directory"),
        ]
    );
    let first = &loaded.warnings[0];
    assert_eq!(first.severity(), Some(miette::Severity::Warning));
    assert!(first.file.ends_with("gantry.yml"));
    let rendered = render(first);
    assert!(
        rendered.contains("dockerfile: ../../docker/web.Dockerfile"),
        "{rendered}"
    );

    let parsed = gantry_manifest::parse("gantry.yml", MANIFEST, Some(repo.path())).unwrap();
    let rendered: Vec<String> = parsed.warnings.iter().map(|w| render(w)).collect();
    insta::assert_snapshot!(rendered.join("\n"));

    // Without a root nothing is looked up.
    let loaded = gantry_manifest::parse("gantry.yml", MANIFEST, None).unwrap();
    assert!(loaded.warnings.is_empty());
}

#[test]
fn file_problems_are_clear_errors() {
    let repo = repo();
    let missing = repo.path().join("nope.yml");
    let err = gantry_manifest::load(&missing).unwrap_err();
    assert!(matches!(err, ManifestError::Read { .. }), "{err:?}");
    assert!(err.help().unwrap().to_string().contains("--manifest"));

    let err = gantry_manifest::load(repo.path()).unwrap_err();
    assert!(matches!(err, ManifestError::IsDirectory { .. }), "{err:?}");
    assert!(err.help().unwrap().to_string().ends_with("gantry.yml"));

    let latin1 = repo.path().join("latin1.yml");
    fs::write(&latin1, b"version: 1\n# caf\xe9\n").unwrap();
    let err = gantry_manifest::load(&latin1).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::NotUtf8 {
                line: 2,
                column: 6,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("not UTF-8"));

    let huge = repo.path().join("huge.yml");
    fs::write(&huge, vec![b'#'; 5 * 1024 * 1024]).unwrap();
    let err = gantry_manifest::load(&huge).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::TooLarge {
                size: 5_242_880,
                ..
            }
        ),
        "{err:?}"
    );

    let err = gantry_manifest::load(&missing).unwrap_err();
    assert_eq!(err.file(), missing.to_string_lossy());
    assert!(err.problems().is_empty());
    assert!(err.labels().is_none());
}

#[test]
fn a_glob_naming_a_directory_without_wildcards_is_a_warning() {
    let repo = repo();
    fs::create_dir_all(repo.path().join("proto")).unwrap();
    fs::create_dir_all(repo.path().join("vendor/lib/.git")).unwrap();
    fs::write(repo.path().join("vendor/lib/.git/HEAD"), "").unwrap();
    let text = "version: 1
registry: ghcr.io/acme
global: [gantry.yml, proto/, vendor/lib]
services:
  api:
    context: services/api
    watch: [proto, \"proto/**\"]
";
    let loaded = gantry_manifest::parse("gantry.yml", text, Some(repo.path())).unwrap();
    let warnings = crate::support::warnings(&loaded);
    let message = "is a directory, and a glob without wildcards matches only that exact path, \
                   no file below it";
    assert_eq!(
        warnings,
        [
            (3, 22, format!("`proto/` {message}").as_str()),
            (7, 13, format!("`proto` {message}").as_str()),
        ],
        "a submodule (vendor/lib) and a file (gantry.yml) are fine"
    );
    assert_eq!(
        loaded.warnings[1].problem.help.as_deref(),
        Some("write `proto/**` to match every file in it")
    );
}

#[test]
fn a_missing_dockerfile_names_the_nearest_existing_one() {
    let repo = repo();
    fs::write(repo.path().join("services/api/Dockerfile.production"), "").unwrap();
    fs::write(repo.path().join("services/api/main.py"), "").unwrap();
    let text = "version: 1
registry: ghcr.io/acme
services:
  api:
    context: services/api
    dockerfile: Dockerfile.prod
  web:
    context: services/web
    dockerfile: Containerfile
";
    let loaded = gantry_manifest::parse("gantry.yml", text, Some(repo.path())).unwrap();
    let helps: Vec<(&str, Option<&str>)> = loaded
        .warnings
        .iter()
        .map(|w| (w.problem.message.as_str(), w.problem.help.as_deref()))
        .collect();
    assert_eq!(
        helps,
        [
            (
                "Dockerfile `services/api/Dockerfile.prod` does not exist",
                Some(
                    "did you mean `Dockerfile.production`? `dockerfile` is relative to \
                     `context` and defaults to `Dockerfile`"
                )
            ),
            (
                "Dockerfile `services/web/Containerfile` does not exist",
                Some("`dockerfile` is relative to `context` and defaults to `Dockerfile`")
            ),
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_repository_is_refused_where_it_is_used() {
    let repo = repo();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    fs::write(outside.path().join("id_rsa"), "secret\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("services/evil")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linked")).unwrap();
    // A link that stays inside is fine.
    std::os::unix::fs::symlink("api", repo.path().join("services/alias")).unwrap();
    let text = "version: 1
registry: ghcr.io/acme
services:
  evil:
    context: services/evil
  nested:
    context: linked
  alias:
    context: services/alias
  dockerfile:
    context: services/api
    dockerfile: ../../linked/Dockerfile
";
    let err = gantry_manifest::parse("gantry.yml", text, Some(repo.path())).unwrap_err();
    let found: Vec<(usize, usize, &str)> = err
        .problems()
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    let real = fs::canonicalize(outside.path()).unwrap();
    let outside_message = |key: &str, path: &str, target: std::path::PathBuf| {
        format!(
            "`{key}` `{path}` leads outside the repository: a symbolic link makes it {}",
            target.display()
        )
    };
    assert_eq!(
        found,
        [
            (
                5,
                14,
                outside_message("context", "services/evil", real.clone()).as_str()
            ),
            (
                7,
                14,
                outside_message("context", "linked", real.clone()).as_str()
            ),
            (
                12,
                17,
                outside_message("dockerfile", "linked/Dockerfile", real.join("Dockerfile"))
                    .as_str()
            ),
        ]
    );
    assert!(render(&err).contains("gantry.yml:5:14"), "{}", render(&err));
}
