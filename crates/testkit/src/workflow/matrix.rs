//! `strategy.matrix` → job configurations, as the runner's workflow parser builds them
//! (`src/Sdk/WorkflowParser/Conversion/MatrixBuilder.cs` and `WorkflowTemplateConverter.cs`,
//! `ConvertToStrategy`): the cross product of the vectors in key order, minus the `exclude`
//! filters; an `include` entry adds its other keys to every product entry whose vector keys it
//! matches, and one that matches none becomes a configuration of its own, after the product.

use serde_json::{Map, Value};

/// GitHub's documented limit of jobs one matrix may generate.
pub const MAX_JOBS: usize = 256;

/// One job of a matrix: its `matrix` context and its display-name suffix.
#[derive(Debug, Clone, PartialEq)]
pub struct Configuration {
    pub matrix: Map<String, Value>,
    /// `(a, b)`: the primitive values of the product entry (or of the lone include).
    pub name_suffix: String,
}

/// The configurations of an evaluated `strategy.matrix`, or the error GitHub reports.
pub fn expand(matrix: &Value) -> Result<Vec<Configuration>, String> {
    let matrix = matrix
        .as_object()
        .ok_or_else(|| format!("Unexpected value '{matrix}': a matrix is a mapping"))?;
    let mut vectors: Vec<(&str, &Vec<Value>)> = Vec::new();
    let mut include: &[Value] = &[];
    let mut exclude: &[Value] = &[];
    for (key, value) in matrix {
        let sequence = || {
            value
                .as_array()
                .ok_or_else(|| format!("Unexpected value '{value}': matrix {key} is a sequence"))
        };
        match key.as_str() {
            "include" => include = sequence()?,
            "exclude" => exclude = sequence()?,
            name => {
                let vector = sequence()?;
                if vector.is_empty() {
                    return Err(format!(
                        "Matrix vector '{name}' does not contain any values"
                    ));
                }
                vectors.push((name, vector));
            }
        }
    }
    if vectors.is_empty() && include.is_empty() {
        return Err("Matrix must define at least one vector".to_owned());
    }

    let is_vector = |key: &str| vectors.iter().any(|(name, _)| *name == key);
    let mut filters = Vec::new();
    for entry in include {
        let entry = entry.as_object().ok_or_else(|| {
            format!("Unexpected value '{entry}': a matrix include item is a mapping")
        })?;
        if entry.is_empty() {
            return Err("Matrix include mapping does not contain any values".to_owned());
        }
        let (filter, extra): (Map<String, Value>, Map<String, Value>) = entry
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .partition(|(key, _)| is_vector(key));
        filters.push((filter, extra, false));
    }
    for entry in exclude {
        let entry = entry.as_object().ok_or_else(|| {
            format!("Unexpected value '{entry}': a matrix exclude item is a mapping")
        })?;
        if entry.is_empty() {
            return Err("Matrix exclude filter must not be empty".to_owned());
        }
        if let Some(key) = entry.keys().find(|key| !is_vector(key)) {
            return Err(format!(
                "Matrix exclude key '{key}' does not match any key within the matrix"
            ));
        }
    }

    let size = if vectors.is_empty() {
        0
    } else {
        vectors.iter().map(|(_, vector)| vector.len()).product()
    };
    let mut configurations = Vec::new();
    for product in 0..size {
        let mut entry = Map::new();
        let mut block = size;
        for (name, vector) in &vectors {
            block /= vector.len();
            entry.insert(
                (*name).to_owned(),
                vector[(product / block) % vector.len()].clone(),
            );
        }
        if exclude
            .iter()
            .any(|filter| matches(filter.as_object().expect("checked above"), &entry))
        {
            continue;
        }
        let name_suffix = name_suffix(&entry);
        let mut extras = Map::new();
        for (filter, extra, matched) in &mut filters {
            if matches(filter, &entry) {
                *matched = true;
                extras.extend(extra.clone());
            }
        }
        entry.extend(extras);
        configurations.push(Configuration {
            matrix: entry,
            name_suffix,
        });
    }
    for (filter, extra, matched) in filters {
        if !matched {
            let mut entry = filter;
            entry.extend(extra);
            configurations.push(Configuration {
                name_suffix: name_suffix(&entry),
                matrix: entry,
            });
        }
    }
    if configurations.len() > MAX_JOBS {
        return Err(format!(
            "The matrix produced {} jobs; a matrix can generate at most {MAX_JOBS} jobs per workflow run",
            configurations.len()
        ));
    }
    Ok(configurations)
}

/// Every key of `filter` has the same value in `entry`.
fn matches(filter: &Map<String, Value>, entry: &Map<String, Value>) -> bool {
    filter
        .iter()
        .all(|(key, value)| entry.get(key) == Some(value))
}

/// `JobNameBuilder`: the primitive values, depth first, as `(a, b)`.
fn name_suffix(entry: &Map<String, Value>) -> String {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            Value::Object(map) => map.values().for_each(|item| collect(item, out)),
            Value::Null => {}
            other => out.push(super::expr::to_text(other)),
        }
    }
    let mut parts = Vec::new();
    entry.values().for_each(|value| collect(value, &mut parts));
    parts.retain(|part| !part.is_empty());
    format!("({})", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn matrices(matrix: Value) -> Vec<Value> {
        expand(&matrix)
            .unwrap()
            .into_iter()
            .map(|configuration| Value::Object(configuration.matrix))
            .collect()
    }

    #[test]
    fn the_cross_product_with_exclude_and_include_as_in_matrix_builder_cs() {
        // MatrixBuilder.cs, examples 2 to 4.
        assert_eq!(
            matrices(json!({
                "arch": ["x64", "x86"], "os": ["linux", "windows"],
                "exclude": [{"arch": "x86", "os": "linux"}],
                "include": [{"arch": "x64", "os": "linux", "publish": true}, {"os": "macos"}],
            })),
            [
                json!({"arch": "x64", "os": "linux", "publish": true}),
                json!({"arch": "x64", "os": "windows"}),
                json!({"arch": "x86", "os": "windows"}),
                json!({"os": "macos"}),
            ]
        );
    }

    #[test]
    fn an_include_only_matrix_is_one_job_per_entry() {
        let configurations =
            expand(&json!({"include": [{"service": "api"}, {"service": "web"}]})).unwrap();
        assert_eq!(configurations.len(), 2);
        assert_eq!(configurations[1].matrix["service"], "web");
        assert_eq!(configurations[1].name_suffix, "(web)");
    }

    #[test]
    fn errors_are_the_runners() {
        assert_eq!(
            expand(&json!({"include": []})).unwrap_err(),
            "Matrix must define at least one vector"
        );
        assert_eq!(
            expand(&json!({"os": []})).unwrap_err(),
            "Matrix vector 'os' does not contain any values"
        );
        assert_eq!(
            expand(&json!({"os": ["a"], "exclude": [{"arch": "x"}]})).unwrap_err(),
            "Matrix exclude key 'arch' does not match any key within the matrix"
        );
        let many: Vec<Value> = (0..257).map(|n| json!({"n": n})).collect();
        assert!(
            expand(&json!({"include": many}))
                .unwrap_err()
                .contains("at most 256")
        );
    }
}
