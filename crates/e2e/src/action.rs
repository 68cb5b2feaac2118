//! The parts of `action.yml` (metadata syntax for composite actions) that gantry's actions use.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

/// An action's metadata.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub inputs: IndexMap<String, Input>,
    #[serde(default)]
    pub outputs: IndexMap<String, Output>,
    pub runs: Runs,
}

/// One `inputs.<name>`.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    pub description: String,
    #[serde(default)]
    pub required: bool,
    pub default: Option<String>,
}

/// One `outputs.<name>` of a composite action.
#[derive(Debug, Clone, Deserialize)]
pub struct Output {
    pub description: String,
    pub value: String,
}

/// `runs:`.
#[derive(Debug, Clone, Deserialize)]
pub struct Runs {
    pub using: String,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// One step of a composite action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Step {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "if")]
    pub condition: Option<String>,
    pub shell: Option<String>,
    pub run: Option<String>,
    pub uses: Option<String>,
    #[serde(default)]
    pub with: IndexMap<String, String>,
    #[serde(default)]
    pub env: IndexMap<String, String>,
    pub working_directory: Option<String>,
}

impl Action {
    /// Reads `dir/action.yml`.
    pub fn load(dir: &Path) -> Action {
        let path = dir.join("action.yml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
        serde_saphyr::from_str(&text)
            .unwrap_or_else(|error| panic!("parse {}: {error}", path.display()))
    }

    /// The step with `id`.
    pub fn step(&self, id: &str) -> &Step {
        self.runs
            .steps
            .iter()
            .find(|step| step.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{}: no step with id {id}", self.name))
    }
}

/// The `${{ … }}` expressions in `text`, trimmed, in order.
pub fn expressions(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed expression in {text:?}"));
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    found
}

/// `text` with each `${{ expression }}` replaced by `value(expression)`.
pub fn substitute(text: &str, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed expression in {text:?}"));
        out.push_str(&value(after[..end].trim()));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_found_and_substituted() {
        let text = "a ${{ inputs.x }} b ${{steps.run.outputs.y}}";
        assert_eq!(expressions(text), ["inputs.x", "steps.run.outputs.y"]);
        assert_eq!(
            substitute(text, &|e| e.to_uppercase()),
            "a INPUTS.X b STEPS.RUN.OUTPUTS.Y"
        );
        assert_eq!(substitute("plain", &|_| unreachable!()), "plain");
    }
}
