//! The MQTT Streams API answered from a [`StreamSource`]: GetStream (blocks on `data`, one
//! per message) and DescribeStream (the file list on `description`), in CBOR or JSON, and
//! `rejected` where AWS sends it. Publishes nothing itself: replies go to the caller's list.

use ota_core::json::JsonStr;
use ota_core::streams::{
    DataBlock, DescribeStreamRequest, DescribeStreamResponse, GetStreamRequest, MAX_BITMAP_LEN,
    StreamErrorCode, StreamFile, StreamMessage, StreamRejected, StreamTopic, StreamTopicKind,
};

use super::source::{BlockRead, StreamInfo, StreamSource};
use super::{GatewayStats, Outgoing};

/// Most files a DescribeStream reply lists (file ids are 0-255).
const MAX_FILES: usize = 256;

/// Where a stream request's replies go, and what they are counted in.
pub(super) struct Replies<'o> {
    /// The topic root (`$aws`).
    pub(super) root: &'o str,
    /// The gateway's counters.
    pub(super) stats: &'o mut GatewayStats,
    /// The replies.
    pub(super) out: &'o mut Vec<Outgoing>,
}

impl Replies<'_> {
    fn topic(&self, topic: StreamTopic<'_>, kind: StreamTopicKind) -> String {
        let mut s = String::new();
        let _ = topic.with_kind(kind).write_with_root(self.root, &mut s);
        s
    }

    /// Encode `message` (into a buffer of `capacity` bytes) and queue it on `kind`; whether
    /// it was encoded.
    fn send<'m, M: StreamMessage<'m>>(
        &mut self,
        topic: StreamTopic<'_>,
        kind: StreamTopicKind,
        message: &M,
        capacity: usize,
    ) -> bool {
        let mut buf = vec![0u8; capacity];
        let Ok(n) = message.encode(topic.format, &mut buf) else {
            return false;
        };
        buf.truncate(n);
        let topic = self.topic(topic, kind);
        self.out.push(Outgoing {
            topic,
            payload: buf,
        });
        true
    }

    /// Queue a `rejected` reply with `code`, echoing `token`.
    fn reject(&mut self, topic: StreamTopic<'_>, code: StreamErrorCode<'_>, token: Token<'_>) {
        let rejected = StreamRejected {
            code,
            message: Some(JsonStr::text(code.as_str())),
            client_token: token,
        };
        self.send(
            topic,
            StreamTopicKind::Rejected,
            &rejected,
            text_room(token) + 256,
        );
    }
}

type Token<'a> = Option<JsonStr<'a>>;

/// Room for a client token once encoded (a JSON escape takes up to 6 bytes per byte).
fn text_room(token: Token<'_>) -> usize {
    token.map_or(0, |t| t.len() * 6)
}

/// Answer a DescribeStream request.
pub(super) fn describe(
    source: &impl StreamSource,
    topic: StreamTopic<'_>,
    payload: &[u8],
    replies: &mut Replies<'_>,
) {
    let request = match DescribeStreamRequest::decode(topic.format, payload, &mut []) {
        Ok(request) => request,
        Err(e) => {
            replies.stats.malformed += 1;
            return replies.reject(topic, StreamErrorCode::for_error(&e), None);
        }
    };
    let token = request.client_token;
    let Some(info) = source.describe(topic.thing.as_str(), topic.stream.as_str()) else {
        return replies.reject(topic, StreamErrorCode::ResourceNotFound, token);
    };
    let description = info.description.as_deref().map(JsonStr::text);
    let mut response = DescribeStreamResponse::<MAX_FILES> {
        client_token: token,
        stream_version: info.version,
        description,
        files: Default::default(),
    };
    for &f in &info.files {
        let _ = response.files.push(f);
    }
    let room = text_room(token) + text_room(description) + 24 * info.files.len() + 256;
    if !replies.send(topic, StreamTopicKind::Description, &response, room) {
        replies.reject(topic, StreamErrorCode::InternalError, token);
    }
}

/// Answer a GetStream request: its blocks within the file, in the order asked.
pub(super) fn get(
    source: &mut impl StreamSource,
    topic: StreamTopic<'_>,
    payload: &[u8],
    replies: &mut Replies<'_>,
) {
    // A decoded bitmap (hex in JSON, chunks in CBOR) is never longer than the payload.
    let mut bitmap = vec![0u8; payload.len().min(MAX_BITMAP_LEN)];
    let request = match GetStreamRequest::decode(topic.format, payload, &mut bitmap) {
        Ok(request) => request,
        Err(e) => {
            replies.stats.malformed += 1;
            return replies.reject(topic, StreamErrorCode::for_error(&e), None);
        }
    };
    let thing = topic.thing.as_str();
    let info = source.describe(thing, topic.stream.as_str());
    let file = match check(info.as_ref(), &request) {
        Ok(file) => file,
        Err(code) => return replies.reject(topic, code, request.client_token),
    };
    send_blocks(source, topic, &request, file, replies);
}

/// The file a GetStream request reads, or the code AWS rejects it with.
fn check(
    info: Option<&StreamInfo>,
    request: &GetStreamRequest<'_>,
) -> Result<StreamFile, StreamErrorCode<'static>> {
    let info = info.ok_or(StreamErrorCode::ResourceNotFound)?;
    let file = info
        .file(request.file_id)
        .ok_or(StreamErrorCode::ResourceNotFound)?;
    if request.stream_version.is_some_and(|s| s != info.version) {
        return Err(StreamErrorCode::VersionMismatch);
    }
    let blocks = file.size.div_ceil(request.block_size);
    if request.offset >= blocks.max(1) {
        return Err(StreamErrorCode::OffsetOutOfBounds);
    }
    Ok(file)
}

/// One `data` message per requested block within `file` (blocks past its end are dropped).
fn send_blocks(
    source: &mut impl StreamSource,
    topic: StreamTopic<'_>,
    request: &GetStreamRequest<'_>,
    file: StreamFile,
    replies: &mut Replies<'_>,
) {
    let (thing, stream) = (topic.thing.as_str(), topic.stream.as_str());
    let size = request.block_size as usize;
    let file_len = file.size as usize;
    let blocks = file.size.div_ceil(request.block_size);
    let mut chunk = vec![0u8; size];
    // Base64 in JSON, plus the keys and an escaped token.
    let room = size.div_ceil(3) * 4 + text_room(request.client_token) + 256;
    for index in request.requested_blocks().filter(|&i| i < blocks) {
        let start = index as usize * size;
        let range = start..(start + size).min(file_len);
        let chunk = &mut chunk[..range.len()];
        let read = BlockRead {
            thing,
            stream,
            file_id: file.file_id,
            range,
        };
        if !source.read_block(&read, chunk) {
            continue;
        }
        let block = DataBlock {
            client_token: request.client_token,
            file_id: request.file_id,
            block_id: index,
            payload: chunk,
        };
        if replies.send(topic, StreamTopicKind::Data, &block, room) {
            replies.stats.blocks += 1;
        }
    }
}
