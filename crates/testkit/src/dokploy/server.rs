//! Routing and the procedures, in Dokploy's order of checks: key → route → content type →
//! input → handler.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::access::{self, Role};
use super::state::{Compose, Kind, Recorded, State, version_triple};
use super::{Scripted, Shared, jobs};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// The procedures the fake knows: canonical name, method, the version it appeared in
/// (apps/dokploy/server/api/routers/<router>.ts at that tag).
const PROCEDURES: &[(&str, Method, (u64, u64, u64))] = &[
    ("settings.getDokployVersion", Method::GET, (0, 0, 0)),
    ("project.all", Method::GET, (0, 0, 0)),
    ("user.getPermissions", Method::GET, access::CHECKED_SINCE),
    ("application.one", Method::GET, (0, 0, 0)),
    ("application.update", Method::POST, (0, 0, 0)),
    ("application.saveDockerProvider", Method::POST, (0, 0, 0)),
    ("application.deploy", Method::POST, (0, 0, 0)),
    ("application.cleanQueues", Method::POST, (0, 0, 0)),
    ("compose.one", Method::GET, (0, 0, 0)),
    ("compose.update", Method::POST, (0, 0, 0)),
    ("compose.saveEnvironment", Method::POST, (0, 29, 0)),
    ("compose.deploy", Method::POST, (0, 0, 0)),
    ("compose.cleanQueues", Method::POST, (0, 0, 0)),
    ("deployment.all", Method::GET, (0, 0, 0)),
    ("deployment.allByCompose", Method::GET, (0, 0, 0)),
    ("deployment.queueList", Method::GET, (0, 28, 3)),
    ("deployment.readLogs", Method::GET, (0, 29, 6)),
];

/// What a handler answers.
enum Answer {
    Json(Value),
    /// 200 with an empty body.
    Empty,
    Error(StatusCode, &'static str, String, Option<Value>),
}

async fn handle(
    Extract(shared): Extract<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let raw = path
        .strip_prefix("/api/")
        .unwrap_or("")
        .trim_end_matches('/');
    let version = version_triple(&shared.options.version);
    let known = PROCEDURES
        .iter()
        .find(|(name, _, since)| name.eq_ignore_ascii_case(raw) && version >= *since);
    let procedure = known.map_or_else(|| path.clone(), |(name, _, _)| (*name).to_owned());
    let query: Vec<(String, String)> = uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let mut record = Recorded {
        at: shared.started.elapsed(),
        method: method.to_string(),
        path: path.clone(),
        procedure: procedure.clone(),
        query: query.clone(),
        body: serde_json::from_slice(&body).ok(),
        status: 0,
        api_key: text(header::HeaderName::from_static("x-api-key")),
        user_agent: text(header::USER_AGENT),
        content_type: text(header::CONTENT_TYPE),
    };

    let scripted = shared.update(|state| {
        let index = state
            .scripts
            .iter()
            .position(|(name, _)| name == "*" || *name == procedure)?;
        Some(state.scripts.remove(index).1)
    });
    let response = match scripted {
        Some(Scripted::Status(status)) => error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "INTERNAL_SERVER_ERROR",
            "Scripted failure".into(),
            None,
            &procedure,
        ),
        Some(Scripted::Html(status)) => html_page(status),
        Some(Scripted::LostAnswer) => {
            let _ = route(&shared, known, &method, &headers, &body, &query, &record);
            html_page(502)
        }
        None => route(&shared, known, &method, &headers, &body, &query, &record),
    };
    record.status = response.status().as_u16();
    shared.update(|state| state.requests.push(record));
    response
}

fn html_page(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>Attention Required! | Cloudflare</title></head>\
         <body><h1>{status}</h1><p>Sorry, you have been blocked.</p></body></html>"
    );
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    headers.insert("cf-ray", HeaderValue::from_static("8f3a9c2b1d4e5f60-FRA"));
    headers.insert(header::SERVER, HeaderValue::from_static("cloudflare"));
    response
}

fn error(
    status: StatusCode,
    code: &'static str,
    message: String,
    issues: Option<Value>,
    procedure: &str,
) -> Response {
    let mut body = json!({
        "message": message,
        "code": code,
        "data": {"code": code, "httpStatus": status.as_u16(), "path": procedure, "zodError": null},
    });
    if let Some(issues) = issues {
        body["issues"] = issues;
    }
    (status, axum::Json(body)).into_response()
}

#[allow(clippy::too_many_arguments)]
fn route(
    shared: &Arc<Shared>,
    known: Option<&(&str, Method, (u64, u64, u64))>,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
    query: &[(String, String)],
    record: &Recorded,
) -> Response {
    if record.path == "/api/health" {
        return axum::Json(json!({"ok": true})).into_response();
    }
    if record.api_key.as_deref() != Some(shared.options.api_key.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "Unauthorized"})),
        )
            .into_response();
    }
    let Some((name, expected, _)) = known.filter(|(_, expected, _)| expected == method) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("No procedure found on path \"{}\"", record.path),
            None,
            &record.procedure,
        );
    };
    let input: Map<String, Value> = if *expected == Method::POST {
        let json_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        if !json_type {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Unsupported content-type \"application/x-www-form-urlencoded\"".into(),
                None,
                name,
            );
        }
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "PARSE_ERROR",
                    "Failed to parse request body".into(),
                    None,
                    name,
                );
            }
        }
    } else {
        query
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect()
    };
    match procedure(shared, name, &input) {
        Answer::Json(value) => axum::Json(value).into_response(),
        Answer::Empty => StatusCode::OK.into_response(),
        Answer::Error(status, code, message, issues) => error(status, code, message, issues, name),
    }
}

/// zod's wording of a value of the wrong type: zod 3 until v0.27.x, zod 4 from v0.28.0
/// (packages/server/package.json).
fn type_issue(key: &str, expected: &str, received: &str, version: (u64, u64, u64)) -> Value {
    let message = match (version >= (0, 28, 0), received) {
        (true, _) => format!("Invalid input: expected {expected}, received {received}"),
        (false, "undefined") => "Required".to_owned(),
        (false, _) => format!("Expected {expected}, received {received}"),
    };
    json!({"code": "invalid_type", "expected": expected, "received": received,
           "path": [key], "message": message})
}

fn invalid(issues: Vec<Value>) -> Option<Answer> {
    (!issues.is_empty()).then(|| {
        Answer::Error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Input validation failed".into(),
            Some(Value::Array(issues)),
        )
    })
}

/// An issue for each missing key; `None` when all are there.
fn missing(input: &Map<String, Value>, keys: &[&str], version: (u64, u64, u64)) -> Option<Answer> {
    invalid(
        keys.iter()
            .filter(|key| !input.contains_key(**key))
            .map(|key| type_issue(key, "string", "undefined", version))
            .collect(),
    )
}

/// What a key of an input accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Text,
    /// A nullable text column of the table's `createSchema`: drizzle-zod 0.5.1 (the version
    /// packages/server uses) wraps the refinement of every nullable column in
    /// `.nullable().optional()`, so `dockerImage: z.string().optional()` still takes null,
    /// as the openapi.json generated from the routers says (`anyOf: [string, null]`).
    NullableText,
    Flag,
}

/// The types of the keys the fake's mutations read (schema/application.ts, compose.ts).
fn types(name: &str) -> &'static [(&'static str, Type)] {
    match name {
        // apiUpdateApplication: createSchema.partial().
        "application.update" => &[
            ("dockerImage", Type::NullableText),
            ("username", Type::NullableText),
            ("password", Type::NullableText),
            ("registryUrl", Type::NullableText),
            ("env", Type::NullableText),
        ],
        // apiSaveDockerProvider: createSchema.pick(...).required(): present, null allowed.
        "application.saveDockerProvider" => &[
            ("dockerImage", Type::NullableText),
            ("username", Type::NullableText),
            ("password", Type::NullableText),
            ("registryUrl", Type::NullableText),
        ],
        // apiUpdateCompose: createSchema.partial().
        "compose.update" => &[("env", Type::NullableText), ("name", Type::Text)],
        // apiSaveEnvironmentVariablesCompose: {composeId, env} required, createEnvFile optional.
        "compose.saveEnvironment" => &[("env", Type::NullableText), ("createEnvFile", Type::Flag)],
        // apiDeployApplication / apiDeployCompose: plain z.string().optional().
        "application.deploy" | "compose.deploy" => {
            &[("title", Type::Text), ("description", Type::Text)]
        }
        _ => &[],
    }
}

/// An issue for each key of a type its schema refuses.
fn mistyped(name: &str, input: &Map<String, Value>, version: (u64, u64, u64)) -> Option<Answer> {
    let issues = types(name)
        .iter()
        .filter_map(|(key, expected)| {
            let value = input.get(*key)?;
            let fits = matches!(
                (expected, value),
                (Type::Text | Type::NullableText, Value::String(_))
                    | (Type::NullableText, Value::Null)
                    | (Type::Flag, Value::Bool(_))
            );
            let received = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            let expected = if *expected == Type::Flag {
                "boolean"
            } else {
                "string"
            };
            (!fits).then(|| type_issue(key, expected, received, version))
        })
        .collect();
    invalid(issues)
}

/// The role's refusal of a procedure, from v0.28.7: a tRPC UNAUTHORIZED (401 with a code).
fn refused(role: &Role, name: &str, version: (u64, u64, u64)) -> Option<Answer> {
    if version < access::CHECKED_SINCE {
        return None;
    }
    let message = role.check(access::required(name)?).err()?;
    Some(Answer::Error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        message,
        None,
    ))
}

fn text<'a>(input: &'a Map<String, Value>, key: &str) -> &'a str {
    input.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn not_found(what: &str) -> Answer {
    Answer::Error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("{what} not found"),
        None,
    )
}

fn procedure(shared: &Arc<Shared>, name: &str, input: &Map<String, Value>) -> Answer {
    let version = version_triple(&shared.options.version);
    let required: &[&str] = match name {
        "application.one"
        | "application.update"
        | "application.deploy"
        | "application.cleanQueues"
        | "deployment.all" => &["applicationId"],
        "application.saveDockerProvider" => &[
            "applicationId",
            "dockerImage",
            "username",
            "password",
            "registryUrl",
        ],
        "compose.one"
        | "compose.update"
        | "compose.deploy"
        | "compose.cleanQueues"
        | "deployment.allByCompose" => &["composeId"],
        "compose.saveEnvironment" => &["composeId", "env"],
        "deployment.readLogs" => &["deploymentId"],
        _ => &[],
    };
    if let Some(invalid) = missing(input, required, version)
        .or_else(|| mistyped(name, input, version))
        .or_else(|| refused(&shared.options.role, name, version))
    {
        return invalid;
    }
    let state = shared.lock();
    match name {
        "settings.getDokployVersion" => Answer::Json(json!(shared.options.version)),
        "project.all" => Answer::Json(state.projects_json(version)),
        "application.one" => state
            .one_json(Kind::Application, text(input, "applicationId"), version)
            .map_or_else(|| not_found("Application"), Answer::Json),
        "compose.one" => state
            .one_json(Kind::Compose, text(input, "composeId"), version)
            .map_or_else(|| not_found("Compose"), Answer::Json),
        "application.update" => changed(shared, state, |state| {
            update_application(state, input, false)
        }),
        "application.saveDockerProvider" => changed(shared, state, |state| {
            update_application(state, input, true)
        }),
        "compose.update" => changed(shared, state, |state| update_compose(state, input, version)),
        "compose.saveEnvironment" => changed(shared, state, |state| {
            save_environment(state, input, version)
        }),
        "application.cleanQueues" | "compose.cleanQueues" => {
            let (kind, key) = if name == "application.cleanQueues" {
                (Kind::Application, "applicationId")
            } else {
                (Kind::Compose, "composeId")
            };
            changed(shared, state, |state| {
                state.remove_waiting(kind, text(input, key));
                // compose.ts answers like its deploy call from v0.25.7; application.ts returns
                // nothing (an empty 200).
                if kind == Kind::Compose && version >= (0, 25, 7) {
                    Answer::Json(json!({"success": true, "message": "Queues cleaned successfully"}))
                } else {
                    Answer::Empty
                }
            })
        }
        "user.getPermissions" => Answer::Json(shared.options.role.resolved()),
        "application.deploy" | "compose.deploy" => {
            let (kind, key) = if name == "application.deploy" {
                (Kind::Application, "applicationId")
            } else {
                (Kind::Compose, "composeId")
            };
            let service = text(input, key).to_owned();
            if !state.exists(kind, &service) {
                return not_found(if kind == Kind::Application {
                    "Application"
                } else {
                    "Compose"
                });
            }
            drop(state);
            let title = input
                .get("title")
                .and_then(Value::as_str)
                .filter(|_| version >= (0, 25, 0))
                .unwrap_or("Manual deployment")
                .to_owned();
            let description = input
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned);
            jobs::enqueue(shared, kind, &service, title, description);
            if kind == Kind::Compose && version >= (0, 25, 7) {
                Answer::Json(
                    json!({"success": true, "message": "Deployment queued", "composeId": service}),
                )
            } else {
                Answer::Empty
            }
        }
        "deployment.all" => {
            Answer::Json(Value::Array(state.rows_json(text(input, "applicationId"))))
        }
        "deployment.allByCompose" => {
            Answer::Json(Value::Array(state.rows_json(text(input, "composeId"))))
        }
        "deployment.queueList" => Answer::Json(state.queue_json()),
        "deployment.readLogs" => {
            let tail: usize = text(input, "tail").parse().unwrap_or(100);
            let log = state
                .rows
                .iter()
                .find(|row| row.id == text(input, "deploymentId"))
                .map(|row| {
                    let lines: Vec<&str> = row.log.lines().collect();
                    lines[lines.len().saturating_sub(tail)..].join("\n")
                });
            log.map_or_else(|| not_found("Deployment"), |log| Answer::Json(json!(log)))
        }
        _ => not_found("Procedure"),
    }
}

/// Runs a state-changing handler and wakes the fake's waiters.
fn changed(
    shared: &Shared,
    mut state: std::sync::MutexGuard<'_, State>,
    change: impl FnOnce(&mut State) -> Answer,
) -> Answer {
    let answer = change(&mut state);
    state.generation += 1;
    drop(state);
    shared.notify();
    answer
}

/// `application.update` (partial: only the keys given) or `saveDockerProvider` (all four
/// registry fields overwritten, status reset to idle, as Dokploy does).
fn update_application(state: &mut State, input: &Map<String, Value>, provider: bool) -> Answer {
    let id = text(input, "applicationId");
    let Some(application) = state.applications.iter_mut().find(|a| a.id == id) else {
        return not_found("Application");
    };
    let optional = |key: &str| {
        input
            .get(key)
            .map(|value| value.as_str().map(str::to_owned))
    };
    if let Some(image) = optional("dockerImage") {
        application.docker_image = image;
    }
    if let Some(username) = optional("username") {
        application.username = username;
    }
    if let Some(password) = optional("password") {
        application.password = password;
    }
    if let Some(registry) = optional("registryUrl") {
        application.registry_url = registry;
    }
    if let Some(Some(env)) = optional("env") {
        application.env = env;
    }
    if let Some(Some(source)) = optional("sourceType") {
        application.source_type = source;
    }
    if provider {
        application.source_type = "docker".into();
        application.status = "idle".into();
    }
    Answer::Json(json!(true))
}

/// `compose.saveEnvironment` (v0.29.0+): `updateCompose(id, {env, createEnvFile})`, where an
/// absent `createEnvFile` leaves the column as it is (drizzle skips undefined values; before
/// v0.30.0 the key is not in the schema and dropped). Answers `true`.
fn save_environment(
    state: &mut State,
    input: &Map<String, Value>,
    version: (u64, u64, u64),
) -> Answer {
    let Some(compose) = compose_of(state, input) else {
        // No row updated: the handler's own BAD_REQUEST.
        return Answer::Error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Error adding environment variables".into(),
            None,
        );
    };
    compose.env = text(input, "env").to_owned();
    if let Some(create) = input.get("createEnvFile").and_then(Value::as_bool)
        && version >= (0, 30, 0)
    {
        compose.create_env_file = create;
    }
    Answer::Json(json!(true))
}

/// The compose `input` names.
fn compose_of<'s>(state: &'s mut State, input: &Map<String, Value>) -> Option<&'s mut Compose> {
    let id = text(input, "composeId");
    state.composes.iter_mut().find(|compose| compose.id == id)
}

/// `compose.update`: partial; answers the updated row.
fn update_compose(
    state: &mut State,
    input: &Map<String, Value>,
    version: (u64, u64, u64),
) -> Answer {
    let Some(compose) = compose_of(state, input) else {
        return not_found("Compose");
    };
    if let Some(env) = input.get("env").and_then(Value::as_str) {
        compose.env = env.to_owned();
    }
    if let Some(name) = input.get("name").and_then(Value::as_str) {
        compose.name = name.to_owned();
    }
    let compose = compose.clone();
    Answer::Json(state.compose_json(&compose, version))
}
