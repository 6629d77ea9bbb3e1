//! `DescribeJob`'s output: [`Job`], [`JobStatus`], [`JobProcessDetails`], [`AttemptCounts`].

use ota_core::jobs::JobExecutionStatus::{self, *};
use serde::{Deserialize, Serialize};

use super::spec::JobSpec;
use super::status_counts::StatusCounts;
use super::status_fields::{AsFields, StatusNames};

/// A job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Waiting for its `startTime`.
    Scheduled,
    /// Rolling out, or waiting for its executions.
    InProgress,
    /// A snapshot job whose executions are all terminal.
    Completed,
    /// Cancelled, aborted, or ended by its schedule.
    Canceled,
    /// Being deleted.
    DeletionInProgress,
}

impl JobStatus {
    /// Every status, in the order above.
    pub const ALL: [Self; 5] = [
        Self::Scheduled,
        Self::InProgress,
        Self::Completed,
        Self::Canceled,
        Self::DeletionInProgress,
    ];

    /// AWS's name of it (`IN_PROGRESS`, ...), as serialized.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "SCHEDULED",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Canceled => "CANCELED",
            Self::DeletionInProgress => "DELETION_IN_PROGRESS",
        }
    }
}

/// Counts of the job's things by the status of their latest execution, as AWS's
/// `jobProcessDetails` (`numberOfSucceededThings`, …, in AWS's field order). A thing with a
/// retry pending counts once, as `QUEUED`; all attempts are in [`Job::attempts`].
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProcessDetails {
    /// Targets still being rolled out (null once rollout is done).
    pub processing_targets: Option<Vec<String>>,
    /// Things by the status of their latest execution.
    #[serde(flatten, with = "AsFields::<ThingCountNames>")]
    pub by_status: StatusCounts,
}

/// `jobProcessDetails`' counters, in the order AWS writes them.
struct ThingCountNames;

impl StatusNames for ThingCountNames {
    const NAMES: &'static [(JobExecutionStatus, &'static str)] = &[
        (Canceled, "numberOfCanceledThings"),
        (Succeeded, "numberOfSucceededThings"),
        (Failed, "numberOfFailedThings"),
        (Rejected, "numberOfRejectedThings"),
        (Queued, "numberOfQueuedThings"),
        (InProgress, "numberOfInProgressThings"),
        (Removed, "numberOfRemovedThings"),
        (TimedOut, "numberOfTimedOutThings"),
    ];
}

/// *Extension*: executions by terminal status over every attempt, retries included (what AWS's
/// own `numberOf…Things` counters count, which is why they can exceed the number of things).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AttemptCounts {
    /// Executions created (first attempts and retries).
    pub executions: u64,
    /// Attempts by the terminal status they ended with (`QUEUED` and `IN_PROGRESS` stay
    /// zero, and are not written).
    #[serde(flatten, with = "AsFields::<AttemptCountNames>")]
    pub ended: StatusCounts,
}

/// [`AttemptCounts`]' fields after `executions`, in their order.
struct AttemptCountNames;

impl StatusNames for AttemptCountNames {
    const NAMES: &'static [(JobExecutionStatus, &'static str)] = &[
        (Succeeded, "succeeded"),
        (Failed, "failed"),
        (TimedOut, "timedOut"),
        (Rejected, "rejected"),
        (Canceled, "canceled"),
        (Removed, "removed"),
    ];
}

/// A job as `DescribeJob` returns it (times in Unix seconds).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// `arn:aws:iot:…:job/<id>`.
    pub job_arn: String,
    /// Current status.
    pub status: JobStatus,
    /// Who cancelled, and why (`ABORT_CANCEL` for an abort).
    pub reason_code: Option<String>,
    /// Free text about the cancellation.
    pub comment: Option<String>,
    /// Whether `IN_PROGRESS` executions were cancelled too.
    pub force_canceled: bool,
    /// True while the job is rolling out or cancelling executions.
    pub is_concurrent: bool,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds.
    pub last_updated_at: u64,
    /// Unix seconds, once completed or cancelled.
    pub completed_at: Option<u64>,
    /// Counts by thing.
    pub job_process_details: JobProcessDetails,
    /// *Extension*: counts by attempt.
    pub attempts: AttemptCounts,
    /// The next maintenance-window starts (Unix seconds), for scheduled jobs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled_job_rollouts: Vec<u64>,
    /// The configuration it was created with.
    #[serde(flatten)]
    pub spec: JobSpec,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `jobProcessDetails` as AWS's `DescribeJob` writes it, field for field.
    const AWS_DETAILS: &str = concat!(
        r#"{"processingTargets":["arn:aws:iot:eu-west-1:1:thinggroup/g"],"#,
        r#""numberOfCanceledThings":1,"numberOfSucceededThings":2,"numberOfFailedThings":3,"#,
        r#""numberOfRejectedThings":4,"numberOfQueuedThings":5,"numberOfInProgressThings":6,"#,
        r#""numberOfRemovedThings":7,"numberOfTimedOutThings":8}"#
    );

    fn details() -> JobProcessDetails {
        JobProcessDetails {
            processing_targets: Some(vec!["arn:aws:iot:eu-west-1:1:thinggroup/g".into()]),
            by_status: StatusCounts::from([
                (Canceled, 1),
                (Succeeded, 2),
                (Failed, 3),
                (Rejected, 4),
                (Queued, 5),
                (InProgress, 6),
                (Removed, 7),
                (TimedOut, 8),
            ]),
        }
    }

    #[test]
    fn process_details_keep_aws_json() {
        assert_eq!(serde_json::to_string(&details()).unwrap(), AWS_DETAILS);
        let read: JobProcessDetails = serde_json::from_str(AWS_DETAILS).unwrap();
        assert_eq!(read, details());
    }

    #[test]
    fn process_details_without_targets_omit_the_field() {
        let done = JobProcessDetails {
            processing_targets: None,
            ..details()
        };
        let json = serde_json::to_string(&done).unwrap();
        assert_eq!(
            json,
            AWS_DETAILS.replace(
                r#""processingTargets":["arn:aws:iot:eu-west-1:1:thinggroup/g"],"#,
                ""
            )
        );
        assert_eq!(
            serde_json::from_str::<JobProcessDetails>(&json).unwrap(),
            done
        );
    }

    #[test]
    fn attempt_counts_keep_their_json() {
        let attempts = AttemptCounts {
            executions: 9,
            ended: StatusCounts::from([
                (Succeeded, 1),
                (Failed, 2),
                (TimedOut, 3),
                (Rejected, 4),
                (Canceled, 5),
                (Removed, 6),
            ]),
        };
        let json = concat!(
            r#"{"executions":9,"succeeded":1,"failed":2,"timedOut":3,"rejected":4,"#,
            r#""canceled":5,"removed":6}"#
        );
        assert_eq!(serde_json::to_string(&attempts).unwrap(), json);
        assert_eq!(
            serde_json::from_str::<AttemptCounts>(json).unwrap(),
            attempts
        );
    }
}
