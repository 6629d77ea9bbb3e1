//! Where the service's time comes from: [`Clock`], the system clock, and a manual clock for
//! tests and simulations. The engine itself never reads a clock.

use std::sync::atomic::{AtomicU64, Ordering};

/// Where [`super::InMemory`] gets the time (Unix ms).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> u64;
}

/// A clock that moves only when told: for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock at `now` (Unix ms).
    pub fn new(now: u64) -> Self {
        Self(AtomicU64::new(now))
    }

    /// Move to `now` (never backwards).
    pub fn set(&self, now: u64) {
        self.0.fetch_max(now, Ordering::SeqCst);
    }

    /// Move forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
