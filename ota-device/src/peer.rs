//! A scripted AWS IoT Jobs + Streams service for one job, without IO or allocation (feature
//! `peer`).
//!
//! [`ScriptedPeer`] answers a client's publishes the way AWS does for a single job: `$next/get`
//! and `{jobId}/get` with the execution, `{jobId}/update` with `accepted` (or `rejected` for
//! an illegal transition or a stale `expectedVersion`), `notify-next` when the job ends, and
//! GetStream requests with one data block per requested block. It is what the crate's tests,
//! the `plain_loop` example and the QEMU firmware run the client against.
//!
//! What it does not do: more than one job, rollouts, timeouts, retries of its own, or any
//! fault injection (the code moving messages between client and peer drops, duplicates or
//! reorders them when a test wants that). The full engine is `ota-cloud`.

use core::fmt::Write;

use heapless::Deque;
use ota_core::jobs::{
    ErrorCode, JobExecutionStatus, JobId, JobRef, JobTopic, JobsApi, Reply as JobsReply, ThingName,
    UpdateRequest,
};
use ota_core::json::JsonStr;
use ota_core::streams::{
    DataBlock, Format, GetStreamRequest, StreamMessage as _, StreamTopic, StreamTopicKind,
};

use crate::write::SliceWriter;

/// Replies a peer can hold before they are polled.
pub const PEER_QUEUE: usize = 48;

/// Why a publish was not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// Not a topic of this thing, job or stream.
    #[error("topic not served by this peer")]
    UnknownTopic,
    /// The payload could not be parsed.
    #[error("malformed request")]
    Malformed,
    /// Too many replies are waiting to be polled.
    #[error("reply queue full")]
    QueueFull,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    /// `$next/get/accepted` (or `{jobId}/get/accepted`), with the execution as it was when
    /// the request arrived (`None`: nothing pending).
    Describe {
        token: heapless::String<64>,
        next: bool,
        execution: Option<Snapshot>,
    },
    UpdateAccepted {
        token: heapless::String<64>,
    },
    UpdateRejected {
        token: heapless::String<64>,
        code: ErrorCode,
    },
    DescribeRejected {
        token: heapless::String<64>,
        code: ErrorCode,
    },
    NotifyNext {
        execution: Snapshot,
    },
    Block {
        index: u32,
    },
}

/// The execution's status and version at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Snapshot {
    status: JobExecutionStatus,
    version: u64,
}

/// The job a [`ScriptedPeer`] serves: job `job_id` for `thing` with the raw JSON `document`,
/// whose file is `image`, served on stream `stream` in `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedJob<'a> {
    /// The thing the job is for.
    pub thing: ThingName<'a>,
    /// The job's id.
    pub job_id: JobId<'a>,
    /// The job document, raw JSON.
    pub document: &'a str,
    /// The file the stream serves.
    pub image: &'a [u8],
    /// The stream's id.
    pub stream: &'a str,
    /// The stream messages' format.
    pub format: Format,
}

/// One job, served like AWS IoT Jobs and Streams would serve it.
pub struct ScriptedPeer<'a> {
    root: &'a str,
    job: ServedJob<'a>,
    status: JobExecutionStatus,
    version: u64,
    /// False until [`ScriptedPeer::create`] for a peer made by [`ScriptedPeer::delay_creation`].
    created: bool,
    stream_token: heapless::String<64>,
    block_size: u32,
    file_id: u8,
    replies: Deque<Reply, PEER_QUEUE>,
    updates: u32,
    throttle: u32,
    dropped: u32,
}

impl<'a> ScriptedPeer<'a> {
    /// A peer serving `job`, `QUEUED`. The job is announced with a `notify-next`, as AWS does
    /// when a job is created.
    pub fn new(job: ServedJob<'a>) -> Self {
        let mut peer = Self {
            root: "$aws",
            job,
            status: JobExecutionStatus::Queued,
            version: 1,
            created: true,
            stream_token: heapless::String::new(),
            block_size: 0,
            file_id: 0,
            replies: Deque::new(),
            updates: 0,
            throttle: 0,
            dropped: 0,
        };
        let _ = peer.replies.push_back(Reply::NotifyNext {
            execution: peer.snapshot(),
        });
        peer
    }

    /// Take the job back to before it was created (a peer starts with it created and
    /// announced): `$next/get` finds nothing pending, `{jobId}/get` and updates are rejected
    /// with `ResourceNotFound`, until [`ScriptedPeer::create`]. Drops the replies waiting to be
    /// polled. Meant for the start of a test, before the client has seen the job.
    pub fn delay_creation(&mut self) {
        self.created = false;
        self.status = JobExecutionStatus::Queued;
        self.replies.clear();
    }

    /// Create the job (if it does not exist yet) and announce it with a `notify-next`, as AWS
    /// does when a job is created for a thing with nothing pending.
    pub fn create(&mut self) {
        if !self.created {
            self.created = true;
            let _ = self.replies.push_back(Reply::NotifyNext {
                execution: self.snapshot(),
            });
        }
    }

    /// Whether the job exists (see [`ScriptedPeer::delay_creation`]).
    pub fn is_created(&self) -> bool {
        self.created
    }

    /// The execution if it is pending (exists and is not terminal).
    fn pending_execution(&self) -> Option<Snapshot> {
        (self.created && !self.status.is_terminal()).then(|| self.snapshot())
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            status: self.status,
            version: self.version,
        }
    }

    /// The execution's status (`QUEUED` before the job is created).
    pub fn status(&self) -> JobExecutionStatus {
        self.status
    }

    /// Accepted status updates so far.
    pub fn updates(&self) -> u32 {
        self.updates
    }

    /// Cancel the job (forced): its status becomes `CANCELED` and a `notify-next` without an
    /// execution follows.
    pub fn cancel(&mut self) {
        if self.created && !self.status.is_terminal() {
            self.status = JobExecutionStatus::Canceled;
            self.version += 1;
            let _ = self.replies.push_back(Reply::NotifyNext {
                execution: self.snapshot(),
            });
        }
    }

    /// Another writer updated the execution: its version moves on (a device update with the
    /// old `expectedVersion` now gets `VersionMismatch`).
    pub fn touch(&mut self) {
        self.version += 1;
    }

    /// Answer the next `n` updates with `RequestThrottled`.
    pub fn throttle(&mut self, n: u32) {
        self.throttle = n;
    }

    /// Announce the job again with a `notify-next` (what AWS sends when the next job
    /// changes; for the same job, a client must treat it as an echo).
    pub fn notify_next(&mut self) {
        let _ = self.replies.push_back(Reply::NotifyNext {
            execution: self.snapshot(),
        });
    }

    /// Replies waiting to be polled.
    pub fn pending(&self) -> usize {
        self.replies.len()
    }

    /// Take a publish from the client.
    ///
    /// # Errors
    /// [`PeerError`]; nothing is queued then.
    pub fn handle_publish(&mut self, topic: &str, payload: &[u8]) -> Result<(), PeerError> {
        if let Ok(t) = JobTopic::parse_with_root(self.root, topic) {
            if t.thing != self.job.thing || t.reply.is_some() {
                return Err(PeerError::UnknownTopic);
            }
            return self.on_jobs(t.api, payload);
        }
        if let Ok(t) = StreamTopic::parse_with_root(self.root, topic) {
            let ours = t.thing == self.job.thing && t.stream.as_str() == self.job.stream;
            if !ours || t.kind != StreamTopicKind::Get || t.format != self.job.format {
                return Err(PeerError::UnknownTopic);
            }
            return self.on_get_stream(payload);
        }
        Err(PeerError::UnknownTopic)
    }

    fn push(&mut self, reply: Reply) -> Result<(), PeerError> {
        self.replies
            .push_back(reply)
            .map_err(|_| PeerError::QueueFull)
    }

    fn on_jobs(&mut self, api: JobsApi<'_>, payload: &[u8]) -> Result<(), PeerError> {
        #[derive(serde::Deserialize)]
        struct Token<'t> {
            #[serde(borrow, rename = "clientToken", default)]
            client_token: Option<JsonStr<'t>>,
        }
        let token_text = |payload: &[u8]| -> Result<heapless::String<64>, PeerError> {
            let t: Token<'_> =
                ota_core::json::from_slice(payload).map_err(|_| PeerError::Malformed)?;
            decoded(t.client_token)
        };
        match api {
            JobsApi::Describe(JobRef::Next) => {
                let token = token_text(payload)?;
                self.push(Reply::Describe {
                    token,
                    next: true,
                    execution: self.pending_execution(),
                })
            }
            JobsApi::Describe(JobRef::Id(id)) if id == self.job.job_id => {
                let token = token_text(payload)?;
                if !self.created {
                    return self.push(Reply::DescribeRejected {
                        token,
                        code: ErrorCode::ResourceNotFound,
                    });
                }
                if self.status.is_terminal() {
                    return self.push(Reply::DescribeRejected {
                        token,
                        code: ErrorCode::TerminalStateReached,
                    });
                }
                self.push(Reply::Describe {
                    token,
                    next: false,
                    execution: Some(self.snapshot()),
                })
            }
            JobsApi::Update(id) if id == self.job.job_id => {
                let request: UpdateRequest<'_> =
                    ota_core::json::from_slice(payload).map_err(|_| PeerError::Malformed)?;
                let token = decoded(request.client_token)?;
                self.on_update(&request, token)
            }
            _ => Err(PeerError::UnknownTopic),
        }
    }

    fn on_update(
        &mut self,
        request: &UpdateRequest<'_>,
        token: heapless::String<64>,
    ) -> Result<(), PeerError> {
        if self.throttle > 0 {
            self.throttle -= 1;
            return self.push(Reply::UpdateRejected {
                token,
                code: ErrorCode::RequestThrottled,
            });
        }
        if !self.created {
            return self.push(Reply::UpdateRejected {
                token,
                code: ErrorCode::ResourceNotFound,
            });
        }
        // AWS checks the version first, then the transition.
        if request.expected_version.is_some_and(|v| v != self.version) {
            return self.push(Reply::UpdateRejected {
                token,
                code: ErrorCode::VersionMismatch,
            });
        }
        if !self.status.device_may_transition(request.status) {
            return self.push(Reply::UpdateRejected {
                token,
                code: ErrorCode::InvalidStateTransition,
            });
        }
        self.status = request.status;
        self.version += 1;
        self.updates += 1;
        self.push(Reply::UpdateAccepted { token })?;
        if self.status.is_terminal() {
            self.push(Reply::NotifyNext {
                execution: self.snapshot(),
            })?;
        }
        Ok(())
    }

    fn on_get_stream(&mut self, payload: &[u8]) -> Result<(), PeerError> {
        let mut bitmap = [0u8; 64];
        let request = GetStreamRequest::decode(self.job.format, payload, &mut bitmap)
            .map_err(|_| PeerError::Malformed)?;
        self.stream_token = decoded(request.client_token)?;
        self.block_size = request.block_size;
        self.file_id = request.file_id;
        let blocks = (self.job.image.len() as u32).div_ceil(request.block_size);
        for index in request.requested_blocks().filter(|&i| i < blocks) {
            self.push(Reply::Block { index })?;
        }
        Ok(())
    }

    /// The next message for the client, written into `buf` as `(topic, payload)`: the topic
    /// first, the payload after it. `None` when nothing is waiting. A reply that does not fit
    /// `buf` is dropped (as a broker drops a message over its size limit) and the next one is
    /// tried; [`ScriptedPeer::dropped`] counts them.
    pub fn poll_message<'b>(&mut self, buf: &'b mut [u8]) -> Option<(&'b str, &'b [u8])> {
        loop {
            let reply = self.replies.pop_front()?;
            let Some(topic_len) = self.write_topic(&reply, buf) else {
                self.dropped += 1;
                continue;
            };
            let Some(len) = self.write_payload(&reply, &mut buf[topic_len..]) else {
                self.dropped += 1;
                continue;
            };
            let (topic, rest) = buf.split_at(topic_len);
            return Some((core::str::from_utf8(topic).ok()?, &rest[..len]));
        }
    }

    /// Replies dropped because they did not fit the buffer given to
    /// [`ScriptedPeer::poll_message`].
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    fn write_topic(&self, reply: &Reply, buf: &mut [u8]) -> Option<usize> {
        let job = |api| JobTopic::request(self.job.thing, api);
        let topic = match reply {
            Reply::Describe { next: true, .. } => {
                job(JobsApi::Describe(JobRef::Next)).reply(JobsReply::Accepted)
            }
            Reply::Describe { next: false, .. } => {
                job(JobsApi::Describe(JobRef::Id(self.job.job_id))).reply(JobsReply::Accepted)
            }
            Reply::UpdateAccepted { .. } => {
                job(JobsApi::Update(self.job.job_id)).reply(JobsReply::Accepted)
            }
            Reply::UpdateRejected { .. } => {
                job(JobsApi::Update(self.job.job_id)).reply(JobsReply::Rejected)
            }
            Reply::DescribeRejected { .. } => {
                job(JobsApi::Describe(JobRef::Id(self.job.job_id))).reply(JobsReply::Rejected)
            }
            Reply::NotifyNext { .. } => job(JobsApi::NotifyNext),
            Reply::Block { .. } => {
                let stream = ota_core::jobs::StreamId::new(self.job.stream).ok()?;
                let t = StreamTopic::new(
                    self.job.thing,
                    stream,
                    StreamTopicKind::Data,
                    self.job.format,
                );
                return t.write_into(self.root, buf).ok().map(str::len);
            }
        };
        topic.write_into(self.root, buf).ok().map(str::len)
    }

    fn write_payload(&self, reply: &Reply, buf: &mut [u8]) -> Option<usize> {
        if let Reply::Block { index } = reply {
            return self.write_block(*index, buf);
        }
        let mut w = SliceWriter::new(buf);
        self.write_json(reply, &mut w).ok()?;
        w.into_str().map(str::len)
    }

    /// Block `index` of the image, encoded in the stream's format.
    fn write_block(&self, index: u32, buf: &mut [u8]) -> Option<usize> {
        let start = (index * self.block_size) as usize;
        let end = (start + self.block_size as usize).min(self.job.image.len());
        let block = DataBlock {
            client_token: (!self.stream_token.is_empty())
                .then(|| JsonStr::text(self.stream_token.as_str())),
            file_id: self.file_id,
            block_id: index,
            payload: self.job.image.get(start..end)?,
        };
        block.encode(self.job.format, buf).ok()
    }

    /// Every reply but a block: a Jobs API JSON payload.
    fn write_json(&self, reply: &Reply, w: &mut SliceWriter<'_>) -> core::fmt::Result {
        match reply {
            Reply::Describe {
                token, execution, ..
            } => {
                write!(w, "{{\"clientToken\":\"{token}\",\"timestamp\":0")?;
                if let Some(execution) = execution {
                    self.write_execution(w, *execution)?;
                }
                w.write_str("}")
            }
            Reply::UpdateAccepted { token } => {
                write!(w, "{{\"clientToken\":\"{token}\",\"timestamp\":0}}")
            }
            Reply::DescribeRejected { token, code } => self.write_rejected(w, token, *code, false),
            Reply::UpdateRejected { token, code } => {
                // AWS includes the execution state only with these two codes.
                let with_state = matches!(
                    code,
                    ErrorCode::VersionMismatch | ErrorCode::InvalidStateTransition
                );
                self.write_rejected(w, token, *code, with_state)
            }
            Reply::NotifyNext { execution } => {
                w.write_str("{\"timestamp\":0")?;
                if !execution.status.is_terminal() {
                    self.write_execution(w, *execution)?;
                }
                w.write_str("}")
            }
            Reply::Block { .. } => Err(core::fmt::Error),
        }
    }

    /// An ErrorResponse, with `executionState` when `with_state`.
    fn write_rejected(
        &self,
        w: &mut SliceWriter<'_>,
        token: &str,
        code: ErrorCode,
        with_state: bool,
    ) -> core::fmt::Result {
        write!(
            w,
            "{{\"clientToken\":\"{token}\",\"timestamp\":0,\"code\":\"{code}\",\"message\":\"refused\""
        )?;
        if with_state {
            write!(
                w,
                ",\"executionState\":{{\"status\":\"{}\",\"versionNumber\":{}}}",
                self.status, self.version
            )?;
        }
        w.write_str("}")
    }

    fn write_execution(&self, w: &mut SliceWriter<'_>, e: Snapshot) -> core::fmt::Result {
        write!(
            w,
            ",\"execution\":{{\"jobId\":\"{}\",\"status\":\"{}\",\"queuedAt\":0,\"lastUpdatedAt\":0,\"versionNumber\":{},\"executionNumber\":1,\"jobDocument\":{}}}",
            self.job.job_id, e.status, e.version, self.job.document
        )
    }
}

/// A request's client token, decoded (empty when absent); one over 64 bytes once decoded is
/// malformed.
fn decoded(token: Option<JsonStr<'_>>) -> Result<heapless::String<64>, PeerError> {
    token.map_or(Ok(heapless::String::new()), |t| {
        t.to_heapless().map_err(|_| PeerError::Malformed)
    })
}

/// Move messages between `client` and `peer` once: every publish of the client to the peer,
/// then every reply of the peer to the client. Returns how many messages moved (0 when both
/// are quiet). `out` and `in_buf` are the MQTT-sized buffers of each direction.
///
/// This is the whole "network" of a scripted run: it loses, duplicates and reorders nothing.
pub fn exchange<'a, S, P, const K: usize, T, C>(
    client: &mut crate::Client<'a, S, P, K, T, C>,
    peer: &mut ScriptedPeer<'_>,
    now: ota_core::time::Instant,
    out: &mut [u8],
    in_buf: &mut [u8],
) -> usize
where
    S: crate::storage::FirmwareSlot,
    P: crate::storage::StateStore,
    T: crate::trust::TrustSource<K>,
    C: core::borrow::Borrow<crate::Config<'a>>,
{
    let mut moved = 0;
    while let Some(publish) = client.poll_transmit(now, out) {
        moved += 1;
        // A publish the peer does not serve is dropped, as a broker with no subscriber would.
        let _ = peer.handle_publish(publish.topic, publish.payload);
    }
    while let Some((topic, payload)) = peer.poll_message(in_buf) {
        moved += 1;
        // Malformed, stale or foreign messages are the client's to refuse; nothing to do.
        let _ = client.handle_message(now, topic, payload);
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use ota_core::jobs::{ExecutionResponse, UpdateResponse};
    use serde::de::IgnoredAny;

    /// Finding "Wire truth" 1, requests as a service reads them: a client token written with
    /// escapes (`"a\/b"`, valid JSON) was refused as malformed; it is read decoded and echoed
    /// decoded, in Jobs replies and stream data blocks.
    #[test]
    fn escaped_client_tokens_are_echoed_decoded() {
        let thing = ThingName::new("dev-1").unwrap();
        let job = JobId::new("fw-1").unwrap();
        let image = [7u8; 300];
        let mut peer = ScriptedPeer::new(ServedJob {
            thing,
            job_id: job,
            document: "{}",
            image: &image,
            stream: "s1",
            format: Format::Json,
        });
        let mut bufs = [[0u8; 1024]; 4];
        let [notify, describe, update, data] = &mut bufs;
        // The job's `notify-next`.
        assert!(peer.poll_message(notify).is_some());

        let request = br#"{"clientToken":"a\/b"}"#;
        let topic = "$aws/things/dev-1/jobs/$next/get";
        assert_eq!(peer.handle_publish(topic, request), Ok(()));
        let (topic, payload) = peer.poll_message(describe).unwrap();
        assert_eq!(topic, "$aws/things/dev-1/jobs/$next/get/accepted");
        let reply: ExecutionResponse<'_, IgnoredAny> = ota_core::json::from_slice(payload).unwrap();
        assert!(
            reply
                .client_token
                .is_some_and(|t| t == "a/b" && !t.is_escaped())
        );

        let request = br#"{"status":"IN_PROGRESS","clientToken":"7:dev\u002d1"}"#;
        let topic = "$aws/things/dev-1/jobs/fw-1/update";
        assert_eq!(peer.handle_publish(topic, request), Ok(()));
        let (topic, payload) = peer.poll_message(update).unwrap();
        assert_eq!(topic, "$aws/things/dev-1/jobs/fw-1/update/accepted");
        let reply: UpdateResponse<'_, IgnoredAny> = ota_core::json::from_slice(payload).unwrap();
        assert!(reply.client_token.is_some_and(|t| t == "7:dev-1"));

        let request = br#"{"c":"\u0061bc","f":0,"l":256,"o":0,"n":1}"#;
        let topic = "$aws/things/dev-1/streams/s1/get/json";
        assert_eq!(peer.handle_publish(topic, request), Ok(()));
        let (_, payload) = peer.poll_message(data).unwrap();
        let mut block = [0u8; 256];
        let block = DataBlock::decode_json(payload, &mut block).unwrap();
        assert!(
            block
                .client_token
                .is_some_and(|c| c == "abc" && !c.is_escaped())
        );
    }
}
