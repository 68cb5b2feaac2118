//! GITHUB_OUTPUT, GITHUB_ENV and GITHUB_PATH, read back with the runner's rules.

use std::path::PathBuf;

use gantry_gha::files::{self, EnvFileError};
use gantry_gha::{Env, Runtime};
use proptest::prelude::*;

use crate::runner::parse_env_file;

/// A runner-like job: Actions on, each environment file an existing empty file.
struct Step {
    dir: tempfile::TempDir,
    runtime: Runtime,
}

impl Step {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = vec![("GITHUB_ACTIONS".to_owned(), "true".to_owned())];
        for variable in [
            "GITHUB_OUTPUT",
            "GITHUB_ENV",
            "GITHUB_PATH",
            "GITHUB_STEP_SUMMARY",
        ] {
            let path = dir.path().join(variable);
            std::fs::write(&path, "").unwrap();
            vars.push((variable.to_owned(), path.display().to_string()));
        }
        let (runtime, _log) = Runtime::captured(Env::from_pairs(vars));
        Self { dir, runtime }
    }

    fn file(&self, variable: &str) -> PathBuf {
        self.dir.path().join(variable)
    }

    fn read(&self, variable: &str) -> String {
        std::fs::read_to_string(self.file(variable)).unwrap()
    }

    fn entries(&self, variable: &str) -> Vec<(String, String)> {
        parse_env_file(&self.read(variable)).unwrap()
    }
}

fn pairs(entries: &[(&str, &str)]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[test]
fn outputs_are_appended_with_lf_endings() {
    let step = Step::new();
    std::fs::write(step.file("GITHUB_OUTPUT"), "earlier=step\n").unwrap();
    step.runtime.set_output("count", "2").unwrap();
    step.runtime
        .set_output("services", "[\"api\",\"web\"]")
        .unwrap();
    step.runtime
        .set_output("report", "line 1\nline 2\n")
        .unwrap();
    assert!(!step.read("GITHUB_OUTPUT").contains('\r'));
    assert_eq!(
        step.entries("GITHUB_OUTPUT"),
        pairs(&[
            ("earlier", "step"),
            ("count", "2"),
            ("services", "[\"api\",\"web\"]"),
            ("report", "line 1\nline 2\n"),
        ])
    );
}

#[test]
fn multiline_values_cannot_forge_outputs() {
    let step = Step::new();
    let attacks = [
        "x\nforged=1",
        "x\nforged<<EOF\nevil\nEOF",
        "x\nghadelimiter_00000000-0000-4000-8000-000000000000\nforged=1",
        "ghadelimiter_\nforged=1\nghadelimiter_",
        "x\r\nforged=1\r\n",
        "\n\n=\n<<\n",
    ];
    for attack in attacks {
        step.runtime.set_output("value", attack).unwrap();
    }
    let entries = step.entries("GITHUB_OUTPUT");
    let expected: Vec<(String, String)> = attacks
        .iter()
        .map(|attack| ("value".to_owned(), attack.to_string()))
        .collect();
    assert_eq!(entries, expected);
}

#[test]
fn a_forged_delimiter_line_is_only_data() {
    // The value ends with what would close a heredoc that used this delimiter.
    let mut delimiters = ["ghadelimiter_a", "ghadelimiter_b"]
        .map(String::from)
        .into_iter();
    let value = "ok\nghadelimiter_a\nforged=1";
    let entry = files::format_entry("out", value, &mut || delimiters.next().unwrap()).unwrap();
    assert_eq!(parse_env_file(&entry).unwrap(), pairs(&[("out", value)]));
}

#[test]
fn invalid_names_write_nothing() {
    let step = Step::new();
    for name in ["", "a=b", "a<<b", "a\nb"] {
        assert!(matches!(
            step.runtime.set_output(name, "v"),
            Err(EnvFileError::InvalidName { .. })
        ));
    }
    assert_eq!(step.read("GITHUB_OUTPUT"), "");
}

#[test]
fn env_and_path_files() {
    let step = Step::new();
    step.runtime.export_var("IMAGE_TAG", "staging-abc").unwrap();
    step.runtime.export_var("NOTES", "a\nb").unwrap();
    for dangerous in ["BASH_ENV", "LD_PRELOAD", "NODE_OPTIONS", "BASH_FUNC_echo%%"] {
        assert!(matches!(
            step.runtime.export_var(dangerous, "x"),
            Err(EnvFileError::DangerousVariable { .. })
        ));
    }
    assert_eq!(
        step.entries("GITHUB_ENV"),
        pairs(&[("IMAGE_TAG", "staging-abc"), ("NOTES", "a\nb")])
    );
    step.runtime.add_path("/opt/gantry/bin").unwrap();
    step.runtime.add_path("/usr/local/gantry").unwrap();
    assert!(step.runtime.add_path("/a\n/b").is_err());
    assert_eq!(
        step.read("GITHUB_PATH"),
        "/opt/gantry/bin\n/usr/local/gantry\n"
    );
}

#[test]
fn outputs_are_redacted() {
    let step = Step::new();
    let token = step.runtime.secret("ghp_abcdefghijklmnop");
    step.runtime
        .set_output("leak", &format!("token={}", token.expose()))
        .unwrap();
    assert_eq!(
        step.entries("GITHUB_OUTPUT"),
        pairs(&[("leak", "token=***")])
    );
}

#[test]
fn a_missing_runner_file_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("output");
    let (runtime, _log) = Runtime::captured(Env::from_pairs([
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", missing.to_str().unwrap()),
    ]));
    assert!(matches!(
        runtime.set_output("a", "1"),
        Err(EnvFileError::Io {
            variable: "GITHUB_OUTPUT",
            ..
        })
    ));
    assert!(!missing.exists());
}

#[test]
fn under_actions_without_the_variable_warns_once_and_writes_nothing() {
    let (runtime, log) = Runtime::captured(Env::from_pairs([("GITHUB_ACTIONS", "true")]));
    runtime.set_output("a", "1").unwrap();
    runtime.set_output("b", "2").unwrap();
    runtime.export_var("C", "3").unwrap();
    runtime.set_output("d", "4").unwrap();
    assert_eq!(
        log.text(),
        "::warning::GITHUB_OUTPUT is not set although GITHUB_ACTIONS=true; nothing was written to it\n\
         ::warning::GITHUB_ENV is not set although GITHUB_ACTIONS=true; nothing was written to it\n"
    );
}

#[test]
fn outside_actions_no_file_is_touched_even_if_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    std::fs::write(&output, "").unwrap();
    let summary = dir.path().join("summary");
    let (runtime, log) = Runtime::captured(Env::from_pairs([
        ("GITHUB_OUTPUT", output.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ]));
    runtime.set_output("a", "1").unwrap();
    runtime.export_var("B", "2").unwrap();
    runtime.add_path("/bin").unwrap();
    let mut report = gantry_gha::Summary::new();
    report.heading(1, "Report");
    runtime.append_summary(&report).unwrap();
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "");
    assert!(!summary.exists());
    assert_eq!(log.text(), "");
}

#[test]
fn step_summary_is_appended_redacted_and_capped() {
    let step = Step::new();
    let secret = step.runtime.secret("s3cr3t-value");
    let mut summary = gantry_gha::Summary::new();
    summary
        .heading(2, "Deploy")
        .paragraph(&format!("key {}", secret.expose()));
    step.runtime.append_summary(&summary).unwrap();
    step.runtime.append_summary(&summary).unwrap();
    assert_eq!(
        step.read("GITHUB_STEP_SUMMARY"),
        "## Deploy\n\nkey ***\n\n## Deploy\n\nkey ***\n\n"
    );

    let mut huge = gantry_gha::Summary::new();
    huge.code_block("", &"0123456789\n".repeat(200_000));
    step.runtime.append_summary(&huge).unwrap();
    let written = step.read("GITHUB_STEP_SUMMARY");
    assert!(written.len() <= gantry_gha::summary::SUMMARY_LIMIT);
    assert!(written.ends_with(gantry_gha::summary::TRUNCATION_NOTE));
    // Full: a further append adds nothing and does not fail.
    step.runtime.append_summary(&summary).unwrap();
    assert_eq!(step.read("GITHUB_STEP_SUMMARY"), written);
}

/// Strings rich in what could confuse the reader: separators, line breaks, delimiters.
fn nasty_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("=".to_owned()),
        Just("<<".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\r".to_owned()),
        Just("ghadelimiter_".to_owned()),
        Just("EOF".to_owned()),
        "[a-zA-Z0-9 _-]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever is written is either refused or read back exactly, and nothing else is read.
    #[test]
    fn outputs_round_trip_through_the_runner_reader(
        entries in prop::collection::vec((nasty_text(), nasty_text()), 1..8)
    ) {
        let mut file = String::new();
        let mut accepted = Vec::new();
        for (name, value) in entries {
            if let Ok(entry) = files::format_output(&name, &value) {
                file.push_str(&entry);
                accepted.push((name, value));
            }
        }
        prop_assert_eq!(parse_env_file(&file), Ok(accepted));
    }

    /// Only names and values that cannot be represented are refused.
    #[test]
    fn refusals_are_justified(name in nasty_text(), value in nasty_text()) {
        if files::format_output(&name, &value).is_err() {
            prop_assert!(
                name.is_empty()
                    || name.contains('=')
                    || name.contains("<<")
                    || name.ends_with('<')
                    || name.contains(['\n', '\r'])
                    || value.ends_with('\r')
            );
        }
    }
}

#[test]
fn reader_rejects_what_the_writer_would_never_produce() {
    // Sanity check of the reader itself: an unterminated heredoc is an error, so the
    // round-trip property above is not trivially true.
    assert!(parse_env_file("a<<D\nvalue\n").is_err());
}
