//! Where things are: the repository, its target directory, and the gantry binaries built
//! from this checkout.
//!
//! Binaries of other packages are not visible through `CARGO_BIN_EXE_*`, so they are built
//! on demand, once per test process, by the root action itself in `install: source` mode
//! (with the test-only `GANTRY_SOURCE_PROFILE=dev`, a debug build into this target
//! directory): the tests that use binaries dogfood the install path the repository's own CI
//! uses.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::runner::{ActionRun, Runner};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// The target directory this test binary was built into (`…/target/debug/deps/it-…`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_path_buf()
}

/// The version of this checkout (`dist/version`).
pub fn version() -> String {
    std::fs::read_to_string(repo_root().join("dist/version"))
        .expect("read dist/version")
        .trim()
        .to_owned()
}

/// The root action run that built the binaries (`install: source`, debug profile), once per
/// process; every later call returns the same run.
pub fn source_install() -> &'static ActionRun {
    static RUN: OnceLock<ActionRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let run = Runner::new(&repo_root())
            .with("install", "source")
            .env("GANTRY_SOURCE_PROFILE", "dev")
            .env("CARGO_TARGET_DIR", &target_dir().display().to_string())
            .run();
        run.assert_success();
        run
    })
}

/// The directory of the gantry binaries built from this checkout.
pub fn bin_dir() -> PathBuf {
    PathBuf::from(source_install().output("bin-dir"))
}
