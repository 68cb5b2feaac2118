//! What gantry-tags reads from a real git checkout: `--context git`, commit dates, and the
//! existing tags behind the backport warning.

use crate::support::{Step, git, git_repo};

fn in_repo(dir: &std::path::Path) -> Step {
    Step::new()
        .cwd(dir)
        .env("SOURCE_DATE_EPOCH", "1714557600")
        .args(["--images", "ghcr.io/acme/api", "--format", "json"])
}

fn version(stdout: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json["version"].as_str().unwrap().to_owned()
}

#[test]
fn git_context_reads_the_checked_out_branch() {
    let repo = tempfile::tempdir().unwrap();
    git_repo(repo.path(), &["one", "two"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let run = in_repo(repo.path())
        .args([
            "--context",
            "git",
            "--tags",
            "type=ref,event=branch\ntype=sha,format=long\ntype=raw,value={{commit_date 'YYYY-MM-DD'}}",
        ])
        // The checkout wins over GITHUB_REF when a branch is checked out, as in metadata-action.
        .env("GITHUB_REF", "refs/heads/elsewhere")
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["tag-names"],
        serde_json::json!(["main", "2024-05-02", format!("sha-{head}")]),
        "raw (priority 200) before sha (100)"
    );
    assert_eq!(json["labels"]["org.opencontainers.image.revision"], head);
}

/// The detached checkouts metadata-action reads are cases of
/// `fixtures/metadata-action-v6-differences.json` (item 1); this is where it gives up.
#[test]
fn git_context_on_a_detached_head_nothing_contains() {
    let repo = tempfile::tempdir().unwrap();
    git_repo(repo.path(), &["one", "two"]);
    git(repo.path(), &["checkout", "-q", "--detach", "main"]);
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "three"],
    );
    let tags = ["--context", "git", "--tags", "type=ref,event=branch"];
    // GITHUB_REF is not read with `context: git`, as in metadata-action.
    let run = in_repo(repo.path())
        .args(tags)
        .env("GITHUB_REF", "refs/heads/release")
        .run();
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("its ref cannot be known"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("check out a branch or a tag"),
        "{}",
        run.stderr
    );
    // A later tag containing it is the last resort.
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "four"],
    );
    git(repo.path(), &["tag", "v9.9.9"]);
    git(repo.path(), &["checkout", "-q", "--detach", "HEAD~1"]);
    let run = in_repo(repo.path())
        .args(["--context", "git", "--tags", "type=ref,event=tag"])
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(version(&run.stdout), "v9.9.9");
}

#[test]
fn git_context_outside_a_checkout_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let run = in_repo(dir.path()).args(["--context", "git"]).run();
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--context git needs"), "{}", run.stderr);
}

#[test]
fn workflow_commit_date_falls_back_to_the_checkout() {
    let repo = tempfile::tempdir().unwrap();
    git_repo(repo.path(), &["one"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let run = in_repo(repo.path())
        .env("GITHUB_SHA", &head)
        .args(["--tags", "type=raw,value={{commit_date 'YYYYMMDD-HHmm'}}"])
        .run();
    assert_eq!(version(&run.stdout), "20240501-1000");
}

#[test]
fn a_backport_release_moving_latest_is_warned_about() {
    let repo = tempfile::tempdir().unwrap();
    git_repo(repo.path(), &["one", "two", "three"]);
    for (tag, at) in [
        ("v2.0.0", "HEAD"),
        ("v3.0.0-rc.1", "HEAD"),
        ("v1.2.4", "HEAD~1"),
        ("api/v9.0.0", "HEAD"),
    ] {
        git(repo.path(), &["tag", tag, at]);
    }
    let spec = ["--tags", "type=semver,pattern={{version}}"];
    let run = in_repo(repo.path())
        .env("GITHUB_REF", "refs/tags/v1.2.4")
        .args(spec)
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`latest` moves to v1.2.4 although the higher release v2.0.0 exists"),
        "{}",
        run.stderr
    );
    // The highest release, a prerelease, or a release under another prefix: no warning.
    for git_ref in [
        "refs/tags/v2.0.0",
        "refs/tags/v2.1.0",
        "refs/tags/api/v9.0.0",
    ] {
        let run = in_repo(repo.path())
            .env("GITHUB_REF", git_ref)
            .args(spec)
            .run();
        assert!(
            !run.stderr.contains("backport"),
            "{git_ref}: {}",
            run.stderr
        );
    }
    // latest=false: nothing moves.
    let run = in_repo(repo.path())
        .env("GITHUB_REF", "refs/tags/v1.2.4")
        .args(spec)
        .args(["--flavor", "latest=false"])
        .run();
    assert!(!run.stderr.contains("backport"), "{}", run.stderr);
}

/// A local run (no Actions) that names no ref reads what git knows.
fn local(dir: &std::path::Path, tags: &str) -> crate::support::Finished {
    Step::new()
        .cwd(dir)
        .env("SOURCE_DATE_EPOCH", "1714557600")
        .args([
            "--images",
            "ghcr.io/acme/api",
            "--format",
            "json",
            "--tags",
            tags,
        ])
        .run()
}

#[test]
fn a_local_run_without_github_context_reads_the_checkout() {
    let origin = tempfile::tempdir().unwrap();
    git_repo(origin.path(), &["one", "two"]);
    git(origin.path(), &["checkout", "-q", "-b", "trunk"]);
    let scratch = tempfile::tempdir().unwrap();
    let clone = scratch.path().join("clone");
    let source = format!("file://{}", origin.path().display());
    git(scratch.path(), &["clone", "-q", &source, "clone"]);
    let head = git(&clone, &["rev-parse", "HEAD"]);
    // The branch, the SHA, and origin/HEAD (`trunk`) as the default branch.
    let tags = "type=ref,event=branch\ntype=sha\ntype=edge\ntype=raw,value=default,enable={{is_default_branch}}";
    let run = local(&clone, tags);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["tag-names"],
        serde_json::json!(["edge", "trunk", "default", format!("sha-{}", &head[..7])]),
        "{}",
        run.stderr
    );
    // A tag checked out: the tag.
    git(&clone, &["tag", "v3.1.0"]);
    git(&clone, &["checkout", "-q", "--detach", "v3.1.0"]);
    let run = local(&clone, "type=semver,pattern={{version}}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["tag-names"], serde_json::json!(["3.1.0", "latest"]));
}

#[test]
fn a_local_run_outside_a_checkout_says_which_context_is_missing() {
    let empty = tempfile::tempdir().unwrap();
    let run = local(empty.path(), "type=ref,event=branch");
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("GITHUB_REF (--ref) is not set"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("tags input"), "{}", run.stderr);
}
