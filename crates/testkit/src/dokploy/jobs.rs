//! The deploy queue: a job waits, takes a slot (FIFO), gets its row, runs, and ends.

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
    let Ok(_slot) = shared.slots.clone().acquire_owned().await else {
        return;
    };
    let version = version_triple(&shared.options.version);
    let Some(row_id) = shared.update(|state| start(state, &job, version, &shared)) else {
        return;
    };
    loop {
        let released = shared.released.notified();
        tokio::pin!(released);
        released.as_mut().enable();
        if !shared.lock().holding.contains(&job.service) {
            break;
        }
        released.await;
    }
    tokio::time::sleep(shared.options.run_time).await;
    shared.update(|state| finish(state, &job, &row_id, &shared));
}

/// The job takes its slot: it turns active and its row appears `running`. `None` when the
/// job was lost meanwhile (a restart).
fn start(
    state: &mut super::state::State,
    job: &Job,
    version: (u64, u64, u64),
    shared: &Shared,
) -> Option<String> {
    let queued = state.jobs.iter_mut().find(|queued| queued.id == job.id)?;
    queued.processed_on = Some(jiff::Timestamp::now().as_millisecond());
    let deployed = state.deployable(job.kind, &job.service).unwrap_or_default();
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

/// The deploy ends `done`, or `error` when its image matches a failing pattern.
fn finish(state: &mut super::state::State, job: &Job, row_id: &str, shared: &Shared) {
    let Some(index) = state.rows.iter().position(|row| row.id == row_id) else {
        return;
    };
    if state.rows[index].status != "running" {
        // Cancelled by a restart meanwhile.
        return;
    }
    let failure = state
        .failing
        .iter()
        .find(|(pattern, _)| state.rows[index].deployed.contains(pattern.as_str()))
        .map(|(_, log)| log.clone());
    let status = if failure.is_some() { "error" } else { "done" };
    let row = &mut state.rows[index];
    row.status = status.into();
    row.finished_at = Some(jiff::Timestamp::now().to_string());
    row.ended = Some(shared.started.elapsed());
    if let Some(log) = failure {
        row.log.push_str(&log);
    } else {
        row.log.push_str("Deployment finished\n");
    }
    state.jobs.retain(|queued| queued.id != job.id);
    state.set_service_status(job.kind, &job.service, status);
}
