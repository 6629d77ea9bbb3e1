//! Job execution statuses and who may move an execution between them.

use core::fmt;

/// The status of one job execution on one thing.
///
/// Wire form: `QUEUED`, `IN_PROGRESS`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `REJECTED`,
/// `REMOVED`, `CANCELED`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum JobExecutionStatus {
    /// Waiting for the device to start it.
    Queued,
    /// Started by the device.
    InProgress,
    /// Finished successfully (set by the device).
    Succeeded,
    /// Finished unsuccessfully (set by the device); retryable by the job's retry policy.
    Failed,
    /// The in-progress or step timer ran out (set by the service); retryable.
    TimedOut,
    /// The device refused the job (set by the device); not retried.
    Rejected,
    /// The thing left the job's target group or was deleted (set by the service).
    Removed,
    /// The job or this execution was cancelled (set by the service).
    Canceled,
}

use JobExecutionStatus::*;

impl JobExecutionStatus {
    /// Every status, in wire-table order.
    pub const ALL: [Self; 8] = [
        Queued, InProgress, Succeeded, Failed, TimedOut, Rejected, Removed, Canceled,
    ];

    /// The wire name, e.g. `IN_PROGRESS`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Queued => "QUEUED",
            InProgress => "IN_PROGRESS",
            Succeeded => "SUCCEEDED",
            Failed => "FAILED",
            TimedOut => "TIMED_OUT",
            Rejected => "REJECTED",
            Removed => "REMOVED",
            Canceled => "CANCELED",
        }
    }

    /// Parse a wire name; `None` for anything else.
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// True once nothing can change the execution any more (all but `QUEUED`, `IN_PROGRESS`).
    pub const fn is_terminal(self) -> bool {
        !matches!(self, Queued | InProgress)
    }

    /// True for the statuses a device may send in an update: `IN_PROGRESS`, `SUCCEEDED`,
    /// `FAILED`, `REJECTED`.
    pub const fn is_device_settable(self) -> bool {
        matches!(self, InProgress | Succeeded | Failed | Rejected)
    }

    /// True for the statuses a job's retry configuration can retry (`FAILED`, `TIMED_OUT`).
    pub const fn is_retryable(self) -> bool {
        matches!(self, Failed | TimedOut)
    }

    /// Whether a device may move an execution from `self` to `to`, per the AWS IoT Jobs
    /// lifecycle: `QUEUED` → `IN_PROGRESS` | `REJECTED`; `IN_PROGRESS` → `IN_PROGRESS` (a
    /// progress update) | `SUCCEEDED` | `FAILED` | `REJECTED`.
    ///
    /// `QUEUED` → `SUCCEEDED`/`FAILED` directly is not documented by AWS (emulators accept
    /// it); this function says no, so a device built on it always passes through
    /// `IN_PROGRESS`.
    pub const fn device_may_transition(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Queued, InProgress | Rejected)
                | (InProgress, InProgress | Succeeded | Failed | Rejected)
        )
    }

    /// Whether the service may move an execution from `self` to `to`: `QUEUED` →
    /// `CANCELED` | `REMOVED`; `IN_PROGRESS` → `TIMED_OUT` | `REMOVED`, and → `CANCELED`
    /// only when the cancellation is forced.
    pub const fn service_may_transition(self, to: Self, force: bool) -> bool {
        match (self, to) {
            (Queued, Canceled | Removed) | (InProgress, TimedOut | Removed) => true,
            (InProgress, Canceled) => force,
            _ => false,
        }
    }
}

impl fmt::Display for JobExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for status in JobExecutionStatus::ALL {
            assert_eq!(JobExecutionStatus::from_wire(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, std::format!("\"{}\"", status.as_str()));
            let parsed: JobExecutionStatus = crate::json::from_slice(json.as_bytes()).unwrap();
            assert_eq!(parsed, status);
        }
        assert_eq!(JobExecutionStatus::from_wire("in_progress"), None);
    }

    #[test]
    fn device_transitions_follow_the_lifecycle_table() {
        let allowed = [
            (Queued, InProgress),
            (Queued, Rejected),
            (InProgress, InProgress),
            (InProgress, Succeeded),
            (InProgress, Failed),
            (InProgress, Rejected),
        ];
        for from in JobExecutionStatus::ALL {
            for to in JobExecutionStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.device_may_transition(to), expected, "{from} -> {to}");
                if expected {
                    assert!(to.is_device_settable());
                }
            }
        }
    }

    #[test]
    fn terminal_statuses_never_move() {
        for from in JobExecutionStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
        {
            for to in JobExecutionStatus::ALL {
                assert!(!from.device_may_transition(to));
                assert!(!from.service_may_transition(to, true));
            }
        }
    }

    #[test]
    fn service_cancels_in_progress_only_with_force() {
        assert!(!InProgress.service_may_transition(Canceled, false));
        assert!(InProgress.service_may_transition(Canceled, true));
        assert!(Queued.service_may_transition(Canceled, false));
        assert!(InProgress.service_may_transition(TimedOut, false));
        assert!(!Queued.service_may_transition(TimedOut, false));
        assert!(!Queued.service_may_transition(Succeeded, true));
    }
}
