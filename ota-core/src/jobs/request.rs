//! Request payloads a device publishes (and a service reads).
//!
//! All fields are optional except `status` on an update; absent options are not written.
//! `expectedVersion` is written as a JSON number (the AWS API type), not as the string
//! coreJobs emits.
//!
//! A `clientToken` is a [`JsonStr`]: read as written and decoded when used, so that a request
//! is never refused for how its token is escaped (`"a\/b"` is the token `a/b`). It is checked
//! when read against the [`ClientToken`] rules on its decoded text (1-64 bytes, too long is
//! [`crate::json::ErrorKind::StringTooLong`]; printable ASCII without `"` or `\`), and
//! written decoded. A device builds one from a [`ClientToken`] (`token.into()`).

use super::details::StatusDetails;
#[cfg(doc)]
use super::names::ClientToken;
use super::status::JobExecutionStatus;
use super::wire;
use crate::json::JsonStr;

/// Longest step timeout AWS accepts, in minutes (7 days).
pub const MAX_STEP_TIMEOUT_MINUTES: i64 = 10_080;

/// `stepTimeoutInMinutes`: 1..=10080 minutes, or `-1` to cancel the current step timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct StepTimeout(i64);

/// A step timeout outside 1..=10080 and not -1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stepTimeoutInMinutes must be 1..=10080 or -1")]
#[non_exhaustive]
pub struct StepTimeoutError;

impl StepTimeout {
    /// `-1`: cancel the running step timer.
    pub const CANCEL: Self = Self(-1);

    /// A step timer of `minutes` minutes.
    ///
    /// # Errors
    /// [`StepTimeoutError`] outside 1..=10080.
    pub const fn minutes(minutes: i64) -> Result<Self, StepTimeoutError> {
        if minutes >= 1 && minutes <= MAX_STEP_TIMEOUT_MINUTES {
            Ok(Self(minutes))
        } else {
            Err(StepTimeoutError)
        }
    }

    /// The wire value.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for StepTimeout {
    type Error = StepTimeoutError;
    fn try_from(v: i64) -> Result<Self, StepTimeoutError> {
        if v == -1 {
            Ok(Self::CANCEL)
        } else {
            Self::minutes(v)
        }
    }
}

impl From<StepTimeout> for i64 {
    fn from(t: StepTimeout) -> Self {
        t.0
    }
}

/// GetPendingJobExecutions, published to `…/jobs/get`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPendingRequest<'a> {
    /// Echoed in the reply: a valid [`ClientToken`] once decoded.
    #[serde(borrow, default, deserialize_with = "wire::client_token")]
    pub client_token: Option<JsonStr<'a>>,
}

/// StartNextPendingJobExecution, published to `…/jobs/start-next`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartNextRequest<'a> {
    /// Stored with the execution when it moves to `IN_PROGRESS`.
    #[serde(borrow)]
    pub status_details: Option<StatusDetails<'a>>,
    /// Starts a step timer.
    pub step_timeout_in_minutes: Option<StepTimeout>,
    /// Echoed in the reply: a valid [`ClientToken`] once decoded.
    #[serde(borrow, default, deserialize_with = "wire::client_token")]
    pub client_token: Option<JsonStr<'a>>,
}

/// DescribeJobExecution, published to `…/jobs/{jobId}/get` (or `$next/get`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRequest<'a> {
    /// A specific execution; the latest when absent.
    pub execution_number: Option<u64>,
    /// Whether the reply carries the job document (the service's default is true).
    pub include_job_document: Option<bool>,
    /// Echoed in the reply: a valid [`ClientToken`] once decoded.
    #[serde(borrow, default, deserialize_with = "wire::client_token")]
    pub client_token: Option<JsonStr<'a>>,
}

/// UpdateJobExecution, published to `…/jobs/{jobId}/update`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRequest<'a> {
    /// The new status; a device may only send `IN_PROGRESS`, `SUCCEEDED`, `FAILED` or
    /// `REJECTED` (the service answers anything else with `InvalidStateTransition`).
    pub status: JobExecutionStatus,
    /// Replaces the execution's `statusDetails`.
    #[serde(borrow)]
    pub status_details: Option<StatusDetails<'a>>,
    /// Makes the update conditional on the stored `versionNumber`.
    pub expected_version: Option<u64>,
    /// A specific execution; the latest when absent.
    pub execution_number: Option<u64>,
    /// Ask for `executionState` in the accepted reply.
    pub include_job_execution_state: Option<bool>,
    /// Ask for `jobDocument` in the accepted reply.
    pub include_job_document: Option<bool>,
    /// Replaces the step timer.
    pub step_timeout_in_minutes: Option<StepTimeout>,
    /// Echoed in the reply: a valid [`ClientToken`] once decoded.
    #[serde(borrow, default, deserialize_with = "wire::client_token")]
    pub client_token: Option<JsonStr<'a>>,
}

impl<'a> UpdateRequest<'a> {
    /// An update to `status` with nothing else set.
    pub const fn new(status: JobExecutionStatus) -> Self {
        Self {
            status,
            status_details: None,
            expected_version: None,
            execution_number: None,
            include_job_execution_state: None,
            include_job_document: None,
            step_timeout_in_minutes: None,
            client_token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{ClientToken, JobExecutionStatus};

    fn write<T: serde::Serialize>(value: &T) -> std::string::String {
        let mut buf = [0u8; 512];
        let n = crate::json::to_slice(value, &mut buf).unwrap();
        let ours = std::string::String::from_utf8(buf[..n].to_vec()).unwrap();
        assert_eq!(
            ours,
            serde_json::to_string(value).unwrap(),
            "serde-json-core and serde_json agree"
        );
        ours
    }

    #[test]
    fn update_builder_matches_core_jobs_shape() {
        // jobs-protocol.md vector 27: {"status":"QUEUED","statusDetails":{…}}, but with a
        // numeric expectedVersion (the AWS API type).
        let mut req = UpdateRequest::new(JobExecutionStatus::InProgress);
        req.status_details = Some(StatusDetails::new().with("receive", "0/2").unwrap());
        assert_eq!(
            write(&req),
            r#"{"status":"IN_PROGRESS","statusDetails":{"receive":"0/2"}}"#
        );
        assert!(
            write(&req).len() <= 77,
            "vector 28: first progress message at most 77 bytes"
        );
        req.expected_version = Some(3);
        req.client_token = Some(ClientToken::new("7:dev-1").unwrap().into());
        req.step_timeout_in_minutes = Some(StepTimeout::minutes(5).unwrap());
        assert_eq!(
            write(&req),
            r#"{"status":"IN_PROGRESS","statusDetails":{"receive":"0/2"},"expectedVersion":3,"stepTimeoutInMinutes":5,"clientToken":"7:dev-1"}"#
        );
        let text = write(&req);
        let parsed: UpdateRequest<'_> = crate::json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(parsed, req);
    }

    #[test]
    fn small_requests() {
        assert_eq!(write(&GetPendingRequest::default()), "{}");
        let describe = DescribeRequest {
            include_job_document: Some(true),
            ..Default::default()
        };
        assert_eq!(write(&describe), r#"{"includeJobDocument":true}"#);
        let start = StartNextRequest {
            step_timeout_in_minutes: Some(StepTimeout::CANCEL),
            ..Default::default()
        };
        assert_eq!(write(&start), r#"{"stepTimeoutInMinutes":-1}"#);
    }

    #[test]
    fn step_timeout_limits() {
        assert!(StepTimeout::minutes(0).is_err());
        assert!(StepTimeout::minutes(10_081).is_err());
        assert!(StepTimeout::try_from(-1).is_ok());
        assert!(StepTimeout::try_from(-2).is_err());
        assert!(
            crate::json::from_slice::<StartNextRequest<'_>>(br#"{"stepTimeoutInMinutes":0}"#)
                .is_err()
        );
    }
}
