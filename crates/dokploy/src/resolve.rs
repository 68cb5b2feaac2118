//! `project/environment/service` names → Dokploy ids, through `project.all` in each of its
//! shapes:
//!
//! - before v0.25.0: `projects[].applications[]` / `.compose[]` (no environments);
//! - v0.25.0 – v0.28.2: `projects[].environments[].applications[]` / `.compose[]`, full rows;
//! - v0.28.3+: the same nesting with trimmed rows (`{applicationId, name, ...}`).
//!
//! Names are not unique in Dokploy, so a name that matches more than one service is an error
//! listing the candidates.

use serde_json::Value;

use crate::api::ServiceKind;

/// A service found in `project.all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: ServiceKind,
    pub id: String,
    pub project: String,
    /// `None` on servers without environments (before v0.25.0).
    pub environment: Option<String>,
    pub name: String,
}

impl Candidate {
    fn path(&self) -> String {
        format!(
            "{}/{}/{}",
            self.project,
            self.environment.as_deref().unwrap_or("-"),
            self.name
        )
    }
}

/// A name path that does not name exactly one service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum ResolveError {
    #[error("`{path}` is not a `project/environment/service` name")]
    #[diagnostic(
        code(gantry::dokploy::name_path),
        help("write three non-empty parts, e.g. `shop/production/api`, or give the service's id")
    )]
    Malformed { path: String },

    #[error("no {kind} named `{path}` in Dokploy{known}")]
    #[diagnostic(
        code(gantry::dokploy::unknown_service),
        help(
            "names are case-sensitive; the API key's user only sees the services it has access to"
        )
    )]
    NotFound {
        kind: &'static str,
        path: String,
        /// `; the {kind}s there: a, b` or empty.
        known: String,
    },

    #[error("`{path}` names {count} {kind}s in Dokploy: {candidates}")]
    #[diagnostic(
        code(gantry::dokploy::ambiguous_service),
        help("Dokploy names are not unique: give the id of the one you mean instead of its name")
    )]
    Ambiguous {
        kind: &'static str,
        path: String,
        count: usize,
        /// `shop/production/api (id abc), ...`
        candidates: String,
    },
}

/// Every application and compose in a `project.all` answer, whatever its shape.
pub fn candidates(projects: &Value) -> Vec<Candidate> {
    let mut found = Vec::new();
    for project in projects.as_array().into_iter().flatten() {
        let project_name = text(project, "name");
        match project.get("environments").and_then(Value::as_array) {
            Some(environments) => {
                for environment in environments {
                    let environment_name = text(environment, "name");
                    collect(
                        environment,
                        &project_name,
                        Some(&environment_name),
                        &mut found,
                    );
                }
            }
            None => collect(project, &project_name, None, &mut found),
        }
    }
    found
}

fn collect(holder: &Value, project: &str, environment: Option<&str>, found: &mut Vec<Candidate>) {
    for (kind, list, id_key) in [
        (ServiceKind::Application, "applications", "applicationId"),
        (ServiceKind::Compose, "compose", "composeId"),
    ] {
        for service in holder
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = text(service, id_key);
            if id.is_empty() {
                continue;
            }
            found.push(Candidate {
                kind,
                id,
                project: project.to_owned(),
                environment: environment.map(str::to_owned),
                name: text(service, "name"),
            });
        }
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The id of the one `kind` service called `path` (`project/environment/service`). On a
/// server without environments the environment part is not compared (there is none).
pub fn resolve(
    candidates: &[Candidate],
    kind: ServiceKind,
    path: &str,
) -> Result<String, ResolveError> {
    let parts: Vec<&str> = path.split('/').collect();
    let [project, environment, name] = parts[..] else {
        return Err(ResolveError::Malformed { path: path.into() });
    };
    if parts.iter().any(|part| part.trim().is_empty()) {
        return Err(ResolveError::Malformed { path: path.into() });
    }
    let in_place = |candidate: &&Candidate| {
        candidate.kind == kind
            && candidate.project == project
            && candidate
                .environment
                .as_deref()
                .is_none_or(|found| found == environment)
    };
    let matches: Vec<&Candidate> = candidates
        .iter()
        .filter(in_place)
        .filter(|candidate| candidate.name == name)
        .collect();
    match matches[..] {
        [one] => Ok(one.id.clone()),
        [] => {
            let mut nearby: Vec<&str> = candidates
                .iter()
                .filter(in_place)
                .map(|candidate| candidate.name.as_str())
                .collect();
            nearby.sort_unstable();
            nearby.dedup();
            Err(ResolveError::NotFound {
                kind: kind.as_str(),
                path: path.into(),
                known: if nearby.is_empty() {
                    String::new()
                } else {
                    format!("; the {}s there: {}", kind.as_str(), nearby.join(", "))
                },
            })
        }
        _ => Err(ResolveError::Ambiguous {
            kind: kind.as_str(),
            path: path.into(),
            count: matches.len(),
            candidates: matches
                .iter()
                .map(|candidate| format!("{} (id {})", candidate.path(), candidate.id))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn old_shape() -> Value {
        json!([{"projectId": "p1", "name": "shop",
            "applications": [{"applicationId": "a1", "name": "api", "env": "SECRET=1"}],
            "compose": [{"composeId": "c1", "name": "stack"}]}])
    }

    fn nested(trimmed: bool) -> Value {
        let app = |id: &str, name: &str| {
            if trimmed {
                json!({"applicationId": id, "name": name, "applicationStatus": "done"})
            } else {
                json!({"applicationId": id, "name": name, "appName": format!("{name}-x"), "env": ""})
            }
        };
        json!([
            {"projectId": "p1", "name": "shop", "environments": [
                {"environmentId": "e1", "name": "production", "isDefault": true,
                 "applications": [app("a1", "api"), app("a2", "web")],
                 "compose": [{"composeId": "c1", "name": "stack", "composeStatus": "done"}],
                 "postgres": []},
                {"environmentId": "e2", "name": "staging",
                 "applications": [app("a3", "api")], "compose": []}]},
            {"projectId": "p2", "name": "blog", "environments": [
                {"environmentId": "e3", "name": "production",
                 "applications": [app("a4", "api"), app("a5", "api")], "compose": []}]}
        ])
    }

    #[test]
    fn every_shape_resolves() {
        let old = candidates(&old_shape());
        assert_eq!(
            resolve(&old, ServiceKind::Application, "shop/production/api"),
            Ok("a1".into())
        );
        assert_eq!(
            resolve(&old, ServiceKind::Compose, "shop/anything/stack"),
            Ok("c1".into())
        );
        for trimmed in [false, true] {
            let all = candidates(&nested(trimmed));
            assert_eq!(
                resolve(&all, ServiceKind::Application, "shop/staging/api"),
                Ok("a3".into())
            );
            assert_eq!(
                resolve(&all, ServiceKind::Application, "shop/production/api"),
                Ok("a1".into())
            );
            assert_eq!(
                resolve(&all, ServiceKind::Compose, "shop/production/stack"),
                Ok("c1".into())
            );
        }
    }

    #[test]
    fn ambiguity_lists_the_candidates() {
        let all = candidates(&nested(true));
        let error = resolve(&all, ServiceKind::Application, "blog/production/api").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`blog/production/api` names 2 applications in Dokploy: blog/production/api (id a4), \
             blog/production/api (id a5)"
        );
    }

    #[test]
    fn unknown_names_list_what_is_there() {
        let all = candidates(&nested(true));
        let error = resolve(&all, ServiceKind::Application, "shop/production/apii").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no application named `shop/production/apii` in Dokploy; the applications there: api, web"
        );
        let kind = resolve(&all, ServiceKind::Compose, "shop/production/api").unwrap_err();
        assert!(matches!(kind, ResolveError::NotFound { .. }), "{kind}");
        for bad in ["shop/api", "a/b/c/d", "shop//api", " /x/y"] {
            assert_eq!(
                resolve(&all, ServiceKind::Application, bad),
                Err(ResolveError::Malformed { path: bad.into() })
            );
        }
    }

    #[test]
    fn garbage_yields_no_candidates() {
        assert!(candidates(&json!({"not": "a list"})).is_empty());
        assert!(
            candidates(&json!([1, "x", {"name": "p", "applications": [{"name": "no id"}]}]))
                .is_empty()
        );
    }
}
