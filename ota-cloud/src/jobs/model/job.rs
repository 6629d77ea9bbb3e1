//! `DescribeJob`'s output: [`Job`], [`JobStatus`], [`JobProcessDetails`].

use serde::{Deserialize, Serialize};

use super::spec::JobSpec;

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

/// Counts of the job's things by the status of their latest execution, as AWS's
/// `jobProcessDetails`. A thing with a retry pending counts once, as `QUEUED`; all attempts
/// are in [`Job::attempts`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProcessDetails {
    /// Targets still being rolled out (null once rollout is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_targets: Option<Vec<String>>,
    /// `CANCELED`.
    pub number_of_canceled_things: u64,
    /// `SUCCEEDED`.
    pub number_of_succeeded_things: u64,
    /// `FAILED`.
    pub number_of_failed_things: u64,
    /// `REJECTED`.
    pub number_of_rejected_things: u64,
    /// `QUEUED`.
    pub number_of_queued_things: u64,
    /// `IN_PROGRESS`.
    pub number_of_in_progress_things: u64,
    /// `REMOVED`.
    pub number_of_removed_things: u64,
    /// `TIMED_OUT`.
    pub number_of_timed_out_things: u64,
}

/// *Extension*: executions by terminal status over every attempt, retries included (what AWS's
/// own `numberOf…Things` counters count, which is why they can exceed the number of things).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptCounts {
    /// Executions created (first attempts and retries).
    pub executions: u64,
    /// Attempts that ended `SUCCEEDED`.
    pub succeeded: u64,
    /// Attempts that ended `FAILED`.
    pub failed: u64,
    /// Attempts that ended `TIMED_OUT`.
    pub timed_out: u64,
    /// Attempts that ended `REJECTED`.
    pub rejected: u64,
    /// Attempts that ended `CANCELED`.
    pub canceled: u64,
    /// Attempts that ended `REMOVED`.
    pub removed: u64,
}

/// A job as `DescribeJob` returns it (times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// `arn:aws:iot:…:job/<id>`.
    pub job_arn: String,
    /// Current status.
    pub status: JobStatus,
    /// Who cancelled, and why (`ABORT_CANCEL` for an abort).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// Free text about the cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
