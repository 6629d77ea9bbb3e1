//! Rollout pacing: which target is notified when.
//!
//! AWS paces *notification*: `maximumPerMinute` things per minute, or an exponential ramp
//! `rate(k) = base × factor^k` whose k-th increase comes when the cumulative notified count
//! reaches `k × numberOfNotifiedThings` or the succeeded count `k × numberOfSucceededThings`.
//! AWS does not say how admissions spread over a minute; [`Pacing`] makes it a setting:
//! [`Pacing::Spread`] (the default) notifies at exactly the rate (the n-th admission of a
//! segment at rate r per minute comes `n × 60 s / r` after the segment starts, and a rate
//! change starts a new segment where the previous interval ends), which reproduces the
//! documented worked example to the second; [`Pacing::PerMinute`] notifies a minute's quota
//! at the start of each minute, as MiniStack does.

use crate::jobs::validate::{MAX_RATE_PER_MINUTE, Ramp};

/// How admissions are spread in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pacing {
    /// Evenly, at the rate.
    #[default]
    Spread,
    /// A minute's quota at the start of each minute from the job's start.
    PerMinute,
}

#[derive(Debug, Clone)]
pub(crate) struct Admission {
    /// Next slot to notify (slots before it have executions).
    pub(crate) next: u32,
    /// Rate-segment start (Unix ms) and admissions in it.
    pub(crate) segment_start: u64,
    pub(crate) in_segment: u64,
    /// Rate increases done so far.
    pub(crate) increases: u32,
    pub(crate) rate: u32,
    /// No more admissions (cancelled, aborted, schedule ended).
    pub(crate) stopped: bool,
    /// The schedule's end was applied.
    pub(crate) ended: bool,
}

impl Admission {
    pub(crate) fn new(start: u64, max_per_minute: u32, ramp: Option<&Ramp>) -> Self {
        let rate = ramp.map_or(max_per_minute, |r| r.base.min(max_per_minute));
        Self {
            next: 0,
            segment_start: start,
            in_segment: 0,
            increases: 0,
            rate,
            stopped: false,
            ended: false,
        }
    }

    /// When the next admission is due (ignoring windows and in-flight limits).
    pub(crate) fn due(&self, pacing: Pacing) -> u64 {
        let rate = u64::from(self.rate.max(1));
        match pacing {
            Pacing::Spread => self.segment_start + self.in_segment * 60_000 / rate,
            Pacing::PerMinute => self.segment_start + (self.in_segment / rate) * 60_000,
        }
    }

    /// Restart pacing at `at` (after a closed window or a blocked in-flight cap).
    pub(crate) fn restart(&mut self, at: u64) {
        self.segment_start = at;
        self.in_segment = 0;
    }

    /// One admission happened (the ramp increase it may trigger:
    /// [`super::job_state::JobState::ramp_up`]).
    pub(crate) fn admitted(&mut self) {
        self.next += 1;
        self.in_segment += 1;
    }

    /// Check the ramp thresholds; `now` is given when the trigger is a success (the new rate
    /// applies from then) rather than an admission (the new rate applies from the end of the
    /// current interval).
    pub(crate) fn maybe_increase(
        &mut self,
        pacing: Pacing,
        ramp: Option<&Ramp>,
        max: u32,
        notified: u64,
        succeeded: u64,
        now: Option<u64>,
    ) {
        let Some(ramp) = ramp else { return };
        let k = u64::from(self.increases) + 1;
        let by_notified = ramp
            .per_notified
            .is_some_and(|n| notified >= k * u64::from(n));
        let by_succeeded = ramp
            .per_succeeded
            .is_some_and(|n| succeeded >= k * u64::from(n));
        if !(by_notified || by_succeeded) {
            return;
        }
        let start = match now {
            Some(now) => now.max(self.segment_start),
            None => self.due(pacing),
        };
        self.increases += 1;
        self.rate = rate(ramp, self.increases, max);
        self.restart(start);
    }
}

/// `min(floor(base × factor^k), max, 1000)`.
pub(crate) fn rate(ramp: &Ramp, k: u32, max: u32) -> u32 {
    let factor = f64::from(ramp.factor_tenths) / 10.0;
    let raw = (f64::from(ramp.base) * factor.powi(k.min(64) as i32)).floor();
    let cap = max.min(MAX_RATE_PER_MINUTE);
    if raw >= f64::from(cap) {
        cap
    } else {
        (raw as u32).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Ramp {
        Ramp {
            base: 50,
            factor_tenths: 20,
            per_notified: Some(1000),
            per_succeeded: None,
        }
    }

    #[test]
    fn documented_rate_table() {
        let r = ramp();
        assert_eq!([0, 1, 2, 3].map(|k| rate(&r, k, 1000)), [50, 100, 200, 400]);
        assert_eq!(rate(&r, 5, 1000), 1000, "1600 capped");
        assert_eq!(rate(&r, 3, 300), 300, "maximumPerMinute caps");
    }

    #[test]
    fn spread_pacing_at_the_rate() {
        let mut a = Admission::new(0, 1000, Some(&ramp()));
        assert_eq!(a.due(Pacing::Spread), 0);
        a.admitted();
        a.maybe_increase(Pacing::Spread, Some(&ramp()), 1000, 1, 0, None);
        assert_eq!(
            a.due(Pacing::Spread),
            1200,
            "50 per minute is one per 1.2 s"
        );
        let mut b = Admission::new(0, 120, None);
        for _ in 0..120 {
            b.admitted();
            b.maybe_increase(Pacing::PerMinute, None, 120, 0, 0, None);
        }
        assert_eq!(b.due(Pacing::PerMinute), 60_000, "the next minute's quota");
    }
}
