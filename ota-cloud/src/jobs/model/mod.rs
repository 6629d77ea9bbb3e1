//! The job model, in AWS IoT Jobs' terms and JSON field names.

mod cancel;
mod execution;
mod job;
mod rollout;
mod spec;
mod status_counts;
mod status_fields;
mod target;

pub use cancel::{CancelExecution, CancelJob};
pub use execution::{
    DeviceExecution, ExecutionState, JobExecution, JobExecutionSummary, PendingExecutions,
    StartNext, StatusDetails, UpdateExecution, UpdateOutcome,
};
pub use job::{AttemptCounts, Job, JobProcessDetails, JobStatus};
pub use rollout::{
    AbortAction, AbortConfig, AbortCriteria, Comparator, Denominator, ExponentialRate, FailureType,
    RateIncreaseCriteria, RetryConfig, RetryCriteria, RetryFailureType, RolloutConfig,
    TimeoutConfig,
};
pub use spec::{JobSpec, PresignedUrlConfig, TargetSelection};
pub use status_counts::StatusCounts;
pub use status_fields::{AsFields, StatusNames};
pub use target::{ARN_PREFIX, ArnScope, Target};
