//! Counters kept incrementally on every change, so describing a job costs nothing; a test
//! recounts them from the slots after random operation sequences.

use ota_core::jobs::JobExecutionStatus;

use crate::jobs::model::{AttemptCounts, JobProcessDetails};

use super::slot::Slot;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Things by the status of their latest execution, indexed by [`index`].
    pub(crate) by_status: [u64; 8],
    /// Things notified (slots with an execution).
    pub(crate) notified: u64,
    pub(crate) attempts: AttemptCounts,
}

pub(crate) fn index(s: JobExecutionStatus) -> usize {
    JobExecutionStatus::ALL
        .iter()
        .position(|x| *x == s)
        .unwrap_or(0)
}

impl Counts {
    pub(crate) fn of(&self, s: JobExecutionStatus) -> u64 {
        self.by_status[index(s)]
    }

    pub(crate) fn in_flight(&self) -> u64 {
        self.of(JobExecutionStatus::Queued) + self.of(JobExecutionStatus::InProgress)
    }

    /// Terminal attempts (every execution that ended, retried ones included).
    pub(crate) fn terminal_attempts(&self) -> u64 {
        let a = &self.attempts;
        a.succeeded + a.failed + a.timed_out + a.rejected + a.canceled + a.removed
    }

    pub(crate) fn moved(&mut self, from: Option<JobExecutionStatus>, to: JobExecutionStatus) {
        if let Some(from) = from {
            self.by_status[index(from)] -= 1;
        }
        self.by_status[index(to)] += 1;
        let a = &mut self.attempts;
        match to {
            JobExecutionStatus::Succeeded => a.succeeded += 1,
            JobExecutionStatus::Failed => a.failed += 1,
            JobExecutionStatus::TimedOut => a.timed_out += 1,
            JobExecutionStatus::Rejected => a.rejected += 1,
            JobExecutionStatus::Canceled => a.canceled += 1,
            JobExecutionStatus::Removed => a.removed += 1,
            JobExecutionStatus::Queued => a.executions += 1,
            JobExecutionStatus::InProgress => {}
        }
        if from.is_none() {
            self.notified += 1;
        }
    }

    pub(crate) fn process_details(&self, processing: Option<Vec<String>>) -> JobProcessDetails {
        use JobExecutionStatus::*;
        JobProcessDetails {
            processing_targets: processing,
            number_of_canceled_things: self.of(Canceled),
            number_of_succeeded_things: self.of(Succeeded),
            number_of_failed_things: self.of(Failed),
            number_of_rejected_things: self.of(Rejected),
            number_of_queued_things: self.of(Queued),
            number_of_in_progress_things: self.of(InProgress),
            number_of_removed_things: self.of(Removed),
            number_of_timed_out_things: self.of(TimedOut),
        }
    }

    /// Recount everything from the slots (for tests and consistency checks).
    pub(crate) fn recount<'s>(slots: impl Iterator<Item = &'s Slot>) -> Self {
        let mut c = Self::default();
        for slot in slots {
            let Some(status) = slot.status else { continue };
            c.notified += 1;
            c.by_status[index(status)] += 1;
            let a = &mut c.attempts;
            a.executions += u64::from(slot.execution_number);
            a.failed += u64::from(slot.retries_failed);
            a.timed_out += u64::from(slot.retries_timed_out);
            a.removed += u64::from(slot.rejoins);
            a.failed += u64::from(slot.failed_before_rejoin);
            a.timed_out += u64::from(slot.timed_out_before_rejoin);
            match status {
                JobExecutionStatus::Succeeded => a.succeeded += 1,
                JobExecutionStatus::Failed => a.failed += 1,
                JobExecutionStatus::TimedOut => a.timed_out += 1,
                JobExecutionStatus::Rejected => a.rejected += 1,
                JobExecutionStatus::Canceled => a.canceled += 1,
                JobExecutionStatus::Removed => a.removed += 1,
                JobExecutionStatus::Queued | JobExecutionStatus::InProgress => {}
            }
        }
        c
    }
}
