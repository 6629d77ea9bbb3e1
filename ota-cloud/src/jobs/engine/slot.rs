//! One target of one job: its latest execution, packed small (the engine holds a million).

use ota_core::jobs::JobExecutionStatus;

use crate::fleet::ThingId;

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
    /// Unix ms; 0 when unset.
    pub(crate) queued_at: u64,
    pub(crate) started_at: u64,
    pub(crate) last_updated_at: u64,
    /// Absolute deadlines (Unix ms); 0 when not running.
    pub(crate) in_progress_deadline: u64,
    pub(crate) step_deadline: u64,
    /// `statusDetails` as compact JSON, when the device set any.
    pub(crate) details: Option<Box<str>>,
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
            queued_at: 0,
            started_at: 0,
            last_updated_at: 0,
            in_progress_deadline: 0,
            step_deadline: 0,
            details: None,
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
        match (self.in_progress_deadline, self.step_deadline) {
            (0, 0) => None,
            (0, s) => Some(s),
            (p, 0) => Some(p),
            (p, s) => Some(p.min(s)),
        }
    }

    pub(crate) fn details_map(&self) -> crate::jobs::model::StatusDetails {
        self.details
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_stays_small() {
        assert!(
            core::mem::size_of::<Slot>() <= 80,
            "{}",
            core::mem::size_of::<Slot>()
        );
    }
}
