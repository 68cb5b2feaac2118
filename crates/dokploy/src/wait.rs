//! Waiting for deployments, by the reference's algorithm: before the trigger, the ids of the
//! service's deployment rows are recorded; afterwards the new row is the one with this
//! trigger's marker title (or, on servers that do not store titles, the newest row that is
//! not in the snapshot). Until it appears the job is queued, which `deployment.queueList`
//! shows on servers that have it; a job that is in neither place for several polls in a row
//! was dropped. Then the row is polled until `done`, `error` or `cancelled`.
//!
//! Polls back off from the first interval to the largest; nothing sleeps a fixed time.

use std::collections::HashSet;
use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBuilder};
use jiff::Timestamp;
use tokio::time::Instant;

use crate::api::{Deployment, Dokploy, QueueEntry, ServiceKind, Status};

/// Polls in a row that found the job neither queued nor started before it counts as dropped.
pub const DROPPED_AFTER_MISSES: u32 = 3;

/// How far the server's clock may lag behind ours when comparing `createdAt` to the trigger.
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// How often to poll: from `first`, growing by half each time, up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    pub first: Duration,
    pub max: Duration,
}

impl Poll {
    /// `first`, and five times it as the largest interval (2 s → 10 s by default).
    pub fn from_first(first: Duration) -> Poll {
        Poll {
            first,
            max: first.saturating_mul(5),
        }
    }

    /// The intervals between polls, without end.
    pub fn intervals(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.first)
            .with_max_delay(self.max)
            .with_factor(1.5)
            .without_max_times()
            .build()
    }
}

/// One triggered deploy being waited on.
#[derive(Debug, Clone)]
pub struct Watch {
    pub kind: ServiceKind,
    pub id: String,
    /// The deploy's title: `gha:<run>/<attempt>:<targets>#<nonce>`.
    pub marker: String,
    /// Ids of the service's rows before the trigger.
    pub snapshot: HashSet<String>,
    pub triggered_at: Timestamp,
    /// The row, once found.
    pub row: Option<Deployment>,
    misses: u32,
    pub end: Option<End>,
}

/// How waiting on a deploy ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The row reached `done`, `error` or `cancelled`.
    Finished(Status),
    /// Neither a queued job nor a row showed up: the job was lost (Dokploy restarted, or the
    /// queue was cleared).
    Dropped,
    /// The stage's time ran out first.
    TimedOut,
    /// Dokploy could not be asked, or the row vanished.
    Failed(String),
}

impl Watch {
    pub fn new(
        kind: ServiceKind,
        id: &str,
        marker: String,
        snapshot: HashSet<String>,
        triggered_at: Timestamp,
    ) -> Watch {
        Watch {
            kind,
            id: id.to_owned(),
            marker,
            snapshot,
            triggered_at,
            row: None,
            misses: 0,
            end: None,
        }
    }

    /// Folds one look at the service's rows (and the queue, when known) into the watch.
    pub fn observe(&mut self, rows: &[Deployment], queue: Option<&[QueueEntry]>, titles: bool) {
        if self.end.is_some() {
            return;
        }
        let queued = queue.map(|entries| {
            entries
                .iter()
                .any(|entry| entry.is(self.kind, &self.id, &self.marker))
        });
        let row = match &self.row {
            Some(known) => match rows
                .iter()
                .find(|row| row.deployment_id == known.deployment_id)
            {
                Some(row) => row.clone(),
                None => {
                    self.end = Some(End::Failed(format!(
                        "deployment {} disappeared from Dokploy while it ran",
                        known.deployment_id
                    )));
                    return;
                }
            },
            None => match self.pick(rows, queued, titles) {
                Some(row) => row.clone(),
                None => {
                    if queued == Some(false) && titles {
                        self.misses += 1;
                        if self.misses >= DROPPED_AFTER_MISSES {
                            self.end = Some(End::Dropped);
                        }
                    } else {
                        self.misses = 0;
                    }
                    return;
                }
            },
        };
        if row.status.is_final() {
            self.end = Some(End::Finished(row.status.clone()));
        }
        self.row = Some(row);
    }

    /// This trigger's row among `rows`, if it has one yet.
    fn pick<'r>(
        &self,
        rows: &'r [Deployment],
        queued: Option<bool>,
        titles: bool,
    ) -> Option<&'r Deployment> {
        let earliest = self
            .triggered_at
            .checked_sub(CLOCK_SKEW)
            .unwrap_or(self.triggered_at);
        let mut new: Vec<&Deployment> = rows
            .iter()
            .filter(|row| !self.snapshot.contains(&row.deployment_id))
            .filter(|row| {
                row.created_at
                    .as_deref()
                    .and_then(|at| at.parse::<Timestamp>().ok())
                    .is_none_or(|at| at >= earliest)
            })
            .collect();
        // Newest first, whatever order the server used.
        new.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        if !titles {
            return new.first().copied();
        }
        if let Some(row) = new
            .iter()
            .find(|row| row.title.as_deref() == Some(self.marker.as_str()))
        {
            return Some(row);
        }
        // Git sources get their title replaced by the commit message when they finish: a
        // finished new row counts once the queue no longer holds the job.
        if queued != Some(true) {
            return new.into_iter().find(|row| row.status.is_final());
        }
        None
    }
}

/// Polls every unfinished watch until each has ended or `deadline` passes (those still
/// waiting then end [`End::TimedOut`]).
pub async fn await_all(
    dokploy: &Dokploy,
    watches: &mut [&mut Watch],
    deadline: Instant,
    poll: Poll,
) {
    let mut intervals = poll.intervals();
    let titles = dokploy.features().titles;
    let mut warned = false;
    loop {
        // Polls start an interval apart, however long a round of requests takes.
        let round_started = Instant::now();
        let any_queued = watches
            .iter()
            .any(|watch| watch.end.is_none() && watch.row.is_none());
        let queue = if any_queued && dokploy.has_queue() {
            match dokploy.queue().await {
                Ok(queue) => queue,
                Err(error) => {
                    warn_once(&mut warned, &error.to_string());
                    None
                }
            }
        } else {
            None
        };
        for watch in watches.iter_mut().filter(|watch| watch.end.is_none()) {
            match dokploy.deployments(watch.kind, &watch.id).await {
                Ok(rows) => watch.observe(&rows, queue.as_deref(), titles),
                Err(error) if error.is_transient() => warn_once(&mut warned, &error.to_string()),
                Err(error) => watch.end = Some(End::Failed(error.to_string())),
            }
            if let (Some(row), None) = (&watch.row, &watch.end) {
                tracing::debug!(
                    "{} {}: deployment {} is {}",
                    watch.kind.as_str(),
                    watch.id,
                    row.deployment_id,
                    row.status.as_str()
                );
            }
        }
        if watches.iter().all(|watch| watch.end.is_some()) {
            return;
        }
        let now = Instant::now();
        if now >= deadline {
            for watch in watches.iter_mut().filter(|watch| watch.end.is_none()) {
                watch.end = Some(End::TimedOut);
            }
            return;
        }
        let interval = intervals.next().unwrap_or(poll.max);
        tokio::time::sleep_until(deadline.min(round_started + interval)).await;
    }
}

/// Dokploy failing while we poll is worth one warning, not one per poll.
fn warn_once(warned: &mut bool, error: &str) {
    if !*warned {
        tracing::warn!("polling Dokploy failed, still waiting: {error}");
        *warned = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::QueueData;

    fn row(id: &str, title: &str, status: Status, created: &str) -> Deployment {
        Deployment {
            deployment_id: id.into(),
            title: Some(title.into()),
            status,
            created_at: Some(created.into()),
            started_at: None,
            finished_at: None,
            error_message: None,
        }
    }

    fn watch() -> Watch {
        Watch::new(
            ServiceKind::Application,
            "app",
            "gha:1/1:api#x".into(),
            HashSet::from(["old".to_owned()]),
            "2026-01-01T12:00:00Z".parse().unwrap(),
        )
    }

    fn queued(marker: &str) -> Vec<QueueEntry> {
        vec![QueueEntry {
            data: QueueData {
                application_id: Some("app".into()),
                compose_id: None,
                title_log: Some(marker.into()),
            },
            state: Some("waiting".into()),
        }]
    }

    const LATER: &str = "2026-01-01T12:00:01Z";

    #[test]
    fn the_marker_row_wins_over_other_new_rows() {
        let mut watch = watch();
        let rows = [
            row(
                "other",
                "someone else",
                Status::Running,
                "2026-01-01T12:00:05Z",
            ),
            row("ours", "gha:1/1:api#x", Status::Running, LATER),
            row("old", "gha:1/1:api#x", Status::Done, "2026-01-01T11:00:00Z"),
        ];
        watch.observe(&rows, None, true);
        assert_eq!(watch.row.as_ref().unwrap().deployment_id, "ours");
        assert_eq!(watch.end, None);
        let done = [row("ours", "gha:1/1:api#x", Status::Done, LATER)];
        watch.observe(&done, None, true);
        assert_eq!(watch.end, Some(End::Finished(Status::Done)));
    }

    #[test]
    fn without_titles_the_newest_new_row_is_ours() {
        let mut watch = watch();
        let rows = [
            row(
                "old",
                "Manual deployment",
                Status::Done,
                "2026-01-01T11:00:00Z",
            ),
            row("a", "Manual deployment", Status::Running, LATER),
            row(
                "b",
                "Manual deployment",
                Status::Running,
                "2026-01-01T12:00:02Z",
            ),
        ];
        watch.observe(&rows, None, false);
        assert_eq!(watch.row.as_ref().unwrap().deployment_id, "b");
    }

    #[test]
    fn rows_from_before_the_trigger_are_not_ours() {
        let mut watch = watch();
        let stale = [row(
            "x",
            "Manual deployment",
            Status::Done,
            "2026-01-01T10:00:00Z",
        )];
        watch.observe(&stale, None, false);
        assert!(watch.row.is_none());
    }

    #[test]
    fn a_job_in_neither_place_is_dropped_after_several_polls() {
        let mut watch = watch();
        for _ in 0..DROPPED_AFTER_MISSES - 1 {
            watch.observe(&[], Some(&[]), true);
            assert_eq!(watch.end, None);
        }
        // Seen queued again: the count starts over.
        watch.observe(&[], Some(&queued("gha:1/1:api#x")), true);
        for _ in 0..DROPPED_AFTER_MISSES - 1 {
            watch.observe(&[], Some(&queued("someone else")), true);
        }
        assert_eq!(watch.end, None);
        watch.observe(&[], Some(&[]), true);
        assert_eq!(watch.end, Some(End::Dropped));
    }

    #[test]
    fn without_a_queue_nothing_is_called_dropped() {
        let mut watch = watch();
        for _ in 0..10 {
            watch.observe(&[], None, true);
        }
        assert_eq!(watch.end, None);
    }

    #[test]
    fn a_retitled_finished_row_counts_once_the_job_left_the_queue() {
        let mut watch = watch();
        let rows = [row("git", "fix: typo (abc123)", Status::Done, LATER)];
        watch.observe(&rows, Some(&queued("gha:1/1:api#x")), true);
        assert!(watch.row.is_none());
        watch.observe(&rows, Some(&[]), true);
        assert_eq!(watch.end, Some(End::Finished(Status::Done)));
    }

    #[test]
    fn a_vanished_row_fails_the_watch() {
        let mut watch = watch();
        watch.observe(
            &[row("ours", "gha:1/1:api#x", Status::Running, LATER)],
            None,
            true,
        );
        watch.observe(&[], None, true);
        assert!(matches!(watch.end, Some(End::Failed(ref why)) if why.contains("disappeared")));
    }

    #[test]
    fn intervals_grow_to_the_largest() {
        let poll = Poll::from_first(Duration::from_millis(100));
        let intervals: Vec<Duration> = poll.intervals().take(8).collect();
        assert_eq!(intervals[0], Duration::from_millis(100));
        assert!(intervals.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(*intervals.last().unwrap(), Duration::from_millis(500));
    }
}
