//! Whether a workflow's `on:` takes an event: the event name, and for `push` and
//! `pull_request` the `branches`/`branches-ignore`, `tags`/`tags-ignore` and `types` filters
//! (GitHub's "Workflow syntax": filter patterns where `*` stops at `/` and `**` does not,
//! later `!pattern`s exclude again; a pull request matches on its base branch; the default
//! pull request types are `opened`, `synchronize` and `reopened`), and `paths`/`paths-ignore`
//! on the files the push or pull request changed (`paths`: one changed file matches;
//! `paths-ignore`: not every changed file matches).

use serde_json::Value;

use super::repo::Event;

/// Whether `on` takes `event`; `changed` lists the files it changed (for `paths` filters).
pub fn takes(
    on: &Value,
    event: &Event,
    changed: &dyn Fn() -> Result<Vec<String>, String>,
) -> Result<bool, String> {
    if !takes_ref(on, event)? {
        return Ok(false);
    }
    let Some(Value::Object(filters)) = on.get(&event.name) else {
        return Ok(true);
    };
    if let Some(patterns) = filters.get("paths") {
        let files = changed()?;
        for file in &files {
            if matches(patterns, file)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(patterns) = filters.get("paths-ignore") {
        for file in &changed()? {
            if !matches(patterns, file)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    Ok(true)
}

/// The event name and the ref filters.
fn takes_ref(on: &Value, event: &Event) -> Result<bool, String> {
    let config = match on {
        Value::String(name) => return Ok(*name == event.name),
        Value::Array(names) => {
            return Ok(names.iter().any(|name| name.as_str() == Some(&event.name)));
        }
        Value::Object(map) => match map.get(&event.name) {
            None => return Ok(false),
            Some(config) => config,
        },
        other => return Err(format!("on: unexpected value {other}")),
    };
    let empty = serde_json::Map::new();
    let filters = match config {
        Value::Object(filters) => filters,
        _ => &empty,
    };
    if !takes_type(filters, event) {
        return Ok(false);
    }
    let (name, include, ignore) = match event.name.as_str() {
        "pull_request" | "pull_request_target" => {
            (event.base_ref.as_str(), "branches", "branches-ignore")
        }
        _ if event.git_ref.starts_with("refs/tags/") => (event.ref_name(), "tags", "tags-ignore"),
        _ => (event.ref_name(), "branches", "branches-ignore"),
    };
    if let Some(patterns) = filters.get(include) {
        return matches(patterns, name);
    }
    if let Some(patterns) = filters.get(ignore) {
        return matches(patterns, name).map(|matched| !matched);
    }
    // A push with only tag filters does not take branch pushes, and the other way round.
    let other = if include == "tags" {
        "branches"
    } else {
        "tags"
    };
    Ok(!(event.name == "push"
        && (filters.contains_key(other) || filters.contains_key(&format!("{other}-ignore")))))
}

/// The `types` filter, on the payload's `action`: for pull requests (by default `opened`,
/// `synchronize` and `reopened`) and `repository_dispatch` (its `event_type`; by default
/// every type). Other events take no `types` here.
fn takes_type(filters: &serde_json::Map<String, Value>, event: &Event) -> bool {
    let default: &[&str] = match event.name.as_str() {
        "pull_request" | "pull_request_target" => &["opened", "synchronize", "reopened"],
        "repository_dispatch" if !filters.contains_key("types") => return true,
        "repository_dispatch" => &[],
        _ => return true,
    };
    let action = event.payload["action"].as_str().unwrap_or_default();
    match filters.get("types") {
        Some(Value::Array(types)) => types.iter().any(|kind| kind.as_str() == Some(action)),
        Some(Value::String(one)) => one == action,
        _ => default.contains(&action),
    }
}

/// Whether `name` matches the list of filter patterns (later `!pattern`s exclude).
fn matches(patterns: &Value, name: &str) -> Result<bool, String> {
    let patterns: Vec<&str> = match patterns {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::String(one) => vec![one.as_str()],
        other => return Err(format!("filter: unexpected value {other}")),
    };
    let mut matched = false;
    for pattern in patterns {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|error| format!("filter pattern {pattern}: {error}"))?
            .compile_matcher();
        if glob.is_match(name) {
            matched = !negated;
        }
    }
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn none() -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }

    fn push(branch: &str) -> Event {
        let mut event = Event::on_main("push", "abc", json!({}));
        event.git_ref = format!("refs/heads/{branch}");
        event
    }

    #[test]
    fn branch_filters_and_event_names() {
        let on = json!({"push": {"branches": ["main", "release/*", "!release/old"]}, "pull_request": null});
        assert!(takes(&on, &push("main"), &none).unwrap());
        assert!(takes(&on, &push("release/1.0"), &none).unwrap());
        assert!(!takes(&on, &push("release/old"), &none).unwrap());
        assert!(!takes(&on, &push("release/1/x"), &none).unwrap());
        assert!(!takes(&on, &Event::on_main("schedule", "abc", json!({})), &none).unwrap());
        assert!(takes(&json!("push"), &push("x"), &none).unwrap());
        assert!(takes(&json!(["schedule", "push"]), &push("x"), &none).unwrap());
    }

    #[test]
    fn path_filters_look_at_the_changed_files() {
        let changed = || Ok(vec!["gantry.yml".to_owned(), "docs/a.md".to_owned()]);
        let event = push("main");
        assert!(
            takes(
                &json!({"push": {"paths": ["gantry.yml"]}}),
                &event,
                &changed
            )
            .unwrap()
        );
        assert!(!takes(&json!({"push": {"paths": ["src/**"]}}), &event, &changed).unwrap());
        assert!(
            takes(
                &json!({"push": {"paths-ignore": ["docs/**"]}}),
                &event,
                &changed
            )
            .unwrap()
        );
        assert!(
            !takes(
                &json!({"push": {"paths-ignore": ["docs/**", "*.yml"]}}),
                &event,
                &changed
            )
            .unwrap()
        );
    }

    #[test]
    fn repository_dispatch_types_filter_the_event_type() {
        let event = Event::on_main(
            "repository_dispatch",
            "abc",
            json!({"action": "deploy", "client_payload": {}}),
        );
        assert!(takes(&json!({"repository_dispatch": null}), &event, &none).unwrap());
        assert!(
            takes(
                &json!({"repository_dispatch": {"types": ["deploy", "rollback"]}}),
                &event,
                &none
            )
            .unwrap()
        );
        assert!(
            !takes(
                &json!({"repository_dispatch": {"types": ["rollback"]}}),
                &event,
                &none
            )
            .unwrap()
        );
    }

    #[test]
    fn pull_requests_match_their_base_and_default_types() {
        let mut event = Event::on_main("pull_request", "abc", json!({"action": "opened"}));
        event.base_ref = "main".to_owned();
        assert!(
            takes(
                &json!({"pull_request": {"branches": ["main"]}}),
                &event,
                &none
            )
            .unwrap()
        );
        event.payload["action"] = json!("labeled");
        assert!(!takes(&json!({"pull_request": null}), &event, &none).unwrap());
        assert!(
            takes(
                &json!({"pull_request": {"types": ["labeled"]}}),
                &event,
                &none
            )
            .unwrap()
        );
    }
}
