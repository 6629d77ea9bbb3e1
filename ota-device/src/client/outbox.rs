//! What `poll_transmit` publishes next, rendered into the caller's buffer. Nothing is
//! queued: the probe, one progress update and the request of the current state each wait in
//! a slot of their own ([`Outbox`]), and a newer one of a kind replaces an older one not yet
//! taken (whose token no reply could match any more), so nothing ever overflows.

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::freshness::topic as latest_topic;
use ota_core::jobs::{
    ClientToken, DescribeRequest, JobExecutionStatus, JobId, JobRef, JobTopic, JobsApi,
    StatusDetails, UpdateRequest,
};
use ota_core::json::JsonStr;
use ota_core::streams::{GetStreamRequest, StreamTopic, StreamTopicKind};

use super::Client;
use super::state::Stage;
use crate::reason::Reason;
use crate::storage::{FirmwareSlot, StateStore};
use crate::text::{push_core_version, push_hex8, push_u32, push_version};
use crate::trust::TrustSource;

/// MQTT quality of service for a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    /// Fire and forget (progress reports, block requests).
    AtMostOnce,
    /// Acknowledged (status updates that gate activation or commit).
    AtLeastOnce,
}

/// A message to publish, rendered into the buffer given to
/// [`Client::poll_transmit`](crate::Client::poll_transmit).
#[derive(Debug, PartialEq, Eq)]
pub struct Publish<'b> {
    /// The topic.
    pub topic: &'b str,
    /// The payload.
    pub payload: &'b [u8],
    /// Delivery guarantee to ask the broker for.
    pub qos: Qos,
}

/// `statusDetails` of an update, in the AWS FreeRTOS agent's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Details {
    None,
    /// `receive: "n/total"` (blocks).
    Receive {
        blocks: u32,
        total: u32,
    },
    /// `self_test: "ready"`, `updatedBy`.
    Ready,
    /// `self_test: "active"`, `updatedBy`.
    Active,
    /// `reason: "accepted  v…"`, `updatedBy: "  v…"` (the agent's two spaces).
    Accepted,
    /// `reason: "<reason>"`.
    Reason(Reason),
}

/// A publish, as the client decides it; rendered by `poll_transmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outgoing {
    DescribeNext {
        token: u32,
    },
    DescribeCurrent {
        token: u32,
    },
    Update {
        token: u32,
        status: JobExecutionStatus,
        details: Details,
        expected_version: Option<u64>,
        qos: Qos,
    },
    GetStream {
        token: u32,
    },
    LatestGet {
        token: u32,
    },
}

/// The publishes waiting for `poll_transmit`, one slot per kind, taken in this order.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// The token of the `{jobId}/get` checking that the job in hand still exists.
    pub(crate) probe: Option<u32>,
    /// An `IN_PROGRESS` update nothing waits for: download progress, a custom job's.
    pub(crate) progress: Option<Outgoing>,
    /// The request of the current state.
    pub(crate) request: Option<Outgoing>,
    /// The token of the `ota/latest/get` asked beside a `$next/get`.
    pub(crate) latest: Option<u32>,
}

impl Outbox {
    /// The next publish; each is taken once (a resend fills its slot again).
    pub(crate) fn take(&mut self) -> Option<Outgoing> {
        let probe = self.probe.take();
        probe
            .map(|token| Outgoing::DescribeCurrent { token })
            .or_else(|| self.progress.take())
            .or_else(|| self.request.take())
            .or_else(|| {
                self.latest
                    .take()
                    .map(|token| Outgoing::LatestGet { token })
            })
    }
}

/// The topic goes first in the buffer, the payload after it.
fn split(buf: &mut [u8], topic_len: usize) -> Option<(&mut [u8], &mut [u8])> {
    (topic_len <= buf.len()).then(|| buf.split_at_mut(topic_len))
}

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// Render `out` into `buf`; `None` if it does not fit (or refers to state that is gone).
    pub(crate) fn render<'b>(&self, out: Outgoing, buf: &'b mut [u8]) -> Option<Publish<'b>> {
        let mut token_text: heapless::String<64> = heapless::String::new();
        let token = match out {
            Outgoing::DescribeNext { token }
            | Outgoing::DescribeCurrent { token }
            | Outgoing::Update { token, .. }
            | Outgoing::GetStream { token }
            | Outgoing::LatestGet { token } => token,
        };
        self.token_text(token, &mut token_text);
        let client_token = ClientToken::new(&token_text).ok().map(JsonStr::from);
        let (topic_len, qos) = self.write_topic(out, buf)?;
        let (topic_buf, payload_buf) = split(buf, topic_len)?;
        let payload_len = match out {
            Outgoing::DescribeNext { .. } | Outgoing::DescribeCurrent { .. } => {
                let req = DescribeRequest {
                    client_token,
                    ..DescribeRequest::default()
                };
                req.write(payload_buf).ok()?
            }
            Outgoing::Update {
                status,
                details,
                expected_version,
                ..
            } => {
                self.render_update(status, details, expected_version, client_token, payload_buf)?
            }
            Outgoing::GetStream { .. } => self.render_get_stream(&token_text, payload_buf)?,
            Outgoing::LatestGet { .. } => {
                self.latest_request(&token_text).write(payload_buf).ok()?
            }
        };
        let topic = core::str::from_utf8(topic_buf).ok()?;
        Some(Publish {
            topic,
            payload: &payload_buf[..payload_len],
            qos,
        })
    }

    /// Write `out`'s topic at the start of `buf`: its length, and the QoS to publish with.
    // Inlined: out of line it would add a frame and code to the firmware's send path.
    #[inline(always)]
    fn write_topic(&self, out: Outgoing, buf: &mut [u8]) -> Option<(usize, Qos)> {
        let thing = self.config.borrow().thing_name;
        let root = self.config.borrow().topic_root;
        let written = match out {
            Outgoing::DescribeNext { .. } => {
                let topic = JobTopic::request(thing, JobsApi::Describe(JobRef::Next));
                (topic.write_into(root, buf).ok()?.len(), Qos::AtLeastOnce)
            }
            Outgoing::DescribeCurrent { .. } => {
                let id = JobId::new(&self.state.job()?.id).ok()?;
                let topic = JobTopic::request(thing, JobsApi::Describe(JobRef::Id(id)));
                (topic.write_into(root, buf).ok()?.len(), Qos::AtLeastOnce)
            }
            Outgoing::Update { qos, .. } => {
                let id = JobId::new(&self.state.job()?.id).ok()?;
                (
                    JobTopic::request(thing, JobsApi::Update(id))
                        .write_into(root, buf)
                        .ok()?
                        .len(),
                    qos,
                )
            }
            Outgoing::GetStream { .. } => {
                let (stream_id, _) = self.stream()?;
                let stream = ota_core::jobs::StreamId::new(stream_id).ok()?;
                let topic = StreamTopic::new(
                    thing,
                    stream,
                    StreamTopicKind::Get,
                    self.config.borrow().stream_format,
                );
                (topic.write_into(root, buf).ok()?.len(), Qos::AtMostOnce)
            }
            Outgoing::LatestGet { .. } => {
                let mut w = crate::write::SliceWriter::new(buf);
                latest_topic::write(root, thing.as_str(), latest_topic::Kind::Request, &mut w)
                    .ok()?;
                (w.into_str()?.len(), Qos::AtMostOnce)
            }
        };
        Some(written)
    }

    /// `"<token>:<thing>"`, cut to 64 bytes as the AWS agent does.
    fn token_text(&self, token: u32, out: &mut heapless::String<64>) {
        let _ = push_u32(out, token).and_then(|()| out.push(':').ok());
        for c in self.config.borrow().thing_name.as_str().chars() {
            if out.push(c).is_err() {
                break;
            }
        }
    }

    fn render_update(
        &self,
        status: JobExecutionStatus,
        details: Details,
        expected_version: Option<u64>,
        client_token: Option<JsonStr<'_>>,
        buf: &mut [u8],
    ) -> Option<usize> {
        let mut first: heapless::String<24> = heapless::String::new();
        let mut second: heapless::String<96> = heapless::String::new();
        let mut map = StatusDetails::<'_, 4>::new();
        match details {
            Details::None => {}
            Details::Receive { blocks, total } => {
                push_u32(&mut first, blocks)?;
                first.push('/').ok()?;
                push_u32(&mut first, total)?;
                map.insert("receive", &first).ok()?;
            }
            Details::Ready | Details::Active => {
                let phase = if details == Details::Ready {
                    "ready"
                } else {
                    "active"
                };
                map.insert("self_test", phase).ok()?;
                if let Some(packed) = self.record.updated_by.to_app_version32() {
                    first.push_str("0x").ok()?;
                    push_hex8(&mut first, packed)?;
                    map.insert("updatedBy", &first).ok()?;
                }
            }
            Details::Accepted => {
                let version = self.record.floor.version;
                second.push_str("accepted  v").ok()?;
                push_version(&mut second, &version)?;
                map.insert("reason", &second).ok()?;
                first.push_str("  v").ok()?;
                push_core_version(&mut first, &version)?;
                map.insert("updatedBy", &first).ok()?;
            }
            Details::Reason(reason) => map.insert("reason", reason.as_str()).ok()?,
        }
        let request = UpdateRequest {
            status_details: (!map.is_empty()).then_some(map_to_default(&map)?),
            expected_version,
            client_token,
            ..UpdateRequest::new(status)
        };
        request.write(buf).ok()
    }

    fn render_get_stream(&self, token: &str, buf: &mut [u8]) -> Option<usize> {
        let (_, file_id) = self.stream()?;
        let Some(Stage::Downloading(d)) = self.state.stage() else {
            return None;
        };
        let bitmap = d.window.missing().to_le_bytes();
        let bytes = d.window.len.div_ceil(8) as usize;
        let request = GetStreamRequest {
            client_token: Some(JsonStr::text(token)),
            stream_version: None,
            file_id,
            block_size: self.config.borrow().block_size,
            offset: d.window.start,
            block_count: Some(d.window.len),
            bitmap: Some(&bitmap[..bytes]),
        };
        super::codec::encode_request(&request, self.config.borrow().stream_format, buf)
    }
}

/// The update request's map type has the default capacity; copy the small one over.
fn map_to_default<'m>(small: &StatusDetails<'m, 4>) -> Option<StatusDetails<'m>> {
    let mut map = StatusDetails::new();
    for (k, v) in small.iter() {
        // Built with `insert`: held as given (`as_plain` is the text itself).
        map.insert(k.as_plain()?, v.as_plain()?).ok()?;
    }
    Some(map)
}
