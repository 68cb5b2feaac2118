//! A stateful fake Dokploy for client tests. It follows Dokploy's source (routers in
//! apps/dokploy/server/api/routers, zod schemas in packages/server/src/db/schema, the queue in
//! apps/dokploy/server/queues), cited next to each behaviour; `shared/reference/dokploy-api.md`
//! where the source says nothing else.
//!
//! Transport: `/api/<router>.<procedure>` matched case-insensitively (a trailing slash is
//! ignored); queries are GET with flat query parameters, mutations POST with a JSON body. The
//! checks run in Dokploy's order: the API key (401 `{"message":"Unauthorized"}`, no `code`),
//! the route (404, also for the wrong method), the content type (415), the input (400 with zod
//! issues), then the handler. Procedures that return nothing answer an empty 200 body.
//!
//! State: projects, environments, applications (with `dockerImage`, env and registry
//! credentials) and composes (with env), deployment rows and a deploy queue. A deploy call
//! queues a job and returns at once; the job waits [`DokployOptions::queue_delay`], then takes
//! its turn as Dokploy's queue hands them out (apps/dokploy/server/queues/in-memory-queue.ts:
//! first in, first out, at most [`DokployOptions::concurrency`] at a time, never two of one
//! service at once), its row appears `running`, and after [`DokployOptions::run_time`] it ends
//! `done`, or `error` for a scripted failing image.
//! [`FakeDokploy::restart`] turns running rows `cancelled` and loses queued jobs, as Dokploy
//! v0.29.9+ does.
//!
//! The key acts as a user with a [`Role`] ([`DokployOptions::role`]): from v0.28.7 each
//! procedure checks its permission and refuses with Dokploy's 401 (see [`access`]). Composes
//! carry `sourceType`, `composeType` and `createEnvFile` ([`FakeDokploy::edit_compose`]), and a
//! compose deploy sees only what Dokploy would hand `docker compose` (an unwritten `.env`
//! leaves the old values); git sources get their deployment retitled with the commit when it
//! ends (v0.25.7+). `cleanQueues` withdraws a service's waiting jobs; [`FakeDokploy::deploy`]
//! queues a deploy as another client (the UI, a webhook) would.
//!
//! Scripting: [`FakeDokploy::fail_deploys_of`] (an image that fails to deploy, with its log),
//! [`FakeDokploy::drop_jobs_of`] (jobs that vanish from the queue), [`FakeDokploy::hold`] /
//! [`FakeDokploy::release`] (a deploy that runs until released), [`FakeDokploy::script`]
//! (5xx bursts, HTML error pages, answers lost after the handler ran). The version
//! ([`DokployOptions::version`]) shapes `project.all`, titles, `compose.deploy`'s answer and
//! which procedures exist.
//!
//! Every request is recorded with its arrival time ([`FakeDokploy::requests`]); rows keep the
//! times they started and ended, so tests prove ordering with timestamps.

pub mod access;
mod jobs;
mod server;
mod state;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub use access::Role;
pub use jobs::GIT_COMMIT_MESSAGE;
pub use state::{Application, Compose, DeploymentRow, Job, Kind, Recorded};

use state::State;

/// The key a [`FakeDokploy`] accepts unless told otherwise.
pub const API_KEY: &str = "gantry-fake-dokploy-key-2f9c41d7e8";

/// The newest version the reference describes.
pub const LATEST_VERSION: &str = "v0.30.2";

/// How a fake server behaves.
#[derive(Debug, Clone)]
pub struct DokployOptions {
    /// What `settings.getDokployVersion` answers; it also gates features by the reference's
    /// version table.
    pub version: String,
    pub api_key: String,
    /// How long a job waits in the queue before it can start.
    pub queue_delay: Duration,
    /// How long a started deploy runs before it ends.
    pub run_time: Duration,
    /// Deploys that run at once (Dokploy's `buildsConcurrency`, default 1).
    pub concurrency: usize,
    /// Who the key acts as.
    pub role: Role,
}

impl Default for DokployOptions {
    fn default() -> Self {
        DokployOptions {
            version: LATEST_VERSION.to_owned(),
            api_key: API_KEY.to_owned(),
            queue_delay: Duration::from_millis(30),
            run_time: Duration::from_millis(60),
            concurrency: 1,
            role: Role::Owner,
        }
    }
}

/// A scripted answer that replaces (or follows) a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scripted {
    /// A tRPC error body with this status, before anything is handled.
    Status(u16),
    /// An HTML error page with this status from "Cloudflare", before anything is handled.
    Html(u16),
    /// The request is handled, then the answer is lost: a 502 HTML page from a proxy.
    LostAnswer,
}

/// Shared between the server, the job tasks and the test.
pub(crate) struct Shared {
    pub(crate) options: DokployOptions,
    pub(crate) state: Mutex<State>,
    /// Signalled on every state change (see [`FakeDokploy::wait_until`]).
    pub(crate) changed: Condvar,
    /// Wakes the job tasks on every state change: a waiting job may take its turn, a held
    /// one may go on.
    pub(crate) stirred: tokio::sync::Notify,
    pub(crate) started: Instant,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `change` on the state and wakes everyone waiting for a change.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.lock();
        let result = change(&mut state);
        state.generation += 1;
        drop(state);
        self.notify();
        result
    }

    /// Wakes everyone waiting for a change of the state.
    pub(crate) fn notify(&self) {
        self.changed.notify_all();
        self.stirred.notify_waiters();
    }
}

/// A running fake Dokploy on a free loopback port, stopped on drop.
pub struct FakeDokploy {
    shared: Arc<Shared>,
    url: String,
    /// A runtime of its own, so the fake serves plain and `#[tokio::test]` tests alike.
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakeDokploy {
    /// A fake of the newest version with the default timings.
    pub fn start() -> FakeDokploy {
        Self::start_with(DokployOptions::default())
    }

    pub fn start_with(options: DokployOptions) -> FakeDokploy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-dokploy")
            .enable_all()
            .build()
            .expect("build the fake Dokploy runtime");
        let shared = Arc::new(Shared {
            options,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            stirred: tokio::sync::Notify::new(),
            started: Instant::now(),
        });
        // Bound here, served on the fake's runtime: no `block_on`, which would panic when
        // the fake starts inside an async test.
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .expect("bind a loopback port for the fake Dokploy");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("local address of the fake")
        );
        let app = server::router(shared.clone());
        runtime.spawn(async move {
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("hand the fake's port to tokio");
            let _ = axum::serve(listener, app).await;
        });
        shared.update(|state| state.handle = Some(runtime.handle().clone()));
        FakeDokploy {
            shared,
            url,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT`: the panel address (the API is under `/api/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn api_key(&self) -> &str {
        &self.shared.options.api_key
    }

    pub fn options(&self) -> &DokployOptions {
        &self.shared.options
    }

    /// A new project with a default environment `production`; returns the project id.
    pub fn add_project(&self, name: &str) -> String {
        self.shared.update(|state| state.add_project(name))
    }

    /// A new environment in `project`; returns its id.
    pub fn add_environment(&self, project: &str, name: &str) -> String {
        self.shared
            .update(|state| state.add_environment(project, name, false))
    }

    /// The id of `project`'s environment called `name`.
    pub fn environment(&self, project: &str, name: &str) -> String {
        self.shared
            .lock()
            .environment_id(project, name)
            .unwrap_or_else(|| panic!("no environment {name} in project {project}"))
    }

    /// A new Docker-provider application in `environment`, with registry credentials; returns
    /// its id.
    pub fn add_application(&self, environment: &str, name: &str, image: &str) -> String {
        self.shared
            .update(|state| state.add_application(environment, name, image))
    }

    /// A new compose in `environment` with `env` as its environment; returns its id.
    pub fn add_compose(&self, environment: &str, name: &str, env: &str) -> String {
        self.shared
            .update(|state| state.add_compose(environment, name, env))
    }

    /// Changes an application as a user of the UI would (e.g. its provider).
    pub fn edit_application(&self, id: &str, edit: impl FnOnce(&mut Application)) {
        self.shared.update(|state| {
            edit(
                state
                    .applications
                    .iter_mut()
                    .find(|application| application.id == id)
                    .unwrap_or_else(|| panic!("no application {id}")),
            )
        });
    }

    /// Changes a compose as a user of the UI would (its source, type, `createEnvFile`).
    pub fn edit_compose(&self, id: &str, edit: impl FnOnce(&mut Compose)) {
        self.shared.update(|state| {
            edit(
                state
                    .composes
                    .iter_mut()
                    .find(|compose| compose.id == id)
                    .unwrap_or_else(|| panic!("no compose {id}")),
            )
        });
    }

    /// Queues a deploy of `service` titled `title`, as another client (the UI, a webhook, a
    /// second workflow) would.
    pub fn deploy(&self, kind: Kind, service: &str, title: &str) {
        jobs::enqueue(&self.shared, kind, service, title.to_owned(), None);
    }

    /// The queued and active jobs, in the order they were queued.
    pub fn jobs(&self) -> Vec<Job> {
        self.shared.lock().jobs.clone()
    }

    pub fn application(&self, id: &str) -> Application {
        self.shared
            .lock()
            .applications
            .iter()
            .find(|application| application.id == id)
            .cloned()
            .unwrap_or_else(|| panic!("no application {id}"))
    }

    pub fn compose(&self, id: &str) -> Compose {
        self.shared
            .lock()
            .composes
            .iter()
            .find(|compose| compose.id == id)
            .cloned()
            .unwrap_or_else(|| panic!("no compose {id}"))
    }

    /// Every deployment row of the service, oldest first (pruned rows included).
    pub fn deployments(&self, service: &str) -> Vec<DeploymentRow> {
        self.shared
            .lock()
            .rows
            .iter()
            .filter(|row| row.service == service)
            .cloned()
            .collect()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The requests to `procedure` (canonical spelling, e.g. `application.update`).
    pub fn requests_to(&self, procedure: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.procedure == procedure)
            .collect()
    }

    /// Deploys whose image (an application's `dockerImage`, a compose's env) contains
    /// `pattern` end `error`, with `log` appended to their log.
    pub fn fail_deploys_of(&self, pattern: &str, log: &str) {
        self.shared
            .update(|state| state.failing.push((pattern.to_owned(), log.to_owned())));
    }

    /// Jobs of `service` are queued, then vanish after the queue delay without a row.
    pub fn drop_jobs_of(&self, service: &str) {
        self.shared
            .update(|state| state.dropping.insert(service.to_owned()));
    }

    /// Deploys of `service` keep running until [`FakeDokploy::release`].
    pub fn hold(&self, service: &str) {
        self.shared
            .update(|state| state.holding.insert(service.to_owned()));
    }

    pub fn release(&self, service: &str) {
        self.shared.update(|state| state.holding.remove(service));
    }

    /// The next `times` requests to `procedure` (canonical spelling, or `*` for any) get
    /// `answer`.
    pub fn script(&self, procedure: &str, times: usize, answer: Scripted) {
        self.shared.update(|state| {
            state
                .scripts
                .extend(std::iter::repeat_n((procedure.to_owned(), answer), times))
        });
    }

    /// Simulates a Dokploy restart: running rows become `cancelled`, queued and active jobs
    /// are lost.
    pub fn restart(&self) {
        let aborted = self.shared.update(|state| state.restart());
        for task in aborted {
            task.abort();
        }
    }

    /// Blocks until `condition` holds, re-checking on every change of the fake's state.
    /// Panics after 30 seconds, naming `what`.
    pub fn wait_until(&self, what: &str, condition: impl Fn(&FakeDokploy) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let generation = self.shared.lock().generation;
            if condition(self) {
                return;
            }
            let state = self.shared.lock();
            let now = Instant::now();
            assert!(now < deadline, "the fake Dokploy never got to: {what}");
            if state.generation == generation {
                let _ = self
                    .shared
                    .changed
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
    }

    /// Time since the fake started, the clock of [`Recorded::at`] and the row times.
    pub fn elapsed(&self) -> Duration {
        self.shared.started.elapsed()
    }
}

impl Drop for FakeDokploy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, so dropping inside an async test is fine.
            runtime.shutdown_background();
        }
    }
}
