//! The workflow linters scripts/lint-actions.sh runs (zizmor, check-jsonschema with
//! SchemaStore's workflow schema, action-validator), and check-jsonschema with
//! docs/gantry.schema.json for manifests: the pinned versions scripts/install-test-deps.sh
//! installs, run once over all blocks where the tool takes several files, their findings
//! mapped back to the page lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::{Block, Problem};

/// What a file is linted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Workflow,
    Manifest,
}

/// One block as a file.
pub struct LintFile<'b> {
    pub kind: Kind,
    /// The file's text.
    pub text: String,
    /// Lines of the file before the block's first one.
    pub header: usize,
    pub block: &'b Block,
}

impl LintFile<'_> {
    /// The page line of file line `n` (1-based); lines of the header map to the block's first.
    fn page_line(&self, n: usize) -> usize {
        self.block.line_of(n.saturating_sub(self.header).max(1))
    }

    fn problem(&self, line: usize, message: String) -> Problem {
        Problem {
            file: self.block.file.clone(),
            line: self.page_line(line),
            message,
        }
    }
}

/// The linters' executables.
pub struct Linters {
    venv: PathBuf,
    action_validator: PathBuf,
}

impl Linters {
    /// The linters in `$GANTRY_TOOLS_DIR` (default `~/.cache/gantry-tools`), or what to run
    /// to install them.
    pub fn find() -> Result<Linters, String> {
        let dir = std::env::var_os("GANTRY_TOOLS_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/gantry-tools"))
            })
            .ok_or("neither GANTRY_TOOLS_DIR nor HOME is set")?;
        let linters = Linters {
            venv: dir.join("venv/bin"),
            action_validator: dir.join("npm/node_modules/.bin/action-validator"),
        };
        for tool in [
            linters.venv.join("zizmor"),
            linters.venv.join("check-jsonschema"),
            linters.action_validator.clone(),
        ] {
            if !tool.is_file() {
                return Err(format!(
                    "{} is missing: run scripts/install-test-deps.sh",
                    tool.display()
                ));
            }
        }
        Ok(linters)
    }

    /// The findings of every linter on `files`; `root` is the gantry checkout (zizmor's
    /// configuration, docs/gantry.schema.json).
    pub fn check(&self, root: &Path, files: &[LintFile<'_>]) -> Vec<Problem> {
        let dir = tempfile::tempdir().expect("a directory for the blocks");
        let paths: Vec<PathBuf> = files
            .iter()
            .enumerate()
            .map(|(index, file)| {
                let path = dir.path().join(format!("block-{index}.yml"));
                std::fs::write(&path, &file.text).expect("write a block");
                path
            })
            .collect();
        let of_kind = |kind: Kind| -> Vec<(usize, &PathBuf)> {
            paths
                .iter()
                .enumerate()
                .filter(|(index, _)| files[*index].kind == kind)
                .collect()
        };
        let workflows = of_kind(Kind::Workflow);
        let manifests = of_kind(Kind::Manifest);
        let mut problems = Vec::new();
        let schema = root.join("docs/gantry.schema.json");
        let builtin = ["--builtin-schema", "vendor.github-workflows"];
        let schemafile = ["--schemafile", schema.to_str().expect("a UTF-8 path")];
        for (set, schema_args, what) in [
            (&workflows, &builtin[..], "SchemaStore's workflow schema"),
            (&manifests, &schemafile[..], "docs/gantry.schema.json"),
        ] {
            problems.extend(self.check_jsonschema(files, &paths, set, schema_args, what));
        }
        for (index, path) in &workflows {
            problems.extend(self.action_validator(&files[*index], path));
        }
        problems.extend(self.zizmor(root, files, &paths, &workflows));
        problems
    }

    fn check_jsonschema(
        &self,
        files: &[LintFile<'_>],
        paths: &[PathBuf],
        set: &[(usize, &PathBuf)],
        schema_args: &[&str],
        what: &str,
    ) -> Vec<Problem> {
        if set.is_empty() {
            return Vec::new();
        }
        let output = run(Command::new(self.venv.join("check-jsonschema"))
            .args(["--output-format", "json"])
            .args(schema_args)
            .args(set.iter().map(|(_, path)| *path)));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!(
                "check-jsonschema: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let file_of = |name: &str| {
            let index = paths.iter().position(|path| path.to_str() == Some(name))?;
            Some(&files[index])
        };
        let mut problems = Vec::new();
        for error in report["errors"].as_array().into_iter().flatten() {
            let Some(file) = error["filename"].as_str().and_then(file_of) else {
                continue;
            };
            let best = &error["best_match"];
            let (path, message) = if best.is_object() {
                (best["path"].as_str(), best["message"].as_str())
            } else {
                (error["path"].as_str(), error["message"].as_str())
            };
            let path = path.unwrap_or("$");
            let mut keys = json_path_keys(path);
            keys.extend(quoted_key(message.unwrap_or_default(), "('"));
            problems.push(file.problem(
                locate(&file.text, &keys),
                format!("{what}: {path}: {}", message.unwrap_or_default()),
            ));
        }
        for error in report["parse_errors"].as_array().into_iter().flatten() {
            if let Some(file) = error["filename"].as_str().and_then(file_of) {
                problems.push(file.problem(1, format!("{what}: cannot parse: {error}")));
            }
        }
        problems
    }

    fn action_validator(&self, file: &LintFile<'_>, path: &Path) -> Vec<Problem> {
        // action-validator 0.6.0's schema predates the `attestations` permission, which
        // actions/attest-build-provenance needs: like scripts/lint-actions.sh, it checks a
        // copy without it (block and flow style).
        let copy = path.with_extension("validate.yml");
        let text: String = file
            .text
            .lines()
            .filter(|line| line.trim() != "attestations: write")
            .map(|line| format!("{}\n", line.replace(", attestations: write", "")))
            .collect();
        std::fs::write(&copy, text).expect("write the copy");
        let output = run(Command::new(&self.action_validator).arg(&copy));
        if output.status.success() {
            return Vec::new();
        }
        let report: Value = serde_json::from_slice(&output.stdout)
            .or_else(|_| serde_json::from_slice(&output.stderr))
            .unwrap_or(Value::Null);
        let mut leaves = Vec::new();
        validator_leaves(&report, &mut leaves);
        if leaves.is_empty() {
            return vec![file.problem(
                1,
                format!(
                    "action-validator: {}{}",
                    String::from_utf8_lossy(&output.stdout).trim(),
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            )];
        }
        leaves
            .into_iter()
            .map(|(path, detail)| {
                let mut keys: Vec<String> = path
                    .split('/')
                    .filter(|key| !key.is_empty())
                    .map(str::to_owned)
                    .collect();
                keys.extend(quoted_key(&detail, "Additional property '"));
                file.problem(
                    locate(&file.text, &keys),
                    format!("action-validator: {path}: {detail}"),
                )
            })
            .collect()
    }

    fn zizmor(
        &self,
        root: &Path,
        files: &[LintFile<'_>],
        paths: &[PathBuf],
        set: &[(usize, &PathBuf)],
    ) -> Vec<Problem> {
        if set.is_empty() {
            return Vec::new();
        }
        let output = run(Command::new(self.venv.join("zizmor"))
            .args([
                "--offline",
                "--no-progress",
                "--min-severity",
                "low",
                "--format",
                "json",
            ])
            .arg("--config")
            .arg(root.join(".github/zizmor.yml"))
            .args(set.iter().map(|(_, path)| *path)));
        let findings: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!(
                "zizmor ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let mut problems = Vec::new();
        for finding in findings.as_array().into_iter().flatten() {
            if finding["ignored"] == true {
                continue;
            }
            for location in finding["locations"].as_array().into_iter().flatten() {
                if location["symbolic"]["kind"] != "Primary" {
                    continue;
                }
                let name = location["symbolic"]["key"]["Local"]["verbatim_path"].as_str();
                let Some(index) =
                    name.and_then(|name| paths.iter().position(|path| path.to_str() == Some(name)))
                else {
                    continue;
                };
                let row = location["concrete"]["location"]["start_point"]["row"]
                    .as_u64()
                    .unwrap_or(0) as usize;
                problems.push(files[index].problem(
                    row + 1,
                    format!(
                        "zizmor {}: {} ({})",
                        finding["ident"].as_str().unwrap_or_default(),
                        finding["desc"].as_str().unwrap_or_default(),
                        location["symbolic"]["annotation"].as_str().unwrap_or_default()
                    ),
                ));
            }
        }
        problems
    }
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("run {command:?}: {error}"))
}

/// The innermost errors of an action-validator report (a `one_of` lists the errors of each
/// alternative under `states`), as (path, detail), without repeats.
fn validator_leaves(report: &Value, leaves: &mut Vec<(String, String)>) {
    for error in report["errors"].as_array().into_iter().flatten() {
        // Of the alternatives, the one that fits best: the fewest errors.
        let closest = error["states"].as_array().and_then(|states| {
            states
                .iter()
                .min_by_key(|state| state["errors"].as_array().map_or(0, Vec::len))
        });
        match closest {
            Some(state) => validator_leaves(state, leaves),
            None => {
                let path = error["path"].as_str().unwrap_or("/").to_owned();
                let detail = error["detail"]
                    .as_str()
                    .or(error["title"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                if !leaves.contains(&(path.clone(), detail.clone())) {
                    leaves.push((path, detail));
                }
            }
        }
    }
}

/// The key a message quotes after `opening` (`Additional property 'run-on' is not allowed`,
/// `('dependson' was unexpected)`): where the finding is, below its path.
fn quoted_key(message: &str, opening: &str) -> Option<String> {
    let after = &message[message.find(opening)? + opening.len()..];
    Some(after[..after.find('\'')?].to_owned())
}

/// The keys of a check-jsonschema path: `$.jobs.build['runs-on']` → jobs, build, runs-on
/// (indices are left out).
fn json_path_keys(path: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = path.trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("['") {
            let end = after.find("']").unwrap_or(after.len());
            keys.push(after[..end].to_owned());
            rest = after.get(end + 2..).unwrap_or_default();
        } else if let Some(after) = rest.strip_prefix('[') {
            rest = after.split_once(']').map_or("", |(_, rest)| rest);
        } else {
            let after = rest.trim_start_matches('.');
            let end = after.find(['.', '[']).unwrap_or(after.len());
            keys.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    keys
}

/// The 1-based line of `text` where the mapping keys `keys` lead, found one after the other
/// (each the first `key:` at or below the previous one); the last line found when one is
/// missing.
fn locate(text: &str, keys: &[String]) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    for key in keys.iter().filter(|key| key.parse::<usize>().is_err()) {
        let found = lines.iter().enumerate().skip(at).find(|(_, line)| {
            let line = line.trim_start().trim_start_matches("- ");
            line.starts_with(&format!("{key}:"))
                || line.contains(&format!(" {key}:"))
                || line.contains(&format!("{{{key}:"))
        });
        match found {
            Some((index, _)) => at = index,
            None => break,
        }
    }
    at + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lead_to_their_lines() {
        let text = "on: push\njobs:\n  build:\n    runs-on: x\n    steps:\n      - run: a\n  test:\n    needs: build\n";
        let keys = |path: &str| json_path_keys(path);
        assert_eq!(
            keys("$.jobs.build['runs-on']"),
            ["jobs", "build", "runs-on"]
        );
        assert_eq!(
            keys("$.jobs.build.steps[0].run"),
            ["jobs", "build", "steps", "run"]
        );
        assert_eq!(locate(text, &keys("$.jobs.test.needs")), 8);
        assert_eq!(locate(text, &keys("$.jobs.build.steps[0].run")), 6);
        assert_eq!(locate(text, &keys("$.jobs.nope")), 2, "the last key found");
        assert_eq!(locate(text, &keys("$")), 1);
        assert_eq!(
            quoted_key(
                "Additional properties are not allowed ('dependson' was unexpected)",
                "('"
            ),
            Some("dependson".to_owned())
        );
    }
}
