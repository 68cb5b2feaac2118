//! A local runner for one composite action, doing what GitHub's runner does for the parts
//! gantry's actions use:
//!
//! - inputs from `with:`, else the input's `default` (itself evaluated: `${{ github.token }}`);
//!   an undeclared `with:` key is an error here (the runner only warns), to catch typos;
//! - each step's `env:` evaluated with the workflow simulator's expressions
//!   (`gantry_testkit::workflow::expr`) over `inputs`, `steps.*.outputs`, `github.action_path`,
//!   `github.workspace`, `github.token` and `runner.*` (a missing input or context fails the
//!   test), and a `run:` must contain no expression at all;
//! - `run:` written to a file and run as `bash --noprofile --norc -eo pipefail <file>` (what
//!   `shell: bash` means) in `GITHUB_WORKSPACE`, with a clean environment: `GITHUB_ACTIONS`,
//!   `GITHUB_ACTION_PATH`, `RUNNER_TEMP`, `RUNNER_TOOL_CACHE`, `RUNNER_OS`, `RUNNER_ARCH`, and
//!   fresh `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY` files per step;
//! - after each step, its outputs read with the runner's heredoc rules, `GITHUB_ENV` entries
//!   added to later steps' environment and `GITHUB_PATH` directories prepended to their PATH;
//! - the first failing step ends the action; the action's `outputs:` are evaluated at the end.
//!
//! Whole workflows (jobs, matrices, stand-ins for third-party actions) run in the simulator,
//! `gantry_testkit::workflow`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use gantry_testkit::process::parse_outputs;
use gantry_testkit::workflow::INHERITED;
use gantry_testkit::workflow::expr::{Scope, Status, to_text};
pub use gantry_testkit::workflow::{runner_arch, runner_os};
use serde_json::{Map, Value, json};

use crate::action;

/// One action run to set up: the action, its `with:` inputs, extra environment, workspace.
pub struct Runner {
    action_dir: PathBuf,
    with: BTreeMap<String, String>,
    env: BTreeMap<String, String>,
    workspace: Option<PathBuf>,
}

/// A finished step.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub id: Option<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: BTreeMap<String, String>,
}

/// A finished action run. Its runner directory (`RUNNER_TEMP`, the tool cache unless the test
/// set `RUNNER_TOOL_CACHE`) lives as long as this value.
#[derive(Debug)]
pub struct ActionRun {
    pub steps: Vec<StepRun>,
    /// The action's outputs; only set when every step succeeded.
    pub outputs: BTreeMap<String, String>,
    /// Every step's summary, in order.
    pub summary: String,
    /// Directories the steps added to `GITHUB_PATH`, in order.
    pub path: Vec<String>,
    /// Variables the steps added to `GITHUB_ENV`, in order.
    pub env: Vec<(String, String)>,
    pub succeeded: bool,
    runner_dir: tempfile::TempDir,
}

impl Runner {
    /// The action in `action_dir` (holding `action.yml`).
    pub fn new(action_dir: &Path) -> Runner {
        Runner {
            action_dir: action_dir.to_path_buf(),
            with: BTreeMap::new(),
            env: BTreeMap::new(),
            workspace: None,
        }
    }

    /// A `with:` input.
    pub fn with(mut self, name: &str, value: &str) -> Runner {
        self.with.insert(name.to_owned(), value.to_owned());
        self
    }

    /// A variable of the job's environment (`GITHUB_EVENT_NAME`, a test-only setting, ...);
    /// it wins over the runner's own.
    pub fn env(mut self, name: &str, value: &str) -> Runner {
        self.env.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The job's `GITHUB_WORKSPACE`, where steps run (default: an empty directory).
    pub fn workspace(mut self, dir: &Path) -> Runner {
        self.workspace = Some(dir.to_path_buf());
        self
    }

    /// Runs the action's steps.
    pub fn run(&self) -> ActionRun {
        let action = action::load(&self.action_dir);
        assert_eq!(
            action.runs.using, "composite",
            "{}: only composite actions",
            action.name
        );
        for name in self.with.keys() {
            assert!(
                action.inputs.contains_key(name),
                "{}: `with: {name}` is not an input of the action",
                action.name
            );
        }
        let runner_dir = tempfile::Builder::new()
            .prefix("gantry-runner-")
            .tempdir()
            .expect("create the runner directory");
        let temp = runner_dir.path().join("temp");
        let tool_cache = runner_dir.path().join("tool-cache");
        let workspace = self
            .workspace
            .clone()
            .unwrap_or_else(|| runner_dir.path().join("workspace"));
        for dir in [&temp, &tool_cache, &workspace] {
            std::fs::create_dir_all(dir).expect("create a runner directory");
        }

        let mut base: BTreeMap<String, String> = INHERITED
            .iter()
            .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
            .collect();
        let path_text = |path: &Path| path.display().to_string();
        for (name, value) in [
            ("CI", "true".to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_WORKSPACE", path_text(&workspace)),
            ("GITHUB_ACTION_PATH", path_text(&self.action_dir)),
            ("RUNNER_TEMP", path_text(&temp)),
            ("RUNNER_TOOL_CACHE", path_text(&tool_cache)),
            ("RUNNER_OS", runner_os().to_owned()),
            ("RUNNER_ARCH", runner_arch().to_owned()),
        ] {
            base.insert(name.to_owned(), value);
        }
        base.extend(self.env.clone());

        let mut contexts = Contexts {
            inputs: BTreeMap::new(),
            steps: BTreeMap::new(),
            env: base.clone(),
        };
        for (name, input) in &action.inputs {
            let value = match self.with.get(name) {
                Some(value) => value.clone(),
                None => contexts.evaluate(&json!(input.default.as_deref().unwrap_or_default())),
            };
            contexts.inputs.insert(name.clone(), value);
        }

        let mut run = ActionRun {
            steps: Vec::new(),
            outputs: BTreeMap::new(),
            summary: String::new(),
            path: Vec::new(),
            env: Vec::new(),
            succeeded: true,
            runner_dir,
        };
        for (index, step) in action.runs.steps.iter().enumerate() {
            let label = step.id.clone().unwrap_or_else(|| format!("#{index}"));
            assert!(
                step.uses.is_none() && step.condition.is_none(),
                "{}: step {label}: only unconditional run: steps are supported",
                action.name
            );
            assert_eq!(
                step.shell.as_deref(),
                Some("bash"),
                "{}: step {label}: composite run steps must say shell: bash",
                action.name
            );
            let script = step
                .run
                .as_deref()
                .unwrap_or_else(|| panic!("{}: step {label} has no run:", action.name));
            assert!(
                action::expressions(script).is_empty(),
                "{}: step {label}: an expression inside run: is pasted into the script (script injection); pass it through env:",
                action.name
            );

            let step_dir = run.runner_dir.path().join(format!("step-{index}"));
            std::fs::create_dir_all(&step_dir).expect("create the step directory");
            let file = |name: &str| {
                let path = step_dir.join(name);
                std::fs::write(&path, "").expect("create a runner file");
                path
            };
            let (output, env_file, path_file, summary) =
                (file("output"), file("env"), file("path"), file("summary"));
            let script_path = step_dir.join("script.sh");
            std::fs::write(&script_path, format!("{script}\n")).expect("write the script");

            let mut env = base.clone();
            env.extend(run.env.iter().cloned());
            for (name, value) in &step.env {
                env.insert(name.clone(), contexts.evaluate(value));
            }
            let mut path: Vec<&str> = run.path.iter().rev().map(String::as_str).collect();
            if let Some(inherited) = base.get("PATH") {
                path.push(inherited);
            }
            env.insert("PATH".into(), path.join(":"));
            for (name, file) in [
                ("GITHUB_OUTPUT", &output),
                ("GITHUB_ENV", &env_file),
                ("GITHUB_PATH", &path_file),
                ("GITHUB_STEP_SUMMARY", &summary),
            ] {
                env.insert(name.into(), path_text(file));
            }
            let dir = match &step.working_directory {
                Some(dir) => workspace.join(contexts.evaluate(&json!(dir))),
                None => workspace.clone(),
            };
            let finished = run_bash(&script_path, &env, &dir);

            let read = |path: &Path| std::fs::read_to_string(path).expect("read a runner file");
            let outputs: BTreeMap<String, String> =
                parse_outputs(&read(&output)).into_iter().collect();
            run.env.extend(parse_outputs(&read(&env_file)));
            run.path.extend(
                read(&path_file)
                    .lines()
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned),
            );
            run.summary.push_str(&read(&summary));
            if let Some(id) = &step.id {
                contexts.steps.insert(id.clone(), outputs.clone());
            }
            let code = finished
                .status
                .code()
                .unwrap_or_else(|| panic!("step {label} was killed"));
            run.steps.push(StepRun {
                id: step.id.clone(),
                code,
                stdout: String::from_utf8_lossy(&finished.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&finished.stderr).into_owned(),
                outputs,
            });
            if code != 0 {
                run.succeeded = false;
                return run;
            }
        }
        for (name, output) in &action.outputs {
            run.outputs
                .insert(name.clone(), contexts.evaluate(&json!(output.value)));
        }
        run
    }
}

/// Runs `script` as `shell: bash` does: `bash --noprofile --norc -eo pipefail <script>`, in
/// `dir`, with exactly `env`.
pub fn run_bash(script: &Path, env: &BTreeMap<String, String>, dir: &Path) -> std::process::Output {
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(script)
        .env_clear()
        .envs(env)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("run bash {}: {error}", script.display()))
}

impl ActionRun {
    /// The action output `name`; panics with the log when it is not set.
    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}\n{}", self.log()))
    }

    /// Every step's stdout and stderr, for failure messages.
    pub fn log(&self) -> String {
        self.steps
            .iter()
            .map(|step| {
                format!(
                    "--- step {} exited {}\nstdout:\n{}\nstderr:\n{}",
                    step.id.as_deref().unwrap_or("(no id)"),
                    step.code,
                    step.stdout,
                    step.stderr
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Panics with the log unless every step succeeded.
    pub fn assert_success(&self) {
        assert!(self.succeeded, "the action failed\n{}", self.log());
    }

    /// The step with `id`.
    pub fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|step| step.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no step {id} ran\n{}", self.log()))
    }

    /// The runner's directory (`RUNNER_TEMP` is its `temp`).
    pub fn runner_dir(&self) -> &Path {
        self.runner_dir.path()
    }
}

/// The values expressions can read.
struct Contexts {
    inputs: BTreeMap<String, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
    /// The job environment: `github.*` and `runner.*` come from its variables.
    env: BTreeMap<String, String>,
}

impl Contexts {
    /// A YAML value with its `${{ }}` expressions evaluated, as a string. Only the contexts
    /// gantry's actions use exist here, and they are closed: anything else fails the test.
    fn evaluate(&self, value: &Value) -> String {
        let var = |name: &str| json!(self.env.get(name).cloned().unwrap_or_default());
        let steps: Map<String, Value> = self
            .steps
            .iter()
            .map(|(id, outputs)| (id.clone(), json!({"outputs": outputs})))
            .collect();
        let contexts = json!({
            "inputs": self.inputs,
            "steps": steps,
            "github": {
                "action_path": var("GITHUB_ACTION_PATH"),
                "workspace": var("GITHUB_WORKSPACE"),
                "token": var("GITHUB_TOKEN"),
            },
            "runner": {
                "temp": var("RUNNER_TEMP"),
                "tool_cache": var("RUNNER_TOOL_CACHE"),
                "os": var("RUNNER_OS"),
                "arch": var("RUNNER_ARCH"),
            },
        });
        let closed: Vec<Vec<String>> = ["inputs", "github", "runner"]
            .iter()
            .map(|name| vec![(*name).to_owned()])
            .collect();
        let scope = Scope {
            contexts: contexts.as_object().expect("an object"),
            closed: &closed,
            status: Status::OK,
            workspace: None,
        };
        let evaluated = scope
            .value(value)
            .unwrap_or_else(|error| panic!("the local runner cannot evaluate {value}: {error}"));
        to_text(&evaluated)
    }
}
