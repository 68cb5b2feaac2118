//! What a simulated run leaves: its jobs, their steps, outputs, summaries and logs.

use std::collections::BTreeMap;
use std::fmt;

/// A job's result, as `needs.<job>.result` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    Success,
    Failure,
    Cancelled,
    Skipped,
}

impl JobResult {
    pub fn as_str(self) -> &'static str {
        match self {
            JobResult::Success => "success",
            JobResult::Failure => "failure",
            JobResult::Cancelled => "cancelled",
            JobResult::Skipped => "skipped",
        }
    }
}

impl fmt::Display for JobResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step's outcome (before `continue-on-error`) or conclusion (after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepResult {
    Success,
    Failure,
    Cancelled,
    Skipped,
}

impl StepResult {
    pub fn as_str(self) -> &'static str {
        match self {
            StepResult::Success => "success",
            StepResult::Failure => "failure",
            StepResult::Cancelled => "cancelled",
            StepResult::Skipped => "skipped",
        }
    }
}

/// A finished step (for a composite action, its own steps are `steps`).
#[derive(Debug, Clone)]
pub struct StepRun {
    pub name: String,
    pub id: Option<String>,
    /// The `uses:` or `run` (for a script).
    pub action: String,
    pub outcome: StepResult,
    pub conclusion: StepResult,
    pub outputs: BTreeMap<String, String>,
    pub stdout: String,
    pub stderr: String,
    /// What the step wrote to `GITHUB_STEP_SUMMARY`.
    pub summary: String,
    /// Why it failed, when the simulator or a stand-in decided it (not the script's exit code).
    pub error: Option<String>,
    pub steps: Vec<StepRun>,
}

/// A finished job; a matrix job has one per configuration, a called workflow's jobs are
/// listed after their caller with ids `caller/callee`.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// `job`, `job (matrix values)` style ids are not used: this is the YAML key path,
    /// `staging/build`.
    pub id: String,
    /// The check run name GitHub shows: `staging / build api`.
    pub name: String,
    pub matrix: Option<serde_json::Value>,
    pub result: JobResult,
    pub outputs: BTreeMap<String, String>,
    pub environment: Option<String>,
    pub steps: Vec<StepRun>,
    /// Why the job failed before or around its steps (an invalid expression, a matrix error,
    /// a refused permission).
    pub error: Option<String>,
    /// `continue-on-error` held: a failure does not fail the run, and `needs.<job>.result`
    /// says `success` (actions/runner#1161) while the check run shows the failure.
    pub continue_on_error: bool,
}

/// A finished workflow run.
#[derive(Debug, Clone)]
pub struct WorkflowRun {
    pub id: u64,
    /// `name:` of the workflow, else its path.
    pub workflow: String,
    /// False when the workflow's `on:` does not take the event: nothing ran.
    pub triggered: bool,
    pub conclusion: JobResult,
    pub jobs: Vec<JobRun>,
    /// Errors that failed the run as a whole (an invalid called workflow, bad inputs).
    pub errors: Vec<String>,
}

impl StepRun {
    fn log(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        out.push_str(&format!(
            "{indent}- step {:?} ({}): {}{}\n",
            self.name,
            self.action,
            self.conclusion.as_str(),
            self.error
                .as_ref()
                .map(|error| format!(" — {error}"))
                .unwrap_or_default()
        ));
        for (label, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if !text.trim().is_empty() {
                out.push_str(&format!("{indent}  {label}:\n"));
                for line in text.lines() {
                    out.push_str(&format!("{indent}    {line}\n"));
                }
            }
        }
        for step in &self.steps {
            step.log(out, depth + 1);
        }
    }

    fn visit<'s>(&'s self, out: &mut Vec<&'s StepRun>) {
        out.push(self);
        for step in &self.steps {
            step.visit(out);
        }
    }
}

impl JobRun {
    /// The step called `name` (or with that id), searching composite actions too.
    pub fn step(&self, name: &str) -> &StepRun {
        self.all_steps()
            .into_iter()
            .find(|step| step.name == name || step.id.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("job {}: no step {name}\n{}", self.id, self.log()))
    }

    /// Every step, composite actions' own steps after their step.
    pub fn all_steps(&self) -> Vec<&StepRun> {
        let mut out = Vec::new();
        for step in &self.steps {
            step.visit(&mut out);
        }
        out
    }

    /// The job output `name`.
    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("job {}: no output {name}\n{}", self.id, self.log()))
    }

    /// The annotation commands (`::error`, `::warning`, `::notice`) the job's steps printed,
    /// on stdout or stderr, in step order: what the runner shows as the job's annotations.
    pub fn annotations(&self) -> Vec<&str> {
        self.all_steps()
            .into_iter()
            .flat_map(|step| step.stdout.lines().chain(step.stderr.lines()))
            .filter(|line| {
                ["::error", "::warning", "::notice"]
                    .iter()
                    .any(|command| line.trim_start().starts_with(command))
            })
            .collect()
    }

    /// Every step summary, in order.
    pub fn summary(&self) -> String {
        self.all_steps()
            .iter()
            .map(|step| step.summary.as_str())
            .collect()
    }

    pub fn log(&self) -> String {
        let mut out = format!(
            "job {} ({:?}): {}{}{}\n",
            self.id,
            self.name,
            self.result,
            self.matrix
                .as_ref()
                .map(|matrix| format!(" matrix {matrix}"))
                .unwrap_or_default(),
            self.error
                .as_ref()
                .map(|error| format!(" — {error}"))
                .unwrap_or_default()
        );
        for step in &self.steps {
            step.log(&mut out, 1);
        }
        out
    }
}

impl WorkflowRun {
    /// The job with id `id` (`staging/changes`); panics when there is none or several
    /// (matrix jobs: [`WorkflowRun::jobs_of`]).
    pub fn job(&self, id: &str) -> &JobRun {
        let found = self.jobs_of(id);
        match found.as_slice() {
            [job] => job,
            [] => panic!("no job {id}\n{}", self.log()),
            _ => panic!(
                "job {id} ran {} times (a matrix)\n{}",
                found.len(),
                self.log()
            ),
        }
    }

    /// Every run of job `id` (one per matrix configuration).
    pub fn jobs_of(&self, id: &str) -> Vec<&JobRun> {
        self.jobs.iter().filter(|job| job.id == id).collect()
    }

    /// The conclusion of the check run called `name` (`staging / deploy-staging`), as a
    /// required status check sees it; `None` when no such check ran.
    pub fn check(&self, name: &str) -> Option<JobResult> {
        self.jobs
            .iter()
            .find(|job| job.name == name)
            .map(|job| job.result)
    }

    /// Every job's summary, in order.
    pub fn summary(&self) -> String {
        self.jobs.iter().map(JobRun::summary).collect()
    }

    /// Everything that happened, for failure messages.
    pub fn log(&self) -> String {
        let mut out = format!(
            "run {} of {}: {}{}\n",
            self.id,
            self.workflow,
            if self.triggered {
                self.conclusion.as_str()
            } else {
                "not triggered"
            },
            if self.errors.is_empty() {
                String::new()
            } else {
                format!(" — {}", self.errors.join("; "))
            }
        );
        for job in &self.jobs {
            out.push_str(&job.log());
        }
        out
    }

    /// Panics with the log unless the run succeeded.
    pub fn assert_success(&self) {
        assert!(
            self.triggered && self.conclusion == JobResult::Success,
            "the run did not succeed\n{}",
            self.log()
        );
    }

    /// Every error the simulator or a stand-in reported, run, job and step level.
    pub fn all_errors(&self) -> Vec<String> {
        let mut errors = self.errors.clone();
        for job in &self.jobs {
            errors.extend(job.error.iter().map(|error| format!("{}: {error}", job.id)));
            for step in job.all_steps() {
                errors.extend(
                    step.error
                        .iter()
                        .map(|error| format!("{} / {}: {error}", job.id, step.name)),
                );
            }
        }
        errors
    }

    /// Panics when `secret` appears in any log (but `::add-mask::` lines, which register it
    /// with the runner), output or summary.
    pub fn assert_never_shows(&self, secret: &str) {
        for job in &self.jobs {
            for (name, value) in &job.outputs {
                assert!(
                    !value.contains(secret),
                    "job {} output {name} shows the secret",
                    job.id
                );
            }
            for step in job.all_steps() {
                let shown = [&step.stdout, &step.stderr, &step.summary]
                    .iter()
                    .flat_map(|text| text.lines())
                    .chain(step.outputs.values().map(String::as_str))
                    .any(|line| line.contains(secret) && !line.starts_with("::add-mask::"));
                assert!(
                    !shown,
                    "job {} step {:?} shows the secret\n{}",
                    job.id,
                    step.name,
                    job.log()
                );
            }
        }
    }
}
