//! Reconnect waits: [`Backoff`], exponential with full jitter from a seed.

use std::prelude::rust_2024::*;
use std::time::Duration;

/// The wait before each reconnect attempt: drawn uniformly from `[min, cap]` where `cap`
/// starts at `min` and doubles after every failure up to `max` ("full jitter", so that a
/// fleet cut off together does not reconnect together). [`Backoff::reset`] after a
/// successful connection.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    min: Duration,
    max: Duration,
    cap: Duration,
    state: u64,
}

impl Backoff {
    pub(super) fn new(min: Duration, max: Duration, seed: u64) -> Self {
        let max = max.max(min);
        Self {
            min,
            max,
            cap: min,
            state: seed | 1,
        }
    }

    /// The next wait.
    pub(super) fn next_wait(&mut self) -> Duration {
        // xorshift64: enough to spread reconnects; nothing here is secret.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let span = self.cap.saturating_sub(self.min).as_millis() as u64;
        let wait = self.min + Duration::from_millis(self.state % (span + 1));
        self.cap = (self.cap * 2).min(self.max);
        wait
    }

    /// Connected: the next failure waits about `min` again.
    pub(super) fn reset(&mut self) {
        self.cap = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_stay_within_bounds() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(3));
        let mut backoff = Backoff::new(min, max, 7);
        let mut caps = Vec::new();
        for _ in 0..20 {
            caps.push(backoff.cap);
            let wait = backoff.next_wait();
            assert!(wait >= min && wait <= max, "{wait:?}");
        }
        assert_eq!(caps[0], min);
        assert_eq!(caps[1], min * 2);
        assert_eq!(*caps.last().unwrap(), max);
        backoff.reset();
        assert_eq!(backoff.cap, min);
    }

    #[test]
    fn different_seeds_spread_the_waits() {
        let waits = |seed| {
            let mut b = Backoff::new(Duration::from_millis(10), Duration::from_secs(10), seed);
            (0..8).map(|_| b.next_wait()).collect::<Vec<_>>()
        };
        assert_ne!(waits(1), waits(2));
        assert_eq!(waits(3), waits(3));
    }
}
