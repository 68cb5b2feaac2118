//! Waiting for deployments, by the reference's algorithm: before the trigger, the ids of the
//! service's deployment rows are recorded; afterwards the new row is the one with this
//! trigger's marker title (or, on servers that do not store titles, the newest row that is
//! not in the snapshot). Until it appears the job is queued, which `deployment.queueList`
//! shows on servers that have it; a job that is in neither place for several polls in a row
//! was dropped. Then the row is polled until `done`, `error` or `cancelled`.
//!
//! A git-source compose loses the marker when its deployment ends (v0.25.7+: the commit
//! becomes the title). Its row is normally seen while it runs, still titled; one that ended
//! between two polls is taken by elimination only where that is sound: the queue shows the
//! job has left it, and exactly one new row has ended. Without the queue (before v0.28.3) a
//! job queued just ahead of ours could have left that row, so none is taken.
//!
//! Polls back off from the first interval to the largest (staying at the first while a
//! retitled row is still to be caught); nothing sleeps a fixed time.

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
    /// The service's deployments lose their title when they end (a git-source compose on a
    /// server that retitles).
    pub retitled: bool,
    /// The row, once found.
    pub row: Option<Deployment>,
    /// New rows that ended retitled but could not be claimed: one of them may be ours.
    pub unclaimed: Vec<String>,
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
    /// The time ran out while the job was still queued, and gantry withdrew it with this
    /// procedure (`cleanQueues`): it never ran.
    Withdrawn(String),
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
        retitled: bool,
    ) -> Watch {
        Watch {
            kind,
            id: id.to_owned(),
            marker,
            snapshot,
            triggered_at,
            retitled,
            row: None,
            unclaimed: Vec::new(),
            misses: 0,
            end: None,
        }
    }

    /// Still looking for a row that may lose its title: worth polling often, so that the row
    /// is seen while it runs and still carries the marker.
    fn catching(&self) -> bool {
        self.retitled && self.row.is_none() && self.end.is_none()
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
                Err(ambiguous) => {
                    self.end = Some(End::Failed(ambiguous));
                    return;
                }
                Ok(Some(row)) => row.clone(),
                Ok(None) => {
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

    /// This trigger's row among `rows`, if it has one yet; an error when it cannot be told
    /// apart from other deploys' rows.
    fn pick<'r>(
        &mut self,
        rows: &'r [Deployment],
        queued: Option<bool>,
        titles: bool,
    ) -> Result<Option<&'r Deployment>, String> {
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
            return Ok(new.first().copied());
        }
        if let Some(row) = new
            .iter()
            .find(|row| row.title.as_deref() == Some(self.marker.as_str()))
        {
            return Ok(Some(row));
        }
        // Without the marker a row is ours only by elimination, and only where the marker can
        // have been replaced: a retitled row that ended while the job has provably left the
        // queue (rows appear when a job starts, so it has one by then).
        if !self.retitled {
            return Ok(None);
        }
        let ended: Vec<&Deployment> = new
            .into_iter()
            .filter(|row| row.status.is_final())
            .collect();
        self.unclaimed = ended.iter().map(|row| row.deployment_id.clone()).collect();
        if queued != Some(false) {
            return Ok(None);
        }
        match ended[..] {
            [] => Ok(None),
            [row] => Ok(Some(row)),
            _ => Err(format!(
                "its job has left Dokploy's queue, but deployments {} all ended since the \
                 trigger and Dokploy replaced their titles with the commit: gantry cannot \
                 tell which one was this deploy; check them in Dokploy",
                self.unclaimed.join(", ")
            )),
        }
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
        let mut interval = intervals.next().unwrap_or(poll.max);
        if watches.iter().any(|watch| watch.catching()) {
            interval = poll.first;
        }
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

    /// A watch of an application (never retitled).
    fn watch() -> Watch {
        watch_of(ServiceKind::Application, false)
    }

    /// A watch of a git-source compose on a server that retitles its deployments.
    fn retitled() -> Watch {
        watch_of(ServiceKind::Compose, true)
    }

    fn watch_of(kind: ServiceKind, retitled: bool) -> Watch {
        Watch::new(
            kind,
            "app",
            MARKER.into(),
            HashSet::from(["old".to_owned()]),
            "2026-01-01T12:00:00Z".parse().unwrap(),
            retitled,
        )
    }

    const MARKER: &str = "gantry: deploy api (run 1/1) #1a2b3c4d";

    fn queued(marker: &str) -> Vec<QueueEntry> {
        vec![QueueEntry {
            data: QueueData {
                application_id: Some("app".into()),
                compose_id: Some("app".into()),
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
            row("ours", MARKER, Status::Running, LATER),
            row("old", MARKER, Status::Done, "2026-01-01T11:00:00Z"),
        ];
        watch.observe(&rows, None, true);
        assert_eq!(watch.row.as_ref().unwrap().deployment_id, "ours");
        assert_eq!(watch.end, None);
        let done = [row("ours", MARKER, Status::Done, LATER)];
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
        watch.observe(&[], Some(&queued(MARKER)), true);
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
        let mut watch = retitled();
        let rows = [row("git", "fix: typo (abc123)", Status::Done, LATER)];
        watch.observe(&rows, Some(&queued(MARKER)), true);
        assert!(watch.row.is_none());
        watch.observe(&rows, Some(&[]), true);
        assert_eq!(watch.end, Some(End::Finished(Status::Done)));
        assert_eq!(watch.row.unwrap().deployment_id, "git");
    }

    #[test]
    fn without_the_queue_a_finished_row_without_the_marker_is_never_taken() {
        // v0.25.7–v0.28.2: a deploy queued just ahead of ours ends first, retitled; our job
        // may still be waiting behind it, and nothing can show whether it is.
        let ahead = [row("ahead", "fix: typo", Status::Done, LATER)];
        let mut watch = retitled();
        for _ in 0..5 {
            watch.observe(&ahead, None, true);
        }
        assert!(watch.row.is_none() && watch.end.is_none(), "{watch:?}");
        assert_eq!(watch.unclaimed, ["ahead"]);
        // Ours shows up while it runs, still titled.
        let both = [
            row("ours", MARKER, Status::Running, "2026-01-01T12:00:09Z"),
            ahead[0].clone(),
        ];
        watch.observe(&both, None, true);
        assert_eq!(watch.row.as_ref().unwrap().deployment_id, "ours");
    }

    #[test]
    fn a_service_that_keeps_its_titles_is_found_by_the_marker_only() {
        // An application (or a raw compose) is never retitled: a row without the marker is
        // another deploy's, whatever the queue says.
        let other = [row("other", "Manual deployment", Status::Done, LATER)];
        let mut watch = watch();
        watch.observe(&other, None, true);
        watch.observe(&other, Some(&queued("someone else")), true);
        assert!(watch.row.is_none() && watch.end.is_none(), "{watch:?}");
        assert!(watch.unclaimed.is_empty());
    }

    #[test]
    fn several_retitled_rows_after_the_job_left_the_queue_are_not_guessed_between() {
        let mut watch = retitled();
        let rows = [
            row("a", "fix: typo", Status::Done, LATER),
            row("b", "fix: typo", Status::Done, "2026-01-01T12:00:03Z"),
        ];
        watch.observe(&rows, Some(&queued(MARKER)), true);
        assert_eq!(watch.end, None);
        watch.observe(&rows, Some(&[]), true);
        assert!(
            matches!(&watch.end, Some(End::Failed(why)) if why.contains("deployments b, a")),
            "{watch:?}"
        );
        assert!(watch.row.is_none());
    }

    #[test]
    fn a_vanished_row_fails_the_watch() {
        let mut watch = watch();
        watch.observe(&[row("ours", MARKER, Status::Running, LATER)], None, true);
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
