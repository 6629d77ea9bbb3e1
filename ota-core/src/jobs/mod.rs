//! The AWS IoT Jobs MQTT API: topics, request and response payloads, execution statuses.
//!
//! Requests and replies are borrowed, allocation-free serde types. Parse them with
//! [`crate::json::from_slice`] (no allocation) or `serde_json` (with `alloc`); write them with
//! [`crate::json::to_slice`] or `serde_json`. Field names are AWS's (`camelCase`).

mod details;
mod error_code;
mod names;
mod read;
mod request;
mod response;
mod status;
mod topic;
mod wire;
mod write;

pub use details::{
    DEFAULT_DETAILS, DetailsError, MAX_DETAIL_KEY_LEN, MAX_DETAIL_VALUE_LEN, MAX_DETAILS,
    StatusDetails, check_detail, check_details, is_unicode_other,
};
pub use error_code::{ErrorAction, ErrorCode, ErrorResponse};
pub use names::{
    ClientToken, JobId, MAX_CLIENT_TOKEN_LEN, MAX_JOB_ID_LEN, MAX_STREAM_ID_LEN,
    MAX_THING_NAME_LEN, NameError, StreamId, ThingName,
};
pub use request::{
    DescribeRequest, GetPendingRequest, MAX_STEP_TIMEOUT_MINUTES, StartNextRequest, StepTimeout,
    StepTimeoutError, UpdateRequest,
};
pub use response::{
    ExecutionResponse, ExecutionState, GetPendingResponse, JobExecution, JobExecutionSummary,
    MAX_PENDING, NotifyEvent, NotifyNextEvent, PendingJobs, UpdateResponse,
};
pub use status::JobExecutionStatus;
pub(crate) use topic::after_things;
pub use topic::{AWS_ROOT, JobRef, JobTopic, JobsApi, MAX_JOB_TOPIC_LEN, Reply, TopicError};
pub(crate) use wire::read as wire_read;
pub(crate) use wire::{JOB_ID, optional};
