//! The Dokploy procedures gantry uses, typed, on top of [`Client`]. Only the fields gantry
//! reads are modelled; everything else in an answer (secrets included) is dropped unread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use gantry_http::retry::Idempotency;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::Client;
use crate::error::ApiError;
use crate::version::Features;

/// An application or a compose: the two kinds of Dokploy service gantry deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    Application,
    Compose,
}

impl ServiceKind {
    /// `application` / `compose`, as in the report and Dokploy's URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Application => "application",
            ServiceKind::Compose => "compose",
        }
    }

    /// The input key naming a service of this kind.
    fn id_key(self) -> &'static str {
        match self {
            ServiceKind::Application => "applicationId",
            ServiceKind::Compose => "composeId",
        }
    }
}

/// Where a service sits, for links to the Dokploy UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// Before v0.25.0 services belong to a project directly.
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub environment: Option<EnvironmentRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRef {
    #[serde(default)]
    pub project_id: Option<String>,
}

impl Placement {
    /// The project id, wherever this version puts it.
    pub fn project(&self) -> Option<&str> {
        self.project_id.as_deref().or_else(|| {
            self.environment
                .as_ref()
                .and_then(|environment| environment.project_id.as_deref())
        })
    }
}

/// `application.one`, the fields gantry needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub application_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub source_type: Option<String>,
    #[serde(default)]
    pub docker_image: Option<String>,
    #[serde(flatten)]
    pub placement: Placement,
}

/// `compose.one`, the fields gantry needs. `Debug` leaves the env (secrets) out.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compose {
    pub compose_id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The environment variables as one string (`KEY=value` lines). Holds secrets.
    #[serde(default)]
    pub env: Option<String>,
    /// `raw`, or the git provider the compose file comes from.
    #[serde(default)]
    pub source_type: Option<String>,
    /// `docker-compose` or `stack`.
    #[serde(default)]
    pub compose_type: Option<String>,
    /// Whether a deploy writes the env to `.env` (v0.30.0+; always before).
    #[serde(default)]
    pub create_env_file: Option<bool>,
    #[serde(flatten)]
    pub placement: Placement,
}

impl Compose {
    /// Whether its deployments get the commit as their title when they end (on servers
    /// that do that, [`Features::retitles`]): every source but `raw`.
    pub fn git_source(&self) -> bool {
        self.source_type
            .as_deref()
            .is_some_and(|source| source != "raw")
    }

    /// Whether its env never reaches `docker compose`: `createEnvFile` off on a
    /// `docker-compose` compose. packages/server/src/utils/builders/compose.ts (v0.30.0+)
    /// writes `.env` only when the switch is on, then runs the command under `env -i`,
    /// exporting the variables on the command line for a `stack` only.
    pub fn env_unused(&self) -> bool {
        self.create_env_file == Some(false)
            && self.compose_type.as_deref().unwrap_or("docker-compose") != "stack"
    }
}

impl std::fmt::Debug for Compose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compose")
            .field("compose_id", &self.compose_id)
            .field("name", &self.name)
            .field(
                "env",
                &self
                    .env
                    .as_ref()
                    .map(|env| format!("<{} bytes>", env.len())),
            )
            .field("source_type", &self.source_type)
            .field("compose_type", &self.compose_type)
            .field("create_env_file", &self.create_env_file)
            .field("placement", &self.placement)
            .finish()
    }
}

/// The status of a deployment row. Dokploy has no `queued` status: a queued job has no row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Running,
    Done,
    Error,
    Cancelled,
    /// A status this gantry does not know; waited on like `running`.
    #[serde(other)]
    Unknown,
}

impl Status {
    pub fn is_final(&self) -> bool {
        matches!(self, Status::Done | Status::Error | Status::Cancelled)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Done => "done",
            Status::Error => "error",
            Status::Cancelled => "cancelled",
            Status::Unknown => "unknown",
        }
    }
}

/// A deployment row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub deployment_id: String,
    #[serde(default)]
    pub title: Option<String>,
    pub status: Status,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// The key's permissions (`user.getPermissions`): `resource` → `action` → allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Permissions(HashMap<String, HashMap<String, bool>>);

impl Permissions {
    /// Whether `resource:action` is allowed; a permission the answer does not list is not
    /// held against the key (the server checks it anyway).
    pub fn allows(&self, permission: &str) -> bool {
        let (resource, action) = permission.split_once(':').unwrap_or((permission, ""));
        self.0
            .get(resource)
            .and_then(|actions| actions.get(action))
            .is_none_or(|allowed| *allowed)
    }
}

/// The permission `procedure` checks from v0.28.7 on, as the routers ask for it
/// (`checkServicePermissionAndAccess` / `checkServiceAccess` / `withPermission` in
/// application.ts, compose.ts, deployment.ts). Owners and admins hold every permission;
/// members hold `memberRole`'s (packages/server/src/lib/access-control.ts) plus
/// `service:create` with "Create Services"; custom roles hold what they list.
pub fn permission(procedure: &str) -> Option<&'static str> {
    Some(match procedure {
        "application.one" | "compose.one" => "service:read",
        "application.update" | "compose.update" => "service:create",
        "compose.saveEnvironment" => "envVars:write",
        "application.deploy" | "compose.deploy" | "compose.cleanQueues" => "deployment:create",
        "application.cleanQueues" => "deployment:cancel",
        "deployment.all"
        | "deployment.allByCompose"
        | "deployment.queueList"
        | "deployment.readLogs" => "deployment:read",
        _ => return None,
    })
}

/// A job in `deployment.queueList`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    #[serde(default)]
    pub data: QueueData,
    /// `waiting` or `active`.
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueData {
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub compose_id: Option<String>,
    /// The deploy call's `title` (or "Manual deployment").
    #[serde(default)]
    pub title_log: Option<String>,
}

impl QueueEntry {
    /// Whether this is a job of `kind`/`id`.
    pub fn of(&self, kind: ServiceKind, id: &str) -> bool {
        let service = match kind {
            ServiceKind::Application => &self.data.application_id,
            ServiceKind::Compose => &self.data.compose_id,
        };
        service.as_deref() == Some(id)
    }

    /// Whether this is the job a deploy of `kind`/`id` titled `marker` queued.
    pub fn is(&self, kind: ServiceKind, id: &str, marker: &str) -> bool {
        self.of(kind, id) && self.data.title_log.as_deref() == Some(marker)
    }

    /// Whether the job waits for its turn (anything but `active`: BullMQ also has `delayed`).
    pub fn waiting(&self) -> bool {
        self.state.as_deref() != Some("active")
    }
}

/// Dokploy, with the server's features read once.
#[derive(Debug)]
pub struct Dokploy {
    client: Client,
    features: Features,
    /// Cleared by a 404 from `deployment.queueList` even where the version says it exists.
    queue_list: AtomicBool,
    read_logs: AtomicBool,
    save_environment: AtomicBool,
}

impl Dokploy {
    /// Reads the server's version (`settings.getDokployVersion`); that first call also proves
    /// the URL and the key.
    pub async fn connect(client: Client) -> Result<Dokploy, ApiError> {
        let version: String = client.query("settings.getDokployVersion", &[]).await?;
        let features = Features::of(&version);
        Ok(Dokploy {
            queue_list: AtomicBool::new(features.queue_list),
            read_logs: AtomicBool::new(features.read_logs),
            save_environment: AtomicBool::new(features.save_environment),
            client,
            features,
        })
    }

    pub fn features(&self) -> &Features {
        &self.features
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `project.all`, as the server shapes it (see [`crate::resolve`]).
    pub async fn projects(&self) -> Result<Value, ApiError> {
        projects(&self.client).await
    }

    pub async fn application(&self, id: &str) -> Result<Application, ApiError> {
        application(&self.client, id).await
    }

    pub async fn compose(&self, id: &str) -> Result<Compose, ApiError> {
        compose(&self.client, id).await
    }

    /// `application.update {applicationId, dockerImage}`: partial, so the stored registry
    /// credentials stay (unlike `saveDockerProvider`, which gantry never calls).
    /// `None` sends `null`, which puts back an application that had no image: the schema's
    /// `dockerImage: z.string().optional()` sits on a nullable column, and drizzle-zod 0.5.1
    /// (packages/server) makes every such field `.nullable().optional()`; the openapi.json
    /// generated from the routers lists it as `anyOf: [string, null]`.
    pub async fn set_image(
        &self,
        application_id: &str,
        image: Option<&str>,
    ) -> Result<(), ApiError> {
        let body = json!({"applicationId": application_id, "dockerImage": image});
        self.client
            .mutate("application.update", &body, Idempotency::Idempotent)
            .await
            .map(drop)
    }

    /// Writes a compose's whole env string: `compose.saveEnvironment {composeId, env}` where
    /// the server has it (v0.29.0+; it needs only `envVars:write`, which members hold), else
    /// `compose.update {composeId, env}` (`service:create` from v0.28.7). `createEnvFile` is
    /// not sent: saveEnvironment leaves the switch as it is when the key is absent.
    pub async fn set_env(&self, compose_id: &str, env: &str) -> Result<(), ApiError> {
        let body = json!({"composeId": compose_id, "env": env});
        if self.save_environment.load(Ordering::Relaxed) {
            match self
                .client
                .mutate("compose.saveEnvironment", &body, Idempotency::Idempotent)
                .await
            {
                Ok(_) => return Ok(()),
                // The handler never answers 404 (an unknown compose is its 400): the
                // procedure is missing (a development build): use compose.update.
                Err(error) if error.is_not_found() => {
                    self.save_environment.store(false, Ordering::Relaxed);
                }
                Err(error) => return Err(error),
            }
        }
        self.client
            .mutate("compose.update", &body, Idempotency::Idempotent)
            .await
            .map(drop)
    }

    /// `application.cleanQueues` / `compose.cleanQueues`: removes every *waiting* job of
    /// the service (whoever queued it); a running one runs on (queueSetup.ts).
    pub async fn clean_queue(&self, kind: ServiceKind, id: &str) -> Result<(), ApiError> {
        let body = json!({kind.id_key(): id});
        self.client
            .mutate(
                Self::clean_queue_procedure(kind),
                &body,
                Idempotency::Idempotent,
            )
            .await
            .map(drop)
    }

    /// The procedures a deploy of a `kind` service calls, each with what it is for.
    pub fn procedures(&self, kind: ServiceKind) -> [(&'static str, &'static str); 4] {
        match kind {
            ServiceKind::Application => [
                ("application.one", "read the application"),
                ("application.update", "set its image"),
                ("deployment.all", "find its deployment"),
                ("application.deploy", "deploy it"),
            ],
            ServiceKind::Compose => [
                ("compose.one", "read the compose"),
                if self.save_environment.load(Ordering::Relaxed) {
                    ("compose.saveEnvironment", "set its tag variables")
                } else {
                    ("compose.update", "set its tag variables")
                },
                ("deployment.allByCompose", "find its deployment"),
                ("compose.deploy", "deploy it"),
            ],
        }
    }

    /// The procedure [`Dokploy::clean_queue`] calls.
    pub fn clean_queue_procedure(kind: ServiceKind) -> &'static str {
        match kind {
            ServiceKind::Application => "application.cleanQueues",
            ServiceKind::Compose => "compose.cleanQueues",
        }
    }

    /// What the key may do (`user.getPermissions`), or `None` where the server does not
    /// check permissions (before v0.28.7) or cannot tell.
    pub async fn permissions(&self) -> Result<Option<Permissions>, ApiError> {
        if !self.features.permissions {
            return Ok(None);
        }
        self.client
            .query_if_available("user.getPermissions", &[])
            .await
    }

    /// The service's deployment rows, newest first.
    pub async fn deployments(
        &self,
        kind: ServiceKind,
        id: &str,
    ) -> Result<Vec<Deployment>, ApiError> {
        let (procedure, key) = match kind {
            ServiceKind::Application => ("deployment.all", "applicationId"),
            ServiceKind::Compose => ("deployment.allByCompose", "composeId"),
        };
        self.client.query(procedure, &[(key, id)]).await
    }

    /// Queues a deploy titled `title`. Sent once: a lost answer is resolved by the caller,
    /// by looking for the job, never by sending it again blindly.
    pub async fn trigger(
        &self,
        kind: ServiceKind,
        id: &str,
        title: &str,
        description: &str,
    ) -> Result<(), ApiError> {
        let procedure = match kind {
            ServiceKind::Application => "application.deploy",
            ServiceKind::Compose => "compose.deploy",
        };
        let body = json!({kind.id_key(): id, "title": title, "description": description});
        self.client
            .mutate(procedure, &body, Idempotency::NotIdempotent)
            .await
            .map(drop)
    }

    /// The deployment queue, or `None` where the server has no `deployment.queueList`.
    pub async fn queue(&self) -> Result<Option<Vec<QueueEntry>>, ApiError> {
        if !self.queue_list.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let answer: Option<Value> = self
            .client
            .query_if_available("deployment.queueList", &[])
            .await?;
        let Some(answer) = answer else {
            self.queue_list.store(false, Ordering::Relaxed);
            return Ok(None);
        };
        Ok(Some(queue_entries(answer)))
    }

    /// Whether the queue can be read (the server has `deployment.queueList`).
    pub fn has_queue(&self) -> bool {
        self.queue_list.load(Ordering::Relaxed)
    }

    /// The last `tail` lines of a deployment's log, or `None` where the server cannot say.
    pub async fn log_tail(&self, deployment_id: &str, tail: usize) -> Option<String> {
        if !self.read_logs.load(Ordering::Relaxed) {
            return None;
        }
        let tail = tail.to_string();
        let answer = self
            .client
            .query_if_available::<String>(
                "deployment.readLogs",
                &[("deploymentId", deployment_id), ("tail", &tail)],
            )
            .await;
        match answer {
            Ok(Some(log)) => Some(log),
            Ok(None) => {
                self.read_logs.store(false, Ordering::Relaxed);
                None
            }
            Err(error) => {
                tracing::warn!("cannot read the log of deployment {deployment_id}: {error}");
                None
            }
        }
    }
}

/// `project.all`: the reads that need no server features, also for [`crate::running`].
pub async fn projects(client: &Client) -> Result<Value, ApiError> {
    client.query("project.all", &[]).await
}

/// `application.one`.
pub async fn application(client: &Client, id: &str) -> Result<Application, ApiError> {
    client
        .query("application.one", &[("applicationId", id)])
        .await
}

/// `compose.one`.
pub async fn compose(client: &Client, id: &str) -> Result<Compose, ApiError> {
    client.query("compose.one", &[("composeId", id)]).await
}

/// Queue entries from `deployment.queueList`: a list, or an object of lists (by state).
fn queue_entries(answer: Value) -> Vec<QueueEntry> {
    let items: Vec<Value> = match answer {
        Value::Array(items) => items,
        Value::Object(groups) => groups
            .into_iter()
            .flat_map(|(_, group)| match group {
                Value::Array(items) => items,
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_entries_come_as_a_list_or_grouped_by_state() {
        let entry =
            json!({"id": "1", "data": {"applicationId": "a", "titleLog": "m"}, "state": "waiting"});
        let listed = queue_entries(json!([entry.clone(), 42]));
        assert_eq!(listed.len(), 1);
        assert!(listed[0].is(ServiceKind::Application, "a", "m"));
        assert!(!listed[0].is(ServiceKind::Compose, "a", "m"));
        assert!(!listed[0].is(ServiceKind::Application, "a", "other"));
        let grouped = queue_entries(json!({"waiting": [entry], "active": []}));
        assert_eq!(grouped.len(), 1);
    }

    #[test]
    fn unknown_statuses_are_waited_on() {
        let row: Deployment =
            serde_json::from_value(json!({"deploymentId": "d", "status": "queued"})).unwrap();
        assert_eq!(row.status, Status::Unknown);
        assert!(!row.status.is_final());
    }

    #[test]
    fn placement_finds_the_project_in_every_version() {
        let old: Placement = serde_json::from_value(json!({"projectId": "p"})).unwrap();
        assert_eq!(old.project(), Some("p"));
        let new: Placement = serde_json::from_value(
            json!({"environmentId": "e", "environment": {"projectId": "p2", "name": "production"}}),
        )
        .unwrap();
        assert_eq!(new.project(), Some("p2"));
        assert_eq!(new.environment_id.as_deref(), Some("e"));
    }
}
