//! The replies a device parses, read with [`Reader`] by hand: `parse` on
//! [`ExecutionResponse`], [`UpdateResponse`] and [`ErrorResponse`] (with the job document as
//! [`RawJson`]). Each accepts and refuses exactly what the `Deserialize` derive does through
//! [`crate::json::from_slice`] (the tests below compare them), in a fraction of its code.

use super::details::StatusDetails;
use super::error_code::{ErrorCode, ErrorResponse};
use super::response::{ExecutionResponse, ExecutionState, JobExecution, UpdateResponse};
use super::status::JobExecutionStatus;
use super::wire::read as names;
use crate::json::{Error, Fields, JsonStr, RawJson, Reader, Unknown};

/// `null` as `None`, else a `u64`.
fn optional_u64(r: &mut Reader<'_>) -> Result<Option<u64>, Error> {
    if r.null()? {
        return Ok(None);
    }
    r.u64().map(Some)
}

/// `null` as `None`, else any value as its text.
fn optional_raw<'a>(r: &mut Reader<'a>) -> Result<Option<RawJson<'a>>, Error> {
    if r.null()? {
        return Ok(None);
    }
    r.raw().map(Some)
}

fn optional_details<'a>(r: &mut Reader<'a>) -> Result<Option<StatusDetails<'a>>, Error> {
    if r.null()? {
        return Ok(None);
    }
    StatusDetails::read(r).map(Some)
}

fn status(r: &mut Reader<'_>) -> Result<JobExecutionStatus, Error> {
    let names = JobExecutionStatus::ALL.map(JobExecutionStatus::as_str);
    // Without `other`, a name not in the table is refused.
    let index = r.variant(&names, false)?.unwrap_or_default();
    Ok(JobExecutionStatus::ALL[index])
}

fn error_code(r: &mut Reader<'_>) -> Result<ErrorCode, Error> {
    Ok(r.variant(&ErrorCode::KNOWN.map(ErrorCode::as_str), true)?
        .map_or(ErrorCode::Unknown, |i| ErrorCode::KNOWN[i]))
}

const STATE_FIELDS: &[&str] = &["status", "statusDetails", "versionNumber"];

fn execution_state<'a>(r: &mut Reader<'a>) -> Result<Option<ExecutionState<'a>>, Error> {
    if r.null()? {
        return Ok(None);
    }
    let mut fields = Fields::new(STATE_FIELDS);
    let (mut status_now, mut status_details, mut version_number) = (None, None, None);
    let mut object = r.object()?;
    while let Some(key) = r.next_key(&mut object)? {
        match fields.member(r, key, Unknown::Skip)? {
            Some(0) => status_now = Some(status(r)?),
            Some(1) => status_details = optional_details(r)?,
            Some(_) => version_number = Some(r.u64()?),
            None => {}
        }
    }
    Ok(Some(ExecutionState {
        status: fields.required(r, 0, status_now)?,
        status_details,
        version_number: fields.required(r, 2, version_number)?,
    }))
}

const EXECUTION_FIELDS: &[&str] = &[
    "jobId",
    "thingName",
    "jobDocument",
    "status",
    "statusDetails",
    "queuedAt",
    "startedAt",
    "lastUpdatedAt",
    "versionNumber",
    "executionNumber",
    "approximateSecondsBeforeTimedOut",
];

fn execution<'a>(r: &mut Reader<'a>) -> Result<Option<JobExecution<'a, RawJson<'a>>>, Error> {
    if r.null()? {
        return Ok(None);
    }
    let mut fields = Fields::new(EXECUTION_FIELDS);
    let (mut job_id, mut thing_name, mut job_document) = (None, None, None);
    let (mut status_now, mut status_details) = (None, None);
    let (mut queued_at, mut started_at, mut last_updated_at) = (0, None, 0);
    let (mut version_number, mut execution_number, mut timeout) = (None, None, None);
    let mut object = r.object()?;
    while let Some(key) = r.next_key(&mut object)? {
        match fields.member(r, key, Unknown::Skip)? {
            Some(0) => job_id = Some(names::job_id(r)?),
            Some(1) => thing_name = names::thing_name(r)?,
            Some(2) => job_document = optional_raw(r)?,
            Some(3) => status_now = Some(status(r)?),
            Some(4) => status_details = optional_details(r)?,
            Some(5) => queued_at = r.u64()?,
            Some(6) => started_at = optional_u64(r)?,
            Some(7) => last_updated_at = r.u64()?,
            Some(8) => version_number = Some(r.u64()?),
            Some(9) => execution_number = Some(r.u64()?),
            Some(_) => timeout = optional_u64(r)?,
            None => {}
        }
    }
    Ok(Some(JobExecution {
        job_id: fields.required(r, 0, job_id)?,
        thing_name,
        job_document,
        status: fields.required(r, 3, status_now)?,
        status_details,
        queued_at,
        started_at,
        last_updated_at,
        version_number: fields.required(r, 8, version_number)?,
        execution_number: fields.required(r, 9, execution_number)?,
        approximate_seconds_before_timed_out: timeout,
    }))
}

const EXECUTION_RESPONSE_FIELDS: &[&str] = &["clientToken", "timestamp", "execution"];

impl<'a> ExecutionResponse<'a, RawJson<'a>> {
    /// Parse a `notify-next` push or a `$next/get` / `{jobId}/get` accepted reply, with the
    /// job document kept as its text (strict JSON, no allocation, no serde).
    ///
    /// # Errors
    /// The JSON error, e.g. a missing `versionNumber` or an invalid job id.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Reader::read_all(bytes, |r| {
            let mut fields = Fields::new(EXECUTION_RESPONSE_FIELDS);
            let mut reply = ExecutionResponse {
                client_token: None,
                timestamp: 0,
                execution: None,
            };
            let mut object = r.object()?;
            while let Some(key) = r.next_key(&mut object)? {
                match fields.member(r, key, Unknown::Skip)? {
                    Some(0) => reply.client_token = r.optional_string()?,
                    Some(1) => reply.timestamp = r.u64()?,
                    Some(_) => reply.execution = execution(r)?,
                    None => {}
                }
            }
            Ok(reply)
        })
    }
}

const UPDATE_RESPONSE_FIELDS: &[&str] =
    &["clientToken", "timestamp", "executionState", "jobDocument"];

impl<'a> UpdateResponse<'a, RawJson<'a>> {
    /// Parse an `update/accepted` reply, with the job document kept as its text.
    ///
    /// # Errors
    /// The JSON error.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Reader::read_all(bytes, |r| {
            let mut fields = Fields::new(UPDATE_RESPONSE_FIELDS);
            let mut reply = UpdateResponse {
                client_token: None,
                timestamp: 0,
                execution_state: None,
                job_document: None,
            };
            let mut object = r.object()?;
            while let Some(key) = r.next_key(&mut object)? {
                match fields.member(r, key, Unknown::Skip)? {
                    Some(0) => reply.client_token = r.optional_string()?,
                    Some(1) => reply.timestamp = r.u64()?,
                    Some(2) => reply.execution_state = execution_state(r)?,
                    Some(_) => reply.job_document = optional_raw(r)?,
                    None => {}
                }
            }
            Ok(reply)
        })
    }
}

const ERROR_FIELDS: &[&str] = &[
    "clientToken",
    "timestamp",
    "executionState",
    "code",
    "message",
];

impl<'a> ErrorResponse<'a> {
    /// Parse the payload of a `…/rejected` topic.
    ///
    /// # Errors
    /// The JSON error, e.g. a missing `code`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        Reader::read_all(bytes, |r| {
            let mut fields = Fields::new(ERROR_FIELDS);
            let (mut client_token, mut timestamp, mut execution_state) = (None, 0, None);
            let (mut code, mut message) = (None, JsonStr::EMPTY);
            let mut object = r.object()?;
            while let Some(key) = r.next_key(&mut object)? {
                match fields.member(r, key, Unknown::Skip)? {
                    Some(0) => client_token = r.optional_string()?,
                    Some(1) => timestamp = r.u64()?,
                    Some(2) => execution_state = self::execution_state(r)?,
                    Some(3) => code = Some(error_code(r)?),
                    Some(_) => message = r.string()?,
                    None => {}
                }
            }
            Ok(ErrorResponse {
                client_token,
                timestamp,
                execution_state,
                code: fields.required(r, 3, code)?,
                message,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::differential::{apply, compare, edits};

    macro_rules! aws {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/fixtures/aws/", $name, ".json")).as_slice()
        };
    }

    /// AWS's documented execution replies, as written and with escapes, and edge cases.
    const EXECUTIONS: &[&[u8]] = &[
        aws!("notify-next"),
        aws!("notify-next.escaped"),
        aws!("notify-next-afr-ota"),
        aws!("notify-next-afr-ota.escaped"),
        aws!("next-get-accepted"),
        aws!("next-get-accepted.escaped"),
        aws!("get-accepted"),
        aws!("get-accepted.escaped"),
        br#"{"timestamp":1,"execution":null,"clientToken":null}"#,
        br#"{"execution":{"jobId":"j","status":{"QUEUED":null},"versionNumber":1,"executionNumber":2,"thingName":null,"startedAt":null,"jobDocument":null,"statusDetails":null,"approximateSecondsBeforeTimedOut":3}}"#,
        br#"{"execution":{"jobId":"j","status":"IN_PROGRESS","statusDetails":{"a":"b","c\u0064":"\u00e9"},"versionNumber":1,"executionNumber":1,"queuedAt":5,"lastUpdatedAt":6,"startedAt":7,"thingName":"t:1"}}"#,
    ];

    const UPDATES: &[&[u8]] = &[
        aws!("update-accepted"),
        aws!("update-accepted.escaped"),
        br#"{"clientToken":"t","timestamp":1,"executionState":{"status":"SUCCEEDED","versionNumber":4,"statusDetails":{}},"jobDocument":{"a":[1]}}"#,
        br#"{"executionState":null,"jobDocument":null}"#,
    ];

    const ERRORS: &[&[u8]] = &[
        aws!("rejected-InternalError"),
        aws!("rejected-InternalError.escaped"),
        aws!("rejected-InvalidJson"),
        aws!("rejected-InvalidRequest.escaped"),
        aws!("rejected-InvalidStateTransition"),
        aws!("rejected-InvalidStateTransition.escaped"),
        aws!("rejected-InvalidTopic"),
        aws!("rejected-RequestThrottled.escaped"),
        aws!("rejected-ResourceNotFound"),
        aws!("rejected-TerminalStateReached.escaped"),
        aws!("rejected-VersionMismatch"),
        aws!("rejected-VersionMismatch.escaped"),
        br#"{"code":"SomethingNew","message":"x"}"#,
        br#"{"code":{"VersionMismatch":null},"executionState":{"status":"FAILED","versionNumber":2}}"#,
    ];

    type Check = fn(&[u8]) -> Result<(), std::string::String>;

    fn executions(input: &[u8]) -> Result<(), std::string::String> {
        compare(input, ExecutionResponse::<RawJson<'_>>::parse)
    }

    fn updates(input: &[u8]) -> Result<(), std::string::String> {
        compare(input, UpdateResponse::<RawJson<'_>>::parse)
    }

    fn errors(input: &[u8]) -> Result<(), std::string::String> {
        compare(input, ErrorResponse::parse)
    }

    #[test]
    fn documented_replies_read_as_serde_reads_them() {
        for input in EXECUTIONS {
            executions(input).unwrap();
            ExecutionResponse::<RawJson<'_>>::parse(input).unwrap();
        }
        for input in UPDATES {
            updates(input).unwrap();
            UpdateResponse::<RawJson<'_>>::parse(input).unwrap();
        }
        for input in ERRORS {
            errors(input).unwrap();
            ErrorResponse::parse(input).unwrap();
        }
        let unknown = ErrorResponse::parse(ERRORS[12]).unwrap();
        assert_eq!(unknown.code, ErrorCode::Unknown);
        let wrapped = ErrorResponse::parse(ERRORS[13]).unwrap();
        assert_eq!(wrapped.code, ErrorCode::VersionMismatch);
        let reply = ExecutionResponse::<RawJson<'_>>::parse(EXECUTIONS[10]).unwrap();
        let details = reply.execution.unwrap().status_details.unwrap();
        assert_eq!(details.get("cd").unwrap(), "é");
    }

    #[test]
    fn refusals_match_serde() {
        let execution = |extra: &str| {
            std::format!(
                r#"{{"execution":{{"jobId":"j","status":"QUEUED","versionNumber":1,"executionNumber":1{extra}}}}}"#
            )
        };
        for case in [
            execution(r#","jobId":"k""#),
            execution(r#","status":"DONE""#),
            execution(r#","status":{"QUEUED":1}"#),
            execution(r#","queuedAt":null"#),
            execution(r#","queuedAt":-1"#),
            execution(r#","statusDetails":{"a":1}"#),
            execution(r#","statusDetails":{"a":"x","a":"y"}"#),
            execution(r#","statusDetails":{"":"x"}"#),
            execution(r#","thingName":"a b""#),
            std::format!(
                r#"{{"execution":{{"jobId":"{}","status":"QUEUED","versionNumber":1,"executionNumber":1}}}}"#,
                "j".repeat(65)
            ),
            r#"{"execution":{"jobId":"j","status":"QUEUED","versionNumber":1}}"#.into(),
            r#"{"execution":{"jobId":"","status":"QUEUED","versionNumber":1,"executionNumber":1}}"#
                .into(),
            r#"{"timestamp":"1"}"#.into(),
            "[]".into(),
        ] {
            executions(case.as_bytes()).unwrap();
            assert!(
                ExecutionResponse::<RawJson<'_>>::parse(case.as_bytes()).is_err(),
                "{case}"
            );
        }
        for case in [
            &br#"{"message":"m"}"#[..],
            br#"{"code":"X","message":null}"#,
            br#"{"code":1}"#,
            br#"{"code":{"A":null,"B":null}}"#,
            br#"{"code":{"InternalError":null}"#,
            br#"{"code":"X","executionState":{"status":"QUEUED"}}"#,
        ] {
            errors(case).unwrap();
            assert!(ErrorResponse::parse(case).is_err());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn mutated_replies_read_as_serde_reads_them(
            which in 0..EXECUTIONS.len() + UPDATES.len() + ERRORS.len(),
            edits in edits(6),
        ) {
            let (seed, check): (&[u8], Check) =
                if which < EXECUTIONS.len() {
                    (EXECUTIONS[which], executions)
                } else if which < EXECUTIONS.len() + UPDATES.len() {
                    (UPDATES[which - EXECUTIONS.len()], updates)
                } else {
                    (ERRORS[which - EXECUTIONS.len() - UPDATES.len()], errors)
                };
            let input = apply(seed, &edits);
            prop_assert_eq!(check(&input), Ok(()));
            // Every reply is also tried by every parser: a mutation may turn one into another.
            prop_assert_eq!(executions(&input), Ok(()));
            prop_assert_eq!(updates(&input), Ok(()));
            prop_assert_eq!(errors(&input), Ok(()));
        }
    }
}
