//! One target of one job: its latest execution, packed small (the engine holds a million).
//!
//! A slot is 56 bytes: times in 48 bits, and `statusDetails` kept beside the slots (in
//! [`super::job_state::JobState`]'s slab), the slot holding a 4-byte handle.

use ota_core::jobs::JobExecutionStatus;

use crate::fleet::ThingId;

/// A Unix time in ms held in 48 bits, up to the year 10889 (later times saturate there).
/// Two-byte aligned, so five of them pack into a slot without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Millis([u16; 3]);

impl Millis {
    /// The latest time held: 2^48 - 1 ms after 1970.
    pub(crate) const MAX: u64 = (1 << 48) - 1;
    /// "Unset".
    pub(crate) const ZERO: Self = Self([0; 3]);

    /// `ms`, or [`Millis::MAX`] if it is later.
    pub(crate) fn new(ms: u64) -> Self {
        let ms = ms.min(Self::MAX);
        Self([ms as u16, (ms >> 16) as u16, (ms >> 32) as u16])
    }

    pub(crate) fn get(self) -> u64 {
        u64::from(self.0[0]) | u64::from(self.0[1]) << 16 | u64::from(self.0[2]) << 32
    }
}

/// A target's execution state. `status == None` means the target has not been notified yet
/// (no execution exists).
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) thing: ThingId,
    pub(crate) status: Option<JobExecutionStatus>,
    pub(crate) force_canceled: bool,
    pub(crate) retries_failed: u8,
    pub(crate) retries_timed_out: u8,
    /// Executions ended `REMOVED` and started over when the thing rejoined, and the failed
    /// and timed-out attempts before that (for recounts; the retry budget restarts).
    pub(crate) rejoins: u8,
    pub(crate) failed_before_rejoin: u8,
    pub(crate) timed_out_before_rejoin: u8,
    pub(crate) execution_number: u32,
    pub(crate) version_number: u32,
    /// 0 when unset.
    pub(crate) queued_at: Millis,
    pub(crate) started_at: Millis,
    pub(crate) last_updated_at: Millis,
    /// Absolute deadlines; 0 when not running.
    pub(crate) in_progress_deadline: Millis,
    pub(crate) step_deadline: Millis,
    /// `statusDetails`' handle in the job's slab, 0 for none. Cleared through
    /// [`super::job_state::JobState::clear_details`] before the slot is reset.
    pub(crate) details: u32,
}

impl Slot {
    pub(crate) fn new(thing: ThingId) -> Self {
        Self {
            thing,
            status: None,
            force_canceled: false,
            retries_failed: 0,
            retries_timed_out: 0,
            rejoins: 0,
            failed_before_rejoin: 0,
            timed_out_before_rejoin: 0,
            execution_number: 0,
            version_number: 0,
            queued_at: Millis::ZERO,
            started_at: Millis::ZERO,
            last_updated_at: Millis::ZERO,
            in_progress_deadline: Millis::ZERO,
            step_deadline: Millis::ZERO,
            details: 0,
        }
    }

    /// QUEUED or IN_PROGRESS.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(
            self.status,
            Some(JobExecutionStatus::Queued | JobExecutionStatus::InProgress)
        )
    }

    /// The deadline the timer must fire at (the step timer never beyond the in-progress one).
    pub(crate) fn deadline(&self) -> Option<u64> {
        match (self.in_progress_deadline.get(), self.step_deadline.get()) {
            (0, 0) => None,
            (0, s) => Some(s),
            (p, 0) => Some(p),
            (p, s) => Some(p.min(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_stays_small() {
        assert_eq!(core::mem::size_of::<Slot>(), 56);
    }

    #[test]
    fn millis_hold_48_bits_and_saturate_beyond() {
        for ms in [0, 1, 1_800_000_000_000, 0xFFFF, 0x1_0000, Millis::MAX] {
            assert_eq!(Millis::new(ms).get(), ms);
        }
        assert_eq!(Millis::new(Millis::MAX + 1).get(), Millis::MAX);
        assert_eq!(Millis::new(u64::MAX).get(), Millis::MAX);
        assert_eq!(Millis::ZERO.get(), 0);
    }
}
