//! The service side of the MQTT APIs: Jobs answered from the engine, Streams answered from
//! the release images. Requests arrive as bytes and replies leave as bytes, written and read
//! with `ota-core`'s wire types, exactly what a device would see from AWS IoT.

use std::collections::BTreeMap;
use std::sync::Arc;

use ota_cloud::{Engine, JobSelector, Notification, NotificationKind};
use ota_core::jobs::{self, ErrorCode, JobTopic, JobsApi, Reply, ThingName};
use ota_core::streams::{
    DataBlock, Format, GetStreamRequest, StreamMessage as _, StreamTopic, StreamTopicKind,
};

use crate::net::Message;
use crate::rng::SimRng;
use jobs_api::{Answer, execution_reply, summary};

mod jobs_api;

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

    /// Answer a Jobs request (`notify` and `notify-next` are the service's own: ignored).
    fn jobs(
        &mut self,
        engine: &mut Engine,
        topic: JobTopic<'_>,
        payload: &[u8],
        out: &mut Vec<Message>,
    ) {
        let now = seconds(engine.now());
        let thing = topic.thing.as_str();
        let answer = match topic.api {
            JobsApi::GetPending => jobs_api::get_pending(engine, thing, now, payload),
            JobsApi::StartNext => jobs_api::start_next(engine, thing, now, payload),
            JobsApi::Describe(job) => jobs_api::describe(engine, thing, now, job, payload),
            JobsApi::Update(id) => jobs_api::update(engine, thing, now, id.as_str(), payload),
            JobsApi::Notify | JobsApi::NotifyNext => return,
        };
        let (reply, payload) = match answer {
            Answer::Accepted(payload) => (Reply::Accepted, payload),
            Answer::Refused(e, token) => (
                Reply::Rejected,
                jobs_api::rejection(now, e.code, token.as_deref(), e.execution_state.as_ref()),
            ),
            Answer::Malformed => {
                self.stats.malformed += 1;
                let refusal = jobs_api::rejection(now, ErrorCode::InvalidJson, None, None);
                (Reply::Rejected, refusal)
            }
        };
        out.push(Message {
            topic: self.topic(topic.reply(reply)),
            payload,
        });
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

        // An accepted reply and a rejection (no such job) both echo it.
        for (topic, payload, reply_topic, token) in [
            (
                "$aws/things/dev-1/jobs/get",
                &br#"{"clientToken":"a\/b"}"#[..],
                "$aws/things/dev-1/jobs/get/accepted",
                "a/b",
            ),
            (
                "$aws/things/dev-1/jobs/fw-1/update",
                br#"{"status":"IN_PROGRESS","clientToken":"7:dev\u002d1"}"#,
                "$aws/things/dev-1/jobs/fw-1/update/rejected",
                "7:dev-1",
            ),
        ] {
            let out = publish(&mut responder, &mut engine, topic, payload);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].topic, reply_topic);
            let reply: serde_json::Value = serde_json::from_slice(&out[0].payload).unwrap();
            assert_eq!(reply["clientToken"], token);
        }

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
