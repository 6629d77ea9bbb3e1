//! Counters kept incrementally on every change, so describing a job costs nothing; a test
//! recounts them from the slots after random operation sequences.

use ota_core::jobs::JobExecutionStatus;

use crate::jobs::model::{AttemptCounts, JobProcessDetails, StatusCounts};

use super::slot::Slot;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Things by the status of their latest execution.
    pub(crate) things: StatusCounts,
    /// Things notified (slots with an execution).
    pub(crate) notified: u64,
    pub(crate) attempts: AttemptCounts,
}

impl Counts {
    /// Terminal attempts (every execution that ended, retried ones included).
    pub(crate) fn terminal_attempts(&self) -> u64 {
        self.attempts.ended.terminal()
    }

    /// A thing's latest execution moved from `from` (`None`: the thing's first execution) to
    /// `to`. Does not check that the transition is allowed.
    pub(crate) fn moved(&mut self, from: Option<JobExecutionStatus>, to: JobExecutionStatus) {
        match from {
            Some(from) => self.things[from] -= 1,
            None => self.notified += 1,
        }
        self.things[to] += 1;
        self.attempts.count(to);
    }

    pub(crate) fn process_details(&self, processing: Option<Vec<String>>) -> JobProcessDetails {
        JobProcessDetails {
            processing_targets: processing,
            by_status: self.things,
        }
    }

    /// Recount everything from the slots (for tests and consistency checks).
    pub(crate) fn recount<'s>(slots: impl Iterator<Item = &'s Slot>) -> Self {
        let mut c = Self::default();
        for slot in slots {
            let Some(status) = slot.status else { continue };
            c.notified += 1;
            c.things[status] += 1;
            let a = &mut c.attempts;
            a.executions += u64::from(slot.execution_number);
            a.ended[JobExecutionStatus::Failed] +=
                u64::from(slot.retries_failed) + u64::from(slot.failed_before_rejoin);
            a.ended[JobExecutionStatus::TimedOut] +=
                u64::from(slot.retries_timed_out) + u64::from(slot.timed_out_before_rejoin);
            a.ended[JobExecutionStatus::Removed] += u64::from(slot.rejoins);
            if status.is_terminal() {
                a.ended[status] += 1;
            }
        }
        c
    }
}

impl AttemptCounts {
    /// An execution entered `status`: `QUEUED` is a new execution, a terminal status an
    /// ended one; `IN_PROGRESS` counts nowhere.
    fn count(&mut self, status: JobExecutionStatus) {
        if status == JobExecutionStatus::Queued {
            self.executions += 1;
        } else if status.is_terminal() {
            self.ended[status] += 1;
        }
    }
}
