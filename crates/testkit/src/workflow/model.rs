//! The workflow and action YAML the simulator reads (serde-saphyr), kept close to the files:
//! values that may hold expressions or scalars of any type stay `serde_json::Value` until they
//! are evaluated, as the runner keeps template tokens until it evaluates them.
//!
//! Why not `github-actions-models` (zizmor's models): its `workflow_call` inputs have no
//! `default` (every input of gantry's reusable workflows has one), and it parses through
//! `yaml_serde`, a second YAML stack beside serde-saphyr (docs/testing.md).

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::Value;

/// A workflow file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Workflow {
    pub name: Option<String>,
    pub on: Value,
    #[serde(default)]
    pub env: IndexMap<String, Value>,
    pub permissions: Option<Value>,
    pub defaults: Option<Defaults>,
    pub concurrency: Option<Value>,
    pub jobs: IndexMap<String, Job>,
}

/// `defaults:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Defaults {
    pub run: Option<RunDefaults>,
}

/// `defaults.run`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RunDefaults {
    pub shell: Option<String>,
    pub working_directory: Option<String>,
}

/// A job: steps on a runner, or (with `uses:`) a call of a reusable workflow.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Job {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub needs: Vec<String>,
    #[serde(rename = "if")]
    pub condition: Option<Value>,
    pub runs_on: Option<Value>,
    pub environment: Option<Value>,
    pub concurrency: Option<Value>,
    #[serde(default)]
    pub outputs: IndexMap<String, String>,
    #[serde(default)]
    pub env: IndexMap<String, Value>,
    pub defaults: Option<Defaults>,
    #[serde(default)]
    pub steps: Vec<Step>,
    pub timeout_minutes: Option<Value>,
    pub strategy: Option<Strategy>,
    pub continue_on_error: Option<Value>,
    pub permissions: Option<Value>,
    pub uses: Option<String>,
    #[serde(default)]
    pub with: IndexMap<String, Value>,
    pub secrets: Option<Value>,
}

/// `strategy:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Strategy {
    pub matrix: Option<Value>,
    pub fail_fast: Option<Value>,
    pub max_parallel: Option<Value>,
}

/// A step of a job or of a composite action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Step {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "if")]
    pub condition: Option<Value>,
    pub uses: Option<String>,
    pub run: Option<String>,
    pub shell: Option<String>,
    #[serde(default)]
    pub with: IndexMap<String, Value>,
    #[serde(default)]
    pub env: IndexMap<String, Value>,
    pub working_directory: Option<String>,
    pub continue_on_error: Option<Value>,
    pub timeout_minutes: Option<Value>,
}

/// `on.workflow_call` of a reusable workflow.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkflowCall {
    #[serde(default)]
    pub inputs: IndexMap<String, CallInput>,
    #[serde(default)]
    pub secrets: IndexMap<String, Option<CallSecret>>,
    #[serde(default)]
    pub outputs: IndexMap<String, CallOutput>,
}

/// One `on.workflow_call.inputs.<name>`.
#[derive(Debug, Clone, Deserialize)]
pub struct CallInput {
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub default: Option<Value>,
}

/// One `on.workflow_call.secrets.<name>`.
#[derive(Debug, Clone, Deserialize)]
pub struct CallSecret {
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// One `on.workflow_call.outputs.<name>`.
#[derive(Debug, Clone, Deserialize)]
pub struct CallOutput {
    pub description: Option<String>,
    pub value: String,
}

/// An action's metadata (`action.yml`).
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub inputs: IndexMap<String, ActionInput>,
    #[serde(default)]
    pub outputs: IndexMap<String, ActionOutput>,
    pub runs: Runs,
}

/// One `inputs.<name>` of an action.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionInput {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, deserialize_with = "optional_scalar")]
    pub default: Option<String>,
}

/// One `outputs.<name>` of a composite action.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionOutput {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub value: String,
}

/// `runs:` of an action.
#[derive(Debug, Clone, Deserialize)]
pub struct Runs {
    pub using: String,
    #[serde(default)]
    pub steps: Vec<Step>,
}

impl Workflow {
    /// Reads and parses a workflow file.
    pub fn parse(name: &str, text: &str) -> Result<Workflow, String> {
        serde_saphyr::from_str(text).map_err(|error| format!("{name}: {error}"))
    }

    /// `on.workflow_call`, if the workflow can be called.
    pub fn workflow_call(&self) -> Result<Option<WorkflowCall>, String> {
        match self.on.get("workflow_call") {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(WorkflowCall::default())),
            Some(call) => serde_json::from_value(call.clone())
                .map(Some)
                .map_err(|error| format!("on.workflow_call: {error}")),
        }
    }
}

impl Action {
    /// Reads `dir/action.yml` (or `action.yaml`).
    pub fn load(dir: &Path) -> Result<Action, String> {
        let path = [dir.join("action.yml"), dir.join("action.yaml")]
            .into_iter()
            .find(|path| path.is_file())
            .ok_or_else(|| format!("{}: no action.yml", dir.display()))?;
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("read {}: {error}", path.display()))?;
        serde_saphyr::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// The step with `id`.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.runs
            .steps
            .iter()
            .find(|step| step.id.as_deref() == Some(id))
    }
}

impl Step {
    /// The name the runner shows: `name:`, else `Run <first line>` or `Run <action>`.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match (&self.uses, &self.run) {
            (Some(uses), _) => format!("Run {uses}"),
            (None, Some(run)) => format!("Run {}", run.lines().next().unwrap_or_default()),
            (None, None) => "(empty step)".to_owned(),
        }
    }
}

/// `needs: a` or `needs: [a, b]`.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// A scalar of any type as the string the runner sees (`false` → `"false"`).
fn optional_scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    })
}
