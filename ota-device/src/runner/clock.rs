//! The client's time on tokio's clock.

use ota_core::time::Instant;
use std::prelude::rust_2024::*;

/// Client instants are milliseconds since the runner started, plus one (the client's
/// `Instant` zero is "never").
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    start: tokio::time::Instant,
}

impl Clock {
    pub(super) fn start() -> Self {
        Self {
            start: tokio::time::Instant::now(),
        }
    }

    pub(super) fn now(self) -> Instant {
        Instant::from_millis(self.start.elapsed().as_millis() as u64 + 1)
    }

    /// The tokio instant of a client instant.
    pub(super) fn tokio(self, at: Instant) -> tokio::time::Instant {
        self.start + std::time::Duration::from_millis(at.as_millis().saturating_sub(1))
    }
}
