//! Executions as the control plane and the device plane see them.

use std::collections::BTreeMap;

use ota_core::jobs::JobExecutionStatus;
use serde::{Deserialize, Serialize};

/// `statusDetails`: string pairs set by the device.
pub type StatusDetails = BTreeMap<String, String>;

/// `DescribeJobExecution` on the control plane (times in Unix seconds).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobExecution {
    /// The job.
    pub job_id: String,
    /// The thing.
    pub thing_name: String,
    /// Current status.
    pub status: JobExecutionStatus,
    /// Set by the device.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub status_details: StatusDetails,
    /// Cancelled while `IN_PROGRESS` (with force).
    pub force_canceled: bool,
    /// Unix seconds.
    pub queued_at: u64,
    /// Unix seconds.
    pub started_at: Option<u64>,
    /// Unix seconds.
    pub last_updated_at: u64,
    /// Which execution of the job on this thing (1 for the first attempt).
    pub execution_number: u64,
    /// Incremented on every update.
    pub version_number: u64,
    /// Retries done before this execution.
    pub retry_attempt: u32,
    /// Seconds before the in-progress or step timer fires.
    pub approximate_seconds_before_timed_out: Option<u64>,
}

/// `ListJobExecutionsForJob` / `ForThing` entries.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobExecutionSummary {
    /// The job.
    pub job_id: String,
    /// The thing.
    pub thing_name: String,
    /// Current status.
    pub status: JobExecutionStatus,
    /// Unix seconds.
    pub queued_at: u64,
    /// Unix seconds.
    pub started_at: Option<u64>,
    /// Unix seconds.
    pub last_updated_at: u64,
    /// Which execution.
    pub execution_number: u64,
    /// Retries done before this execution.
    pub retry_attempt: u32,
}

/// An execution as the device plane returns it (`execution` in replies): the control
/// plane's view, and the job document as raw JSON text when asked for. The wire form leaves
/// out what only an operator sees (`forceCanceled`, `retryAttempt`): the gateway writes only
/// the fields of `ota_core::jobs::JobExecution`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceExecution {
    /// The execution.
    pub execution: JobExecution,
    /// The job document (absent when not asked for).
    pub job_document: Option<String>,
}

/// `executionState`: what an update reply or a rejection carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionState {
    /// Current status.
    pub status: JobExecutionStatus,
    /// Current details.
    pub status_details: StatusDetails,
    /// Current version.
    pub version_number: u64,
}

/// GetPendingJobExecutions: the thing's pending executions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PendingExecutions {
    /// `IN_PROGRESS` ones.
    pub in_progress: Vec<JobExecutionSummary>,
    /// `QUEUED` ones, oldest first.
    pub queued: Vec<JobExecutionSummary>,
}

/// StartNextPendingJobExecution's input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartNext {
    /// Stored when the execution starts.
    pub status_details: StatusDetails,
    /// Minutes for a step timer (1..=10080), or -1 to cancel it.
    pub step_timeout_in_minutes: Option<i64>,
}

/// UpdateJobExecution's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateExecution {
    /// The new status.
    pub status: JobExecutionStatus,
    /// Replaces the execution's details when given.
    pub status_details: Option<StatusDetails>,
    /// Makes the update conditional.
    pub expected_version: Option<u64>,
    /// A specific execution (the latest when absent).
    pub execution_number: Option<u64>,
    /// Return `executionState` in the reply.
    pub include_job_execution_state: bool,
    /// Return the job document in the reply.
    pub include_job_document: bool,
    /// Minutes for a step timer (1..=10080), or -1 to cancel it.
    pub step_timeout_in_minutes: Option<i64>,
}

impl UpdateExecution {
    /// An update to `status` and nothing else.
    pub fn new(status: JobExecutionStatus) -> Self {
        Self {
            status,
            status_details: None,
            expected_version: None,
            execution_number: None,
            include_job_execution_state: false,
            include_job_document: false,
            step_timeout_in_minutes: None,
        }
    }
}

/// UpdateJobExecution's accepted reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// When asked for.
    pub execution_state: Option<ExecutionState>,
    /// When asked for.
    pub job_document: Option<String>,
}
