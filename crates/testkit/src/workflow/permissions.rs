//! `permissions:` of jobs, and the rule that a called workflow's job gets no more than its
//! caller job granted (GitHub refuses the run: "The nested job '…' is requesting '…', but is
//! only allowed '…'").

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The scopes of `GITHUB_TOKEN` a workflow can set.
const SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
];

/// An access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Read,
    Write,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::None => "none",
            Level::Read => "read",
            Level::Write => "write",
        })
    }
}

/// The level of every scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions(BTreeMap<&'static str, Level>);

impl Permissions {
    /// Every scope at `level` (`read-all`, `write-all`).
    pub fn all(level: Level) -> Permissions {
        Permissions(SCOPES.iter().map(|scope| (*scope, level)).collect())
    }

    /// Parses a `permissions:` value: `read-all`, `write-all`, or a mapping where unlisted
    /// scopes are `none`.
    pub fn parse(value: &Value) -> Result<Permissions, String> {
        match value {
            Value::String(all) if all == "read-all" => Ok(Self::all(Level::Read)),
            Value::String(all) if all == "write-all" => Ok(Self::all(Level::Write)),
            Value::Object(map) => {
                let mut permissions = Self::all(Level::None);
                for (scope, level) in map {
                    let known = SCOPES
                        .iter()
                        .find(|known| **known == scope)
                        .ok_or_else(|| format!("permissions: unknown scope {scope}"))?;
                    let level = match level.as_str() {
                        Some("read") => Level::Read,
                        Some("write") => Level::Write,
                        Some("none") => Level::None,
                        _ => {
                            return Err(format!(
                                "permissions: {scope}: {level} is not read, write or none"
                            ));
                        }
                    };
                    permissions.0.insert(known, level);
                }
                Ok(permissions)
            }
            other => Err(format!("permissions: unexpected value {other}")),
        }
    }

    /// A job's permissions: what it (or its workflow) asks for, else what it was granted, else
    /// everything; asking for more than a caller granted is an error.
    pub fn of_job(
        requested: Option<&Value>,
        granted: Option<&Permissions>,
        job: &str,
    ) -> Result<Permissions, String> {
        let requested = match requested {
            Some(value) => Self::parse(value)?,
            None => return Ok(granted.cloned().unwrap_or_else(|| Self::all(Level::Write))),
        };
        if let Some(granted) = granted {
            for (scope, level) in &requested.0 {
                let allowed = granted.level(scope);
                if *level > allowed {
                    return Err(format!(
                        "The nested job '{job}' is requesting '{scope}: {level}', but is only allowed '{scope}: {allowed}'."
                    ));
                }
            }
        }
        Ok(requested)
    }

    pub fn level(&self, scope: &str) -> Level {
        self.0.get(scope).copied().unwrap_or(Level::None)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_nested_job_gets_no_more_than_its_caller_granted() {
        let granted =
            Permissions::parse(&json!({"contents": "read", "packages": "write"})).unwrap();
        let asked = json!({"contents": "read", "attestations": "write"});
        assert_eq!(
            Permissions::of_job(Some(&asked), Some(&granted), "build").unwrap_err(),
            "The nested job 'build' is requesting 'attestations: write', but is only allowed 'attestations: none'."
        );
        let fine =
            Permissions::of_job(Some(&json!({"packages": "read"})), Some(&granted), "deploy")
                .unwrap();
        assert_eq!(fine.level("packages"), Level::Read);
        assert_eq!(fine.level("contents"), Level::None);
        assert_eq!(
            Permissions::of_job(None, Some(&granted), "x").unwrap(),
            granted
        );
    }
}
