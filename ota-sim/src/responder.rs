//! The service side of the MQTT APIs: Jobs answered from the engine, Streams answered from
//! the release images. Requests arrive as bytes and replies leave as bytes, written and read
//! with `ota-core`'s wire types, exactly what a device would see from AWS IoT.

use std::collections::BTreeMap;
use std::sync::Arc;

use ota_cloud::jobs::model::{
    DeviceExecution, ExecutionState, StartNext, StatusDetails as DetailsMap, UpdateExecution,
};
use ota_cloud::{DataPlaneError, Engine, JobSelector, Notification, NotificationKind};
use ota_core::jobs::{
    self, DescribeRequest, ErrorCode, ErrorResponse, ExecutionResponse, GetPendingRequest,
    GetPendingResponse, JobExecution, JobExecutionSummary, JobId, JobRef, JobTopic, JobsApi, Reply,
    StartNextRequest, StatusDetails, ThingName, UpdateRequest, UpdateResponse,
};
use ota_core::json::JsonStr;
use ota_core::streams::{DataBlock, Format, GetStreamRequest, StreamTopic, StreamTopicKind};
use serde_json::value::RawValue;

use crate::net::Message;
use crate::rng::SimRng;

/// Counts of what the service answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResponderStats {
    /// Jobs requests answered.
    pub jobs_requests: u64,
    /// Stream requests answered.
    pub stream_requests: u64,
    /// Data blocks sent.
    pub blocks: u64,
    /// Data blocks corrupted in transit (fault injection).
    pub corrupted_blocks: u64,
    /// Requests refused as malformed.
    pub malformed: u64,
}

/// Jobs and Streams over MQTT, in front of the engine.
#[derive(Debug, Default)]
pub struct Responder {
    root: String,
    streams: BTreeMap<String, Arc<[u8]>>,
    tampered: BTreeMap<String, Arc<[u8]>>,
    /// What was answered.
    pub stats: ResponderStats,
}

fn json(value: &impl serde::Serialize) -> Vec<u8> {
    // The wire types serialize infallibly into memory.
    serde_json::to_vec(value).unwrap_or_default()
}

fn seconds(ms: u64) -> u64 {
    ms / 1000
}

impl Responder {
    /// A responder under topic root `root` (`$aws`).
    pub fn new(root: &str) -> Self {
        Self {
            root: root.to_string(),
            ..Self::default()
        }
    }

    /// Serve `image` as file 0 of stream `stream`.
    pub fn add_stream(&mut self, stream: &str, image: Arc<[u8]>) {
        self.streams.insert(stream.to_string(), image);
    }

    /// Serve `thing` a tampered copy of every stream (fault injection: the bytes at the
    /// source are not the signed ones).
    pub fn tamper_for(&mut self, thing: &str, image: Arc<[u8]>) {
        self.tampered.insert(thing.to_string(), image);
    }

    /// A publish from `thing`; replies are appended to `out`.
    pub fn handle(
        &mut self,
        engine: &mut Engine,
        thing: &str,
        message: &Message,
        rng: &mut SimRng,
        corrupt: f64,
        out: &mut Vec<Message>,
    ) {
        if let Ok(topic) = JobTopic::parse_with_root(&self.root, &message.topic) {
            if topic.thing.as_str() == thing && topic.reply.is_none() {
                self.stats.jobs_requests += 1;
                self.jobs(engine, topic, &message.payload, out);
            }
            return;
        }
        if let Ok(topic) = StreamTopic::parse_with_root(&self.root, &message.topic)
            && topic.thing.as_str() == thing
            && topic.kind == StreamTopicKind::Get
        {
            self.stats.stream_requests += 1;
            self.stream(topic, &message.payload, rng, corrupt, out);
        }
    }

    fn topic(&self, t: JobTopic<'_>) -> String {
        let mut s = String::new();
        let _ = t.write_with_root(&self.root, &mut s);
        s
    }

    fn jobs(
        &mut self,
        engine: &mut Engine,
        topic: JobTopic<'_>,
        payload: &[u8],
        out: &mut Vec<Message>,
    ) {
        let now = seconds(engine.now());
        let thing = topic.thing.as_str();
        let accepted = self.topic(topic.reply(Reply::Accepted));
        let rejected = self.topic(topic.reply(Reply::Rejected));
        let refuse = |code: ErrorCode, token: Option<&str>, state: Option<&ExecutionState>| {
            let details = state.map(|s| details(&s.status_details));
            let execution_state = state.map(|s| jobs::ExecutionState {
                status: s.status,
                status_details: details.as_ref().and_then(|d| d.clone()),
                version_number: s.version_number,
            });
            let e = ErrorResponse {
                client_token: token.map(JsonStr::text),
                timestamp: now,
                execution_state,
                code,
                message: JsonStr::from_plain(code.as_str()).unwrap_or_default(),
            };
            Message {
                topic: rejected.clone(),
                payload: json(&e),
            }
        };
        let result = match topic.api {
            JobsApi::GetPending => {
                let Ok(req) = serde_json::from_slice::<GetPendingRequest<'_>>(payload) else {
                    self.stats.malformed += 1;
                    return out.push(refuse(ErrorCode::InvalidJson, None, None));
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
                        Ok(Message {
                            topic: accepted.clone(),
                            payload: json(&reply),
                        })
                    }
                    Err(e) => Err((e, token.map(|t| t.to_string()))),
                }
            }
            JobsApi::StartNext => {
                let Ok(req) = serde_json::from_slice::<StartNextRequest<'_>>(payload) else {
                    self.stats.malformed += 1;
                    return out.push(refuse(ErrorCode::InvalidJson, None, None));
                };
                let token = req.client_token;
                let request = StartNext {
                    status_details: req
                        .status_details
                        .map(|d| {
                            d.iter()
                                .map(|(k, v)| (k.to_string(), v.to_string()))
                                .collect()
                        })
                        .unwrap_or_default(),
                    step_timeout_in_minutes: req.step_timeout_in_minutes.map(|s| s.get()),
                };
                match engine.start_next(thing, &request) {
                    Ok(execution) => Ok(Message {
                        topic: accepted.clone(),
                        payload: execution_reply(token, now, execution.as_ref()),
                    }),
                    Err(e) => Err((e, token.map(|t| t.to_string()))),
                }
            }
            JobsApi::Describe(job) => {
                let Ok(req) = serde_json::from_slice::<DescribeRequest<'_>>(payload) else {
                    self.stats.malformed += 1;
                    return out.push(refuse(ErrorCode::InvalidJson, None, None));
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
                    Ok(execution) => Ok(Message {
                        topic: accepted.clone(),
                        payload: execution_reply(token, now, execution.as_ref()),
                    }),
                    Err(e) => Err((e, token.map(|t| t.to_string()))),
                }
            }
            JobsApi::Update(id) => {
                let Ok(req) = serde_json::from_slice::<UpdateRequest<'_>>(payload) else {
                    self.stats.malformed += 1;
                    return out.push(refuse(ErrorCode::InvalidJson, None, None));
                };
                let token = req.client_token;
                let update = UpdateExecution {
                    status: req.status,
                    status_details: req.status_details.as_ref().map(|d| {
                        d.iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect()
                    }),
                    expected_version: req.expected_version,
                    execution_number: req.execution_number,
                    include_job_execution_state: req.include_job_execution_state.unwrap_or(false),
                    include_job_document: req.include_job_document.unwrap_or(false),
                    step_timeout_in_minutes: req.step_timeout_in_minutes.map(|s| s.get()),
                };
                match engine.update_execution(thing, id.as_str(), &update) {
                    Ok(outcome) => {
                        let state_details = outcome
                            .execution_state
                            .as_ref()
                            .map(|s| details(&s.status_details));
                        let execution_state =
                            outcome
                                .execution_state
                                .as_ref()
                                .map(|s| jobs::ExecutionState {
                                    status: s.status,
                                    status_details: state_details.as_ref().and_then(|d| d.clone()),
                                    version_number: s.version_number,
                                });
                        let document = outcome
                            .job_document
                            .as_deref()
                            .and_then(|d| RawValue::from_string(d.to_string()).ok());
                        let reply = UpdateResponse {
                            client_token: token,
                            timestamp: now,
                            execution_state,
                            job_document: document.as_deref(),
                        };
                        Ok(Message {
                            topic: accepted.clone(),
                            payload: json(&reply),
                        })
                    }
                    Err(e) => Err((e, token.map(|t| t.to_string()))),
                }
            }
            JobsApi::Notify | JobsApi::NotifyNext => return,
        };
        match result {
            Ok(m) => out.push(m),
            Err((
                DataPlaneError {
                    code,
                    execution_state,
                    ..
                },
                token,
            )) => out.push(refuse(code, token.as_deref(), execution_state.as_ref())),
        }
    }

    fn stream(
        &mut self,
        topic: StreamTopic<'_>,
        payload: &[u8],
        rng: &mut SimRng,
        corrupt: f64,
        out: &mut Vec<Message>,
    ) {
        let mut bitmap = [0u8; 256];
        let Ok(request) = GetStreamRequest::decode(topic.format, payload, &mut bitmap) else {
            self.stats.malformed += 1;
            return;
        };
        let Some(image) = self
            .tampered
            .get(topic.thing.as_str())
            .or_else(|| self.streams.get(topic.stream.as_str()))
        else {
            return;
        };
        let image = image.clone();
        let data_topic = topic.with_kind(StreamTopicKind::Data);
        let mut data_topic_text = String::new();
        let _ = data_topic.write_with_root(&self.root, &mut data_topic_text);
        let size = request.block_size as usize;
        let blocks = image.len().div_ceil(size) as u32;
        let mut buf = vec![0u8; size + 256];
        let mut payload_copy = vec![0u8; size];
        for index in request.requested_blocks().filter(|&i| i < blocks) {
            let start = index as usize * size;
            let end = (start + size).min(image.len());
            let chunk = &mut payload_copy[..end - start];
            chunk.copy_from_slice(&image[start..end]);
            if rng.chance(corrupt) {
                let at = rng.range(0, chunk.len() as u64 - 1) as usize;
                chunk[at] ^= 0x5a;
                self.stats.corrupted_blocks += 1;
            }
            let block = DataBlock {
                client_token: request.client_token,
                file_id: request.file_id,
                block_id: index,
                payload: chunk,
            };
            if let Ok(n) = block.encode(topic.format, &mut buf) {
                self.stats.blocks += 1;
                out.push(Message {
                    topic: data_topic_text.clone(),
                    payload: buf[..n].to_vec(),
                });
            }
        }
    }

    /// The message an engine push becomes (`notify` or `notify-next`) for its thing.
    pub fn notification(&self, engine: &Engine, n: Notification) -> Option<(String, Message)> {
        let thing = engine.thing_name(n.thing)?.to_string();
        let name = ThingName::new(&thing).ok()?;
        let now = seconds(engine.now());
        match n.kind {
            NotificationKind::NotifyNext => {
                let next = engine
                    .describe_execution(&thing, JobSelector::Next, None, true)
                    .ok()
                    .flatten();
                let topic = self.topic(JobTopic::request(name, JobsApi::NotifyNext));
                let payload = execution_reply(None, now, next.as_ref());
                Some((thing, Message { topic, payload }))
            }
            NotificationKind::Notify => {
                let pending = engine.get_pending(&thing).ok()?;
                let mut jobs = jobs::PendingJobs::default();
                for s in pending.queued.iter().filter_map(summary) {
                    let _ = jobs.queued.push(s);
                }
                for s in pending.in_progress.iter().filter_map(summary) {
                    let _ = jobs.in_progress.push(s);
                }
                let topic = self.topic(JobTopic::request(name, JobsApi::Notify));
                Some((
                    thing,
                    Message {
                        topic,
                        payload: json(&jobs::NotifyEvent {
                            jobs,
                            timestamp: now,
                        }),
                    },
                ))
            }
        }
    }
}

/// A pending-list entry as the wire type (`None` for a job id the wire type refuses).
fn summary(s: &ota_cloud::jobs::model::JobExecutionSummary) -> Option<JobExecutionSummary<'_>> {
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

fn execution_reply(
    token: Option<JsonStr<'_>>,
    now: u64,
    execution: Option<&DeviceExecution>,
) -> Vec<u8> {
    let document = execution
        .and_then(|e| e.job_document.as_deref())
        .and_then(|d| RawValue::from_string(d.to_string()).ok());
    let details = execution.map(|e| details(&e.status_details));
    let wire = execution.and_then(|e| {
        Some(JobExecution {
            job_id: JobId::new(&e.job_id).ok()?.into(),
            thing_name: ThingName::new(&e.thing_name).ok().map(JsonStr::from),
            job_document: document.as_deref(),
            status: e.status,
            status_details: details.as_ref().and_then(|d| d.clone()),
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

/// The stream format every simulated device uses.
pub const FORMAT: Format = Format::Cbor;

#[cfg(test)]
mod tests {
    use super::*;
    use ota_cloud::Settings;

    fn publish(
        responder: &mut Responder,
        engine: &mut Engine,
        topic: &str,
        payload: &[u8],
    ) -> Vec<Message> {
        let mut out = Vec::new();
        let message = Message {
            topic: topic.to_string(),
            payload: payload.to_vec(),
        };
        responder.handle(
            engine,
            "dev-1",
            &message,
            &mut SimRng::new(1),
            0.0,
            &mut out,
        );
        out
    }

    /// Finding "Wire truth" 1, Jobs requests and stream requests as the service reads them:
    /// a client token written with escapes (`"a\/b"`, valid JSON, and `a/b` a valid token)
    /// was refused as malformed; it is read decoded and every reply echoes it decoded.
    #[test]
    fn escaped_client_tokens_are_echoed_decoded() {
        let mut engine = Engine::new(0, Settings::default());
        engine.create_thing("dev-1", &[]).unwrap();
        let mut responder = Responder::new("$aws");
        responder.add_stream("s1", Arc::from(vec![7u8; 300]));

        let out = publish(
            &mut responder,
            &mut engine,
            "$aws/things/dev-1/jobs/get",
            br#"{"clientToken":"a\/b"}"#,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].topic, "$aws/things/dev-1/jobs/get/accepted");
        let reply: serde_json::Value = serde_json::from_slice(&out[0].payload).unwrap();
        assert_eq!(reply["clientToken"], "a/b");

        // A rejection (no such job) echoes it too.
        let out = publish(
            &mut responder,
            &mut engine,
            "$aws/things/dev-1/jobs/fw-1/update",
            br#"{"status":"IN_PROGRESS","clientToken":"7:dev\u002d1"}"#,
        );
        assert_eq!(out[0].topic, "$aws/things/dev-1/jobs/fw-1/update/rejected");
        let reply: serde_json::Value = serde_json::from_slice(&out[0].payload).unwrap();
        assert_eq!(reply["clientToken"], "7:dev-1");

        // A stream request: every block carries the token decoded.
        let out = publish(
            &mut responder,
            &mut engine,
            "$aws/things/dev-1/streams/s1/get/json",
            br#"{"c":"\u0061bc","f":0,"l":256,"o":0,"n":2}"#,
        );
        assert_eq!(out.len(), 2);
        for m in &out {
            let mut payload = [0u8; 256];
            let block = DataBlock::decode_json(&m.payload, &mut payload).unwrap();
            assert!(
                block
                    .client_token
                    .is_some_and(|c| c == "abc" && !c.is_escaped())
            );
        }
        assert_eq!(responder.stats.malformed, 0);
    }
}
