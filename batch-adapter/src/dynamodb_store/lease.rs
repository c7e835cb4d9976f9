//! The lease bookkeeping, all on this process's monotonic clock: when this instance last
//! renewed its own lease (and whether it lapsed), and how long each other owner's beat has
//! been seen unchanged.
//!
//! No instant is ever compared with another machine's clock: an owner fences itself a margin
//! before a full lease has passed since it *sent* its last successful beat, and an observer
//! takes over only once it has seen the same beat for a full lease since it first *received*
//! it. The send precedes the write, which precedes any read of it, so the owner stops first —
//! provided the two clocks run at the same rate to within the margin.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// This instance's own lease.
#[derive(Debug)]
pub(super) struct Lease {
    duration: Duration,
    state: Mutex<Held>,
}

#[derive(Debug)]
struct Held {
    /// When the last beat that renewed the lease was sent (or, before any, when the store was
    /// made: before its first save, so before anyone could see a run of this owner).
    renewed: Instant,
    /// Set once the lease lapsed: it never comes back.
    lost: bool,
}

impl Lease {
    /// A lease of `duration` as of `since`.
    pub(super) fn new(duration: Duration, since: Instant) -> Self {
        Self {
            duration,
            state: Mutex::new(Held {
                renewed: since,
                lost: false,
            }),
        }
    }

    /// How long the lease lasts.
    pub(super) fn duration(&self) -> Duration {
        self.duration
    }

    /// How often the owner beats: three beats per lease, so one lost beat does not fence it.
    pub(super) fn beat_every(&self) -> Duration {
        self.duration / 3
    }

    /// How long before a full lease the owner stops acting for its runs: a quarter of it, for
    /// clock rates that differ and for the time between the fence check and a call reaching
    /// its service.
    pub(super) fn margin(&self) -> Duration {
        self.duration / 4
    }

    /// Whether the lease still holds now; once it lapses (no renewal within lease − margin
    /// of the last), it is lost for good.
    pub(super) fn holds(&self) -> bool {
        self.holds_at(Instant::now())
    }

    fn holds_at(&self, now: Instant) -> bool {
        let mut held = self.lock();
        if !held.lost && now >= held.renewed + (self.duration - self.margin()) {
            held.lost = true;
        }
        !held.lost
    }

    /// A beat sent at `sent` succeeded (its answer arrived now): the lease runs from `sent`,
    /// unless it had already lapsed. Returns whether the lease holds.
    pub(super) fn renewed(&self, sent: Instant) -> bool {
        if !self.holds_at(Instant::now()) {
            return false;
        }
        let mut held = self.lock();
        held.renewed = held.renewed.max(sent);
        true
    }

    /// Gives the lease up (the store is closing): it no longer holds.
    pub(super) fn give_up(&self) {
        self.lock().lost = true;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // The state is two plain fields, valid whatever a panicking holder left.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What this instance has seen of other owners' beats.
#[derive(Debug, Default)]
pub(super) struct Observations {
    seen: Mutex<HashMap<String, Seen>>,
}

#[derive(Debug)]
struct Seen {
    beat: u64,
    /// When this beat was first received.
    since: Instant,
    /// When this owner was last looked at (to forget owners no longer seen).
    looked: Instant,
}

impl Observations {
    /// Whether `owner`, whose beat read `beat` in a read sent at `asked` and answered at
    /// `answered`, has been seen at that beat for `lease` or longer. A beat not seen before
    /// starts the count at `answered` (later than the write it shows).
    pub(super) fn expired(
        &self,
        owner: &str,
        beat: u64,
        asked: Instant,
        answered: Instant,
        lease: Duration,
    ) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Owners not looked at for several leases are forgotten (they finished their runs, or
        // another instance took them over).
        seen.retain(|_, s| answered.saturating_duration_since(s.looked) < lease * 4);
        match seen.get_mut(owner) {
            Some(s) if s.beat == beat => {
                s.looked = answered;
                asked.saturating_duration_since(s.since) >= lease
            }
            _ => {
                seen.insert(
                    owner.to_owned(),
                    Seen {
                        beat,
                        since: answered,
                        looked: answered,
                    },
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(2);

    #[test]
    fn the_lease_lapses_a_margin_before_a_full_lease_and_stays_lost() {
        let start = Instant::now();
        let lease = Lease::new(LEASE, start);
        assert!(lease.holds_at(start + Duration::from_millis(1400)));
        assert!(!lease.holds_at(start + Duration::from_millis(1500)));
        // A beat answered after the lapse does not bring it back.
        assert!(!lease.renewed(start + Duration::from_millis(1000)));
        assert!(!lease.holds_at(start));
    }

    #[test]
    fn a_beat_renews_from_when_it_was_sent() {
        let start = Instant::now();
        let lease = Lease::new(LEASE, start);
        assert!(lease.renewed(start + Duration::from_millis(100)));
        // Only from `start + 100 ms`, however late its answer came.
        assert!(lease.holds_at(start + Duration::from_millis(1550)));
        assert!(!lease.holds_at(start + Duration::from_millis(1600)));
    }

    #[test]
    fn an_owner_expires_after_its_beat_is_seen_unchanged_for_a_lease() {
        let seen = Observations::default();
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert!(!seen.expired("a", 0, at(0), at(10), LEASE), "first sight");
        assert!(!seen.expired("a", 0, at(1500), at(1510), LEASE));
        assert!(!seen.expired("a", 1, at(2100), at(2110), LEASE), "it beat");
        assert!(
            !seen.expired("a", 1, at(4100), at(4105), LEASE),
            "asked < 2110 + lease"
        );
        assert!(seen.expired("a", 1, at(4110), at(4120), LEASE));
        assert!(
            !seen.expired("b", 7, at(4110), at(4120), LEASE),
            "each owner apart"
        );
    }
}
