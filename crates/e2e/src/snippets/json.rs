//! JSON blocks: each parses; under a heading that names a gantry tool it is that tool's
//! `--format json` document, so each key it shows exists at that place of the real document
//! with a value of the same type (the block may leave keys out). The real documents:
//! gantry-matrix and gantry-tags run on the example monorepo; the others come from the tools'
//! own report types ([`crate::documents`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Block, Problem, Setting};
use crate::documents;

/// Objects whose keys are data (service names, label names, build arguments), per tool.
const FREE_MAPS: &[(&str, &[&str])] = &[
    (
        "matrix",
        &["reasons", "matrix.include[].build-args", "files"],
    ),
    ("tags", &["labels"]),
];

/// Checks the JSON blocks.
pub fn check(setting: &Setting, blocks: &[&Block]) -> Vec<Problem> {
    let mut documents: BTreeMap<String, Value> = BTreeMap::new();
    let mut problems = Vec::new();
    for block in blocks {
        let value: Value = match serde_json::from_str(&block.text) {
            Ok(value) => value,
            Err(error) => {
                problems.push(block.problem_at(error.line().max(1), format!("not JSON: {error}")));
                continue;
            }
        };
        let Some(tool) = &block.tool else {
            continue;
        };
        let real = documents
            .entry(tool.clone())
            .or_insert_with(|| document(setting, tool));
        let free: &[&str] = FREE_MAPS
            .iter()
            .find(|(name, _)| name == tool)
            .map_or(&[], |(_, paths)| paths);
        let mut found = Vec::new();
        compare(&value, real, "", free, &mut found);
        for (key, message) in found {
            problems.push(block.problem_at(
                block.line_containing(&format!("\"{key}\"")),
                format!("gantry-{tool}'s JSON document: {message}"),
            ));
        }
    }
    problems
}

/// The real document of `tool`.
fn document(setting: &Setting, tool: &str) -> Value {
    let args: &[&str] = match tool {
        "promote" => return documents::promote(),
        "prune" => return documents::prune(),
        "dokploy" => return documents::dokploy(),
        // With the keys only some flags add.
        "matrix" => &[
            "--base",
            "HEAD~1",
            "--explain",
            "--list-files",
            "json",
            "--format",
            "json",
        ],
        "tags" => &["--service", "brain-gateway", "--format", "json"],
        other => panic!("no document for {other}"),
    };
    let stdout = setting.run_tool(tool, args);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("gantry-{tool} prints JSON: {e}\n{stdout}"))
}

/// JSON's name for the type of `value`.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The differences of `shown` from `real` at `path`, as (the key they are at, message).
fn compare(
    shown: &Value,
    real: &Value,
    path: &str,
    free: &[&str],
    found: &mut Vec<(String, String)>,
) {
    let key = path
        .rsplit(['.', '['])
        .next()
        .unwrap_or_default()
        .trim_end_matches(']')
        .to_owned();
    match (shown, real) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(shown), Value::Object(real)) => {
            if free.contains(&path) {
                return;
            }
            for (name, value) in shown {
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                match real.get(name) {
                    Some(actual) => compare(value, actual, &inner, free, found),
                    None => found.push((
                        name.clone(),
                        format!(
                            "no key `{inner}`; the keys there are {}",
                            real.keys()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            }
        }
        (Value::Array(shown), Value::Array(real)) => {
            if let Some(first) = real.first() {
                for item in shown {
                    compare(item, first, &format!("{path}[]"), free, found);
                }
            }
        }
        (shown, real) if type_name(shown) != type_name(real) => found.push((
            key,
            format!(
                "`{path}` is {} there, not {}",
                type_name(real),
                type_name(shown)
            ),
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn differences(shown: Value, real: Value, free: &[&str]) -> Vec<(String, String)> {
        let mut found = Vec::new();
        compare(&shown, &real, "", free, &mut found);
        found
    }

    #[test]
    fn shown_keys_must_exist_with_the_real_type() {
        let real = json!({"a": 1, "list": [{"x": "s", "y": null}], "free": {"k": "v"}});
        assert_eq!(
            differences(json!({"a": 2, "list": [{"x": "t"}]}), real.clone(), &[]),
            []
        );
        assert_eq!(
            differences(
                json!({"free": {"anything": 1}, "list": [{"y": 3}]}),
                real.clone(),
                &["free"]
            ),
            []
        );
        assert_eq!(
            differences(json!({"a": "1", "list": [{"z": 1}]}), real, &[]),
            [
                (
                    "a".to_owned(),
                    "`a` is a number there, not a string".to_owned()
                ),
                (
                    "z".to_owned(),
                    "no key `list[].z`; the keys there are x, y".to_owned()
                ),
            ]
        );
    }
}
