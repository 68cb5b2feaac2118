//! The names templates can use: the global expressions (`{{branch}}`, `{{date 'FMT'}}`, ...),
//! the schedule pattern's (only the dates), and the version fields of semver and pep440
//! patterns.

use std::cell::RefCell;
use std::sync::LazyLock;

use jiff::Timestamp;
use serde_json::Value as Json;

use crate::context::RunContext;
use crate::ports::handlebars::{Lookup, Scope, Value};
use crate::ports::node_semver::{Identifier, SemVer};
use crate::ports::pep440::Pep440;
use crate::spec::Notice;

/// The global expressions of metadata-action.
pub struct Globals<'a> {
    pub context: &'a RunContext,
    /// Warnings raised while rendering (an unknown time zone).
    pub notices: &'a RefCell<Vec<Notice>>,
}

impl Scope for Globals<'_> {
    fn lookup(&self, name: &str) -> Lookup {
        match name {
            "branch"
            | "tag"
            | "sha"
            | "base_ref"
            | "is_default_branch"
            | "is_not_default_branch"
            | "date"
            | "commit_date" => Lookup::Function,
            _ => Lookup::Missing,
        }
    }

    /// `date` and `commit_date` are `function (format, options)`; the others take none.
    fn arity(&self, name: &str) -> usize {
        if matches!(name, "date" | "commit_date") {
            2
        } else {
            0
        }
    }

    fn call(
        &self,
        name: &str,
        params: &[Value],
        hash: &[(String, Value)],
    ) -> Result<Value, String> {
        let context = self.context;
        let text = match name {
            "branch" => context.branch().unwrap_or_default().to_owned(),
            "tag" => context.tag().unwrap_or_default().to_owned(),
            "sha" => context.short_sha()?,
            "base_ref" => base_ref(context),
            "is_default_branch" => context.is_default_branch().to_string(),
            "is_not_default_branch" => (!context.is_default_branch()).to_string(),
            "date" => return format_date(context.now, params, hash, self.notices),
            "commit_date" => return format_date(context.commit_date, params, hash, self.notices),
            _ => return Ok(Value::Undefined),
        };
        Ok(Value::Str(text))
    }
}

/// The schedule `pattern`: only `date` and `commit_date`.
pub struct ScheduleNames<'a>(pub Globals<'a>);

impl Scope for ScheduleNames<'_> {
    fn lookup(&self, name: &str) -> Lookup {
        match name {
            "date" | "commit_date" => Lookup::Function,
            _ => Lookup::Missing,
        }
    }

    fn arity(&self, name: &str) -> usize {
        self.0.arity(name)
    }

    fn call(
        &self,
        name: &str,
        params: &[Value],
        hash: &[(String, Value)],
    ) -> Result<Value, String> {
        self.0.call(name, params, hash)
    }
}

/// A semver pattern's names: the own fields of node-semver's `SemVer` object.
pub struct SemverNames<'a>(pub &'a SemVer);

impl Scope for SemverNames<'_> {
    fn lookup(&self, name: &str) -> Lookup {
        let version = self.0;
        let number = |n: u64| Value::Number(n as f64);
        Lookup::Value(match name {
            "raw" => Value::Str(version.raw.clone()),
            "version" => Value::Str(version.version()),
            "major" => number(version.major),
            "minor" => number(version.minor),
            "patch" => number(version.patch),
            "prerelease" => Value::Array(
                version
                    .prerelease
                    .iter()
                    .map(|identifier| match identifier {
                        Identifier::Numeric(n) => number(*n),
                        Identifier::Text(text) => Value::Str(text.clone()),
                    })
                    .collect(),
            ),
            "build" => Value::Array(version.build.iter().cloned().map(Value::Str).collect()),
            "loose" => Value::Bool(version.loose),
            "includePrerelease" => Value::Bool(false),
            "options" => Value::Object,
            _ => return Lookup::Missing,
        })
    }

    fn call(&self, _: &str, _: &[Value], _: &[(String, Value)]) -> Result<Value, String> {
        Ok(Value::Undefined)
    }
}

/// A pep440 pattern's names: `raw`, `version`, `major`, `minor`, `patch`.
pub struct Pep440Names<'a> {
    pub raw: &'a str,
    pub version: &'a Pep440,
}

impl Scope for Pep440Names<'_> {
    fn lookup(&self, name: &str) -> Lookup {
        match name {
            "raw" | "version" | "major" | "minor" | "patch" => Lookup::Function,
            _ => Lookup::Missing,
        }
    }

    fn call(&self, name: &str, _: &[Value], _: &[(String, Value)]) -> Result<Value, String> {
        Ok(Value::Str(match name {
            "raw" => self.raw.to_owned(),
            "version" => self.version.normalized(),
            "major" => self.version.release_part(0).to_owned(),
            "minor" => self.version.release_part(1).to_owned(),
            _ => self.version.release_part(2).to_owned(),
        }))
    }
}

/// `{{base_ref}}`: the payload's `base_ref` on a tag, the pull request's base branch on a
/// pull request ref, else empty.
fn base_ref(context: &RunContext) -> String {
    let payload = &context.payload;
    let text = |value: &Json| match value {
        Json::String(text) => text.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    };
    if context.tag().is_some()
        && let Some(base) = payload.get("base_ref").filter(|v| !v.is_null())
    {
        let base = text(base);
        return base.strip_prefix("refs/heads/").unwrap_or(&base).to_owned();
    }
    if context.git_ref.starts_with("refs/pull/")
        && let Some(base) = payload
            .pointer("/pull_request/base/ref")
            .filter(|v| !v.is_null())
    {
        return text(base);
    }
    String::new()
}

/// The time zone database built into the binary: the same zone data on every runner (dates
/// in tags are reproducible), and no scan of `/usr/share/zoneinfo` at start.
fn zone_database() -> &'static jiff::tz::TimeZoneDatabase {
    static DATABASE: LazyLock<jiff::tz::TimeZoneDatabase> =
        LazyLock::new(jiff::tz::TimeZoneDatabase::bundled);
    &DATABASE
}

/// `{{date 'FMT' tz='Zone'}}` and `{{commit_date ...}}`.
fn format_date(
    timestamp: Timestamp,
    params: &[Value],
    hash: &[(String, Value)],
    notices: &RefCell<Vec<Notice>>,
) -> Result<Value, String> {
    let [format] = params else {
        return Err("a date takes one format, as in `{{date 'YYYYMMDD'}}`".to_owned());
    };
    // moment's `format(f)` uses its default format for any falsy `f`.
    let format = match format {
        Value::Str(text) => Some(text.as_str()),
        falsy if !falsy.is_truthy() => None,
        other => {
            return Err(format!(
                "a date format must be a quoted string, not `{}`",
                other.to_text()
            ));
        }
    };
    let mut zone_name = "UTC".to_owned();
    for (key, value) in hash {
        match (key.as_str(), value) {
            ("tz", Value::Str(name)) if !name.is_empty() => zone_name = name.clone(),
            ("tz", other) => {
                return Err(format!(
                    "`tz` must be a quoted time zone name such as tz='Asia/Tokyo', not `{}`",
                    other.to_text()
                ));
            }
            (other, _) => return Err(format!("unknown `{other}` attribute")),
        }
    }
    let zone = match zone_database().get(&zone_name) {
        Ok(zone) => zone,
        Err(_) => {
            // moment-timezone logs an error and formats in the runner's zone, UTC on GitHub.
            notices.borrow_mut().push(
                Notice::new(format!(
                    "unknown time zone `{zone_name}`; the date is formatted in UTC"
                ))
                .strict(),
            );
            jiff::tz::TimeZone::UTC
        }
    };
    Ok(Value::Str(crate::ports::moment::format(
        timestamp, &zone, format,
    )))
}
