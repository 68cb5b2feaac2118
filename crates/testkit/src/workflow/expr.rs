//! GitHub Actions expressions over the simulator's contexts.
//!
//! Parsing and the value semantics come from `github-actions-expressions` (zizmor's parser):
//! its AST, its `Evaluation` truthiness, loose equality and string conversion, and its
//! implementations of `contains`, `startsWith`, `endsWith`, `format`, `join` and `case`,
//! reached by handing it a constant call built from already evaluated arguments. What it
//! leaves out (it only folds constants) is done here, each following the runner
//! (`/work/.mirror/actions+runner`, `src/Sdk/DTExpressions2/Expressions2/Sdk/`):
//!
//! - contexts and property access, `Operators/Index.cs`: a missing property, an index out of
//!   range or an index into a non-collection is `null`; `*` projects an object's values or an
//!   array's items into a filtered array to which later accesses apply item by item; keys
//!   match case-insensitively (the contexts are `DictionaryContextData`, ordinal-ignore-case);
//! - `&&` and `||` short-circuit and return an operand, not a boolean (`Operators/And.cs`,
//!   `Or.cs`);
//! - `fromJSON` and `toJSON` keep the order of object keys (`Functions/FromJson.cs`,
//!   `ToJson.cs`: two-space indented JSON); `fromJSON('')` is an error;
//! - the status functions read the status the caller computed (`src/Runner.Worker/Expressions/
//!   SuccessFunction.cs` and siblings for steps; for jobs, the results of the `needs`);
//! - `hashFiles` as `src/Misc/expressionFunc/hashFiles/src/hashFiles.ts`: the SHA-256 of the
//!   SHA-256 of each matching file under the workspace, empty when none matches;
//! - `${{ }}` inside a string, `src/Sdk/WorkflowParser/ObjectTemplating/TemplateReader.cs`
//!   `ParseScalar`: an expression ends at the first `}}` outside a `'string'`; a value that
//!   is one expression keeps its type, anything else is the concatenation of the parts as
//!   strings (the runner's `format(...)`);
//! - `if:` without a status function means `success() && (condition)`
//!   (`src/Sdk/WorkflowParser/Conversion/WorkflowTemplateConverter.cs`, `ConvertToIfCondition`);
//!   an empty one means `success()`.
//!
//! Stricter than GitHub, to catch typos GitHub would turn into empty strings: a property
//! missing from a *closed* object (`needs.<job>.outputs`, `inputs`, ... as the
//! simulator declares them) is an error that names what exists.

use std::borrow::Cow;
use std::path::Path;

use github_actions_expressions::call::{Call, Function};
use github_actions_expressions::context::Context;
use github_actions_expressions::literal::Literal;
use github_actions_expressions::op::{BinExpr, BinOp, UnOp};
use github_actions_expressions::{Evaluation, Expr, SpannedExpr};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// What the status functions answer where an expression is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub success: bool,
    pub failure: bool,
    pub cancelled: bool,
}

impl Status {
    /// Nothing failed, nothing was cancelled.
    pub const OK: Status = Status {
        success: true,
        failure: false,
        cancelled: false,
    };
}

/// The contexts an expression can read, and which of their objects are closed.
pub struct Scope<'a> {
    /// Context name (`github`, `needs`, ...) → value.
    pub contexts: &'a Map<String, Value>,
    /// Paths of closed objects, segments matched case-insensitively, `*` for any key: reading
    /// a property they do not have is an error.
    pub closed: &'a [Vec<String>],
    pub status: Status,
    /// Where `hashFiles` looks; `None` where the function is not available.
    pub workspace: Option<&'a Path>,
}

/// The pieces of a string with `${{ }}` expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Expression(&'a str),
}

/// Splits `text` as the runner's `TemplateReader.ParseScalar` does.
pub fn segments(text: &str) -> Result<Vec<Segment<'_>>, String> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        if start > 0 {
            segments.push(Segment::Text(&rest[..start]));
        }
        let body = &rest[start + 3..];
        let bytes = body.as_bytes();
        let mut in_string = false;
        let mut end = None;
        for index in 0..bytes.len() {
            match bytes[index] {
                b'\'' => in_string = !in_string,
                b'}' if !in_string && index > 0 && bytes[index - 1] == b'}' => {
                    end = Some(index - 1);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| format!("the expression in {text:?} is not closed"))?;
        segments.push(Segment::Expression(body[..end].trim()));
        rest = &body[end + 2..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest));
    }
    Ok(segments)
}

/// The expressions in `text`, trimmed, in order.
pub fn expressions(text: &str) -> Result<Vec<&str>, String> {
    Ok(segments(text)?
        .into_iter()
        .filter_map(|segment| match segment {
            Segment::Expression(expression) => Some(expression),
            Segment::Text(_) => None,
        })
        .collect())
}

/// A value as a string, the way the runner converts one for `format` or an input.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => evaluation(other).sema().to_string(),
    }
}

/// The runner's truthiness of a value.
pub fn truthy(value: &Value) -> bool {
    evaluation(value).as_boolean()
}

fn evaluation(value: &Value) -> Evaluation {
    Evaluation::try_from(value.clone()).unwrap_or(Evaluation::Null)
}

fn from_evaluation(evaluation: Evaluation) -> Value {
    // NaN and infinities have no JSON form; the runner shows them as numbers nobody uses here.
    evaluation.try_into().unwrap_or(Value::Null)
}

impl Scope<'_> {
    /// Evaluates a string that may hold `${{ }}` expressions.
    pub fn template(&self, text: &str) -> Result<Value, String> {
        let segments = segments(text)?;
        if let [Segment::Expression(expression)] = segments.as_slice() {
            return self.expression(expression);
        }
        let mut out = String::new();
        for segment in segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Expression(expression) => {
                    out.push_str(&to_text(&self.expression(expression)?))
                }
            }
        }
        Ok(Value::String(out))
    }

    /// [`Scope::template`] of a YAML value: strings are templates, other scalars stay as they
    /// are, sequences and mappings are evaluated item by item.
    pub fn value(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => self.template(text)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.value(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| Ok((self.template_text(key)?, self.value(item)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    /// [`Scope::template`] as a string.
    pub fn template_text(&self, text: &str) -> Result<String, String> {
        self.template(text).map(|value| to_text(&value))
    }

    /// An `if:` condition; `None` or empty means `success()`.
    pub fn condition(&self, condition: Option<&Value>) -> Result<bool, String> {
        let text = match condition {
            None | Some(Value::Null) => return Ok(self.status.success),
            Some(Value::Bool(value)) => value.to_string(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(self.status.success);
        }
        // The whole condition in `${{ }}` is the expression; other text with expressions in
        // it is a string (the runner builds a `format(...)`, always truthy unless empty).
        let expression = match segments(text)?.as_slice() {
            [Segment::Expression(expression)] => *expression,
            [Segment::Text(_)] => text,
            _ => return Ok(truthy(&self.template(text)?)),
        };
        let parsed = parse(expression)?;
        if !has_status_function(&parsed) && !self.status.success {
            return Ok(false);
        }
        Ok(truthy(&self.evaluate(&parsed)?))
    }

    /// Evaluates one expression (the text inside `${{ }}`).
    pub fn expression(&self, expression: &str) -> Result<Value, String> {
        self.evaluate(&parse(expression)?)
    }

    fn evaluate(&self, expr: &SpannedExpr<'_>) -> Result<Value, String> {
        match &expr.inner {
            Expr::Literal(_) => Ok(from_evaluation(
                expr.consteval().expect("a literal always evaluates"),
            )),
            Expr::Context(context) => self.context(context, expr.origin.raw),
            Expr::Call(call) => self.call(call),
            Expr::BinExpr(BinExpr { lhs, op, rhs }) => {
                let left = self.evaluate(lhs)?;
                match op {
                    BinOp::And if !truthy(&left) => return Ok(left),
                    BinOp::Or if truthy(&left) => return Ok(left),
                    BinOp::And | BinOp::Or => return self.evaluate(rhs),
                    _ => {}
                }
                let right = self.evaluate(rhs)?;
                let (left, right) = (evaluation(&left), evaluation(&right));
                let (left, right) = (left.sema(), right.sema());
                Ok(Value::Bool(match op {
                    BinOp::Eq => left == right,
                    BinOp::Neq => left != right,
                    BinOp::Lt => left < right,
                    BinOp::Le => left <= right,
                    BinOp::Gt => left > right,
                    BinOp::Ge => left >= right,
                    BinOp::And | BinOp::Or => unreachable!("handled above"),
                }))
            }
            Expr::UnExpr {
                op: UnOp::Not,
                expr,
            } => Ok(Value::Bool(!truthy(&self.evaluate(expr)?))),
            Expr::Identifier(_) | Expr::Index(_) | Expr::Star => Err(format!(
                "`{}` is not an expression on its own",
                expr.origin.raw
            )),
        }
    }

    fn context(&self, context: &Context<'_>, raw: &str) -> Result<Value, String> {
        let (head, parts) = context.parts.split_first().expect("a context has a head");
        // The path of plain property names read so far, for the closed-object check.
        let mut path: Option<Vec<String>> = None;
        let mut cursor = match &head.inner {
            Expr::Identifier(name) => {
                let name = name.as_str();
                let value = get_ignore_case(self.contexts, name).ok_or_else(|| {
                    let known: Vec<&str> = self.contexts.keys().map(String::as_str).collect();
                    format!(
                        "`{raw}`: unrecognized named-value `{name}` here (available: {})",
                        known.join(", ")
                    )
                })?;
                path = Some(vec![name.to_owned()]);
                Cursor::One(value.clone())
            }
            _ => Cursor::One(self.evaluate(head)?),
        };
        for part in parts {
            let key = match &part.inner {
                Expr::Identifier(name) => Key::Name(name.as_str().to_owned()),
                Expr::Star => Key::Star,
                Expr::Index(index) if matches!(index.inner, Expr::Star) => Key::Star,
                Expr::Index(index) => Key::Value(self.evaluate(index)?),
                _ => return Err(format!("`{raw}`: unexpected `{}`", part.origin.raw)),
            };
            cursor = self.index(cursor, &key, &mut path, raw)?;
            path = match (path, &key) {
                (Some(mut path), Key::Name(name)) => {
                    path.push(name.clone());
                    Some(path)
                }
                (Some(mut path), Key::Value(Value::String(name))) => {
                    path.push(name.clone());
                    Some(path)
                }
                (Some(mut path), Key::Star) => {
                    path.push("*".to_owned());
                    Some(path)
                }
                _ => None,
            };
        }
        Ok(match cursor {
            Cursor::One(value) => value,
            Cursor::Filtered(items) => Value::Array(items),
        })
    }

    fn index(
        &self,
        cursor: Cursor,
        key: &Key,
        path: &mut Option<Vec<String>>,
        raw: &str,
    ) -> Result<Cursor, String> {
        Ok(match cursor {
            Cursor::One(Value::Object(object)) => match key {
                Key::Star => Cursor::Filtered(object.values().cloned().collect()),
                _ => {
                    let Some(name) = key.string_index() else {
                        return Ok(Cursor::One(Value::Null));
                    };
                    match get_ignore_case(&object, &name) {
                        Some(value) => Cursor::One(value.clone()),
                        None => {
                            if let Some(path) = path.as_ref()
                                && self.is_closed(path)
                            {
                                let known: Vec<&str> = object.keys().map(String::as_str).collect();
                                return Err(format!(
                                    "`{raw}`: `{}` has no property `{name}` (it has: {})",
                                    path.join("."),
                                    if known.is_empty() {
                                        "nothing".to_owned()
                                    } else {
                                        known.join(", ")
                                    }
                                ));
                            }
                            Cursor::One(Value::Null)
                        }
                    }
                }
            },
            Cursor::One(Value::Array(items)) => match key {
                Key::Star => Cursor::Filtered(items),
                _ => Cursor::One(
                    key.integer_index()
                        .and_then(|index| items.get(index).cloned())
                        .unwrap_or(Value::Null),
                ),
            },
            Cursor::One(_) => match key {
                Key::Star => Cursor::Filtered(Vec::new()),
                _ => Cursor::One(Value::Null),
            },
            Cursor::Filtered(items) => {
                let mut out = Vec::new();
                for item in items {
                    match (item, key) {
                        (Value::Object(object), Key::Star) => out.extend(object.values().cloned()),
                        (Value::Object(object), _) => {
                            if let Some(value) = key
                                .string_index()
                                .and_then(|name| get_ignore_case(&object, &name).cloned())
                            {
                                out.push(value);
                            }
                        }
                        (Value::Array(array), Key::Star) => out.extend(array),
                        (Value::Array(array), _) => {
                            if let Some(value) = key
                                .integer_index()
                                .and_then(|index| array.get(index).cloned())
                            {
                                out.push(value);
                            }
                        }
                        _ => {}
                    }
                }
                Cursor::Filtered(out)
            }
        })
    }

    fn is_closed(&self, path: &[String]) -> bool {
        self.closed.iter().any(|pattern| {
            pattern.len() == path.len()
                && pattern
                    .iter()
                    .zip(path)
                    .all(|(want, have)| want == "*" || want.eq_ignore_ascii_case(have))
        })
    }

    fn call(&self, call: &Call<'_>) -> Result<Value, String> {
        let args = || -> Result<Vec<Value>, String> {
            call.args.iter().map(|arg| self.evaluate(arg)).collect()
        };
        match call.func {
            Function::Success => Ok(Value::Bool(self.status.success)),
            Function::Failure => Ok(Value::Bool(self.status.failure)),
            Function::Cancelled => Ok(Value::Bool(self.status.cancelled)),
            Function::Always => Ok(Value::Bool(true)),
            Function::FromJSON => {
                let text = to_text(&args()?[0]);
                if text.trim().is_empty() {
                    return Err("fromJSON: empty input".to_owned());
                }
                serde_json::from_str(&text)
                    .map_err(|error| format!("fromJSON: {error} in {text:?}"))
            }
            Function::ToJSON => Ok(Value::String(
                serde_json::to_string_pretty(&args()?[0]).expect("JSON values serialize"),
            )),
            Function::HashFiles => {
                let patterns: Vec<String> = args()?.iter().map(to_text).collect();
                let workspace = self
                    .workspace
                    .ok_or("hashFiles is only available to steps")?;
                hash_files(workspace, &patterns).map(Value::String)
            }
            func => {
                // The library's own implementation, on a constant call of the values.
                let args = args()?
                    .into_iter()
                    .zip(&call.args)
                    .map(|(value, arg)| constant(value, arg))
                    .collect();
                Expr::Call(Call { func, args })
                    .consteval()
                    .map(from_evaluation)
                    .ok_or_else(|| format!("{func:?}: invalid arguments"))
            }
        }
    }
}

/// Parses an expression, with the expression in the error.
pub fn parse(expression: &str) -> Result<SpannedExpr<'_>, String> {
    Expr::parse(expression).map_err(|error| format!("`{expression}`: {error}"))
}

/// A constant expression holding `value`, at `arg`'s place in the source: a literal, or
/// `fromJSON('…')` for arrays and objects.
fn constant<'src>(value: Value, arg: &SpannedExpr<'src>) -> SpannedExpr<'src> {
    let literal = |literal| SpannedExpr {
        origin: arg.origin,
        inner: Expr::Literal(literal),
    };
    let inner = match value {
        Value::Null => Expr::Literal(Literal::Null),
        Value::Bool(value) => Expr::Literal(Literal::Boolean(value)),
        Value::Number(number) => {
            Expr::Literal(Literal::Number(number.as_f64().unwrap_or(f64::NAN)))
        }
        Value::String(text) => Expr::Literal(Literal::String(Cow::Owned(text))),
        collection => Expr::Call(Call {
            func: Function::FromJSON,
            args: vec![literal(Literal::String(Cow::Owned(collection.to_string())))],
        }),
    };
    SpannedExpr {
        origin: arg.origin,
        inner,
    }
}

fn has_status_function(expr: &SpannedExpr<'_>) -> bool {
    match &expr.inner {
        Expr::Call(call) => {
            matches!(
                call.func,
                Function::Success | Function::Failure | Function::Cancelled | Function::Always
            ) || call.args.iter().any(has_status_function)
        }
        Expr::Context(context) => context.parts.iter().any(has_status_function),
        Expr::Index(index) => has_status_function(index),
        Expr::BinExpr(BinExpr { lhs, rhs, .. }) => {
            has_status_function(lhs) || has_status_function(rhs)
        }
        Expr::UnExpr { expr, .. } => has_status_function(expr),
        Expr::Literal(_) | Expr::Identifier(_) | Expr::Star => false,
    }
}

enum Cursor {
    One(Value),
    Filtered(Vec<Value>),
}

enum Key {
    Name(String),
    Star,
    Value(Value),
}

impl Key {
    /// `IndexHelper.StringIndex`: a primitive converted to a string.
    fn string_index(&self) -> Option<String> {
        match self {
            Key::Name(name) => Some(name.clone()),
            Key::Value(Value::Array(_) | Value::Object(_)) | Key::Star => None,
            Key::Value(value) => Some(to_text(value)),
        }
    }

    /// `IndexHelper.IntegerIndex`: the number, floored, when it is not negative.
    fn integer_index(&self) -> Option<usize> {
        let number = match self {
            Key::Value(value) => evaluation(value).as_number(),
            Key::Name(name) => Evaluation::String(name.clone()).as_number(),
            Key::Star => return None,
        };
        (number >= 0.0 && number <= f64::from(i32::MAX)).then(|| number.floor() as usize)
    }
}

/// A key of `object`, exact first, else ignoring ASCII case.
pub fn get_ignore_case<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

/// `hashFiles(patterns…)` in `workspace`.
fn hash_files(workspace: &Path, patterns: &[String]) -> Result<String, String> {
    let mut include = globset::GlobSetBuilder::new();
    let mut exclude = globset::GlobSetBuilder::new();
    for pattern in patterns.iter().flat_map(|pattern| pattern.lines()) {
        let pattern = pattern.trim();
        let (set, pattern) = match pattern.strip_prefix('!') {
            Some(negated) => (&mut exclude, negated),
            None => (&mut include, pattern),
        };
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|error| format!("hashFiles: {error}"))?;
        set.add(glob);
    }
    let (include, exclude) = (
        include.build().map_err(|error| error.to_string())?,
        exclude.build().map_err(|error| error.to_string())?,
    );
    let mut files = Vec::new();
    let mut pending = vec![workspace.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|error| format!("hashFiles: {error}"))? {
            let path = entry.map_err(|error| error.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(workspace)
                && include.is_match(relative)
                && !exclude.is_match(relative)
            {
                files.push(path);
            }
        }
    }
    if files.is_empty() {
        return Ok(String::new());
    }
    files.sort();
    let mut total = Sha256::new();
    for file in files {
        let bytes = std::fs::read(&file).map_err(|error| format!("hashFiles: {error}"))?;
        total.update(Sha256::digest(&bytes));
    }
    Ok(hex::encode(total.finalize()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scope_eval(contexts: Value, closed: &[&str], expression: &str) -> Result<Value, String> {
        let contexts = contexts.as_object().unwrap().clone();
        let closed: Vec<Vec<String>> = closed
            .iter()
            .map(|path| path.split('.').map(str::to_owned).collect())
            .collect();
        Scope {
            contexts: &contexts,
            closed: &closed,
            status: Status::OK,
            workspace: None,
        }
        .template(expression)
    }

    fn eval(expression: &str) -> Value {
        let contexts = json!({
            "needs": {"changes": {"result": "success", "outputs": {"any": "true", "matrix": "{\"include\":[{\"service\":\"api\",\"platforms\":[\"linux/amd64\",\"linux/arm64\"]}]}"}}},
            "inputs": {"all": false, "environment": "staging", "count": 3},
            "github": {"event_name": "push", "event": {"commits": [{"id": "a"}, {"id": "b"}]}},
        });
        scope_eval(contexts, &["needs.*.outputs"], expression).unwrap()
    }

    #[test]
    fn operators_follow_the_runner() {
        // Loose equality: strings ignore case, other kinds compare as numbers.
        assert_eq!(
            eval("${{ needs.changes.outputs.any == 'TRUE' }}"),
            json!(true)
        );
        assert_eq!(eval("${{ inputs.count == '3' }}"), json!(true));
        assert_eq!(eval("${{ inputs.all == 0 }}"), json!(true));
        assert_eq!(eval("${{ null == 0 }}"), json!(true));
        // && and || return an operand.
        assert_eq!(
            eval("${{ github.event_name == 'pull_request' && 'dry run' || 'apply' }}"),
            json!("apply")
        );
        assert_eq!(eval("${{ inputs.missing || 'default' }}"), json!("default"));
        assert_eq!(eval("${{ !inputs.all }}"), json!(true));
    }

    #[test]
    fn templates_keep_the_type_of_a_lone_expression_and_concatenate_otherwise() {
        assert_eq!(eval("${{ inputs.all }}"), json!(false));
        assert_eq!(
            eval("deploy to ${{ inputs.environment }} (${{ inputs.all }})"),
            json!("deploy to staging (false)")
        );
        assert_eq!(eval("${{ '}}' }}x"), json!("}}x"));
        assert_eq!(eval("plain"), json!("plain"));
    }

    #[test]
    fn properties_indexes_and_filters_follow_index_cs() {
        assert_eq!(eval("${{ github.EVENT.commits[1].id }}"), json!("b"));
        assert_eq!(eval("${{ github.event.commits.*.id }}"), json!(["a", "b"]));
        assert_eq!(eval("${{ github.event.commits[5] }}"), Value::Null);
        assert_eq!(eval("${{ github.event_name.foo }}"), Value::Null);
        assert_eq!(eval("${{ needs.*.result }}"), json!(["success"]));
        assert_eq!(
            eval("${{ join(fromJSON(needs.changes.outputs.matrix).include[0].platforms, ',') }}"),
            json!("linux/amd64,linux/arm64")
        );
    }

    #[test]
    fn functions_are_the_librarys() {
        assert_eq!(
            eval("${{ contains(fromJSON('[\"a\",\"b\"]'), 'B') }}"),
            json!(true)
        );
        assert_eq!(
            eval("${{ startsWith('refs/heads/main', 'refs/heads/') }}"),
            json!(true)
        );
        assert_eq!(eval("${{ format('{0}-{1}', 'a', 3) }}"), json!("a-3"));
        assert_eq!(
            eval("${{ toJSON(fromJSON('{\"b\":1,\"a\":2}')) }}"),
            json!("{\n  \"b\": 1,\n  \"a\": 2\n}")
        );
    }

    #[test]
    fn a_closed_object_names_what_it_has() {
        let contexts = json!({"needs": {"changes": {"outputs": {"any": "true", "count": "1"}}}});
        let error = scope_eval(
            contexts.clone(),
            &["needs.*.outputs"],
            "${{ needs.changes.outputs.anyy }}",
        )
        .unwrap_err();
        assert_eq!(
            error,
            "`needs.changes.outputs.anyy`: `needs.changes.outputs` has no property `anyy` (it has: any, count)"
        );
        // Open objects give null, as on GitHub.
        assert_eq!(
            scope_eval(contexts, &[], "${{ needs.changes.outputs.anyy }}").unwrap(),
            Value::Null
        );
        let error = scope_eval(json!({}), &[], "${{ nope.x }}").unwrap_err();
        assert!(error.contains("unrecognized named-value `nope`"), "{error}");
    }

    #[test]
    fn conditions_add_success_unless_they_call_a_status_function() {
        let contexts = json!({"needs": {"build": {"result": "failure"}}});
        let contexts = contexts.as_object().unwrap();
        let failed = Scope {
            contexts,
            closed: &[],
            status: Status {
                success: false,
                failure: true,
                cancelled: false,
            },
            workspace: None,
        };
        assert!(!failed.condition(None).unwrap());
        assert!(
            !failed
                .condition(Some(&json!("needs.build.result == 'failure'")))
                .unwrap()
        );
        assert!(failed.condition(Some(&json!("always()"))).unwrap());
        assert!(
            failed
                .condition(Some(&json!(
                    "${{ failure() && needs.build.result == 'failure' }}"
                )))
                .unwrap()
        );
        assert!(!failed.condition(Some(&json!("success()"))).unwrap());
    }

    #[test]
    fn segments_end_outside_strings() {
        assert_eq!(
            segments("a ${{ 'x}}y' }} b").unwrap(),
            [
                Segment::Text("a "),
                Segment::Expression("'x}}y'"),
                Segment::Text(" b")
            ]
        );
        assert!(segments("${{ open").is_err());
    }
}
