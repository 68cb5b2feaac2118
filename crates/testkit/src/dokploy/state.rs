//! The fake's state and how Dokploy shapes it in answers, by version.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::Scripted;

/// Rows Dokploy keeps per service; older ones are deleted.
const KEPT_ROWS: usize = 10;

/// Application or compose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Application,
    Compose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub id: String,
    pub project: String,
    pub name: String,
    pub is_default: bool,
}

/// An application, with everything Dokploy stores that a deploy must not lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub app_name: String,
    pub environment: String,
    pub source_type: String,
    pub docker_image: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub registry_url: Option<String>,
    pub env: String,
    pub status: String,
}

/// A compose (packages/server/src/db/schema/compose.ts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compose {
    pub id: String,
    pub name: String,
    pub app_name: String,
    pub environment: String,
    pub env: String,
    pub status: String,
    /// `raw` (the file is stored in Dokploy) or a git provider (`github`, `git`, ...).
    pub source_type: String,
    /// `docker-compose` or `stack`.
    pub compose_type: String,
    /// `createEnvFile` (v0.30.0+, default true): whether a deploy writes the env to `.env`.
    pub create_env_file: bool,
    /// The `.env` next to the compose file, as the last deploy that wrote one left it.
    pub env_file: Option<String>,
}

/// A deployment row, with the fake's own record of what it deployed and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRow {
    pub id: String,
    pub kind: Kind,
    pub service: String,
    pub title: String,
    pub description: Option<String>,
    /// `running`, `done`, `error` or `cancelled`.
    pub status: String,
    /// The application's `dockerImage`, or the compose's env, when the deploy started.
    pub deployed: String,
    pub log: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// When the row appeared, since the fake started.
    pub started: Duration,
    /// When it ended (`done`/`error`/`cancelled`), since the fake started.
    pub ended: Option<Duration>,
    /// Deleted by Dokploy's keep-the-last-10 rule: no longer listed.
    pub pruned: bool,
}

/// A queued or active deploy job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: u64,
    pub kind: Kind,
    pub service: String,
    pub title: String,
    pub description: Option<String>,
    pub timestamp: i64,
    pub processed_on: Option<i64>,
    /// Its queue delay has passed: it may start when its turn comes.
    pub ready: bool,
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Arrival, since the fake started.
    pub at: Duration,
    pub method: String,
    pub path: String,
    /// The procedure in its canonical spelling (`application.update`), or the path for
    /// unknown routes.
    pub procedure: String,
    pub query: Vec<(String, String)>,
    /// A POST body that parsed as JSON.
    pub body: Option<Value>,
    pub status: u16,
    pub api_key: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) generation: u64,
    next_id: u64,
    pub(crate) projects: Vec<Project>,
    pub(crate) environments: Vec<Environment>,
    pub(crate) applications: Vec<Application>,
    pub(crate) composes: Vec<Compose>,
    pub(crate) rows: Vec<DeploymentRow>,
    pub(crate) jobs: Vec<Job>,
    pub(crate) requests: Vec<Recorded>,
    pub(crate) scripts: Vec<(String, Scripted)>,
    pub(crate) failing: Vec<(String, String)>,
    pub(crate) dropping: HashSet<String>,
    pub(crate) holding: HashSet<String>,
    pub(crate) tasks: Vec<JoinHandle<()>>,
    pub(crate) handle: Option<tokio::runtime::Handle>,
}

/// `v0.30.2` → (0, 30, 2); unreadable → the newest.
pub(crate) fn version_triple(version: &str) -> (u64, u64, u64) {
    let numbers: Vec<u64> = version
        .trim_start_matches('v')
        .split(['.', '-'])
        .take(3)
        .map_while(|part| part.parse().ok())
        .collect();
    match numbers[..] {
        [major, minor, patch] => (major, minor, patch),
        _ => (u64::MAX, 0, 0),
    }
}

impl State {
    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    pub(crate) fn next_number(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn add_project(&mut self, name: &str) -> String {
        let id = self.new_id("proj");
        self.projects.push(Project {
            id: id.clone(),
            name: name.to_owned(),
        });
        self.add_environment(&id, "production", true);
        id
    }

    pub(crate) fn add_environment(
        &mut self,
        project: &str,
        name: &str,
        is_default: bool,
    ) -> String {
        assert!(
            self.projects.iter().any(|known| known.id == project),
            "no project {project}"
        );
        let id = self.new_id("env");
        self.environments.push(Environment {
            id: id.clone(),
            project: project.to_owned(),
            name: name.to_owned(),
            is_default,
        });
        id
    }

    pub(crate) fn environment_id(&self, project: &str, name: &str) -> Option<String> {
        self.environments
            .iter()
            .find(|environment| environment.project == project && environment.name == name)
            .map(|environment| environment.id.clone())
    }

    pub(crate) fn add_application(&mut self, environment: &str, name: &str, image: &str) -> String {
        self.check_environment(environment);
        let id = self.new_id("app");
        self.applications.push(Application {
            app_name: format!("{name}-{id}"),
            id: id.clone(),
            name: name.to_owned(),
            environment: environment.to_owned(),
            source_type: "docker".into(),
            docker_image: Some(image.to_owned()),
            username: Some("deploy-bot".into()),
            password: Some(format!("registry-password-of-{id}")),
            registry_url: Some("ghcr.io".into()),
            env: format!("DATABASE_URL=postgres://app:db-secret-{id}@db/app\n"),
            status: "idle".into(),
        });
        id
    }

    pub(crate) fn add_compose(&mut self, environment: &str, name: &str, env: &str) -> String {
        self.check_environment(environment);
        let id = self.new_id("compose");
        self.composes.push(Compose {
            app_name: format!("{name}-{id}"),
            id: id.clone(),
            name: name.to_owned(),
            environment: environment.to_owned(),
            env: env.to_owned(),
            status: "idle".into(),
            source_type: "raw".into(),
            compose_type: "docker-compose".into(),
            create_env_file: true,
            env_file: None,
        });
        id
    }

    fn check_environment(&self, environment: &str) {
        assert!(
            self.environments
                .iter()
                .any(|known| known.id == environment),
            "no environment {environment}"
        );
    }

    pub(crate) fn exists(&self, kind: Kind, service: &str) -> bool {
        match kind {
            Kind::Application => self.applications.iter().any(|a| a.id == service),
            Kind::Compose => self.composes.iter().any(|c| c.id == service),
        }
    }

    /// What a deploy starting now deploys: an application's `dockerImage`; for a compose, the
    /// variables its command sees. `None` for an unknown service.
    ///
    /// packages/server/src/utils/builders/compose.ts (`getBuildComposeCommand`): the env is
    /// written to `.env` next to the compose file (from v0.30.0 only when `createEnvFile` is
    /// set; before, always), then the command runs under `env -i`: `docker compose` sees only
    /// that `.env` (a stale one when none was written), while a `stack` also gets every
    /// variable exported on its command line.
    pub(crate) fn deploy_input(
        &mut self,
        kind: Kind,
        service: &str,
        version: (u64, u64, u64),
    ) -> Option<String> {
        match kind {
            Kind::Application => self
                .applications
                .iter()
                .find(|application| application.id == service)
                .map(|application| application.docker_image.clone().unwrap_or_default()),
            Kind::Compose => {
                let compose = self.composes.iter_mut().find(|c| c.id == service)?;
                if version < (0, 30, 0) || compose.create_env_file {
                    compose.env_file = Some(compose.env.clone());
                }
                Some(if compose.compose_type == "stack" {
                    compose.env.clone()
                } else {
                    compose.env_file.clone().unwrap_or_default()
                })
            }
        }
    }

    /// `cleanQueues`: removes the service's waiting jobs (active ones run on), as
    /// apps/dokploy/server/queues/queueSetup.ts does (`cleanQueuesByApplication` /
    /// `cleanQueuesByCompose`: BullMQ's waiting and delayed jobs, later the in-memory
    /// queue's `removeWaiting`).
    pub(crate) fn remove_waiting(&mut self, kind: Kind, service: &str) -> usize {
        let before = self.jobs.len();
        self.jobs.retain(|job| {
            !(job.kind == kind && job.service == service && job.processed_on.is_none())
        });
        before - self.jobs.len()
    }

    pub(crate) fn set_service_status(&mut self, kind: Kind, service: &str, status: &str) {
        match kind {
            Kind::Application => {
                if let Some(application) = self.applications.iter_mut().find(|a| a.id == service) {
                    application.status = status.into();
                }
            }
            Kind::Compose => {
                if let Some(compose) = self.composes.iter_mut().find(|c| c.id == service) {
                    compose.status = status.into();
                }
            }
        }
    }

    /// Adds a row and deletes the service's rows beyond the last [`KEPT_ROWS`].
    pub(crate) fn push_row(&mut self, row: DeploymentRow) {
        let service = row.service.clone();
        self.rows.push(row);
        let mut listed: Vec<&mut DeploymentRow> = self
            .rows
            .iter_mut()
            .filter(|row| row.service == service && !row.pruned)
            .collect();
        let excess = listed.len().saturating_sub(KEPT_ROWS);
        for row in listed.iter_mut().take(excess) {
            row.pruned = true;
        }
    }

    /// Running rows → `cancelled`; queued and active jobs lost. Returns the job tasks to stop.
    pub(crate) fn restart(&mut self) -> Vec<JoinHandle<()>> {
        for row in self.rows.iter_mut().filter(|row| row.status == "running") {
            row.status = "cancelled".into();
        }
        let cancelled: Vec<(Kind, String)> = self
            .jobs
            .iter()
            .map(|job| (job.kind, job.service.clone()))
            .collect();
        for (kind, service) in cancelled {
            self.set_service_status(kind, &service, "idle");
        }
        self.jobs.clear();
        std::mem::take(&mut self.tasks)
    }

    // --- Answers, shaped by version ---

    fn environment_json(&self, environment: &Environment, version: (u64, u64, u64)) -> Value {
        let project = self.projects.iter().find(|p| p.id == environment.project);
        let mut value = json!({
            "environmentId": environment.id,
            "name": environment.name,
            "projectId": environment.project,
            "project": project.map(|p| json!({"projectId": p.id, "name": p.name})),
        });
        if version >= (0, 26, 1) {
            value["isDefault"] = json!(environment.is_default);
        }
        value
    }

    fn placement(&self, environment_id: &str, version: (u64, u64, u64), value: &mut Value) {
        let Some(environment) = self.environments.iter().find(|e| e.id == environment_id) else {
            return;
        };
        if version >= (0, 25, 0) {
            value["environmentId"] = json!(environment.id);
        } else {
            value["projectId"] = json!(environment.project);
        }
    }

    /// A full application row, secrets and all, as `application.one` and old `project.all`
    /// give it.
    pub(crate) fn application_json(
        &self,
        application: &Application,
        version: (u64, u64, u64),
    ) -> Value {
        let mut value = json!({
            "applicationId": application.id,
            "name": application.name,
            "appName": application.app_name,
            "sourceType": application.source_type,
            "dockerImage": application.docker_image,
            "username": application.username,
            "password": application.password,
            "registryUrl": application.registry_url,
            "env": application.env,
            "buildArgs": null,
            "applicationStatus": application.status,
            "serverId": null,
        });
        self.placement(&application.environment, version, &mut value);
        value
    }

    pub(crate) fn compose_json(&self, compose: &Compose, version: (u64, u64, u64)) -> Value {
        let mut value = json!({
            "composeId": compose.id,
            "name": compose.name,
            "appName": compose.app_name,
            "env": compose.env,
            "composeFile": "",
            "sourceType": compose.source_type,
            "composeType": compose.compose_type,
            "composeStatus": compose.status,
            "serverId": null,
        });
        // The column came with v0.30.0 (schema/compose.ts).
        if version >= (0, 30, 0) {
            value["createEnvFile"] = json!(compose.create_env_file);
        }
        self.placement(&compose.environment, version, &mut value);
        value
    }

    /// `application.one` / `compose.one`: the row plus its environment (or project) and rows.
    pub(crate) fn one_json(
        &self,
        kind: Kind,
        service: &str,
        version: (u64, u64, u64),
    ) -> Option<Value> {
        let (mut value, environment_id) = match kind {
            Kind::Application => {
                let application = self.applications.iter().find(|a| a.id == service)?;
                (
                    self.application_json(application, version),
                    &application.environment,
                )
            }
            Kind::Compose => {
                let compose = self.composes.iter().find(|c| c.id == service)?;
                (self.compose_json(compose, version), &compose.environment)
            }
        };
        let environment = self.environments.iter().find(|e| &e.id == environment_id)?;
        if version >= (0, 25, 0) {
            value["environment"] = self.environment_json(environment, version);
        } else {
            let project = self.projects.iter().find(|p| p.id == environment.project);
            value["project"] = json!(project.map(|p| json!({"projectId": p.id, "name": p.name})));
        }
        value["deployments"] = Value::Array(self.rows_json(service));
        value["domains"] = json!([]);
        value["mounts"] = json!([]);
        Some(value)
    }

    /// The service's listed rows, newest first.
    pub(crate) fn rows_json(&self, service: &str) -> Vec<Value> {
        self.rows
            .iter()
            .rev()
            .filter(|row| row.service == service && !row.pruned)
            .map(|row| {
                json!({
                    "deploymentId": row.id,
                    "title": row.title,
                    "description": row.description,
                    "status": row.status,
                    "logPath": format!("/etc/dokploy/logs/{}/{}.log", row.service, row.id),
                    "pid": null,
                    "applicationId": (row.kind == Kind::Application).then_some(&row.service),
                    "composeId": (row.kind == Kind::Compose).then_some(&row.service),
                    "serverId": null,
                    "createdAt": row.created_at,
                    "startedAt": row.created_at,
                    "finishedAt": row.finished_at,
                    "errorMessage": null,
                    "rollbackId": null,
                    "buildServerId": null,
                })
            })
            .collect()
    }

    /// `project.all` in the shape of `version`.
    pub(crate) fn projects_json(&self, version: (u64, u64, u64)) -> Value {
        let trimmed = version >= (0, 28, 3);
        let applications = |environments: &[&str]| -> Vec<Value> {
            self.applications
                .iter()
                .filter(|a| environments.contains(&a.environment.as_str()))
                .map(|a| {
                    if trimmed {
                        json!({"applicationId": a.id, "name": a.name, "applicationStatus": a.status})
                    } else {
                        self.application_json(a, version)
                    }
                })
                .collect()
        };
        let composes = |environments: &[&str]| -> Vec<Value> {
            self.composes
                .iter()
                .filter(|c| environments.contains(&c.environment.as_str()))
                .map(|c| {
                    if trimmed {
                        json!({"composeId": c.id, "name": c.name, "composeStatus": c.status})
                    } else {
                        self.compose_json(c, version)
                    }
                })
                .collect()
        };
        let projects = self.projects.iter().map(|project| {
            let environments: Vec<&Environment> = self
                .environments
                .iter()
                .filter(|e| e.project == project.id)
                .collect();
            let mut value = json!({
                "projectId": project.id,
                "name": project.name,
                "description": null,
                "createdAt": "2026-01-01T00:00:00.000Z",
                "env": "PROJECT_SECRET=from-project-env",
            });
            if version >= (0, 25, 0) {
                value["environments"] = environments
                    .iter()
                    .map(|environment| {
                        let ids = [environment.id.as_str()];
                        let mut env = self.environment_json(environment, version);
                        env["applications"] = json!(applications(&ids));
                        env["compose"] = json!(composes(&ids));
                        if trimmed {
                            for database in ["postgres", "mysql", "mariadb", "mongo", "redis"] {
                                env[database] = json!([]);
                            }
                        }
                        env
                    })
                    .collect();
            } else {
                let ids: Vec<&str> = environments.iter().map(|e| e.id.as_str()).collect();
                value["applications"] = json!(applications(&ids));
                value["compose"] = json!(composes(&ids));
            }
            value
        });
        Value::Array(projects.collect())
    }

    /// `deployment.queueList`: waiting and active jobs.
    pub(crate) fn queue_json(&self) -> Value {
        Value::Array(
            self.jobs
                .iter()
                .map(|job| {
                    let key = match job.kind {
                        Kind::Application => "applicationId",
                        Kind::Compose => "composeId",
                    };
                    json!({
                        "id": job.id.to_string(),
                        "name": "deployments",
                        "data": {
                            key: job.service,
                            "titleLog": job.title,
                            "descriptionLog": job.description,
                            "type": "deploy",
                            "applicationType": if job.kind == Kind::Application { "application" } else { "compose" },
                            "serverId": null,
                        },
                        "timestamp": job.timestamp,
                        "processedOn": job.processed_on,
                        "state": if job.processed_on.is_some() { "active" } else { "waiting" },
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_triples() {
        assert_eq!(version_triple("v0.30.2"), (0, 30, 2));
        assert_eq!(version_triple("0.25.0-canary.1"), (0, 25, 0));
        assert_eq!(version_triple("canary"), (u64::MAX, 0, 0));
    }

    #[test]
    fn only_the_last_rows_are_listed() {
        let mut state = State::default();
        for index in 0..12 {
            state.push_row(DeploymentRow {
                id: format!("d{index}"),
                kind: Kind::Application,
                service: "a".into(),
                title: String::new(),
                description: None,
                status: "done".into(),
                deployed: String::new(),
                log: String::new(),
                created_at: String::new(),
                finished_at: None,
                started: Duration::ZERO,
                ended: None,
                pruned: false,
            });
        }
        let listed = state.rows_json("a");
        assert_eq!(listed.len(), KEPT_ROWS);
        assert_eq!(listed[0]["deploymentId"], "d11");
    }
}
