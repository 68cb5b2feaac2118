//! gantry-promote against a real registry (docker-registry from gantry-testkit), checked with
//! skopeo: the library on every kind of image, and the binary as the runner runs it.

mod images;
mod process;

use std::path::Path;
use std::process::Command;

use gantry_promote::{PromoteError, Promotion};
use gantry_registry::{Credentials, Endpoint, ImageRef, RegistryClient, Tag};
use gantry_testkit::Registry;

/// Promotes `image` (relative to the registry: `repo:tag` or `repo@digest`) to `tags` with
/// the library, anonymously.
async fn promote(
    registry: &Registry,
    image: &str,
    tags: &[&str],
) -> Result<Promotion, PromoteError> {
    let image = ImageRef::parse(&format!("{}/{image}", registry.host())).unwrap();
    let tags: Vec<Tag> = tags.iter().map(|tag| Tag::parse(tag).unwrap()).collect();
    gantry_promote::promote(&client(registry), &image, &tags).await
}

fn client(registry: &Registry) -> RegistryClient {
    RegistryClient::new(
        Endpoint::from_url(&registry.url()).unwrap(),
        Credentials::Anonymous,
        gantry_http::user_agent!(),
    )
    .unwrap()
}

/// Checks with skopeo that `new` serves exactly the bytes and digest of `old`, and that
/// everything under it resolves.
fn assert_same_image(registry: &Registry, old: &str, new: &str) {
    assert_eq!(registry.inspect_raw(new), registry.inspect_raw(old));
    assert_eq!(registry.digest_of(new), registry.digest_of(old));
    registry.assert_resolves_fully(new);
}

/// A finished `gantry-promote` process.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir` with exactly `env` (nothing inherited).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_gantry-promote"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_in(&std::env::temp_dir(), args, env)
}

/// A runner-like step: Actions on, empty GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
struct Step {
    dir: tempfile::TempDir,
}

impl Step {
    fn new() -> Step {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("output"), "").unwrap();
        std::fs::write(dir.path().join("summary"), "").unwrap();
        Step { dir }
    }

    fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
        let output = self.dir.path().join("output");
        let summary = self.dir.path().join("summary");
        let mut env = vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ];
        env.extend_from_slice(extra_env);
        run_in(self.dir.path(), args, &env)
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary")).unwrap()
    }

    fn output_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("output")).unwrap()
    }

    /// The outputs as a later step reads them: `name=value` lines (the first `=` before any
    /// `<<`) and `name<<DELIMITER` heredocs.
    fn outputs(&self) -> Vec<(String, String)> {
        let text = self.output_file();
        let mut outputs = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let equals = line.find('=').unwrap_or(usize::MAX);
            match line.split_once("<<") {
                Some((name, delimiter)) if name.len() < equals => {
                    let value: Vec<&str> = lines
                        .by_ref()
                        .take_while(|line| *line != delimiter)
                        .collect();
                    outputs.push((name.to_owned(), value.join("\n")));
                }
                _ => {
                    let (name, value) = line.split_once('=').expect("name=value");
                    outputs.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        outputs
    }
}
