//! The Jobs API answered from the engine: each request read as its wire type, the engine
//! asked, the answer written as the wire reply on the request's `accepted` or `rejected`
//! topic. Publishes nothing itself: the gateway hands the reply to its caller.

use super::{GatewayEngine, Presigner};
use crate::jobs::model::{
    DeviceExecution, ExecutionState, JobExecutionSummary as Summary, StartNext,
    StatusDetails as DetailsMap, UpdateExecution, UpdateOutcome,
};
use crate::{DataPlaneError, Engine, JobSelector};
use ota_core::jobs::{
    self, DescribeRequest, ErrorCode, ErrorResponse, ExecutionResponse, GetPendingRequest,
    GetPendingResponse, JobExecution, JobExecutionSummary, JobId, JobRef, JobTopic, JobsApi, Reply,
    StartNextRequest, StatusDetails, ThingName, UpdateRequest, UpdateResponse,
};
use ota_core::json::JsonStr;
use serde_json::value::RawValue;

use super::{json, seconds};

/// The reply to a Jobs request on `topic`: which reply topic, its payload, and whether the
/// request was malformed. `None` for `notify` and `notify-next`, which are the service's
/// own topics and get no reply.
pub(super) fn reply(
    engine: &mut dyn GatewayEngine,
    topic: &JobTopic<'_>,
    payload: &[u8],
    presigner: Option<&Presigner>,
) -> Option<(Reply, Vec<u8>, bool)> {
    let now = seconds(engine.engine().now());
    let thing = topic.thing.as_str();
    let answer = match topic.api {
        JobsApi::GetPending => get_pending(engine.engine(), thing, now, payload),
        JobsApi::StartNext => start_next(engine, thing, now, payload, presigner),
        JobsApi::Describe(job) => describe(engine.engine(), thing, now, job, payload, presigner),
        JobsApi::Update(id) => update(engine, thing, now, id.as_str(), payload, presigner),
        JobsApi::Notify | JobsApi::NotifyNext => return None,
    };
    Some(match answer {
        Answer::Accepted(payload) => (Reply::Accepted, payload, false),
        Answer::Refused(e, token) => {
            let state = e.execution_state.as_ref();
            let refusal = rejection(now, e.code, token.as_deref(), state);
            (Reply::Rejected, refusal, false)
        }
        Answer::Malformed => {
            let refusal = rejection(now, ErrorCode::InvalidJson, None, None);
            (Reply::Rejected, refusal, true)
        }
    })
}

/// The `notify` payload: the thing's pending executions (`None` for an unknown thing).
pub(super) fn notify_payload(engine: &Engine, thing: &str, now: u64) -> Option<Vec<u8>> {
    let pending = engine.get_pending(thing).ok()?;
    let mut jobs = jobs::PendingJobs::default();
    for s in pending.queued.iter().filter_map(summary) {
        let _ = jobs.queued.push(s);
    }
    for s in pending.in_progress.iter().filter_map(summary) {
        let _ = jobs.in_progress.push(s);
    }
    Some(json(&jobs::NotifyEvent {
        jobs,
        timestamp: now,
    }))
}

/// What a Jobs request gets.
enum Answer {
    /// The `accepted` reply's payload.
    Accepted(Vec<u8>),
    /// The engine refused: its error, and the request's client token.
    Refused(DataPlaneError, Option<String>),
    /// The payload is not the request's JSON.
    Malformed,
}

fn refused(e: DataPlaneError, token: Option<JsonStr<'_>>) -> Answer {
    Answer::Refused(e, token.map(|t| t.to_string()))
}

/// `get`: the thing's pending executions.
fn get_pending(engine: &Engine, thing: &str, now: u64, payload: &[u8]) -> Answer {
    let Ok(req) = serde_json::from_slice::<GetPendingRequest<'_>>(payload) else {
        return Answer::Malformed;
    };
    let token = req.client_token;
    match engine.get_pending(thing) {
        Ok(pending) => {
            let mut reply = GetPendingResponse {
                client_token: token,
                timestamp: now,
                ..GetPendingResponse::default()
            };
            for s in pending.in_progress.iter().filter_map(summary) {
                let _ = reply.in_progress_jobs.push(s);
            }
            for s in pending.queued.iter().filter_map(summary) {
                let _ = reply.queued_jobs.push(s);
            }
            Answer::Accepted(json(&reply))
        }
        Err(e) => refused(e, token),
    }
}

/// `start-next`: start the thing's next execution, if any.
fn start_next(
    engine: &mut dyn GatewayEngine,
    thing: &str,
    now: u64,
    payload: &[u8],
    presigner: Option<&Presigner>,
) -> Answer {
    let Ok(req) = serde_json::from_slice::<StartNextRequest<'_>>(payload) else {
        return Answer::Malformed;
    };
    let token = req.client_token;
    let request = StartNext {
        status_details: req.status_details.as_ref().map(owned).unwrap_or_default(),
        step_timeout_in_minutes: req.step_timeout_in_minutes.map(|s| s.get()),
    };
    match engine.start_next(thing, &request) {
        Ok(execution) => {
            Answer::Accepted(execution_reply(token, now, execution.as_ref(), presigner))
        }
        Err(e) => refused(e, token),
    }
}

/// `<job>/get`: one execution of the thing, or its next.
fn describe(
    engine: &Engine,
    thing: &str,
    now: u64,
    job: JobRef<'_>,
    payload: &[u8],
    presigner: Option<&Presigner>,
) -> Answer {
    let Ok(req) = serde_json::from_slice::<DescribeRequest<'_>>(payload) else {
        return Answer::Malformed;
    };
    let token = req.client_token;
    let selector = match job {
        JobRef::Next => JobSelector::Next,
        JobRef::Id(id) => JobSelector::Id(id.as_str()),
    };
    match engine.describe_execution(
        thing,
        selector,
        req.execution_number,
        req.include_job_document.unwrap_or(true),
    ) {
        Ok(execution) => {
            Answer::Accepted(execution_reply(token, now, execution.as_ref(), presigner))
        }
        Err(e) => refused(e, token),
    }
}

/// `<job>/update`: the device's status update.
fn update(
    engine: &mut dyn GatewayEngine,
    thing: &str,
    now: u64,
    job_id: &str,
    payload: &[u8],
    presigner: Option<&Presigner>,
) -> Answer {
    let Ok(req) = serde_json::from_slice::<UpdateRequest<'_>>(payload) else {
        return Answer::Malformed;
    };
    let update = UpdateExecution {
        status: req.status,
        status_details: req.status_details.as_ref().map(owned),
        expected_version: req.expected_version,
        execution_number: req.execution_number,
        include_job_execution_state: req.include_job_execution_state.unwrap_or(false),
        include_job_document: req.include_job_document.unwrap_or(false),
        step_timeout_in_minutes: req.step_timeout_in_minutes.map(|s| s.get()),
    };
    match engine.update_execution(thing, job_id, &update) {
        Ok(outcome) => Answer::Accepted(update_reply(req.client_token, now, &outcome, presigner)),
        Err(e) => refused(e, req.client_token),
    }
}

/// A job document for the wire, its pre-signing placeholders replaced when a presigner is
/// set. Only the document is rewritten: what the device wrote (status details, client
/// token) is echoed as it came, so a device cannot have a URL signed by putting a
/// placeholder there.
fn wire_document(document: &str, presigner: Option<&Presigner>) -> Option<Box<RawValue>> {
    let text = presigner.map_or_else(|| document.to_string(), |p| p.document(document));
    RawValue::from_string(text).ok()
}

fn update_reply(
    token: Option<JsonStr<'_>>,
    now: u64,
    outcome: &UpdateOutcome,
    presigner: Option<&Presigner>,
) -> Vec<u8> {
    let document = outcome
        .job_document
        .as_deref()
        .and_then(|d| wire_document(d, presigner));
    json(&UpdateResponse {
        client_token: token,
        timestamp: now,
        execution_state: outcome.execution_state.as_ref().map(wire_state),
        job_document: document.as_deref(),
    })
}

/// The `rejected` reply to a request over the thing's rate: `RequestThrottled`, with the
/// request's client token when its payload has one.
pub(super) fn throttled(now: u64, payload: &[u8]) -> Vec<u8> {
    let request = serde_json::from_slice::<GetPendingRequest<'_>>(payload).ok();
    let token = request.and_then(|r| r.client_token).map(|t| t.to_string());
    rejection(now, ErrorCode::RequestThrottled, token.as_deref(), None)
}

/// The `rejected` reply: `code`, with the execution's state when the engine gave it.
fn rejection(
    now: u64,
    code: ErrorCode,
    token: Option<&str>,
    state: Option<&ExecutionState>,
) -> Vec<u8> {
    json(&ErrorResponse {
        client_token: token.map(JsonStr::text),
        timestamp: now,
        execution_state: state.map(wire_state),
        code,
        message: JsonStr::from_plain(code.as_str()).unwrap_or_default(),
    })
}

/// An execution, or none, as the reply to `start-next`, `<job>/get` and `notify-next`.
pub(super) fn execution_reply(
    token: Option<JsonStr<'_>>,
    now: u64,
    execution: Option<&DeviceExecution>,
    presigner: Option<&Presigner>,
) -> Vec<u8> {
    let document = execution
        .and_then(|e| e.job_document.as_deref())
        .and_then(|d| wire_document(d, presigner));
    let wire = execution.and_then(|DeviceExecution { execution: e, .. }| {
        Some(JobExecution {
            job_id: JobId::new(&e.job_id).ok()?.into(),
            thing_name: ThingName::new(&e.thing_name).ok().map(JsonStr::from),
            job_document: document.as_deref(),
            status: e.status,
            status_details: details(&e.status_details),
            queued_at: e.queued_at,
            started_at: e.started_at,
            last_updated_at: e.last_updated_at,
            version_number: e.version_number,
            execution_number: e.execution_number,
            approximate_seconds_before_timed_out: e.approximate_seconds_before_timed_out,
        })
    });
    json(&ExecutionResponse {
        client_token: token,
        timestamp: now,
        execution: wire,
    })
}

/// An execution's state as the wire type.
fn wire_state(s: &ExecutionState) -> jobs::ExecutionState<'_> {
    jobs::ExecutionState {
        status: s.status,
        status_details: details(&s.status_details),
        version_number: s.version_number,
    }
}

/// A pending-list entry as the wire type (`None` for a job id the wire type refuses).
fn summary(s: &Summary) -> Option<JobExecutionSummary<'_>> {
    JobId::new(&s.job_id)
        .ok()
        .map(|job_id| JobExecutionSummary {
            job_id: job_id.into(),
            queued_at: s.queued_at,
            started_at: s.started_at,
            last_updated_at: s.last_updated_at,
            version_number: 0,
            execution_number: s.execution_number,
        })
}

/// `statusDetails` as the wire type (entries the wire type refuses are left out).
fn details(map: &DetailsMap) -> Option<StatusDetails<'_>> {
    let mut d = StatusDetails::new();
    for (k, v) in map {
        let _ = d.insert(k, v);
    }
    (!d.is_empty()).then_some(d)
}

/// A request's `statusDetails` as the engine's map.
fn owned(d: &StatusDetails<'_>) -> DetailsMap {
    d.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
