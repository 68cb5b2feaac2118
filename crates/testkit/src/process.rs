//! Running a gantry binary as a process, the way a person or the runner runs it: a clean
//! environment, and for a [`Step`] the runner's `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`
//! files, read back as a later step would.
//!
//! Pass the binary as `env!("CARGO_BIN_EXE_gantry-<tool>")`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A finished process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `binary` with `args` in `dir` with exactly `env`: nothing is inherited, so the
/// `GITHUB_*` variables of a CI run cannot leak in.
pub fn run_in(binary: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(binary, dir, args, env)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {binary}: {err}"));
    finished(binary, output)
}

/// [`run_in`] the system's temporary directory.
pub fn run(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_in(binary, &std::env::temp_dir(), args, env)
}

/// [`run`], killed if it runs longer than `limit` (then the test fails, saying so); returns
/// the run and how long it took. For runs that must end in time whatever a server does.
pub fn run_within(
    binary: &str,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> (Run, Duration) {
    let started = Instant::now();
    let mut child = command(binary, &std::env::temp_dir(), args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {binary}: {err}"));
    while child.try_wait().expect("wait for the child").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect the killed child");
            panic!(
                "{binary} {args:?} still ran after {limit:?}; its stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let output = child.wait_with_output().expect("collect the child");
    (finished(binary, output), elapsed)
}

/// `binary` with `args` in `dir` with exactly `env`.
fn command(binary: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir);
    command
}

fn finished(binary: &str, output: Output) -> Run {
    Run {
        code: output
            .status
            .code()
            .unwrap_or_else(|| panic!("{binary} was killed: {}", output.status)),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A runner-like step: a directory of its own, `GITHUB_ACTIONS=true`, empty
/// `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files (the runner creates them; gantry only
/// appends) and a `RUNNER_TEMP` directory, removed with the step.
pub struct Step {
    dir: tempfile::TempDir,
}

impl Default for Step {
    fn default() -> Self {
        Self::new()
    }
}

impl Step {
    pub fn new() -> Step {
        let dir = tempfile::Builder::new()
            .prefix("gantry-step-")
            .tempdir()
            .expect("create a step directory");
        for file in ["output", "summary"] {
            std::fs::write(dir.path().join(file), "").expect("create a runner file");
        }
        std::fs::create_dir(dir.path().join("runner-temp")).expect("create RUNNER_TEMP");
        Step { dir }
    }

    /// The working directory of the step's runs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `binary` in the step's directory with the runner's variables and `extra_env`.
    pub fn run(&self, binary: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
        let output = self.dir.path().join("output");
        let summary = self.dir.path().join("summary");
        let runner_temp = self.dir.path().join("runner-temp");
        let mut env = vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", output.to_str().expect("UTF-8 temp path")),
            (
                "GITHUB_STEP_SUMMARY",
                summary.to_str().expect("UTF-8 temp path"),
            ),
            (
                "RUNNER_TEMP",
                runner_temp.to_str().expect("UTF-8 temp path"),
            ),
        ];
        env.extend_from_slice(extra_env);
        run_in(binary, self.dir.path(), args, &env)
    }

    /// A file of the step directory: `output` and `summary` are the runner's files.
    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file))
            .unwrap_or_else(|err| panic!("read {file} of the step: {err}"))
    }

    /// The step summary written so far.
    pub fn summary(&self) -> String {
        self.read("summary")
    }

    /// The step outputs, as a later step reads them (see [`parse_outputs`]).
    pub fn outputs(&self) -> Vec<(String, String)> {
        parse_outputs(&self.read("output"))
    }
}

/// Reads a `GITHUB_OUTPUT` file as the runner does (the simulator's
/// [`crate::workflow::files::parse_env_file`]), and stricter: gantry writes no blank lines,
/// which the runner would skip. Panics on anything the runner would reject.
pub fn parse_outputs(text: &str) -> Vec<(String, String)> {
    try_parse_outputs(text).unwrap_or_else(|err| panic!("{err}"))
}

/// [`parse_outputs`] that reports what the runner would reject instead of panicking.
pub fn try_parse_outputs(text: &str) -> Result<Vec<(String, String)>, String> {
    let entries = crate::workflow::files::parse_env_file(text)?;
    // Blank lines outside heredoc values, which the runner would skip, are refused.
    let mut delimiter: Option<&str> = None;
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n').filter(|_| !body.is_empty()) {
        match delimiter {
            Some(end) if line == end => delimiter = None,
            Some(_) => {}
            None if line.is_empty() => return Err(format!("a blank line in\n{text}")),
            None => {
                delimiter = line
                    .split_once("<<")
                    .filter(|(name, _)| !name.contains('='))
                    .map(|(_, end)| end);
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_read_as_the_runner_reads_them() {
        let text = "digest=sha256:abc\nrefs<<ghadelimiter_1\na=b\nc<<d\nghadelimiter_1\nempty=\n";
        assert_eq!(
            parse_outputs(text),
            [
                ("digest".to_owned(), "sha256:abc".to_owned()),
                ("refs".to_owned(), "a=b\nc<<d".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
        // `=` before `<<`: a value that merely contains `<<`.
        assert_eq!(
            parse_outputs("json={\"a\":\"<<\"}\n"),
            [("json".to_owned(), "{\"a\":\"<<\"}".to_owned())]
        );
    }

    #[test]
    fn blank_lines_are_refused_outside_heredoc_values() {
        assert!(
            try_parse_outputs("a=1\n\nb=2\n")
                .unwrap_err()
                .contains("blank line")
        );
        assert_eq!(
            try_parse_outputs("a<<E\n\nx\nE\n").unwrap(),
            [("a".to_owned(), "\nx".to_owned())]
        );
    }

    #[test]
    #[should_panic(expected = "Matching delimiter not found")]
    fn an_unclosed_heredoc_is_refused() {
        parse_outputs("refs<<EOF\na\n");
    }
}
