//! Reply and push payloads a device receives (and a service writes).
//!
//! `JobExecution` and the replies that carry one are generic over the job document type
//! `D`: a device parses [`crate::document::JobDocument`], a tool that only routes replies
//! uses [`serde::de::IgnoredAny`], and a service writing replies uses whatever raw JSON type
//! it holds (e.g. `&serde_json::value::RawValue`).
//!
//! Every string is a [`JsonStr`], read as written and decoded when used, so that a reply is
//! never refused for how the service escaped it: a job id or thing name is checked against
//! its limits on its decoded text ([`JobId::check_json`]; over the limit is
//! [`crate::json::ErrorKind::StringTooLong`]) and made a [`JobId`] with
//! [`JobId::from_json`]; a client token is compared with `==` or
//! [`JsonStr::starts_with`].

use super::details::StatusDetails;
#[cfg(doc)]
use super::names::JobId;
use super::status::JobExecutionStatus;
use super::wire;
use crate::json::JsonStr;

/// Most pending executions a parsed reply or `notify` holds per status (AWS returns at most
/// 10, 15 with scheduling); more is a parse error, not a silent truncation.
pub const MAX_PENDING: usize = 16;

/// `executionState`: the part of an execution an update reply or a rejection carries.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionState<'a> {
    /// Current status.
    pub status: JobExecutionStatus,
    /// Current details.
    #[serde(borrow)]
    pub status_details: Option<StatusDetails<'a>>,
    /// Current version, incremented on every update.
    pub version_number: u64,
}

/// `execution`: one job execution, with its document of type `D`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    deserialize = "D: serde::Deserialize<'de>",
    serialize = "D: serde::Serialize"
))]
pub struct JobExecution<'a, D> {
    /// The job: a valid job id once decoded ([`JobId::from_json`]).
    #[serde(borrow, deserialize_with = "wire::job_id")]
    pub job_id: JsonStr<'a>,
    /// The thing (AWS includes it in some replies): a valid thing name once decoded.
    #[serde(borrow, default, deserialize_with = "wire::thing_name")]
    pub thing_name: Option<JsonStr<'a>>,
    /// The job document (absent when the request asked not to include it).
    pub job_document: Option<D>,
    /// Current status.
    pub status: JobExecutionStatus,
    /// Current details.
    #[serde(borrow)]
    pub status_details: Option<StatusDetails<'a>>,
    /// When the execution was queued (Unix seconds).
    #[serde(default)]
    pub queued_at: u64,
    /// When it went `IN_PROGRESS` (Unix seconds).
    pub started_at: Option<u64>,
    /// Last change (Unix seconds).
    #[serde(default)]
    pub last_updated_at: u64,
    /// Incremented on every update; what `expectedVersion` is compared with.
    pub version_number: u64,
    /// Which execution of this job on this thing (retries get higher numbers).
    pub execution_number: u64,
    /// Seconds left before the in-progress or step timer fires.
    pub approximate_seconds_before_timed_out: Option<u64>,
}

/// A pending execution as listed by `get` and `notify`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobExecutionSummary<'a> {
    /// The job: a valid job id once decoded ([`JobId::from_json`]).
    #[serde(borrow, deserialize_with = "wire::job_id")]
    pub job_id: JsonStr<'a>,
    /// Unix seconds.
    #[serde(default)]
    pub queued_at: u64,
    /// Unix seconds.
    pub started_at: Option<u64>,
    /// Unix seconds.
    #[serde(default)]
    pub last_updated_at: u64,
    /// Current version.
    pub version_number: u64,
    /// Which execution.
    pub execution_number: u64,
}

/// Reply on `…/jobs/get/accepted`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPendingResponse<'a> {
    /// Executions already started.
    #[serde(borrow, default)]
    pub in_progress_jobs: heapless::Vec<JobExecutionSummary<'a>, MAX_PENDING>,
    /// Executions waiting to start.
    #[serde(borrow, default)]
    pub queued_jobs: heapless::Vec<JobExecutionSummary<'a>, MAX_PENDING>,
    /// Unix seconds.
    #[serde(default)]
    pub timestamp: u64,
    /// Echo of the request's token.
    #[serde(borrow)]
    pub client_token: Option<JsonStr<'a>>,
}

/// Reply on `…/start-next/accepted` and `…/{jobId}/get/accepted`, and the `notify-next`
/// push: an optional execution. No `execution` means nothing is pending.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    deserialize = "D: serde::Deserialize<'de>",
    serialize = "D: serde::Serialize"
))]
pub struct ExecutionResponse<'a, D> {
    /// Echo of the request's token (absent on `notify-next`).
    #[serde(borrow)]
    pub client_token: Option<JsonStr<'a>>,
    /// Unix seconds.
    #[serde(default)]
    pub timestamp: u64,
    /// The execution, if any is pending.
    #[serde(borrow, default = "none")]
    pub execution: Option<JobExecution<'a, D>>,
}

fn none<T>() -> Option<T> {
    None
}

/// Reply on `…/{jobId}/update/accepted`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(bound(
    deserialize = "D: serde::Deserialize<'de>",
    serialize = "D: serde::Serialize"
))]
pub struct UpdateResponse<'a, D> {
    /// Echo of the request's token.
    #[serde(borrow)]
    pub client_token: Option<JsonStr<'a>>,
    /// Unix seconds.
    #[serde(default)]
    pub timestamp: u64,
    /// Present when the request set `includeJobExecutionState`.
    #[serde(borrow)]
    pub execution_state: Option<ExecutionState<'a>>,
    /// Present when the request set `includeJobDocument`.
    #[serde(default = "none")]
    pub job_document: Option<D>,
}

/// The pending lists of a `notify` push, by status.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PendingJobs<'a> {
    /// `QUEUED` executions.
    #[serde(
        borrow,
        rename = "QUEUED",
        default,
        skip_serializing_if = "heapless::Vec::is_empty"
    )]
    pub queued: heapless::Vec<JobExecutionSummary<'a>, MAX_PENDING>,
    /// `IN_PROGRESS` executions.
    #[serde(
        borrow,
        rename = "IN_PROGRESS",
        default,
        skip_serializing_if = "heapless::Vec::is_empty"
    )]
    pub in_progress: heapless::Vec<JobExecutionSummary<'a>, MAX_PENDING>,
}

/// The `…/jobs/notify` push (JobExecutionsChanged): sent whenever the pending set changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NotifyEvent<'a> {
    /// Pending executions by status (empty when nothing is pending).
    #[serde(borrow, default)]
    pub jobs: PendingJobs<'a>,
    /// Unix seconds.
    #[serde(default)]
    pub timestamp: u64,
}

/// The `…/jobs/notify-next` push (NextJobExecutionChanged).
pub type NotifyNextEvent<'a, D> = ExecutionResponse<'a, D>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::JobId;
    use serde::de::IgnoredAny;

    type Exec<'a> = ExecutionResponse<'a, IgnoredAny>;

    fn both<'a, T>(json: &'a [u8]) -> T
    where
        T: serde::Deserialize<'a> + PartialEq + core::fmt::Debug,
    {
        let ours: T = crate::json::from_slice(json).unwrap();
        let theirs: T = serde_json::from_slice(json).unwrap();
        assert_eq!(ours, theirs);
        ours
    }

    #[test]
    fn rustot_notify_next_fixture() {
        // jobs-protocol.md vector 26.
        let json = br#"{"timestamp":1587471560,
 "execution":{"jobId":"mini","status":"QUEUED","queuedAt":1587471559,"lastUpdatedAt":1587471559,
              "versionNumber":1,"executionNumber":1,"jobDocument":{"test_job":{}}}}"#;
        let ours: Exec<'_> = crate::json::from_slice(json).unwrap();
        let e = ours.execution.unwrap();
        assert_eq!(e.job_id, "mini");
        assert_eq!(e.status, JobExecutionStatus::Queued);
        assert_eq!((e.version_number, e.execution_number), (1, 1));
        assert!(e.job_document.is_some());
        assert_eq!(ours.timestamp, 1_587_471_560);
    }

    #[test]
    fn rustot_get_pending_fixture() {
        let json = br#"{"clientToken":"0:client_name","timestamp":1587381778,"inProgressJobs":[],
 "queuedJobs":[{"executionNumber":1,"jobId":"test","lastUpdatedAt":1587036256,
                "queuedAt":1587036256,"versionNumber":1}]}"#;
        let r: GetPendingResponse<'_> = both(json);
        assert!(r.in_progress_jobs.is_empty());
        assert_eq!(r.queued_jobs[0].job_id, "test");
        assert_eq!(r.client_token.unwrap(), "0:client_name");
    }

    #[test]
    fn empty_notify_next_means_nothing_pending() {
        let r: ExecutionResponse<'_, IgnoredAny> =
            crate::json::from_slice(br#"{"timestamp":1}"#).unwrap();
        assert!(r.execution.is_none());
    }

    #[test]
    fn ministack_start_next_reply() {
        let json = br#"{"clientToken":"rs-1","timestamp":1795849649,"execution":{"jobId":"rs-job-1","status":"IN_PROGRESS","queuedAt":1795849628,"startedAt":1795849649,"lastUpdatedAt":1795849649,"versionNumber":2,"executionNumber":1,"jobDocument":{"operation":"firmware-update","version":"1.2.3"}}}"#;
        let r: Exec<'_> = crate::json::from_slice(json).unwrap();
        let e = r.execution.unwrap();
        assert_eq!(e.started_at, Some(1_795_849_649));
        assert_eq!(e.version_number, 2);
    }

    #[test]
    fn notify_lists_by_status() {
        let json = br#"{"timestamp":10,"jobs":{"QUEUED":[{"jobId":"a","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1}],"IN_PROGRESS":[{"jobId":"b","queuedAt":1,"startedAt":2,"lastUpdatedAt":2,"versionNumber":2,"executionNumber":1}]}}"#;
        let n: NotifyEvent<'_> = both(json);
        assert_eq!(n.jobs.queued[0].job_id, "a");
        assert_eq!(n.jobs.in_progress[0].started_at, Some(2));
        let empty: NotifyEvent<'_> = both(br#"{"timestamp":11,"jobs":{}}"#);
        assert!(empty.jobs.queued.is_empty());
    }

    #[test]
    fn update_accepted_with_state() {
        let json = br#"{"clientToken":"c","timestamp":5,"executionState":{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.0.1"},"versionNumber":4}}"#;
        let r: UpdateResponse<'_, IgnoredAny> = crate::json::from_slice(json).unwrap();
        let s = r.execution_state.unwrap();
        assert_eq!(s.status, JobExecutionStatus::Succeeded);
        assert_eq!(s.version_number, 4);
    }

    #[test]
    fn service_side_serialization_round_trips() {
        let exec = JobExecution::<'_, serde_json::Value> {
            job_id: JobId::new("j1").unwrap().into(),
            thing_name: None,
            job_document: Some(serde_json::json!({"afr_ota":{"protocols":["MQTT"]}})),
            status: JobExecutionStatus::Queued,
            status_details: None,
            queued_at: 1,
            started_at: None,
            last_updated_at: 1,
            version_number: 1,
            execution_number: 1,
            approximate_seconds_before_timed_out: None,
        };
        let reply = ExecutionResponse {
            client_token: JsonStr::from_plain("t"),
            timestamp: 2,
            execution: Some(exec),
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            text,
            r#"{"clientToken":"t","timestamp":2,"execution":{"jobId":"j1","jobDocument":{"afr_ota":{"protocols":["MQTT"]}},"status":"QUEUED","queuedAt":1,"lastUpdatedAt":1,"versionNumber":1,"executionNumber":1}}"#
        );
        let back: Exec<'_> = crate::json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(back.execution.unwrap().job_id, "j1");
    }

    #[test]
    fn too_many_pending_is_an_error_not_a_truncation() {
        let mut json = std::string::String::from(r#"{"timestamp":1,"queuedJobs":["#);
        for i in 0..=MAX_PENDING {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&std::format!(
                r#"{{"jobId":"j{i}","versionNumber":1,"executionNumber":1}}"#
            ));
        }
        json.push_str("]}");
        assert!(crate::json::from_slice::<GetPendingResponse<'_>>(json.as_bytes()).is_err());
    }
}
