//! The report's JSON names for the execution statuses, and which statuses each counting type
//! writes: the timeline all of them, the totals the terminal ones, a stage's row the terminal
//! ones but `REMOVED` (its `unfinished` column accounts for the rest).

use ota_cloud::jobs::model::StatusNames;
use ota_core::jobs::JobExecutionStatus::{self, *};

/// Every status under its report name, in the report's order: in flight first, then
/// terminal.
const IN_REPORT_ORDER: &[(JobExecutionStatus, &str)] = &[
    (Queued, "queued"),
    (InProgress, "in_progress"),
    (Succeeded, "succeeded"),
    (Failed, "failed"),
    (TimedOut, "timed_out"),
    (Rejected, "rejected"),
    (Canceled, "canceled"),
    (Removed, "removed"),
];

/// The terminal statuses: all but the first two.
const TERMINAL: &[(JobExecutionStatus, &str)] = IN_REPORT_ORDER.split_at(2).1;

/// [`crate::world::Sample`]'s: every status.
pub struct EveryStatus;

impl StatusNames for EveryStatus {
    const NAMES: &'static [(JobExecutionStatus, &'static str)] = IN_REPORT_ORDER;
}

/// [`crate::report::Totals`]': the terminal statuses.
pub struct TerminalStatuses;

impl StatusNames for TerminalStatuses {
    const NAMES: &'static [(JobExecutionStatus, &'static str)] = TERMINAL;
}

/// [`crate::world::StageReport`]'s: the terminal statuses but the last, `REMOVED`.
pub struct StageStatuses;

impl StatusNames for StageStatuses {
    const NAMES: &'static [(JobExecutionStatus, &'static str)] =
        TERMINAL.split_at(TERMINAL.len() - 1).0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses<N: StatusNames>() -> Vec<JobExecutionStatus> {
        N::NAMES.iter().map(|&(s, _)| s).collect()
    }

    #[test]
    fn each_type_writes_its_statuses() {
        assert_eq!(
            statuses::<EveryStatus>().len(),
            JobExecutionStatus::ALL.len()
        );
        assert!(
            statuses::<TerminalStatuses>()
                .iter()
                .all(|s| s.is_terminal())
        );
        assert_eq!(statuses::<TerminalStatuses>().len(), 6);
        assert_eq!(
            statuses::<StageStatuses>(),
            [Succeeded, Failed, TimedOut, Rejected, Canceled]
        );
    }
}
