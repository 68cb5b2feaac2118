//! Running a workflow: jobs in `needs` order, matrices, reusable workflow calls, steps,
//! composite actions and stand-ins. One run runs on one thread, jobs one after another in the
//! order GitHub could start them (YAML order among the ready ones); runs of one simulator may
//! run on several threads and meet in concurrency groups.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::expr::{Scope, Status, get_ignore_case, to_text, truthy};
use super::files::{parse_env_file, parse_path_file};
use super::matrix;
use super::model::{Action, Job, Step, Workflow, WorkflowCall};
use super::permissions::Permissions;
use super::repo::Event;
use super::report::{JobResult, JobRun, StepResult, StepRun, WorkflowRun};
use super::standins::{self, StandIn};
use super::{Simulator, TimelineEvent};

/// Variables passed from the test process to every step; everything else is left out.
pub const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "RUSTFLAGS",
];

/// Variables `GITHUB_ENV` may not set (`SetEnvFileCommand._setEnvBlockList`).
const ENV_BLOCK_LIST: &[&str] = &["NODE_OPTIONS"];

/// One run in progress.
pub(crate) struct Run<'s, 'r> {
    pub(crate) sim: &'s Simulator<'r>,
    pub(crate) id: u64,
    pub(crate) event: &'s Event,
    pub(crate) repository: String,
    pub(crate) workflow_name: String,
    /// Artifacts of this run (`actions/upload-artifact`), one directory per name.
    pub(crate) artifacts: PathBuf,
    dir: PathBuf,
    jobs: Vec<JobRun>,
    errors: Vec<String>,
    next_job_dir: usize,
}

/// A workflow file being run: the top-level one or a called one.
struct Frame {
    /// For messages: `owner/repo/.github/workflows/x.yml`.
    file: String,
    text: String,
    workflow: Workflow,
    inputs: Map<String, Value>,
    /// `inputs` is closed (a called workflow declares its inputs).
    inputs_declared: bool,
    secrets: Map<String, Value>,
    /// Job ids and names of a called workflow start with the caller's.
    id_prefix: String,
    name_prefix: String,
    /// What the caller job granted a called workflow's jobs.
    granted: Option<Permissions>,
}

/// What a finished job hands to the jobs that need it.
#[derive(Debug, Clone)]
struct Finished {
    /// `needs.<job>.result` (a failed job with `continue-on-error` reports success, as
    /// GitHub does: actions/runner#1161).
    result: JobResult,
    outputs: Map<String, Value>,
}

impl<'s, 'r> Run<'s, 'r> {
    pub(crate) fn new(sim: &'s Simulator<'r>, id: u64, event: &'s Event, repository: &str) -> Self {
        let dir = sim.dir.path().join(format!("run-{id}"));
        let artifacts = dir.join("artifacts");
        std::fs::create_dir_all(&artifacts).expect("create the run directory");
        Run {
            sim,
            id,
            event,
            repository: repository.to_owned(),
            workflow_name: String::new(),
            artifacts,
            dir,
            jobs: Vec::new(),
            errors: Vec::new(),
            next_job_dir: 0,
        }
    }

    /// Runs the workflow at `path` of the repository, as of the event's commit.
    pub(crate) fn run(mut self, path: &str) -> WorkflowRun {
        let outcome = self.run_top(path);
        let (triggered, conclusion) = match outcome {
            Ok(Some(conclusion)) => (true, conclusion),
            Ok(None) => (false, JobResult::Skipped),
            Err(error) => {
                self.errors.push(error);
                (true, JobResult::Failure)
            }
        };
        self.sim.record(TimelineEvent::RunFinished {
            run: self.id,
            conclusion,
        });
        // Job directories go; artifacts stay with the simulator until it is dropped.
        let _ = std::fs::remove_dir_all(self.dir.join("jobs"));
        WorkflowRun {
            id: self.id,
            workflow: self.workflow_name,
            triggered,
            conclusion,
            jobs: self.jobs,
            errors: self.errors,
        }
    }

    fn run_top(&mut self, path: &str) -> Result<Option<JobResult>, String> {
        let origin = self.sim.origin(&self.repository)?;
        let text =
            super::repo::try_git_in(&origin, &["show", &format!("{}:{path}", self.event.sha)])
                .map_err(|error| format!("{path} at {}: {error}", self.event.sha))?;
        let file = format!("{}/{path}", self.repository);
        let workflow = Workflow::parse(&file, &text)?;
        self.workflow_name = workflow.name.clone().unwrap_or_else(|| path.to_owned());
        let changed = || changed_files(&origin, self.event);
        if !super::triggers::takes(&workflow.on, self.event, &changed)? {
            return Ok(None);
        }
        let mut secrets: Map<String, Value> = self
            .sim
            .secrets
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        secrets.insert("GITHUB_TOKEN".to_owned(), json!(self.sim.token));
        let inputs = match self.event.name.as_str() {
            "workflow_dispatch" => dispatch_inputs(&workflow.on, &self.event.payload["inputs"])?,
            _ => Map::new(),
        };
        let frame = Frame {
            file,
            text,
            workflow,
            inputs,
            inputs_declared: false,
            secrets,
            id_prefix: String::new(),
            name_prefix: String::new(),
            granted: None,
        };
        // Workflow-level concurrency holds for the whole run.
        let _held = match &frame.workflow.concurrency {
            Some(concurrency) => {
                let scope_values = self.base_contexts(&frame, None);
                let (group, cancel) = evaluate_concurrency(&frame, concurrency, &scope_values)?;
                match self.enter_group(&group, cancel, "(run)") {
                    Ok(held) => Some(held),
                    Err(()) => return Ok(Some(JobResult::Cancelled)),
                }
            }
            None => None,
        };
        let finished = self.run_jobs(&frame)?;
        let results: Vec<JobResult> = finished.values().map(|job| job.result).collect();
        let conclusion = if self
            .jobs
            .iter()
            .any(|job| job.result == JobResult::Failure && !job.continue_on_error)
        {
            JobResult::Failure
        } else if results.contains(&JobResult::Cancelled) {
            JobResult::Cancelled
        } else {
            JobResult::Success
        };
        Ok(Some(conclusion))
    }

    fn enter_group(
        &self,
        group: &str,
        cancel: bool,
        job: &str,
    ) -> Result<super::concurrency::Held, ()> {
        let (run, sim) = (self.id, self.sim);
        sim.groups
            .enter(group, cancel, || {
                sim.record(TimelineEvent::Pending {
                    run,
                    job: job.to_owned(),
                    group: group.to_owned(),
                })
            })
            .map_err(|_| {
                sim.record(TimelineEvent::CancelledWhilePending {
                    run,
                    job: job.to_owned(),
                    group: group.to_owned(),
                })
            })
    }

    /// Runs the jobs of `frame` in `needs` order; returns what each left.
    fn run_jobs(&mut self, frame: &Frame) -> Result<IndexMap<String, Finished>, String> {
        let jobs = &frame.workflow.jobs;
        for (id, job) in jobs {
            for need in &job.needs {
                if !jobs.contains_key(need) {
                    return Err(format!(
                        "{}: job {id} needs {need}, which is not a job of the workflow",
                        frame.file
                    ));
                }
            }
        }
        let mut finished: IndexMap<String, Finished> = IndexMap::new();
        while finished.len() < jobs.len() {
            let (id, job) = jobs
                .iter()
                .find(|(id, job)| {
                    !finished.contains_key(*id)
                        && job.needs.iter().all(|need| finished.contains_key(need))
                })
                .ok_or_else(|| format!("{}: the jobs' needs form a cycle", frame.file))?;
            let done = self.run_job(frame, id, job, &finished);
            finished.insert(id.clone(), done);
        }
        Ok(finished)
    }

    /// The contexts every expression of `frame` may read; `needs` when given.
    fn base_contexts(&self, frame: &Frame, needs: Option<Value>) -> Contexts {
        let mut contexts = Contexts::default();
        contexts.insert("github", self.github_context(None, None));
        contexts.insert("inputs", Value::Object(frame.inputs.clone()));
        if frame.inputs_declared {
            contexts.close(&["inputs"]);
        }
        contexts.insert(
            "vars",
            Value::Object(
                self.sim
                    .vars
                    .iter()
                    .map(|(name, value)| (name.clone(), json!(value)))
                    .collect(),
            ),
        );
        contexts.insert("secrets", Value::Object(frame.secrets.clone()));
        if let Some(needs) = needs {
            contexts.insert("needs", needs);
            contexts.close(&["needs"]);
            contexts.close(&["needs", "*"]);
            contexts.close(&["needs", "*", "outputs"]);
        }
        contexts
    }

    /// The `github` context; `job` and `workspace` where a job runs.
    fn github_context(&self, job: Option<&str>, workspace: Option<&Path>) -> Value {
        let event = self.event;
        let owner = self.repository.split('/').next().unwrap_or_default();
        json!({
            "event_name": event.name,
            "event": event.payload,
            "sha": event.sha,
            "ref": event.git_ref,
            "ref_name": event.ref_name(),
            "ref_type": event.ref_type(),
            "ref_protected": false,
            "head_ref": event.head_ref,
            "base_ref": event.base_ref,
            "repository": self.repository,
            "repository_owner": owner,
            "repositoryUrl": format!("git://github.com/{}.git", self.repository),
            "actor": event.actor,
            "triggering_actor": event.actor,
            "run_id": self.id.to_string(),
            "run_number": self.id.to_string(),
            "run_attempt": "1",
            "retention_days": "90",
            "server_url": "https://github.com",
            "api_url": self.sim.api_url,
            "graphql_url": format!("{}/graphql", self.sim.api_url),
            "workflow": self.workflow_name,
            "job": job.unwrap_or_default(),
            "token": self.sim.token,
            "workspace": workspace.map(|path| path.display().to_string()).unwrap_or_default(),
            "action": "",
            "action_path": "",
            "action_ref": "",
            "action_repository": "",
            "path": "",
            "env": "",
            "output": "",
            "state": "",
            "step_summary": "",
            "event_path": "",
        })
    }

    fn run_job(
        &mut self,
        frame: &Frame,
        id: &str,
        job: &Job,
        finished: &IndexMap<String, Finished>,
    ) -> Finished {
        let full_id = format!("{}{id}", frame.id_prefix);
        let needs: Map<String, Value> = job
            .needs
            .iter()
            .map(|need| {
                let done = &finished[need];
                (
                    need.clone(),
                    json!({"result": done.result.as_str(), "outputs": done.outputs}),
                )
            })
            .collect();
        let status = Status {
            success: job
                .needs
                .iter()
                .all(|need| finished[need].result == JobResult::Success),
            failure: job
                .needs
                .iter()
                .any(|need| finished[need].result == JobResult::Failure),
            cancelled: false,
        };
        let contexts = self.base_contexts(frame, Some(Value::Object(needs)));
        // The name as far as it can be evaluated before the matrix (a skipped matrix job
        // shows its name unevaluated on GitHub too).
        let display = |suffix: &str| {
            let name = match &job.name {
                Some(name) => contexts
                    .scope(Status::OK, None)
                    .template_text(name)
                    .unwrap_or_else(|_| name.clone()),
                None => id.to_owned(),
            };
            format!("{}{name}{suffix}", frame.name_prefix)
        };
        let fail = |run: &mut Self, error: String| {
            let error = locate(frame, &error);
            run.jobs.push(JobRun {
                id: full_id.clone(),
                name: display(""),
                matrix: None,
                result: JobResult::Failure,
                outputs: BTreeMap::new(),
                environment: None,
                steps: Vec::new(),
                error: Some(error),
                continue_on_error: false,
            });
            Finished {
                result: JobResult::Failure,
                outputs: Map::new(),
            }
        };
        let run_it = match contexts
            .scope(status, None)
            .condition(job.condition.as_ref())
        {
            Ok(run_it) => run_it,
            Err(error) => return fail(self, format!("if: {error}")),
        };
        let declared_outputs = || -> Map<String, Value> {
            job.outputs
                .keys()
                .map(|name| (name.clone(), json!("")))
                .collect()
        };
        if !run_it {
            self.sim.record(TimelineEvent::JobFinished {
                run: self.id,
                job: full_id.clone(),
                result: JobResult::Skipped,
            });
            self.jobs.push(JobRun {
                id: full_id.clone(),
                name: display(""),
                matrix: None,
                result: JobResult::Skipped,
                outputs: BTreeMap::new(),
                environment: None,
                steps: Vec::new(),
                error: None,
                continue_on_error: false,
            });
            return Finished {
                result: JobResult::Skipped,
                outputs: declared_outputs(),
            };
        }
        if let Some(uses) = &job.uses {
            return match self.call_workflow(frame, id, job, uses, &contexts) {
                Ok(done) => done,
                Err(error) => fail(self, error),
            };
        }

        // The matrix, evaluated with needs and inputs; a job without one runs once.
        let strategy = job.strategy.as_ref();
        let configurations = match strategy.and_then(|strategy| strategy.matrix.as_ref()) {
            None => vec![None],
            Some(matrix) => match contexts
                .scope(Status::OK, None)
                .value(matrix)
                .and_then(|matrix| matrix::expand(&matrix))
            {
                Ok(configurations) => configurations.into_iter().map(Some).collect(),
                Err(error) => return fail(self, format!("strategy.matrix: {error}")),
            },
        };
        let fail_fast = match strategy.and_then(|strategy| strategy.fail_fast.as_ref()) {
            None => true,
            Some(value) => match contexts.scope(Status::OK, None).value(value) {
                Ok(value) => truthy(&value),
                Err(error) => return fail(self, format!("strategy.fail-fast: {error}")),
            },
        };
        let total = configurations.len();
        let mut needs_result = JobResult::Success;
        let mut outputs = declared_outputs();
        let mut stop = false;
        for (index, configuration) in configurations.into_iter().enumerate() {
            let mut contexts = contexts.clone();
            let strategy_context = json!({
                "fail-fast": fail_fast,
                "job-index": index,
                "job-total": total,
                "max-parallel": total,
            });
            contexts.insert("strategy", strategy_context);
            contexts.close(&["strategy"]);
            let (matrix, suffix) = match &configuration {
                // `matrix` stays open: an `include` adds keys to some entries only.
                Some(configuration) => (
                    Value::Object(configuration.matrix.clone()),
                    if job.name.is_some() {
                        String::new()
                    } else {
                        format!(" {}", configuration.name_suffix)
                    },
                ),
                None => (Value::Null, String::new()),
            };
            contexts.insert("matrix", matrix.clone());
            let name = match &job.name {
                Some(name) => match contexts.scope(Status::OK, None).template_text(name) {
                    Ok(name) => format!("{}{name}", frame.name_prefix),
                    Err(_) => display(""),
                },
                None => display(&suffix),
            };
            let instance = if stop {
                JobRun {
                    id: full_id.clone(),
                    name,
                    matrix: configuration.as_ref().map(|_| matrix.clone()),
                    result: JobResult::Cancelled,
                    outputs: BTreeMap::new(),
                    environment: None,
                    steps: Vec::new(),
                    error: Some(
                        "cancelled: another job of the matrix failed (fail-fast)".to_owned(),
                    ),
                    continue_on_error: false,
                }
            } else {
                self.run_instance(
                    frame,
                    &full_id,
                    job,
                    name,
                    contexts,
                    configuration.is_some().then_some(matrix),
                )
            };
            for (name, value) in &instance.outputs {
                // The last instance that sets an output wins.
                if !value.is_empty() {
                    outputs.insert(name.clone(), json!(value));
                }
            }
            match instance.result {
                JobResult::Failure if instance.continue_on_error => {}
                JobResult::Failure => {
                    needs_result = JobResult::Failure;
                    stop |= fail_fast;
                }
                JobResult::Cancelled if needs_result == JobResult::Success => {
                    needs_result = JobResult::Cancelled;
                }
                _ => {}
            }
            self.sim.record(TimelineEvent::JobFinished {
                run: self.id,
                job: full_id.clone(),
                result: instance.result,
            });
            self.jobs.push(instance);
        }
        Finished {
            result: needs_result,
            outputs,
        }
    }

    /// One job on one runner (one matrix configuration).
    fn run_instance(
        &mut self,
        frame: &Frame,
        full_id: &str,
        job: &Job,
        name: String,
        mut contexts: Contexts,
        matrix: Option<Value>,
    ) -> JobRun {
        let mut run = JobRun {
            id: full_id.to_owned(),
            name,
            matrix,
            result: JobResult::Success,
            outputs: BTreeMap::new(),
            environment: None,
            steps: Vec::new(),
            error: None,
            continue_on_error: false,
        };
        let short_id = full_id.rsplit('/').next().unwrap_or(full_id).to_owned();
        let prepared = (|| -> Result<_, String> {
            let scope = contexts.scope(Status::OK, None);
            let continue_on_error = match &job.continue_on_error {
                Some(value) => truthy(&scope.value(value)?),
                None => false,
            };
            let environment = match &job.environment {
                None => None,
                Some(Value::Object(environment)) => Some(
                    scope
                        .template_text(&to_text(environment.get("name").unwrap_or(&Value::Null)))?,
                ),
                Some(name) => Some(scope.template_text(&to_text(name))?),
            };
            let permissions = Permissions::of_job(
                job.permissions
                    .as_ref()
                    .or(frame.workflow.permissions.as_ref()),
                frame.granted.as_ref(),
                &short_id,
            )?;
            let concurrency = match &job.concurrency {
                Some(concurrency) => Some(evaluate_concurrency(frame, concurrency, &contexts)?),
                None => None,
            };
            Ok((continue_on_error, environment, permissions, concurrency))
        })();
        let (continue_on_error, environment, permissions, concurrency) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                run.result = JobResult::Failure;
                run.error = Some(locate(frame, &error));
                return run;
            }
        };
        run.continue_on_error = continue_on_error;
        run.environment = environment.clone();
        // A job with an environment reads its secrets: GitHub's "Reusing workflows" says an
        // environment secret is used in a called workflow's job that names the environment.
        if let Some(environment) = &environment
            && let Some(secrets) = self.sim.environment_secrets.get(environment)
            && let Some(Value::Object(context)) = contexts.values.get_mut("secrets")
        {
            for (secret, value) in secrets {
                context.insert(secret.clone(), json!(value));
            }
        }
        if let Some(environment) = &environment
            && self.sim.reviewed.contains(environment)
            && !self.sim.await_review(self.id, full_id, environment)
        {
            run.result = JobResult::Failure;
            run.error = Some(format!(
                "the deployment to {environment} was rejected by a reviewer"
            ));
            return run;
        }
        let held = match concurrency {
            Some((group, cancel)) => match self.enter_group(&group, cancel, full_id) {
                Ok(held) => Some(held),
                Err(()) => {
                    run.result = JobResult::Cancelled;
                    run.error = Some(format!(
                        "Canceling since a higher priority waiting request for '{group}' exists"
                    ));
                    return run;
                }
            },
            None => None,
        };
        self.sim.record(TimelineEvent::JobStarted {
            run: self.id,
            job: full_id.to_owned(),
        });

        self.next_job_dir += 1;
        let dir = self.dir.join("jobs").join(self.next_job_dir.to_string());
        let workspace = dir.join("work");
        let temp = dir.join("temp");
        let tool_cache = dir.join("tool-cache");
        for path in [&workspace, &temp, &tool_cache] {
            std::fs::create_dir_all(path).expect("create a job directory");
        }
        contexts.insert(
            "github",
            self.github_context(Some(&short_id), Some(&workspace)),
        );
        contexts.insert(
            "runner",
            json!({
                "name": "gantry-simulator",
                "os": runner_os(),
                "arch": runner_arch(),
                "temp": temp.display().to_string(),
                "tool_cache": tool_cache.display().to_string(),
                "environment": "github-hosted",
                "debug": "",
            }),
        );
        contexts.close(&["runner"]);
        contexts.insert(
            "job",
            json!({"status": "success", "container": {}, "services": {}}),
        );
        contexts.insert("steps", json!({}));
        contexts.close(&["steps"]);
        contexts.close(&["steps", "*"]);

        let mut host = JobHost {
            run: self,
            frame,
            job_id: short_id.clone(),
            workspace: workspace.clone(),
            temp,
            tool_cache,
            dir,
            env: Map::new(),
            path: Vec::new(),
            failed: false,
            held,
            permissions,
            next_step: 0,
        };
        let env_result = (|| -> Result<(), String> {
            for (name, value) in &frame.workflow.env {
                let value = contexts.scope(Status::OK, None).value(value)?;
                host.env.insert(name.clone(), json!(to_text(&value)));
            }
            contexts.insert("env", Value::Object(host.env.clone()));
            for (name, value) in &job.env {
                let value = contexts.scope(Status::OK, None).value(value)?;
                host.env.insert(name.clone(), json!(to_text(&value)));
            }
            contexts.insert("env", Value::Object(host.env.clone()));
            Ok(())
        })();
        if let Err(error) = env_result {
            run.result = JobResult::Failure;
            run.error = Some(locate(frame, &format!("env: {error}")));
            return run;
        }
        let defaults = Defaults::of(frame, job);
        let mut steps_frame = StepsFrame::job();
        run.steps = host.run_steps(&job.steps, &mut contexts, &mut steps_frame, &defaults, None);
        let cancelled = host.is_cancelled();
        let failed = host.failed;
        drop(host);

        let scope = contexts.scope(Status::OK, None);
        for (name, value) in &job.outputs {
            match scope.template_text(value) {
                Ok(value) => {
                    run.outputs.insert(name.clone(), value);
                }
                Err(error) => {
                    run.result = JobResult::Failure;
                    run.error = Some(locate(frame, &format!("outputs.{name}: {error}")));
                }
            }
        }
        if failed {
            run.result = JobResult::Failure;
        } else if cancelled && run.result == JobResult::Success {
            run.result = JobResult::Cancelled;
        }
        run
    }

    /// A job that calls a reusable workflow.
    fn call_workflow(
        &mut self,
        frame: &Frame,
        id: &str,
        job: &Job,
        uses: &str,
        contexts: &Contexts,
    ) -> Result<Finished, String> {
        let (file, text) = self
            .sim
            .reusable_workflow(uses, &self.repository, &self.event.sha)?;
        let workflow = Workflow::parse(&file, &text)?;
        let call = workflow
            .workflow_call()?
            .ok_or_else(|| format!("{uses}: the workflow has no on.workflow_call"))?;
        let scope = contexts.scope(Status::OK, None);
        let inputs = call_inputs(&call, &job.with, &scope)?;
        let secrets = call_secrets(&call, job.secrets.as_ref(), &scope, &frame.secrets)?;
        let granted = Permissions::of_job(
            job.permissions
                .as_ref()
                .or(frame.workflow.permissions.as_ref()),
            frame.granted.as_ref(),
            id,
        )?;
        let callee = Frame {
            file,
            text,
            workflow,
            inputs,
            inputs_declared: true,
            secrets,
            id_prefix: format!("{}{id}/", frame.id_prefix),
            name_prefix: format!(
                "{}{} / ",
                frame.name_prefix,
                job.name.clone().unwrap_or_else(|| id.to_owned())
            ),
            granted: Some(granted),
        };
        let finished = self.run_jobs(&callee)?;
        let jobs: Map<String, Value> = finished
            .iter()
            .map(|(id, done)| {
                (
                    id.clone(),
                    json!({"result": done.result.as_str(), "outputs": done.outputs}),
                )
            })
            .collect();
        let mut contexts = self.base_contexts(&callee, None);
        contexts.insert("jobs", Value::Object(jobs));
        contexts.close(&["jobs"]);
        contexts.close(&["jobs", "*"]);
        contexts.close(&["jobs", "*", "outputs"]);
        let mut outputs = Map::new();
        for (name, output) in &call.outputs {
            let value = contexts
                .scope(Status::OK, None)
                .template_text(&output.value)
                .map_err(|error| {
                    locate(
                        &callee,
                        &format!("on.workflow_call.outputs.{name}: {error}"),
                    )
                })?;
            outputs.insert(name.clone(), json!(value));
        }
        let results: Vec<JobResult> = finished.values().map(|done| done.result).collect();
        let result = if results.contains(&JobResult::Failure) {
            JobResult::Failure
        } else if results.contains(&JobResult::Cancelled) {
            JobResult::Cancelled
        } else {
            JobResult::Success
        };
        Ok(Finished { result, outputs })
    }
}

/// The files a push (`before..after`) or pull request (merge base of base and head, to head)
/// changed, for `paths` filters.
fn changed_files(origin: &Path, event: &Event) -> Result<Vec<String>, String> {
    let payload = &event.payload;
    let range = match event.name.as_str() {
        "push" => format!(
            "{}..{}",
            payload["before"].as_str().unwrap_or_default(),
            payload["after"].as_str().unwrap_or_default()
        ),
        "pull_request" | "pull_request_target" => format!(
            "{}...{}",
            payload["pull_request"]["base"]["sha"]
                .as_str()
                .unwrap_or_default(),
            payload["pull_request"]["head"]["sha"]
                .as_str()
                .unwrap_or_default()
        ),
        other => return Err(format!("paths filters do not apply to {other} events")),
    };
    let names = super::repo::try_git_in(origin, &["diff", "--name-only", &range])?;
    Ok(names.lines().map(str::to_owned).collect())
}

/// The `inputs` context of a `workflow_dispatch` run: the payload's strings typed by
/// `on.workflow_dispatch.inputs` (a `boolean` input is a boolean, a `number` a number), the
/// defaults filled in; GitHub refuses (422) a dispatch with an unknown input or without a
/// required one.
fn dispatch_inputs(on: &Value, given: &Value) -> Result<Map<String, Value>, String> {
    let declared = on["workflow_dispatch"]["inputs"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let given = given.as_object().cloned().unwrap_or_default();
    if let Some(name) = given.keys().find(|name| !declared.contains_key(*name)) {
        return Err(format!("Unexpected inputs provided: [\"{name}\"]"));
    }
    let mut inputs = Map::new();
    for (name, input) in &declared {
        let text = match (given.get(name), input.get("default")) {
            (Some(value), _) => to_text(value),
            (None, _) if input["required"] == json!(true) => {
                return Err(format!("Required input '{name}' not provided"));
            }
            (None, Some(default)) => to_text(default),
            (None, None) => String::new(),
        };
        let value = match input["type"].as_str() {
            Some("boolean") => json!(text == "true"),
            Some("number") => text
                .parse::<f64>()
                .map(|number| json!(number))
                .map_err(|_| format!("input {name}: {text:?} is not a number"))?,
            Some("choice") => {
                let options = input["options"].as_array().cloned().unwrap_or_default();
                if !options.iter().any(|option| to_text(option) == text) {
                    return Err(format!("input {name}: {text:?} is not one of its options"));
                }
                json!(text)
            }
            _ => json!(text),
        };
        inputs.insert(name.clone(), value);
    }
    Ok(inputs)
}

/// `with:` of a caller job → the called workflow's typed `inputs`, checked as GitHub checks
/// them: no undeclared input, every required one given, the declared type.
fn call_inputs(
    call: &WorkflowCall,
    with: &IndexMap<String, Value>,
    scope: &Scope<'_>,
) -> Result<Map<String, Value>, String> {
    if let Some(name) = with.keys().find(|name| !call.inputs.contains_key(*name)) {
        return Err(format!(
            "Invalid input, {name} is not defined in the referenced workflow (inputs: {})",
            call.inputs.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut inputs = Map::new();
    for (name, input) in &call.inputs {
        let value = match with.get(name) {
            Some(value) => scope.value(value)?,
            None if input.required => {
                return Err(format!(
                    "Input {name} is required, but not provided while calling."
                ));
            }
            None => input.default.clone().unwrap_or(match input.kind.as_str() {
                "boolean" => json!(false),
                "number" => json!(0),
                _ => json!(""),
            }),
        };
        let typed = match (input.kind.as_str(), &value) {
            ("boolean", Value::Bool(_))
            | ("number", Value::Number(_))
            | ("string", Value::String(_)) => value,
            ("string", Value::Bool(_) | Value::Number(_)) => json!(to_text(&value)),
            (kind, _) => {
                return Err(format!(
                    "The template is not valid. Unexpected value '{}' for input {name}: expected type {kind}",
                    to_text(&value)
                ));
            }
        };
        inputs.insert(name.clone(), typed);
    }
    Ok(inputs)
}

/// `secrets:` of a caller job → the called workflow's `secrets` context.
fn call_secrets(
    call: &WorkflowCall,
    given: Option<&Value>,
    scope: &Scope<'_>,
    caller: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut secrets = Map::new();
    match given {
        Some(Value::String(inherit)) if inherit == "inherit" => secrets = caller.clone(),
        Some(Value::Object(map)) => {
            for (name, value) in map {
                if !call
                    .secrets
                    .keys()
                    .any(|declared| declared.eq_ignore_ascii_case(name))
                {
                    return Err(format!(
                        "Invalid secret, {name} is not defined in the referenced workflow."
                    ));
                }
                secrets.insert(name.clone(), json!(to_text(&scope.value(value)?)));
            }
        }
        None | Some(Value::Null) => {}
        Some(other) => return Err(format!("secrets: unexpected value {other}")),
    }
    for (name, secret) in &call.secrets {
        let required = secret.as_ref().is_some_and(|secret| secret.required);
        // The caller must pass it; its value may be empty (a fork's pull request has none).
        let given = get_ignore_case(&secrets, name).is_some();
        if required && !given {
            return Err(format!(
                "Secret {name} is required, but not provided while calling."
            ));
        }
    }
    if let Some(token) = caller.get("GITHUB_TOKEN") {
        secrets.insert("GITHUB_TOKEN".to_owned(), token.clone());
    }
    Ok(secrets)
}

/// `concurrency:` → (group, cancel-in-progress).
fn evaluate_concurrency(
    frame: &Frame,
    concurrency: &Value,
    contexts: &Contexts,
) -> Result<(String, bool), String> {
    let scope = contexts.scope(Status::OK, None);
    let (group, cancel) = match concurrency {
        Value::Object(map) => (
            map.get("group").cloned().unwrap_or(Value::Null),
            map.get("cancel-in-progress")
                .cloned()
                .unwrap_or(json!(false)),
        ),
        group => (group.clone(), json!(false)),
    };
    let group = scope
        .value(&group)
        .map_err(|error| locate(frame, &format!("concurrency.group: {error}")))?;
    let cancel = scope
        .value(&cancel)
        .map_err(|error| locate(frame, &format!("concurrency.cancel-in-progress: {error}")))?;
    Ok((to_text(&group), truthy(&cancel)))
}

/// Adds `file:line` of the first line of the workflow that holds the expression the error
/// quotes (between backticks), else the file.
fn locate(frame: &Frame, error: &str) -> String {
    let quoted = error.split('`').nth(1).filter(|quoted| !quoted.is_empty());
    let line = quoted.and_then(|quoted| {
        frame
            .text
            .lines()
            .position(|line| line.contains(quoted))
            .map(|index| index + 1)
    });
    match line {
        Some(line) => format!("{}:{line}: {error}", frame.file),
        None => format!("{}: {error}", frame.file),
    }
}

/// Context values and the closed paths, cloned per job and per step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contexts {
    pub(crate) values: Map<String, Value>,
    closed: Vec<Vec<String>>,
}

impl Contexts {
    pub(crate) fn insert(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_owned(), value);
    }

    pub(crate) fn close(&mut self, path: &[&str]) {
        let path: Vec<String> = path.iter().map(|part| (*part).to_owned()).collect();
        if !self.closed.contains(&path) {
            self.closed.push(path);
        }
    }

    pub(crate) fn scope<'a>(&'a self, status: Status, workspace: Option<&'a Path>) -> Scope<'a> {
        Scope {
            contexts: &self.values,
            closed: &self.closed,
            status,
            workspace,
        }
    }

    fn steps_mut(&mut self) -> &mut Map<String, Value> {
        match self.values.entry("steps").or_insert_with(|| json!({})) {
            Value::Object(steps) => steps,
            _ => unreachable!("steps is an object"),
        }
    }
}

/// `defaults.run` of the job, else of the workflow.
struct Defaults {
    shell: Option<String>,
    working_directory: Option<String>,
}

impl Defaults {
    fn of(frame: &Frame, job: &Job) -> Defaults {
        let pick = |get: fn(&super::model::RunDefaults) -> Option<String>| {
            [job.defaults.as_ref(), frame.workflow.defaults.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|defaults| defaults.run.as_ref())
                .find_map(get)
        };
        Defaults {
            shell: pick(|run| run.shell.clone()),
            working_directory: pick(|run| run.working_directory.clone()),
        }
    }
}

/// The steps of a job, or of a composite action inside it.
struct StepsFrame {
    /// A composite action's directory and its `inputs`.
    action: Option<(PathBuf, Map<String, Value>)>,
    /// A step of this frame failed (the composite's `action_status`, or the job's status).
    failed: bool,
}

impl StepsFrame {
    fn job() -> StepsFrame {
        StepsFrame {
            action: None,
            failed: false,
        }
    }
}

/// A job on its runner: directories, environment, `PATH` additions, status.
pub(crate) struct JobHost<'h, 's, 'r> {
    pub(crate) run: &'h mut Run<'s, 'r>,
    frame: &'h Frame,
    pub(crate) job_id: String,
    pub(crate) workspace: PathBuf,
    pub(crate) temp: PathBuf,
    tool_cache: PathBuf,
    dir: PathBuf,
    /// The `env` context of the job: workflow and job `env:`, then `GITHUB_ENV` additions.
    env: Map<String, Value>,
    /// `GITHUB_PATH` additions, newest first.
    path: Vec<String>,
    failed: bool,
    held: Option<super::concurrency::Held>,
    pub(crate) permissions: Permissions,
    next_step: usize,
}

impl JobHost<'_, '_, '_> {
    fn is_cancelled(&self) -> bool {
        self.held.as_ref().is_some_and(|held| held.is_cancelled())
    }

    fn status(&self, frame: &StepsFrame) -> Status {
        let cancelled = self.is_cancelled();
        let failed = if frame.action.is_some() {
            frame.failed
        } else {
            self.failed
        };
        Status {
            success: !failed && !cancelled,
            failure: failed,
            cancelled,
        }
    }

    fn run_steps(
        &mut self,
        steps: &[Step],
        contexts: &mut Contexts,
        frame: &mut StepsFrame,
        defaults: &Defaults,
        outer_env: Option<&Map<String, Value>>,
    ) -> Vec<StepRun> {
        let mut runs = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            let name = step.display_name();
            let id = step.id.clone().unwrap_or_else(|| format!("__step_{index}"));
            contexts.insert("env", Value::Object(self.env_context(outer_env)));
            if let Some(Value::Object(job)) = contexts.values.get_mut("job") {
                let status = if self.failed {
                    "failure"
                } else if self.is_cancelled() {
                    "cancelled"
                } else {
                    "success"
                };
                job.insert("status".to_owned(), json!(status));
            }
            let status = self.status(frame);
            let workspace = self.workspace.clone();
            let mut record = StepRun {
                name: name.clone(),
                id: step.id.clone(),
                action: step.uses.clone().unwrap_or_else(|| "run".to_owned()),
                outcome: StepResult::Skipped,
                conclusion: StepResult::Skipped,
                outputs: BTreeMap::new(),
                stdout: String::new(),
                stderr: String::new(),
                summary: String::new(),
                error: None,
                steps: Vec::new(),
            };
            let should_run = contexts
                .scope(status, Some(&workspace))
                .condition(step.condition.as_ref());
            match should_run {
                Ok(false) => {}
                Ok(true) => {
                    let (outcome, error) = match self.run_step(
                        step,
                        contexts,
                        frame,
                        defaults,
                        outer_env,
                        &mut record,
                    ) {
                        Ok(true) => (StepResult::Success, None),
                        Ok(false) => (StepResult::Failure, None),
                        Err(error) => (StepResult::Failure, Some(locate(self.frame, &error))),
                    };
                    record.error = error;
                    record.outcome = outcome;
                    let continue_on_error = match &step.continue_on_error {
                        Some(value) => contexts
                            .scope(Status::OK, Some(&workspace))
                            .value(value)
                            .map(|value| truthy(&value))
                            .unwrap_or(false),
                        None => false,
                    };
                    record.conclusion = if outcome == StepResult::Failure && continue_on_error {
                        StepResult::Success
                    } else {
                        outcome
                    };
                    if record.conclusion == StepResult::Failure {
                        frame.failed = true;
                        if frame.action.is_none() {
                            self.failed = true;
                        }
                    }
                }
                Err(error) => {
                    record.error = Some(locate(self.frame, &format!("if: {error}")));
                    record.outcome = StepResult::Failure;
                    record.conclusion = StepResult::Failure;
                    frame.failed = true;
                    if frame.action.is_none() {
                        self.failed = true;
                    }
                }
            }
            let outputs: Map<String, Value> = record
                .outputs
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            contexts.steps_mut().insert(
                id,
                json!({
                    "outputs": outputs,
                    "outcome": record.outcome.as_str(),
                    "conclusion": record.conclusion.as_str(),
                }),
            );
            runs.push(record);
        }
        runs
    }

    /// The `env` context: the job's, then a composite step's `env:` around the action.
    fn env_context(&self, outer: Option<&Map<String, Value>>) -> Map<String, Value> {
        let mut env = self.env.clone();
        if let Some(outer) = outer {
            env.extend(outer.clone());
        }
        env
    }

    /// Runs one step whose `if:` held; `Ok(false)` when it ran and failed.
    fn run_step(
        &mut self,
        step: &Step,
        contexts: &mut Contexts,
        frame: &mut StepsFrame,
        defaults: &Defaults,
        outer_env: Option<&Map<String, Value>>,
        record: &mut StepRun,
    ) -> Result<bool, String> {
        let workspace = self.workspace.clone();
        // The step's `env:` is evaluated with the job's `env`, then joins it for the rest of
        // the step (`run:`, `with:`).
        let mut step_env = self.env_context(outer_env);
        for (name, value) in &step.env {
            let value = contexts.scope(Status::OK, Some(&workspace)).value(value)?;
            step_env.insert(name.clone(), json!(to_text(&value)));
        }
        contexts.insert("env", Value::Object(step_env.clone()));
        let step_id = step.id.clone();
        match (&step.uses, &step.run) {
            (Some(_), Some(_)) => Err("a step has either uses: or run:, not both".to_owned()),
            (None, None) => Err("a step needs uses: or run:".to_owned()),
            (None, Some(script)) => {
                let script = contexts
                    .scope(Status::OK, Some(&workspace))
                    .template_text(script)?;
                let working_directory = step.working_directory.clone().or_else(|| {
                    if frame.action.is_none() {
                        defaults.working_directory.clone()
                    } else {
                        None
                    }
                });
                let working_directory = match working_directory {
                    Some(dir) => workspace.join(
                        contexts
                            .scope(Status::OK, Some(&workspace))
                            .template_text(&dir)?,
                    ),
                    None => workspace.clone(),
                };
                let shell = step.shell.clone().or_else(|| {
                    if frame.action.is_none() {
                        defaults.shell.clone()
                    } else {
                        None
                    }
                });
                if frame.action.is_some() && shell.is_none() {
                    return Err("a run: step of a composite action needs shell:".to_owned());
                }
                let action_path = frame.action.as_ref().map(|(dir, _)| dir.clone());
                self.script(
                    &script,
                    shell.as_deref(),
                    &working_directory,
                    &step_env,
                    action_path.as_deref(),
                    record,
                )
            }
            (Some(uses), None) => {
                let with: Map<String, Value> = {
                    let scope = contexts.scope(Status::OK, Some(&workspace));
                    step.with
                        .iter()
                        .map(|(name, value)| Ok((name.clone(), scope.value(value)?)))
                        .collect::<Result<_, String>>()?
                };
                match self.run.sim.resolve_action(uses, &workspace)? {
                    Resolved::Composite(dir) => {
                        let action = Action::load(&dir)?;
                        if action.runs.using != "composite" {
                            return Err(format!(
                                "{uses}: runs.using is {}; the simulator runs composite actions and stand-ins only",
                                action.runs.using
                            ));
                        }
                        if let Some(id) = &step_id
                            && !action.outputs.is_empty()
                        {
                            contexts.close(&["steps", id, "outputs"]);
                        }
                        for name in action.outputs.keys() {
                            record.outputs.insert(name.clone(), String::new());
                        }
                        self.composite(uses, &dir, &action, &with, contexts, &step_env, record)
                    }
                    Resolved::StandIn(stand_in) => {
                        if let Some(id) = &step_id {
                            contexts.close(&["steps", id, "outputs"]);
                        }
                        let with: BTreeMap<String, String> = with
                            .iter()
                            .map(|(name, value)| (name.clone(), to_text(value)))
                            .collect();
                        for name in stand_in.outputs() {
                            record.outputs.insert((*name).to_owned(), String::new());
                        }
                        stand_in.check_inputs(&with)?;
                        let outputs = standins::run(stand_in, self, &with, record)?;
                        record.outputs.extend(outputs);
                        Ok(true)
                    }
                }
            }
        }
    }

    /// A composite action: inputs, its steps with a `steps` context of their own, outputs.
    #[allow(clippy::too_many_arguments)]
    fn composite(
        &mut self,
        uses: &str,
        dir: &Path,
        action: &Action,
        with: &Map<String, Value>,
        contexts: &Contexts,
        step_env: &Map<String, Value>,
        record: &mut StepRun,
    ) -> Result<bool, String> {
        // The runner only warns about an undeclared input; a typo should fail a test.
        if let Some(name) = with.keys().find(|name| !action.inputs.contains_key(*name)) {
            return Err(format!(
                "{uses}: Unexpected input '{name}', valid inputs are [{}]",
                action.inputs.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let mut inner = Contexts::default();
        for name in ["github", "runner", "job", "strategy", "matrix"] {
            if let Some(value) = contexts.values.get(name) {
                inner.insert(name, value.clone());
            }
        }
        if let Some(Value::Object(github)) = inner.values.get_mut("github") {
            github.insert("action_path".to_owned(), json!(dir.display().to_string()));
            github.insert("action".to_owned(), json!(uses));
        }
        inner.insert("env", Value::Object(step_env.clone()));
        inner.insert("steps", json!({}));
        inner.close(&["steps"]);
        inner.close(&["steps", "*"]);
        let mut inputs = Map::new();
        for (name, input) in &action.inputs {
            let value = match with.get(name) {
                Some(value) => to_text(value),
                None => inner
                    .scope(Status::OK, None)
                    .template_text(input.default.as_deref().unwrap_or_default())
                    .map_err(|error| format!("{uses}: default of {name}: {error}"))?,
            };
            inputs.insert(name.clone(), json!(value));
        }
        inner.insert("inputs", Value::Object(inputs.clone()));
        inner.close(&["inputs"]);
        let mut frame = StepsFrame {
            action: Some((dir.to_path_buf(), inputs)),
            failed: false,
        };
        let defaults = Defaults {
            shell: None,
            working_directory: None,
        };
        record.steps = self.run_steps(
            &action.runs.steps,
            &mut inner,
            &mut frame,
            &defaults,
            Some(step_env),
        );
        // The outputs are evaluated after a failure too: what the steps that ran set.
        let scope = inner.scope(Status::OK, None);
        for (name, output) in &action.outputs {
            let value = match scope.template_text(&output.value) {
                Ok(value) => value,
                Err(error) if !frame.failed => {
                    return Err(format!("{uses}: outputs.{name}: {error}"));
                }
                Err(_) => String::new(),
            };
            record.outputs.insert(name.clone(), value);
        }
        Ok(!frame.failed)
    }

    /// Runs a `run:` script with the runner's shell rules
    /// (`src/Runner.Worker/Handlers/ScriptHandlerHelpers.cs`): no `shell:` on Linux is
    /// `bash -e {0}`, `shell: bash` is `bash --noprofile --norc -e -o pipefail {0}`,
    /// `shell: sh` is `sh -e {0}`, anything else a command line with `{0}`.
    fn script(
        &mut self,
        script: &str,
        shell: Option<&str>,
        working_directory: &Path,
        step_env: &Map<String, Value>,
        action_path: Option<&Path>,
        record: &mut StepRun,
    ) -> Result<bool, String> {
        let files = self.step_files();
        let script_path = files.dir.join("script.sh");
        std::fs::write(&script_path, script).expect("write the script");
        let script_arg = script_path.display().to_string();
        let command_line: Vec<String> = match shell {
            None => vec!["bash".into(), "-e".into(), script_arg],
            Some("bash") => ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail"]
                .iter()
                .map(|part| (*part).to_owned())
                .chain([script_arg])
                .collect(),
            Some("sh") => vec!["sh".into(), "-e".into(), script_arg],
            Some(custom) if custom.contains("{0}") => custom
                .split_whitespace()
                .map(|part| part.replace("{0}", &script_arg))
                .collect(),
            Some(other) => {
                return Err(format!(
                    "shell: {other} is not simulated (bash, sh or a command with {{0}})"
                ));
            }
        };
        let env = self.process_env(step_env, &files, action_path);
        let output = Command::new(&command_line[0])
            .args(&command_line[1..])
            .env_clear()
            .envs(&env)
            .current_dir(working_directory)
            .output()
            .map_err(|error| format!("start {}: {error}", command_line[0]))?;
        record.stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        record.stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let succeeded = output.status.success();
        self.read_step_files(&files, record)?;
        Ok(succeeded)
    }

    /// The process environment of a step: the test process's basics, the runner's variables,
    /// the `env` context, the step's files; `PATH` with the `GITHUB_PATH` additions first.
    pub(crate) fn process_env(
        &self,
        step_env: &Map<String, Value>,
        files: &StepFiles,
        action_path: Option<&Path>,
    ) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = INHERITED
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), std::env::var(name).ok()?)))
            .collect();
        env.extend(self.run.sim.runner_env.clone());
        let event = self.run.event;
        let text = |path: &Path| path.display().to_string();
        let owner = self
            .run
            .repository
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        for (name, value) in [
            ("CI", "true".to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_EVENT_NAME", event.name.clone()),
            ("GITHUB_EVENT_PATH", text(&self.run.dir.join("event.json"))),
            ("GITHUB_SHA", event.sha.clone()),
            ("GITHUB_REF", event.git_ref.clone()),
            ("GITHUB_REF_NAME", event.ref_name().to_owned()),
            ("GITHUB_REF_TYPE", event.ref_type().to_owned()),
            ("GITHUB_HEAD_REF", event.head_ref.clone()),
            ("GITHUB_BASE_REF", event.base_ref.clone()),
            ("GITHUB_REPOSITORY", self.run.repository.clone()),
            ("GITHUB_REPOSITORY_OWNER", owner),
            ("GITHUB_ACTOR", event.actor.clone()),
            ("GITHUB_TRIGGERING_ACTOR", event.actor.clone()),
            ("GITHUB_RUN_ID", self.run.id.to_string()),
            ("GITHUB_RUN_NUMBER", self.run.id.to_string()),
            ("GITHUB_RUN_ATTEMPT", "1".to_owned()),
            ("GITHUB_WORKFLOW", self.run.workflow_name.clone()),
            ("GITHUB_JOB", self.job_id.clone()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
            ("GITHUB_API_URL", self.run.sim.api_url.clone()),
            (
                "GITHUB_GRAPHQL_URL",
                format!("{}/graphql", self.run.sim.api_url),
            ),
            ("GITHUB_WORKSPACE", text(&self.workspace)),
            ("GITHUB_OUTPUT", text(&files.output)),
            ("GITHUB_ENV", text(&files.env)),
            ("GITHUB_PATH", text(&files.path)),
            ("GITHUB_STEP_SUMMARY", text(&files.summary)),
            ("GITHUB_STATE", text(&files.dir.join("state"))),
            ("RUNNER_OS", runner_os().to_owned()),
            ("RUNNER_ARCH", runner_arch().to_owned()),
            ("RUNNER_NAME", "gantry-simulator".to_owned()),
            ("RUNNER_ENVIRONMENT", "github-hosted".to_owned()),
            ("RUNNER_TEMP", text(&self.temp)),
            ("RUNNER_TOOL_CACHE", text(&self.tool_cache)),
        ] {
            env.insert(name.to_owned(), value);
        }
        if let Some(action_path) = action_path {
            env.insert("GITHUB_ACTION_PATH".to_owned(), text(action_path));
        }
        for (name, value) in step_env {
            env.insert(name.clone(), to_text(value));
        }
        let mut path: Vec<String> = self.path.clone();
        if let Some(inherited) = env.get("PATH") {
            path.push(inherited.clone());
        }
        env.insert("PATH".to_owned(), path.join(":"));
        env
    }

    /// Fresh runner files for the next step.
    pub(crate) fn step_files(&mut self) -> StepFiles {
        self.next_step += 1;
        let dir = self.dir.join("steps").join(self.next_step.to_string());
        std::fs::create_dir_all(&dir).expect("create the step directory");
        if !self.run.dir.join("event.json").exists() {
            std::fs::write(
                self.run.dir.join("event.json"),
                self.run.event.payload.to_string(),
            )
            .expect("write the event payload");
        }
        let files = StepFiles {
            output: dir.join("output"),
            env: dir.join("env"),
            path: dir.join("path"),
            summary: dir.join("summary"),
            dir,
        };
        for file in [&files.output, &files.env, &files.path, &files.summary] {
            std::fs::write(file, "").expect("create a runner file");
        }
        files
    }

    /// Reads what a step left in its files, as the runner does after every step.
    pub(crate) fn read_step_files(
        &mut self,
        files: &StepFiles,
        record: &mut StepRun,
    ) -> Result<(), String> {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        for (name, value) in parse_env_file(&read(&files.output))
            .map_err(|error| format!("GITHUB_OUTPUT: {error}"))?
        {
            record.outputs.insert(name, value);
        }
        for (name, value) in
            parse_env_file(&read(&files.env)).map_err(|error| format!("GITHUB_ENV: {error}"))?
        {
            if ENV_BLOCK_LIST
                .iter()
                .any(|blocked| blocked.eq_ignore_ascii_case(&name))
            {
                record.stderr.push_str(&format!(
                    "Can't store {name} output parameter using '$GITHUB_ENV' command.\n"
                ));
                continue;
            }
            self.env.insert(name, json!(value));
        }
        for directory in parse_path_file(&read(&files.path)) {
            // `AddPathFileCommand`: an entry moves to the front when added again.
            self.path.retain(|existing| *existing != directory);
            self.path.insert(0, directory);
        }
        record.summary.push_str(&read(&files.summary));
        Ok(())
    }
}

/// The runner files of one step.
pub(crate) struct StepFiles {
    pub(crate) dir: PathBuf,
    pub(crate) output: PathBuf,
    pub(crate) env: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) summary: PathBuf,
}

/// What a `uses:` names.
pub(crate) enum Resolved {
    Composite(PathBuf),
    StandIn(StandIn),
}

/// `RUNNER_OS` of this machine.
pub fn runner_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "macOS",
        "windows" => "Windows",
        _ => "Linux",
    }
}

/// `RUNNER_ARCH` of this machine.
pub fn runner_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "ARM64",
        _ => "X64",
    }
}
