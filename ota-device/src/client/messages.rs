//! Routing incoming MQTT messages.

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::jobs::{
    ErrorCode, ErrorResponse, ExecutionResponse, JobExecutionStatus, JobRef, JobTopic, JobsApi,
    Reply, UpdateResponse,
};
use ota_core::json::{JsonStr, RawJson};
use ota_core::streams::{StreamTopic, StreamTopicKind};
use ota_core::time::Instant;

use super::state::{Stage, State};
use super::{Client, CustomJob, codec};
use crate::error::Error;
use crate::storage::{FirmwareSlot, StateStore};
use crate::trust::TrustSource;

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// A message arrived on a subscribed topic (or an `accepted`/`rejected` reply AWS
    /// delivers unasked).
    ///
    /// Returns the job when a job that is not a firmware update arrives: the application
    /// takes it from there and reports with [`Client::report_custom_job`]. This return value
    /// is the only announcement of a custom job (no event): it borrows the payload.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`] (not a Jobs or stream topic of this thing), [`Error::Malformed`]
    /// (unparsable payload), [`Error::Ignored`] (stale, duplicate or for another job). In every
    /// case the message is dropped and the client's state is unchanged.
    pub fn handle_message<'p>(
        &mut self,
        now: Instant,
        topic: &'p str,
        payload: &'p [u8],
    ) -> Result<Option<CustomJob<'p>>, Error> {
        let root = self.config.borrow().topic_root;
        // A block, not a helper function: without logging the firmware stays byte-identical
        // (a helper moved one instruction in the measured build).
        let result = 'route: {
            if let Ok(jobs) = JobTopic::parse_with_root(root, topic) {
                if jobs.thing != self.config.borrow().thing_name {
                    break 'route Err(Error::UnknownTopic);
                }
                break 'route self.on_jobs_message(now, jobs, payload);
            }
            if let Ok(stream) = StreamTopic::parse_with_root(root, topic) {
                if stream.thing != self.config.borrow().thing_name
                    || stream.format != self.config.borrow().stream_format
                {
                    break 'route Err(Error::UnknownTopic);
                }
                break 'route self.on_stream_message(now, stream, payload).map(|()| None);
            }
            if let Some((thing, kind)) = ota_core::freshness::topic::parse(root, topic) {
                if thing != self.config.borrow().thing_name {
                    break 'route Err(Error::UnknownTopic);
                }
                break 'route self.on_latest_message(now, kind, payload).map(|()| None);
            }
            Err(Error::UnknownTopic)
        };
        if_logging! {
            if let Err(e) = &result {
                log_debug!(
                    "ota message dropped ({:?}): topic {} bytes, payload {} bytes",
                    e,
                    topic.len(),
                    payload.len()
                );
            }
        }
        result
    }

    fn on_jobs_message<'p>(
        &mut self,
        now: Instant,
        topic: JobTopic<'p>,
        payload: &'p [u8],
    ) -> Result<Option<CustomJob<'p>>, Error> {
        match (topic.api, topic.reply) {
            (JobsApi::NotifyNext, None) => {
                let (_, execution) = parse_execution(payload)?;
                self.on_notify_next(now, execution)
            }
            (JobsApi::Describe(JobRef::Next), Some(Reply::Accepted)) => {
                let (token, execution) = parse_execution(payload)?;
                // Only the answer to the `$next/get` in flight counts: a late, duplicated or
                // unasked one describes a past moment and changes nothing.
                if !matches!(self.state, State::Describing) || !self.answers(token) {
                    return Err(Error::Ignored);
                }
                self.on_next_reply(now, execution)
            }
            (JobsApi::Describe(JobRef::Next), Some(Reply::Rejected)) => {
                self.on_describe_next_rejected(now, payload).map(|()| None)
            }
            (JobsApi::Describe(JobRef::Id(id)), Some(reply)) if self.is_current(&id) => {
                self.on_describe_reply(now, reply, payload).map(|()| None)
            }
            (JobsApi::Update(id), Some(reply)) if self.is_current(&id) => {
                self.on_update_reply(now, reply, payload).map(|()| None)
            }
            _ => Err(Error::Ignored),
        }
    }

    #[inline(never)]
    fn on_describe_next_rejected(&mut self, now: Instant, payload: &[u8]) -> Result<(), Error> {
        ErrorResponse::parse(payload).map_err(|_| Error::Malformed)?;
        match (&self.state, self.request) {
            (State::Describing, Some(request)) if !request.backing_off => {
                self.retry_later(now);
                Ok(())
            }
            _ => Err(Error::Ignored),
        }
    }

    /// `{jobId}/get/accepted` or `/rejected` for the job in hand: the answer to a probe, or to
    /// a re-describe after `VersionMismatch`.
    #[inline(never)]
    fn on_describe_reply(
        &mut self,
        now: Instant,
        reply: Reply,
        payload: &[u8],
    ) -> Result<(), Error> {
        match reply {
            Reply::Accepted => {
                let (token, execution) = parse_execution(payload)?;
                let execution = execution.ok_or(Error::Malformed)?;
                if self.answers_probe(token) {
                    self.on_probe_answer(now, Some(execution.status));
                    return Ok(());
                }
                self.on_redescribed(now, token, execution.status)
            }
            Reply::Rejected => {
                let error = ErrorResponse::parse(payload).map_err(|_| Error::Malformed)?;
                if self.answers_probe(error.client_token) {
                    match error.code {
                        ErrorCode::ResourceNotFound | ErrorCode::TerminalStateReached => {
                            self.on_probe_answer(now, None);
                        }
                        // Nothing learnt about the job: it goes on.
                        _ => self.clear_probe(),
                    }
                    return Ok(());
                }
                let redescribing = matches!(self.state.stage(), Some(Stage::Redescribing(_)));
                let ours = self
                    .request
                    .is_some_and(|r| self.token_matches(r.token, error.client_token));
                if !redescribing || !ours {
                    return Err(Error::Ignored);
                }
                self.on_update_rejected(now, error.client_token, error.code, None)
            }
        }
    }

    #[inline(never)]
    fn on_update_reply(&mut self, now: Instant, reply: Reply, payload: &[u8]) -> Result<(), Error> {
        match reply {
            Reply::Accepted => {
                let reply =
                    UpdateResponse::<RawJson<'_>>::parse(payload).map_err(|_| Error::Malformed)?;
                self.on_update_accepted(now, reply.client_token)
            }
            Reply::Rejected => {
                let error = ErrorResponse::parse(payload).map_err(|_| Error::Malformed)?;
                let current = error.execution_state.as_ref().map(|s| s.status);
                self.on_update_rejected(now, error.client_token, error.code, current)
            }
        }
    }

    #[inline(never)]
    fn on_stream_message(
        &mut self,
        now: Instant,
        topic: StreamTopic<'_>,
        payload: &[u8],
    ) -> Result<(), Error> {
        let stream_id = topic.stream.as_str();
        match topic.kind {
            StreamTopicKind::Data => {
                // JSON payloads are base64: decode into the scratch buffer, lent out for the
                // call.
                let scratch = core::mem::take(&mut self.scratch);
                let result = match codec::decode_block(
                    self.config.borrow().stream_format,
                    payload,
                    &mut scratch[..],
                ) {
                    Some(block) => self.on_block(now, stream_id, &block),
                    None => Err(Error::Malformed),
                };
                self.scratch = scratch;
                result?;
                self.after_block(now);
                Ok(())
            }
            StreamTopicKind::Rejected => {
                let rejected = codec::decode_rejected(self.config.borrow().stream_format, payload)
                    .ok_or(Error::Malformed)?;
                self.on_stream_rejected(now, stream_id, &rejected.code)
            }
            _ => Err(Error::Ignored),
        }
    }

    /// Bytes of the range asked for by the last [`crate::Event::FetchRange`], in order; may
    /// be called with any chunk size.
    ///
    /// # Errors
    /// [`Error::UnexpectedCall`] outside an HTTP download; [`Error::Ignored`] for bytes that
    /// do not continue where the last ones ended (they are dropped); [`Error::Malformed`]
    /// for bytes past the requested range.
    pub fn handle_http_data(
        &mut self,
        now: Instant,
        offset: u32,
        data: &[u8],
    ) -> Result<(), Error> {
        self.on_http_data(now, offset, data)
    }

    /// The last range could not be fetched; the client retries after a backoff (and fails
    /// the job when retries run out).
    ///
    /// # Errors
    /// [`Error::UnexpectedCall`] outside an HTTP download.
    pub fn handle_http_error(&mut self, now: Instant) -> Result<(), Error> {
        self.on_http_error(now)
    }
}

/// What the client uses of a job execution. Its strings are as written in the payload,
/// compared and copied decoded (a valid job id once decoded: checked by the parser).
#[derive(Debug, Clone, Copy)]
pub(super) struct Execution<'p> {
    pub(super) job_id: JsonStr<'p>,
    pub(super) status: JobExecutionStatus,
    pub(super) version_number: u64,
    pub(super) execution_number: u64,
    pub(super) document: Option<RawJson<'p>>,
}

/// An execution reply (`notify-next`, `$next/get/accepted`): its client token and execution.
/// The whole reply is parsed and checked, in a frame of its own, so that it is not on the
/// stack while the client acts on the execution (a job intake verifies a signature).
#[inline(never)]
fn parse_execution(payload: &[u8]) -> Result<(Option<JsonStr<'_>>, Option<Execution<'_>>), Error> {
    let reply = ExecutionResponse::<RawJson<'_>>::parse(payload).map_err(|_| Error::Malformed)?;
    let execution = reply.execution.map(|e| Execution {
        job_id: e.job_id,
        status: e.status,
        version_number: e.version_number,
        execution_number: e.execution_number,
        document: e.job_document,
    });
    Ok((reply.client_token, execution))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finding "Wire truth" 1: a reply whose job id and client token are written with
    /// escapes is read, and they compare as their decoded text.
    #[test]
    fn escaped_job_id_and_client_token_are_read_decoded() {
        let payload = br#"{"clientToken":"123:dev\u002d1","timestamp":1,"execution":{"jobId":"job\u0031","status":"IN\u005fPROGRESS","queuedAt":1,"lastUpdatedAt":1,"versionNumber":2,"executionNumber":1,"jobDocument":{"a":"\/"}}}"#;
        let (token, execution) = parse_execution(payload).unwrap();
        let token = token.unwrap();
        assert!(token.starts_with("123:"));
        assert!(!token.starts_with("12:"));
        assert_eq!(token, "123:dev-1");
        let e = execution.unwrap();
        assert_eq!(e.job_id, "job1");
        assert_eq!(e.job_id.to_heapless::<64>().unwrap().as_str(), "job1");
        assert_eq!(e.status, JobExecutionStatus::InProgress);
        assert_eq!(e.document.unwrap().get(), r#"{"a":"\/"}"#);
    }

    /// A rejection whose message quotes (`\"`) keeps its code.
    #[test]
    fn escaped_rejection_keeps_its_code() {
        let payload = br#"{"clientToken":"7:t","timestamp":1,"code":"VersionMismatch","message":"expected \"1\", found 3","executionState":{"status":"IN_PROGRESS","versionNumber":3}}"#;
        let error = ErrorResponse::parse(payload).unwrap();
        assert_eq!(error.code, ErrorCode::VersionMismatch);
        assert!(error.client_token.unwrap().starts_with("7:"));
    }
}
