//! What the gateway refuses before answering: [`Limits`] (the largest payload, and an
//! optional per-thing rate for Jobs requests) and the token buckets that enforce the rate.

use std::collections::HashMap;

/// AWS IoT Core's largest MQTT payload: 128 KiB.
pub const MAX_PAYLOAD: usize = 128 * 1024;

/// A request rate: `per_second` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests a second, on average (at least 1).
    pub per_second: u32,
    /// Requests at once after a quiet spell (at least 1).
    pub burst: u32,
}

/// What the gateway refuses before answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request payload answered; a larger one is dropped without a reply and counted
    /// (`GatewayStats::oversized`), as AWS IoT's broker refuses it before any service sees it.
    pub max_payload: usize,
    /// Jobs requests one thing may make, or `None` for no limit. Over it a request is
    /// `rejected` with `RequestThrottled` (its client token echoed). AWS throttles per account,
    /// not per thing; a per-thing rate keeps one flooding thing from starving the others.
    /// Stream requests are not rate-limited (the Streams API has no throttling code).
    pub jobs_rate: Option<Rate>,
}

impl Default for Limits {
    /// [`MAX_PAYLOAD`], no rate limit.
    fn default() -> Self {
        Self {
            max_payload: MAX_PAYLOAD,
            jobs_rate: None,
        }
    }
}

/// One thing's token bucket, in thousandths of a request.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    milli_tokens: u64,
    at_ms: u64,
}

/// The token buckets of every thing that made a request (one small entry per thing; none
/// without a rate).
#[derive(Debug, Clone, Default)]
pub(super) struct Buckets(HashMap<String, Bucket>);

impl Buckets {
    /// Whether `thing` may make a request at `now_ms` under `rate` (taking one token if so).
    /// A thing starts with a full bucket; time going backwards refills nothing.
    pub(super) fn admit(&mut self, thing: &str, now_ms: u64, rate: Rate) -> bool {
        let capacity = u64::from(rate.burst.max(1)) * 1000;
        let bucket = match self.0.get_mut(thing) {
            Some(bucket) => bucket,
            None => self.0.entry(thing.to_string()).or_insert(Bucket {
                milli_tokens: capacity,
                at_ms: now_ms,
            }),
        };
        // per_second requests a second = per_second thousandths of a request a millisecond.
        let refill = now_ms
            .saturating_sub(bucket.at_ms)
            .saturating_mul(u64::from(rate.per_second.max(1)));
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(refill).min(capacity);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.milli_tokens < 1000 {
            return false;
        }
        bucket.milli_tokens -= 1000;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate {
        per_second: 2,
        burst: 3,
    };

    #[test]
    fn a_burst_then_the_rate() {
        let mut buckets = Buckets::default();
        let admitted = |b: &mut Buckets, at: u64| b.admit("dev-1", at, RATE);
        assert!((0..3).all(|_| admitted(&mut buckets, 0)), "the burst");
        assert!(!admitted(&mut buckets, 0), "over the burst");
        assert!(!admitted(&mut buckets, 499), "not yet a whole token");
        assert!(admitted(&mut buckets, 500), "2 a second: one every 500 ms");
        assert!(!admitted(&mut buckets, 500));
        // A long quiet spell refills the burst, not more.
        let later = 60_000;
        assert_eq!((0..5).filter(|_| admitted(&mut buckets, later)).count(), 3);
    }

    #[test]
    fn things_have_buckets_of_their_own_and_time_never_goes_back() {
        let mut buckets = Buckets::default();
        assert!((0..3).all(|_| buckets.admit("dev-1", 1_000, RATE)));
        assert!(!buckets.admit("dev-1", 1_000, RATE));
        assert!(
            buckets.admit("dev-2", 1_000, RATE),
            "another thing is not held back"
        );
        assert!(
            !buckets.admit("dev-1", 0, RATE),
            "an earlier time refills nothing"
        );
    }
}
