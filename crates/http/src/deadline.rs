//! [`Deadline`]: the end of a phase of work, shared by the clones of a client, so a caller
//! bounds a whole phase (a deploy stage and its polls) without passing a time to every call.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

/// When the current phase of work ends, if one is set; every clone sees the same one.
/// Give it to [`crate::retry::send_before`]: no request, retry or wait runs past it.
#[derive(Clone, Debug, Default)]
pub struct Deadline(Arc<Mutex<Option<Instant>>>);

impl Deadline {
    /// The end of the current phase, if any.
    pub fn get(&self) -> Option<Instant> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the phase to end at `at` until the returned guard is dropped, which puts back
    /// the phase before it.
    #[must_use = "the deadline holds only while the guard lives"]
    pub fn until(&self, at: Instant) -> Phase {
        self.set(Some(at))
    }

    /// No phase deadline until the returned guard is dropped (work that must run even after
    /// the phase's time ran out, such as undoing it).
    #[must_use = "the deadline is lifted only while the guard lives"]
    pub fn lift(&self) -> Phase {
        self.set(None)
    }

    fn set(&self, end: Option<Instant>) -> Phase {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = std::mem::replace(&mut *slot, end);
        Phase {
            deadline: self.clone(),
            previous,
        }
    }
}

/// A phase set by [`Deadline::until`]; dropping it ends the phase.
#[derive(Debug)]
pub struct Phase {
    deadline: Deadline,
    previous: Option<Instant>,
}

impl Drop for Phase {
    fn drop(&mut self) {
        *self
            .deadline
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = self.previous;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn phases_nest_and_clones_share_them() {
        let deadline = Deadline::default();
        let clone = deadline.clone();
        let stage = Instant::now() + Duration::from_secs(60);
        let rollback = stage + Duration::from_secs(60);
        {
            let _stage = deadline.until(stage);
            assert_eq!(clone.get(), Some(stage));
            {
                let _rollback = clone.until(rollback);
                assert_eq!(deadline.get(), Some(rollback));
            }
            assert_eq!(deadline.get(), Some(stage));
            {
                let _undo = deadline.lift();
                assert_eq!(clone.get(), None);
            }
            assert_eq!(deadline.get(), Some(stage));
        }
        assert_eq!(clone.get(), None);
    }
}
