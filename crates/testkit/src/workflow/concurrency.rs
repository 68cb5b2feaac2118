//! Concurrency groups as GitHub documents them ("Control the concurrency of workflows and
//! jobs"): in a group at most one job (or run) is running and at most one is pending. A newer
//! one that queues cancels the pending one, whatever `cancel-in-progress` says; with
//! `cancel-in-progress: true` it also cancels the running one, which stops before its next step
//! (the simulator cannot kill a step halfway; GitHub can).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The groups of one simulator, shared by its runs.
#[derive(Default)]
pub struct Groups {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    next_ticket: u64,
    groups: BTreeMap<String, Group>,
    /// Tickets told to stop: pending ones leave the queue, running ones stop between steps.
    cancelled: BTreeSet<u64>,
}

#[derive(Default)]
struct Group {
    running: Option<u64>,
    pending: Option<u64>,
}

/// A place in a group, held while the job or run is running.
pub struct Held {
    groups: Arc<Groups>,
    group: String,
    ticket: u64,
}

/// A job or run cancelled while it waited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledWhilePending;

impl Groups {
    /// Queues in `group` and waits for its turn. `on_pending` is called once if it has to wait.
    pub fn enter(
        self: &Arc<Self>,
        group: &str,
        cancel_in_progress: bool,
        on_pending: impl FnOnce(),
    ) -> Result<Held, CancelledWhilePending> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.next_ticket += 1;
        let ticket = state.next_ticket;
        let entry = state.groups.entry(group.to_owned()).or_default();
        let running = entry.running;
        let replaced = entry.pending.replace(ticket);
        if cancel_in_progress && let Some(running) = running {
            state.cancelled.insert(running);
        }
        if let Some(replaced) = replaced {
            state.cancelled.insert(replaced);
        }
        self.changed.notify_all();
        let mut on_pending = Some(on_pending);
        loop {
            if state.cancelled.remove(&ticket) {
                let entry = state.groups.get_mut(group).expect("entered above");
                if entry.pending == Some(ticket) {
                    entry.pending = None;
                }
                self.changed.notify_all();
                return Err(CancelledWhilePending);
            }
            let entry = state.groups.get_mut(group).expect("entered above");
            if entry.running.is_none() && entry.pending == Some(ticket) {
                entry.pending = None;
                entry.running = Some(ticket);
                return Ok(Held {
                    groups: self.clone(),
                    group: group.to_owned(),
                    ticket,
                });
            }
            if let Some(on_pending) = on_pending.take() {
                drop(state);
                on_pending();
                state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Whether something is running in `group`, and whether something is pending.
    pub fn occupancy(&self, group: &str) -> (bool, bool) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.groups.get(group).map_or((false, false), |entry| {
            (entry.running.is_some(), entry.pending.is_some())
        })
    }
}

impl Held {
    /// A newer entry with `cancel-in-progress: true` asked this one to stop.
    pub fn is_cancelled(&self) -> bool {
        let state = self
            .groups
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.cancelled.contains(&self.ticket)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut state = self
            .groups
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.cancelled.remove(&self.ticket);
        if let Some(entry) = state.groups.get_mut(&self.group)
            && entry.running == Some(self.ticket)
        {
            entry.running = None;
        }
        drop(state);
        self.groups.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_newer_entry_cancels_the_pending_one_not_the_running_one() {
        let groups = Arc::new(Groups::default());
        let first = groups.enter("deploy", false, || {}).unwrap();
        std::thread::scope(|scope| {
            let (waiting, waited) = mpsc::channel();
            let second = scope.spawn({
                let groups = groups.clone();
                move || {
                    groups
                        .enter("deploy", false, || waiting.send(()).unwrap())
                        .map(|_| ())
                }
            });
            waited.recv().unwrap();
            assert_eq!(groups.occupancy("deploy"), (true, true));
            let (waiting, waited) = mpsc::channel();
            let third = scope.spawn({
                let groups = groups.clone();
                move || {
                    let held = groups.enter("deploy", false, || waiting.send(()).unwrap());
                    held.map(|held| held.is_cancelled())
                }
            });
            assert_eq!(second.join().unwrap(), Err(CancelledWhilePending));
            waited.recv().unwrap();
            assert!(
                !first.is_cancelled(),
                "cancel-in-progress: false keeps the running one"
            );
            drop(first);
            assert_eq!(third.join().unwrap(), Ok(false));
        });
        assert_eq!(groups.occupancy("deploy"), (false, false));
    }

    #[test]
    fn cancel_in_progress_stops_the_running_one() {
        let groups = Arc::new(Groups::default());
        let first = groups.enter("ci", true, || {}).unwrap();
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                groups
                    .enter("ci", true, || {})
                    .map(|held| held.is_cancelled())
            });
            while !first.is_cancelled() {
                std::thread::yield_now();
            }
            drop(first);
            assert_eq!(second.join().unwrap(), Ok(false));
        });
    }
}
