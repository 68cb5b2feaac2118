//! The hostile and malformed input corpus (`tests/corpus/<binary>/*.json` at the workspace
//! root), run case by case through a real binary as a runner step.
//!
//! A corpus file holds an array of cases:
//!
//! ```json
//! [{"name": "unknown key", "files": {"gantry.yml": "version: 1\nservices: {a: {contxt: x}}"},
//!   "args": ["--all"], "exit": 2, "stderr": ["gantry.yml:2"]}]
//! ```
//!
//! - `args`, `env` values and `files` contents are a string, `{"hex": "ff00"}` (raw bytes,
//!   e.g. not UTF-8) or `{"repeat": "x", "times": 1000, "prefix": "", "suffix": ""}` (huge);
//! - `exit` (default 2) is the status expected; `stderr` / `stdout` list text each stream
//!   must contain (the located message: file and line, or the flag); `outputs` lists
//!   step outputs expected with their exact values.
//!
//! Every case, whatever it expects, must also: end with a status (not a signal) other than
//! 101 (panic); write a `GITHUB_OUTPUT` the runner accepts, with only the binary's output
//! names; forge no workflow command on stdout or stderr ([`scan::forged_commands`]); put no
//! HTML from input into the summary; and leak none of the [`scan::SECRETS`] set for it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::process::try_parse_outputs;
use crate::scan;

/// The corpus directory of `binary` (e.g. `"tags"`).
pub fn dir(binary: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus")
        .join(binary)
}

/// How to run one binary's corpus.
pub struct Corpus<'a> {
    /// `env!("CARGO_BIN_EXE_gantry-<tool>")`.
    pub exe: &'a str,
    /// The corpus directory name, e.g. `"tags"`.
    pub name: &'a str,
    /// Arguments before every case's own (e.g. `--all` for the shared manifest corpus).
    pub args: &'a [&'a str],
    /// Environment every case starts from (a case's `env` adds to it and wins).
    pub env: Vec<(&'a str, &'a str)>,
    /// Step outputs the binary may write (its `OUTPUTS`); `name*` allows any name starting
    /// with `name`.
    pub outputs: Vec<&'a str>,
    /// Runs in the case directory after its files are written (e.g. `git init` and commit).
    pub setup: Option<&'a dyn Fn(&Path)>,
}

/// The names of a tool's `OUTPUTS` (name, description) plus `extra` patterns.
pub fn output_names<'a>(outputs: &[(&'a str, &str)], extra: &[&'a str]) -> Vec<&'a str> {
    outputs
        .iter()
        .map(|(name, _)| *name)
        .chain(extra.iter().copied())
        .collect()
}

/// What a corpus run did.
#[derive(Debug, Default)]
pub struct Tally {
    pub cases: usize,
    /// Cases that exited 2 as expected (bad input), 0 (handled), 1 (operation failed).
    pub rejected: usize,
    pub accepted: usize,
    pub failed: usize,
    /// Secret scans made (streams, output file and summary of each case).
    pub secret_scans: usize,
    pub failures: Vec<String>,
}

impl Corpus<'_> {
    /// Runs every case, prints the tally (for docs/reliability.md) and panics listing every
    /// case that failed.
    pub fn check(&self) -> Tally {
        let tally = self.run();
        let binary = Path::new(self.exe)
            .file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
        eprintln!(
            "{binary} corpus {}: {} cases, {} rejected (exit 2), {} accepted (exit 0), {} failed (exit 1), {} secret scans",
            self.name,
            tally.cases,
            tally.rejected,
            tally.accepted,
            tally.failed,
            tally.secret_scans
        );
        assert!(
            tally.failures.is_empty(),
            "{} of {} cases failed:\n\n{}",
            tally.failures.len(),
            tally.cases,
            tally.failures.join("\n\n")
        );
        tally
    }

    /// Runs every case and returns the tally; see [`Corpus::check`].
    pub fn run(&self) -> Tally {
        let mut tally = Tally::default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir(self.name))
            .unwrap_or_else(|err| panic!("read the corpus of {}: {err}", self.name))
            .map(|entry| entry.expect("corpus entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus files for {}", self.name);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read a corpus file");
            let cases: Vec<Value> = serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
            let group = file.file_stem().expect("file name").to_string_lossy();
            for case in &cases {
                let label = format!("{}/{group}: {}", self.name, string(case, "name"));
                tally.cases += 1;
                match self.run_case(case, &mut tally) {
                    Ok(()) => {}
                    Err(problem) => tally.failures.push(format!("{label}: {problem}")),
                }
            }
        }
        tally
    }

    fn run_case(&self, case: &Value, tally: &mut Tally) -> Result<(), String> {
        let dir = tempfile::Builder::new()
            .prefix("gantry-corpus-")
            .tempdir()
            .expect("case directory");
        let root = dir.path();
        if let Some(files) = case.get("files").and_then(Value::as_object) {
            for (path, content) in files {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, bytes(content)).expect("write a case file");
            }
        }
        if let Some(setup) = self.setup {
            setup(root);
        }
        let output = root.join("github_output");
        let summary = root.join("github_summary");
        std::fs::write(&output, "").expect("output file");
        std::fs::write(&summary, "").expect("summary file");
        // As on a runner: files a binary keeps for later steps go here, removed with the case.
        let runner_temp = root.join("runner_temp");
        std::fs::create_dir_all(&runner_temp).expect("RUNNER_TEMP");

        let mut command = Command::new(self.exe);
        command
            .env_clear()
            .current_dir(root)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", &runner_temp)
            .envs(scan::SECRETS)
            .envs(self.env.iter().copied());
        if let Some(env) = case.get("env").and_then(Value::as_object) {
            for (name, value) in env {
                command.env(name, OsString::from_vec(bytes(value)));
            }
        }
        command.args(self.args);
        if let Some(args) = case.get("args").and_then(Value::as_array) {
            command.args(args.iter().map(|arg| OsString::from_vec(bytes(arg))));
        }
        let result = command
            .output()
            .map_err(|err| format!("cannot run: {err}"))?;
        let stdout = String::from_utf8_lossy(&result.stdout);
        let stderr = String::from_utf8_lossy(&result.stderr);
        let show = || format!("\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        let Some(code) = result.status.code() else {
            return Err(format!("killed by a signal: {}{}", result.status, show()));
        };
        let expected = case.get("exit").and_then(Value::as_i64).unwrap_or(2);
        if code == 101 {
            return Err(format!("panicked{}", show()));
        }
        if i64::from(code) != expected {
            return Err(format!("exit {code}, expected {expected}{}", show()));
        }
        match code {
            0 => tally.accepted += 1,
            2 => tally.rejected += 1,
            _ => tally.failed += 1,
        }
        for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            for wanted in strings(case, stream) {
                if !text.contains(&wanted) {
                    return Err(format!("{stream} lacks {wanted:?}{}", show()));
                }
            }
            let forged = scan::forged_commands(text);
            if !forged.is_empty() {
                return Err(format!("forged workflow commands on {stream}: {forged:?}"));
            }
        }
        let output_text = std::fs::read_to_string(&output).map_err(|err| err.to_string())?;
        let outputs = try_parse_outputs(&output_text)?;
        for (name, _) in &outputs {
            let allowed = self
                .outputs
                .iter()
                .any(|allowed| match allowed.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == allowed,
                });
            if !allowed {
                return Err(format!("unexpected output {name:?} in\n{output_text}"));
            }
        }
        if let Some(expected) = case.get("outputs").and_then(Value::as_object) {
            for (name, value) in expected {
                let found = outputs.iter().find(|(output, _)| output == name);
                if found.map(|(_, value)| value.as_str()) != value.as_str() {
                    return Err(format!("output {name} is {found:?}, expected {value}"));
                }
            }
        }
        let summary_text = std::fs::read_to_string(&summary).map_err(|err| err.to_string())?;
        if let Some(problem) = scan::summary_problem(&summary_text) {
            return Err(format!("{problem}:\n{summary_text}"));
        }
        for (what, text) in [
            ("stdout", stdout.as_ref()),
            ("stderr", stderr.as_ref()),
            ("GITHUB_OUTPUT", output_text.as_str()),
            ("summary", summary_text.as_str()),
        ] {
            tally.secret_scans += 1;
            let leaked = scan::leaked_secrets(text);
            if !leaked.is_empty() {
                return Err(format!("{what} leaks {leaked:?}"));
            }
        }
        Ok(())
    }
}

fn string(case: &Value, key: &str) -> String {
    case.get(key)
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)")
        .to_owned()
}

fn strings(case: &Value, key: &str) -> Vec<String> {
    case.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The bytes a corpus value stands for (see the module docs).
pub fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::String(text) => text.clone().into_bytes(),
        Value::Object(spec) if spec.contains_key("hex") => {
            hex::decode(spec["hex"].as_str().expect("hex is a string")).expect("valid hex")
        }
        Value::Object(spec) if spec.contains_key("repeat") => {
            let part = |key: &str| spec.get(key).and_then(Value::as_str).unwrap_or("");
            let times = spec["times"].as_u64().expect("times is a number");
            let times = usize::try_from(times).expect("times fits");
            format!(
                "{}{}{}",
                part("prefix"),
                part("repeat").repeat(times),
                part("suffix")
            )
            .into_bytes()
        }
        other => panic!("not a corpus value: {other}"),
    }
}
