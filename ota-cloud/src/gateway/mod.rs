//! The service side of the MQTT APIs, sans-IO: the AWS IoT Jobs MQTT API answered from the
//! [`Engine`], and the MQTT Streams API (GetStream and DescribeStream, CBOR and JSON)
//! answered from a [`StreamSource`].
//!
//! [`Gateway::handle_publish`] takes one publish (topic and payload) and appends the replies
//! to a list; [`Gateway::notification`] turns an engine push into its `notify` or
//! `notify-next` message. Nothing here opens a connection, subscribes or publishes: a binding
//! to an MQTT client (or the simulator's network) carries the messages.
//!
//! Replies are written with `ota-core`'s wire types, as AWS IoT writes them: `accepted` or
//! `rejected` to the requester with its client token echoed (decoded), the Jobs error codes
//! the engine gives (`InvalidJson` for a payload that is not the request's JSON), and the
//! stream `rejected` codes for requests that do not decode (`InvalidCbor`, `InvalidJson`,
//! `BlockSizeOutOfBounds`, `OffsetOutOfBounds`, `BlockCountLimitExceeded`,
//! `BlockBitmapLimitExceeded`, `InvalidRequest`), name no stream or file
//! (`ResourceNotFound`), another stream version (`VersionMismatch`) or an offset past the
//! end of the file (`OffsetOutOfBounds`).
//!
//! The thing a request is for is read from its topic. Over a plain MQTT broker the gateway
//! cannot tell which client published: it does not authenticate or authorize anything, and
//! answers whoever can publish on a thing's topics as that thing.

mod engine;
mod file_source;
mod jobs;
mod limits;
#[cfg(feature = "mqtt")]
pub mod mqtt;
mod source;
mod streams;

pub use engine::GatewayEngine;
pub use file_source::FileStreams;
pub use limits::{Limits, MAX_PAYLOAD, Rate};
pub use source::{BlockRead, MemoryStreams, StreamInfo, StreamSource};

use ota_core::freshness::topic as latest_topic;
use ota_core::jobs::{JobTopic, JobsApi, Reply, ThingName};
use ota_core::streams::{StreamTopic, StreamTopicKind};

use crate::freshness::SharedBoard;
use crate::{Engine, JobSelector, Notification, NotificationKind};
use streams::Replies;

/// A message the gateway publishes: a reply or a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// MQTT topic.
    pub topic: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

/// Counts of what the gateway answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatewayStats {
    /// Jobs requests received (`notify` and `notify-next` published by a client included,
    /// though they get no reply).
    pub jobs_requests: u64,
    /// Stream requests received (GetStream and DescribeStream).
    pub stream_requests: u64,
    /// Data blocks sent.
    pub blocks: u64,
    /// Requests refused as malformed (a payload that does not decode as the request).
    pub malformed: u64,
    /// Requests dropped unanswered for a payload over [`Limits::max_payload`].
    pub oversized: u64,
    /// Jobs requests rejected with `RequestThrottled` ([`Limits::jobs_rate`]).
    pub throttled: u64,
    /// Latest-statement requests answered ([`Gateway::with_latest`]).
    pub latest_requests: u64,
}

/// The placeholder AWS IoT pre-signs in job documents: `${aws:iot:s3-presigned-url:URL}`.
pub const PRESIGN_PLACEHOLDER: &str = "${aws:iot:s3-presigned-url:";

/// Turns the URL of a pre-signing placeholder into a URL for the device (`None`: leave the
/// placeholder as it is). See [`Gateway::with_presigner`].
#[derive(Clone)]
pub struct Presigner(std::sync::Arc<SignUrl>);

/// What a [`Presigner`] calls: a placeholder's URL to the device's URL, or `None`.
type SignUrl = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Presigner {
    /// A presigner calling `sign` with each placeholder's URL.
    pub fn new(sign: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(sign))
    }

    /// `document` (a job document's JSON text) with its placeholders replaced.
    pub(crate) fn document(&self, document: &str) -> String {
        String::from_utf8(self.apply(document.as_bytes().to_vec()))
            .unwrap_or_else(|_| document.to_string())
    }

    /// `payload` with every placeholder `sign` accepts replaced by its answer. Payloads are
    /// JSON: an answer must not need escaping (a URL of unreserved characters and
    /// `:/?&=%` does not).
    fn apply(&self, payload: Vec<u8>) -> Vec<u8> {
        let Ok(text) = std::str::from_utf8(&payload) else {
            return payload;
        };
        if !text.contains(PRESIGN_PLACEHOLDER) {
            return payload;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(PRESIGN_PLACEHOLDER) {
            let inner = &rest[start + PRESIGN_PLACEHOLDER.len()..];
            let Some(end) = inner.find('}') else { break };
            out.push_str(&rest[..start]);
            match (self.0)(&inner[..end]).filter(|u| !u.contains(['"', '\\'])) {
                Some(url) => out.push_str(&url),
                None => out.push_str(&rest[start..start + PRESIGN_PLACEHOLDER.len() + end + 1]),
            }
            rest = &inner[end + 1..];
        }
        out.push_str(rest);
        out.into_bytes()
    }
}

impl core::fmt::Debug for Presigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Presigner(..)")
    }
}

/// Jobs and Streams over MQTT, in front of the engine: one topic root, and counters.
///
/// Holds no stream contents and no engine: both are passed to each call. Does not keep
/// sessions, subscriptions or retained messages; rate-limits only as its [`Limits`] say.
#[derive(Debug, Clone, Default)]
pub struct Gateway {
    root: String,
    limits: Limits,
    buckets: limits::Buckets,
    presigner: Option<Presigner>,
    latest: Option<SharedBoard>,
    /// What was answered.
    pub stats: GatewayStats,
}

/// The JSON of a wire type (they serialize infallibly into memory).
fn json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Engine milliseconds as wire seconds.
fn seconds(ms: u64) -> u64 {
    ms / 1000
}

impl Gateway {
    /// A gateway under topic root `topic_root` (`$aws` as on AWS IoT; another root for
    /// brokers that refuse `$` topics).
    pub fn new(topic_root: &str) -> Self {
        Self::with_limits(topic_root, Limits::default())
    }

    /// A gateway under `topic_root` that refuses what `limits` say.
    pub fn with_limits(topic_root: &str, limits: Limits) -> Self {
        Self {
            root: topic_root.to_string(),
            limits,
            buckets: limits::Buckets::default(),
            presigner: None,
            latest: None,
            stats: GatewayStats::default(),
        }
    }

    /// This gateway, answering devices' `ota/latest/get` requests (the freeze defence, see
    /// [`crate::freshness`]) from `board`, which the service keeps signed.
    #[must_use]
    pub fn with_latest(mut self, board: SharedBoard) -> Self {
        self.latest = Some(board);
        self
    }

    /// This gateway, rewriting the pre-signing placeholders (`${aws:iot:s3-presigned-url:URL}`)
    /// of the job documents it sends (replies and `notify-next`) with `presigner`, per
    /// device and per message, as AWS IoT does for S3 URLs. The document's signed manifest
    /// does not cover its location, so the signature still holds. Only job documents are
    /// rewritten, never what a device wrote (status details, client tokens).
    #[must_use]
    pub fn with_presigner(mut self, presigner: Presigner) -> Self {
        self.presigner = Some(presigner);
        self
    }

    /// The topic root.
    pub fn topic_root(&self) -> &str {
        &self.root
    }

    /// A publish on `topic`; replies are appended to `out`.
    ///
    /// Answers Jobs requests (`get`, `start-next`, `{jobId}/get`, `$next/get`,
    /// `{jobId}/update`) and stream requests (`get`, `describe`); every other topic, a
    /// reply topic included, is ignored. Does not check who published (see the module docs),
    /// and does not send `notify` or `notify-next`: poll the engine's notifications and pass
    /// them to [`Gateway::notification`]. Calls that change the engine go through
    /// `engine`'s [`GatewayEngine`] methods (an [`Engine`] makes them directly).
    pub fn handle_publish(
        &mut self,
        engine: &mut dyn GatewayEngine,
        source: &mut impl StreamSource,
        topic: &str,
        payload: &[u8],
        out: &mut Vec<Outgoing>,
    ) {
        if let Some((thing, kind)) = latest_topic::parse(&self.root, topic) {
            if kind == latest_topic::Kind::Request && self.within_size(payload) {
                self.latest(engine.engine().now(), thing.as_str(), payload, out);
            }
            return;
        }
        if let Ok(topic) = JobTopic::parse_with_root(&self.root, topic) {
            if topic.reply.is_none() && self.within_size(payload) {
                self.stats.jobs_requests += 1;
                self.jobs(engine, topic, payload, out);
            }
            return;
        }
        let Ok(topic) = StreamTopic::parse_with_root(&self.root, topic) else {
            return;
        };
        if !self.within_size(payload) {
            return;
        }
        let mut replies = Replies {
            root: &self.root,
            stats: &mut self.stats,
            out,
        };
        match topic.kind {
            StreamTopicKind::Get => {
                replies.stats.stream_requests += 1;
                streams::get(source, topic, payload, &mut replies);
            }
            StreamTopicKind::Describe => {
                replies.stats.stream_requests += 1;
                streams::describe(source, topic, payload, &mut replies);
            }
            _ => {}
        }
    }

    /// Answer a latest-statement request from the board (nothing without one).
    fn latest(&mut self, now_ms: u64, thing: &str, payload: &[u8], out: &mut Vec<Outgoing>) {
        let Some(board) = &self.latest else {
            return;
        };
        self.stats.latest_requests += 1;
        let (accepted, reply) = board
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .answer(thing, payload, now_ms);
        let kind = if accepted {
            latest_topic::Kind::Accepted
        } else {
            latest_topic::Kind::Rejected
        };
        let mut topic = String::new();
        let _ = latest_topic::write(&self.root, thing, kind, &mut topic);
        out.push(Outgoing {
            topic,
            payload: reply,
        });
    }

    /// Whether `payload` is within [`Limits::max_payload`] (counted when not).
    fn within_size(&mut self, payload: &[u8]) -> bool {
        let within = payload.len() <= self.limits.max_payload;
        if !within {
            self.stats.oversized += 1;
        }
        within
    }

    fn topic(&self, t: JobTopic<'_>) -> String {
        let mut s = String::new();
        let _ = t.write_with_root(&self.root, &mut s);
        s
    }

    /// Answer a Jobs request on its `accepted` or `rejected` topic.
    fn jobs(
        &mut self,
        engine: &mut dyn GatewayEngine,
        topic: JobTopic<'_>,
        payload: &[u8],
        out: &mut Vec<Outgoing>,
    ) {
        if let Some(rate) = self.limits.jobs_rate
            && !matches!(topic.api, JobsApi::Notify | JobsApi::NotifyNext)
            && !self
                .buckets
                .admit(topic.thing.as_str(), engine.engine().now(), rate)
        {
            self.stats.throttled += 1;
            let refusal = jobs::throttled(seconds(engine.engine().now()), payload);
            out.push(Outgoing {
                topic: self.topic(topic.reply(Reply::Rejected)),
                payload: refusal,
            });
            return;
        }
        let Some((reply, payload, malformed)) =
            jobs::reply(engine, &topic, payload, self.presigner.as_ref())
        else {
            return;
        };
        if malformed {
            self.stats.malformed += 1;
        }
        out.push(Outgoing {
            topic: self.topic(topic.reply(reply)),
            payload,
        });
    }

    /// The message an engine push becomes, `notify` or `notify-next`, and the thing it is
    /// for (`None` for a thing the engine or the wire type does not know).
    ///
    /// Does not poll the engine: the caller drains `Engine::poll_notification` and passes
    /// each one here.
    pub fn notification(&self, engine: &Engine, n: Notification) -> Option<(String, Outgoing)> {
        let thing = engine.thing_name(n.thing)?.to_string();
        let name = ThingName::new(&thing).ok()?;
        let now = seconds(engine.now());
        let (api, payload) = match n.kind {
            NotificationKind::NotifyNext => {
                let next = engine
                    .describe_execution(&thing, JobSelector::Next, None, true)
                    .ok()
                    .flatten();
                let payload =
                    jobs::execution_reply(None, now, next.as_ref(), self.presigner.as_ref());
                (JobsApi::NotifyNext, payload)
            }
            NotificationKind::Notify => {
                (JobsApi::Notify, jobs::notify_payload(engine, &thing, now)?)
            }
        };
        let topic = self.topic(JobTopic::request(name, api));
        Some((thing, Outgoing { topic, payload }))
    }
}

#[cfg(test)]
mod tests;
