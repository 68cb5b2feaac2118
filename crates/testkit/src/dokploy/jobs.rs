//! The deploy queue: a job waits, takes its turn, gets its row, runs, and ends.

use std::sync::Arc;

use super::Shared;
use super::state::{DeploymentRow, Job, Kind, version_triple};

/// Queues a deploy of `service` titled `title` (Dokploy's `titleLog`) and starts its task.
pub(crate) fn enqueue(
    shared: &Arc<Shared>,
    kind: Kind,
    service: &str,
    title: String,
    description: Option<String>,
) {
    let job = shared.update(|state| {
        let job = Job {
            id: state.next_number(),
            kind,
            service: service.to_owned(),
            title,
            description,
            timestamp: jiff::Timestamp::now().as_millisecond(),
            processed_on: None,
            ready: false,
        };
        state.jobs.push(job.clone());
        job
    });
    let handle = shared.lock().handle.clone();
    let Some(handle) = handle else {
        return;
    };
    let task = handle.spawn(run(shared.clone(), job));
    shared.update(|state| state.tasks.push(task));
}

async fn run(shared: Arc<Shared>, job: Job) {
    tokio::time::sleep(shared.options.queue_delay).await;
    if shared.lock().dropping.contains(&job.service) {
        // Lost from the queue, as after a restart: no row, ever.
        shared.update(|state| state.jobs.retain(|queued| queued.id != job.id));
        return;
    }
    shared.update(|state| {
        if let Some(queued) = state.jobs.iter_mut().find(|queued| queued.id == job.id) {
            queued.ready = true;
        }
    });
    let version = version_triple(&shared.options.version);
    let row_id = loop {
        let stirred = shared.stirred.notified();
        tokio::pin!(stirred);
        stirred.as_mut().enable();
        // Checked under the lock without announcing a change: announcing wakes every waiting
        // job, this one included.
        let turn = take_turn(&mut shared.lock(), &job, version, &shared);
        match turn {
            Turn::Started(row_id) => {
                shared.update(|_| ());
                break row_id;
            }
            Turn::Lost => return,
            Turn::Waiting => stirred.await,
        }
    };
    loop {
        let stirred = shared.stirred.notified();
        tokio::pin!(stirred);
        stirred.as_mut().enable();
        if !shared.lock().holding.contains(&job.service) {
            break;
        }
        stirred.await;
    }
    tokio::time::sleep(shared.options.run_time).await;
    shared.update(|state| finish(state, &job, &row_id, version, &shared));
}

enum Turn {
    Waiting,
    /// Removed from the queue meanwhile (`cleanQueues`, a restart).
    Lost,
    /// Running, with this row.
    Started(String),
}

/// Starts the job if it is its turn: a slot is free and it is the first waiting job whose
/// service is not running already (in-memory-queue.ts `drainPartition`; BullMQ before
/// v0.29.9 ran one job at a time, first in, first out).
fn take_turn(
    state: &mut super::state::State,
    job: &Job,
    version: (u64, u64, u64),
    shared: &Shared,
) -> Turn {
    if !state.jobs.iter().any(|queued| queued.id == job.id) {
        return Turn::Lost;
    }
    let running: Vec<(Kind, &str)> = state
        .jobs
        .iter()
        .filter(|queued| queued.processed_on.is_some())
        .map(|queued| (queued.kind, queued.service.as_str()))
        .collect();
    if running.len() >= shared.options.concurrency.max(1) {
        return Turn::Waiting;
    }
    let next = state.jobs.iter().find(|queued| {
        queued.processed_on.is_none() && !running.contains(&(queued.kind, queued.service.as_str()))
    });
    match next {
        Some(next) if next.id == job.id && next.ready => {
            start(state, job, version, shared).map_or(Turn::Lost, Turn::Started)
        }
        _ => Turn::Waiting,
    }
}

/// The job turns active and its row appears `running`. `None` when the job was lost
/// meanwhile (a restart).
fn start(
    state: &mut super::state::State,
    job: &Job,
    version: (u64, u64, u64),
    shared: &Shared,
) -> Option<String> {
    let queued = state.jobs.iter_mut().find(|queued| queued.id == job.id)?;
    queued.processed_on = Some(jiff::Timestamp::now().as_millisecond());
    let deployed = state
        .deploy_input(job.kind, &job.service, version)
        .unwrap_or_default();
    let id = state.new_id("dep");
    let title = if version >= (0, 25, 0) {
        job.title.clone()
    } else {
        "Manual deployment".to_owned()
    };
    let log = match job.kind {
        Kind::Application => format!("Pulling {deployed}\nUpdating the service\n"),
        Kind::Compose => "docker compose up -d --build --remove-orphans\n".to_owned(),
    };
    state.set_service_status(job.kind, &job.service, "running");
    state.push_row(DeploymentRow {
        id: id.clone(),
        kind: job.kind,
        service: job.service.clone(),
        title,
        description: job.description.clone(),
        status: "running".into(),
        deployed,
        log,
        created_at: jiff::Timestamp::now().to_string(),
        finished_at: None,
        started: shared.started.elapsed(),
        ended: None,
        pruned: false,
    });
    Some(id)
}

/// The commit a git source is at, which becomes the title of its finished deployments.
pub const GIT_COMMIT_MESSAGE: &str = "Merge pull request #7 from acme/faster-checkout";
const GIT_COMMIT_HASH: &str = "9fceb02d0ae598e95dc970b74767f19372d61af8";

/// The deploy ends `done`, or `error` when its image matches a failing pattern or an
/// application has none.
///
/// From v0.25.7 a deployment of a git source (a compose whose `sourceType` is not `raw`, an
/// application whose is not `docker`) then gets the commit as its title and description
/// (packages/server/src/services/compose.ts `deployCompose` and application.ts
/// `deployApplication`, their `finally` blocks): the deploy call's title is gone.
fn finish(
    state: &mut super::state::State,
    job: &Job,
    row_id: &str,
    version: (u64, u64, u64),
    shared: &Shared,
) {
    let Some(index) = state.rows.iter().position(|row| row.id == row_id) else {
        return;
    };
    if state.rows[index].status != "running" {
        // Cancelled by a restart meanwhile.
        return;
    }
    let deployed = &state.rows[index].deployed;
    let failure = if job.kind == Kind::Application && deployed.is_empty() {
        // packages/server/src/utils/providers/docker.ts: an application without an image
        // cannot be pulled.
        Some("Error: Docker image not found\n".to_owned())
    } else {
        state
            .failing
            .iter()
            .find(|(pattern, _)| deployed.contains(pattern.as_str()))
            .map(|(_, log)| log.clone())
    };
    let status = if failure.is_some() { "error" } else { "done" };
    let git_source = match job.kind {
        Kind::Application => state
            .applications
            .iter()
            .any(|a| a.id == job.service && a.source_type != "docker"),
        Kind::Compose => state
            .composes
            .iter()
            .any(|c| c.id == job.service && c.source_type != "raw"),
    };
    let row = &mut state.rows[index];
    row.status = status.into();
    row.finished_at = Some(jiff::Timestamp::now().to_string());
    row.ended = Some(shared.started.elapsed());
    if let Some(log) = failure {
        row.log.push_str(&log);
    } else {
        row.log.push_str("Deployment finished\n");
    }
    if version >= (0, 25, 7) && git_source {
        row.title = GIT_COMMIT_MESSAGE.into();
        row.description = Some(format!("Commit: {GIT_COMMIT_HASH}"));
    }
    state.jobs.retain(|queued| queued.id != job.id);
    state.set_service_status(job.kind, &job.service, status);
}
