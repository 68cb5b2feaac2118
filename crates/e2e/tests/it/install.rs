//! The root action: `install: source` (what the other tests' binaries come from), the
//! download of a release archive verified against the checksum committed in the action's
//! tree, the tool cache, and the failures that must install nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use gantry_e2e::runner::{ActionRun, Runner, runner_arch, runner_os};
use gantry_e2e::tools::tools;
use gantry_e2e::workspace::{bin_dir, repo_root, source_install, target_dir, version};

/// The release target scripts/install.sh picks on this machine.
fn host_target() -> &'static str {
    match (runner_os(), runner_arch()) {
        ("Linux", "X64") => "x86_64-unknown-linux-musl",
        ("Linux", "ARM64") => "aarch64-unknown-linux-musl",
        ("macOS", "X64") => "x86_64-apple-darwin",
        ("macOS", "ARM64") => "aarch64-apple-darwin",
        other => panic!("no release target for {other:?}"),
    }
}

/// Every tool in `dir` runs and reports this checkout's version.
fn assert_binaries_run(dir: &Path) {
    for tool in tools() {
        let output = Command::new(dir.join(tool.binary()))
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("run {} in {}: {e}", tool.binary(), dir.display()));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("{} {}", tool.binary(), version())
        );
    }
}

#[test]
fn source_mode_builds_this_checkout_and_puts_it_on_path() {
    let run = source_install();
    assert_eq!(run.output("method"), "source");
    assert_eq!(run.output("version"), version());
    let dir = bin_dir();
    assert_eq!(dir, target_dir().join("debug/gantry-bin"));
    assert_eq!(run.path, [dir.display().to_string()], "GITHUB_PATH");
    assert!(
        run.step("install")
            .stderr
            .contains("cargo build --profile dev --locked"),
        "{}",
        run.log()
    );
    assert_binaries_run(&dir);
}

/// A copy of the action's tree (action.yml, scripts/, dist/) whose dist/checksums.txt is
/// written by the test, and an assets directory holding the archive packed by
/// scripts/package.sh from the debug build.
struct Release {
    dir: tempfile::TempDir,
    /// The line package.sh printed: `<sha256>  <file>`.
    checksum_line: String,
}

impl Release {
    fn new() -> Release {
        let dir = tempfile::Builder::new()
            .prefix("gantry-release-")
            .tempdir()
            .unwrap();
        let action = dir.path().join("action");
        for sub in ["scripts", "dist"] {
            std::fs::create_dir_all(action.join(sub)).unwrap();
        }
        for file in [
            "action.yml",
            "scripts/install.sh",
            "dist/version",
            "dist/tools",
            "dist/checksums.txt",
        ] {
            std::fs::copy(repo_root().join(file), action.join(file)).unwrap();
        }
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/package.sh"))
            .arg(host_target())
            .arg(bin_dir())
            .arg(dir.path().join("assets"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let checksum_line = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        Release { dir, checksum_line }
    }

    fn action(&self) -> PathBuf {
        self.dir.path().join("action")
    }

    fn asset_name(&self) -> String {
        format!("gantry-{}-{}.tar.gz", version(), host_target())
    }

    /// Commits `line` (or nothing) as the action's dist/checksums.txt.
    fn commit_checksums(&self, line: Option<&str>) {
        let text = line
            .map(|line| format!("# test\n{line}\n"))
            .unwrap_or_default();
        std::fs::write(self.action().join("dist/checksums.txt"), text).unwrap();
    }

    fn tool_cache(&self) -> PathBuf {
        self.dir.path().join("tool-cache")
    }

    fn install(&self, mode: &str, url: &str) -> ActionRun {
        Runner::new(&self.action())
            .with("install", mode)
            .with("download-url", url)
            .env(
                "RUNNER_TOOL_CACHE",
                &self.tool_cache().display().to_string(),
            )
            .run()
    }

    fn assets_url(&self) -> String {
        format!("file://{}", self.dir.path().join("assets").display())
    }
}

#[test]
fn download_mode_verifies_the_archive_and_caches_it_per_version() {
    let release = Release::new();
    let (sum, file) = release.checksum_line.split_once("  ").unwrap();
    assert_eq!(file, release.asset_name());
    assert_eq!(sum.len(), 64);
    release.commit_checksums(Some(&release.checksum_line));

    let run = release.install("download", &release.assets_url());
    run.assert_success();
    assert_eq!(run.output("method"), "downloaded");
    let cached = release
        .tool_cache()
        .join("gantry")
        .join(version())
        .join(host_target());
    assert_eq!(run.output("bin-dir"), cached.display().to_string());
    assert_eq!(run.path, [cached.display().to_string()]);
    assert!(
        run.step("install")
            .stderr
            .contains(&format!("sha256 {sum} verified")),
        "{}",
        run.log()
    );
    assert!(
        Path::new(&format!("{}.complete", cached.display())).exists(),
        "the tool cache's completion marker"
    );
    assert_binaries_run(&cached);

    // The second job on this runner finds it in the tool cache: nothing is downloaded.
    std::fs::remove_dir_all(release.dir.path().join("assets")).unwrap();
    let again = release.install("auto", &release.assets_url());
    again.assert_success();
    assert_eq!(again.output("method"), "cached");
    assert_eq!(again.output("bin-dir"), cached.display().to_string());
}

#[test]
fn a_checksum_mismatch_fails_and_installs_nothing() {
    let release = Release::new();
    let (sum, file) = release.checksum_line.split_once("  ").unwrap();
    let flipped = if sum.starts_with('0') { "1" } else { "0" };
    let wrong = format!("{flipped}{}  {file}", &sum[1..]);
    release.commit_checksums(Some(&wrong));

    // auto never falls back to a source build on a mismatch: the archive was tampered with.
    for mode in ["download", "auto"] {
        let run = release.install(mode, &release.assets_url());
        assert!(!run.succeeded, "{mode}: {}", run.log());
        let stderr = &run.step("install").stderr;
        assert!(
            stderr.contains(&format!(
                "::error title=gantry install::checksum mismatch for {file}: downloaded {sum}"
            )),
            "{stderr}"
        );
        assert!(run.path.is_empty(), "nothing on PATH");
        assert!(run.step("install").outputs.is_empty(), "no outputs");
        assert!(
            !release.tool_cache().join("gantry").exists(),
            "nothing in the tool cache"
        );
    }
}

#[test]
fn download_mode_without_a_committed_checksum_or_over_plain_http_refuses() {
    let release = Release::new();
    release.commit_checksums(None);
    let run = release.install("download", &release.assets_url());
    assert!(!run.succeeded);
    let stderr = &run.step("install").stderr;
    assert!(
        stderr.contains(&format!(
            "dist/checksums.txt has no checksum for {}",
            release.asset_name()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("no release archive of gantry"), "{stderr}");

    release.commit_checksums(Some(&release.checksum_line));
    let run = release.install("download", "http://127.0.0.1:9/assets");
    assert!(!run.succeeded);
    assert!(
        run.step("install")
            .stderr
            .contains("only https:// and file:// are allowed"),
        "{}",
        run.log()
    );
    assert!(!release.tool_cache().join("gantry").exists());
}

#[test]
fn auto_mode_builds_from_source_when_the_download_fails() {
    // Make sure the build exists (so this build is a no-op), then install from the
    // repository with a download that cannot succeed.
    let expected = bin_dir();
    let run = Runner::new(&repo_root())
        .with("install", "auto")
        .with("download-url", "file:///nonexistent/gantry-assets")
        .env("GANTRY_SOURCE_PROFILE", "dev")
        .env("CARGO_TARGET_DIR", &target_dir().display().to_string())
        .run();
    run.assert_success();
    assert_eq!(run.output("method"), "source");
    assert_eq!(run.output("bin-dir"), expected.display().to_string());
    assert!(
        run.step("install")
            .stderr
            .contains("building from source instead"),
        "{}",
        run.log()
    );
}

#[test]
fn path_mode_uses_the_given_binaries_and_needs_the_directory() {
    let run = Runner::new(&repo_root())
        .with("install", "path")
        .env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
        .run();
    run.assert_success();
    assert_eq!(run.output("method"), "path");
    assert_eq!(run.path, [bin_dir().display().to_string()]);

    let run = Runner::new(&repo_root()).with("install", "path").run();
    assert!(!run.succeeded);
    assert!(
        run.step("install")
            .stderr
            .contains("install: path needs GANTRY_BIN_DIR"),
        "{}",
        run.log()
    );

    let run = Runner::new(&repo_root()).with("install", "sideways").run();
    assert!(!run.succeeded);
    assert!(
        run.step("install").stderr.contains("install is 'sideways'"),
        "{}",
        run.log()
    );
}

/// A startup file an earlier step named through GITHUB_ENV (`BASH_ENV=…`): `shell: bash`
/// would source it before the step's first line, in the install step and in the step that
/// holds the secrets. Each step sets it empty, so it never runs.
#[test]
fn a_startup_file_named_by_an_earlier_step_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let stolen = dir.path().join("stolen");
    let startup = dir.path().join("startup.sh");
    std::fs::write(
        &startup,
        format!(
            "echo \"sourced with token=${{GITHUB_TOKEN:-}}\" >> '{}'\n",
            stolen.display()
        ),
    )
    .unwrap();
    let startup = startup.display().to_string();
    let root = Runner::new(&repo_root())
        .with("install", "path")
        .env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
        .env("BASH_ENV", &startup)
        .env("ENV", &startup)
        .run();
    root.assert_success();
    let workspace = tempfile::tempdir().unwrap();
    let token = "ghs_NeverForAStartupFile0123456789";
    let tool = Runner::new(&repo_root().join("actions").join("promote"))
        .workspace(workspace.path())
        .with("install", "path")
        .with("image", "127.0.0.1:9/acme/api:v1")
        .with("tags", "production")
        .env("GANTRY_BIN_DIR", &bin_dir().display().to_string())
        .env("GITHUB_TOKEN", token)
        .env("BASH_ENV", &startup)
        .run();
    assert_eq!(tool.steps.len(), 2, "{}", tool.log());
    assert!(
        !stolen.exists(),
        "the startup file ran: {}",
        std::fs::read_to_string(&stolen).unwrap_or_default()
    );
}

/// Self-hosted runners keep the tool cache between jobs: a binary swapped in it is never
/// run (it is unpacked again from the archive, verified again), and an archive changed in
/// it is downloaded again.
#[test]
fn a_planted_tool_cache_is_verified_before_use() {
    let release = Release::new();
    release.commit_checksums(Some(&release.checksum_line));
    release
        .install("download", &release.assets_url())
        .assert_success();
    let cached = release
        .tool_cache()
        .join("gantry")
        .join(version())
        .join(host_target());
    let planted_ran = release.dir.path().join("planted-ran");
    for tool in tools() {
        std::fs::write(
            cached.join(tool.binary()),
            format!(
                "#!/bin/sh\ntouch '{}'\necho '{} {}'\n",
                planted_ran.display(),
                tool.binary(),
                version()
            ),
        )
        .unwrap();
    }
    let run = release.install("auto", &release.assets_url());
    run.assert_success();
    assert_eq!(run.output("method"), "cached");
    assert!(!planted_ran.exists(), "a planted binary ran\n{}", run.log());
    assert!(
        run.step("install")
            .stderr
            .contains("of the cached archive verified against dist/checksums.txt"),
        "{}",
        run.log()
    );
    assert_binaries_run(&cached);

    let archive = PathBuf::from(format!("{}.tar.gz", cached.display()));
    std::fs::write(&archive, b"not the archive that was verified").unwrap();
    let run = release.install("download", &release.assets_url());
    run.assert_success();
    assert_eq!(run.output("method"), "downloaded", "{}", run.log());
    assert!(
        run.step("install").stderr.contains("downloading it again"),
        "{}",
        run.log()
    );
    assert_binaries_run(&cached);
}
